/**
 * The public shapes of StateDB: tables, read and write transactions, queries, watches and
 * change batches. Read and write sides are separate types (cilium/statedb's `Table`/`RWTable`,
 * `ReadTxn`/`WriteTxn`).
 */
import type { IndexKey } from './keys.js';

/** A secondary index: a key function and whether one key may map to several objects. */
export interface IndexSpec<T> {
  /** The object's key in this index; `undefined` leaves the object out of the index. */
  key: (obj: T) => IndexKey | undefined;
  /** True (the default) when no two objects may share a key. */
  unique?: boolean;
}

/** How a table is declared. */
export interface TableOptions<T> {
  /** The primary key: unique, required, never changes for an object's lifetime. */
  primary: (obj: T) => IndexKey;
  /** Secondary indexes by name (`^[a-z][a-z0-9_-]{0,62}$`, not `primary`). */
  indexes?: Record<string, IndexSpec<T>>;
  /**
   * How an insert decides its object is unchanged (then it is skipped: no revision bump, no
   * watch fired). Default: reference equality, then structural equality. `false` makes every
   * insert a change, as in cilium/statedb.
   */
  equals?: ((a: T, b: T) => boolean) | false;
}

/**
 * A one-shot signal that a query's result may have changed (cilium/statedb's watch channel).
 * Fires at most once; query again for a fresh one.
 */
export interface Watch {
  /** True once fired. */
  readonly fired: boolean;
  /** Resolves when the watch fires. Allocated on first access. */
  readonly promise: Promise<void>;
  /** Runs `callback` when the watch fires (at once if it has). Returns a function that detaches it. */
  onFire(callback: () => void): () => void;
  /** Resolves `true` when fired, `false` if `signal` aborts first. */
  wait(signal?: AbortSignal): Promise<boolean>;
  /** Unregisters the watch; it will never fire. Frees it from the table's watch registry. */
  cancel(): void;
}

/** What `query` returns: the items and, on access, a watch over exactly this query. */
export interface QueryResult<T> {
  readonly items: readonly T[];
  /** The table's revision in the snapshot the query ran on. */
  readonly revision: number;
  /** Allocated when first read; fires when a commit may change `items`. */
  readonly watch: Watch;
}

/** An object with the revision of the commit that last wrote it. */
export interface Revisioned<T> {
  readonly object: T;
  readonly revision: number;
}

/** One entry of a change batch. */
export interface Change<T> {
  /** The object as written, or its last state when `deleted`. */
  readonly object: T;
  readonly revision: number;
  readonly deleted: boolean;
}

/** A query over one index. `index` defaults to the primary index, named `primary`. */
export type Query =
  | { readonly index?: string; readonly key: IndexKey }
  | { readonly index?: string; readonly prefix: IndexKey }
  | { readonly index?: string; readonly lowerBound: IndexKey }
  | { readonly index?: string; readonly all: true };

/** Options of {@link Table.changes}. */
export interface ChangesOptions {
  /** Ends the iterator (and releases its delete tracker) when aborted. */
  signal?: AbortSignal;
}

/** An async iterator of change batches that also releases its delete tracker on `close()`. */
export interface ChangeIterator<T> extends AsyncIterableIterator<readonly Change<T>[]> {
  /** The next batch; waits for a commit when there is nothing new. Done once closed. */
  next(): Promise<IteratorResult<readonly Change<T>[], undefined>>;
  /** Stops the iterator; pending deletes are no longer kept for it. */
  close(): void;
}

/** A table handle: the name, the indexes and the table-level operations. */
export interface Table<T> {
  readonly name: string;
  /** Index names, `primary` first. */
  readonly indexNames: readonly string[];
  /** The primary key of an object, as the key function returns it. */
  primaryKey(obj: T): IndexKey;
  /**
   * Change batches in revision order, including deletes, starting with every object present.
   * Deleted objects are kept (the graveyard) until every open iterator has seen them.
   *
   * @remarks Close the iterator when done (`close()`, the `signal`, or leaving `for await`):
   * that frees what only it kept in the graveyard. One dropped unclosed is closed when it is
   * garbage-collected, late.
   */
  changes(options?: ChangesOptions): ChangeIterator<T>;
  /**
   * Registers something that must finish before the table counts as initialised (the
   * reflector registers one until its first sync). Returns the function that marks it done.
   */
  registerInitializer(name: string): () => void;
  /** Resolves when every registered initializer is done (at once if none was registered). */
  readonly initialized: Promise<void>;
  isInitialized(): boolean;
}

/** A consistent read-only view of every table (cilium/statedb's `ReadTxn`). */
export interface ReadTxn {
  /** The global revision this view was taken at. */
  readonly revision: number;
  /** Object by primary key. */
  get<T>(table: Table<T>, key: IndexKey): T | undefined;
  /** First object with `key` in `index` (for unique indexes, the object). */
  first<T>(table: Table<T>, index: string, key: IndexKey): T | undefined;
  /** Object and its revision by primary key. */
  getRevisioned<T>(table: Table<T>, key: IndexKey): Revisioned<T> | undefined;
  /** Objects with `key` in `index`, in index order. */
  list<T>(table: Table<T>, index: string, key: IndexKey): T[];
  /** Objects whose key in `index` starts with `prefix`, in index order. */
  prefix<T>(table: Table<T>, index: string, prefix: IndexKey): T[];
  /** Objects whose key in `index` is >= `from`, in index order. */
  lowerBound<T>(table: Table<T>, index: string, from: IndexKey): T[];
  /** Every object in primary key order. */
  all<T>(table: Table<T>): T[];
  /** Runs a query and offers a watch over it. */
  query<T>(table: Table<T>, index: string, key: IndexKey): QueryResult<T>;
  query<T>(table: Table<T>, query: Query): QueryResult<T>;
  /** Number of objects in the table. */
  count<T>(table: Table<T>): number;
  /** The table's revision: the revision of its last committed change. */
  tableRevision<T>(table: Table<T>): number;
  /** A JSON-ready dump of the table: name, revision and every object with its revision. */
  dump<T>(table: Table<T>): TableDump<T>;
}

/** Result of a compare-and-swap or compare-and-delete. */
export type CompareResult<T> =
  | { readonly ok: true; readonly old: T | undefined }
  | {
      readonly ok: false;
      readonly reason: 'not-found' | 'revision-mismatch';
      readonly current: Revisioned<T> | undefined;
    };

/**
 * A write transaction over the tables it locked. Reads see its own writes; tables it did not
 * lock are read as they were when it began. Nothing is visible to others until it commits; a
 * throw inside `db.write` aborts it with nothing applied.
 */
export interface WriteTxn extends ReadTxn {
  /** Inserts or replaces; returns the previous object. Equal objects are skipped (see `equals`). */
  insert<T>(table: Table<T>, obj: T): T | undefined;
  /** Inserts `obj`, or `merge(old, obj)` when an object with its primary key exists. */
  modify<T>(table: Table<T>, obj: T, merge: (old: T, obj: T) => T): T | undefined;
  /** Deletes by primary key; returns the deleted object. */
  delete<T>(table: Table<T>, key: IndexKey): T | undefined;
  /** Deletes every object of the table; returns how many. */
  deleteAll<T>(table: Table<T>): number;
  /** Replaces the object only if its current revision is `revision`. */
  compareAndSwap<T>(table: Table<T>, revision: number, obj: T): CompareResult<T>;
  /** Deletes the object only if its current revision is `revision`. */
  compareAndDelete<T>(table: Table<T>, revision: number, key: IndexKey): CompareResult<T>;
  /** Publishes every change atomically and fires the watches. Returns the snapshot after. */
  commit(): ReadTxn;
  /** Drops every change. Safe to call twice. */
  abort(): void;
}

/** {@link ReadTxn.dump}'s result. */
export interface TableDump<T> {
  name: string;
  revision: number;
  objects: Array<{ revision: number; object: T }>;
}

/** One table in {@link StateDBDescription}. */
export interface TableDescription {
  name: string;
  size: number;
  revision: number;
  indexes: Array<{ name: string; unique: boolean; size: number }>;
  initialized: boolean;
  pendingInitializers: string[];
  deleteTrackers: number;
  graveyard: number;
  watches: number;
  locked: boolean;
}

/** `db.describe()`: what `/debug/kloop` shows. */
export interface StateDBDescription {
  revision: number;
  tables: TableDescription[];
}
