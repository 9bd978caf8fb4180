// Watches: fire for every change that alters a query's result, never for a change that touches
// nothing the query covers; Promise and callback forms; missing keys; late registration.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Query, type ReadTxn, StateDB, StateDBError, type Table } from '../../src/statedb/index.js';
import { applyDb, applyModel, groups, ids, makeDb, type Obj, txnArb } from './fixtures.js';

interface Probe {
  query: Query;
  covers: (o: Obj) => boolean;
}

const probes: Probe[] = [
  ...ids.map((id) => ({ query: { key: id }, covers: (o: Obj) => o.id === id })),
  ...groups.map((g) => ({ query: { index: 'group', key: g }, covers: (o: Obj) => o.group === g })),
  ...['g', 'h', 'x'].map((p) => ({ query: { index: 'group', prefix: p }, covers: (o: Obj) => o.group.startsWith(p) })),
  ...['a', 'c'].map((p) => ({ query: { prefix: p }, covers: (o: Obj) => o.id.startsWith(p) })),
  ...[-1, 0, 1].map((n) => ({ query: { index: 'num', lowerBound: n }, covers: (o: Obj) => o.num >= n })),
  ...[0, 3].map((s) => ({ query: { index: 'slot', key: s }, covers: (o: Obj) => o.slot === s })),
  ...['g', ''].map((g) => ({
    query: { index: 'pair', prefix: [g, ''] },
    covers: (o: Obj) => o.group === g,
  })),
  { query: { all: true }, covers: () => true },
];

function seed(db: StateDB, t: Table<Obj>, txns: { ops: Parameters<typeof applyDb>[2][] }[]): void {
  for (const { ops } of txns) {
    try {
      db.write([t], (txn) => {
        for (const op of ops) applyDb(txn, t, op);
      });
    } catch (err) {
      if (!(err instanceof StateDBError)) throw err;
    }
  }
}

test('watches fire exactly for the queries a commit may change', () => {
  fc.assert(
    fc.property(fc.array(txnArb, { maxLength: 8 }), txnArb, (setup, { ops }) => {
      const { db, t } = makeDb();
      seed(db, t, setup);
      const snap = db.read();
      const before = probes.map((p) => snap.query(t, p.query));
      const watches = before.map((r) => r.watch);
      // Versions of every object the transaction touched, before, between and after its ops.
      const model = new Map(snap.all(t).map((o) => [o.id, o]));
      const touched: Obj[] = [];
      let committed = false;
      try {
        db.write([t], (txn) => {
          for (const op of ops) {
            const prev = new Map(model);
            const cur = txn.getRevisioned(t, 'id' in op ? op.id : 'obj' in op ? op.obj.id : '');
            const revOk = op.op === 'cas' || op.op === 'cad' ? op.right && cur !== undefined : true;
            if (applyModel(model, op, revOk) === 'violation') throw new Error('violation');
            applyDb(txn, t, op);
            for (const id of new Set([...prev.keys(), ...model.keys()])) {
              const a = prev.get(id);
              const b = model.get(id);
              if (a === b) continue;
              if (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b)) continue;
              if (a !== undefined) touched.push(a);
              if (b !== undefined) touched.push(b);
            }
          }
        });
        committed = true;
      } catch {
        committed = false;
      }
      const after = db.read();
      probes.forEach((p, i) => {
        const now = after.query(t, p.query).items;
        const changed = JSON.stringify(now) !== JSON.stringify(before[i].items);
        if (changed) assert.ok(watches[i].fired, `changed result must fire: ${JSON.stringify(p.query)}`);
        const relevant = committed && touched.some(p.covers);
        if (!relevant) assert.ok(!watches[i].fired, `unrelated change must not fire: ${JSON.stringify(p.query)}`);
      });
      for (const w of watches) w.cancel();
      assert.equal(db.describe().tables[0].watches, 0, 'cancelled and fired watches leave the registry');
    }),
    { numRuns: 150 },
  );
});

test('a watch on a missing key fires when the key appears, in both forms', async () => {
  const db = new StateDB();
  const t = db.table<{ id: string; v: number }>('kv', { primary: (o) => o.id });
  db.write([t], (txn) => txn.insert(t, { id: 'other', v: 0 }));
  const res = db.read().query(t, { key: 'missing' });
  assert.deepEqual(res.items, []);
  let calls = 0;
  res.watch.onFire(() => calls++);
  db.write([t], (txn) => txn.insert(t, { id: 'other', v: 1 }));
  assert.equal(res.watch.fired, false);
  db.write([t], (txn) => txn.insert(t, { id: 'missing', v: 1 }));
  assert.equal(res.watch.fired, true);
  assert.equal(calls, 1);
  await res.watch.promise;
  assert.equal(await res.watch.wait(), true);
});

test('watches are allocated only when asked for', () => {
  const db = new StateDB();
  const t = db.table<{ id: string }>('kv', { primary: (o) => o.id });
  const snap = db.read();
  for (let i = 0; i < 10; i++) snap.query(t, { key: `k${i}` });
  assert.equal(db.describe().tables[0].watches, 0);
  void snap.query(t, { key: 'k1' }).watch;
  assert.equal(db.describe().tables[0].watches, 1);
});

test('a watch asked for after the result changed fires at once', () => {
  const db = new StateDB();
  const t = db.table<{ id: string; v: number }>('kv', { primary: (o) => o.id });
  const stale = db.read().query(t, { key: 'a' });
  const unrelated = db.read().query(t, { key: 'b' });
  db.write([t], (txn) => txn.insert(t, { id: 'a', v: 1 }));
  assert.equal(stale.watch.fired, true);
  assert.equal(unrelated.watch.fired, false);
});

test('an equal insert fires nothing', () => {
  const db = new StateDB();
  const t = db.table<{ id: string; v: number }>('kv', { primary: (o) => o.id });
  db.write([t], (txn) => txn.insert(t, { id: 'a', v: 1 }));
  const w = db.read().query(t, { all: true }).watch;
  db.write([t], (txn) => txn.insert(t, { id: 'a', v: 1 }));
  assert.equal(w.fired, false);
  w.cancel();
});

test('wait() resolves false when its signal aborts, and a throwing callback does not break commit', async () => {
  const errors: unknown[] = [];
  const db = new StateDB({ onError: (e) => errors.push(e) });
  const t = db.table<{ id: string }>('kv', { primary: (o) => o.id });
  const w = db.read().query(t, { key: 'x' }).watch;
  const ac = new AbortController();
  const waiting = w.wait(ac.signal);
  ac.abort();
  assert.equal(await waiting, false);
  w.onFire(() => {
    throw new Error('boom');
  });
  db.write([t], (txn) => txn.insert(t, { id: 'x' }));
  assert.equal(db.read().get(t, 'x')?.id, 'x');
  assert.equal(errors.length, 1);
});

test('watch latency: a Promise watch resolves in the same tick as the commit', async () => {
  const db = new StateDB();
  const t = db.table<{ id: string }>('kv', { primary: (o) => o.id });
  const snap: ReadTxn = db.read();
  const w = snap.query(t, { key: 'x' }).watch;
  let resolved = false;
  const p = w.promise.then(() => {
    resolved = true;
  });
  db.write([t], (txn) => txn.insert(t, { id: 'x' }));
  assert.equal(w.fired, true, 'fired by the commit itself');
  // Resolved within the microtasks that follow the commit: no timer, no macrotask in between.
  // (Awaiting `p` alone would pass even if the watch fired a second later.)
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(resolved, true);
  await p;
  assert.equal(resolved, true);
});

test('a watch taken from a stale snapshot never misses a change (no lost wake-up)', () => {
  fc.assert(
    fc.property(
      fc.array(txnArb, { maxLength: 6 }),
      fc.array(txnArb, { maxLength: 4 }),
      txnArb,
      (setup, between, last) => {
        const { db, t } = makeDb();
        seed(db, t, setup);
        const stale = db.read();
        const results = probes.map((p) => stale.query(t, p.query));
        seed(db, t, between); // commits after the read, before anyone asks for the watches
        const watches = results.map((r) => r.watch);
        const mid = db.read();
        probes.forEach((p, i) => {
          const changed = JSON.stringify(mid.query(t, p.query).items) !== JSON.stringify(results[i].items);
          if (changed)
            assert.ok(watches[i].fired, `a change before the watch was taken must fire it: ${JSON.stringify(p.query)}`);
        });
        seed(db, t, [last]);
        const end = db.read();
        probes.forEach((p, i) => {
          const changed = JSON.stringify(end.query(t, p.query).items) !== JSON.stringify(results[i].items);
          if (changed) assert.ok(watches[i].fired, `a changed result must have fired: ${JSON.stringify(p.query)}`);
        });
        for (const w of watches) w.cancel();
        assert.equal(db.describe().tables[0].watches, 0);
      },
    ),
    { numRuns: 150 },
  );
});
