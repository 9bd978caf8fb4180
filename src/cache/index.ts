/**
 * The cache: shared informers and their stores.
 *
 * `new InformerFactory(client).informer(type, options)` gives the one informer for those
 * arguments: a reflector (streaming or paginated list, atomic replace, watch with bookmarks,
 * relist on 410, backoff, watchdog) filling a store with a namespace index and user indexes,
 * and handlers told of each change synchronously. Consumers read through `InformerReader`.
 */
export { clientListerWatcher, InformerFactory, type InformerFactoryOptions } from './factory.js';
export { SharedInformer, type SharedInformerOptions } from './informer.js';
export { type InformerMetrics, informerMetrics } from './metrics.js';
export {
  type ListerWatcher,
  type ListPageRequest,
  Reflector,
  type ReflectorOptions,
  type ReflectorSink,
  WatchErrorEvent,
  type WatchRequest,
} from './reflector.js';
export { byOwnerUid, Store } from './store.js';
export { makePipeline, type PipelineOptions } from './transform.js';
export type * from './types.js';
