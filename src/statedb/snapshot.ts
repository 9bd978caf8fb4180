/**
 * Read transactions: queries over one consistent view of every table, and the watches that
 * cover them. A snapshot is the database root at one instant, so taking one is O(1) and it
 * never sees a later write (the trees it points to are never mutated).
 */
import { type Tree, treeFrom, treeGet, treePrefix, treePrefixObjects, treeScan } from './btree.js';
import { StateDBError } from './errors.js';
import { encodeGroup, encodeKey, encodeLowerBound, encodePrefix, type IndexKey } from './keys.js';
import type { Entry, TableImpl, TableState } from './table.js';
import type { Query, QueryResult, ReadTxn, Revisioned, Table, TableDump, Watch } from './types.js';
import { WatchImpl } from './watch.js';

/** The database root: one immutable state per table, by table id. */
export interface Root {
  readonly revision: number;
  readonly tables: readonly TableState<unknown>[];
}

/** What a read transaction needs from its database. */
export interface SnapshotHost {
  readonly root: Root;
  resolve<T>(table: Table<T>): TableImpl<T>;
  reportError(err: unknown): void;
}

/** A query with its index resolved and its key encoded. */
export interface ResolvedQuery {
  readonly index: number;
  readonly kind: 'exact' | 'prefix' | 'lower' | 'all';
  readonly key: string;
  /** A unique index answers an exact query with one lookup, a non-unique one with a scan. */
  readonly unique: boolean;
}

/** Encodes a query for one table. */
export function resolveQuery<T>(table: TableImpl<T>, q: Query): ResolvedQuery {
  const index = table.indexOf(q.index ?? 'primary');
  const unique = table.indexes[index].unique;
  if ('key' in q) return { index, unique, kind: 'exact', key: unique ? encodeKey(q.key) : encodeGroup(q.key) };
  if ('prefix' in q) return { index, unique, kind: 'prefix', key: encodePrefix(q.prefix, unique) };
  if ('lowerBound' in q) return { index, unique, kind: 'lower', key: encodeLowerBound(q.lowerBound, unique) };
  if ('all' in q) return { index, unique, kind: 'all', key: '' };
  throw new StateDBError('KLOOP_STATEDB_BAD_QUERY', 'a query needs key, prefix, lowerBound or all');
}

/** Runs a resolved query against index trees, in index order. */
export function runQuery<T>(trees: readonly Tree<Entry<T>>[], q: ResolvedQuery, out: Entry<T>[] = []): Entry<T>[] {
  const tree = trees[q.index];
  switch (q.kind) {
    case 'exact':
      if (q.unique) {
        const e = treeGet(tree, q.key);
        if (e !== undefined) out.push(e);
        return out;
      }
      return treePrefix(tree, q.key, out);
    case 'prefix':
      return treePrefix(tree, q.key, out);
    case 'lower':
    case 'all':
      return treeFrom(tree, q.key, out);
  }
}

function objects<T>(entries: readonly Entry<T>[]): T[] {
  const out = new Array<T>(entries.length);
  for (let i = 0; i < entries.length; i++) out[i] = entries[i].o;
  return out;
}

/** The read side shared by snapshots and write transactions. */
export abstract class ReadView implements ReadTxn {
  protected readonly host: SnapshotHost;

  constructor(host: SnapshotHost) {
    this.host = host;
  }

  abstract get revision(): number;

  /** The table's state as this view sees it. */
  protected abstract stateOf<T>(table: TableImpl<T>): TableState<T>;

  get<T>(table: Table<T>, key: IndexKey): T | undefined {
    const t = this.host.resolve(table);
    return t.latest.get(this.stateOf(t).trees[0], typeof key === 'string' ? key : encodeKey(key));
  }

  first<T>(table: Table<T>, index: string, key: IndexKey): T | undefined {
    const t = this.host.resolve(table);
    const q = resolveQuery(t, { index, key });
    const tree = this.stateOf(t).trees[q.index];
    if (t.indexes[q.index].unique) return treeGet(tree, q.key)?.o;
    let found: T | undefined;
    treeScan(tree, q.key, (k, v) => {
      if (k.startsWith(q.key)) found = v.o;
      return false;
    });
    return found;
  }

  getRevisioned<T>(table: Table<T>, key: IndexKey): Revisioned<T> | undefined {
    const t = this.host.resolve(table);
    const e = treeGet(this.stateOf(t).trees[0], encodeKey(key));
    return e === undefined ? undefined : { object: e.o, revision: e.r };
  }

  list<T>(table: Table<T>, index: string, key: IndexKey): T[] {
    const t = this.host.resolve(table);
    const i = t.indexOf(index);
    const tree = this.stateOf(t).trees[i];
    const groups = t.latestGroups[i];
    if (groups !== undefined) return groups.list(tree, encodeGroup(key));
    const o = i === 0 ? t.latest.get(tree, encodeKey(key)) : treeGet(tree, encodeKey(key))?.o;
    return o === undefined ? [] : [o];
  }

  prefix<T>(table: Table<T>, index: string, prefix: IndexKey): T[] {
    const t = this.host.resolve(table);
    const i = t.indexOf(index);
    return treePrefixObjects(this.stateOf(t).trees[i], encodePrefix(prefix, t.indexes[i].unique), []);
  }

  lowerBound<T>(table: Table<T>, index: string, from: IndexKey): T[] {
    return this.entries(table, { index, lowerBound: from });
  }

  all<T>(table: Table<T>): T[] {
    return this.entries(table, { all: true });
  }

  count<T>(table: Table<T>): number {
    return this.stateOf(this.host.resolve(table)).trees[0].size;
  }

  tableRevision<T>(table: Table<T>): number {
    return this.stateOf(this.host.resolve(table)).revision;
  }

  dump<T>(table: Table<T>): TableDump<T> {
    const t = this.host.resolve(table);
    const s = this.stateOf(t);
    const objects: Array<{ revision: number; object: T }> = [];
    treeScan(s.trees[0], '', (_k, e) => {
      objects.push({ revision: e.r, object: e.o });
      return true;
    });
    return { name: t.name, revision: s.revision, objects };
  }

  query<T>(table: Table<T>, indexOrQuery: string | Query, key?: IndexKey): QueryResult<T> {
    const t = this.host.resolve(table);
    const q: Query = typeof indexOrQuery === 'string' ? { index: indexOrQuery, key: key as IndexKey } : indexOrQuery;
    const rq = resolveQuery(t, q);
    const state = this.stateOf(t);
    const entries = runQuery(state.trees, rq);
    const items = objects(entries);
    let watch: Watch | undefined;
    const host = this.host;
    return {
      items,
      revision: state.revision,
      get watch(): Watch {
        watch ??= registerWatch(host, t, rq, state, entries);
        return watch;
      },
    };
  }

  private entries<T>(table: Table<T>, q: Query): T[] {
    const t = this.host.resolve(table);
    return objects(runQuery(this.stateOf(t).trees, resolveQuery(t, q)));
  }
}

/**
 * Creates the watch of a query that ran on `seen`. If a commit has changed the table since,
 * the query is re-run on the current state: a different result fires the watch at once, so no
 * change between the read and the watch is ever missed.
 */
export function registerWatch<T>(
  host: SnapshotHost,
  t: TableImpl<T>,
  rq: ResolvedQuery,
  seen: TableState<T>,
  entries: readonly Entry<T>[],
): WatchImpl {
  const w = new WatchImpl((err) => host.reportError(err));
  const current = host.root.tables[t.id] as TableState<T>;
  if (current !== seen) {
    const now = runQuery(current.trees, rq);
    let same = now.length === entries.length;
    for (let i = 0; same && i < now.length; i++) same = now[i] === entries[i];
    if (!same) {
      w.fire();
      return w;
    }
  }
  if (rq.kind === 'all') t.watches.addAny(w);
  else t.watches.indexes[rq.index].add(rq.kind, rq.key, w);
  return w;
}

/** A read-only snapshot of the whole database. */
export class Snapshot extends ReadView {
  private readonly root: Root;

  constructor(host: SnapshotHost, root: Root) {
    super(host);
    this.root = root;
  }

  get revision(): number {
    return this.root.revision;
  }

  protected stateOf<T>(table: TableImpl<T>): TableState<T> {
    return (this.root.tables[table.id] as TableState<T> | undefined) ?? table.emptyState();
  }

  // The point read of a snapshot, without the shared read path's indirections (measured).
  override get<T>(table: Table<T>, key: IndexKey): T | undefined {
    const t = this.host.resolve(table);
    const s = this.root.tables[t.id] as TableState<T> | undefined;
    if (s === undefined) return undefined;
    return t.latest.get(s.trees[0], typeof key === 'string' ? key : encodeKey(key));
  }
}
