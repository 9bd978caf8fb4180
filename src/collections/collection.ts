/**
 * What every collection kind shares: the store and its reverse index, emitting changes to
 * dependents and subscribers, the synced promise, disposal and the description. Kinds differ
 * only in how they fill the store (`process`) and when they count as synced (`canSync`).
 */
import { deepEqual, deepFreeze, type ObjectKey } from '../core/index.js';
import { DependentIndex } from './dependents.js';
import { CollectionError } from './errors.js';
import { normalizeFilter } from './filter.js';
import { type Meta, makeMeta, toKeyString } from './meta.js';
import { type CollectionRegistry, defaultRegistry, type RegistryNode } from './registry.js';
import { Store } from './store.js';
import type {
  BatchHandler,
  Collection,
  CollectionDescription,
  CollectionEvent,
  CollectionKind,
  CollectionOptions,
  CollectionStats,
  CollectionSubscribeOptions,
  DependencyDescription,
  Filter,
} from './types.js';

/** Something recomputed when a primary input's key changes (a derive over it, a join). */
export interface PrimaryConsumer {
  primaryChanged(key: string): void;
}

/** Reference equality, then structural (the default `equals`). */
export function defaultEquals<T>(a: T, b: T): boolean {
  return a === b || deepEqual(a, b);
}

/** The shared implementation of every collection kind. */
export abstract class BaseCollection<T> implements Collection<T>, RegistryNode {
  abstract readonly kind: CollectionKind;
  readonly name: string;
  readonly rank: number;
  readonly registry: CollectionRegistry;
  readonly meta: Meta<T>;
  readonly store: Store<T>;
  readonly dependents: DependentIndex<T>;
  /** Derived collections and joins that run over this one. */
  readonly primaryConsumers = new Set<PrimaryConsumer>();
  readonly stats: CollectionStats = { transformCalls: 0, transformErrors: 0, events: 0, unchanged: 0 };
  readonly synced: Promise<void>;
  protected readonly equals: (a: T, b: T) => boolean;
  private readonly subscribers = new Set<BatchHandler<T>>();
  /** This tick's events by key, folded so a key appears once per batch. */
  private outbox = new Map<string, CollectionEvent<T>>();
  private syncedFlag = false;
  private resolveSynced!: () => void;
  private disposed = false;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = () => this.dispose();

  constructor(name: string, options: CollectionOptions<T>, equals?: (a: T, b: T) => boolean) {
    this.name = name;
    this.registry = options.registry ?? defaultRegistry;
    this.meta = makeMeta(name, options.key, options.meta);
    this.store = new Store(this.meta);
    this.dependents = new DependentIndex(this.meta, this.store);
    this.equals = options.equals ?? equals ?? defaultEquals;
    this.synced = new Promise((resolve) => {
      this.resolveSynced = resolve;
    });
    this.rank = this.registry.register(this);
    this.signal = options.signal;
    if (this.signal?.aborted) queueMicrotask(this.onAbort);
    else this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Applies pending changes or recomputes dirty keys; called by the registry's tick. */
  abstract process(): void;
  /** True when inputs are synced and nothing is pending. */
  abstract canSync(): boolean;
  /** Names of primary inputs and fetched collections, for `describe()`. */
  protected abstract inputNames(): string[];
  protected abstract dependencyDescriptions(): DependencyDescription[];
  protected abstract pendingCount(): number;
  protected abstract errorList(): Array<{ key: string; message: string }>;
  /** Kind-specific release of subscriptions and dependencies. */
  protected abstract release(): void;

  keyOf(item: T): string {
    return this.meta.keyOf(item);
  }

  get(key: string | ObjectKey): T | undefined {
    return this.store.get(toKeyString(key));
  }

  /** @throws CollectionError `KLOOP_COLLECTION_INDEX` when the filter names a missing index. */
  list(filter?: Filter<T>): T[] {
    const f = normalizeFilter(filter);
    if (f.index !== undefined) this.assertIndex(f.index.name);
    return this.store.query(f);
  }

  /** @throws CollectionError `KLOOP_COLLECTION_INDEX` unless this collection has index `name`. */
  assertIndex(name: string): void {
    if (!this.store.named.has(name)) {
      throw new CollectionError('KLOOP_COLLECTION_INDEX', `collection ${this.name} has no index ${name}`, {
        collection: this.name,
      });
    }
  }

  get size(): number {
    return this.store.size;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  subscribe(handler: BatchHandler<T>, options?: CollectionSubscribeOptions): () => void {
    this.assertLive();
    this.subscribers.add(handler);
    if ((options?.replay ?? true) && this.store.size > 0) {
      const batch = [...this.store.items.values()].map((object): CollectionEvent<T> => ({ type: 'added', object }));
      this.call(handler, batch);
    }
    return () => {
      this.subscribers.delete(handler);
    };
  }

  /** Number of subscribers (tests check disposal releases them). */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  hasSynced(): boolean {
    return this.syncedFlag;
  }

  markSynced(): void {
    if (this.syncedFlag) return;
    this.syncedFlag = true;
    this.resolveSynced();
  }

  /** @throws CollectionError `KLOOP_COLLECTION_DISPOSED` */
  assertLive(): void {
    if (this.disposed) {
      throw new CollectionError('KLOOP_COLLECTION_DISPOSED', `collection ${this.name} is disposed`, {
        collection: this.name,
      });
    }
  }

  /**
   * Sets (or with `next` undefined, deletes) the item under `key`. When it differs from what is
   * held, emits the event to subscribers, primary consumers and dependents. Returns whether
   * anything changed.
   */
  protected write(key: string, next: T | undefined): boolean {
    const prev = this.store.get(key);
    if (next === undefined) {
      if (prev === undefined) return false;
      this.store.delete(key);
    } else {
      if (prev !== undefined && this.equals(prev, next)) {
        this.stats.unchanged++;
        return false;
      }
      if (this.registry.validate) deepFreeze(next);
      this.store.set(key, next);
    }
    this.stats.events++;
    this.registry.metrics?.emitted(this.name, 1);
    if (this.subscribers.size > 0) this.record(key, prev, next);
    for (const c of this.primaryConsumers) c.primaryChanged(key);
    this.dependents.notify(key, prev, next);
    return true;
  }

  private record(key: string, prev: T | undefined, next: T | undefined): void {
    const earlier = this.outbox.get(key);
    // Fold with an earlier event of this tick: the batch shows the tick's net change.
    const before = earlier === undefined ? prev : earlier.type === 'added' ? undefined : earlier.oldObject;
    if (before === undefined && next === undefined) this.outbox.delete(key);
    else if (earlier !== undefined && before !== undefined && next !== undefined && this.equalsSafely(before, next)) {
      // Deleted and put back equal within the tick (an output moving between units): no net change.
      this.outbox.delete(key);
    } else if (before === undefined) this.outbox.set(key, { type: 'added', object: next! });
    else if (next === undefined) this.outbox.set(key, { type: 'deleted', object: prev!, oldObject: before });
    else this.outbox.set(key, { type: 'updated', object: next, oldObject: before });
    this.registry.enqueueDelivery(this);
  }

  /** `equals`, with a throw counting as "changed": the event is kept rather than lost. */
  private equalsSafely(a: T, b: T): boolean {
    try {
      return this.equals(a, b);
    } catch {
      return false;
    }
  }

  deliver(): void {
    if (this.outbox.size === 0) return;
    const batch = [...this.outbox.values()];
    this.outbox = new Map();
    for (const handler of [...this.subscribers]) {
      // A handler unsubscribed by an earlier one during this delivery gets nothing more.
      if (this.subscribers.has(handler)) this.call(handler, batch);
    }
  }

  private call(handler: BatchHandler<T>, batch: readonly CollectionEvent<T>[]): void {
    try {
      handler(batch);
    } catch (cause) {
      this.registry.reportError(
        new CollectionError('KLOOP_COLLECTION_SUBSCRIBER', `subscriber of ${this.name} threw: ${String(cause)}`, {
          cause,
          collection: this.name,
        }),
      );
    }
  }

  describe(): CollectionDescription {
    return {
      name: this.name,
      kind: this.kind,
      rank: this.rank,
      size: this.store.size,
      synced: this.syncedFlag,
      disposed: this.disposed,
      inputs: this.inputNames(),
      dependencies: this.dependencyDescriptions(),
      dirty: this.pendingCount(),
      stats: { ...this.stats },
      errors: this.errorList(),
      indexes: [...this.store.named.keys()],
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.release();
    this.signal?.removeEventListener('abort', this.onAbort);
    this.registry.unregister(this);
    this.subscribers.clear();
    this.outbox.clear();
    this.primaryConsumers.clear();
    this.dependents.clear();
    this.store.clear();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Groups `{ collection, filter }` pairs into counted {@link DependencyDescription}s. */
export function groupDependencies(deps: Iterable<{ collection: string; filter: string }>): DependencyDescription[] {
  const counts = new Map<string, DependencyDescription>();
  for (const d of deps) {
    const id = `${d.collection}\u0000${d.filter}`;
    const e = counts.get(id);
    if (e) e.count++;
    else counts.set(id, { collection: d.collection, filter: d.filter, count: 1 });
  }
  return [...counts.values()];
}
