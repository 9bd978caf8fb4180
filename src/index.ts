/**
 * kloop: Kubernetes controllers in TypeScript that are correct and cheap by default.
 *
 * The package root re-exports the entry points: the core shapes and helpers, `KubeClient`,
 * the shared informers, controllers (with the cached client) and the manager;
 * `kloop/collections`, `kloop/statedb` and `kloop/apiserver` are separate entry points.
 */

export {
  byOwnerUid,
  type IndexFunc,
  type Informer,
  type InformerEvent,
  type InformerEventType,
  InformerFactory,
  type InformerFactoryOptions,
  type InformerListOptions,
  type InformerOptions,
  type InformerReader,
  SharedInformer,
  Store,
  type SubscribeOptions,
} from './cache/index.js';
export {
  type ClientMetrics,
  type DeleteOptions,
  type GetOptions,
  InvalidPathSegmentError,
  inClusterConfig,
  KubeClient,
  type KubeClientOptions,
  KubeconfigError,
  type KubeconfigErrorCode,
  type KubeconfigSource,
  kloopRegistry,
  type ListOptions,
  type LoadKubeconfigOptions,
  loadKubeconfig,
  type PatchOptions,
  type PatchType,
  type ResolvedKubeconfig,
  TransportError,
  type WatchOptions,
  WatchParseError,
  type WriteOptions,
} from './client/index.js';
export * from './controller/index.js';
export * from './core/index.js';
export * from './manager/index.js';
export {
  type CrdOptions,
  type CustomObject,
  type CustomResourceDefinitionObject,
  defineResource,
  type FieldError,
  isResource,
  type JSONSchemaProps,
  K8s,
  type MultiVersionDefinition,
  type ObjectOf,
  type PrinterColumn,
  type Resource,
  ResourceDefinitionError,
  type ResourceVersion,
  type SingleVersionDefinition,
  type Static,
  Type,
  type ValidationRule,
  type VersionConverter,
  type VersionDefinition,
} from './resources/index.js';
