// The one diff: a single walk over two objects yields the patch (merge or JSON), the changed
// top-level paths and the no-op verdict. Checked against independent oracles (applying the patch
// gives the desired object; the paths equal changedTopLevelPaths; the verdict equals deepEqual)
// and for the single walk itself (each object of the desired document is enumerated once).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { changedTopLevelPaths, diffObjects } from '../../src/core/diff.js';
import { deepEqual } from '../../src/core/equal.js';
import { applyJsonPatch } from '../../src/core/json-patch.js';
import { applyMergePatch } from '../../src/core/merge-patch.js';

/** JSON without nulls (what the cached client diffs: it strips them first) and small key sets. */
const value = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('a', 'b', ''),
    fc.integer({ min: 0, max: 3 }),
    fc.boolean(),
    tie('arr'),
    tie('obj'),
  ),
  arr: fc.array(tie('value'), { maxLength: 3 }),
  obj: fc.dictionary(fc.constantFrom('spec', 'data', 'x', 'y', 'a/b', 'c~d'), tie('value'), {
    maxKeys: 4,
    noNullPrototype: true,
  }),
})).value;

const metadata = fc.record(
  {
    name: fc.constantFrom('a', 'b'),
    labels: fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('web', 'db'), {
      maxKeys: 2,
      noNullPrototype: true,
    }),
    finalizers: fc.array(fc.constantFrom('f1', 'f2'), { maxLength: 2 }),
    generation: fc.integer({ min: 1, max: 3 }),
    uid: fc.constantFrom('u1', 'u2'),
  },
  { requiredKeys: ['name'], noNullPrototype: true },
);

const object = fc.record(
  { apiVersion: fc.constantFrom('v1', 'apps/v1'), metadata, spec: value, status: value, data: value },
  { requiredKeys: ['metadata'], noNullPrototype: true },
) as fc.Arbitrary<Record<string, unknown>>;

describe('diffObjects', () => {
  it('a label change: the merge patch holds just it, the path names it', () => {
    const from = { metadata: { name: 'a', labels: { x: '1' } }, data: { k: 'v' } };
    const to = { metadata: { name: 'a', labels: { x: '2' } }, data: { k: 'v' } };
    assert.deepEqual(diffObjects(from, to, 'merge'), {
      patch: { metadata: { labels: { x: '2' } } },
      changed: ['metadata.labels'],
      unchanged: false,
    });
    assert.deepEqual(diffObjects(from, to, 'json'), {
      patch: [{ op: 'replace', path: '/metadata/labels/x', value: '2' }],
      changed: ['metadata.labels'],
      unchanged: false,
    });
  });

  it('equal objects: nothing to send, no path, in either format', () => {
    const a = { metadata: { name: 'a' }, spec: { list: [1, { b: 2 }] } };
    const b = structuredClone(a);
    assert.deepEqual(diffObjects(a, b, 'merge'), { patch: undefined, changed: [], unchanged: true });
    assert.deepEqual(diffObjects(a, b, 'json'), { patch: [], changed: [], unchanged: true });
  });

  it('metadata outside the reported fields changes the patch but names no path', () => {
    const d = diffObjects(
      { metadata: { name: 'a', annotations: {} } },
      { metadata: { name: 'b', annotations: {} } },
      'merge',
    );
    assert.deepEqual(d, { patch: { metadata: { name: 'b' } }, changed: [], unchanged: false });
  });

  it('metadata replaced whole still names the fields that differ', () => {
    const d = diffObjects({ metadata: { name: 'a', labels: { x: '1' } } }, { metadata: 'gone' }, 'json');
    assert.deepEqual(d.changed, ['metadata.labels']);
  });

  it('merge: applying the patch gives the desired object; paths and verdict match the oracles', () => {
    fc.assert(
      fc.property(object, object, (from, to) => {
        const d = diffObjects(from, to, 'merge');
        assert.deepEqual(applyMergePatch(from, d.patch ?? {}), to);
        assert.deepEqual(d.changed, changedTopLevelPaths(from, to));
        assert.equal(d.unchanged, deepEqual(from, to));
        assert.equal(d.unchanged, d.patch === undefined);
      }),
      { numRuns: 500 },
    );
  });

  it('json: applying the operations gives the desired object; paths and verdict match the oracles', () => {
    fc.assert(
      fc.property(object, object, (from, to) => {
        const d = diffObjects(from, to, 'json');
        assert.deepEqual(applyJsonPatch(from, d.patch), to);
        assert.deepEqual(d.changed, changedTopLevelPaths(from, to));
        assert.equal(d.unchanged, deepEqual(from, to));
        assert.equal(d.unchanged, d.patch.length === 0);
      }),
      { numRuns: 500 },
    );
  });

  it('walks the desired object once: each of its objects is enumerated at most once, in both formats', () => {
    fc.assert(
      fc.property(object, object, fc.constantFrom('merge' as const, 'json' as const), (from, to, format) => {
        const enumerations = new Map<object, number>();
        const proxies = new WeakMap<object, object>();
        const watch = <T>(v: T): T => {
          if (typeof v !== 'object' || v === null) return v;
          let p = proxies.get(v);
          if (p === undefined) {
            p = new Proxy(v, {
              ownKeys(target) {
                enumerations.set(target, (enumerations.get(target) ?? 0) + 1);
                return Reflect.ownKeys(target);
              },
              get: (target, key) => watch(Reflect.get(target, key)),
            });
            proxies.set(v, p);
          }
          return p as T;
        };
        if (format === 'merge') diffObjects(from, watch(to), 'merge');
        else diffObjects(from, watch(to), 'json');
        const repeated = [...enumerations.entries()].filter(([, n]) => n > 1);
        assert.deepEqual(repeated, [], `objects of the desired document enumerated more than once (${format})`);
      }),
      { numRuns: 300 },
    );
  });
});
