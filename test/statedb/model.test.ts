// Property tests: random transactions against a plain Map model, checking every query kind
// (get, list, prefix, lowerBound, all, count, composite keys) after every commit, aborts that
// leave nothing behind, unique violations, compare-and-swap/-delete, and snapshot isolation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { setNodeSize } from '../../src/statedb/btree.js';
import { type ReadTxn, StateDB, StateDBError, type Table } from '../../src/statedb/index.js';
import { applyDb, applyModel, byId, cmpStr, groups, ids, makeDb, type Obj, txnArb } from './fixtures.js';

/** Checks every query of `snap` against the model. */
function checkQueries(snap: ReadTxn, t: Table<Obj>, model: Map<string, Obj>): void {
  const objs = [...model.values()].sort(byId);
  assert.equal(snap.count(t), objs.length);
  assert.deepEqual(snap.all(t), objs);
  for (const id of ids) assert.deepEqual(snap.get(t, id), model.get(id));
  for (const g of groups) {
    assert.deepEqual(
      snap.list(t, 'group', g),
      objs.filter((o) => o.group === g),
    );
    assert.deepEqual(
      snap.prefix(t, 'group', g),
      objs.filter((o) => o.group.startsWith(g)).sort((a, b) => cmpStr(a.group, b.group) || byId(a, b)),
    );
    assert.deepEqual(
      snap.prefix(t, 'pair', [g]),
      objs.filter((o) => o.group.startsWith(g)).sort((a, b) => cmpStr(a.group, b.group) || a.num - b.num || byId(a, b)),
    );
    assert.deepEqual(
      snap.prefix(t, 'pair', [g, '']),
      objs.filter((o) => o.group === g).sort((a, b) => a.num - b.num || byId(a, b)),
    );
  }
  for (const p of ['', 'a', 'ab', 'c', 'c\0', 'z']) {
    assert.deepEqual(
      snap.prefix(t, 'primary', p),
      objs.filter((o) => o.id.startsWith(p)),
    );
    assert.deepEqual(
      snap.lowerBound(t, 'primary', p),
      objs.filter((o) => o.id >= p),
    );
  }
  for (const n of [-2, -0.5, 0, 1, 1.5, 9]) {
    assert.deepEqual(
      snap.list(t, 'num', n),
      objs.filter((o) => o.num === n),
    );
    assert.deepEqual(
      snap.lowerBound(t, 'num', n),
      objs.filter((o) => o.num >= n).sort((a, b) => a.num - b.num || byId(a, b)),
    );
  }
  for (let s = 0; s <= 5; s++) {
    assert.deepEqual(
      snap.list(t, 'slot', s),
      objs.filter((o) => o.slot === s),
    );
  }
}

/** Random transactions against the model, checking every query inside and after each. */
const agreesWithModel = fc.property(fc.array(txnArb, { maxLength: 25 }), (txns) => {
  const { db, t } = makeDb();
  let model = new Map<string, Obj>();
  for (const { ops, abort } of txns) {
    const next = new Map(model);
    let violation = false;
    const before = db.read();
    try {
      db.write([t], (txn) => {
        for (const op of ops) {
          const cur = txn.getRevisioned(t, 'id' in op ? op.id : 'obj' in op ? op.obj.id : '');
          const revOk = op.op === 'cas' || op.op === 'cad' ? op.right && cur !== undefined : true;
          if (applyModel(next, op, revOk) === 'violation') {
            violation = true;
            assert.throws(
              () => applyDb(txn, t, op),
              (err: unknown) => err instanceof StateDBError && err.code === 'KLOOP_STATEDB_UNIQUE_VIOLATION',
            );
            throw new Error('stop');
          }
          applyDb(txn, t, op);
          checkQueries(txn, t, next);
        }
        if (abort) throw new Error('abort');
      });
      model = next;
    } catch (err) {
      assert.ok(abort || violation, String(err));
      assert.equal(db.read().revision, before.revision, 'an aborted transaction changes nothing');
    }
    checkQueries(db.read(), t, model);
  }
});

test('every operation and query agrees with a Map model', () => {
  fc.assert(agreesWithModel, { numRuns: 150 });
});

/** A snapshot taken between two runs of random transactions keeps answering as of its time. */
const snapshotIsolated = fc.property(
  fc.array(txnArb, { maxLength: 10 }),
  fc.array(txnArb, { maxLength: 10 }),
  (first, second) => {
    const { db, t } = makeDb();
    const run = (txns: typeof first) => {
      for (const { ops } of txns) {
        try {
          db.write([t], (txn) => {
            for (const op of ops) applyDb(txn, t, op);
          });
        } catch (err) {
          if (!(err instanceof StateDBError)) throw err;
        }
      }
    };
    run(first);
    const snap = db.read();
    const frozen = new Map(snap.all(t).map((o) => [o.id, o]));
    const rev = snap.revision;
    run(second);
    assert.equal(snap.revision, rev);
    checkQueries(snap, t, frozen);
  },
);

test('a snapshot never sees later writes', () => {
  fc.assert(snapshotIsolated, { numRuns: 100 });
});

// With 4 entries per node, ten objects already make every index three levels deep, so the
// properties above exercise splits, merges and root collapses under the real tables (primary,
// unique, non-unique and composite indexes) and snapshots that share nodes with later writes.
test('with tiny B+tree nodes, the model and snapshot properties still hold', () => {
  setNodeSize(4);
  try {
    fc.assert(agreesWithModel, { numRuns: 100 });
    fc.assert(snapshotIsolated, { numRuns: 100 });
  } finally {
    setNodeSize(32);
  }
});

test('equal inserts are skipped unless the table opts out', () => {
  const db = new StateDB();
  const skip = db.table<Obj>('skip', { primary: (o) => o.id });
  const bump = db.table<Obj>('bump', { primary: (o) => o.id, equals: false });
  db.write([skip, bump], (txn) => {
    txn.insert(skip, { id: 'a', group: 'g', num: 1 });
    txn.insert(bump, { id: 'a', group: 'g', num: 1 });
  });
  const r1 = db.read();
  db.write([skip, bump], (txn) => {
    txn.insert(skip, { id: 'a', group: 'g', num: 1 });
    txn.insert(bump, { id: 'a', group: 'g', num: 1 });
  });
  const r2 = db.read();
  assert.equal(r2.tableRevision(skip), r1.tableRevision(skip));
  assert.ok(r2.tableRevision(bump) > r1.tableRevision(bump));
});

test('composite primary keys order by part, then by length', () => {
  const db = new StateDB({ validate: true });
  const t = db.table<{ ns: string; name: string }>('pods', { primary: (p) => [p.ns, p.name] });
  const rows = [
    { ns: 'a', name: 'x' },
    { ns: 'ab', name: '' },
    { ns: 'a', name: '' },
    { ns: 'a\0', name: 'q' },
    { ns: 'b', name: 'a' },
  ];
  db.write([t], (txn) => {
    for (const r of rows) txn.insert(t, r);
  });
  const snap = db.read();
  assert.deepEqual(
    snap.all(t).map((p) => `${p.ns}/${p.name}`),
    ['a/', 'a/x', 'a\0/q', 'ab/', 'b/a'],
  );
  assert.deepEqual(
    snap.prefix(t, 'primary', ['a', '']).map((p) => p.name),
    ['', 'x'],
  );
  assert.deepEqual(snap.get(t, ['a\0', 'q']), { ns: 'a\0', name: 'q' });
});

test('a large table keeps its invariants through random inserts and deletes', () => {
  const db = new StateDB({ validate: false });
  const t = db.table<{ id: number; v: number }>('nums', {
    primary: (o) => o.id,
    indexes: { v: { key: (o) => o.v % 10, unique: false } },
  });
  const model = new Map<number, number>();
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let round = 0; round < 40; round++) {
    db.write([t], (txn) => {
      for (let i = 0; i < 200; i++) {
        const id = rnd() % 3000;
        if (rnd() % 3 === 0) {
          txn.delete(t, id);
          model.delete(id);
        } else {
          txn.insert(t, { id, v: round });
          model.set(id, round);
        }
      }
    });
  }
  const snap = db.read();
  assert.deepEqual(
    snap.all(t).map((o) => o.id),
    [...model.keys()].sort((a, b) => a - b),
  );
  for (let b = 0; b < 10; b++)
    assert.equal(snap.list(t, 'v', b).length, [...model.values()].filter((v) => v % 10 === b).length);
});

/** A composite key as the model sees it: [string, number, string?]. */
type Ck = readonly [string, number] | readonly [string, number, string];

/** Part-wise order: strings by UTF-16 code units, numbers numerically, a shorter key first. */
function cmpCk(a: Ck, b: Ck): number {
  const c0 = cmpStr(a[0], b[0]);
  if (c0 !== 0) return c0;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  if (a.length !== b.length) return a.length - b.length;
  return a.length === 3 && b.length === 3 ? cmpStr(a[2], b[2]) : 0;
}

test('composite keys with NUL, empty and number parts: order, exact, prefix and lowerBound match a model', () => {
  const str = fc.constantFrom('', 'a', 'ab', 'a\0', 'a\0b', '\0', 'b', '\x01');
  const ckArb: fc.Arbitrary<Ck> = fc.oneof(
    fc.tuple(str, fc.constantFrom(-1, 0, 0.5, 2)),
    fc.tuple(str, fc.constantFrom(-1, 0, 0.5, 2), str),
  );
  fc.assert(
    fc.property(fc.uniqueArray(ckArb, { selector: (k) => JSON.stringify(k), maxLength: 30 }), str, (keys, p) => {
      interface Row {
        id: number;
        key: Ck;
      }
      const db = new StateDB({ validate: true });
      const t = db.table<Row>('rows', {
        primary: (r) => r.id,
        indexes: { u: { key: (r) => r.key, unique: true }, n: { key: (r) => r.key, unique: false } },
      });
      const rows = keys.map((key, id) => ({ id, key }));
      db.write([t], (txn) => {
        for (const r of rows) txn.insert(t, r);
      });
      const snap = db.read();
      const sorted = [...rows].sort((a, b) => cmpCk(a.key, b.key) || a.id - b.id);
      for (const index of ['u', 'n']) {
        assert.deepEqual(snap.lowerBound(t, index, ['']), sorted, `${index}: every key in order`);
        for (const r of rows)
          assert.deepEqual(snap.list(t, index, r.key), [r], `${index}: exact ${JSON.stringify(r.key)}`);
        // A one-part prefix matches keys whose first part starts with it...
        assert.deepEqual(
          snap.prefix(t, index, [p]),
          sorted.filter((r) => r.key[0].startsWith(p)),
          `${index}: prefix [${JSON.stringify(p)}]`,
        );
        // ...and a closed first part (then '' or a number) matches that first part exactly.
        assert.deepEqual(
          snap.prefix(t, index, [p, '']),
          sorted.filter((r) => r.key[0] === p),
          `${index}: prefix [${JSON.stringify(p)}, '']`,
        );
        assert.deepEqual(
          snap.prefix(t, index, [p, 0.5]),
          sorted.filter((r) => r.key[0] === p && r.key[1] === 0.5),
          `${index}: prefix [${JSON.stringify(p)}, 0.5]`,
        );
        const from: Ck = [p, 0];
        assert.deepEqual(
          snap.lowerBound(t, index, from),
          sorted.filter((r) => cmpCk(r.key, from) >= 0),
          `${index}: lowerBound ${JSON.stringify(from)}`,
        );
      }
    }),
    { numRuns: 200 },
  );
});
