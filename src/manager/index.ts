/**
 * The manager: the process around controllers. It owns the cluster connection (to users a
 * read-only `mgr.kube`), the shared informers (`mgr.informer(type)`), the cached client through
 * which every write goes (`mgr.client`), the metrics registry and the controllers
 * (`mgr.controller(name)`), and starts and stops them together. It runs them as an operator
 * replica should: only while leading (`leaderElection`) or only for the keys of the shards it
 * holds (`sharding`), with writes fenced by the Lease; it serves `/metrics`, `/healthz`, `/readyz`
 * and `/debug/kloop` (`http`); and `exitOnSignal` turns SIGTERM into a drain, a Lease release and
 * exit 0. See docs/manager.md and docs/sharding.md.
 */

export type { ControllerDebugDescription, ManagerDescription } from './debug-document.js';
export {
  type EndpointGroup,
  type EndpointProviders,
  type HttpEndpoints,
  type HttpEndpointsOptions,
  type ReadinessReport,
  startHttpEndpoints,
} from './http.js';
export { defaultIdentity } from './identity.js';
export {
  type LeaderElectionOptions,
  LeaderElector,
  type LeaseClient,
  type LeaseObject,
  type LeaseSpec,
  microTime,
} from './leader-election.js';
export { type LeaseTransport, leaseClientFor } from './lease-client.js';
export {
  type DebugListenerOptions,
  type HealthMetricsListenerOptions,
  type Listeners,
  startListeners,
} from './listeners.js';
export { redactingLogger } from './logging.js';
export { DEFAULT_DRAIN_TIMEOUT_MS, Manager, ManagerError, type StopReason } from './manager.js';
export {
  type AuthDecision,
  type MetricsAuthOptions,
  metricsAuthorizer,
  type RequestAuthorizer,
  type ReviewClient,
  reviewClientFor,
  type UserInfo,
} from './metrics-auth.js';
export type { ManagerLeaderElectionOptions, ManagerOptions, ManagerShardingOptions } from './options.js';
export {
  type DerivedRbac,
  deriveRbac,
  describePermission,
  guessPlural,
  type PolicyRule,
  type RbacPermission,
  type RbacSources,
  toRules,
} from './rbac.js';
export { checkPermissions, type RbacCheckMode, type RbacCheckResult, RbacMissingError } from './rbac-check.js';
export { REDACTED, type RedactOptions, redactSecrets } from './redact.js';
export {
  DEFAULT_RETIRED_LIMIT,
  MIN_MASKED_LENGTH,
  SecretValues,
  type SecretValuesOptions,
} from './secret-values.js';
export {
  assignShards,
  ShardCountMismatchError,
  Sharder,
  type ShardingOptions,
  type ShardLeaseClient,
  shardOf,
  stableHash,
} from './sharding.js';
export { DEFAULT_SHUTDOWN_DEADLINE_MS, exitOnSignal, type ShutdownOptions } from './signals.js';
export { CacheSyncTimeoutError, withSyncTimeout } from './sync-timeout.js';
