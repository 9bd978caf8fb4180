/**
 * The read side of a shared informer, as its consumers (controllers, collections, StateDB
 * reflectors) see it. The informer itself lives in this folder; this is the contract.
 */
import type { KubeObject, ObjectKey, TypeRef } from '../core/index.js';

export type InformerEventType = 'added' | 'updated' | 'deleted';

/** What a handler receives, synchronously, for each change the informer applies to its store. */
export interface InformerEvent<T extends KubeObject = KubeObject> {
  type: InformerEventType;
  /** The new object; for `deleted`, the last known state. */
  object: T;
  /** The previous object, for `updated` (and `deleted` when known). */
  oldObject?: T;
  /** True for adds that are part of the first list (client-go's `isInInitialList`). */
  initial: boolean;
}

export interface InformerListOptions {
  namespace?: string;
  /** Label selector text, full Kubernetes syntax. */
  labelSelector?: string;
  /** A named index and the value to look up. */
  index?: { name: string; value: string };
}

export interface SubscribeOptions {
  /** Replay the objects already in the store as `added` events (initial: true). Default true. */
  replay?: boolean;
}

/** The read-only face of one shared informer. Objects returned are immutable: copy to change. */
export interface InformerReader<T extends KubeObject = KubeObject> {
  readonly type: TypeRef;
  get(key: ObjectKey): T | undefined;
  list(options?: InformerListOptions): T[];
  /** Returns a function that unsubscribes. A throwing handler is reported, never fatal. */
  subscribe(handler: (event: InformerEvent<T>) => void, options?: SubscribeOptions): () => void;
  /** Resolves once the first list has been applied to the store. */
  readonly synced: Promise<void>;
  hasSynced(): boolean;
  readonly lastSyncResourceVersion: string | undefined;
}

/** Maps an object to the index values it is filed under (none: not indexed). */
export type IndexFunc<T extends KubeObject = KubeObject> = (obj: T) => readonly string[] | undefined;

/** Options of `factory.informer(type, options)`. Equal options give the same shared informer. */
export interface InformerOptions<T extends KubeObject = KubeObject> {
  /** Watch one namespace; default all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Applied to each object before it is stored (after managedFields stripping). Must return a
   * new object or the same one, never mutate shared state. Informers share by function identity.
   */
  transform?: (obj: T) => T;
  /** Ask for `PartialObjectMetadata`: only apiVersion, kind and metadata are kept. */
  metadataOnly?: boolean;
  /** Keep `metadata.managedFields` (stripped by default: they are often half an object's size). */
  keepManagedFields?: boolean;
}

/** A shared informer: the read side plus its lifecycle and indexes (client-go's `SharedIndexInformer`). */
export interface Informer<T extends KubeObject = KubeObject> extends InformerReader<T> {
  /** Starts list/watch (idempotent). Reads and `synced` start it too. */
  start(): void;
  /** Stops list/watch, closes the stream and clears every timer. The store keeps its contents. */
  stop(): Promise<void>;
  /** Adds an index (idempotent for the same name and function); existing objects are indexed. */
  addIndex(name: string, fn: IndexFunc<T>): void;
  /** Keys of objects filed under `value` in index `name`. */
  indexKeys(name: string, value: string): string[];
  /** Number of objects in the store. */
  readonly size: number;
  /** True once `stop()` was called. */
  readonly stopped: boolean;
}

/**
 * What the cache holds of one type (controller-runtime's `cache.ByObject`). Every field left out
 * falls back to the matching default of {@link CacheOptions}.
 */
export interface CacheTypeOptions<T extends KubeObject = KubeObject> {
  /** The type these options scope. */
  type: TypeRef;
  /**
   * Cache only these namespaces: one informer per namespace, reads merged. Ignored for
   * cluster-scoped types. Default: `defaultNamespaces`, else every namespace.
   */
  namespaces?: readonly string[];
  /** Cache only objects matching this label selector. */
  labelSelector?: string;
  /** Cache only objects matching this field selector. */
  fieldSelector?: string;
  /** Applied to each object before it is stored (after managedFields stripping). */
  transform?(obj: T): T;
}

/**
 * What the cache holds (controller-runtime's `cache.Options`): by default every object of every
 * type read, cluster-wide. Scoping narrows it, so the operator needs list/watch permission only
 * where it reads, and holds only what it reads. The cached client and every source (`for`,
 * `owns`, `watches`, collections' `fromInformer`, StateDB reflectors) read through the scoped
 * informers; a read outside the scope throws `CacheScopeError` (`KLOOP_OUTSIDE_CACHE_SCOPE`),
 * never opens a second, wider informer.
 *
 * @example
 * ```ts
 * import { ConfigMap, type CacheOptions, Secret } from 'kloop';
 *
 * const cache: CacheOptions = {
 *   defaultNamespaces: ['team-a', 'team-b'],
 *   byType: [
 *     { type: Secret, namespaces: ['team-a'], labelSelector: 'app.kubernetes.io/managed-by=mirror' },
 *     { type: ConfigMap, transform: (cm) => cm },
 *   ],
 * };
 * ```
 */
export interface CacheOptions {
  /** Namespaces cached for every namespaced type without its own `namespaces`. Default: all. */
  defaultNamespaces?: readonly string[];
  /** Label selector of every type without its own. */
  defaultLabelSelector?: string;
  /** Field selector of every type without its own. */
  defaultFieldSelector?: string;
  /** Transform of every type without its own. */
  defaultTransform?(obj: KubeObject): KubeObject;
  /** Per type options; a type listed twice is a configuration error. */
  byType?: readonly CacheTypeOptions[];
}
