/**
 * The reflector: mirrors a shared informer into a table (cilium/statedb's k8s reflector).
 *
 * Informer events arrive synchronously; they are buffered and written in batched transactions
 * (every event of one burst, such as a relist diff, lands in one commit), each object passed
 * through a transform to the table's type. The table stays uninitialised (an initializer is
 * registered) until the informer has synced and the first list is in the table; at that moment
 * objects the table holds but the informer does not are deleted, so a table filled by an earlier
 * reflector converges too.
 */
import type { InformerEvent, InformerReader } from '../cache/index.js';
import { type CancelTimer, type Clock, type KubeObject, systemClock } from '../core/index.js';
import { StateDBError } from './errors.js';
import { encodeKey } from './keys.js';
import type { ReadTxn, Table, WriteTxn } from './types.js';

/** Options of {@link startReflector}. */
export interface ReflectorOptions<K extends KubeObject, T> {
  db: {
    read(): ReadTxn;
    write<R>(tables: readonly Table<unknown>[] | Table<unknown>, fn: (txn: WriteTxn) => R): R;
  };
  table: Table<T>;
  informer: InformerReader<K>;
  /**
   * Maps an informer object to the table's type; `undefined` keeps it out of the table (and
   * removes what an earlier version of it put there). Default: the object itself.
   */
  transform?: (obj: K) => T | undefined;
  /** Initializer name shown in `db.describe()`. Default `reflector:<kind>`. */
  name?: string;
  /** Most events per transaction. Default 1000. */
  batchSize?: number;
  /**
   * How long to gather events before writing (ms). Default 0: write once the current burst of
   * synchronous events is over (a microtask), so a watch event costs one commit.
   */
  batchDelayMs?: number;
  clock?: Clock;
  /** Stops the reflector when aborted. */
  signal?: AbortSignal;
  /** Receives a transform or write failure of one object; the others are still written. */
  onError?: (err: unknown, event: InformerEvent<K>) => void;
}

/** Counters of a running reflector. */
export interface ReflectorStats {
  events: number;
  transactions: number;
  lastBatchSize: number;
  errors: number;
  initialized: boolean;
}

/** A running reflector. */
export interface TableReflector {
  stats(): ReflectorStats;
  /** Unsubscribes from the informer; buffered events are dropped. */
  stop(): void;
  /** Resolves when the first list is in the table (the table's initializer is done). */
  readonly initialized: Promise<void>;
}

/**
 * Starts mirroring `informer` into `table`.
 *
 * @remarks Recovery is the informer's job: it relists on 410 and reconnects on errors, and emits
 * the differences as add/update/delete events, which this reflector applies like any other. A
 * transform or unique-index failure skips that one object and is reported to `onError`.
 *
 * @example
 * ```ts
 * import { InformerFactory, KubeClient, Pod } from 'kloop';
 * import { StateDB } from 'kloop/statedb';
 *
 * interface PodRow { key: string; node: string }
 * const db = new StateDB();
 * const factory = new InformerFactory(KubeClient.fromKubeconfig());
 * const pods = db.table<PodRow>('pods', {
 *   primary: (p) => p.key,
 *   indexes: { node: { key: (p) => p.node, unique: false } },
 * });
 * startReflector({
 *   db, table: pods, informer: factory.informer(Pod), // typed Pods
 *   transform: (p) => ({ key: `${p.metadata.namespace}/${p.metadata.name}`, node: p.spec?.nodeName ?? '' }),
 * });
 * await pods.initialized;
 * ```
 */
export function startReflector<K extends KubeObject, T = K>(options: ReflectorOptions<K, T>): TableReflector {
  return new ReflectorImpl(options);
}

class ReflectorImpl<K extends KubeObject, T> implements TableReflector {
  readonly initialized: Promise<void>;
  private readonly o: ReflectorOptions<K, T>;
  private readonly transform: (obj: K) => T | undefined;
  private readonly clock: Clock;
  private buffer: InformerEvent<K>[] = [];
  private scheduled = false;
  private cancelTimer: CancelTimer | undefined;
  private stopped = false;
  private synced = false;
  private readonly counters = { events: 0, transactions: 0, lastBatchSize: 0, errors: 0 };
  private readonly unsubscribe: () => void;
  private readonly onAbort = () => this.stop();

  constructor(options: ReflectorOptions<K, T>) {
    this.o = options;
    this.transform = options.transform ?? ((obj: K) => obj as unknown as T);
    this.clock = options.clock ?? systemClock;
    const done = options.table.registerInitializer(options.name ?? `reflector:${options.informer.type.kind}`);
    this.unsubscribe = options.informer.subscribe((ev) => this.enqueue(ev), { replay: true });
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.initialized = options.informer.synced.then(
      () => new Promise<void>((resolve, reject) => this.finishSync(done, resolve, reject)),
    );
    // A stopped reflector's sync promise is never awaited by anyone else: keep it quiet.
    this.initialized.catch(() => {});
    if (options.signal?.aborted) this.stop();
  }

  stats(): ReflectorStats {
    return { ...this.counters, initialized: this.synced };
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe();
    this.o.signal?.removeEventListener('abort', this.onAbort);
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.buffer = [];
  }

  private enqueue(ev: InformerEvent<K>): void {
    if (this.stopped) return;
    this.buffer.push(ev);
    this.counters.events++;
    if (this.scheduled) return;
    this.scheduled = true;
    const delay = this.o.batchDelayMs ?? 0;
    if (delay > 0) {
      this.cancelTimer = this.clock.setTimer(() => {
        this.cancelTimer = undefined;
        this.flush();
      }, delay);
    } else {
      queueMicrotask(() => this.flush());
    }
  }

  /** Writes the buffered events, `batchSize` per transaction. */
  private flush(): void {
    this.scheduled = false;
    if (this.stopped || this.buffer.length === 0) return;
    const events = this.buffer;
    this.buffer = [];
    const size = this.o.batchSize ?? 1000;
    for (let i = 0; i < events.length; i += size) {
      const chunk = events.slice(i, i + size);
      try {
        this.o.db.write([this.o.table as Table<unknown>], (txn) => {
          for (const ev of chunk) this.apply(txn, ev);
        });
      } catch (err) {
        if (err instanceof StateDBError && err.code === 'KLOOP_STATEDB_TABLE_LOCKED') {
          // A transaction opened with `db.begin` in the same task holds the table. Its guard
          // microtask was queued before this retry, so the lock is gone when the retry runs.
          this.buffer = events.slice(i).concat(this.buffer);
          if (!this.scheduled) {
            this.scheduled = true;
            queueMicrotask(() => this.flush());
          }
          return;
        }
        // Anything else (per-event failures are caught in `apply`) is a bug in the database or
        // a watch callback: report it with the chunk's first event and go on rather than retry
        // the same failure for ever. The chunk's events are lost to the table.
        this.counters.errors++;
        this.report(err, chunk[0]);
        continue;
      }
      this.counters.transactions++;
      this.counters.lastBatchSize = chunk.length;
    }
  }

  private report(err: unknown, ev: InformerEvent<K>): void {
    if (this.o.onError !== undefined) this.o.onError(err, ev);
    else process.emitWarning(err instanceof Error ? err : new Error(String(err)), 'StateDBReflectorError');
  }

  /** The row an event's old object made, or undefined (its transform failure was reported then). */
  private oldRow(ev: InformerEvent<K>): T | undefined {
    if (ev.oldObject === undefined) return undefined;
    try {
      return this.transform(ev.oldObject);
    } catch {
      return undefined;
    }
  }

  private apply(txn: WriteTxn, ev: InformerEvent<K>): void {
    const { table } = this.o;
    try {
      if (ev.type === 'deleted') {
        const row = this.transform(ev.object);
        if (row !== undefined) txn.delete(table, table.primaryKey(row));
        return;
      }
      const row = this.transform(ev.object);
      // A changed key (the transform reads a field that changed) leaves the old row behind.
      const old = this.oldRow(ev);
      if (row !== undefined) {
        if (old !== undefined) {
          const oldKey = table.primaryKey(old);
          if (encodeKey(oldKey) !== encodeKey(table.primaryKey(row))) txn.delete(table, oldKey);
        }
        txn.insert(table, row);
      } else if (old !== undefined) {
        txn.delete(table, table.primaryKey(old));
      }
    } catch (err) {
      // One bad object must not hold back the batch: count it, report it, go on.
      this.counters.errors++;
      this.report(err, ev);
    }
  }

  /**
   * Writes what the informer listed, drops what it does not hold, then marks the table
   * initialised. Retried in a microtask while a `db.begin` transaction of this task holds the
   * table (its guard releases it first); a stopped reflector never initialises the table.
   */
  private finishSync(done: () => void, resolve: () => void, reject: (err: unknown) => void): void {
    if (this.stopped) {
      resolve();
      return;
    }
    try {
      this.flush();
      if (this.buffer.length === 0) {
        this.replaceMissing();
        this.synced = true;
        done();
        resolve();
        return;
      }
    } catch (err) {
      if (!(err instanceof StateDBError && err.code === 'KLOOP_STATEDB_TABLE_LOCKED')) {
        reject(err);
        return;
      }
    }
    queueMicrotask(() => this.finishSync(done, resolve, reject));
  }

  /** After the first sync: deletes rows whose object the informer does not hold. */
  private replaceMissing(): void {
    const { table, informer, db } = this.o;
    const keep = new Set<string>();
    for (const obj of informer.list()) {
      try {
        const row = this.transform(obj);
        if (row !== undefined) keep.add(encodeKey(table.primaryKey(row)));
      } catch {
        // Reported when the object's own event was applied.
      }
    }
    const stale = db
      .read()
      .all(table)
      .filter((row) => !keep.has(encodeKey(table.primaryKey(row))));
    if (stale.length === 0) return;
    db.write([table as Table<unknown>], (txn) => {
      for (const row of stale) txn.delete(table, table.primaryKey(row));
    });
    this.counters.transactions++;
  }
}
