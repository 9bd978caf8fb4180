/**
 * Write transactions. A transaction locks its tables, changes private copies of their trees
 * (copy-on-write, in place once copied), and publishes them all with one pointer swap on commit,
 * so a commit over several tables is atomic and readers never see half of it.
 *
 * JavaScript runs a synchronous callback to the end, so a transaction cannot interleave with
 * another write to the same tables unless it stays open across an `await`. That is refused: a
 * microtask queued at `begin` finds such a transaction still open, aborts it and poisons it
 * (`KLOOP_STATEDB_TXN_ASYNC`), because the tables would stay locked for an unknown time.
 */
import { deepFreeze } from '../core/index.js';
import { type Tree, TreeBuilder, treeScan } from './btree.js';
import { type ChangesHost, dropSeenDeletes } from './changes.js';
import { StateDBError } from './errors.js';
import { encodeKey, encodeRevision, type IndexKey } from './keys.js';
import { ReadView, type Root, Snapshot, type SnapshotHost } from './snapshot.js';
import type { Entry, TableImpl, TableState } from './table.js';
import type { CompareResult, ReadTxn, Table, WriteTxn } from './types.js';

/** What a write transaction needs from its database. */
export interface TxnHost extends SnapshotHost, ChangesHost {
  readonly locks: Map<number, WriteTxnImpl>;
  /** Deep-freeze inserted objects (a debug aid, see `StateDBOptions.freeze`). */
  readonly freeze: boolean;
  nextRevision(): number;
  /** Swaps in the new table states (one atomic root change) and fires the watches. */
  publish(tables: readonly TableState<unknown>[], changed: readonly TxnTable<unknown>[]): void;
}

/** One table's private state inside a write transaction. Shaped like {@link TableState}. */
export class TxnTable<T> {
  readonly t: TableImpl<T>;
  /** The trees this transaction started from. */
  readonly baseTrees: readonly Tree<Entry<T>>[];
  readonly trees: TreeBuilder<Entry<T>>[];
  readonly revs: TreeBuilder<Entry<T>>;
  readonly grave: TreeBuilder<Entry<T>>;
  readonly graveRevs: TreeBuilder<Entry<T>>;
  revision: number;
  /** Whether this transaction maintains the revision index (see `TableImpl.trackRevisions`). */
  readonly revsOn: boolean;
  /** (old, new) entry pairs in write order, for firing watches after commit. */
  readonly log: Array<Entry<T> | undefined> = [];
  graveyardChanged = false;
  /** Scratch of `insert`: the new and old tree key of every secondary index, 2i and 2i + 1. */
  readonly keys: Array<string | undefined>;
  keysBusy = false;

  constructor(t: TableImpl<T>, s: TableState<T>, owner: object) {
    this.t = t;
    this.baseTrees = s.trees;
    this.trees = s.trees.map((tree) => new TreeBuilder(tree, owner));
    this.revs = new TreeBuilder(s.revs, owner);
    this.grave = new TreeBuilder(s.grave, owner);
    this.graveRevs = new TreeBuilder(s.graveRevs, owner);
    this.revision = s.revision;
    this.revsOn = t.trackRevisions;
    this.keys = new Array(2 * t.indexes.length);
  }

  freeze(): TableState<T> {
    if (!this.revsOn && this.t.trackRevisions) {
      // A change iterator appeared while this transaction was open: build the index it needs.
      treeScan(this.trees[0], '', (_k, e) => {
        this.revs.set(encodeRevision(e.r), e);
        return true;
      });
    }
    return {
      trees: this.trees.map((b) => b.freeze()),
      revs: this.revs.freeze(),
      grave: this.grave.freeze(),
      graveRevs: this.graveRevs.freeze(),
      revision: this.revision,
    };
  }

  /** Drops graveyard entries every delete tracker has seen (all of them when none is left). */
  collectGarbage(): void {
    if (dropSeenDeletes(this.grave, this.graveRevs, this.t.minTracked())) this.graveyardChanged = true;
  }
}

/** The implementation of {@link WriteTxn}. */
export class WriteTxnImpl extends ReadView implements WriteTxn {
  private readonly db: TxnHost;
  private readonly locked: ReadonlySet<number>;
  private readonly touched = new Map<number, TxnTable<unknown>>();
  private readonly owner = {};
  private readonly base: Root;
  private closed = false;
  private poisoned = false;
  private lastTable: Table<unknown> | undefined = undefined;
  private lastTxnTable: TxnTable<unknown> | undefined = undefined;

  /**
   * @param guard queue the microtask that catches a transaction left open across an await.
   * `db.write` passes false: it always closes the transaction before returning.
   */
  constructor(db: TxnHost, tables: readonly Table<unknown>[], guard = true) {
    super(db);
    this.db = db;
    const ids = new Set<number>();
    for (const table of tables) ids.add(db.resolve(table).id);
    for (const id of ids) {
      if (db.locks.has(id)) {
        const name = db.resolve(tables.find((t) => db.resolve(t).id === id)!).name;
        throw new StateDBError('KLOOP_STATEDB_TABLE_LOCKED', `table ${name} is locked by another write transaction`);
      }
    }
    for (const id of ids) db.locks.set(id, this);
    this.locked = ids;
    this.base = db.root;
    if (guard) {
      queueMicrotask(() => {
        if (!this.closed) {
          this.poisoned = true;
          this.abort();
        }
      });
    }
  }

  get revision(): number {
    return this.base.revision;
  }

  protected stateOf<T>(table: TableImpl<T>): TableState<T> {
    const tt = this.touched.get(table.id);
    if (tt !== undefined) return tt as unknown as TableState<T>;
    // A locked table cannot have changed since `begin` (the live root may only carry a revision
    // index or a smaller graveyard); any other one is read as of `begin`, like a snapshot, so
    // a commit elsewhere never shows through this transaction.
    const root = this.locked.has(table.id) ? this.db.root : this.base;
    return (root.tables[table.id] as TableState<T> | undefined) ?? table.emptyState();
  }

  private check(): void {
    if (this.poisoned) {
      throw new StateDBError(
        'KLOOP_STATEDB_TXN_ASYNC',
        'write transaction was still open across an await; it has been aborted',
      );
    }
    if (this.closed)
      throw new StateDBError('KLOOP_STATEDB_TXN_CLOSED', 'write transaction already committed or aborted');
  }

  private writable<T>(table: Table<T>): TxnTable<T> {
    // Batches write one table over and over: skip the lookups when it is the last one again.
    if (table === this.lastTable && !this.closed) return this.lastTxnTable as TxnTable<T>;
    const tt = this.writableSlow(table);
    this.lastTable = table;
    this.lastTxnTable = tt as TxnTable<unknown>;
    return tt;
  }

  private writableSlow<T>(table: Table<T>): TxnTable<T> {
    this.check();
    const t = this.db.resolve(table);
    let tt = this.touched.get(t.id) as TxnTable<T> | undefined;
    if (tt !== undefined) return tt;
    if (!this.locked.has(t.id)) {
      throw new StateDBError('KLOOP_STATEDB_TABLE_LOCKED', `table ${t.name} was not locked by this write transaction`);
    }
    tt = new TxnTable(t, this.stateOf(t), this.owner);
    this.touched.set(t.id, tt as TxnTable<unknown>);
    return tt;
  }

  insert<T>(table: Table<T>, obj: T): T | undefined {
    const tt = this.writable(table);
    const t = tt.t;
    const pk = t.primaryTreeKey(obj);
    // This lookup's path is reused by the primary `set` below: one descent, not two.
    const old = tt.trees[0].get(pk);
    if (old !== undefined && t.equals?.(old.o, obj)) return old.o;
    // Compute every key and check unique indexes before touching a tree, so a violation
    // leaves this transaction as it was (the caller may catch and go on). The keys go to
    // arrays kept by the table's transaction state, unless a key function re-entered.
    const n = t.indexes.length;
    let keys = tt.keys;
    if (tt.keysBusy) keys = new Array(2 * n);
    else tt.keysBusy = true;
    try {
      for (let i = 1; i < n; i++) {
        const nk = t.treeKey(i, obj, pk);
        keys[2 * i] = nk;
        keys[2 * i + 1] = old === undefined ? undefined : t.treeKey(i, old.o, pk);
        if (nk !== undefined && t.indexes[i].unique) {
          const holder = tt.trees[i].get(nk);
          if (holder !== undefined && holder.k !== pk) {
            throw new StateDBError(
              'KLOOP_STATEDB_UNIQUE_VIOLATION',
              `table ${t.name}: index ${t.indexes[i].name} already holds this key for another object`,
            );
          }
        }
      }
    } finally {
      if (keys === tt.keys) tt.keysBusy = false;
    }
    const rev = this.db.nextRevision();
    if (this.db.freeze) deepFreeze(obj);
    const entry: Entry<T> = { o: obj, r: rev, k: pk };
    for (let i = 1; i < n; i++) {
      const nk = keys[2 * i];
      const ok = keys[2 * i + 1];
      if (ok !== undefined && ok !== nk) tt.trees[i].delete(ok);
      if (nk !== undefined) tt.trees[i].set(nk, entry);
    }
    tt.trees[0].set(pk, entry);
    if (old !== undefined) {
      if (tt.revsOn) tt.revs.delete(encodeRevision(old.r));
    } else if (tt.grave.size > 0) {
      // Re-created after a delete: iterators will see it as a change of the live object, so
      // each key shows at most once per batch (cilium/statedb does the same).
      const dead = tt.grave.get(pk);
      if (dead !== undefined) {
        tt.grave.delete(pk);
        tt.graveRevs.delete(encodeRevision(dead.r));
        tt.graveyardChanged = true;
      }
    }
    if (tt.revsOn) tt.revs.set(encodeRevision(rev), entry);
    tt.revision = rev;
    tt.log.push(old, entry);
    return old === undefined ? undefined : old.o;
  }

  modify<T>(table: Table<T>, obj: T, merge: (old: T, obj: T) => T): T | undefined {
    const tt = this.writable(table);
    const old = tt.trees[0].get(tt.t.primaryTreeKey(obj));
    return this.insert(table, old === undefined ? obj : merge(old.o, obj));
  }

  delete<T>(table: Table<T>, key: IndexKey): T | undefined {
    const tt = this.writable(table);
    return this.deleteEncoded(tt, encodeKey(key));
  }

  private deleteEncoded<T>(tt: TxnTable<T>, pk: string): T | undefined {
    const t = tt.t;
    const old = tt.trees[0].get(pk);
    if (old === undefined) return undefined;
    // Every key before any tree changes, as `insert` does: a key function that throws leaves
    // the transaction as it was (deleting index by index left the object in the primary index
    // but gone from the indexes before the throw, where a unique key could then be taken).
    const n = t.indexes.length;
    let keys = tt.keys;
    if (tt.keysBusy) keys = new Array(2 * n);
    else tt.keysBusy = true;
    try {
      for (let i = 1; i < n; i++) keys[2 * i + 1] = t.treeKey(i, old.o, pk);
    } finally {
      if (keys === tt.keys) tt.keysBusy = false;
    }
    for (let i = 1; i < n; i++) {
      const k = keys[2 * i + 1];
      if (k !== undefined) tt.trees[i].delete(k);
    }
    tt.trees[0].delete(pk);
    if (tt.revsOn) tt.revs.delete(encodeRevision(old.r));
    const rev = this.db.nextRevision();
    if (t.trackers.size > 0) {
      // Keep the object for the change iterators that have not seen its deletion yet.
      const prev = tt.grave.get(pk);
      if (prev !== undefined) tt.graveRevs.delete(encodeRevision(prev.r));
      const dead: Entry<T> = { o: old.o, r: rev, k: pk };
      tt.grave.set(pk, dead);
      tt.graveRevs.set(encodeRevision(rev), dead);
      tt.graveyardChanged = true;
    }
    tt.revision = rev;
    tt.log.push(old, undefined);
    return old.o;
  }

  deleteAll<T>(table: Table<T>): number {
    const tt = this.writable(table);
    const keys: string[] = [];
    treeScan(tt.trees[0], '', (k) => {
      keys.push(k);
      return true;
    });
    for (const k of keys) this.deleteEncoded(tt, k);
    return keys.length;
  }

  compareAndSwap<T>(table: Table<T>, revision: number, obj: T): CompareResult<T> {
    const tt = this.writable(table);
    const cur = tt.trees[0].get(tt.t.primaryTreeKey(obj));
    if (cur === undefined) return { ok: false, reason: 'not-found', current: undefined };
    if (cur.r !== revision)
      return { ok: false, reason: 'revision-mismatch', current: { object: cur.o, revision: cur.r } };
    return { ok: true, old: this.insert(table, obj) };
  }

  compareAndDelete<T>(table: Table<T>, revision: number, key: IndexKey): CompareResult<T> {
    const tt = this.writable(table);
    const pk = encodeKey(key);
    const cur = tt.trees[0].get(pk);
    if (cur === undefined) return { ok: false, reason: 'not-found', current: undefined };
    if (cur.r !== revision)
      return { ok: false, reason: 'revision-mismatch', current: { object: cur.o, revision: cur.r } };
    return { ok: true, old: this.deleteEncoded(tt, pk) };
  }

  commit(): ReadTxn {
    this.finish();
    return new Snapshot(this.db, this.db.root);
  }

  /** Commits without building the snapshot `commit()` returns (`db.write` discards it). */
  finish(): void {
    this.check();
    const changed: TxnTable<unknown>[] = [];
    let tables: TableState<unknown>[] | undefined;
    for (const tt of this.touched.values()) {
      tt.collectGarbage();
      if (tt.log.length === 0 && !tt.graveyardChanged) continue;
      tables ??= this.db.root.tables.slice();
      tables[tt.t.id] = tt.freeze();
      changed.push(tt);
    }
    this.release();
    if (tables !== undefined) this.db.publish(tables, changed);
  }

  abort(): void {
    if (this.closed) return;
    this.release();
  }

  /** True once committed or aborted. */
  isClosed(): boolean {
    return this.closed;
  }

  /** Marks the transaction as misused across an await (see the module comment). */
  poison(): void {
    this.poisoned = true;
    this.abort();
  }

  private release(): void {
    this.closed = true;
    // Drop the private trees now: a closed transaction may stay referenced (by its caller or
    // its guard microtask) and must not pin a whole version of the tables.
    this.touched.clear();
    this.lastTable = undefined;
    this.lastTxnTable = undefined;
    for (const id of this.locked) if (this.db.locks.get(id) === this) this.db.locks.delete(id);
  }
}
