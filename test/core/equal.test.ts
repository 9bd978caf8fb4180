import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { deepClone, deepEqual, deepFreeze } from '../../src/core/equal.js';

const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    tie('arr'),
    tie('obj'),
  ),
  arr: fc.array(tie('value'), { maxLength: 4 }),
  obj: fc.dictionary(fc.string({ maxLength: 3 }), tie('value'), { maxKeys: 4 }),
}));

describe('deepEqual', () => {
  it('compares structurally, ignoring key order', () => {
    assert.equal(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }), true);
    assert.equal(deepEqual({ a: 1 }, { a: 1, b: 2 }), false);
    assert.equal(deepEqual({ a: 1, b: 2 }, { a: 1 }), false);
    assert.equal(deepEqual([1, 2], [2, 1]), false);
    assert.equal(deepEqual([], {}), false);
    assert.equal(deepEqual(null, {}), false);
    assert.equal(deepEqual(1, '1'), false);
    assert.equal(deepEqual({ a: undefined }, {}), true);
  });
  it('property: agrees with comparing canonical JSON', () => {
    const canon = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(canon)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .sort(([a], [b]) => (a < b ? -1 : 1))
                .map(([k, x]) => [k, canon(x)]),
            )
          : v;
    fc.assert(
      fc.property(
        json.value,
        json.value,
        (a, b) => deepEqual(a, b) === (JSON.stringify(canon(a)) === JSON.stringify(canon(b))),
      ),
      { numRuns: 500 },
    );
  });
  it('property: a value equals its clone', () => {
    fc.assert(fc.property(json.value, (a) => deepEqual(a, deepClone(a))));
  });
});

describe('deepClone and deepFreeze', () => {
  it('clones into a fresh unfrozen tree', () => {
    const src = deepFreeze({ a: { b: [1, { c: 2 }] } });
    const copy = deepClone(src);
    assert.deepEqual(copy, src);
    assert.notEqual(copy.a, src.a);
    assert.notEqual(copy.a.b, src.a.b);
    assert.equal(Object.isFrozen(copy), false);
    copy.a.b.push(3);
    assert.equal(src.a.b.length, 2);
  });
  it('drops undefined members as JSON does', () => {
    assert.deepEqual(deepClone({ a: 1, b: undefined }), { a: 1 });
  });
  it('freezes every level', () => {
    const v = deepFreeze({ a: { b: [{ c: 1 }] } });
    assert.equal(Object.isFrozen(v.a.b[0]), true);
    assert.throws(() => {
      (v.a.b[0] as { c: number }).c = 2;
    }, TypeError);
  });
});
