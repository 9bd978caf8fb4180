// The persistent structures under the tables, against a Map model: the B+tree (ordered scans,
// structural sharing, splits and merges).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { emptyTree, type Tree, TreeBuilder, treeGet, treePrefix, treeScan, validateTree } from '../../src/statedb/btree.js';

const keyArb = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\0', 'é'), maxLength: 4 });
const opsArb = fc.array(fc.array(fc.tuple(fc.boolean(), keyArb, fc.nat(100)), { maxLength: 40 }), { maxLength: 30 });

test('the B+tree agrees with a sorted Map, and old versions stay intact', () => {
  fc.assert(
    fc.property(opsArb, (batches) => {
      let tree: Tree<number> = emptyTree();
      const model = new Map<string, number>();
      const versions: Array<[Tree<number>, Map<string, number>]> = [];
      for (const batch of batches) {
        const b = new TreeBuilder(tree, {});
        for (const [del, k, v] of batch) {
          if (del) {
            assert.equal(b.delete(k), model.get(k));
            model.delete(k);
          } else {
            assert.equal(b.set(k, v), model.get(k));
            model.set(k, v);
          }
        }
        tree = b.freeze();
        validateTree(tree);
        versions.push([tree, new Map(model)]);
      }
      for (const [t, m] of versions) {
        const sorted = [...m.keys()].sort();
        const seen: string[] = [];
        treeScan(t, '', (k) => {
          seen.push(k);
          return true;
        });
        assert.deepEqual(seen, sorted);
        for (const k of sorted) assert.equal(treeGet(t, k), m.get(k));
        assert.deepEqual(
          treePrefix(t, 'a', []),
          sorted.filter((k) => k.startsWith('a')).map((k) => m.get(k)),
        );
      }
    }),
    { numRuns: 200 },
  );
});

test('the B+tree stays valid through thousands of keys (splits and merges)', () => {
  let tree: Tree<number> = emptyTree();
  const model = new Map<string, number>();
  for (let round = 0; round < 30; round++) {
    const b = new TreeBuilder(tree, {});
    for (let i = 0; i < 300; i++) {
      const k = `k${(round * 7919 + i * 104729) % 5000}`;
      if ((i + round) % 3 === 0) {
        b.delete(k);
        model.delete(k);
      } else {
        b.set(k, i);
        model.set(k, i);
      }
    }
    tree = b.freeze();
    validateTree(tree);
  }
  const b = new TreeBuilder(tree, {});
  for (const k of [...model.keys()]) b.delete(k);
  const empty = b.freeze();
  validateTree(empty);
  assert.equal(empty.size, 0);
  assert.equal(tree.size, model.size);
});
