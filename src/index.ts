/**
 * kloop: Kubernetes controllers in TypeScript that are correct and cheap by default.
 *
 * The package root re-exports the entry points: the core shapes and helpers, `KubeClient`,
 * the shared informers, controllers (with the cached client) and the manager;
 * `kloop/collections`, `kloop/statedb` and `kloop/apiserver` are separate entry points.
 */
export * from './core/index.js';
export {
  KubeClient,
  KubeconfigError,
  TransportError,
  WatchParseError,
  kloopRegistry,
  type ClientMetrics,
  type DeleteOptions,
  type GetOptions,
  type KubeClientOptions,
  type KubeconfigSource,
  type ListOptions,
  type PatchOptions,
  type PatchType,
  type WatchOptions,
  type WriteOptions,
} from './client/index.js';
export {
  InformerFactory,
  SharedInformer,
  Store,
  byOwnerUid,
  type IndexFunc,
  type Informer,
  type InformerEvent,
  type InformerEventType,
  type InformerFactoryOptions,
  type InformerListOptions,
  type InformerOptions,
  type InformerReader,
  type SubscribeOptions,
} from './cache/index.js';
export * from './controller/index.js';
export * from './manager/index.js';
