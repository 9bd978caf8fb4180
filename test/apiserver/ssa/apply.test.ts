import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ApplyOptions,
  type ApplyResult,
  applyConflictStatus,
  applyServerSide,
  fieldSetOfObject,
  listKeysFromSchema,
  recordUpdate,
} from '../../../src/apiserver/ssa/index.js';
import { deepFreeze } from '../../../src/core/equal.js';
import type { KubeObject } from '../../../src/core/types.js';

const NOW = '2024-01-01T00:00:00Z';
const LATER = '2024-01-01T00:05:00Z';

function cm(data: Record<string, string> | undefined, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'a', namespace: 'ns', ...extra },
    ...(data ? { data } : {}),
  };
}

function ok(r: ApplyResult): KubeObject {
  if (!r.ok) assert.fail(`unexpected conflict: ${r.message}`);
  return deepFreeze(r.object);
}

function apply(
  live: KubeObject | undefined,
  applied: KubeObject,
  manager: string,
  extra: Partial<ApplyOptions> = {},
): ApplyResult {
  return applyServerSide({ live, applied, manager, now: NOW, ...extra });
}

function owners(obj: KubeObject): Record<string, unknown> {
  return Object.fromEntries((obj.metadata.managedFields ?? []).map((e) => [`${e.manager}/${e.operation}`, e.fieldsV1]));
}

describe('applyServerSide: create and re-apply', () => {
  it('creates the object with one Apply entry, identity metadata left out', () => {
    const obj = ok(apply(undefined, cm({ a: '1' }, { labels: { app: 'x' } }), 'kubectl'));
    assert.deepEqual(obj.data, { a: '1' });
    assert.deepEqual(obj.metadata.managedFields, [
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: NOW,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } },
      },
    ]);
  });

  it('a repeated identical apply gives back an equal object (time kept)', () => {
    const live = ok(apply(undefined, cm({ a: '1' }), 'kubectl'));
    const again = ok(apply(live, cm({ a: '1' }), 'kubectl', { now: LATER }));
    assert.deepEqual(again, live);
  });

  it('does not mutate its inputs', () => {
    const live = ok(apply(undefined, cm({ a: '1' }), 'm1'));
    const applied = deepFreeze(cm({ a: '2', b: '3' }));
    ok(apply(live, applied, 'm1'));
    assert.deepEqual(live.data, { a: '1' });
  });
});

describe('applyServerSide: removal of omitted fields', () => {
  it('removes fields the manager applied before and now omits', () => {
    const live = ok(apply(undefined, cm({ a: '1', b: '2' }), 'm1'));
    const next = ok(apply(live, cm({ a: '1' }), 'm1', { now: LATER }));
    assert.deepEqual(next.data, { a: '1' });
    assert.deepEqual(owners(next), { 'm1/Apply': { 'f:data': { 'f:a': {} } } });
    assert.equal(next.metadata.managedFields?.[0].time, LATER);
  });

  it('keeps omitted fields another manager also owns', () => {
    let live = ok(apply(undefined, cm({ a: '1', b: '2' }), 'm1'));
    live = ok(apply(live, cm({ b: '2' }), 'm2'));
    live = ok(apply(live, cm({ a: '1' }), 'm1'));
    assert.deepEqual(live.data, { a: '1', b: '2' });
    assert.deepEqual(owners(live), {
      'm1/Apply': { 'f:data': { 'f:a': {} } },
      'm2/Apply': { 'f:data': { 'f:b': {} } },
    });
  });

  it('keeps fields set by plain writes (nobody applied them)', () => {
    let live = ok(apply(undefined, cm({ a: '1' }), 'm1'));
    const updated = { ...live, data: { a: '1', z: '9' } };
    live = {
      ...updated,
      metadata: { ...updated.metadata, managedFields: recordUpdate(live, updated, 'editor', { now: NOW }) },
    };
    live = ok(apply(live, cm({}), 'm1'));
    assert.deepEqual(live.data, { z: '9' });
  });
});

describe('applyServerSide: conflicts', () => {
  it('a different value owned by another applier is a conflict', () => {
    const live = ok(apply(undefined, cm({ a: '1' }), 'm1'));
    const r = apply(live, cm({ a: '2' }), 'm2');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(r.conflicts, [{ manager: 'm1', field: '.data.a', managerDescription: '"m1"' }]);
    assert.equal(r.message, 'Apply failed with 1 conflict: conflict with "m1": .data.a');
  });

  it('an Update owner is named with its apiVersion, and the Status is the 409 Kubernetes sends', () => {
    const created = cm({ a: '1' });
    const live = {
      ...created,
      metadata: { ...created.metadata, managedFields: recordUpdate(undefined, created, 'mgr', { now: NOW }) },
    };
    const r = apply(live, cm({ a: '2' }), 'kubectl');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.message, 'Apply failed with 1 conflict: conflict with "mgr" using v1: .data.a');
    assert.deepEqual(applyConflictStatus(r.conflicts, { name: 'a', kind: 'configmaps' }), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "mgr" using v1: .data.a',
      reason: 'Conflict',
      details: {
        name: 'a',
        kind: 'configmaps',
        causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "mgr" using v1', field: '.data.a' }],
      },
      code: 409,
    });
  });

  it('groups several conflicts by manager', () => {
    let live = ok(apply(undefined, cm({ a: '1', b: '1' }), 'm1'));
    live = ok(apply(live, cm({ c: '1' }), 'm2'));
    const r = apply(live, cm({ a: '2', b: '2', c: '2' }), 'm3');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(
      r.message,
      'Apply failed with 3 conflicts: conflicts with "m1":\n- .data.a\n- .data.b\nconflicts with "m2":\n- .data.c',
    );
  });

  it('force takes ownership of conflicting fields', () => {
    let live = ok(apply(undefined, cm({ a: '1', b: '1' }), 'm1'));
    live = ok(apply(live, cm({ a: '2' }), 'm2', { force: true }));
    assert.deepEqual(live.data, { a: '2', b: '1' });
    assert.deepEqual(owners(live), {
      'm1/Apply': { 'f:data': { 'f:b': {} } },
      'm2/Apply': { 'f:data': { 'f:a': {} } },
    });
  });

  it('equal values share ownership without conflict', () => {
    let live = ok(apply(undefined, cm({ a: '1' }), 'm1'));
    live = ok(apply(live, cm({ a: '1' }), 'm2'));
    assert.deepEqual(owners(live), {
      'm1/Apply': { 'f:data': { 'f:a': {} } },
      'm2/Apply': { 'f:data': { 'f:a': {} } },
    });
  });

  it('credits an object without managedFields to before-first-apply', () => {
    const r = apply(cm({ a: '1' }), cm({ a: '2' }), 'kubectl');
    assert.equal(r.ok, false);
    if (!r.ok)
      assert.equal(r.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .data.a');
    const same = ok(apply(cm({ a: '1' }), cm({ a: '1', b: '2' }), 'kubectl'));
    assert.deepEqual(same.data, { a: '1', b: '2' });
  });
});

describe('applyServerSide: lists', () => {
  const dep = (containers: Record<string, unknown>[]): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'ns' },
    spec: { template: { spec: { containers } } },
  });
  const containersOf = (o: KubeObject) =>
    (o.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers;

  it('merges built-in keyed lists by key and reports conflicts inside elements', () => {
    let live = ok(apply(undefined, dep([{ name: 'a', image: 'a:1' }]), 'm1'));
    live = ok(apply(live, dep([{ name: 'b', image: 'b:1' }]), 'm2'));
    assert.deepEqual(containersOf(live), [
      { name: 'a', image: 'a:1' },
      { name: 'b', image: 'b:1' },
    ]);
    assert.deepEqual(owners(live)['m1/Apply'], {
      'f:spec': {
        'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"a"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } },
      },
    });
    const r = apply(live, dep([{ name: 'a', image: 'a:2' }]), 'm2');
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.conflicts[0].field, '.spec.template.spec.containers[name="a"].image');
    // m1 dropping its element removes it; m2's stays.
    live = ok(apply(live, dep([]), 'm1'));
    assert.deepEqual(containersOf(live), [{ name: 'b', image: 'b:1' }]);
  });

  it('treats finalizers as a set: each manager keeps its own values', () => {
    let live = ok(apply(undefined, cm(undefined, { finalizers: ['a'] }), 'm1'));
    live = ok(apply(live, cm(undefined, { finalizers: ['b'] }), 'm2'));
    assert.deepEqual(live.metadata.finalizers, ['a', 'b']);
    live = ok(apply(live, cm(undefined), 'm1'));
    assert.deepEqual(live.metadata.finalizers, ['b']);
  });

  const widget = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec,
  });

  it('custom resource lists are atomic by default', () => {
    const live = ok(apply(undefined, widget({ items: ['x'] }), 'm1'));
    assert.deepEqual(owners(live)['m1/Apply'], { 'f:spec': { 'f:items': {} } });
    const r = apply(live, widget({ items: ['y'] }), 'm2');
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.conflicts[0].field, '.spec.items');
  });

  it('custom resource lists follow x-kubernetes-list-type from the schema', () => {
    const listKeys = listKeysFromSchema({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            ports: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['port'],
              items: { type: 'object' },
            },
            tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
          },
        },
      },
    });
    let live = ok(apply(undefined, widget({ ports: [{ port: 80, name: 'http' }], tags: ['a'] }), 'm1', { listKeys }));
    live = ok(apply(live, widget({ ports: [{ port: 443, name: 'https' }], tags: ['b'] }), 'm2', { listKeys }));
    assert.deepEqual(live.spec, {
      ports: [
        { port: 80, name: 'http' },
        { port: 443, name: 'https' },
      ],
      tags: ['a', 'b'],
    });
    const r = apply(live, widget({ ports: [{ port: 80, name: 'web' }] }), 'm2', { listKeys });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.conflicts[0].field, '.spec.ports[port=80].name');
  });

  it('rejects keyed-list elements without their key and duplicate keys', () => {
    assert.throws(() => apply(undefined, dep([{ image: 'x' }]), 'm1'), { code: 'KLOOP_APPLY_INVALID' });
    assert.throws(() => apply(undefined, dep([{ name: 'a' }, { name: 'a' }]), 'm1'), { code: 'KLOOP_APPLY_INVALID' });
  });
});

describe('recordUpdate', () => {
  it('gives the writer what it changed and takes it from the others', () => {
    const live = ok(apply(undefined, cm({ a: '1', b: '1' }), 'm1'));
    const updated = { ...live, data: { a: '2', b: '1', c: '3' } };
    const mf = recordUpdate(live, updated, 'editor', { now: LATER });
    assert.deepEqual(
      mf.map((e) => [e.manager, e.operation, e.fieldsV1]),
      [
        ['m1', 'Apply', { 'f:data': { 'f:b': {} } }],
        ['editor', 'Update', { 'f:data': { 'f:a': {}, 'f:c': {} } }],
      ],
    );
    assert.equal(mf[1].time, LATER);
    assert.equal(mf[1].apiVersion, 'v1');
  });

  it('removed fields leave every owner, and owners of nothing are dropped', () => {
    const live = ok(apply(undefined, cm({ a: '1' }), 'm1'));
    const mf = recordUpdate(live, { ...live, data: {} }, 'editor', { now: LATER });
    assert.deepEqual(mf, []);
  });

  it('records creates with every field and subresource writes apart', () => {
    const created = cm({ a: '1' });
    const mf = recordUpdate(undefined, created, 'kubectl-create', { now: NOW });
    assert.deepEqual(mf, [
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: NOW,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:a': {} } },
      },
    ]);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', managedFields: mf },
      status: { phase: 'Pending' },
    };
    const st = recordUpdate(pod, { ...pod, status: { phase: 'Running' } }, 'kubelet', {
      subresource: 'status',
      now: NOW,
    });
    assert.deepEqual(st[1], {
      manager: 'kubelet',
      operation: 'Update',
      apiVersion: 'v1',
      time: NOW,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:status': { 'f:phase': {} } },
      subresource: 'status',
    });
  });
});

describe('fieldSetOfObject', () => {
  it('lists owned paths by the built-in table', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }] },
      spec: { containers: [{ name: 'a', ports: [{ containerPort: 80 }] }] },
    };
    assert.deepEqual(fieldSetOfObject(pod).toFieldsV1(), {
      'f:metadata': {
        'f:ownerReferences': {
          'k:{"uid":"u"}': { '.': {}, 'f:apiVersion': {}, 'f:kind': {}, 'f:name': {}, 'f:uid': {} },
        },
      },
      'f:spec': {
        'f:containers': {
          'k:{"name":"a"}': {
            '.': {},
            'f:name': {},
            'f:ports': { 'k:{"containerPort":80}': { '.': {}, 'f:containerPort': {} } },
          },
        },
      },
    });
  });
});

describe('applyServerSide: reset fields', () => {
  it('drops fields the endpoint resets: not merged, not owned', () => {
    const deployment: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { replicas: 2 },
      status: { replicas: 5 },
    };
    const main = ok(
      applyServerSide({
        live: undefined,
        applied: deployment,
        manager: 'm',
        now: NOW,
        ignoreFields: (p) => p.length === 1 && p[0] === 'status',
      }),
    );
    assert.equal(main.status, undefined);
    assert.deepEqual(owners(main), { 'm/Apply': { 'f:spec': { 'f:replicas': {} } } });
    const status = ok(
      applyServerSide({
        live: main,
        applied: deployment,
        manager: 'ctrl',
        subresource: 'status',
        now: NOW,
        ignoreFields: (p) => p.length === 1 && p[0] === 'spec',
      }),
    );
    assert.deepEqual(status.status, { replicas: 5 });
    assert.deepEqual(status.metadata.managedFields?.[1], {
      manager: 'ctrl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: NOW,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:status': { 'f:replicas': {} } },
      subresource: 'status',
    });
  });
});
