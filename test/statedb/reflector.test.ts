// The reflector mirrors an informer into a table in batched transactions, through relist-style
// diffs, and marks the table initialised after the first sync. The informer here is a fake that
// keeps the `InformerReader` contract; the test against the real informer is an integration test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import fc from 'fast-check';
import type { InformerEvent, InformerReader } from '../../src/cache/types.js';
import { ManualClock } from '../../src/core/clock.js';
import type { KubeObject, ObjectKey } from '../../src/core/types.js';
import { StateDB, startReflector } from '../../src/statedb/index.js';

interface CM extends KubeObject {
  data?: Record<string, string>;
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** An in-memory informer: add/update/delete emit events; relist emits the diff to a new list. */
class FakeInformer implements InformerReader<CM> {
  readonly type = { apiVersion: 'v1', kind: 'ConfigMap' };
  readonly store = new Map<string, CM>();
  private handlers: Array<(ev: InformerEvent<CM>) => void> = [];
  private resolveSynced!: () => void;
  readonly synced = new Promise<void>((r) => {
    this.resolveSynced = r;
  });
  private isSynced = false;
  lastSyncResourceVersion: string | undefined = undefined;

  get(key: ObjectKey): CM | undefined {
    return this.store.get(`${key.namespace ?? ''}/${key.name}`);
  }
  list(): CM[] {
    return [...this.store.values()];
  }
  hasSynced(): boolean {
    return this.isSynced;
  }
  subscribe(handler: (ev: InformerEvent<CM>) => void, options?: { replay?: boolean }): () => void {
    if (options?.replay !== false) {
      for (const o of this.store.values()) handler({ type: 'added', object: o, initial: true });
    }
    this.handlers.push(handler);
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }
  subscribers(): number {
    return this.handlers.length;
  }
  private emit(ev: InformerEvent<CM>): void {
    for (const h of this.handlers) h(ev);
  }
  upsert(o: CM, initial = false): void {
    const old = this.store.get(keyOf(o));
    this.store.set(keyOf(o), o);
    this.emit(old ? { type: 'updated', object: o, oldObject: old, initial } : { type: 'added', object: o, initial });
  }
  remove(key: string): void {
    const old = this.store.get(key);
    if (!old) return;
    this.store.delete(key);
    this.emit({ type: 'deleted', object: old, oldObject: old, initial: false });
  }
  /** What a relist after 410 does: replace the store, emitting only the differences. */
  relist(objs: CM[]): void {
    const next = new Map(objs.map((o) => [keyOf(o), o]));
    for (const k of [...this.store.keys()]) if (!next.has(k)) this.remove(k);
    for (const o of objs) {
      const old = this.store.get(keyOf(o));
      if (old === undefined || JSON.stringify(old) !== JSON.stringify(o)) this.upsert(o);
    }
  }
  markSynced(): void {
    this.isSynced = true;
    this.resolveSynced();
  }
}

interface Row {
  key: string;
  value: string;
}

const cm = (name: string, value: string, ns = 'default'): CM => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data: { value },
});

function setup() {
  const db = new StateDB({ validate: true });
  const rows = db.table<Row>('configs', {
    primary: (r) => r.key,
    indexes: { value: { key: (r) => r.value, unique: false } },
  });
  const informer = new FakeInformer();
  return { db, rows, informer };
}

const transform = (o: CM): Row | undefined =>
  o.data?.value === 'skip' ? undefined : { key: keyOf(o), value: o.data?.value ?? '' };

test('mirrors adds, updates and deletes, one transaction per burst', async () => {
  const { db, rows, informer } = setup();
  informer.upsert(cm('a', '1'), true);
  const r = startReflector({ db, table: rows, informer, transform });
  assert.equal(rows.isInitialized(), false);
  informer.upsert(cm('b', '2'), true);
  informer.markSynced();
  await r.initialized;
  assert.equal(rows.isInitialized(), true);
  assert.deepEqual(db.describe().tables[0].pendingInitializers, []);
  assert.deepEqual(
    db
      .read()
      .all(rows)
      .map((x) => x.key),
    ['default/a', 'default/b'],
  );
  const before = r.stats().transactions;
  informer.upsert(cm('a', '10'));
  informer.upsert(cm('c', '3'));
  informer.remove('default/b');
  await tick();
  assert.equal(r.stats().transactions, before + 1, 'one burst, one commit');
  assert.equal(r.stats().lastBatchSize, 3);
  assert.deepEqual(db.read().all(rows), [
    { key: 'default/a', value: '10' },
    { key: 'default/c', value: '3' },
  ]);
  // A transform that drops an object removes the row an earlier version made.
  informer.upsert(cm('a', 'skip'));
  await tick();
  assert.equal(db.read().get(rows, 'default/a'), undefined);
  r.stop();
  assert.equal(informer.subscribers(), 0);
});

test('the table follows the informer through random events and relists', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.tuple(
            fc.constant('upsert' as const),
            fc.constantFrom('a', 'b', 'c', 'd'),
            fc.constantFrom('1', '2', 'skip'),
          ),
          fc.tuple(fc.constant('remove' as const), fc.constantFrom('a', 'b', 'c', 'd'), fc.constant('')),
          fc.tuple(
            fc.constant('relist' as const),
            fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e')).map((ks) => ks.join('')),
            fc.constantFrom('1', '3'),
          ),
        ),
        { maxLength: 30 },
      ),
      fc.boolean(),
      async (ops, delayed) => {
        const { db, rows, informer } = setup();
        const clock = new ManualClock();
        informer.upsert(cm('z', '0'), true);
        informer.markSynced();
        const r = startReflector({
          db,
          table: rows,
          informer,
          transform,
          clock,
          batchDelayMs: delayed ? 5 : 0,
          batchSize: 3,
        });
        await r.initialized;
        for (const [op, k, v] of ops) {
          if (op === 'upsert') informer.upsert(cm(k, v));
          else if (op === 'remove') informer.remove(`default/${k}`);
          else informer.relist([...k].map((name) => cm(name, v)));
          if (k.length % 2 === 0) {
            clock.advance(5);
            await tick();
          }
        }
        clock.advance(5);
        await tick();
        const expected = informer
          .list()
          .map(transform)
          .filter((x): x is Row => x !== undefined)
          .sort((a, b) => (a.key < b.key ? -1 : 1));
        assert.deepEqual(db.read().all(rows), expected);
        r.stop();
        assert.equal(clock.pendingTimers(), 0);
      },
    ),
    { numRuns: 100 },
  );
});

test('rows the informer does not hold are removed at the first sync', async () => {
  const { db, rows, informer } = setup();
  db.write([rows], (txn) => txn.insert(rows, { key: 'default/gone', value: 'x' }));
  informer.upsert(cm('kept', '1'), true);
  informer.markSynced();
  const r = startReflector({ db, table: rows, informer, transform });
  await r.initialized;
  assert.deepEqual(
    db
      .read()
      .all(rows)
      .map((x) => x.key),
    ['default/kept'],
  );
  r.stop();
});

test('a failing transform skips that object and reports it', async () => {
  const { db, rows, informer } = setup();
  informer.markSynced();
  const errors: unknown[] = [];
  const r = startReflector({
    db,
    table: rows,
    informer,
    transform: (o) => {
      if (o.metadata.name === 'bad') throw new Error('cannot transform');
      return transform(o);
    },
    onError: (err) => errors.push(err),
  });
  await r.initialized;
  informer.upsert(cm('bad', '1'));
  informer.upsert(cm('good', '1'));
  await tick();
  assert.deepEqual(
    db
      .read()
      .all(rows)
      .map((x) => x.key),
    ['default/good'],
  );
  assert.equal(errors.length, 1);
  assert.equal(r.stats().errors, 1);
  r.stop();
});

test('stop through the signal unsubscribes', async () => {
  const { db, rows, informer } = setup();
  const ac = new AbortController();
  startReflector({ db, table: rows, informer, signal: ac.signal, transform });
  assert.equal(informer.subscribers(), 1);
  ac.abort();
  assert.equal(informer.subscribers(), 0);
  informer.markSynced();
  await tick();
  assert.equal(rows.isInitialized(), false, 'a stopped reflector never initialises the table');
});

test('an update whose old object failed to transform still writes the new row', async () => {
  const { db, rows, informer } = setup();
  informer.markSynced();
  const errors: unknown[] = [];
  const r = startReflector({
    db,
    table: rows,
    informer,
    transform: (o) => {
      if (o.data?.value === 'broken') throw new Error('cannot transform');
      return transform(o);
    },
    onError: (err) => errors.push(err),
  });
  await r.initialized;
  informer.upsert(cm('a', 'broken'));
  await tick();
  assert.equal(errors.length, 1);
  // The object is fixed: its old version still fails to transform, which must not drop the new one.
  informer.upsert(cm('a', 'fixed'));
  await tick();
  assert.deepEqual(db.read().all(rows), [{ key: 'default/a', value: 'fixed' }]);
  assert.equal(errors.length, 1, 'the old version was already reported once');
  r.stop();
});

test('a batch that meets a table locked by an open transaction is retried, not thrown', async () => {
  const { db, rows, informer } = setup();
  informer.markSynced();
  const r = startReflector({ db, table: rows, informer, transform });
  await r.initialized;
  // The event's flush microtask is queued before the transaction's guard: it finds the table
  // locked. It must neither throw out of the microtask nor lose the event.
  informer.upsert(cm('a', '1'));
  const txn = db.begin([rows]);
  await tick();
  assert.throws(() => txn.insert(rows, { key: 'x', value: 'y' }), { code: 'KLOOP_STATEDB_TXN_ASYNC' });
  assert.deepEqual(db.read().all(rows), [{ key: 'default/a', value: '1' }]);
  r.stop();
});

test('the first sync waits out a table locked by an open transaction, then initialises it', async () => {
  const { db, rows, informer } = setup();
  db.write([rows], (txn) => txn.insert(rows, { key: 'default/stale', value: 'x' }));
  informer.upsert(cm('a', '1'), true);
  const r = startReflector({ db, table: rows, informer, transform });
  await tick();
  informer.markSynced();
  // The sync callback runs in a microtask after this one: the table is locked then.
  const txn = db.begin([rows]);
  await r.initialized;
  assert.throws(() => txn.insert(rows, { key: 'x', value: 'y' }), { code: 'KLOOP_STATEDB_TXN_ASYNC' });
  assert.equal(rows.isInitialized(), true);
  assert.deepEqual(db.read().all(rows), [{ key: 'default/a', value: '1' }]);
  r.stop();
});
