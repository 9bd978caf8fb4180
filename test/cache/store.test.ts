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

describe('Store against a Map model, by identity', () => {
  // Every public method, after every operation: objects are compared by identity (an index set
  // still holding the replaced object of an equal-looking update shows), cluster-scoped objects
  // come with no namespace or with '', and objects are removed by key string, by {namespace,
  // name} and by metadata. One index function files an object twice under one value.
  type Op =
    | { kind: 'upsert'; ns: string | undefined; name: string; app: string; owners: string[] }
    | { kind: 'remove'; ns: string | undefined; name: string; by: 'string' | 'key' | 'meta' }
    | { kind: 'addIndex' };
  const nsArb = fc.constantFrom('a', 'b', undefined, '');
  const nameArb = fc.constantFrom('p', 'q', 'r');
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('upsert' as const),
        ns: nsArb,
        name: nameArb,
        app: fc.constantFrom('web', 'db'),
        owners: fc.subarray(['u1', 'u2', 'u3']),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('remove' as const),
        ns: nsArb,
        name: nameArb,
        by: fc.constantFrom('string' as const, 'key' as const, 'meta' as const),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'addIndex' as const }) },
  );
  const keyOf = (ns: string | undefined, name: string) => (ns ? `${ns}/${name}` : name);
  const byApp = (o: KubeObject) =>
    o.metadata.labels?.app ? [o.metadata.labels.app, o.metadata.labels.app] : undefined;
  const sameMembers = <V>(got: Iterable<V>, want: Iterable<V>, what: string) => {
    const g = [...got];
    const w = [...want];
    assert.equal(g.length, w.length, `${what}: ${g.length} items, want ${w.length}`);
    const ws = new Set(w);
    for (const x of g) assert.ok(ws.has(x), `${what}: unexpected ${typeof x === 'string' ? x : JSON.stringify(x)}`);
  };

  it('agrees with the model after every operation (property)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const s = new Store();
        s.addIndex('byOwnerUid', byOwnerUid);
        let appIndexed = false;
        const model = new Map<string, KubeObject>();
        for (const o of ops) {
          if (o.kind === 'upsert') {
            const key = keyOf(o.ns, o.name);
            const v = obj(o.ns, o.name, { app: o.app }, o.owners);
            assert.equal(s.upsert(v), model.get(key));
            model.set(key, v);
          } else if (o.kind === 'remove') {
            const key = keyOf(o.ns, o.name);
            const arg =
              o.by === 'string'
                ? key
                : o.by === 'key'
                  ? { namespace: o.ns, name: o.name }
                  : { ...model.get(key)?.metadata, namespace: o.ns, name: o.name };
            assert.equal(s.remove(arg), model.get(key));
            model.delete(key);
          } else if (!appIndexed) {
            s.addIndex('byApp', byApp);
            appIndexed = true;
          }
          assert.equal(s.size, model.size);
          sameMembers(s.keys(), model.keys(), 'keys');
          sameMembers(s.values(), model.values(), 'values');
          sameMembers(s.list(), model.values(), 'list()');
          for (const [key, v] of model) {
            const { namespace, name } = v.metadata;
            assert.equal(s.get(key), v);
            assert.equal(s.get({ namespace, name: name as string }), v);
            assert.equal(s.get(v.metadata), v);
          }
          for (const ns of ['a', 'b', '']) {
            const inNs = [...model.values()].filter((v) => (v.metadata.namespace ?? '') === ns);
            sameMembers(s.list({ namespace: ns }), inNs, `namespace ${ns}`);
            for (const app of ['web', 'db']) {
              sameMembers(
                s.list({ namespace: ns, labelSelector: `app=${app}` }),
                inNs.filter((v) => v.metadata.labels?.app === app),
                `namespace ${ns} app=${app}`,
              );
            }
          }
          const indexes: Array<[string, (v: KubeObject) => readonly string[] | undefined, string[]]> = [
            ['byOwnerUid', byOwnerUid, ['u1', 'u2', 'u3']],
          ];
          if (appIndexed) indexes.push(['byApp', byApp, ['web', 'db']]);
          for (const [name, fn, values] of indexes) {
            const filed = (value: string) => [...model.values()].filter((v) => fn(v)?.includes(value));
            sameMembers(
              s.indexValues(name),
              values.filter((value) => filed(value).length > 0),
              `${name} values`,
            );
            for (const value of values) {
              sameMembers(s.list({ index: { name, value } }), filed(value), `${name}=${value}`);
              sameMembers(
                s.indexKeys(name, value),
                filed(value).map((v) => keyOf(v.metadata.namespace, v.metadata.name as string)),
                `${name}=${value} keys`,
              );
              for (const ns of ['a', 'b', '']) {
                sameMembers(
                  s.list({ index: { name, value }, namespace: ns }),
                  filed(value).filter((v) => (v.metadata.namespace ?? '') === ns),
                  `${name}=${value} in ${ns}`,
                );
              }
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
