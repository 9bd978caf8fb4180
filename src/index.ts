/**
 * kloop: Kubernetes controllers in TypeScript that are correct and cheap by default.
 *
 * The package root is an explicit list, grouped by layer (kube-runtime's `lib.rs` reads the same
 * way): the shapes and constants of Kubernetes objects, the errors, `KubeClient`, the shared
 * informers, controllers with their predicates and the cached client, and the `Manager` that runs
 * them. `kloop/collections`, `kloop/statedb` and `kloop/apiserver` are separate entry points.
 * Everything else stays inside its module.
 */
// biome-ignore-all assist/source/organizeImports: grouped by layer, each group under its comment

// Objects, keys and resource types: the wire JSON, `{ namespace?, name }`, `{ apiVersion, kind }`.
export type {
  BuiltinObject,
  BuiltinRef,
  DeepReadonly,
  KubeList,
  KubeObject,
  ManagedFieldsEntry,
  ObjectKey,
  ObjectMeta,
  OwnerReference,
  ResourceType,
  Status,
  StatusCause,
  StatusDetails,
  TypedRef,
  TypeRef,
  WatchEvent,
} from './core/index.js';
export { keyOf, keyString, parseKeyString } from './core/index.js';

// Built-in resource types, as `{ apiVersion, kind }` constants, each with the object type of the same name.
export {
  ClusterRole,
  ClusterRoleBinding,
  ConfigMap,
  CronJob,
  CustomResourceDefinition,
  DaemonSet,
  Deployment,
  Endpoints,
  Event,
  EventsV1Event,
  Job,
  Lease,
  Namespace,
  Node,
  PersistentVolumeClaim,
  Pod,
  ReplicaSet,
  Role,
  RoleBinding,
  Secret,
  Service,
  ServiceAccount,
  StatefulSet,
} from './core/index.js';

// Errors: each a `KloopError` with a stable `code`, listed in docs/reference/errors.md.
export {
  ApiError,
  KloopError,
  type KloopErrorCode,
  SelectorError,
  TerminalError,
  UnknownTypeError,
  WriteFencedError,
} from './core/index.js';

// Fencing: what the cached client asks before every write it sends (the manager answers).
export type { FencedRequest, FencedWrite, WriteFence } from './core/index.js';

// Time: everything that waits takes a `clock`; tests drive a `ManualClock`.
export { type Clock, ManualClock } from './core/index.js';

// The client: REST verbs, kubeconfig and auth, retries, metrics; `ApiReader` is `mgr.kube`.
export {
  type ApiReader,
  type DeleteOptions,
  type GetOptions,
  InvalidPathSegmentError,
  inClusterConfig,
  kloopRegistry,
  KubeClient,
  type KubeClientOptions,
  KubeconfigError,
  type KubeconfigErrorCode,
  type KubeconfigSource,
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

// The cache: shared informers and their stores, scoped as `cache.Options` scopes them.
export {
  byOwnerUid,
  type CacheOptions,
  CacheScopeError,
  type CacheTypeOptions,
  type IndexFunc,
  type Informer,
  type InformerDescription,
  type InformerEvent,
  type InformerEventType,
  InformerFactory,
  type InformerFactoryOptions,
  type InformerListOptions,
  type InformerOptions,
  type InformerReader,
  MissingTypeError,
  type SubscribeOptions,
} from './cache/index.js';

// Controllers: requests and their triggers, sources, predicates, the work queue and its rate limiters.
export {
  and,
  annotationsChanged,
  type Controller,
  type ControllerBuilder,
  ControllerConfigError,
  type ControllerDescription,
  type ControllerPermissions,
  type ControllerOptions,
  controllerOwner,
  ControllerStoppedError,
  defaultRateLimiter,
  deletionStarted,
  type EventSource,
  ExponentialRateLimiter,
  finalizersChanged,
  generationChanged,
  labelsChanged,
  labelSelector,
  mapFromAnnotation,
  type Mapper,
  mapToRequests,
  MaxOfRateLimiter,
  not,
  type ObjectRef,
  or,
  OWNER_INDEX,
  type Predicate,
  predicate,
  type RateLimiter,
  type RbacRule,
  type RecentReconcile,
  type ReconcileContext,
  type ReconcileOutcome,
  type ReconcileRecord,
  type ReconcileRecordFilter,
  type Reconciler,
  type ReconcileResult,
  type ReconcileReturn,
  ReconcileTimeoutError,
  type RecordedWrite,
  type Request,
  resourceVersionChanged,
  type SourceOptions,
  TokenBucketRateLimiter,
  type Trigger,
  type TriggerCount,
  type TriggerEvent,
  WorkQueue,
} from './controller/index.js';

// The cached client: reads from the cache, writes only what changed; status conditions.
export {
  type ApplyOptions,
  CachedClient,
  type CachedClientApi,
  type CachedClientOptions,
  type ClientPatchOptions,
  ClientUsageError,
  type Condition,
  type ConditionUpdate,
  type DirectWriter,
  type EventRecorderApi,
  findCondition,
  isConditionTrue,
  type ClientWriteOptions,
  type MutateOptions,
  type Mutator,
  type NewObject,
  removeCondition,
  setCondition,
  type WriteOutcome,
  type WriteReport,
  type WriteTransport,
} from './controller/index.js';

// The manager: the process around controllers (leader election, sharding, listeners, signals).
export {
  CacheSyncTimeoutError,
  checkPermissions,
  type ControllerDebugDescription,
  type DebugListenerOptions,
  type DerivedRbac,
  deriveRbac,
  describePermission,
  exitOnSignal,
  type HealthMetricsListenerOptions,
  type LeaderElectionOptions,
  LeaderElector,
  type LeaseClient,
  leaseClientFor,
  type LeaseTransport,
  Manager,
  type ManagerDescription,
  ManagerError,
  type ManagerLeaderElectionOptions,
  type ManagerOptions,
  type ManagerShardingOptions,
  type MetricsAuthOptions,
  type PolicyRule,
  type RbacCheckMode,
  type RbacCheckResult,
  RbacMissingError,
  type RbacPermission,
  type RbacSources,
  type ReadinessReport,
  type ReviewClient,
  ShardCountMismatchError,
  Sharder,
  type ShardingOptions,
  type ShardLeaseClient,
  type ShutdownOptions,
  type StopReason,
  type UserInfo,
} from './manager/index.js';

// Resources defined once: the TypeScript type, the resource type and the CRD from one schema.
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
  ValidationError,
  type ValidationRule,
  type VersionConverter,
  type VersionDefinition,
} from './resources/index.js';
