/**
 * The options of `new Manager(...)`: the cluster connection, what the cache holds, how replicas
 * share the work (leader election with warm standby, or sharding), the listeners, and the
 * tunables of the runtime.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CacheOptions, InformerFactoryOptions } from '../cache/index.js';
import type { KubeClient, KubeClientOptions, KubeconfigSource } from '../client/index.js';
import type { CollectionRegistry } from '../collections/index.js';
import type { RbacRule } from '../controller/index.js';
import type { Clock } from '../core/index.js';
import type { Resource } from '../resources/index.js';
import type { DebugListenerOptions, HealthMetricsListenerOptions } from './listeners.js';
import type { RbacCheckMode } from './rbac-check.js';

/** `leaderElection` option: one Lease, one leader; the others wait. */
export interface ManagerLeaderElectionOptions {
  /** Lease name, e.g. the operator's name. */
  name: string;
  /** Lease namespace. Default `$POD_NAMESPACE`, then `default`. */
  namespace?: string;
  /** Default `$POD_NAME` (else the host name) + a unique suffix (`defaultIdentity`). */
  identity?: string;
  /** ms, default 15 000. */
  leaseDuration?: number;
  /** ms, default 10 000. */
  renewDeadline?: number;
  /** ms, default 2 000. */
  retryPeriod?: number;
  /**
   * Warm standby (controller-runtime's warm replicas): a replica that does not lead still lists
   * and watches what its controllers read, so taking over needs no list. Writes stay fenced by the
   * Lease. Default true; false starts the informers only once leading (a cold standby).
   */
  warmStandby?: boolean;
}

/** `sharding` option: replicas split the keys by shard (see docs/sharding.md). */
export interface ManagerShardingOptions {
  /** Base name of the shard and membership Leases. */
  name: string;
  /** Default `$POD_NAMESPACE`, then `default`. */
  namespace?: string;
  /** Number of shards, the same in every replica. Default 16. */
  shards?: number;
  identity?: string;
  leaseDuration?: number;
  renewDeadline?: number;
  retryPeriod?: number;
}

/** Options of `new Manager(...)`. */
export interface ManagerOptions {
  /**
   * Kubeconfig path, object (such as the emulator's `server.kubeconfig`) or client-node
   * `KubeConfig`; default `$KUBECONFIG`, `~/.kube/config`, then in-cluster.
   */
  kubeconfig?: KubeconfigSource | object;
  /** A ready client instead of `kubeconfig`. */
  kubeClient?: KubeClient;
  /** Options of the `KubeClient` the manager makes. */
  clientOptions?: KubeClientOptions;
  /** Options of the informer factory. */
  informerOptions?: InformerFactoryOptions;
  /**
   * What the cache holds (controller-runtime's `cache.Options`): namespaces, selectors and
   * transforms by default and by type. The cached client and every source read through it; a read
   * outside it throws `CacheScopeError`. Default: every object of every type read, cluster-wide.
   */
  cache?: CacheOptions;
  /**
   * Fail `start()` with a `CacheSyncTimeoutError` (naming missing resource types with their fix)
   * when the controllers' caches have not synced within this many ms. Default: wait (and report
   * missing types in the logs and `/readyz` until they appear). The testing helpers turn it on.
   */
  cacheSyncTimeoutMs?: number;
  /** Registry for every kloop metric of this manager; default a fresh one (`mgr.registry`). */
  registry?: Registry;
  /**
   * Default: kloop's pino logger (level `info`, or `$KLOOP_LOG_LEVEL`). Every line the framework
   * writes goes through a redacting child of it (`mgr.logger`).
   */
  logger?: Logger;
  /** Field manager of `mgr.client` applies. Default `kloop`. */
  fieldManager?: string;
  /** Events' `source.component`. Default `kloop`. */
  component?: string;
  /**
   * Resources defined with `defineResource` whose objects `mgr.client` validates before every
   * write, even one that names no type (`apply`); any defined resource passed to it as a type is
   * validated too. Default none.
   */
  resources?: readonly Resource[];
  /** Client-side validation of defined resources by `mgr.client` (default true). */
  validate?: boolean;
  /** How long `stop()` waits for in-flight reconciles before aborting them. Default 20 s (`DEFAULT_DRAIN_TIMEOUT_MS`). */
  drainTimeoutMs?: number;
  /** Timers of queues and controllers (tests use a manual clock). */
  clock?: Clock;
  /** Run controllers only while this process holds a Lease. Exclusive with `sharding`. */
  leaderElection?: ManagerLeaderElectionOptions;
  /** Split keys between replicas by shard Leases. Exclusive with `leaderElection`. */
  sharding?: ManagerShardingOptions;
  /**
   * The health and metrics listener: `/healthz`, `/livez`, `/readyz`, `/metrics` (host default
   * `0.0.0.0`, reachable by kubelet and Prometheus; port 0 = free). Off unless given.
   */
  http?: HealthMetricsListenerOptions;
  /** The debug listener: `/debug/kloop` (host default `127.0.0.1`; port 0 = free). Off unless given. */
  debug?: DebugListenerOptions;
  /** Reconciles each controller keeps in its debug record. Default 100. */
  recordSize?: number;
  /** Wall time of the debug record's `startedAt`, ms since the epoch. Default `Date.now`. */
  wallClock?: () => number;
  /**
   * Permissions the manager needs beyond what its controllers and informers show (e.g. writes
   * through `mgr.client` outside a controller); they join `mgr.rbacRules()` and the check.
   */
  rbac?: readonly RbacRule[];
  /**
   * Before its informers start, `start()` asks the API server (SelfSubjectAccessReview) for each
   * permission of `mgr.rbacRules()`. `'fail'` (default) makes `start()` reject with an
   * `RbacMissingError` naming every missing permission; `'warn'` logs them and reports them in
   * `/readyz`; `'off'` asks nothing. A server without the review API (the emulator without
   * `secure`) skips the check.
   */
  rbacCheck?: RbacCheckMode;
  /** Collections to show in `/debug/kloop` and count in `/metrics`. */
  collections?: CollectionRegistry;
}
