/**
 * The public shapes of `kloop/collections`: what a collection is, what a transform sees, the
 * filters `ctx.fetch` takes, and the debug dump. Implementations live beside this file.
 */
import type { LabelSelector, LabelSelectorSpec, ObjectKey } from '../core/index.js';
import type { CollectionRegistry } from './registry.js';

/** The kind of change a collection emits, the same words informers use. */
export type CollectionEventType = 'added' | 'updated' | 'deleted';

/**
 * One change of one item. Batches of these are what subscribers (and controllers watching a
 * collection through `.watches(collection, mapper)`) receive.
 */
export interface CollectionEvent<T> {
  type: CollectionEventType;
  /** The new item; for `deleted`, the last one the collection held. */
  object: T;
  /** The previous item, for `updated` and `deleted`. */
  oldObject?: T;
}

/** Receives every change of one scheduler tick at once, after the whole graph is consistent. */
export type BatchHandler<T> = (batch: readonly CollectionEvent<T>[]) => void;

/** Options of {@link Collection.subscribe}. */
export interface CollectionSubscribeOptions {
  /** Deliver the items already held as one `added` batch, synchronously. Default true. */
  replay?: boolean;
}

/**
 * A label selector in any of the forms Kubernetes objects carry: text (`app=web,tier!=db`), a
 * Service-style map (`{ app: 'web' }`), a `metav1.LabelSelector` (`{ matchLabels,
 * matchExpressions }`), or one already parsed by `kloop`'s core.
 */
export type SelectorInput = string | Readonly<Record<string, string>> | LabelSelectorSpec | LabelSelector;

/**
 * What `ctx.fetch`, `c.list` and `ctx.fetchOne` select. Every given field must hold (AND).
 *
 * Every field except `where` has a reverse index: when an input changes, the outputs whose
 * fetch it can affect are found by lookup, never by scanning (istio's krt scans for its
 * `FilterGeneric` and unindexed filters).
 */
export interface Filter<T> {
  /** Exactly this key (`'ns/name'`, `'name'`, or `{ namespace, name }`). */
  key?: string | ObjectKey;
  /** Any of these keys. */
  keys?: ReadonlyArray<string | ObjectKey>;
  /** Items in this namespace. */
  namespace?: string;
  /**
   * Items whose labels match this selector. A property present but `undefined` or `null`
   * selects nothing, as a null `metav1.LabelSelector` does, so `{ labelSelector:
   * svc.spec.selector }` on a Service without selector fetches no pods. `{}` selects all.
   */
  labelSelector?: SelectorInput | null;
  /**
   * Items whose own selector (`spec.selector` by default) matches these labels: "which
   * Services select this Pod". An item without selector selects nothing; an empty one, all.
   */
  selects?: Readonly<Record<string, string>>;
  /** Items whose named index (see `index(c, name, fn)`) holds this value. */
  index?: { name: string; value: string };
  /** Any predicate. Applied last, after the indexed fields narrowed the candidates. */
  where?: (item: T) => boolean;
}

/** What a transform receives: tracked reads of other collections. */
export interface FetchContext {
  /**
   * Reads `collection` through `filter` and records the read, so that a later change matching
   * the filter recomputes this output (and nothing else). Results are in key order.
   */
  fetch<U>(collection: Collection<U>, filter?: Filter<U>): U[];
  /** The first item {@link FetchContext.fetch} would return, or undefined. */
  fetchOne<U>(collection: Collection<U>, filter?: Filter<U>): U | undefined;
}

/** How a collection reads the metadata filters work on, for items that are not Kubernetes objects. */
export interface ItemMeta<T> {
  /** Default: `metadata.namespace`, else a `namespace` field, else `key.namespace`. */
  namespace?: (item: T) => string | undefined;
  /** Default: `metadata.labels`, else a `labels` field. */
  labels?: (item: T) => Readonly<Record<string, string>> | undefined;
  /** Default: `spec.selector`, else a `selector` field. Undefined means "selects nothing". */
  selector?: (item: T) => SelectorInput | undefined | null;
}

/** Options every collection kind takes. */
export interface CollectionOptions<T> {
  /** The scheduler and debug registry; default the process-wide {@link defaultRegistry}. */
  registry?: CollectionRegistry;
  /** Disposes the collection when aborted. */
  signal?: AbortSignal;
  /**
   * The key of an item. Default: `namespace/name` of `metadata`, else a `key` field (a string
   * or `{ namespace?, name }`).
   */
  key?: (item: T) => string;
  /** Equality of two versions of an output; default reference, then structural. */
  equals?: (a: T, b: T) => boolean;
  /** Metadata extraction for filters. */
  meta?: ItemMeta<T>;
  /**
   * Derived kinds: collections whose sync gates this one's, besides the primary inputs and
   * whatever the transforms fetched. Use it when a transform may not fetch on every run (with
   * no input items, a derive fetches nothing, and so cannot know what it would wait for).
   */
  dependsOn?: readonly Collection<unknown>[];
}

/** One dependency group in {@link CollectionDescription.dependencies}. */
export interface DependencyDescription {
  /** The collection read. */
  collection: string;
  /** `primary` for the input a derive runs over, otherwise the filter fields, e.g. `namespace+labelSelector`. */
  filter: string;
  /** How many outputs hold such a dependency. */
  count: number;
}

/** `collection.describe()`: a JSON-ready view for `/debug/kloop`. */
export interface CollectionDescription {
  name: string;
  kind: CollectionKind;
  /** Creation order; a collection only reads collections of a lower rank. */
  rank: number;
  size: number;
  synced: boolean;
  disposed: boolean;
  /** Primary inputs and every collection its transforms ever fetched from. */
  inputs: string[];
  dependencies: DependencyDescription[];
  /** Keys waiting for the next tick. */
  dirty: number;
  stats: CollectionStats;
  /** Outputs whose last transform threw (their previous output is kept). */
  errors: Array<{ key: string; message: string }>;
  /** Named indexes over this collection. */
  indexes: string[];
}

/** Counters kept by every collection. */
export interface CollectionStats {
  transformCalls: number;
  transformErrors: number;
  /** Events emitted downstream (added, updated, deleted). */
  events: number;
  /** Recomputes whose output equalled the previous one and so emitted nothing. */
  unchanged: number;
}

/** The collection kinds. */
export type CollectionKind = 'informer' | 'static' | 'derive' | 'deriveMany' | 'singleton' | 'join';

/**
 * A keyed, observable set of items: read it, subscribe to its changes, derive others from it.
 *
 * @remarks A collection never fails as a whole: a transform that throws keeps the last good
 * output for that key and is reported (metric, `describe().errors`, the registry's `onError`);
 * the next change of any of its inputs retries it.
 */
export interface Collection<T> extends Disposable {
  readonly name: string;
  readonly kind: CollectionKind;
  /** The key of an item, as this collection computes it. */
  keyOf(item: T): string;
  /** The item under `key`, untracked (use `ctx.fetchOne` inside transforms). */
  get(key: string | ObjectKey): T | undefined;
  /**
   * Items matching `filter`, in key order, untracked.
   * @throws CollectionError `KLOOP_COLLECTION_INDEX` when the filter names a missing index.
   */
  list(filter?: Filter<T>): T[];
  readonly size: number;
  /**
   * Calls `handler` with each tick's changes. Returns a function that unsubscribes, at once:
   * even a batch being delivered to other handlers is not handed to it any more.
   * A throwing handler is reported, never fatal.
   */
  subscribe(handler: BatchHandler<T>, options?: CollectionSubscribeOptions): () => void;
  /** Resolves once the inputs are synced and the initial computation is done. */
  readonly synced: Promise<void>;
  hasSynced(): boolean;
  describe(): CollectionDescription;
  /** Releases every subscription, dependency and index; idempotent. */
  dispose(): void;
}

/** A collection set by hand. */
export interface StaticCollection<T> extends Collection<T> {
  /** Adds or replaces the item under its key; applied at the next tick. */
  set(item: T): void;
  /** Removes the item under `key`; applied at the next tick. */
  delete(key: string | ObjectKey): void;
  /** Makes the collection hold exactly `items`. */
  replace(items: readonly T[]): void;
}

/** A collection of at most one item. */
export interface SingletonCollection<T> extends Collection<T> {
  /** The value, or undefined when the transform returned nothing. */
  value(): T | undefined;
}

/** A named index over a collection, made by `index(c, name, fn)`. */
export interface CollectionIndex<T> extends Disposable {
  readonly name: string;
  readonly collection: Collection<T>;
  /** Items holding `value`, untracked. */
  get(value: string): T[];
  /** Items holding `value`, tracked (same as `ctx.fetch(c, { index: { name, value } })`). */
  fetch(ctx: FetchContext, value: string): T[];
  dispose(): void;
}

/** Receives counts as they happen; `registerCollectionMetrics` binds it to prom-client. */
export interface CollectionMetricsSink {
  transformCall(collection: string): void;
  transformError(collection: string): void;
  emitted(collection: string, events: number): void;
  tick(seconds: number): void;
}

/** The registry-wide dump (`/debug/kloop` section). */
export interface RegistryDescription {
  collections: CollectionDescription[];
  /** The dependency graph in Mermaid `flowchart` form. */
  mermaid: string;
  ticks: number;
  pending: boolean;
}
