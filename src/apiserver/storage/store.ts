/**
 * The emulator's MVCC storage: one global revision (like etcd's), and per resource a map of
 * stored objects, their keys in order, and a bounded history of change events.
 *
 * - Every write takes the next revision; the object's `metadata.resourceVersion` is that revision.
 * - A stored object is immutable and serialized once: the list path and every watcher reuse
 *   {@link StoredObject.json}.
 * - The history (at most `historyLimit` events per resource) serves watch resumes and consistent
 *   continue pages. Anything older was compacted away: asking for it is a 410 Expired, exactly as
 *   etcd compaction makes the real server answer.
 * - Lists at an older revision (continue pages) are rebuilt from the current state plus the events
 *   since that revision, so a page costs O(page + events since the first page), never O(store).
 */
import type { Clock, KubeObject } from '../../core/index.js';
import { expired } from '../errors/status-errors.js';
import { SortedKeys } from './sorted-keys.js';

/** One object as stored: the object (never mutated), its JSON text, its revision and key. */
export interface StoredObject {
  readonly object: KubeObject;
  readonly json: string;
  readonly rv: number;
  readonly key: string;
}

/** One change in a resource's history. */
export interface StoredEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly rv: number;
  readonly key: string;
  /** The new state; for DELETED the last state, carrying the revision of the delete. */
  readonly object: StoredObject;
  /** The state before the change (undefined for ADDED). */
  readonly prev: StoredObject | undefined;
}

/** Options of {@link ResourceStore.list}. */
export interface ListRange {
  /** Only keys in this namespace. */
  namespace?: string;
  /** First key to consider (from a continue token). */
  startKey?: string;
  /** Page size; 0 or undefined means everything. */
  limit?: number;
  /** Serve the state as of this revision (continue pages); default: now. */
  atRevision?: number;
  /** Keeps only matching objects (selectors). */
  filter?: (object: KubeObject) => boolean;
  /** Compute `remaining` (only meaningful without a filter). */
  countRemaining?: boolean;
}

/** A page of a list. */
export interface ListPage {
  items: StoredObject[];
  /** Key to continue from, when the page was cut by the limit. */
  nextKey?: string;
  /** Keys after the page (only with `countRemaining`). */
  remaining?: number;
}

/** Called synchronously for each committed event. */
export type StoreListener = (event: StoredEvent) => void;

const validate = process.env.KLOOP_VALIDATE === '1';

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

/** Whether `x` is a StoredObject (as opposed to a plain body a write answers with). */
export function isStored(x: object): x is StoredObject {
  return typeof (x as StoredObject).json === 'string' && typeof (x as StoredObject).rv === 'number';
}

/** A read waiting for the storage to reach a revision. */
interface RevisionWaiter {
  readonly revision: number;
  readonly done: (reached: boolean) => void;
}

/** The global revision counter shared by every resource store. */
export class Storage {
  private current = 0;
  private readonly stores = new Map<string, ResourceStore>();
  private readonly waiters = new Set<RevisionWaiter>();

  /**
   * @param historyLimit events kept per resource.
   * @param admitObject called with every object about to be stored and its JSON text, before it
   * takes a revision: it may throw to refuse the write (etcd's request size limit).
   */
  constructor(
    private readonly historyLimit: number,
    readonly admitObject?: (object: KubeObject, json: string) => void,
  ) {}

  /** The latest committed revision. */
  get revision(): number {
    return this.current;
  }

  /** Takes the next revision. Only {@link ResourceStore} calls this. */
  nextRevision(): number {
    return ++this.current;
  }

  /** A write under the current revision is complete: wakes the reads that waited for it. */
  committed(): void {
    if (this.waiters.size === 0) return;
    for (const w of this.waiters) {
      if (w.revision <= this.current) {
        this.waiters.delete(w);
        w.done(true);
      }
    }
  }

  /**
   * Resolves `true` once a write at `revision` or later is committed, or `false` when
   * `timeoutMs` passes on `clock` first (or `signal` aborts). The real server's watch cache
   * waits so for a read at a resourceVersion it has not seen yet (`blockTimeout`, 3 s).
   */
  waitForRevision(revision: number, timeoutMs: number, clock: Clock, signal?: AbortSignal): Promise<boolean> {
    if (revision <= this.current) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const finish = (reached: boolean): void => {
        this.waiters.delete(waiter);
        cancel();
        signal?.removeEventListener('abort', onAbort);
        resolve(reached);
      };
      const onAbort = (): void => finish(false);
      const waiter: RevisionWaiter = { revision, done: finish };
      this.waiters.add(waiter);
      const cancel = clock.setTimer(() => finish(false), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The store of one resource, keyed `group/plural` (all versions share it). */
  resource(id: string): ResourceStore {
    let store = this.stores.get(id);
    if (!store) {
      store = new ResourceStore(this, this.historyLimit);
      this.stores.set(id, store);
    }
    return store;
  }

  /** Forgets a resource and its objects (a deleted CRD). */
  drop(id: string): void {
    this.stores.delete(id);
  }

  /** Drops every resource's history, so any resume or continue before now gets 410. */
  compact(): void {
    for (const store of this.stores.values()) store.compact();
  }

  /** All resource stores, for stats and namespace cleanup. */
  entries(): IterableIterator<[string, ResourceStore]> {
    return this.stores.entries();
  }
}

/** Objects of one resource (all namespaces), their order, and their history. */
export class ResourceStore {
  private readonly objects = new Map<string, StoredObject>();
  private readonly keys = new SortedKeys();
  private history: StoredEvent[] = [];
  private head = 0;
  /** Events at or below this revision are gone: resuming from below it is a 410. */
  private compactedRevision = 0;
  private readonly listeners = new Set<StoreListener>();

  constructor(
    private readonly storage: Storage,
    private readonly historyLimit: number,
  ) {}

  /** Number of stored objects. */
  get size(): number {
    return this.objects.size;
  }

  /** The oldest revision a watch may resume from (inclusive). */
  get oldestResumable(): number {
    return this.compactedRevision;
  }

  /** The global revision now. */
  get revision(): number {
    return this.storage.revision;
  }

  /** Waits for the global revision to reach `revision` (see {@link Storage.waitForRevision}). */
  waitForRevision(revision: number, timeoutMs: number, clock: Clock, signal?: AbortSignal): Promise<boolean> {
    return this.storage.waitForRevision(revision, timeoutMs, clock, signal);
  }

  /** The stored object at `key`, if any. */
  get(key: string): StoredObject | undefined {
    return this.objects.get(key);
  }

  /** Every stored object in key order. */
  *all(namespace?: string): Generator<StoredObject> {
    const prefix = namespace ? `${namespace}/` : undefined;
    for (const key of this.keys.from(prefix)) {
      if (prefix !== undefined && !key.startsWith(prefix)) return;
      const stored = this.objects.get(key);
      if (stored) yield stored;
    }
  }

  /**
   * Stores `object` (which the caller hands over and must not touch again) under the next
   * revision and tells the listeners. Returns the event.
   */
  put(key: string, object: KubeObject): StoredEvent {
    // The revision is taken only once the object is admitted: a refused write leaves no gap.
    const rv = this.storage.revision + 1;
    object.metadata.resourceVersion = String(rv);
    // apiVersion and kind first, always: list bodies cut them off built-in items by slicing.
    const { apiVersion, kind, metadata, ...rest } = object;
    const ordered = { apiVersion, kind, metadata, ...rest };
    const json = JSON.stringify(ordered);
    this.storage.admitObject?.(ordered, json);
    this.storage.nextRevision();
    const stored = seal(key, ordered, rv, json);
    const prev = this.objects.get(key);
    this.objects.set(key, stored);
    if (!prev) this.keys.add(key);
    return this.record({ type: prev ? 'MODIFIED' : 'ADDED', rv, key, object: stored, prev });
  }

  /**
   * Replaces what is stored at `key` without a new revision or event: for a change in what a
   * read of the object returns, not in the object (a CRD's new storage defaults, which the real
   * server applies to every object it reads back).
   */
  revise(key: string, object: KubeObject): void {
    const prev = this.objects.get(key);
    if (!prev) return;
    object.metadata.resourceVersion = String(prev.rv);
    const { apiVersion, kind, metadata, ...rest } = object;
    this.objects.set(key, seal(key, { apiVersion, kind, metadata, ...rest }, prev.rv));
  }

  /** Removes `key` under the next revision; undefined when absent. */
  remove(key: string): StoredEvent | undefined {
    const prev = this.objects.get(key);
    if (!prev) return undefined;
    const rv = this.storage.nextRevision();
    // The DELETED event carries the revision of the delete, as the real server's does.
    const last = JSON.parse(prev.json) as KubeObject;
    last.metadata.resourceVersion = String(rv);
    const stored = seal(key, last, rv);
    this.objects.delete(key);
    this.keys.delete(key);
    return this.record({ type: 'DELETED', rv, key, object: stored, prev });
  }

  /** Registers a listener for committed events; returns the unsubscribe function. */
  listen(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Events with revision > `since`, oldest first. Throws 410 Expired when some of them were
   * compacted away.
   */
  eventsSince(since: number): StoredEvent[] {
    if (since < this.compactedRevision) {
      throw expired(`too old resource version: ${since} (${this.compactedRevision})`);
    }
    let lo = this.head;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid].rv <= since) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  /** Forgets the history: resuming from any revision before now is a 410. */
  compact(): void {
    this.history = [];
    this.head = 0;
    this.compactedRevision = this.storage.revision;
  }

  /** A page of objects in key order, at the current revision or an older one. */
  list(range: ListRange): ListPage {
    const prefix = range.namespace ? `${range.namespace}/` : '';
    let start = range.startKey ?? prefix;
    if (start < prefix) start = prefix;
    const at = range.atRevision ?? this.storage.revision;
    // State as of `at` for the keys written since: key -> object then (null = absent then).
    const overlay = new Map<string, StoredObject | null>();
    if (at < this.storage.revision) {
      if (at < this.compactedRevision) {
        throw expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from the response to get a consistent list from this point.',
        );
      }
      for (const e of this.eventsSince(at)) if (!overlay.has(e.key)) overlay.set(e.key, e.prev ?? null);
    }
    const extra = [...overlay.keys()].filter((k) => k >= start && k.startsWith(prefix)).sort();
    const limit = range.limit && range.limit > 0 ? range.limit : Number.POSITIVE_INFINITY;
    const items: StoredObject[] = [];
    const current = this.keys.from(start);
    let a = current.next();
    let xi = 0;
    let lastKey: string | undefined;
    let cut = false;
    while (!a.done || xi < extra.length) {
      let key: string;
      if (a.done || (xi < extra.length && extra[xi] < a.value)) key = extra[xi++];
      else {
        key = a.value;
        if (xi < extra.length && extra[xi] === key) xi++;
        a = current.next();
      }
      if (!key.startsWith(prefix)) {
        if (key > prefix) break;
        continue;
      }
      const stored = overlay.has(key) ? overlay.get(key) : this.objects.get(key);
      if (!stored) continue;
      if (items.length >= limit) {
        cut = true;
        break;
      }
      if (range.filter && !range.filter(stored.object)) continue;
      items.push(stored);
      lastKey = key;
    }
    const page: ListPage = { items };
    if (cut && lastKey !== undefined) {
      page.nextKey = `${lastKey}\u0000`;
      if (range.countRemaining) page.remaining = this.countFrom(page.nextKey, prefix, overlay);
    }
    return page;
  }

  private countFrom(from: string, prefix: string, overlay: Map<string, StoredObject | null>): number {
    let n = this.keys.countFrom(from);
    if (prefix !== '') {
      // Keys of the namespace are exactly those in [prefix, prefixEnd): '/' + 1 is '0'.
      const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
      n -= this.keys.countFrom(end);
    }
    for (const [key, then] of overlay) {
      if (key < from || !key.startsWith(prefix)) continue;
      const now = this.objects.has(key);
      if (now && then === null) n--;
      else if (!now && then !== null) n++;
    }
    return n;
  }

  private record(event: StoredEvent): StoredEvent {
    this.history.push(event);
    if (this.history.length - this.head > this.historyLimit) {
      this.compactedRevision = this.history[this.head].rv;
      this.head++;
      // Reclaim the dropped prefix now and then, not on every event.
      if (this.head > 1024 && this.head * 2 > this.history.length) {
        this.history = this.history.slice(this.head);
        this.head = 0;
      }
    }
    for (const listener of this.listeners) listener(event);
    this.storage.committed();
    return event;
  }
}

function seal(key: string, object: KubeObject, rv: number, json = JSON.stringify(object)): StoredObject {
  if (validate) deepFreeze(object);
  return { object, json, rv, key };
}
