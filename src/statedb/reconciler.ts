/**
 * The table reconciler (cilium/statedb's `reconciler` package): pushes the desired objects of a
 * table to an external system (a kernel map, a cloud API, a file) through user operations, and
 * records each object's outcome in the object itself.
 *
 * Protocol: a writer inserts an object with status `pending`. The reconciler follows the table's
 * change iterator, calls `update` for pending objects and `delete` for deleted ones, then writes
 * `done` or `error` back with a compare-and-swap on the revision it acted on, so an object changed
 * meanwhile is never marked with a stale outcome: its new revision is reconciled next.
 */
import type { Registry } from 'prom-client';
import { type CancelTimer, type Clock, systemClock } from '../core/index.js';
import { encodeKey } from './keys.js';
import { type ReconcilerMetrics, reconcilerMetrics } from './metrics.js';
import type { Change, ReadTxn, Table, WriteTxn } from './types.js';

/** Where an object stands with the external system. */
export interface ReconcileStatus {
  readonly kind: 'pending' | 'done' | 'error';
  /** The error message when `kind` is `error`. */
  readonly error?: string;
  /** Clock time of the last status change (ms). */
  readonly updatedAt: number;
}

/** A fresh `pending` status: insert objects with it to have them reconciled. */
export function pendingStatus(now = Date.now()): ReconcileStatus {
  return { kind: 'pending', updatedAt: now };
}

/** The user's side: how to apply an object to, and remove it from, the external system. */
export interface ReconcilerOps<T> {
  /** Creates or updates `obj` in the target. Throw to report a failure (it will be retried). */
  update(obj: T, signal: AbortSignal): Promise<void> | void;
  /** Removes `obj` (its last state) from the target. Throw to retry. */
  delete(obj: T, signal: AbortSignal): Promise<void> | void;
  /**
   * Removes from the target everything not in `desired` (all objects of the table). Called once
   * the table is initialised and then every `pruneIntervalMs`.
   */
  prune?(desired: readonly T[], signal: AbortSignal): Promise<void> | void;
  /**
   * Optional batch form of `update`: applies many objects at once and returns the failures by
   * position in `objs` (nothing returned means all succeeded). Preferred over `update` when set.
   */
  updateBatch?(objs: readonly T[], signal: AbortSignal): Promise<ReadonlyMap<number, unknown> | undefined>;
  /** Optional batch form of `delete`, same contract as `updateBatch`. */
  deleteBatch?(objs: readonly T[], signal: AbortSignal): Promise<ReadonlyMap<number, unknown> | undefined>;
}

/** A database as the reconciler uses it (satisfied by `StateDB`). */
export interface ReconcilerDB {
  read(): ReadTxn;
  write<R>(tables: readonly Table<unknown>[] | Table<unknown>, fn: (txn: WriteTxn) => R): R;
}

/** Options of {@link startReconciler}. */
export interface ReconcilerOptions<T> {
  /** Names the reconciler in health output and errors. Default: the table name. */
  name?: string;
  db: ReconcilerDB;
  table: Table<T>;
  ops: ReconcilerOps<T>;
  /** Reads the status stored in an object. */
  getStatus(obj: T): ReconcileStatus;
  /** Returns a copy of `obj` carrying `status` (objects are immutable). */
  setStatus(obj: T, status: ReconcileStatus): T;
  /** Backoff of failed operations: `minMs * 2^(attempt-1)` capped at `maxMs`. Default 100 ms .. 60 s. */
  retry?: { minMs?: number; maxMs?: number };
  /** Prune period; 0 disables pruning. Default 5 minutes. */
  pruneIntervalMs?: number;
  /** Largest batch handed to `updateBatch`/`deleteBatch`. Default 500. */
  batchSize?: number;
  clock?: Clock;
  /** Stops the reconciler when aborted. Operations get a signal that aborts with it. */
  signal?: AbortSignal;
  /** Exports `kloop_statedb_reconcile_*` metrics on this prom-client registry. */
  registry?: Registry;
}

/** Counters and health of a running reconciler, for `/debug/kloop` and metrics. */
export interface ReconcilerHealth {
  name: string;
  /** `ok`, `degraded` while some object or the last prune is failing, `stopped`. */
  level: 'ok' | 'degraded' | 'stopped';
  /** Objects waiting for an update or delete (including those backing off). */
  pending: number;
  /** Objects whose last attempt failed and that wait for a retry. */
  failing: number;
  lastError?: string;
  lastPruneAt?: number;
  counts: {
    updates: number;
    updateErrors: number;
    deletes: number;
    deleteErrors: number;
    prunes: number;
    pruneErrors: number;
    retries: number;
  };
}

/** A running reconciler. */
export interface Reconciler {
  health(): ReconcilerHealth;
  /** Asks for a prune now (it still waits for the table to be initialised). */
  prune(): void;
  /** Stops it and waits for the operation in flight to return. */
  stop(): Promise<void>;
  /** Resolves when the reconciler has stopped; rejects only on an internal bug. */
  readonly done: Promise<void>;
}

interface Work<T> {
  obj: T;
  /** Revision of the object acted on; the status is written only if it is still current. */
  rev: number;
  deleted: boolean;
  attempt: number;
  due: number;
}

/**
 * Starts reconciling `table` into an external system.
 *
 * @remarks Recovery: a failed update or delete is marked `error` on the object and retried with
 * exponential backoff (`retry.minMs` doubling up to `retry.maxMs`) until it succeeds or the object
 * changes again; a failed prune is retried at the next prune period. Nothing is lost across
 * failures because the table, not the reconciler, holds the desired state.
 *
 * @example
 * ```ts
 * import { StateDB } from 'kloop/statedb';
 *
 * interface Route { prefix: string; via: string; status: ReconcileStatus }
 * declare const kernel: { add(r: Route): void; remove(r: Route): void; keepOnly(rs: readonly Route[]): void };
 * const db = new StateDB();
 * const routes = db.table<Route>('routes', { primary: (r) => r.prefix });
 * const r = startReconciler({
 *   db, table: routes,
 *   getStatus: (o) => o.status,
 *   setStatus: (o, status) => ({ ...o, status }),
 *   ops: { update: (o) => kernel.add(o), delete: (o) => kernel.remove(o), prune: (all) => kernel.keepOnly(all) },
 * });
 * db.write([routes], (txn) => txn.insert(routes, { prefix: '10.0.0.0/8', via: 'eth0', status: pendingStatus() }));
 * ```
 */
export function startReconciler<T>(options: ReconcilerOptions<T>): Reconciler {
  return new ReconcilerImpl(options);
}

class ReconcilerImpl<T> implements Reconciler {
  readonly done: Promise<void>;
  private readonly o: ReconcilerOptions<T>;
  private readonly name: string;
  private readonly clock: Clock;
  private readonly stopper = new AbortController();
  private readonly work = new Map<string, Work<T>>();
  private readonly counts = {
    updates: 0,
    updateErrors: 0,
    deletes: 0,
    deleteErrors: 0,
    prunes: 0,
    pruneErrors: 0,
    retries: 0,
  };
  private lastError: string | undefined;
  private pruneFailing = false;
  private lastPruneAt: number | undefined;
  private pruneDue: number | undefined;
  private pruneAsked = false;
  private wake: (() => void) | undefined;
  private cancelTimer: CancelTimer | undefined;
  private stopped = false;
  private readonly metrics: ReconcilerMetrics | undefined;

  constructor(options: ReconcilerOptions<T>) {
    this.o = options;
    this.name = options.name ?? options.table.name;
    this.metrics = options.registry === undefined ? undefined : reconcilerMetrics(options.registry);
    this.clock = options.clock ?? systemClock;
    if (options.signal?.aborted) this.stopper.abort();
    options.signal?.addEventListener('abort', () => this.stopper.abort(), { once: true });
    this.stopper.signal.addEventListener('abort', () => this.poke(), { once: true });
    this.done = this.run();
  }

  health(): ReconcilerHealth {
    let failing = 0;
    for (const w of this.work.values()) if (w.attempt > 0) failing++;
    const level = this.stopped ? 'stopped' : failing > 0 || this.pruneFailing ? 'degraded' : 'ok';
    return {
      name: this.name,
      level,
      pending: this.work.size,
      failing,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      ...(this.lastPruneAt === undefined ? {} : { lastPruneAt: this.lastPruneAt }),
      counts: { ...this.counts },
    };
  }

  prune(): void {
    this.pruneAsked = true;
    this.poke();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.done;
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private backoff(attempt: number): number {
    const min = this.o.retry?.minMs ?? 100;
    const max = this.o.retry?.maxMs ?? 60_000;
    return Math.min(max, min * 2 ** Math.min(attempt - 1, 30));
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    const it = this.o.table.changes({ signal });
    // Periodic pruning needs a prune operation; without one no prune timer is ever set.
    const pruneEvery = this.o.ops.prune === undefined ? 0 : (this.o.pruneIntervalMs ?? 300_000);
    // Read live every round, never cached from the start: an initializer registered just after
    // this reconciler (a reflector started next) must still hold back a prune of an empty table.
    let awaitingInit = false;
    const isInitialized = (): boolean => {
      if (this.o.table.isInitialized()) return true;
      if (!awaitingInit) {
        awaitingInit = true;
        void this.o.table.initialized.then(() => {
          awaitingInit = false;
          this.poke();
        });
      }
      return false;
    };
    let batchReady = false;
    let next: Promise<IteratorResult<readonly Change<T>[], undefined>> = Promise.resolve({
      done: true,
      value: undefined,
    });
    const arm = () => {
      next = it.next();
      void next.then(() => {
        batchReady = true;
        this.poke();
      });
    };
    arm();
    try {
      while (!signal.aborted) {
        if (batchReady) {
          const r = await next;
          batchReady = false;
          if (r.done) break;
          this.absorb(r.value);
          arm();
        }
        await this.processDue(signal);
        const initialized = isInitialized();
        if (initialized && pruneEvery > 0 && this.pruneDue === undefined) this.pruneDue = this.clock.now();
        if (initialized && this.o.ops.prune !== undefined) {
          if (this.pruneAsked || (this.pruneDue !== undefined && this.clock.now() >= this.pruneDue)) {
            this.pruneAsked = false;
            await this.runPrune(signal);
            if (pruneEvery > 0) this.pruneDue = this.clock.now() + pruneEvery;
          }
        }
        if (this.metrics !== undefined) {
          const h = this.health();
          this.metrics.pending.set({ reconciler: this.name }, h.pending);
          this.metrics.failing.set({ reconciler: this.name }, h.failing);
        }
        if (batchReady || signal.aborted) continue;
        // A prune asked for while one ran poked nobody (no one was asleep): run it now.
        if (this.pruneAsked && initialized && this.o.ops.prune !== undefined) continue;
        if (this.hasDueWork()) continue;
        await this.sleep(pruneEvery > 0 && initialized ? this.pruneDue : undefined);
      }
    } finally {
      it.close();
      this.cancelTimer?.();
      this.stopped = true;
    }
  }

  /** Folds a batch of changes into the work set. The latest change of a key wins. */
  private absorb(batch: readonly Change<T>[]): void {
    for (const c of batch) {
      const key = encodeKey(this.o.table.primaryKey(c.object));
      if (c.deleted) {
        this.work.set(key, { obj: c.object, rev: c.revision, deleted: true, attempt: 0, due: 0 });
      } else if (this.o.getStatus(c.object).kind === 'pending') {
        this.work.set(key, { obj: c.object, rev: c.revision, deleted: false, attempt: 0, due: 0 });
      } else if (this.o.getStatus(c.object).kind === 'error') {
        // Our own error write is already scheduled for a retry (same revision). An error we did
        // not write (an earlier run of the reconciler, another writer) is retried after backoff.
        const w = this.work.get(key);
        if (w === undefined || w.rev !== c.revision) {
          this.work.set(key, {
            obj: c.object,
            rev: c.revision,
            deleted: false,
            attempt: 1,
            due: this.clock.now() + this.backoff(1),
          });
        }
      } else {
        // Our own status write (or a writer's done/error): nothing to push. A pending delete of
        // an earlier incarnation is moot now that the key exists again.
        const w = this.work.get(key);
        if (w !== undefined && (w.deleted || w.rev < c.revision)) this.work.delete(key);
      }
    }
  }

  private hasDueWork(): boolean {
    const now = this.clock.now();
    for (const w of this.work.values()) if (w.due <= now) return true;
    return false;
  }

  /** Sleeps until poked (a new batch, stop, init) or until the earliest retry or prune is due. */
  private sleep(pruneDue: number | undefined): Promise<void> {
    let due = pruneDue ?? Number.POSITIVE_INFINITY;
    for (const w of this.work.values()) if (w.due < due) due = w.due;
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      if (due !== Number.POSITIVE_INFINITY) {
        const ms = Math.max(0, due - this.clock.now());
        this.cancelTimer = this.clock.setTimer(() => {
          this.cancelTimer = undefined;
          this.poke();
        }, ms);
      }
    }).finally(() => {
      if (this.cancelTimer !== undefined) {
        this.cancelTimer();
        this.cancelTimer = undefined;
      }
    });
  }

  private async processDue(signal: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const updates: Array<[string, Work<T>]> = [];
    const deletes: Array<[string, Work<T>]> = [];
    for (const entry of this.work) {
      if (entry[1].due > now) continue;
      (entry[1].deleted ? deletes : updates).push(entry);
    }
    if (updates.length === 0 && deletes.length === 0) return;
    for (const [, w] of [...updates, ...deletes]) if (w.attempt > 0) this.counts.retries++;
    const size = this.o.batchSize ?? 500;
    if (deletes.length > 0) {
      if (this.o.ops.deleteBatch !== undefined) {
        for (let i = 0; i < deletes.length && !signal.aborted; i += size) {
          await this.batch(deletes.slice(i, i + size), this.o.ops.deleteBatch.bind(this.o.ops), signal);
        }
      } else {
        for (const e of deletes) {
          if (signal.aborted) return;
          await this.single(e, signal);
        }
      }
    }
    if (updates.length > 0) {
      if (this.o.ops.updateBatch !== undefined) {
        for (let i = 0; i < updates.length && !signal.aborted; i += size) {
          await this.batch(updates.slice(i, i + size), this.o.ops.updateBatch.bind(this.o.ops), signal);
        }
      } else {
        for (const e of updates) {
          if (signal.aborted) return;
          await this.single(e, signal);
        }
      }
    }
  }

  private async single([key, w]: [string, Work<T>], signal: AbortSignal): Promise<void> {
    let error: unknown;
    let failed = false;
    try {
      if (w.deleted) await this.o.ops.delete(w.obj, signal);
      else await this.o.ops.update(w.obj, signal);
    } catch (err) {
      failed = true;
      error = err;
    }
    this.settle(key, w, failed, error);
  }

  private async batch(
    entries: Array<[string, Work<T>]>,
    op: (objs: readonly T[], signal: AbortSignal) => Promise<ReadonlyMap<number, unknown> | undefined>,
    signal: AbortSignal,
  ): Promise<void> {
    let failures: ReadonlyMap<number, unknown> | undefined;
    let whole: unknown;
    let wholeFailed = false;
    try {
      failures = await op(
        entries.map(([, w]) => w.obj),
        signal,
      );
    } catch (err) {
      wholeFailed = true;
      whole = err;
    }
    entries.forEach(([key, w], i) => {
      const failed = wholeFailed || (failures instanceof Map && failures.has(i));
      this.settle(key, w, failed, wholeFailed ? whole : failures?.get(i));
    });
  }

  /** Records an outcome: in the counters, in the work set (retry or done), in the table. */
  private settle(key: string, w: Work<T>, failed: boolean, error: unknown): void {
    if (w.deleted) {
      this.counts.deletes++;
      if (failed) this.counts.deleteErrors++;
    } else {
      this.counts.updates++;
      if (failed) this.counts.updateErrors++;
    }
    this.metrics?.operations.inc({
      reconciler: this.name,
      op: w.deleted ? 'delete' : 'update',
      result: failed ? 'error' : 'ok',
    });
    const current = this.work.get(key);
    const superseded = current !== w;
    if (failed) {
      const message = error instanceof Error ? error.message : String(error);
      this.lastError = `${w.deleted ? 'delete' : 'update'} ${key}: ${message}`;
      if (!superseded) {
        w.attempt++;
        w.due = this.clock.now() + this.backoff(w.attempt);
      }
    } else if (!superseded) {
      this.work.delete(key);
    }
    if (w.deleted || superseded) return;
    const status: ReconcileStatus = failed
      ? { kind: 'error', error: error instanceof Error ? error.message : String(error), updatedAt: this.clock.now() }
      : { kind: 'done', updatedAt: this.clock.now() };
    const { table } = this.o;
    try {
      this.o.db.write([table as Table<unknown>], (txn) => {
        const cur = txn.getRevisioned(table, table.primaryKey(w.obj));
        if (cur === undefined || cur.revision !== w.rev) return;
        txn.compareAndSwap(table, w.rev, this.o.setStatus(cur.object, status));
      });
    } catch (err) {
      // The status setter threw (or the table is locked, which cannot happen across awaits):
      // keep the work item and retry it with backoff like a failed operation.
      this.lastError = `status of ${key}: ${err instanceof Error ? err.message : String(err)}`;
      if (!failed) {
        w.attempt++;
        w.due = this.clock.now() + this.backoff(w.attempt);
        this.work.set(key, w);
      }
      return;
    }
    // Our status write bumped the revision; follow it so a retry acts on the current object.
    if (failed) {
      const now = this.o.db.read().getRevisioned(table, table.primaryKey(w.obj));
      if (now !== undefined && this.o.getStatus(now.object).kind === 'error') {
        w.obj = now.object;
        w.rev = now.revision;
      }
    }
  }

  private async runPrune(signal: AbortSignal): Promise<void> {
    const prune = this.o.ops.prune;
    if (prune === undefined) return;
    const desired = this.o.db.read().all(this.o.table);
    this.counts.prunes++;
    try {
      await prune.call(this.o.ops, desired, signal);
      this.pruneFailing = false;
      this.metrics?.operations.inc({ reconciler: this.name, op: 'prune', result: 'ok' });
    } catch (err) {
      this.metrics?.operations.inc({ reconciler: this.name, op: 'prune', result: 'error' });
      this.counts.pruneErrors++;
      this.pruneFailing = true;
      this.lastError = `prune: ${err instanceof Error ? err.message : String(err)}`;
    }
    this.lastPruneAt = this.clock.now();
  }
}
