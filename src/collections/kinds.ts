/**
 * The public constructors of derived collections and indexes: `derive`, `deriveMany`,
 * `singleton`, `join` and `index`. Each is a thin shape over the one engine in `derived.ts`.
 */
import { BaseCollection } from './collection.js';
import { DerivedCollection, type TrackingContext, type UnitCompute } from './derived.js';
import { CollectionError } from './errors.js';
import type { IndexFn } from './store.js';
import type { Collection, CollectionIndex, CollectionOptions, FetchContext, SingletonCollection } from './types.js';

/** One unit per input item: the unit's key is the item's; a gone item yields nothing. */
function perInputItem<I, O>(
  input: Collection<I>,
  compute: (ctx: TrackingContext, item: I) => readonly O[],
): UnitCompute<O> {
  return (ctx, key) => {
    const item = input.get(key);
    if (item === undefined) return undefined;
    ctx.ran = true;
    return compute(ctx, item);
  };
}

/**
 * A 1:1 derived collection: `transform` runs once per item of `input` and returns its output,
 * or nothing (`undefined`/`null`) to produce none. Inside, `ctx.fetch` reads other collections
 * and records what it read, so the output is recomputed when, and only when, the input item or
 * something matching one of its fetches changes.
 *
 * Outputs are keyed by the `key` option, else `metadata` namespace/name, else a `key` field.
 * An output equal to the previous one (reference, structural, or `equals`) emits nothing.
 *
 * @remarks A transform that throws keeps its previous output and is reported (the registry's
 * `onError`, `describe().errors`, `kloop_collection_transform_errors_total`); it runs again on
 * the next change of its input or of anything it fetched before throwing. Transforms must be
 * pure functions of their input and fetches (no clocks, no I/O): they run at any time, any
 * number of times.
 *
 * @example
 * ```ts
 * import type { KubeObject } from 'kloop';
 * import type { Collection } from 'kloop/collections';
 *
 * interface PodObject extends KubeObject { status?: { podIP?: string } }
 * interface ServiceObject extends KubeObject { spec?: { selector?: Record<string, string> } }
 * declare const services: Collection<ServiceObject>;
 * declare const podCollection: Collection<PodObject>;
 * const endpoints = derive('endpoints', services, (ctx, svc) => {
 *   const pods = ctx.fetch(podCollection, { namespace: svc.metadata.namespace, labelSelector: svc.spec?.selector });
 *   const key = { namespace: svc.metadata.namespace, name: svc.metadata.name! };
 *   return { key, ips: pods.map((p) => p.status?.podIP) };
 * });
 * ```
 */
export function derive<I, O>(
  name: string,
  input: Collection<I>,
  transform: (ctx: FetchContext, item: I) => O | undefined | null,
  options: CollectionOptions<O> = {},
): Collection<O> {
  return new DerivedCollection<O>(
    'derive',
    name,
    [input as Collection<unknown>],
    perInputItem(input, (ctx, item) => {
      const out = transform(ctx, item);
      return out === undefined || out === null ? [] : [out];
    }),
    options,
  );
}

/**
 * A 1:N derived collection: `transform` returns any number of outputs per input item (each
 * with its own key; the order does not matter). Otherwise as {@link derive}.
 *
 * @remarks Two input items producing one output key: the first keeps it, the other is
 * reported (`KLOOP_COLLECTION_DUPLICATE_KEY`) and takes the key over once the first lets go.
 *
 * @example
 * ```ts
 * import type { KubeObject } from 'kloop';
 * import type { Collection } from 'kloop/collections';
 *
 * interface PodObject extends KubeObject { spec: { containers: Array<{ name: string; image: string }> } }
 * declare const pods: Collection<PodObject>;
 * const containers = deriveMany('containers', pods, (_ctx, pod) =>
 *   pod.spec.containers.map((c) => ({
 *     key: `${pod.metadata.namespace}/${pod.metadata.name}/${c.name}`,
 *     image: c.image,
 *   })),
 * );
 * ```
 */
export function deriveMany<I, O>(
  name: string,
  input: Collection<I>,
  transform: (ctx: FetchContext, item: I) => readonly O[] | undefined | null,
  options: CollectionOptions<O> = {},
): Collection<O> {
  return new DerivedCollection<O>(
    'deriveMany',
    name,
    [input as Collection<unknown>],
    perInputItem(input, (ctx, item) => transform(ctx, item) ?? []),
    options,
  );
}

class SingletonImpl<O> extends DerivedCollection<O> implements SingletonCollection<O> {
  value(): O | undefined {
    return this.store.get(this.name);
  }
}

/**
 * A collection of at most one item computed from fetches alone: a count, a global
 * configuration, a merged view. Its key is the collection's name.
 *
 * @remarks As {@link derive}: a throwing transform keeps the previous value.
 *
 * @example
 * ```ts
 * import type { KubeObject } from 'kloop';
 * import type { Collection } from 'kloop/collections';
 *
 * declare const pods: Collection<KubeObject>;
 * const podCount = singleton('pod-count', (ctx) => ({ n: ctx.fetch(pods).length }));
 * podCount.value()?.n;
 * ```
 */
export function singleton<O>(
  name: string,
  transform: (ctx: FetchContext) => O | undefined | null,
  options: Omit<CollectionOptions<O>, 'key'> = {},
): SingletonCollection<O> {
  return new SingletonImpl<O>(
    'singleton',
    name,
    [],
    (ctx) => {
      ctx.ran = true;
      const out = transform(ctx);
      return out === undefined || out === null ? [] : [out];
    },
    { ...options, key: () => name },
    '',
  );
}

/** Options of {@link join}. */
export interface JoinOptions<T> extends CollectionOptions<T> {
  /**
   * Combines the items the inputs hold under one key (in input order). Without it the first
   * input holding the key wins. Return undefined for no output.
   */
  merge?: (items: readonly T[]) => T | undefined;
}

/**
 * The union of several collections of one type, by key: the first input holding a key wins,
 * or `merge` combines them.
 *
 * @example
 * ```ts
 * import type { Collection } from 'kloop/collections';
 *
 * interface Setting { key: string; value: string }
 * declare const defaults: Collection<Setting>;
 * declare const overrides: Collection<Setting>;
 * const allConfig = join('config', [defaults, overrides], { merge: (items) => Object.assign({}, ...items) });
 * ```
 */
export function join<T>(name: string, inputs: readonly Collection<T>[], options: JoinOptions<T> = {}): Collection<T> {
  const { merge, ...rest } = options;
  const first = inputs[0];
  return new DerivedCollection<T>(
    'join',
    name,
    inputs as readonly Collection<unknown>[],
    (ctx, key) => {
      const items: T[] = [];
      for (const c of inputs) {
        const item = c.get(key);
        if (item !== undefined) items.push(item);
      }
      if (items.length === 0) return undefined;
      if (merge === undefined) return [items[0]];
      ctx.ran = true;
      const merged = merge(items);
      return merged === undefined ? [] : [merged];
    },
    { ...rest, key: rest.key ?? (first ? (item: T) => first.keyOf(item) : undefined) },
  );
}

/**
 * A named index over a collection: `fn` gives the values an item is found under (a string, a
 * list, or nothing). Fetch through it with `ctx.fetch(c, { index: { name, value } })` or
 * `idx.fetch(ctx, value)`; both are reverse-indexed, so a change recomputes only the outputs
 * that fetched one of the item's old or new values.
 *
 * @remarks `dispose()` removes the index and recomputes the outputs that fetched through it;
 * their transforms then fail with `KLOOP_COLLECTION_INDEX` (keeping their last output) until
 * they stop fetching through it.
 *
 * @throws CollectionError `KLOOP_COLLECTION_INDEX` when the collection has an index of that name.
 *
 * @example
 * ```ts
 * import type { KubeObject } from 'kloop';
 * import type { Collection } from 'kloop/collections';
 *
 * interface PodObject extends KubeObject { spec?: { nodeName?: string } }
 * declare const pods: Collection<PodObject>;
 * declare const nodes: Collection<KubeObject>;
 * const byNode = index(pods, 'node', (p) => p.spec?.nodeName);
 * const perNode = derive('node-pods', nodes, (ctx, node) => ({
 *   key: node.metadata.name!,
 *   pods: byNode.fetch(ctx, node.metadata.name!).length,
 * }));
 * ```
 */
export function index<T>(collection: Collection<T>, name: string, fn: IndexFn<T>): CollectionIndex<T> {
  const c = collection as unknown as BaseCollection<T>;
  if (!(c instanceof BaseCollection)) {
    throw new CollectionError('KLOOP_COLLECTION_CONTEXT', 'index() takes collections made by kloop/collections');
  }
  c.assertLive();
  if (!c.store.addIndex(name, fn)) {
    throw new CollectionError('KLOOP_COLLECTION_INDEX', `collection ${c.name} already has an index ${name}`, {
      collection: c.name,
    });
  }
  const dispose = () => {
    // Only this index: after a dispose, the name may have been taken again.
    if (c.store.removeIndex(name, fn)) c.dependents.indexRemoved(name);
  };
  return {
    name,
    collection,
    get: (value) => collection.list({ index: { name, value } }),
    fetch: (ctx, value) => ctx.fetch(collection, { index: { name, value } }),
    dispose,
    [Symbol.dispose]: dispose,
  };
}
