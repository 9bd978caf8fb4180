// Write transactions interleaved with everything that can happen around and inside them: read
// transactions opened at every point, a second writer refused on a locked table and let through
// on another, unique violations and throwing key functions caught mid-transaction (the
// transaction goes on and commits), deletes and re-inserts of one key, deleting everything and
// inserting again, aborts. Checked against Map models: the database after every transaction,
// every read transaction ever taken, a change iterator's mirror and the watches of queries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { setNodeSize } from '../../src/statedb/btree.js';
import { type ReadTxn, StateDB, StateDBError, type Table, type Watch, type WriteTxn } from '../../src/statedb/index.js';

interface Row {
  id: string;
  g: string;
  slot?: number;
  /** `always`: its group key function throws; `onRemove`: it throws while `hostile` is set. */
  boom?: 'always' | 'onRemove';
  n: number;
}

const IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const GROUPS = ['x', 'y', ''];

/** Set around operations that remove or replace an object, for `boom: 'onRemove'` rows. */
let hostile = false;

function makeDb(): { db: StateDB; t: Table<Row>; other: Table<Row> } {
  const db = new StateDB({ validate: true });
  const spec = {
    primary: (r: Row) => r.id,
    indexes: {
      // The unique index comes first: a throw of the group key function then falls between
      // two index updates of one write.
      slot: { unique: true, key: (r: Row) => r.slot },
      g: {
        unique: false,
        key: (r: Row) => {
          if (r.boom === 'always' || (r.boom === 'onRemove' && hostile)) throw new Error('key function failed');
          return r.g;
        },
      },
    },
  };
  return { db, t: db.table<Row>('rows', spec), other: db.table<Row>('other', spec) };
}

type Op =
  | { op: 'insert'; row: Row; hostile: boolean }
  | { op: 'delete'; id: string; hostile: boolean }
  | { op: 'deleteThenInsert'; row: Row }
  | { op: 'deleteAll' }
  | { op: 'snapshot' }
  | { op: 'secondWriterSameTable' }
  | { op: 'writeOtherTable'; row: Row };

let counter = 0;
const rowArb: fc.Arbitrary<Row> = fc
  .record({
    id: fc.constantFrom(...IDS),
    g: fc.constantFrom(...GROUPS),
    slot: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    boom: fc.constantFrom(undefined, undefined, undefined, 'always' as const, 'onRemove' as const),
  })
  .map((r) => {
    const row: Row = { id: r.id, g: r.g, n: 0 };
    if (r.slot !== undefined) row.slot = r.slot;
    if (r.boom !== undefined) row.boom = r.boom;
    return row;
  });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('insert' as const), row: rowArb, hostile: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('delete' as const), id: fc.constantFrom(...IDS), hostile: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteThenInsert' as const), row: rowArb }) },
  { weight: 1, arbitrary: fc.constant({ op: 'deleteAll' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'snapshot' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'secondWriterSameTable' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('writeOtherTable' as const), row: rowArb }) },
);

const txnArb = fc.record({ ops: fc.array(opArb, { maxLength: 14 }), abort: fc.boolean() });

type Model = Map<string, Row>;

const byId = (a: Row, b: Row) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** What a read of `t` must answer, for a model. */
function check(r: ReadTxn, t: Table<Row>, model: Model, what: string): void {
  const rows = [...model.values()].sort(byId);
  assert.deepEqual(r.all(t), rows, `${what}: all`);
  assert.equal(r.count(t), rows.length, `${what}: count`);
  for (const id of IDS) assert.equal(r.get(t, id), model.get(id), `${what}: get ${id}`);
  for (const g of GROUPS) {
    assert.deepEqual(
      r.list(t, 'g', g),
      rows.filter((o) => o.g === g && o.boom !== 'always'),
      `${what}: group ${JSON.stringify(g)}`,
    );
  }
  for (let s = 0; s <= 3; s++) {
    assert.equal(
      r.first(t, 'slot', s),
      rows.find((o) => o.slot === s),
      `${what}: slot ${s}`,
    );
  }
}

/** Whether the model's rows may take `row` (its slot held by no other row). */
const slotFree = (model: Model, row: Row) =>
  row.slot === undefined || ![...model.values()].some((o) => o.id !== row.id && o.slot === row.slot);

/**
 * Applies `op` to the transaction and to `model` (the transaction's view); an operation that
 * must fail is expected to throw and to change neither.
 */
function apply(txn: WriteTxn, t: Table<Row>, model: Model, op: Op & { op: 'insert' | 'delete' }): void {
  if (op.op === 'insert') {
    const row = { ...op.row, n: ++counter };
    const old = model.get(row.id);
    const fails =
      row.boom === 'always' || (op.hostile && old?.boom === 'onRemove') || (op.hostile && row.boom === 'onRemove');
    hostile = op.hostile;
    try {
      // Keys are computed index by index: the unique slot is checked before the group key.
      if (!slotFree(model, row)) {
        assert.throws(
          () => txn.insert(t, row),
          (err: unknown) => err instanceof StateDBError && err.code === 'KLOOP_STATEDB_UNIQUE_VIOLATION',
        );
      } else if (fails) {
        assert.throws(() => txn.insert(t, row), /key function failed/);
      } else {
        assert.equal(txn.insert(t, row), old);
        model.set(row.id, row);
      }
    } finally {
      hostile = false;
    }
    return;
  }
  const old = model.get(op.id);
  hostile = op.hostile;
  try {
    if (op.hostile && old?.boom === 'onRemove') {
      assert.throws(() => txn.delete(t, op.id), /key function failed/);
    } else {
      assert.equal(txn.delete(t, op.id), old);
      model.delete(op.id);
    }
  } finally {
    hostile = false;
  }
}

const property = fc.asyncProperty(fc.array(txnArb, { maxLength: 12 }), async (txns) => {
  const { db, t, other } = makeDb();
  let model: Model = new Map();
  let otherModel: Model = new Map();
  const reads: Array<[ReadTxn, Model, number, string]> = [];
  const keep = (r: ReadTxn, m: Model, what: string) => reads.push([r, new Map(m), r.revision, what]);
  const changes = t.changes();
  const mirror = new Map<string, Row>();
  let mirrorRev = 0;
  // Watches of the group queries, renewed when they fire: a commit that changes a group's
  // answer must fire the watch taken before it.
  const watches = new Map<string, [Watch, readonly Row[]]>();
  const watchAll = () => {
    for (const g of GROUPS) {
      const w = watches.get(g);
      if (w === undefined || w[0].fired) {
        const q = db.read().query(t, 'g', g);
        watches.set(g, [q.watch, q.items]);
      }
    }
  };
  watchAll();
  for (const [ti, { ops, abort }] of txns.entries()) {
    keep(db.read(), model, `before txn ${ti}`);
    const txn = db.begin([t]);
    const next = new Map(model);
    let nextOther = otherModel;
    for (const [oi, op] of ops.entries()) {
      const at = `txn ${ti} op ${oi} (${op.op})`;
      switch (op.op) {
        case 'insert':
        case 'delete':
          apply(txn, t, next, op);
          break;
        case 'deleteThenInsert': {
          apply(txn, t, next, { op: 'delete', id: op.row.id, hostile: false });
          apply(txn, t, next, { op: 'insert', row: op.row, hostile: false });
          break;
        }
        case 'deleteAll':
          assert.equal(txn.deleteAll(t), next.size);
          next.clear();
          break;
        case 'snapshot':
          // Opened while the transaction is open: the last commit only.
          keep(db.read(), model, `read inside ${at}`);
          break;
        case 'secondWriterSameTable':
          assert.throws(
            () => db.begin([t]),
            (err: unknown) => err instanceof StateDBError && err.code === 'KLOOP_STATEDB_TABLE_LOCKED',
          );
          break;
        case 'writeOtherTable': {
          // Another table commits while this transaction is open; this one reads that table
          // as of its begin.
          const seenBefore = txn.all(other);
          const row = { ...op.row, boom: undefined, n: ++counter };
          delete row.boom;
          if (slotFree(nextOther, row)) {
            db.write([other], (w) => w.insert(other, row));
            nextOther = new Map(nextOther).set(row.id, row);
          }
          assert.deepEqual(txn.all(other), seenBefore, `${at}: the open transaction sees the other table as of begin`);
          break;
        }
      }
      check(txn, t, next, `inside ${at}`);
    }
    otherModel = nextOther;
    if (abort) {
      txn.abort();
    } else {
      txn.commit();
      model = next;
    }
    check(db.read(), t, model, `after txn ${ti}`);
    check(db.read(), other, otherModel, `other after txn ${ti}`);
    // The change iterator's mirror follows exactly: one batch per commit that changed the table.
    const rev = db.read().tableRevision(t);
    if (rev !== mirrorRev) {
      const batch = await changes.next();
      for (const c of batch.value ?? []) {
        if (c.deleted) mirror.delete(c.object.id);
        else mirror.set(c.object.id, c.object);
      }
      mirrorRev = rev;
    }
    assert.deepEqual([...mirror.values()].sort(byId), [...model.values()].sort(byId), `changes after txn ${ti}`);
    for (const [g, [w, items]] of watches) {
      const now = db.read().list(t, 'g', g);
      const changed = now.length !== items.length || now.some((o, i) => o !== items[i]);
      if (changed) assert.ok(w.fired, `txn ${ti}: group ${JSON.stringify(g)} changed and its watch did not fire`);
    }
    watchAll();
    for (const [r, m, rev, what] of reads) {
      assert.equal(r.revision, rev);
      check(r, t, m, `kept read ${what}, at txn ${ti}`);
    }
  }
  changes.close();
});

test('interleaved writers, readers, failures and aborts agree with Map models', async () => {
  await fc.assert(property, { numRuns: 80 });
  setNodeSize(4);
  try {
    await fc.assert(property, { numRuns: 80 });
  } finally {
    setNodeSize(32);
  }
});

test('a key function that throws mid-delete leaves the object in every index, its unique key still taken', () => {
  const { db, t } = makeDb();
  db.write([t], (txn) => txn.insert(t, { id: 'a', g: 'x', slot: 0, boom: 'onRemove', n: 1 }));
  db.write([t], (txn) => {
    hostile = true;
    try {
      assert.throws(() => txn.delete(t, 'a'), /key function failed/);
    } finally {
      hostile = false;
    }
    // The slot index is updated before the group index whose key function threw.
    assert.equal(txn.first(t, 'slot', 0)?.id, 'a');
    assert.throws(
      () => txn.insert(t, { id: 'b', g: 'y', slot: 0, n: 2 }),
      (err: unknown) => err instanceof StateDBError && err.code === 'KLOOP_STATEDB_UNIQUE_VIOLATION',
    );
    txn.insert(t, { id: 'c', g: 'y', n: 3 });
  });
  const r = db.read();
  assert.equal(r.first(t, 'slot', 0)?.id, 'a');
  assert.deepEqual(
    r.list(t, 'g', 'x').map((o) => o.id),
    ['a'],
  );
});
