/**
 * The cache: shared informers and their stores.
 *
 * `new InformerFactory(client).informer(type, options)` gives the one informer for those
 * arguments: a reflector (streaming or paginated list, atomic replace, watch with bookmarks,
 * relist on 410, backoff, watchdog) filling a store with a namespace index and user indexes,
 * and handlers told of each change synchronously. Consumers read through `InformerReader`.
 * A `scope` (`CacheOptions`, controller-runtime's `cache.Options`) narrows what every informer
 * holds: namespaces (one informer per namespace, read as one), selectors and transforms by type.
 */
export {
  clientListerWatcher,
  type InformerDescription,
  InformerFactory,
  type InformerFactoryOptions,
} from './factory.js';
export { SharedInformer, type SharedInformerOptions } from './informer.js';
export { type InformerMetrics, informerMetrics } from './metrics.js';
export {
  DEFAULT_MISSING_TYPE_POLL_MS,
  DEFAULT_MISSING_TYPE_REPORT_MS,
  type MissingType,
  MissingTypeError,
  missingTypeMessage,
  TypeWaiter,
  type TypeWaiterOptions,
} from './missing-types.js';
export { MultiNamespaceInformer, type MultiNamespaceInformerOptions } from './multi-namespace.js';
export {
  type ListerWatcher,
  type ListPageRequest,
  Reflector,
  type ReflectorOptions,
  type ReflectorSink,
  WatchErrorEvent,
  type WatchRequest,
} from './reflector.js';
export { CacheScopeError, type ScopeSelectors } from './scope.js';
export { byOwnerUid, Store } from './store.js';
export { makePipeline, type PipelineOptions } from './transform.js';
export type * from './types.js';
