import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SortedKeys } from '../../../src/apiserver/storage/sorted-keys.js';

describe('SortedKeys', () => {
  it('matches a sorted Set model under random adds and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.string({ maxLength: 4 })), { maxLength: 3000 }),
        fc.string({ maxLength: 3 }),
        (ops, from) => {
          const keys = new SortedKeys();
          const model = new Set<string>();
          for (const [add, key] of ops) {
            if (add) {
              assert.equal(keys.add(key), !model.has(key));
              model.add(key);
            } else assert.equal(keys.delete(key), model.delete(key));
          }
          const sorted = [...model].sort();
          assert.equal(keys.size, sorted.length);
          assert.deepEqual([...keys.from()], sorted);
          const tail = sorted.filter((k) => k >= from);
          assert.deepEqual([...keys.from(from)], tail);
          assert.equal(keys.countFrom(from), tail.length);
          for (const k of sorted.slice(0, 5)) assert.ok(keys.has(k));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('splits chunks on bulk loads in key order and in reverse', () => {
    const keys = new SortedKeys();
    for (let i = 0; i < 5000; i++) keys.add(`k${String(i).padStart(5, '0')}`);
    for (let i = 9999; i >= 5000; i--) keys.add(`k${String(i).padStart(5, '0')}`);
    const all = [...keys.from()];
    assert.equal(all.length, 10000);
    assert.deepEqual(all, [...all].sort());
    assert.equal([...keys.from('k09990')].length, 10);
  });
});
