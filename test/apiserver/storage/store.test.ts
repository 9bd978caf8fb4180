import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StatusError } from '../../../src/apiserver/errors/status-errors.js';
import { Storage } from '../../../src/apiserver/storage/store.js';
import type { KubeObject } from '../../../src/core/index.js';
import { keyString } from '../../../src/core/index.js';

function cm(ns: string, name: string, v = '0'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: ns, name }, data: { v } };
}

describe('Storage (MVCC)', () => {
  it('assigns one global increasing revision across resources and serializes once', () => {
    const storage = new Storage(100);
    const cms = storage.resource('/configmaps');
    const secrets = storage.resource('/secrets');
    const a = cms.put('ns/a', cm('ns', 'a'));
    const b = secrets.put('ns/b', cm('ns', 'b'));
    assert.equal(a.rv, 1);
    assert.equal(b.rv, 2);
    assert.equal(storage.revision, 2);
    assert.equal(a.object.object.metadata.resourceVersion, '1');
    assert.equal(a.object.json, JSON.stringify(a.object.object));
    assert.ok(a.object.json.startsWith('{"apiVersion":"v1","kind":"ConfigMap",'), 'apiVersion and kind first');
    assert.equal(a.type, 'ADDED');
    assert.equal(cms.put('ns/a', cm('ns', 'a', '1')).type, 'MODIFIED');
    const del = cms.remove('ns/a');
    assert.equal(del?.type, 'DELETED');
    assert.equal(del?.object.object.metadata.resourceVersion, '4', 'DELETED carries the delete revision');
    assert.equal(cms.remove('ns/a'), undefined);
  });

  it('freezes stored objects under KLOOP_VALIDATE', { skip: process.env.KLOOP_VALIDATE !== '1' }, () => {
    const storage = new Storage(10);
    const e = storage.resource('/configmaps').put('a', cm('', 'a'));
    assert.ok(Object.isFrozen(e.object.object.metadata));
  });

  it('serves eventsSince and 410 once history is trimmed or compacted', () => {
    const storage = new Storage(3);
    const store = storage.resource('/configmaps');
    for (let i = 0; i < 5; i++) store.put('ns/a', cm('ns', 'a', String(i)));
    assert.deepEqual(
      store.eventsSince(3).map((e) => e.rv),
      [4, 5],
    );
    assert.deepEqual(store.eventsSince(2).length, 3);
    assert.throws(
      () => store.eventsSince(1),
      (err: unknown) =>
        err instanceof StatusError &&
        err.status.code === 410 &&
        err.status.message === 'too old resource version: 1 (2)',
    );
    storage.compact();
    assert.deepEqual(store.eventsSince(5), []);
    assert.throws(() => store.eventsSince(4), StatusError);
  });

  it('lists in namespace/name order with namespace prefixes that do not leak', () => {
    const storage = new Storage(100);
    const store = storage.resource('/configmaps');
    for (const [ns, name] of [
      ['a', 'z'],
      ['a-b', 'x'],
      ['ab', 'y'],
      ['a', 'b'],
    ]) {
      store.put(keyString({ namespace: ns, name }), cm(ns, name));
    }
    assert.deepEqual(
      store.list({}).items.map((s) => s.key),
      ['a-b/x', 'a/b', 'a/z', 'ab/y'],
    );
    assert.deepEqual(
      store.list({ namespace: 'a' }).items.map((s) => s.key),
      ['a/b', 'a/z'],
    );
    const page = store.list({ limit: 1, countRemaining: true });
    assert.equal(page.nextKey, 'a-b/x\u0000');
    assert.equal(page.remaining, 3);
  });

  it('pages through the snapshot at the first revision whatever happens in between (model test)', () => {
    type Op = { kind: 'put' | 'del'; name: number };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(
          fc.record({ kind: fc.constantFrom<'put' | 'del'>('put', 'del'), name: fc.integer({ min: 0, max: 50 }) }),
          {
            maxLength: 60,
          },
        ),
        (initial, limit, ops: Op[]) => {
          const storage = new Storage(1000);
          const store = storage.resource('/configmaps');
          const key = (n: number) => `ns/c${String(n).padStart(3, '0')}`;
          for (let i = 0; i < initial; i++) store.put(key(i), cm('ns', `c${String(i).padStart(3, '0')}`));
          const expected = store.list({}).items.map((s) => s.json);
          const at = storage.revision;
          const seen: string[] = [];
          let start: string | undefined;
          let i = 0;
          for (;;) {
            const page = store.list({ limit, atRevision: at, ...(start ? { startKey: start } : {}) });
            seen.push(...page.items.map((s) => s.json));
            if (!page.nextKey) break;
            start = page.nextKey;
            // Writes between pages.
            for (const op of ops.slice(i, i + 3)) {
              if (op.kind === 'put') store.put(key(op.name), cm('ns', `c${String(op.name).padStart(3, '0')}`, 'new'));
              else store.remove(key(op.name));
            }
            i += 3;
          }
          assert.deepEqual(seen, expected);
        },
      ),
      { numRuns: 80 },
    );
  });
});
