// Change iterators: every insert and delete seen exactly once, in revision order, across
// interleaved writers; the graveyard keeps deletes only while an iterator needs them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { type Change, StateDB, type Table } from '../../src/statedb/index.js';
import { eventually } from '../support/index.js';

interface Row {
  id: string;
  v: number;
}

function rows(): { db: StateDB; t: Table<Row> } {
  const db = new StateDB({ validate: true });
  const t = db.table<Row>('rows', { primary: (r) => r.id });
  return { db, t };
}

test('the first batch holds every object, later batches the changes with deletes', async () => {
  const { db, t } = rows();
  db.write([t], (txn) => {
    txn.insert(t, { id: 'a', v: 1 });
    txn.insert(t, { id: 'b', v: 1 });
  });
  const ac = new AbortController();
  const it = t.changes({ signal: ac.signal });
  const first = await it.next();
  assert.deepEqual(
    first.value?.map((c) => [c.object.id, c.deleted]),
    [
      ['a', false],
      ['b', false],
    ],
  );
  db.write([t], (txn) => {
    txn.delete(t, 'a');
    txn.insert(t, { id: 'c', v: 1 });
  });
  assert.equal(db.describe().tables[0].graveyard, 1);
  const second = await it.next();
  assert.deepEqual(
    second.value?.map((c) => [c.object.id, c.deleted]),
    [
      ['a', true],
      ['c', false],
    ],
  );
  // Seen by the only iterator: the next write drops it from the graveyard.
  db.write([t], (txn) => txn.insert(t, { id: 'd', v: 1 }));
  assert.equal(db.describe().tables[0].graveyard, 0);
  const pending = it.next();
  ac.abort();
  await it.next();
  assert.equal((await pending).done, false, 'd was already committed');
  assert.equal((await it.next()).done, true);
  assert.equal(db.describe().tables[0].deleteTrackers, 0);
});

test('a waiting iterator ends when its signal aborts', async () => {
  const { t } = rows();
  const ac = new AbortController();
  const it = t.changes({ signal: ac.signal });
  const waiting = it.next(); // empty table: nothing to hand out yet
  ac.abort();
  assert.equal((await waiting).done, true);
});

test('iterators see every change once, in order, across interleaved writers', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.boolean(), fc.nat(3)), { maxLength: 12 }),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
      fc.array(fc.nat(3), { minLength: 1, maxLength: 3 }),
      async (writers, paces) => {
        const { db, t } = rows();
        db.write([t], (txn) => txn.insert(t, { id: 'a', v: -1 }));
        const ac = new AbortController();
        const consumers = paces.map(async (pace) => {
          const mirror = new Map<string, Row>();
          let last = 0;
          let seenRev = 0;
          for await (const batch of t.changes({ signal: ac.signal })) {
            for (const c of batch) {
              assert.ok(c.revision > last, 'revisions strictly increase');
              last = c.revision;
              if (c.deleted) mirror.delete(c.object.id);
              else mirror.set(c.object.id, c.object);
            }
            seenRev = last;
            for (let i = 0; i < pace; i++) await tick();
            if (done && seenRev >= db.read().tableRevision(t)) break;
          }
          return mirror;
        });
        let done = false;
        let counter = 0;
        await Promise.all(
          writers.map(async (ops) => {
            for (const [id, del, wait] of ops) {
              db.write([t], (txn) => {
                if (del) txn.delete(t, id);
                else txn.insert(t, { id, v: counter++ });
              });
              for (let i = 0; i < wait; i++) await tick();
            }
          }),
        );
        done = true;
        // Wake consumers parked on an empty table change.
        db.write([t], (txn) => txn.insert(t, { id: 'zz-end', v: counter++ }));
        const mirrors = await Promise.all(consumers);
        ac.abort();
        const truth = new Map(
          db
            .read()
            .all(t)
            .map((r) => [r.id, r]),
        );
        for (const m of mirrors) assert.deepEqual(m, truth);
        assert.equal(db.describe().tables[0].deleteTrackers, 0);
      },
    ),
    { numRuns: 60 },
  );
});

test('drained after each commit, an iterator sees exactly the changed keys', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.boolean()), { maxLength: 5 }), {
        maxLength: 15,
      }),
      async (txns) => {
        const { db, t } = rows();
        const it = t.changes();
        const model = new Map<string, number>();
        let counter = 0;
        for (const ops of txns) {
          const before = new Map(model);
          const revBefore = db.read().tableRevision(t);
          db.write([t], (txn) => {
            for (const [id, del] of ops) {
              if (del) {
                txn.delete(t, id);
                model.delete(id);
              } else {
                txn.insert(t, { id, v: ++counter });
                model.set(id, counter);
              }
            }
          });
          const expected = new Map<string, boolean>();
          for (const id of new Set([...before.keys(), ...model.keys()])) {
            if (before.get(id) !== model.get(id)) expected.set(id, !model.has(id));
          }
          if (db.read().tableRevision(t) === revBefore) {
            assert.equal(expected.size, 0);
            continue;
          }
          const next = await it.next();
          assert.equal(next.done, false);
          const seen = new Map<string, Change<Row>>();
          for (const c of next.value ?? []) {
            assert.ok(!seen.has(c.object.id), `key ${c.object.id} twice in one batch`);
            seen.set(c.object.id, c);
          }
          for (const [id, deleted] of expected) {
            assert.equal(seen.get(id)?.deleted, deleted, `key ${id}`);
            if (!deleted) assert.equal(seen.get(id)?.object.v, model.get(id));
          }
          // A key created and deleted inside one transaction shows as a delete only.
          for (const [id, c] of seen) {
            if (!expected.has(id)) assert.ok(c.deleted && !before.has(id) && !model.has(id), `unexpected ${id}`);
          }
        }
        it.close();
      },
    ),
    { numRuns: 80 },
  );
});

test('no graveyard is kept when no iterator is open', () => {
  const { db, t } = rows();
  db.write([t], (txn) => txn.insert(t, { id: 'a', v: 1 }));
  db.write([t], (txn) => txn.delete(t, 'a'));
  assert.equal(db.describe().tables[0].graveyard, 0);
  const it = t.changes();
  db.write([t], (txn) => txn.insert(t, { id: 'a', v: 1 }));
  db.write([t], (txn) => txn.delete(t, 'a'));
  assert.equal(db.describe().tables[0].graveyard, 1);
  it.close();
  db.write([t], (txn) => txn.insert(t, { id: 'b', v: 1 }));
  assert.equal(db.describe().tables[0].graveyard, 0);
});

test('an iterator created while a write transaction is open sees that transaction', async () => {
  const { db, t } = rows();
  db.write([t], (txn) => txn.insert(t, { id: 'before', v: 0 }));
  let it: ReturnType<typeof t.changes> | undefined;
  db.write([t], (txn) => {
    txn.insert(t, { id: 'during', v: 1 });
    it = t.changes(); // the revision index is built now, and again for this transaction's commit
    txn.insert(t, { id: 'after', v: 2 });
  });
  const first = await it!.next();
  assert.deepEqual(first.value?.map((c) => c.object.id).sort(), ['after', 'before', 'during']);
  it!.close();
});

test('closing the last iterator empties the graveyard without waiting for a write', () => {
  const { db, t } = rows();
  db.write([t], (txn) => txn.insert(t, { id: 'a', v: 1 }));
  const it = t.changes();
  db.write([t], (txn) => txn.delete(t, 'a'));
  assert.equal(db.describe().tables[0].graveyard, 1);
  const rev = db.revision;
  it.close();
  assert.equal(db.describe().tables[0].graveyard, 0);
  assert.equal(db.revision, rev, 'dropping the graveyard is not a change');
});

test('closing one iterator drops the deletes only it was holding', async () => {
  const { db, t } = rows();
  db.write([t], (txn) => txn.insert(t, { id: 'a', v: 1 }));
  const seen = t.changes();
  const lagging = t.changes();
  await seen.next();
  db.write([t], (txn) => txn.delete(t, 'a'));
  const batch = await seen.next();
  assert.deepEqual(
    batch.value?.map((c) => [c.object.id, c.deleted]),
    [['a', true]],
  );
  assert.equal(db.describe().tables[0].graveyard, 1, 'the lagging iterator still needs it');
  lagging.close();
  assert.equal(db.describe().tables[0].graveyard, 0);
  seen.close();
});

test('an abandoned iterator is released when garbage-collected, so the graveyard stops growing', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const { db, t } = rows();
  (() => {
    t.changes(); // dropped without close()
  })();
  assert.equal(db.describe().tables[0].deleteTrackers, 1);
  db.write([t], (txn) => txn.insert(t, { id: 'a', v: 1 }));
  db.write([t], (txn) => txn.delete(t, 'a'));
  assert.equal(db.describe().tables[0].graveyard, 1);
  // Collection is up to V8: collect until the dropped iterator's finalizer has run.
  await eventually(
    () => {
      gc();
      return db.describe().tables[0].deleteTrackers === 0;
    },
    { message: 'the dropped iterator to be collected', interval: 1 },
  );
  assert.equal(db.describe().tables[0].graveyard, 0);
});

test('concurrent next() calls are handed successive batches, never the same one twice', async () => {
  const { db, t } = rows();
  const it = t.changes();
  const first = it.next();
  const second = it.next();
  const third = it.next();
  db.write([t], (txn) => txn.insert(t, { id: 'a', v: 1 }));
  assert.deepEqual(
    (await first).value?.map((c) => c.object.id),
    ['a'],
  );
  let settled = false;
  void second.then(() => {
    settled = true;
  });
  await tick();
  assert.equal(settled, false, 'the second call waits for a later commit');
  db.write([t], (txn) => txn.insert(t, { id: 'b', v: 1 }));
  assert.deepEqual(
    (await second).value?.map((c) => c.object.id),
    ['b'],
  );
  db.write([t], (txn) => txn.delete(t, 'a'));
  assert.deepEqual(
    (await third).value?.map((c) => [c.object.id, c.deleted]),
    [['a', true]],
  );
  it.close();
});
