// Write transactions: atomic multi-table commits, aborts, misuse across await, locks, names,
// initializers and the inspection views.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import fc from 'fast-check';
import { StateDB, StateDBError } from '../../src/statedb/index.js';

interface Svc {
  name: string;
  port: number;
}
interface Backend {
  id: string;
  svc: string;
}

function setup() {
  const db = new StateDB({ validate: true });
  const svcs = db.table<Svc>('services', { primary: (s) => s.name, indexes: { port: { key: (s) => s.port } } });
  const backends = db.table<Backend>('backends', {
    primary: (b) => b.id,
    indexes: { svc: { key: (b) => b.svc, unique: false } },
  });
  return { db, svcs, backends };
}

const code = (c: string) => (err: unknown) => err instanceof StateDBError && err.code === c;

test('a commit over several tables is atomic and a throw applies nothing', () => {
  const { db, svcs, backends } = setup();
  const before = db.read();
  db.write([svcs, backends], (txn) => {
    txn.insert(svcs, { name: 'web', port: 80 });
    txn.insert(backends, { id: 'b1', svc: 'web' });
    assert.equal(db.read().get(svcs, 'web'), undefined, 'invisible before commit');
    assert.equal(txn.get(svcs, 'web')?.port, 80, 'the txn reads its own writes');
  });
  const after = db.read();
  assert.equal(before.get(svcs, 'web'), undefined);
  assert.equal(after.get(svcs, 'web')?.port, 80);
  assert.equal(after.list(backends, 'svc', 'web').length, 1);
  assert.throws(
    () =>
      db.write([svcs, backends], (txn) => {
        txn.insert(backends, { id: 'b2', svc: 'web' });
        txn.delete(svcs, 'web');
        throw new Error('nope');
      }),
    /nope/,
  );
  assert.equal(db.read().revision, after.revision);
  assert.equal(db.read().get(svcs, 'web')?.port, 80);
  assert.equal(db.read().get(backends, 'b2'), undefined);
});

test('an async callback is refused and aborted', async () => {
  const { db, svcs } = setup();
  assert.throws(
    () =>
      db.write([svcs], async (txn) => {
        txn.insert(svcs, { name: 'a', port: 1 });
      }),
    code('KLOOP_STATEDB_TXN_ASYNC'),
  );
  assert.equal(db.read().get(svcs, 'a'), undefined);
  // The table is unlocked again.
  db.write([svcs], (txn) => txn.insert(svcs, { name: 'b', port: 2 }));
});

test('a transaction left open across an await is aborted and poisoned', async () => {
  const { db, svcs } = setup();
  const txn = db.begin([svcs]);
  txn.insert(svcs, { name: 'a', port: 1 });
  await Promise.resolve();
  assert.throws(() => txn.insert(svcs, { name: 'b', port: 2 }), code('KLOOP_STATEDB_TXN_ASYNC'));
  assert.throws(() => txn.commit(), code('KLOOP_STATEDB_TXN_ASYNC'));
  assert.equal(db.read().get(svcs, 'a'), undefined);
  assert.equal(db.describe().tables[0].locked, false);
});

test('locks: a locked table refuses a second writer, an unlocked one refuses writes', () => {
  const { db, svcs, backends } = setup();
  const txn = db.begin([svcs]);
  assert.throws(() => db.begin([svcs]), code('KLOOP_STATEDB_TABLE_LOCKED'));
  assert.throws(() => txn.insert(backends, { id: 'x', svc: 'y' }), code('KLOOP_STATEDB_TABLE_LOCKED'));
  // Disjoint tables may be written at once.
  db.write([backends], (t2) => t2.insert(backends, { id: 'x', svc: 'y' }));
  txn.commit();
  assert.throws(() => txn.insert(svcs, { name: 'late', port: 0 }), code('KLOOP_STATEDB_TXN_CLOSED'));
  txn.abort(); // harmless after commit
});

test('a unique violation leaves the transaction usable when caught', () => {
  const { db, svcs } = setup();
  db.write([svcs], (txn) => {
    txn.insert(svcs, { name: 'a', port: 80 });
    assert.throws(() => txn.insert(svcs, { name: 'b', port: 80 }), code('KLOOP_STATEDB_UNIQUE_VIOLATION'));
    txn.insert(svcs, { name: 'b', port: 81 });
  });
  assert.deepEqual(
    db
      .read()
      .all(svcs)
      .map((s) => s.port),
    [80, 81],
  );
});

test('names and keys are validated', () => {
  const db = new StateDB();
  assert.throws(() => db.table('Bad Name', { primary: () => 'x' }), code('KLOOP_STATEDB_INVALID_NAME'));
  assert.throws(
    () => db.table('ok', { primary: () => 'x', indexes: { primary: { key: () => 'y' } } }),
    code('KLOOP_STATEDB_INVALID_NAME'),
  );
  assert.throws(
    () => db.table('ok', { primary: () => 'x', indexes: { 'x y': { key: () => 'y' } } }),
    code('KLOOP_STATEDB_INVALID_NAME'),
  );
  const t = db.table<{ id: number }>('nums', { primary: (o) => o.id });
  assert.throws(() => db.table('nums', { primary: () => 'x' }), code('KLOOP_STATEDB_INVALID_NAME'));
  assert.throws(() => db.write([t], (txn) => txn.insert(t, { id: Number.NaN })), code('KLOOP_STATEDB_INVALID_KEY'));
  assert.throws(() => db.read().prefix(t, 'primary', 3), code('KLOOP_STATEDB_BAD_QUERY'));
  assert.throws(() => db.read().list(t, 'nope', 3), code('KLOOP_STATEDB_UNKNOWN_INDEX'));
  const other = new StateDB().table<{ id: number }>('nums', { primary: (o) => o.id });
  assert.throws(() => db.read().get(other, 1), code('KLOOP_STATEDB_UNKNOWN_TABLE'));
});

test('number keys order numerically, negatives and fractions included', () => {
  const db = new StateDB({ validate: true });
  const t = db.table<{ n: number }>('n', { primary: (o) => o.n });
  const ns = [3, -1, 0, 2.5, -1e9, 1e12, -0.25, Number.MAX_SAFE_INTEGER, Number.NEGATIVE_INFINITY];
  db.write([t], (txn) => {
    for (const n of ns) txn.insert(t, { n });
  });
  assert.deepEqual(
    db
      .read()
      .all(t)
      .map((o) => o.n),
    [...ns].sort((a, b) => a - b),
  );
  assert.deepEqual(
    db
      .read()
      .lowerBound(t, 'primary', 0)
      .map((o) => o.n),
    [0, 2.5, 3, 1e12, Number.MAX_SAFE_INTEGER],
  );
});

test('initializers: the table is initialised once every registered one is done', async () => {
  const { db, svcs } = setup();
  assert.equal(svcs.isInitialized(), true);
  const a = svcs.registerInitializer('reflector');
  const b = svcs.registerInitializer('reflector');
  let resolved = false;
  const p = svcs.initialized.then(() => {
    resolved = true;
  });
  assert.deepEqual(db.describe().tables[0].pendingInitializers, ['reflector', 'reflector#2']);
  a();
  await Promise.resolve();
  assert.equal(resolved, false);
  b();
  await p;
  assert.equal(svcs.isInitialized(), true);
  assert.throws(() => b(), code('KLOOP_STATEDB_INITIALIZER'));
});

test('describe and dump show the tables', () => {
  const { db, svcs, backends } = setup();
  db.write([svcs, backends], (txn) => {
    txn.insert(svcs, { name: 'web', port: 80 });
    txn.insert(backends, { id: 'b1', svc: 'web' });
    txn.insert(backends, { id: 'b2', svc: 'web' });
  });
  const d = db.describe();
  assert.equal(d.revision, db.read().revision);
  const b = d.tables.find((x) => x.name === 'backends')!;
  assert.equal(b.size, 2);
  assert.deepEqual(b.indexes, [
    { name: 'primary', unique: true, size: 2 },
    { name: 'svc', unique: false, size: 2 },
  ]);
  const dump = JSON.parse(JSON.stringify(db.dump(backends)));
  assert.equal(dump.name, 'backends');
  assert.deepEqual(
    dump.objects.map((o: { object: Backend }) => o.object.id),
    ['b1', 'b2'],
  );
  assert.ok(dump.objects.every((o: { revision: number }) => o.revision > 0));
  assert.equal(db.tableByName('backends'), backends);
});

test('modify merges with the old object; compare-and-swap checks the revision', () => {
  const { db, svcs } = setup();
  db.write([svcs], (txn) => txn.insert(svcs, { name: 'web', port: 80 }));
  const rev = db.read().getRevisioned(svcs, 'web')!.revision;
  db.write([svcs], (txn) => {
    txn.modify(svcs, { name: 'web', port: 0 }, (old, o) => ({ ...o, port: old.port + 1 }));
    const stale = txn.compareAndSwap(svcs, rev, { name: 'web', port: 1 });
    assert.equal(stale.ok, false);
    if (!stale.ok) assert.equal(stale.reason, 'revision-mismatch');
    const cur = txn.getRevisioned(svcs, 'web')!;
    assert.equal(txn.compareAndSwap(svcs, cur.revision, { name: 'web', port: 90 }).ok, true);
    const missing = txn.compareAndDelete(svcs, 1, 'nope');
    assert.equal(missing.ok, false);
  });
  assert.equal(db.read().get(svcs, 'web')?.port, 90);
});

test('with validation on, stored objects are frozen so mutation throws', () => {
  const db = new StateDB({ validate: true });
  const t = db.table<{ id: string; tags: string[] }>('frozen', { primary: (o) => o.id });
  db.write([t], (txn) => txn.insert(t, { id: 'a', tags: ['x'] }));
  const got = db.read().get(t, 'a')!;
  assert.throws(() => {
    got.tags.push('y');
  }, TypeError);
  const loose = new StateDB({ validate: false });
  const u = loose.table<{ id: string }>('loose', { primary: (o) => o.id });
  const obj = { id: 'a' };
  loose.write([u], (txn) => txn.insert(u, obj));
  assert.equal(Object.isFrozen(obj), false, 'production mode does not pay for freezing');
});

test('every snapshot sees both tables of a multi-table commit or neither, across interleavings', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat(3), { minLength: 1, maxLength: 20 }), fc.nat(3), async (waits, readerPace) => {
      const { db, svcs, backends } = setup();
      let stop = false;
      const reader = (async () => {
        let snapshots = 0;
        while (!stop) {
          const snap = db.read();
          const s = snap.get(svcs, 'web');
          const b = snap.get(backends, 'b');
          assert.equal(s?.port, b === undefined ? undefined : Number(b.svc), 'torn read across tables');
          snapshots++;
          for (let i = 0; i < readerPace; i++) await tick();
          if (readerPace === 0) await tick();
        }
        return snapshots;
      })();
      let n = 0;
      for (const w of waits) {
        n++;
        db.write([svcs, backends], (txn) => {
          txn.insert(svcs, { name: 'web', port: n });
          txn.insert(backends, { id: 'b', svc: String(n) });
        });
        for (let i = 0; i < w; i++) await tick();
      }
      stop = true;
      assert.ok((await reader) > 0);
    }),
    { numRuns: 40 },
  );
});

test('a write transaction reads the tables it did not lock as of its start', () => {
  const db = new StateDB({ validate: true });
  const a = db.table<{ id: string }>('a', { primary: (o) => o.id });
  const b = db.table<{ id: string }>('b', { primary: (o) => o.id });
  const txn = db.begin([a]);
  assert.equal(txn.count(b), 0);
  db.write([b], (w) => w.insert(b, { id: 'x' }));
  assert.equal(txn.count(b), 0, 'another commit must not show through an open transaction');
  assert.equal(txn.get(b, 'x'), undefined);
  txn.insert(a, { id: 'y' });
  txn.commit();
  assert.equal(db.read().count(a), 1);
  assert.equal(db.read().count(b), 1);
});
