/**
 * A collection seen as an informer-shaped event source, for consumers that take one event at a
 * time (the controller builder's `.watches(source, mapper)` takes this shape today).
 */
import { BaseCollection } from './collection.js';
import type { Collection, CollectionEventType } from './types.js';

/**
 * True for a collection made by `kloop/collections`. Consumers that take both informers and
 * collections use it to tell batch subscribers (collections) from per-event ones.
 *
 * @example
 * ```ts
 * import type { InformerReader, KubeObject } from 'kloop';
 * import type { Collection } from 'kloop/collections';
 *
 * declare const s: Collection<KubeObject> | InformerReader;
 * const source = isCollection(s) ? asEventSource(s) : s;
 * ```
 */
export function isCollection(value: unknown): value is Collection<unknown> {
  return value instanceof BaseCollection;
}

/**
 * `InformerEvent` (from `src/cache/types.ts`) without its `KubeObject` bound: collections may
 * hold any items.
 */
export interface CollectionSourceEvent<T> {
  type: CollectionEventType;
  object: T;
  oldObject?: T;
  /** True for the replay of the items held at subscription. */
  initial: boolean;
}

/** What {@link asEventSource} returns: `subscribe` with informer events, `synced`, `name`. */
export interface CollectionEventSource<T> {
  readonly name: string;
  readonly synced: Promise<void>;
  hasSynced(): boolean;
  subscribe(handler: (event: CollectionSourceEvent<T>) => void, options?: { replay?: boolean }): () => void;
}

/**
 * Adapts a collection to informer-shaped events: each batch is delivered event by event, the
 * replay with `initial: true` (so a controller can give it low priority, as for an informer's
 * first list). Batches stay whole underneath: every event of a tick is handed over before the
 * next tick starts.
 *
 * @example
 * ```ts
 * import { type KubeObject, Manager, Service } from 'kloop';
 * import type { Collection } from 'kloop/collections';
 *
 * declare const endpoints: Collection<KubeObject & { ips: string[] }>; // keyed like their Services
 * const mgr = new Manager();
 * mgr.controller('endpoints-cm')
 *   .for(Service)
 *   .watches(asEventSource(endpoints), (ep) => ({ namespace: ep.metadata.namespace, name: ep.metadata.name! }))
 *   .reconcile(async (req) => console.log('endpoints of', req.key.name, 'changed'));
 * ```
 */
export function asEventSource<T>(collection: Collection<T>): CollectionEventSource<T> {
  return {
    name: collection.name,
    synced: collection.synced,
    hasSynced: () => collection.hasSynced(),
    subscribe(handler, options) {
      let initial = true;
      const unsubscribe = collection.subscribe((batch) => {
        for (const e of batch) {
          const event: CollectionSourceEvent<T> = { type: e.type, object: e.object, initial };
          if (e.oldObject !== undefined) event.oldObject = e.oldObject;
          handler(event);
        }
      }, options);
      // Only the synchronous replay inside subscribe() is initial.
      initial = false;
      return unsubscribe;
    },
  };
}
