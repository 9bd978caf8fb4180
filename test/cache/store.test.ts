import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { byOwnerUid, Store } from '../../src/cache/index.js';
import type { KubeObject } from '../../src/core/index.js';

function obj(
  ns: string | undefined,
  name: string,
  labels: Record<string, string> = {},
  owners: string[] = [],
  rv = '1',
): KubeObject {
  return {
    metadata: {
      namespace: ns,
      name,
      labels,
      resourceVersion: rv,
      ownerReferences: owners.map((uid) => ({ apiVersion: 'v1', kind: 'X', name: uid, uid })),
    },
  };
}

describe('Store', () => {
  it('lists by namespace, label selector and index', () => {
    const s = new Store();
    s.addIndex('byOwnerUid', byOwnerUid);
    s.upsert(obj('a', 'x', { app: 'web' }, ['u1']));
    s.upsert(obj('a', 'y', { app: 'db' }, ['u1', 'u2']));
    s.upsert(obj('b', 'x', { app: 'web' }, ['u2']));
    s.upsert(obj(undefined, 'cluster-wide'));
    const names = (list: KubeObject[]) => list.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
    assert.deepEqual(names(s.list({ namespace: 'a' })), ['a/x', 'a/y']);
    assert.deepEqual(names(s.list({ labelSelector: 'app=web' })), ['a/x', 'b/x']);
    assert.deepEqual(names(s.list({ labelSelector: 'app in (web,db),app!=db' })), ['a/x', 'b/x']);
    assert.deepEqual(names(s.list({ index: { name: 'byOwnerUid', value: 'u2' } })), ['a/y', 'b/x']);
    assert.deepEqual(names(s.list({ index: { name: 'byOwnerUid', value: 'u2' }, namespace: 'b' })), ['b/x']);
    assert.equal(s.get({ name: 'cluster-wide' })?.metadata.name, 'cluster-wide');
    assert.equal(s.get('a/x')?.metadata.name, 'x');
    s.upsert(obj('a', 'y', {}, ['u3']));
    assert.deepEqual(names(s.list({ index: { name: 'byOwnerUid', value: 'u2' } })), ['b/x']);
    s.remove('b/x');
    assert.deepEqual(s.indexKeys('byOwnerUid', 'u2'), []);
    assert.throws(() => s.list({ index: { name: 'nope', value: 'x' } }), { code: 'KLOOP_UNKNOWN_INDEX' });
    assert.throws(() => s.addIndex('byOwnerUid', () => []), { code: 'KLOOP_INDEX_EXISTS' });
    s.addIndex('byOwnerUid', byOwnerUid);
  });

  it('indexes objects already stored when an index is added', () => {
    const s = new Store();
    s.upsert(obj('a', 'x', { tier: 'front' }));
    s.addIndex('tier', (o) => (o.metadata.labels?.tier ? [o.metadata.labels.tier] : undefined));
    assert.deepEqual(s.indexKeys('tier', 'front'), ['a/x']);
  });

  it('agrees with a Map model under random operations (property)', () => {
    const nsArb = fc.constantFrom('a', 'b', undefined);
    const nameArb = fc.constantFrom('p', 'q', 'r', 's');
    const ownerArb = fc.subarray(['u1', 'u2', 'u3']);
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('upsert' as const),
        ns: nsArb,
        name: nameArb,
        owners: ownerArb,
        app: fc.constantFrom('web', 'db'),
      }),
      fc.record({ kind: fc.constant('remove' as const), ns: nsArb, name: nameArb }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const s = new Store();
        s.addIndex('byOwnerUid', byOwnerUid);
        const model = new Map<string, KubeObject>();
        for (const o of ops) {
          const key = o.ns ? `${o.ns}/${o.name}` : o.name;
          if (o.kind === 'upsert') {
            const v = obj(o.ns, o.name, { app: o.app }, o.owners);
            assert.equal(s.upsert(v), model.get(key));
            model.set(key, v);
          } else {
            assert.equal(s.remove(key), model.get(key));
            model.delete(key);
          }
        }
        assert.equal(s.size, model.size);
        const sorted = (l: KubeObject[]) => [...l].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
        for (const ns of ['a', 'b', '']) {
          assert.deepEqual(
            sorted(s.list({ namespace: ns })),
            sorted([...model.values()].filter((v) => (v.metadata.namespace ?? '') === ns)),
          );
        }
        for (const uid of ['u1', 'u2', 'u3']) {
          const want = [...model.values()].filter((v) => v.metadata.ownerReferences?.some((r) => r.uid === uid));
          assert.deepEqual(sorted(s.list({ index: { name: 'byOwnerUid', value: uid } })), sorted(want));
        }
        assert.deepEqual(
          sorted(s.list({ labelSelector: 'app=web' })),
          sorted([...model.values()].filter((v) => v.metadata.labels?.app === 'web')),
        );
      }),
    );
  });
});
