/**
 * The manager: one process's cluster connection, shared informers, cached client and
 * controllers, started and stopped together (controller-runtime's `manager.Manager`), plus what
 * makes it an operator process: leader election or sharding on Leases, the HTTP endpoints
 * (`/metrics`, `/healthz`, `/readyz`, `/debug/kloop`) and a graceful stop.
 *
 * Writes: every write goes through `mgr.client` (or a reconcile's view of it), which asks the
 * manager's fence first (`fencing.ts`): with leader election the elector's, with sharding the
 * fence of the reconcile's shard; every reconcile of a key also first asks `sharder.owns(key)`. A
 * process that may not write sends nothing (`KLOOP_WRITE_FENCED`). `mgr.kube` only reads.
 */
import type { Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { type Informer, InformerFactory, type InformerFactoryOptions, type InformerOptions } from '../cache/index.js';
import {
  type ApiReader,
  apiReader,
  defaultLogger,
  KubeClient,
  type KubeClientOptions,
  type KubeconfigSource,
} from '../client/index.js';
import { type CollectionRegistry, registerCollectionMetrics } from '../collections/index.js';
import {
  CachedClient,
  type Controller,
  type ControllerBuilder,
  type ControllerDescription,
  type InformerProvider,
  type RecentReconcile,
  type Reconciler,
} from '../controller/index.js';
import {
  type Clock,
  type DeepReadonly,
  KloopError,
  type KubeObject,
  keyOf,
  keyString,
  type ObjectKey,
  perRegistry,
  systemClock,
  type TypedRef,
} from '../core/index.js';
import type { Resource } from '../resources/index.js';
import { managerFence, WrappingControllerBuilder } from './fencing.js';
import { type HttpEndpoints, type ReadinessReport, startHttpEndpoints } from './http.js';
import { LeaderElector } from './leader-election.js';
import { leaseClientFor } from './lease-client.js';
import { redactSecrets } from './redact.js';
import { Sharder, type ShardLeaseClient, shardOf } from './sharding.js';

/** `leaderElection` option: one Lease, one leader; the others wait. */
export interface ManagerLeaderElectionOptions {
  /** Lease name, e.g. the operator's name. */
  name: string;
  /** Lease namespace. Default `$POD_NAMESPACE`, then `default`. */
  namespace?: string;
  /** Default hostname + random suffix. */
  identity?: string;
  /** ms, default 15 000. */
  leaseDuration?: number;
  /** ms, default 10 000. */
  renewDeadline?: number;
  /** ms, default 2 000. */
  retryPeriod?: number;
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
  /** Registry for every kloop metric of this manager; default a fresh one (`mgr.registry`). */
  registry?: Registry;
  /** Default: kloop's quiet pino logger (level `warn`, or `$KLOOP_LOG_LEVEL`). */
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
  /** Serve `/metrics`, `/healthz`, `/readyz`, `/debug/kloop` (host default 127.0.0.1, port 0 = free). */
  http?: { port?: number; host?: string };
  /** Collections to show in `/debug/kloop` and count in `/metrics`. */
  collections?: CollectionRegistry;
}

/**
 * Default of `drainTimeoutMs`: leaves 5 s of `exitOnSignal`'s default deadline (25 s) to release
 * the Leases and close, so a hanging reconcile does not cost the next replica a lease duration.
 */
export const DEFAULT_DRAIN_TIMEOUT_MS = 20_000;

/** Raised for lifecycle misuse (adding a controller after stop) and conflicting options. */
export class ManagerError extends KloopError {
  constructor(message: string) {
    super('KLOOP_MANAGER', message);
  }
}

/** Why the manager stopped (`await mgr.done`). */
export type StopReason = 'stopped' | 'leadership-lost';

/** What `mgr.describe()` returns: the `/debug/kloop` document. */
export interface ManagerDescription {
  started: boolean;
  identity?: string;
  leaderElection?: { lease: string; leading: boolean; canWrite: boolean; leader: string | undefined };
  sharding?: {
    shards: number;
    members: readonly string[];
    held: number[];
    skippedNotOwned: number;
    mismatchedMembers: readonly string[];
  };
  controllers: Array<
    ControllerDescription & {
      running: boolean;
      queue: {
        depth: number;
        waiting: number;
        inFlight: Array<{ key: string; triggers: unknown[]; totalTriggers: number }>;
      };
      recent: readonly RecentReconcile[];
    }
  >;
  informers: Array<{ type: string; synced: boolean; size: number; resourceVersion: string | undefined }>;
  collections?: unknown;
  [section: string]: unknown;
}

/**
 * Runs controllers against one cluster.
 *
 * @example
 * ```ts
 * import { ConfigMap, exitOnSignal, labelSelector, Secret } from 'kloop';
 * import { startApiServer } from 'kloop/apiserver';
 *
 * const server = await startApiServer();
 * const mgr = new Manager({
 *   kubeconfig: server.kubeconfig,
 *   leaderElection: { name: 'mirror', namespace: 'kloop-system' },
 *   http: { port: 8080 },
 * });
 * mgr.controller('mirror')
 *   .for(ConfigMap, { predicates: [labelSelector('mirror=true')] })
 *   .owns(Secret)
 *   .reconcile(async (req, ctx) => {
 *     const cm = await ctx.client.get(ConfigMap, req.key);
 *     if (!cm) return;
 *     // ... compute the Secret and ctx.client.apply(...) it
 *   });
 * await mgr.start();
 * exitOnSignal(() => mgr.stop());
 * ```
 *
 * @remarks `start()` starts informers, the endpoints and the campaign, and resolves once every
 * controller runs on synced caches (with leader election: at once for a follower; `mgr.elected`
 * resolves when this process leads and its controllers run). Losing leadership stops every
 * controller and the manager (`mgr.done` resolves `'leadership-lost'`; the process should exit
 * and be restarted, as controller-runtime's does). `stop()` stops taking events, lets in-flight
 * reconciles finish within `drainTimeoutMs`, aborts the rest through `ctx.signal`, then releases
 * the Leases, stops informers, the endpoints and connections.
 */
export class Manager {
  /**
   * Reads straight from the API server, bypassing the cache (controller-runtime's
   * `mgr.GetAPIReader()`): `get`, `list`, `watch`. It cannot write: writes go through `client`.
   */
  readonly kube: ApiReader;
  /** The shared informer factory. */
  readonly informers: InformerFactory;
  /**
   * The cached client: reads from informers, writes only what changed. Every write of the
   * process goes through it (or `ctx.client`, a view of it), fenced by the Lease; `client.direct`
   * sends a write exactly as given, under the same fence.
   */
  readonly client: CachedClient;
  readonly registry: Registry;
  readonly logger: Logger;
  /** The leader elector, when `leaderElection` is set. */
  readonly elector: LeaderElector | undefined;
  /** The sharder, when `sharding` is set. */
  readonly sharder: Sharder | undefined;
  /** Resolves with the reason once the manager has stopped. */
  readonly done: Promise<StopReason>;
  readonly #options: ManagerOptions;
  readonly #controllers: Controller[] = [];
  readonly #running = new Set<Controller>();
  readonly #clock: Clock;
  readonly #leases = new AbortController();
  readonly #debugSections = new Map<string, () => unknown>();
  readonly #inFlightByShard = new Map<number, number>();
  readonly #drainWaiters = new Map<number, Array<() => void>>();
  /** The cluster connection: informers, Leases and the cached client's writes use it. */
  readonly #kube: KubeClient;
  #leaseRuns: Promise<void>[] = [];
  #http: HttpEndpoints | undefined;
  #started = false;
  #controllersStarted = false;
  #stopping: Promise<void> | undefined;
  #resolveDone: (reason: StopReason) => void = () => {};
  #resolveElected: () => void = () => {};
  #skippedNotOwned = 0;
  /** Resolves when this process leads and its controllers run (at once without leader election). */
  readonly elected: Promise<void>;

  constructor(options: ManagerOptions = {}) {
    if (options.leaderElection && options.sharding) {
      throw new ManagerError(
        'leaderElection and sharding are exclusive: sharding already gives every shard one holder',
      );
    }
    this.#options = options;
    this.registry = options.registry ?? new Registry();
    this.logger = options.logger ?? defaultLogger();
    this.#clock = options.clock ?? systemClock;
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    this.elected = new Promise((resolve) => {
      this.#resolveElected = resolve;
    });
    this.#kube =
      options.kubeClient ??
      KubeClient.fromKubeconfig(options.kubeconfig as KubeconfigSource | undefined, {
        logger: this.logger,
        registry: this.registry,
        ...options.clientOptions,
      });
    this.kube = apiReader(this.#kube);
    this.informers = new InformerFactory(this.#kube, {
      logger: this.logger,
      registry: this.registry,
      ...options.informerOptions,
    });
    const leases: ShardLeaseClient = leaseClientFor(this.#kube);
    const namespace = (ns: string | undefined) => ns ?? process.env.POD_NAMESPACE ?? 'default';
    const le = options.leaderElection;
    const leader = le ? leaderGauge(this.registry) : undefined;
    leader?.set({ lease: le!.name }, 0);
    this.elector = le
      ? new LeaderElector(leases, {
          ...le,
          namespace: namespace(le.namespace),
          clock: this.#clock,
          onStartedLeading: () => {
            leader?.set({ lease: le.name }, 1);
            this.#onStartedLeading();
          },
          onStoppedLeading: () => {
            leader?.set({ lease: le.name }, 0);
            this.#onStoppedLeading();
          },
          onNewLeader: (identity) => this.logger.info({ leader: identity, lease: le.name }, 'new leader'),
          onError: (err) => this.logger.warn({ err, lease: le.name }, 'leader election request failed'),
        })
      : undefined;
    const sh = options.sharding;
    this.sharder = sh
      ? new Sharder(leases, {
          ...sh,
          namespace: namespace(sh.namespace),
          clock: this.#clock,
          drain: (shard) => this.#drainShard(shard),
          onShardGained: (shard) => this.#onShardGained(shard),
          onShardLost: (shard) => this.logger.info({ shard }, 'shard lost'),
          onError: (err) => this.logger.warn({ err, sharding: sh.name }, 'sharding request failed'),
        })
      : undefined;
    this.client = new CachedClient({
      transport: this.#kube,
      informers: this.#provider(),
      registry: this.registry,
      logger: this.logger,
      fieldManager: options.fieldManager,
      component: options.component,
      clock: this.#clock,
      ...(options.resources !== undefined ? { resources: options.resources } : {}),
      ...(options.validate !== undefined ? { validate: options.validate } : {}),
      // Asked before every write; its signal also stops the write's retries and the request in
      // the air once the right to write ends.
      fence: managerFence({ elector: this.elector, sharder: this.sharder }),
    });
    if (options.collections) registerCollectionMetrics(this.registry, options.collections);
    // Once per registry: a registry shared by several managers has them already.
    if (options.http && this.registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) {
      collectDefaultMetrics({ register: this.registry });
    }
  }

  /** The shared informer of `type` (started with the manager, or on first read). */
  informer<T extends KubeObject = KubeObject>(
    type: TypedRef<T>,
    options: InformerOptions<DeepReadonly<T>> = {},
  ): Informer<DeepReadonly<T>> {
    return this.informers.informer<T>(type, options);
  }

  /**
   * Starts building a controller; `.reconcile(fn)` ends the chain and registers it. Controllers
   * added after `start()` start at once (with leader election: once leading).
   */
  controller(name: string): ControllerBuilder {
    if (this.#controllers.some((c) => c.name === name)) throw new ManagerError(`controller ${name} already exists`);
    return new WrappingControllerBuilder(
      name,
      {
        informers: this.#provider(),
        client: this.client,
        logger: this.logger,
        registry: this.registry,
        clock: this.#clock,
      },
      (controller) => {
        if (this.#stopping) throw new ManagerError('manager stopped');
        this.#controllers.push(controller);
        if (this.#controllersStarted) this.#startController(controller).catch(() => {});
      },
      (fn) => this.#wrap(fn),
    );
  }

  /** The registered controllers. */
  controllers(): readonly Controller[] {
    return [...this.#controllers];
  }

  /** Adds a section to `/debug/kloop` (e.g. `mgr.addDebugSection('statedb', () => db.describe())`). */
  addDebugSection(name: string, describe: () => unknown): void {
    this.#debugSections.set(name, describe);
  }

  /** The endpoints' base URL once started with `http`, e.g. `http://127.0.0.1:39123`. */
  get httpUrl(): string | undefined {
    return this.#http?.url;
  }

  /**
   * True while this process may write: always without leader election, else while it leads with
   * a fresh renewal (sharding fences per key, in the reconcilers' clients).
   */
  canWrite(): boolean {
    return this.elector === undefined || this.elector.canWrite();
  }

  /** Starts informers, endpoints, the campaign and the controllers (see the class remarks). */
  async start(): Promise<void> {
    if (this.#started) return;
    if (this.#stopping) throw new ManagerError('manager stopped; make a new one');
    this.#started = true;
    // The endpoints first: a port already taken fails start() before anything else runs.
    if (this.#options.http) {
      this.#http = await startHttpEndpoints(
        { registry: this.registry, readiness: () => this.readiness(), debug: () => this.describe() },
        this.#options.http,
      );
      this.logger.info({ url: this.#http.url }, 'endpoints listening');
    }
    this.informers.start();
    if (this.sharder) this.#leaseRuns.push(this.sharder.run(this.#leases.signal));
    if (this.elector) {
      this.#leaseRuns.push(this.elector.run(this.#leases.signal));
      return;
    }
    await this.#startControllers();
  }

  /** Stops controllers (draining), releases the Leases, then informers and connections. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown('stopped');
    return this.#stopping;
  }

  /** `/readyz`: every informer synced; leader and shard state reported (followers are ready too). */
  readiness(): ReadinessReport {
    const checks: ReadinessReport['checks'] = this.informers.informers().map((i) => ({
      name: `informer ${i.type.apiVersion}/${i.type.kind}`,
      ok: i.hasSynced(),
      detail: i.hasSynced() ? `synced, ${i.size} objects` : 'not synced',
    }));
    checks.unshift({
      name: 'manager',
      ok: this.#started && this.#stopping === undefined,
      detail: this.#stopping ? 'stopping' : undefined,
    });
    if (this.elector) {
      const leading = this.elector.isLeader();
      checks.push({
        name: 'leader-election',
        ok: true,
        detail: leading ? 'leader' : `follower (leader: ${this.elector.leader ?? 'none'})`,
      });
    }
    if (this.sharder) {
      const mismatched = this.sharder.mismatchedMembers;
      const detail =
        mismatched.length > 0
          ? `holds no shards: members disagree on the shard count (${mismatched.join(', ')})`
          : `holds shards [${this.sharder.heldShards().join(',')}]`;
      // Still ok: a rolling update that changes the count must be able to finish (see docs/sharding.md).
      checks.push({ name: 'sharding', ok: true, detail });
    }
    return { ready: checks.every((c) => c.ok), checks };
  }

  /**
   * Controllers with their sources, predicates, queues, in-flight keys and recent reconciles
   * with triggers and writes; informers with counts and RV; leases; collections; added sections.
   * Secrets' data is redacted.
   */
  describe(): ManagerDescription {
    const description: ManagerDescription = {
      started: this.#started,
      controllers: this.#controllers.map((c) => ({
        ...c.describe(),
        running: this.#running.has(c),
        queue: {
          depth: c.queue.depth,
          waiting: c.queue.waiting,
          inFlight: c.queue
            .inFlight()
            .map((i) => ({ key: i.id, triggers: [...i.triggers], totalTriggers: i.totalTriggers })),
        },
        recent: c.recentReconciles(),
      })),
      informers: this.informers.informers().map((i) => ({
        type: `${i.type.apiVersion}/${i.type.kind}`,
        synced: i.hasSynced(),
        size: i.size,
        resourceVersion: i.lastSyncResourceVersion,
      })),
    };
    if (this.elector) {
      description.identity = this.elector.identity;
      description.leaderElection = {
        lease: this.#options.leaderElection?.name ?? '',
        leading: this.elector.isLeader(),
        canWrite: this.elector.canWrite(),
        leader: this.elector.leader,
      };
    }
    if (this.sharder) {
      description.identity = this.sharder.identity;
      description.sharding = {
        shards: this.sharder.shards,
        members: this.sharder.members,
        held: this.sharder.heldShards(),
        skippedNotOwned: this.#skippedNotOwned,
        mismatchedMembers: this.sharder.mismatchedMembers,
      };
    }
    if (this.#options.collections) description.collections = this.#options.collections.describe();
    for (const [name, describe] of this.#debugSections) {
      try {
        description[name] = describe();
      } catch (err) {
        description[name] = { error: (err as Error)?.message ?? String(err) };
      }
    }
    return redactSecrets(description);
  }

  async #startControllers(): Promise<void> {
    this.#controllersStarted = true;
    await Promise.all(this.#controllers.map((c) => this.#startController(c)));
    this.#resolveElected();
  }

  async #startController(controller: Controller): Promise<void> {
    if (this.#running.has(controller) || this.#stopping) return;
    this.#running.add(controller);
    try {
      await controller.start();
    } catch (err) {
      this.logger.error({ err, controller: controller.name }, 'controller failed to start');
      throw err;
    }
  }

  #onStartedLeading(): void {
    this.logger.info({ identity: this.elector?.identity }, 'started leading');
    if (this.#stopping) return;
    this.#startControllers().catch((err) => this.logger.error({ err }, 'controllers failed to start'));
  }

  #onStoppedLeading(): void {
    if (this.#stopping) return;
    // controller-runtime exits here: the controllers' state (queues, caches of what was done)
    // belongs to a leader, and a fresh process starts clean. Writes are already fenced.
    this.logger.error({ identity: this.elector?.identity }, 'leadership lost: stopping the manager');
    // Stop campaigning at once: this process will not lead again, and must not hold the Lease
    // (without controllers) while it drains.
    this.#leases.abort();
    this.#stopping = this.#shutdown('leadership-lost');
  }

  async #shutdown(reason: StopReason): Promise<void> {
    const drain = this.#options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    await Promise.all(this.#controllers.map((c) => c.stop(drain)));
    this.#running.clear();
    // Release only after the drain: in-flight reconciles may still write until here.
    this.#leases.abort();
    await Promise.all(this.#leaseRuns);
    await this.#http?.close();
    await this.informers.stop();
    this.#kube.close();
    this.#resolveDone(reason);
  }

  /** With sharding: skip keys of shards not held; count in-flight reconciles per shard for drains. */
  #wrap(fn: Reconciler): Reconciler {
    const sharder = this.sharder;
    if (sharder === undefined) return fn;
    return async (req, ctx) => {
      if (!sharder.owns(req.key)) {
        this.#skippedNotOwned++;
        return;
      }
      const shard = shardOf(req.key, sharder.shards);
      this.#inFlightByShard.set(shard, (this.#inFlightByShard.get(shard) ?? 0) + 1);
      try {
        // Its writes are fenced by the shard's Lease (`managerFence`): a reconcile that runs while
        // its shard drains may finish them, one that lost the shard may not.
        return await fn(req, ctx);
      } finally {
        const left = (this.#inFlightByShard.get(shard) ?? 1) - 1;
        if (left > 0) this.#inFlightByShard.set(shard, left);
        else {
          this.#inFlightByShard.delete(shard);
          for (const resolve of this.#drainWaiters.get(shard)?.splice(0) ?? []) resolve();
        }
      }
    };
  }

  /** Resolves once no reconcile of the shard's keys runs (new ones are refused by `owns`). */
  #drainShard(shard: number): Promise<void> {
    if (!this.#inFlightByShard.has(shard)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.#drainWaiters.get(shard) ?? [];
      waiters.push(resolve);
      this.#drainWaiters.set(shard, waiters);
    });
  }

  /** A gained shard's keys were dropped while another replica held it: queue them all again. */
  #onShardGained(shard: number): void {
    const sharder = this.sharder;
    if (sharder === undefined) return;
    this.logger.info({ shard }, 'shard gained');
    for (const controller of this.#running) {
      const type = controller.forType;
      const keys = new Map<string, ObjectKey>();
      for (const informer of this.informers.informers()) {
        if (informer.type.apiVersion !== type.apiVersion || informer.type.kind !== type.kind) continue;
        for (const object of informer.list()) {
          if (!object.metadata.name) continue;
          const key = keyOf(object);
          if (shardOf(key, sharder.shards) === shard) keys.set(keyString(key), key);
        }
      }
      for (const key of keys.values()) controller.enqueue(key, { source: `shard ${shard}`, event: 'resync' });
    }
  }

  #provider(): InformerProvider {
    return { informer: (type, options) => this.informers.informer(type, options) };
  }
}

/** `kloop_leader{lease}`: 1 while this process leads the Lease (one gauge per registry). */
const leaderGauge = perRegistry(
  (registry) =>
    new Gauge({
      name: 'kloop_leader',
      help: 'Whether this process holds the leader election Lease (1) or not (0).',
      labelNames: ['lease'],
      registers: [registry],
    }),
);
