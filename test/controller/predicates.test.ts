import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InformerEvent } from '../../src/cache/types.js';
import {
  and,
  annotationsChanged,
  finalizersChanged,
  generationChanged,
  labelSelector,
  labelsChanged,
  not,
  or,
  predicate,
  resourceVersionChanged,
} from '../../src/controller/predicates.js';
import { controllerOwner, mapFromAnnotation } from '../../src/controller/sources.js';
import type { KubeObject } from '../../src/core/types.js';

const obj = (meta: Record<string, unknown> = {}, rest: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: 'ns', name: 'a', resourceVersion: '1', ...meta },
  ...rest,
});
const update = (o: KubeObject, n: KubeObject): InformerEvent => ({
  type: 'updated',
  object: n,
  oldObject: o,
  initial: false,
});
const added = (o: KubeObject): InformerEvent => ({ type: 'added', object: o, initial: false });

describe('predicates', () => {
  it('update predicates pass creates and deletes and filter updates', () => {
    const cases = [
      [generationChanged(), { generation: 1 }, { generation: 2 }],
      [resourceVersionChanged(), { resourceVersion: '1' }, { resourceVersion: '2' }],
      [labelsChanged(), { labels: { a: '1' } }, { labels: { a: '2' } }],
      [annotationsChanged(), { annotations: { a: '1' } }, {}],
      [finalizersChanged(), {}, { finalizers: ['f'] }],
    ] as const;
    for (const [p, before, after] of cases) {
      assert.equal(p.test(added(obj(before))), true, `${p.name} passes adds`);
      assert.equal(p.test({ type: 'deleted', object: obj(before), initial: false }), true, `${p.name} passes deletes`);
      assert.equal(p.test(update(obj(before), obj(after))), true, `${p.name} passes a change`);
      assert.equal(p.test(update(obj(before), obj(before))), false, `${p.name} drops no change`);
    }
    // A status-only change keeps the generation: dropped.
    assert.equal(
      generationChanged().test(update(obj({ generation: 1 }), obj({ generation: 1 }, { status: { x: 1 } }))),
      false,
    );
  });

  it('labelSelector matches the new or the old object, and has a readable name', () => {
    const p = labelSelector('mirror=true');
    assert.equal(p.name, 'labelSelector(mirror=true)');
    assert.equal(p.test(added(obj({ labels: { mirror: 'true' } }))), true);
    assert.equal(p.test(added(obj())), false);
    assert.equal(
      p.test(update(obj({ labels: { mirror: 'true' } }), obj())),
      true,
      'an object leaving the selector passes once',
    );
    assert.equal(labelSelector({ matchLabels: { a: 'b' } }).test(added(obj({ labels: { a: 'b' } }))), true);
  });

  it('composes with and/or/not and names the composition', () => {
    const yes = predicate('yes', () => true);
    const no = predicate('no', () => false);
    assert.equal(and(yes, no).test(added(obj())), false);
    assert.equal(or(yes, no).test(added(obj())), true);
    assert.equal(not(no).test(added(obj())), true);
    assert.equal(and(yes, or(no, not(no))).name, 'and(yes, or(no, not(no)))');
  });

  it('finds the controlling owner by group and kind, and maps annotations to keys', () => {
    const o = obj({
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x', uid: '1' },
        { apiVersion: 'apps/v1beta1', kind: 'Deployment', name: 'owner', uid: '2', controller: true },
      ],
    });
    assert.equal(controllerOwner(o, { apiVersion: 'apps/v1', kind: 'Deployment' })?.name, 'owner');
    assert.equal(controllerOwner(o, { apiVersion: 'v1', kind: 'Deployment' }), undefined);
    const map = mapFromAnnotation('ref');
    assert.deepEqual(map(obj({ annotations: { ref: 'other/b' } }), added(obj())), { namespace: 'other', name: 'b' });
    assert.deepEqual(map(obj({ annotations: { ref: 'b' } }), added(obj())), { namespace: 'ns', name: 'b' });
  });
});
