/**
 * Change iterators (cilium/statedb's `Changes()`): batches of `{ object, revision, deleted }` in
 * revision order. The first batch holds every object present; later ones what changed since.
 * Several writes to one object between two batches show as its last state only.
 *
 * Deletes come from the graveyard: while an iterator is open, every deleted object is kept
 * there until each open iterator has been handed a batch past its deletion (its delete tracker),
 * then the next write transaction on the table drops it. Closing an iterator drops at once what
 * only it was holding. An iterator dropped without `close()` is closed when it is garbage
 * collected (Go's statedb uses a finalizer the same way), so a forgotten one cannot make the
 * graveyard grow for ever.
 */
import { type TreeBuilder, treeScan } from './btree.js';
import { encodeRevision } from './keys.js';
import type { Root } from './snapshot.js';
import type { DeleteTracker, Entry, TableImpl, TableState } from './table.js';
import type { Change, ChangeIterator, ChangesOptions } from './types.js';
import { WatchImpl } from './watch.js';

/** What an iterator needs from the database. */
export interface ChangesHost {
  readonly root: Root;
  reportError(err: unknown): void;
  /** Unregisters a delete tracker and drops the graveyard entries no tracker needs any more. */
  releaseTracker(table: TableImpl<unknown>, tracker: DeleteTracker): void;
}

/** What the finalizer of an abandoned iterator needs; it must not reach the iterator itself. */
interface Held {
  host: ChangesHost;
  table: TableImpl<unknown>;
  tracker: DeleteTracker;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

const abandoned = new FinalizationRegistry<Held>((h) => {
  h.signal?.removeEventListener('abort', h.onAbort);
  h.host.releaseTracker(h.table, h.tracker);
});

/**
 * Drops from a graveyard (being changed by `grave`/`graveRevs`) every delete at or below `min`,
 * the lowest revision a delete tracker still needs deletes after. Returns whether any was dropped.
 */
export function dropSeenDeletes<T>(
  grave: TreeBuilder<Entry<T>>,
  graveRevs: TreeBuilder<Entry<T>>,
  min: number,
): boolean {
  if (grave.size === 0) return false;
  const drop: Entry<T>[] = [];
  treeScan(graveRevs, '', (_k, e) => {
    if (e.r > min) return false;
    drop.push(e);
    return true;
  });
  for (const e of drop) {
    graveRevs.delete(encodeRevision(e.r));
    if (grave.get(e.k) === e) grave.delete(e.k);
  }
  return drop.length > 0;
}

/** The implementation of {@link ChangeIterator}. */
export class ChangeIteratorImpl<T> implements ChangeIterator<T> {
  private readonly host: ChangesHost;
  private readonly table: TableImpl<T>;
  private readonly tracker: DeleteTracker;
  private readonly stop = new AbortController();
  /** Holds the iterator weakly: a long-lived signal must not keep an abandoned one alive. */
  private readonly onAbort: () => void;
  private readonly userSignal: AbortSignal | undefined;
  private closed = false;

  constructor(host: ChangesHost, table: TableImpl<T>, options: ChangesOptions | undefined) {
    this.host = host;
    this.table = table;
    const state = host.root.tables[table.id] as TableState<T> | undefined;
    this.tracker = { rev: 0, from: state?.revision ?? 0 };
    table.trackers.add(this.tracker);
    const self = new WeakRef(this);
    this.onAbort = () => self.deref()?.close();
    this.userSignal = options?.signal;
    if (this.userSignal?.aborted) {
      this.close();
      return;
    }
    this.userSignal?.addEventListener('abort', this.onAbort, { once: true });
    const held: Held = {
      host,
      table: table as TableImpl<unknown>,
      tracker: this.tracker,
      signal: this.userSignal,
      onAbort: this.onAbort,
    };
    abandoned.register(this, held, this.tracker);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<readonly Change<T>[], undefined>> {
    for (;;) {
      if (this.closed) return { done: true, value: undefined };
      const state = this.host.root.tables[this.table.id] as TableState<T>;
      const batch = this.collect(state);
      if (batch.length > 0) {
        this.tracker.rev = state.revision;
        return { done: false, value: batch };
      }
      // Nothing new: sleep until the next commit on this table. Registering is synchronous
      // with the read above, so no commit can slip in between.
      const w = new WatchImpl((err) => this.host.reportError(err));
      this.table.watches.addAny(w);
      const fired = await w.wait(this.stop.signal);
      if (!fired) w.cancel();
    }
  }

  async return(): Promise<IteratorResult<readonly Change<T>[], undefined>> {
    this.close();
    return { done: true, value: undefined };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    abandoned.unregister(this.tracker);
    this.userSignal?.removeEventListener('abort', this.onAbort);
    this.stop.abort();
    this.host.releaseTracker(this.table as TableImpl<unknown>, this.tracker);
  }

  /** Live objects and graveyard entries newer than the tracker, merged by revision. */
  private collect(state: TableState<T>): Change<T>[] {
    const since = this.tracker.rev;
    const live: Entry<T>[] = [];
    treeScan(state.revs, encodeRevision(since), (_k, e) => {
      if (e.r > since) live.push(e);
      return true;
    });
    const deadSince = Math.max(since, this.tracker.from);
    const dead: Entry<T>[] = [];
    if (state.graveRevs.size > 0) {
      treeScan(state.graveRevs, encodeRevision(deadSince), (_k, e) => {
        if (e.r > deadSince) dead.push(e);
        return true;
      });
    }
    if (dead.length === 0) return live.map((e) => ({ object: e.o, revision: e.r, deleted: false }));
    const out: Change<T>[] = [];
    let i = 0;
    let j = 0;
    while (i < live.length || j < dead.length) {
      if (j >= dead.length || (i < live.length && live[i].r < dead[j].r)) {
        const e = live[i++];
        out.push({ object: e.o, revision: e.r, deleted: false });
      } else {
        const e = dead[j++];
        out.push({ object: e.o, revision: e.r, deleted: true });
      }
    }
    return out;
  }
}
