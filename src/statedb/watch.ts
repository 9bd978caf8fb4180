/**
 * Watches: one-shot signals that a query's result may have changed (cilium/statedb's watch
 * channels, closed on change). A watch is created only when a caller asks for it, registered
 * under the exact key, prefix or lower bound it covers, and fired by the commit that touches
 * that range, so a change to an unrelated key never wakes it.
 */
import type { Watch } from './types.js';

/** Where a registered watch lives, so cancel/fire can remove it in O(1). */
type Home = { set: Set<WatchImpl>; map: Map<string, Set<WatchImpl>>; key: string } | { set: Set<WatchImpl> };

/** The implementation of {@link Watch}. */
export class WatchImpl implements Watch {
  private done = false;
  private callbacks: Array<() => void> | undefined;
  private promiseCache: Promise<void> | undefined;
  private resolvePromise: (() => void) | undefined;
  /** @internal */
  home: Home | undefined;
  /** Reports callback errors; set by the registry. */
  private readonly onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void) {
    this.onError = onError;
  }

  get fired(): boolean {
    return this.done;
  }

  get promise(): Promise<void> {
    if (this.promiseCache === undefined) {
      this.promiseCache = this.done
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.resolvePromise = resolve;
          });
    }
    return this.promiseCache;
  }

  onFire(callback: () => void): () => void {
    if (this.done) {
      this.call(callback);
      return () => {};
    }
    this.callbacks ??= [];
    this.callbacks.push(callback);
    return () => {
      const i = this.callbacks?.indexOf(callback) ?? -1;
      if (i >= 0) this.callbacks!.splice(i, 1);
    };
  }

  wait(signal?: AbortSignal): Promise<boolean> {
    if (this.done) return Promise.resolve(true);
    if (signal === undefined) return this.promise.then(() => true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = () => {
        off();
        resolve(false);
      };
      const off = this.onFire(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  cancel(): void {
    this.unregister();
    this.callbacks = undefined;
  }

  /** @internal Fires the watch: removes it from its registry and runs its callbacks. */
  fire(): void {
    if (this.done) return;
    this.done = true;
    this.unregister();
    this.resolvePromise?.();
    const cbs = this.callbacks;
    this.callbacks = undefined;
    if (cbs !== undefined) for (const cb of cbs) this.call(cb);
  }

  private call(cb: () => void): void {
    try {
      cb();
    } catch (err) {
      this.onError(err);
    }
  }

  private unregister(): void {
    const home = this.home;
    if (home === undefined) return;
    this.home = undefined;
    home.set.delete(this);
    if ('map' in home && home.set.size === 0) home.map.delete(home.key);
  }
}

/**
 * The watches of one index: exact keys, prefixes and lower bounds. Lower bounds are few in
 * practice (paging), so they are a plain map, each bound checked against every changed key.
 */
export class IndexWatches {
  readonly exact = new Map<string, Set<WatchImpl>>();
  readonly prefix = new Map<string, Set<WatchImpl>>();
  readonly lower = new Map<string, Set<WatchImpl>>();

  get size(): number {
    let n = 0;
    for (const s of this.exact.values()) n += s.size;
    for (const s of this.prefix.values()) n += s.size;
    for (const s of this.lower.values()) n += s.size;
    return n;
  }

  isEmpty(): boolean {
    return this.exact.size === 0 && this.prefix.size === 0 && this.lower.size === 0;
  }

  add(kind: 'exact' | 'prefix' | 'lower', key: string, w: WatchImpl): void {
    const map = this[kind];
    let set = map.get(key);
    if (set === undefined) {
      set = new Set();
      map.set(key, set);
    }
    set.add(w);
    w.home = { set, map, key };
  }

  /** Collects the watches a change of `key` must fire into `out`. */
  collect(key: string, out: WatchImpl[]): void {
    const e = this.exact.get(key);
    if (e !== undefined) for (const w of e) out.push(w);
    if (this.prefix.size > 0) {
      if (this.prefix.size <= key.length + 1) {
        for (const [p, set] of this.prefix) if (key.startsWith(p)) for (const w of set) out.push(w);
      } else {
        for (let i = 0; i <= key.length; i++) {
          const set = this.prefix.get(key.slice(0, i));
          if (set !== undefined) for (const w of set) out.push(w);
        }
      }
    }
    if (this.lower.size > 0) {
      for (const [b, set] of this.lower) if (key >= b) for (const w of set) out.push(w);
    }
  }
}

/** All watches of one table: per index, plus whole-table watches (`all`, change iterators). */
export class TableWatches {
  readonly indexes: IndexWatches[];
  readonly any = new Set<WatchImpl>();

  constructor(indexCount: number) {
    this.indexes = Array.from({ length: indexCount }, () => new IndexWatches());
  }

  isEmpty(): boolean {
    return this.any.size === 0 && this.indexes.every((i) => i.isEmpty());
  }

  count(): number {
    let n = this.any.size;
    for (const i of this.indexes) n += i.size;
    return n;
  }

  addAny(w: WatchImpl): void {
    this.any.add(w);
    w.home = { set: this.any };
  }
}
