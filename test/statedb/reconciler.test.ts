// The table reconciler converges an external system to the table under injected failures,
// prunes only once the table is initialised, and reports its health.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { ManualClock } from '../../src/core/clock.js';
import {
  pendingStatus,
  type Reconciler,
  type ReconcileStatus,
  registerStateDBMetrics,
  StateDB,
  startReconciler,
  type Table,
} from '../../src/statedb/index.js';
import { advanceUntil } from '../support/index.js';

interface Route {
  prefix: string;
  via: string;
  status: ReconcileStatus;
}

function setup() {
  const db = new StateDB({ validate: true });
  const routes = db.table<Route>('routes', { primary: (r) => r.prefix });
  return { db, routes };
}

const statusAccess = {
  getStatus: (r: Route) => r.status,
  setStatus: (r: Route, status: ReconcileStatus) => ({ ...r, status }),
};

function converged(db: StateDB, routes: Table<Route>, external: Map<string, string>, r: Reconciler): boolean {
  const all = db.read().all(routes);
  if (all.length !== external.size) return false;
  for (const o of all) if (external.get(o.prefix) !== o.via || o.status.kind !== 'done') return false;
  return r.health().pending === 0;
}

test('the reconciler converges under injected failures', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.option(fc.constantFrom('x', 'y', 'z'))), {
        maxLength: 25,
      }),
      fc.integer({ min: 0, max: 60 }),
      fc.integer(),
      async (writes, failPercent, seed) => {
        const { db, routes } = setup();
        const clock = new ManualClock();
        const external = new Map<string, string>();
        let s = seed;
        const flaky = () => {
          s = (s * 1103515245 + 12345) & 0x7fffffff;
          if (s % 100 < failPercent) throw new Error('injected');
        };
        const r = startReconciler({
          db,
          table: routes,
          clock,
          retry: { minMs: 10, maxMs: 200 },
          pruneIntervalMs: 0,
          ...statusAccess,
          ops: {
            update: async (o) => {
              await tick();
              flaky();
              external.set(o.prefix, o.via);
            },
            delete: async (o) => {
              flaky();
              external.delete(o.prefix);
            },
          },
        });
        for (const [prefix, via] of writes) {
          db.write([routes], (txn) => {
            if (via === null) txn.delete(routes, prefix);
            else txn.insert(routes, { prefix, via, status: pendingStatus(clock.now()) });
          });
          await tick();
        }
        await advanceUntil(clock, () => converged(db, routes, external, r), {
          step: 50,
          message: 'the external system to converge',
        });
        assert.equal(r.health().level, 'ok');
        await r.stop();
        assert.equal(r.health().level, 'stopped');
        assert.equal(clock.pendingTimers(), 0, 'no timer left behind');
        assert.equal(db.describe().tables[0].deleteTrackers, 0);
      },
    ),
    { numRuns: 40 },
  );
});

test('failures are marked on the object and retried with backoff', async () => {
  const { db, routes } = setup();
  const clock = new ManualClock();
  const registry = new Registry();
  registerStateDBMetrics(db, registry);
  let fail = true;
  const calls: number[] = [];
  const r = startReconciler({
    db,
    table: routes,
    clock,
    registry,
    retry: { minMs: 100, maxMs: 1000 },
    pruneIntervalMs: 0,
    ...statusAccess,
    ops: {
      update: () => {
        calls.push(clock.now());
        if (fail) throw new Error('target down');
      },
      delete: () => {},
    },
  });
  db.write([routes], (txn) => txn.insert(routes, { prefix: 'p', via: 'v', status: pendingStatus() }));
  await advanceUntil(clock, () => calls.length >= 1 && db.read().get(routes, 'p')?.status.kind === 'error', {
    step: 1,
    message: 'the first failure recorded',
  });
  assert.equal(db.read().get(routes, 'p')?.status.error, 'target down');
  assert.equal(r.health().level, 'degraded');
  assert.equal(r.health().failing, 1);
  assert.match(r.health().lastError ?? '', /target down/);
  await advanceUntil(clock, () => calls.length >= 4, { step: 10, message: 'three retries' });
  // Backoff doubles: 100, 200, 400 ms between attempts.
  assert.deepEqual(
    calls.slice(1, 4).map((t, i) => t - calls[i]),
    [100, 200, 400],
  );
  fail = false;
  await advanceUntil(clock, () => db.read().get(routes, 'p')?.status.kind === 'done', { step: 50, message: 'p done' });
  assert.equal(r.health().level, 'ok');
  assert.ok(r.health().counts.retries >= 3);
  const text = await registry.metrics();
  assert.match(
    text,
    /kloop_statedb_reconcile_operations_total\{reconciler="routes",op="update",result="error"\} [3-9]/,
  );
  assert.match(text, /kloop_statedb_reconcile_operations_total\{reconciler="routes",op="update",result="ok"\} 1/);
  assert.match(text, /kloop_statedb_table_objects\{table="routes"\} 1/);
  await r.stop();
});

test('prune waits for initialisation, then runs periodically and on demand', async () => {
  const { db, routes } = setup();
  const clock = new ManualClock();
  const done = routes.registerInitializer('test');
  const external = new Map<string, string>([['junk', 'j']]);
  const prunes: number[] = [];
  const r = startReconciler({
    db,
    table: routes,
    clock,
    pruneIntervalMs: 1000,
    ...statusAccess,
    ops: {
      update: (o) => {
        external.set(o.prefix, o.via);
      },
      delete: (o) => {
        external.delete(o.prefix);
      },
      prune: (desired) => {
        prunes.push(clock.now());
        const keep = new Set(desired.map((d) => d.prefix));
        for (const k of [...external.keys()]) if (!keep.has(k)) external.delete(k);
      },
    },
  });
  db.write([routes], (txn) => txn.insert(routes, { prefix: 'a', via: 'x', status: pendingStatus() }));
  await advanceUntil(clock, () => external.has('a'), { step: 50, message: 'a pushed' });
  clock.advance(5000);
  await tick();
  assert.equal(prunes.length, 0, 'no prune before the table is initialised');
  assert.ok(external.has('junk'));
  done();
  await advanceUntil(clock, () => prunes.length === 1, { step: 1, message: 'the first prune' });
  assert.deepEqual([...external.keys()], ['a']);
  await advanceUntil(clock, () => prunes.length === 2, { step: 100, message: 'the second prune' });
  assert.ok(prunes[1] - prunes[0] >= 1000);
  r.prune();
  await advanceUntil(clock, () => prunes.length === 3, { step: 0, message: 'the prune on demand' });
  assert.equal(r.health().counts.prunes, 3);
  await r.stop();
});

test('batch operations report failures by position', async () => {
  const { db, routes } = setup();
  const clock = new ManualClock();
  const external = new Map<string, string>();
  let failB = true;
  const batches: number[] = [];
  const r = startReconciler({
    db,
    table: routes,
    clock,
    retry: { minMs: 10 },
    pruneIntervalMs: 0,
    ...statusAccess,
    ops: {
      update: () => assert.fail('the batch form is preferred'),
      delete: () => assert.fail('the batch form is preferred'),
      updateBatch: async (objs) => {
        batches.push(objs.length);
        const failures = new Map<number, unknown>();
        objs.forEach((o, i) => {
          if (o.prefix === 'b' && failB) failures.set(i, new Error('b refused'));
          else external.set(o.prefix, o.via);
        });
        failB = false;
        return failures;
      },
      deleteBatch: async (objs) => {
        for (const o of objs) external.delete(o.prefix);
        return undefined;
      },
    },
  });
  db.write([routes], (txn) => {
    for (const p of ['a', 'b', 'c']) txn.insert(routes, { prefix: p, via: 'v', status: pendingStatus() });
  });
  await advanceUntil(clock, () => converged(db, routes, external, r), {
    step: 50,
    message: 'the external system to converge',
  });
  assert.equal(batches[0], 3);
  assert.equal(r.health().counts.updateErrors, 1);
  db.write([routes], (txn) => txn.deleteAll(routes));
  await advanceUntil(clock, () => external.size === 0 && r.health().pending === 0, {
    step: 50,
    message: 'the deletes pushed',
  });
  await r.stop();
});

test('without a prune operation no timer is armed and the loop sleeps', async () => {
  const { db, routes } = setup();
  const clock = new ManualClock();
  let armed = 0;
  const counting = {
    now: () => clock.now(),
    setTimer: (fn: () => void, ms: number) => {
      armed++;
      return clock.setTimer(fn, ms);
    },
  };
  let statusCalls = 0;
  const r = startReconciler({
    db,
    table: routes,
    clock: counting,
    getStatus: (o) => o.status,
    setStatus: (o, status) => {
      // The first status write fails: it is retried with backoff like a failed operation.
      if (statusCalls++ === 0) throw new Error('setter failed');
      return { ...o, status };
    },
    ops: { update: () => {}, delete: () => {} },
  });
  db.write([routes], (txn) => txn.insert(routes, { prefix: 'a', via: 'x', status: pendingStatus() }));
  await advanceUntil(clock, () => db.read().get(routes, 'a')?.status.kind === 'done', { step: 100, message: 'a done' });
  const before = armed;
  for (let i = 0; i < 50; i++) await tick();
  assert.equal(armed, before, 'idle: no timer re-armed');
  assert.equal(clock.pendingTimers(), 0);
  await r.stop();
});

test('objects left in error by an earlier run are retried', async () => {
  const { db, routes } = setup();
  const clock = new ManualClock();
  const external = new Map<string, string>();
  db.write([routes], (txn) =>
    txn.insert(routes, { prefix: 'old', via: 'x', status: { kind: 'error', error: 'earlier run', updatedAt: 0 } }),
  );
  const r = startReconciler({
    db,
    table: routes,
    clock,
    retry: { minMs: 50 },
    ...statusAccess,
    ops: {
      update: (o) => {
        external.set(o.prefix, o.via);
      },
      delete: () => {},
    },
  });
  await advanceUntil(clock, () => db.read().get(routes, 'old')?.status.kind === 'done', {
    step: 25,
    message: 'old done',
  });
  assert.equal(external.get('old'), 'x');
  assert.ok(clock.now() >= 50, 'after the backoff');
  await r.stop();
});

test('a prune asked for while a prune runs is not lost', async () => {
  const { db, routes } = setup();
  const clock = new ManualClock();
  let release: () => void = () => {};
  let prunes = 0;
  const r = startReconciler({
    db,
    table: routes,
    clock,
    pruneIntervalMs: 0,
    ...statusAccess,
    ops: {
      update: () => {},
      delete: () => {},
      prune: () => {
        prunes++;
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    },
  });
  r.prune();
  await advanceUntil(clock, () => prunes === 1, { step: 50, message: 'the first prune' });
  r.prune(); // asked while the first prune is still running
  release();
  await advanceUntil(clock, () => prunes === 2, { step: 50, message: 'the second prune' });
  release();
  await r.stop();
});

test('an object rewritten while its update is in flight is pushed again with the new content', async () => {
  const { db, routes } = setup();
  const clock = new ManualClock();
  const pushed: string[] = [];
  let release: () => void = () => {};
  let calls = 0;
  const r = startReconciler({
    db,
    table: routes,
    clock,
    pruneIntervalMs: 0,
    ...statusAccess,
    ops: {
      update: (o) =>
        new Promise<void>((resolve) => {
          calls++;
          release = () => {
            pushed.push(o.via);
            resolve();
          };
        }),
      delete: () => {},
    },
  });
  db.write([routes], (txn) => txn.insert(routes, { prefix: 'p', via: 'old', status: pendingStatus() }));
  await advanceUntil(clock, () => calls === 1, { step: 50, message: 'the first call' });
  db.write([routes], (txn) => txn.insert(routes, { prefix: 'p', via: 'new', status: pendingStatus() }));
  release();
  await advanceUntil(clock, () => pushed.length === 1, { step: 50, message: 'the first push' });
  // The stale outcome must not mark the new object done.
  assert.equal(db.read().get(routes, 'p')?.status.kind, 'pending');
  await advanceUntil(clock, () => calls === 2, { step: 50, message: 'the second call' });
  release();
  assert.deepEqual(pushed, ['old', 'new']);
  await advanceUntil(clock, () => db.read().get(routes, 'p')?.status.kind === 'done' && r.health().pending === 0, {
    step: 50,
    message: 'p done, nothing pending',
  });
  await r.stop();
});

test('an initializer registered right after the reconciler starts still holds back the first prune', async () => {
  const { db, routes } = setup();
  const clock = new ManualClock();
  const external = new Map<string, string>([['kept', 'k']]);
  let prunes = 0;
  const r = startReconciler({
    db,
    table: routes,
    clock,
    pruneIntervalMs: 1000,
    ...statusAccess,
    ops: {
      update: (o) => {
        external.set(o.prefix, o.via);
      },
      delete: () => {},
      prune: (desired) => {
        prunes++;
        const keep = new Set(desired.map((d) => d.prefix));
        for (const k of [...external.keys()]) if (!keep.has(k)) external.delete(k);
      },
    },
  });
  // Typical start-up order: the reconciler first, then the reflector that fills the table.
  const done = routes.registerInitializer('reflector');
  for (let i = 0; i < 20; i++) await tick();
  assert.equal(prunes, 0, 'an empty, uninitialised table must not prune the target');
  assert.ok(external.has('kept'));
  db.write([routes], (txn) => txn.insert(routes, { prefix: 'kept', via: 'k', status: pendingStatus() }));
  done();
  await advanceUntil(clock, () => prunes === 1, { step: 50, message: 'the first prune' });
  assert.deepEqual([...external.keys()], ['kept']);
  await r.stop();
});
