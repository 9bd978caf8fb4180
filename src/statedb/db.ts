/**
 * The database: a registry of tables and one root pointer to their committed states.
 *
 * Reading takes the root (O(1), consistent across tables). Writing runs a {@link WriteTxn} over
 * locked tables and swaps the root once on commit. Revisions come from one counter, so every
 * change has a unique revision and a table's changes are ordered by it.
 */
import { TreeBuilder, treeScan, validateTree } from './btree.js';
import { ChangeIteratorImpl, dropSeenDeletes } from './changes.js';
import { StateDBError } from './errors.js';
import { encodeRevision } from './keys.js';
import { type Root, Snapshot } from './snapshot.js';
import { type DeleteTracker, type Entry, TableImpl, type TableState } from './table.js';
import { type TxnHost, type TxnTable, WriteTxnImpl } from './txn.js';
import type {
  ChangeIterator,
  ChangesOptions,
  ReadTxn,
  StateDBDescription,
  Table,
  TableDump,
  TableOptions,
  WriteTxn,
} from './types.js';
import type { WatchImpl } from './watch.js';

/** Options of {@link StateDB}. */
export interface StateDBOptions {
  /**
   * Receives errors thrown by watch callbacks, which must not break the commit that fired them.
   * Default: a process warning.
   */
  onError?: (err: unknown) => void;
  /** Check tree and index invariants after every commit. Default: `KLOOP_VALIDATE=1`. */
  validate?: boolean;
  /**
   * Deep-freeze every inserted object, so code that mutates a stored object throws instead of
   * silently corrupting snapshots and indexes. Default: the same as `validate` (tests on).
   */
  freeze?: boolean;
}

/**
 * An in-memory database of typed tables with indexes, atomic multi-table write transactions,
 * O(1) snapshots, per-query watches and change iterators (Go: cilium/statedb's `DB`).
 *
 * @example
 * ```ts
 * interface Backend { id: string; service: string; ip: string }
 * const db = new StateDB();
 * const backends = db.table<Backend>('backends', {
 *   primary: (b) => b.id,
 *   indexes: { service: { key: (b) => b.service, unique: false } },
 * });
 * db.write([backends], (txn) => txn.insert(backends, { id: 'b1', service: 'web', ip: '10.0.0.1' }));
 * const snap = db.read();
 * snap.list(backends, 'service', 'web'); // [{ id: 'b1', ... }]
 * ```
 */
export class StateDB {
  private rootRef: Root = { revision: 0, tables: [] };
  private readonly tables: TableImpl<unknown>[] = [];
  private readonly byName = new Map<string, TableImpl<unknown>>();
  private readonly identity = {};
  private counter = 0;
  private readonly validate: boolean;
  private readonly onError: (err: unknown) => void;
  /** @internal table id -> the write transaction holding it. */
  readonly locks = new Map<number, WriteTxnImpl>();
  private readonly host: TxnHost;

  constructor(options: StateDBOptions = {}) {
    this.validate = options.validate ?? process.env.KLOOP_VALIDATE === '1';
    this.onError =
      options.onError ??
      ((err) => process.emitWarning(err instanceof Error ? err : new Error(String(err)), 'StateDBWatchError'));
    // The host is the narrow face the internals get; it keeps `root` live through a getter.
    const db = this;
    this.host = {
      get root() {
        return db.rootRef;
      },
      locks: this.locks,
      resolve: (t) => this.resolve(t),
      reportError: (err) => this.onError(err),
      freeze: options.freeze ?? this.validate,
      nextRevision: () => ++this.counter,
      publish: (tables, changed) => this.publish(tables, changed),
      releaseTracker: (table, tracker) => this.releaseTracker(table, tracker),
    };
  }

  /**
   * Declares a table. Names are validated (`^[a-z][a-z0-9_-]{0,62}$`) and unique per database.
   *
   * @example
   * ```ts
   * import type { KubeObject } from 'kloop';
   *
   * interface PodObject extends KubeObject { spec?: { nodeName?: string } }
   * const db = new StateDB();
   * const pods = db.table<PodObject>('pods', {
   *   primary: (p) => [p.metadata.namespace ?? '', p.metadata.name!],
   *   indexes: { node: { key: (p) => p.spec?.nodeName, unique: false } },
   * });
   * ```
   */
  table<T>(name: string, options: TableOptions<T>): Table<T> {
    if (this.byName.has(name)) {
      throw new StateDBError('KLOOP_STATEDB_INVALID_NAME', `table ${JSON.stringify(name)} already exists`);
    }
    const t = new TableImpl<T>(
      { changes: (tbl, opts) => this.changesOf(tbl, opts), reportError: (err) => this.onError(err) },
      this.identity,
      this.tables.length,
      name,
      options,
    );
    this.tables.push(t as TableImpl<unknown>);
    this.byName.set(name, t as TableImpl<unknown>);
    this.rootRef = {
      revision: this.rootRef.revision,
      tables: [...this.rootRef.tables, t.emptyState() as TableState<unknown>],
    };
    return t;
  }

  /** Looks a declared table up by name. */
  tableByName<T = unknown>(name: string): Table<T> | undefined {
    return this.byName.get(name) as Table<T> | undefined;
  }

  /** A consistent snapshot of every table. O(1); never sees later writes. */
  read(): ReadTxn {
    return new Snapshot(this.host, this.rootRef);
  }

  /**
   * Runs `fn` in a write transaction over `tables` and commits it. A throw aborts with nothing
   * applied and is rethrown. `fn` must be synchronous: returning a Promise aborts the
   * transaction and throws `KLOOP_STATEDB_TXN_ASYNC`.
   *
   * @example
   * ```ts
   * interface Service { name: string }
   * interface Backend { id: string; service: string }
   * const db = new StateDB();
   * const services = db.table<Service>('services', { primary: (s) => s.name });
   * const backends = db.table<Backend>('backends', { primary: (b) => b.id });
   * const svc = { name: 'web' };
   * const bs = [{ id: 'b1', service: 'web' }, { id: 'b2', service: 'web' }];
   * db.write([backends, services], (txn) => {
   *   txn.insert(services, svc);
   *   for (const b of bs) txn.insert(backends, b);
   * }); // both tables change in one commit, or neither
   * ```
   */
  write<R>(tables: readonly Table<unknown>[] | Table<unknown>, fn: (txn: WriteTxn) => R): R {
    const list = Array.isArray(tables) ? (tables as readonly Table<unknown>[]) : [tables as Table<unknown>];
    const txn = new WriteTxnImpl(this.host, list, false);
    let result: R;
    try {
      result = fn(txn);
    } catch (err) {
      txn.abort();
      throw err;
    }
    if (isThenable(result)) {
      txn.poison();
      (result as unknown as Promise<unknown>).then(undefined, () => {});
      throw new StateDBError(
        'KLOOP_STATEDB_TXN_ASYNC',
        'a write transaction callback must be synchronous; it returned a Promise and was aborted',
      );
    }
    if (!txn.isClosed()) txn.finish();
    return result;
  }

  /**
   * Opens a write transaction to commit or abort by hand (Go: `db.WriteTxn(tables...)`).
   * It must close before the current task yields (no `await` in between).
   */
  begin(tables: readonly Table<unknown>[] | Table<unknown>): WriteTxn {
    const list = Array.isArray(tables) ? (tables as readonly Table<unknown>[]) : [tables as Table<unknown>];
    return new WriteTxnImpl(this.host, list);
  }

  /** The revision of the last commit. */
  get revision(): number {
    return this.rootRef.revision;
  }

  /** Tables, sizes, indexes, revisions, pending initializers and delete trackers. */
  describe(): StateDBDescription {
    return {
      revision: this.rootRef.revision,
      tables: this.tables.map((t) => {
        const s = this.rootRef.tables[t.id];
        return {
          name: t.name,
          size: s.trees[0].size,
          revision: s.revision,
          indexes: t.indexes.map((ix, i) => ({ name: ix.name, unique: ix.unique, size: s.trees[i].size })),
          initialized: t.isInitialized(),
          pendingInitializers: t.pendingInitializers(),
          deleteTrackers: t.trackers.size,
          graveyard: s.grave.size,
          watches: t.watches.count(),
          locked: this.locks.has(t.id),
        };
      }),
    };
  }

  /** A JSON-ready dump of one table from the current snapshot. */
  dump<T>(table: Table<T>): TableDump<T> {
    return this.read().dump(table);
  }

  private resolve<T>(table: Table<T>): TableImpl<T> {
    if (!(table instanceof TableImpl) || table.owner !== this.identity) {
      throw new StateDBError(
        'KLOOP_STATEDB_UNKNOWN_TABLE',
        `table ${(table as { name?: string })?.name ?? '?'} does not belong to this StateDB`,
      );
    }
    return table as TableImpl<T>;
  }

  private changesOf<T>(table: TableImpl<T>, options: ChangesOptions | undefined): ChangeIterator<T> {
    if (!table.trackRevisions) {
      // First iterator of this table: build the revision index once, then keep it up to date.
      table.trackRevisions = true;
      const state = this.rootRef.tables[table.id] as TableState<T>;
      const revs = new TreeBuilder(state.revs, {});
      treeScan(state.trees[0], '', (_k, e) => {
        revs.set(encodeRevision(e.r), e);
        return true;
      });
      const tables = this.rootRef.tables.slice();
      tables[table.id] = { ...state, revs: revs.freeze() } as TableState<unknown>;
      this.rootRef = { revision: this.rootRef.revision, tables };
    }
    return new ChangeIteratorImpl(this.host, table, options);
  }

  /**
   * Unregisters a closed (or garbage-collected) iterator's delete tracker and drops the deletes
   * no remaining tracker needs, without waiting for the next write. A table locked by an open
   * transaction is left alone: that transaction's commit collects the graveyard.
   */
  private releaseTracker(table: TableImpl<unknown>, tracker: DeleteTracker): void {
    if (!table.trackers.delete(tracker) || this.locks.has(table.id)) return;
    const state = this.rootRef.tables[table.id];
    if (state === undefined || state.grave.size === 0) return;
    const owner = {};
    const grave = new TreeBuilder(state.grave, owner);
    const graveRevs = new TreeBuilder(state.graveRevs, owner);
    if (!dropSeenDeletes(grave, graveRevs, table.minTracked())) return;
    const tables = this.rootRef.tables.slice();
    // Not a change of any object: same revision, no watch fires.
    tables[table.id] = { ...state, grave: grave.freeze(), graveRevs: graveRevs.freeze() };
    this.rootRef = { revision: this.rootRef.revision, tables };
  }

  private publish(tables: readonly TableState<unknown>[], changed: readonly TxnTable<unknown>[]): void {
    this.rootRef = { revision: this.counter, tables };
    for (const tt of changed) tt.t.advanceLatest(tt.baseTrees, tables[tt.t.id].trees, tt.log);
    if (this.validate) for (const tt of changed) validateTable(tt.t, tables[tt.t.id]);
    const fire: WatchImpl[] = [];
    for (const tt of changed) collectWatches(tt, fire);
    for (const w of fire) w.fire();
  }
}

function isThenable(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** The watches a transaction's changes to one table must fire. */
function collectWatches<T>(tt: TxnTable<T>, out: WatchImpl[]): void {
  const t = tt.t;
  if (tt.log.length === 0) return;
  for (const w of t.watches.any) out.push(w);
  const n = t.indexes.length;
  for (let i = 0; i < n; i++) {
    const iw = t.watches.indexes[i];
    if (iw.isEmpty()) continue;
    for (let j = 0; j < tt.log.length; j += 2) {
      const before = tt.log[j];
      const after = tt.log[j + 1];
      const kb = before === undefined ? undefined : t.queryKey(i, before.o);
      const ka = after === undefined ? undefined : t.queryKey(i, after.o);
      if (kb !== undefined) iw.collect(kb, out);
      if (ka !== undefined && ka !== kb) iw.collect(ka, out);
    }
  }
}

/** KLOOP_VALIDATE checks: tree invariants and that every index agrees with the primary. */
function validateTable<T>(t: TableImpl<T>, s: TableState<T>): void {
  for (const tree of s.trees) validateTree(tree);
  t.latest.validate(s.trees[0]);
  for (let i = 1; i < s.trees.length; i++) t.latestGroups[i]?.validate(s.trees[i]);
  validateTree(s.revs);
  validateTree(s.grave);
  validateTree(s.graveRevs);
  const primary = s.trees[0];
  if (t.trackRevisions && s.revs.size !== primary.size)
    throw new Error(`statedb ${t.name}: revision index size mismatch`);
  if (s.grave.size !== s.graveRevs.size) throw new Error(`statedb ${t.name}: graveyard index size mismatch`);
  const check = (i: number) => (k: string, e: Entry<T>) => {
    const want = t.treeKey(i, e.o, e.k);
    if (want !== k) throw new Error(`statedb ${t.name}: index ${t.indexes[i].name} has a stale key`);
    return true;
  };
  for (let i = 0; i < s.trees.length; i++) {
    let n = 0;
    const c = check(i);
    treeScan(s.trees[i], '', (k, e) => {
      n++;
      return c(k, e);
    });
    if (n > primary.size) throw new Error(`statedb ${t.name}: index ${t.indexes[i].name} larger than primary`);
  }
}
