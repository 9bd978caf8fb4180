// The persistent structures under the tables, against a Map model: the B+tree (ordered scans,
// structural sharing, splits and merges).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  emptyTree,
  setNodeSize,
  type Tree,
  TreeBuilder,
  treeFrom,
  treeGet,
  treePrefix,
  treeScan,
  validateTree,
} from '../../src/statedb/btree.js';

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

// At 32 entries per node the property above rarely builds more than two levels. Tiny nodes make
// every batch split and merge inner nodes several levels deep, which is where a copy-on-write
// slip (a node or keys array shared with an older version and then changed) would show.
test('with tiny nodes, deep splits and merges never change an older version', () => {
  for (const size of [4, 5, 7, 8, 12]) {
    setNodeSize(size);
    try {
      fc.assert(
        fc.property(
          // `size: 'max'`: fast-check's default bias keeps arrays near 10 entries, too few to
          // grow a tree three levels deep.
          fc.array(
            fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 300 }), fc.nat(100)), {
              maxLength: 150,
              size: 'max',
            }),
            { minLength: 2, maxLength: 8, size: 'max' },
          ),
          (batches) => {
            let tree: Tree<number> = emptyTree();
            const model = new Map<string, number>();
            const versions: Array<[Tree<number>, Map<string, number>]> = [];
            for (const batch of batches) {
              const b = new TreeBuilder(tree, {});
              for (const [del, n, v] of batch) {
                const k = String(n).padStart(3, '0');
                assert.equal(del ? b.delete(k) : b.set(k, v), model.get(k));
                if (del) model.delete(k);
                else model.set(k, v);
              }
              tree = b.freeze();
              versions.push([tree, new Map(model)]);
            }
            for (const [t, m] of versions) {
              validateTree(t);
              const sorted = [...m.keys()].sort();
              for (const p of ['', '0', '1', '12', '05', '2']) {
                assert.deepEqual(
                  treePrefix(t, p, []),
                  sorted.filter((k) => k.startsWith(p)).map((k) => m.get(k)),
                );
              }
              for (const from of ['000', '150', '299', '3']) {
                assert.deepEqual(
                  treeFrom(t, from, []),
                  sorted.filter((k) => k >= from).map((k) => m.get(k)),
                );
              }
            }
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      setNodeSize(32);
    }
  }
});

// Random inserts and deletes in equal measure keep nodes near half full: an inner node rarely
// falls under its minimum, so merges of inner nodes with a sibling an older version still holds
// never ran. Draining a big tree in batches makes them (node sizes with a minimum above 1).
test('draining a tree in batches merges inner nodes with siblings older versions hold, and never changes those versions', () => {
  for (const size of [8, 12]) {
    setNodeSize(size);
    try {
      fc.assert(
        fc.property(
          fc.shuffledSubarray([...Array(400).keys()], { minLength: 300, maxLength: 400 }),
          fc.integer({ min: 5, max: 40 }),
          (order, batch) => {
            const b0 = new TreeBuilder<number>(emptyTree(), {});
            const model = new Map<string, number>();
            for (let i = 0; i < 400; i++) {
              b0.set(String(i).padStart(3, '0'), i);
              model.set(String(i).padStart(3, '0'), i);
            }
            let tree = b0.freeze();
            const versions: Array<[Tree<number>, string[]]> = [[tree, [...model.keys()].sort()]];
            let b = new TreeBuilder(tree, {});
            for (let i = 0; i < order.length; i++) {
              const k = String(order[i]).padStart(3, '0');
              assert.equal(b.delete(k), order[i]);
              model.delete(k);
              if (i % batch === batch - 1 || i === order.length - 1) {
                tree = b.freeze();
                versions.push([tree, [...model.keys()].sort()]);
                b = new TreeBuilder(tree, {});
              }
            }
            for (const [t, keys] of versions) {
              validateTree(t);
              assert.deepEqual(
                treeFrom(t, '', []),
                keys.map((k) => Number(k)),
              );
            }
          },
        ),
        { numRuns: 40 },
      );
    } finally {
      setNodeSize(32);
    }
  }
});
