// Transient nodes and path reuse: a write transaction changes in place the B+tree nodes it has
// already copied, and a `set`/`delete` right after a `get` of the same key reuses the get's
// path. Neither may ever show through an older version: a snapshot or read transaction taken
// before or during a write transaction, an aborted transaction and a builder used on after
// `freeze()` all keep the trees they saw.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import {
  emptyTree,
  setNodeSize,
  type Tree,
  TreeBuilder,
  treeGet,
  treeScan,
  validateTree,
} from '../../src/statedb/btree.js';
import { type ReadTxn, StateDB, StateDBError, type WriteTxn } from '../../src/statedb/index.js';
import { applyDb, byId, makeDb, type Obj, opArb } from './fixtures.js';

/** Every entry of a tree, in key order. */
function entries<V>(tree: Tree<V>): Array<[string, V]> {
  const out: Array<[string, V]> = [];
  treeScan(tree, '', (k, v) => {
    out.push([k, v]);
    return true;
  });
  return out;
}

const sorted = <V>(m: Map<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

type TreeOp =
  | { op: 'set'; key: number; val: number }
  | { op: 'getSet'; key: number; val: number }
  | { op: 'getOtherSet'; key: number; other: number; val: number }
  | { op: 'getDelete'; key: number }
  | { op: 'delete'; key: number }
  | { op: 'freeze' };

const treeOpArb: fc.Arbitrary<TreeOp> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key: fc.nat(120), val: fc.nat(1000) }),
  fc.record({ op: fc.constant('getSet' as const), key: fc.nat(120), val: fc.nat(1000) }),
  fc.record({ op: fc.constant('getOtherSet' as const), key: fc.nat(120), other: fc.nat(120), val: fc.nat(1000) }),
  fc.record({ op: fc.constant('getDelete' as const), key: fc.nat(120) }),
  fc.record({ op: fc.constant('delete' as const), key: fc.nat(120) }),
  fc.constant({ op: 'freeze' as const }),
);

const k3 = (n: number) => String(n).padStart(3, '0');

test('a builder reusing lookup paths, used on after freeze, agrees with a Map and never changes a frozen tree', () => {
  for (const size of [4, 5, 8, 16, 32]) {
    setNodeSize(size);
    try {
      fc.assert(
        fc.property(fc.array(treeOpArb, { maxLength: 400, size: 'max' }), (ops) => {
          const model = new Map<string, number>();
          // Each frozen version with the model as it was then.
          const frozen: Array<[Tree<number>, Array<[string, number]>]> = [];
          const b = new TreeBuilder<number>(emptyTree(), {});
          for (const o of ops) {
            switch (o.op) {
              case 'set':
                assert.equal(b.set(k3(o.key), o.val), model.get(k3(o.key)));
                model.set(k3(o.key), o.val);
                break;
              case 'getSet':
                assert.equal(b.get(k3(o.key)), model.get(k3(o.key)));
                assert.equal(b.set(k3(o.key), o.val), model.get(k3(o.key)));
                model.set(k3(o.key), o.val);
                break;
              case 'getOtherSet':
                // The remembered path leads elsewhere: the set must find its own way.
                assert.equal(b.get(k3(o.other)), model.get(k3(o.other)));
                assert.equal(b.set(k3(o.key), o.val), model.get(k3(o.key)));
                model.set(k3(o.key), o.val);
                break;
              case 'getDelete':
                assert.equal(b.get(k3(o.key)), model.get(k3(o.key)));
                assert.equal(b.delete(k3(o.key)), model.get(k3(o.key)));
                model.delete(k3(o.key));
                break;
              case 'delete':
                assert.equal(b.delete(k3(o.key)), model.get(k3(o.key)));
                model.delete(k3(o.key));
                break;
              case 'freeze': {
                const t = b.freeze();
                validateTree(t);
                frozen.push([t, sorted(model)]);
                break;
              }
            }
          }
          const last = b.freeze();
          validateTree(last);
          assert.deepEqual(entries(last), sorted(model));
          for (const [t, want] of frozen) {
            validateTree(t);
            assert.deepEqual(entries(t), want);
            for (const [k, v] of want) assert.equal(treeGet(t, k), v);
          }
        }),
        { numRuns: size === 32 ? 60 : 120 },
      );
    } finally {
      setNodeSize(32);
    }
  }
});

test('a set after a get of the same key, with another change in between, does not reuse a stale path', () => {
  setNodeSize(4);
  try {
    const b = new TreeBuilder<number>(emptyTree(), {});
    for (let i = 0; i < 40; i++) b.set(k3(i), i);
    // The get remembers the way to 020; the sets between split the leaf it leads to.
    assert.equal(b.get('020'), 20);
    for (let i = 0; i < 10; i++) b.set(`020.${i}`, 100 + i);
    assert.equal(b.set('020', -1), 20);
    assert.equal(b.get('019'), 19);
    b.delete('018');
    assert.equal(b.delete('019'), 19);
    const t = b.freeze();
    validateTree(t);
    assert.equal(treeGet(t, '020'), -1);
    assert.equal(treeGet(t, '019'), undefined);
    assert.equal(t.size, 40 + 10 - 2);
  } finally {
    setNodeSize(32);
  }
});

type Step =
  | { step: 'write'; ops: Parameters<typeof applyDb>[2][]; end: 'commit' | 'abort'; snapAt: number }
  | { step: 'read' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      step: fc.constant('write' as const),
      ops: fc.array(opArb, { minLength: 1, maxLength: 12 }),
      end: fc.constantFrom('commit' as const, 'abort' as const),
      snapAt: fc.nat(12),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ step: 'read' as const }) },
);

/** The objects a read transaction sees, by id. */
const seen = (r: ReadTxn, t: ReturnType<typeof makeDb>['t']) => r.all(t);

test('snapshots taken before or during a write transaction never see its writes or later ones', () => {
  const run = () =>
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 14 }), (steps) => {
        const { db, t } = makeDb();
        let model = new Map<string, Obj>();
        // Every read transaction taken so far, with what it must keep answering.
        const reads: Array<[ReadTxn, Obj[], number]> = [];
        const keep = (r: ReadTxn, m: Map<string, Obj>) => reads.push([r, [...m.values()].sort(byId), r.revision]);
        for (const s of steps) {
          if (s.step === 'read') {
            keep(db.read(), model);
            continue;
          }
          const before = db.read();
          keep(before, model);
          const txn: WriteTxn = db.begin([t]);
          let failed = false;
          for (let i = 0; i < s.ops.length; i++) {
            // A read transaction taken mid-transaction sees the last commit only.
            if (i === s.snapAt) keep(db.read(), model);
            try {
              applyDb(txn, t, s.ops[i]);
            } catch (err) {
              if (!(err instanceof StateDBError && err.code === 'KLOOP_STATEDB_UNIQUE_VIOLATION')) throw err;
              failed = true;
              break;
            }
          }
          const inside = seen(txn, t);
          if (s.end === 'commit' && !failed) {
            const after = txn.commit();
            model = new Map(inside.map((o) => [o.id, o]));
            assert.deepEqual(seen(after, t), inside);
            // Reusing a committed transaction is refused and changes nothing.
            assert.throws(
              () => txn.insert(t, { id: 'a', group: 'reuse', num: 0 }),
              (err: unknown) => err instanceof StateDBError && err.code === 'KLOOP_STATEDB_TXN_CLOSED',
            );
            assert.throws(() => txn.delete(t, 'a'), StateDBError);
          } else {
            txn.abort();
            assert.equal(db.read().revision, before.revision, 'an aborted transaction changes nothing');
            assert.throws(
              () => txn.insert(t, { id: 'a', group: 'reuse', num: 0 }),
              (err: unknown) => err instanceof StateDBError && err.code === 'KLOOP_STATEDB_TXN_CLOSED',
            );
          }
          assert.deepEqual(seen(db.read(), t), [...model.values()].sort(byId));
          for (const [r, want, rev] of reads) {
            assert.equal(r.revision, rev);
            assert.deepEqual(seen(r, t), want);
            for (const o of want) assert.deepEqual(r.get(t, o.id), o);
            for (const o of want) assert.ok(r.list(t, 'group', o.group).includes(o));
          }
        }
      }),
      { numRuns: 120 },
    );
  run();
  // Tiny nodes: every transaction splits and merges nodes it shares with the snapshots.
  setNodeSize(4);
  try {
    run();
  } finally {
    setNodeSize(32);
  }
});

test('a key function that writes the same table mid-insert leaves both objects indexed', () => {
  interface Row {
    id: string;
    tag: string;
  }
  const db = new StateDB({ validate: true });
  let txnRef: WriteTxn | undefined;
  let nested = false;
  const t = db.table<Row>('rows', {
    primary: (r) => r.id,
    indexes: {
      tag: {
        unique: false,
        key: (r) => {
          // Runs between the insert's primary lookup and its primary write: the nested write
          // changes the primary tree, so the outer write must not reuse its remembered path.
          if (r.id === 'outer' && !nested && txnRef !== undefined) {
            nested = true;
            txnRef.insert(t, { id: 'inner', tag: 'y' });
          }
          return r.tag;
        },
      },
      id2: { unique: true, key: (r) => `u-${r.id}` },
    },
  });
  setNodeSize(4);
  try {
    db.write([t], (txn) => {
      for (let i = 0; i < 12; i++) txn.insert(t, { id: `r${String(i).padStart(2, '0')}`, tag: 'x' });
      txnRef = txn;
      txn.insert(t, { id: 'outer', tag: 'x' });
      txnRef = undefined;
    });
  } finally {
    setNodeSize(32);
  }
  const snap = db.read();
  assert.equal(snap.count(t), 14);
  assert.deepEqual(snap.get(t, 'inner'), { id: 'inner', tag: 'y' });
  assert.deepEqual(snap.get(t, 'outer'), { id: 'outer', tag: 'x' });
  assert.deepEqual(
    snap.list(t, 'tag', 'y').map((r) => r.id),
    ['inner'],
  );
  assert.equal(snap.list(t, 'tag', 'x').length, 13);
  assert.deepEqual(snap.get(t, 'outer'), snap.first(t, 'id2', 'u-outer'));
});

test('a closed transaction kept by its caller does not pin the version it wrote', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const db = new StateDB({ validate: false });
  const t = db.table<{ id: string; payload: number[] }>('big', { primary: (o) => o.id });
  let ref: WeakRef<object> | undefined;
  // The transaction stays referenced; the object it wrote is replaced by a later commit.
  const txn = db.begin([t]);
  (() => {
    const obj = { id: 'a', payload: [1, 2, 3] };
    ref = new WeakRef(obj);
    txn.insert(t, obj);
  })();
  txn.commit();
  db.write([t], (w) => w.insert(t, { id: 'a', payload: [] }));
  // A WeakRef keeps its target alive until the current job ends.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  gc();
  assert.equal(ref?.deref(), undefined, 'the committed transaction still holds the old version');
  assert.ok(txn !== undefined);
});

test('a key function of a later index that writes the same table mid-insert does not overwrite the keys computed before it', () => {
  // The re-entering key function belongs to the second index: the outer insert has computed
  // the first index's keys already, into scratch arrays a nested insert must not reuse.
  interface Row {
    id: string;
    tag: string;
  }
  const db = new StateDB({ validate: true });
  let txnRef: WriteTxn | undefined;
  const t = db.table<Row>('rows', {
    primary: (r) => r.id,
    indexes: {
      id2: { unique: true, key: (r) => `u-${r.id}` },
      tag: {
        unique: false,
        key: (r) => {
          if (r.id === 'outer' && txnRef !== undefined) {
            const txn = txnRef;
            txnRef = undefined;
            txn.insert(t, { id: 'inner', tag: 'y' });
          }
          return r.tag;
        },
      },
    },
  });
  db.write([t], (txn) => {
    txn.insert(t, { id: 'old', tag: 'x' });
    txnRef = txn;
    txn.insert(t, { id: 'outer', tag: 'x' });
  });
  const snap = db.read();
  assert.equal(snap.first(t, 'id2', 'u-inner')?.id, 'inner');
  assert.equal(snap.first(t, 'id2', 'u-outer')?.id, 'outer');
  assert.deepEqual(
    snap.list(t, 'tag', 'x').map((r) => r.id),
    ['old', 'outer'],
  );
  assert.deepEqual(
    snap.list(t, 'tag', 'y').map((r) => r.id),
    ['inner'],
  );
});
