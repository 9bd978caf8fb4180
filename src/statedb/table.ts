/**
 * A table: its declaration (indexes and key functions), its committed state as persistent
 * trees, its watches, its delete trackers and its initializers.
 *
 * The committed state (`TableState`) is immutable and lives in the database root, so a snapshot
 * of every table is one pointer. Everything else here is bookkeeping outside the snapshot.
 */
import { deepEqual } from '../core/index.js';
import { emptyTree, type Tree } from './btree.js';
import { StateDBError } from './errors.js';
import { encodeGroup, encodeKey, type IndexKey, validateName } from './keys.js';
import { LatestGroups, LatestPrimary } from './latest.js';
import type { ChangeIterator, ChangesOptions, Table, TableOptions } from './types.js';
import { TableWatches } from './watch.js';

/** What every index stores: the object, the revision that wrote it, its encoded primary key. */
export interface Entry<T> {
  readonly o: T;
  readonly r: number;
  readonly k: string;
}

/** A table's committed state. Shared between snapshots; never mutated. */
export interface TableState<T> {
  /** trees[0] is the primary index, then the secondary indexes in declaration order. */
  readonly trees: readonly Tree<Entry<T>>[];
  /**
   * Live objects by revision, for change iterators. Maintained only once the table has had a
   * change iterator (`TableImpl.trackRevisions`): it costs a third of a write otherwise.
   */
  readonly revs: Tree<Entry<T>>;
  /** Deleted objects by primary key, kept while a delete tracker has not seen them. */
  readonly grave: Tree<Entry<T>>;
  /** The same deleted objects by revision of deletion. */
  readonly graveRevs: Tree<Entry<T>>;
  /** Revision of the table's last committed change; 0 when never written. */
  readonly revision: number;
}

/** One index as the table sees it. `primary` is index 0. */
export interface IndexMeta<T> {
  readonly name: string;
  readonly unique: boolean;
  readonly key: (obj: T) => IndexKey | undefined;
}

/** A change iterator's claim on the graveyard: deletes after `rev` must be kept for it. */
export interface DeleteTracker {
  /** Highest revision this tracker has been handed. */
  rev: number;
  /** The table revision when the tracker was created: older deletes are not its business. */
  readonly from: number;
}

/** How the table reaches the database that owns it, without an import cycle. */
export interface TableHost {
  changes<T>(table: TableImpl<T>, options: ChangesOptions | undefined): ChangeIterator<T>;
  reportError(err: unknown): void;
}

/** The implementation of {@link Table}. */
export class TableImpl<T> implements Table<T> {
  readonly name: string;
  readonly id: number;
  readonly indexes: readonly IndexMeta<T>[];
  readonly indexNames: readonly string[];
  readonly indexByName: ReadonlyMap<string, number>;
  readonly equals: ((a: T, b: T) => boolean) | undefined;
  private readonly primaryFn: (obj: T) => IndexKey | undefined;
  readonly watches: TableWatches;
  readonly trackers = new Set<DeleteTracker>();
  /** The latest committed primary index as a hash map, for point reads (see `LatestPrimary`). */
  readonly latest = new LatestPrimary<T>();
  /** Per index: kept answers of exact queries on the latest state (non-unique indexes only). */
  readonly latestGroups: readonly (LatestGroups<T> | undefined)[];
  /** Set by the first `changes()`: from then on every state keeps the revision index. */
  trackRevisions = false;
  readonly host: TableHost;
  /** @internal identity of the owning database, checked on every use. */
  readonly owner: object;
  private readonly pending = new Set<string>();
  private waiters: Array<() => void> = [];

  constructor(host: TableHost, owner: object, id: number, name: string, options: TableOptions<T>) {
    validateName('table', name);
    if (typeof options?.primary !== 'function') {
      throw new StateDBError('KLOOP_STATEDB_INVALID_KEY', `table ${name}: primary must be a key function`);
    }
    const indexes: IndexMeta<T>[] = [{ name: 'primary', unique: true, key: options.primary }];
    for (const [iname, spec] of Object.entries(options.indexes ?? {})) {
      validateName('index', iname);
      if (iname === 'primary') {
        throw new StateDBError('KLOOP_STATEDB_INVALID_NAME', `table ${name}: index name "primary" is reserved`);
      }
      if (typeof spec?.key !== 'function') {
        throw new StateDBError('KLOOP_STATEDB_INVALID_KEY', `table ${name}: index ${iname} needs a key function`);
      }
      indexes.push({ name: iname, unique: spec.unique ?? true, key: spec.key });
    }
    this.host = host;
    this.owner = owner;
    this.id = id;
    this.name = name;
    this.indexes = indexes;
    this.primaryFn = options.primary;
    this.indexNames = indexes.map((i) => i.name);
    this.indexByName = new Map(indexes.map((i, n) => [i.name, n]));
    this.equals = options.equals === false ? undefined : (options.equals ?? defaultEquals);
    this.watches = new TableWatches(indexes.length);
    this.latestGroups = indexes.map((ix, i) =>
      ix.unique ? undefined : new LatestGroups<T>((o) => this.queryKey(i, o)),
    );
  }

  /** Moves the latest-state mirrors from the trees a commit started from to the ones it made. */
  advanceLatest(
    from: readonly Tree<Entry<T>>[],
    to: readonly Tree<Entry<T>>[],
    log: readonly (Entry<T> | undefined)[],
  ): void {
    this.latest.advance(from[0], to[0], log);
    for (let i = 1; i < to.length; i++) this.latestGroups[i]?.advance(from[i], to[i], log);
  }

  /** The empty state a new table starts from. */
  emptyState(): TableState<T> {
    return {
      trees: this.indexes.map(() => emptyTree<Entry<T>>()),
      revs: emptyTree(),
      grave: emptyTree(),
      graveRevs: emptyTree(),
      revision: 0,
    };
  }

  primaryKey(obj: T): IndexKey {
    return this.indexes[0].key(obj) as IndexKey;
  }

  /** Index number by name; throws on an unknown name. */
  indexOf(name: string): number {
    const i = this.indexByName.get(name);
    if (i === undefined) {
      throw new StateDBError('KLOOP_STATEDB_UNKNOWN_INDEX', `table ${this.name} has no index ${JSON.stringify(name)}`);
    }
    return i;
  }

  /**
   * The key an object has at query level in index `i`: the encoded key for unique indexes, the
   * group (escaped key + terminator) for non-unique ones. Undefined when the object is not in it.
   */
  queryKey(i: number, obj: T): string | undefined {
    const meta = this.indexes[i];
    const k = meta.key(obj);
    if (k === undefined) {
      if (i === 0) throw new StateDBError('KLOOP_STATEDB_INVALID_KEY', `table ${this.name}: primary key is undefined`);
      return undefined;
    }
    return meta.unique ? encodeKey(k) : encodeGroup(k);
  }

  /** An object's encoded primary key: its key in the primary index and every entry's `k`. */
  primaryTreeKey(obj: T): string {
    const k = this.primaryFn(obj);
    if (typeof k === 'string') return k;
    if (k === undefined)
      throw new StateDBError('KLOOP_STATEDB_INVALID_KEY', `table ${this.name}: primary key is undefined`);
    return encodeKey(k);
  }

  /** The tree key of an object in index `i` (`pk` is its encoded primary key). */
  treeKey(i: number, obj: T, pk: string): string | undefined {
    const q = this.queryKey(i, obj);
    if (q === undefined) return undefined;
    return this.indexes[i].unique ? q : q + pk;
  }

  changes(options?: ChangesOptions): ChangeIterator<T> {
    return this.host.changes(this, options);
  }

  registerInitializer(name: string): () => void {
    if (typeof name !== 'string' || name === '') {
      throw new StateDBError('KLOOP_STATEDB_INITIALIZER', 'an initializer needs a name');
    }
    let unique = name;
    for (let n = 2; this.pending.has(unique); n++) unique = `${name}#${n}`;
    this.pending.add(unique);
    let done = false;
    return () => {
      if (done) throw new StateDBError('KLOOP_STATEDB_INITIALIZER', `initializer ${unique} of ${this.name} done twice`);
      done = true;
      this.pending.delete(unique);
      if (this.pending.size === 0) {
        const ws = this.waiters;
        this.waiters = [];
        for (const w of ws) w();
      }
    };
  }

  get initialized(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  isInitialized(): boolean {
    return this.pending.size === 0;
  }

  pendingInitializers(): string[] {
    return [...this.pending];
  }

  /** The lowest revision some delete tracker still needs deletes after; Infinity when none. */
  minTracked(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const t of this.trackers) {
      const r = Math.max(t.rev, t.from);
      if (r < min) min = r;
    }
    return min;
  }
}

function defaultEquals<T>(a: T, b: T): boolean {
  return a === b || deepEqual(a, b);
}
