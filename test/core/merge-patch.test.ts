import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { deepEqual, deepFreeze } from '../../src/core/equal.js';
import { applyMergePatch, createMergePatch } from '../../src/core/merge-patch.js';

// RFC 7386 Appendix A, every row.
const RFC7386: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [
    ['a', 'b'],
    ['c', 'd'],
    ['c', 'd'],
  ],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

describe('applyMergePatch: RFC 7386 Appendix A', () => {
  RFC7386.forEach(([doc, patch, want], i) => {
    it(`row ${i + 1}: ${JSON.stringify(doc)} + ${JSON.stringify(patch)}`, () => {
      assert.deepEqual(applyMergePatch(deepFreeze(structuredClone(doc)), patch), want);
    });
  });
  it('shares untouched subtrees with the input', () => {
    const doc = deepFreeze({ a: { x: 1 }, b: { y: 2 } });
    const out = applyMergePatch<typeof doc>(doc, { a: { x: 3 } });
    assert.equal(out.b, doc.b);
    assert.deepEqual(doc.a, { x: 1 });
  });
});

// Objects without null members: a merge patch cannot express a member whose value is null.
const noNull = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), tie('arr'), tie('obj')),
  arr: fc.array(fc.oneof(tie('value'), fc.constant(null)), { maxLength: 3 }),
  obj: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), tie('value'), { maxKeys: 4 }),
}));

describe('createMergePatch', () => {
  it('gives the smallest patch, and undefined when equal', () => {
    assert.deepEqual(
      createMergePatch({ metadata: { labels: { a: '1', b: '2' } } }, { metadata: { labels: { a: '1' } } }),
      {
        metadata: { labels: { b: null } },
      },
    );
    assert.equal(createMergePatch({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), undefined);
    assert.deepEqual(createMergePatch({ a: [1] }, { a: [1, 2] }), { a: [1, 2] });
  });
  it('property: applyMergePatch(a, createMergePatch(a, b)) deepEquals b', () => {
    fc.assert(
      fc.property(noNull.obj, noNull.obj, (a, b) => {
        const from = deepFreeze(structuredClone(a)) as Record<string, unknown>;
        const patch = createMergePatch(from, b as Record<string, unknown>);
        if (patch === undefined) return deepEqual(from, b);
        return deepEqual(applyMergePatch(from, patch), b);
      }),
      { numRuns: 500 },
    );
  });
});

it('createMergePatch sends nothing for a member null on one side and absent on the other', () => {
  assert.equal(createMergePatch({ a: null, b: 1 }, { b: 1 }), undefined);
  assert.equal(createMergePatch({ b: 1 }, { a: null, b: 1 }), undefined);
  assert.equal(createMergePatch({ t: { creationTimestamp: null } }, { t: {} }), undefined);
  assert.deepEqual(createMergePatch({ a: 1 }, { a: null }), { a: null });
});
