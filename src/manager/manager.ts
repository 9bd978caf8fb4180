/**
 * The manager: one process's cluster connection, shared informers, cached client and
 * controllers, started and stopped together (controller-runtime's `manager.Manager`), plus what
 * makes it an operator process: leader election (with warm standby) or sharding on Leases, cache
 * scoping, the health and metrics listener and the debug listener, redaction of all it emits, and
 * a graceful stop.
 *
 * Writes: every write goes through `mgr.client` (or a reconcile's view of it), which asks the
 * manager's fence first (`fencing.ts`): with leader election the elector's, with sharding the
 * fence of the reconcile's shard; every reconcile of a key also first asks `sharder.owns(key)`. A
 * process that may not write sends nothing (`KLOOP_WRITE_FENCED`). `mgr.kube` only reads.
 */
import type { Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { type Informer, InformerFactory, type InformerOptions } from '../cache/index.js';
import { type ApiReader, apiReader, defaultLogger, KubeClient, type KubeconfigSource } from '../client/index.js';
import { registerCollectionMetrics } from '../collections/index.js';
import {
  CachedClient,
  type Controller,
  type ControllerBuilder,
  type InformerProvider,
  type ReconcileRecord,
  type ReconcileRecordFilter,
  type Reconciler,
} from '../controller/index.js';
import {
  type Clock,
  type DeepReadonly,
  type KubeObject,
  keyOf,
  keyString,
  type ObjectKey,
  perRegistry,
  systemClock,
  type TypedRef,
} from '../core/index.js';
import { DashboardHub, type ObjectSize } from './dashboard/hub.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { describeScope, filterFromQuery, type ManagerDescription } from './debug-document.js';
import { ManagerError } from './errors.js';
import { managerFence, WrappingControllerBuilder } from './fencing.js';
import type { ReadinessReport } from './http.js';
import { LeaderElector } from './leader-election.js';
import { leaseClientFor } from './lease-client.js';
import { type HealthMetricsListenerOptions, type Listeners, startListeners } from './listeners.js';
import { redactingLogger } from './logging.js';
import type { ManagerOptions } from './options.js';
import { type DerivedRbac, deriveRbac } from './rbac.js';
import { checkPermissions, type RbacCheckResult, RbacMissingError } from './rbac-check.js';
import { redactSecrets } from './redact.js';
import { SecretValues } from './secret-values.js';
import { Sharder, type ShardLeaseClient, shardOf } from './sharding.js';
import { withSyncTimeout } from './sync-timeout.js';

/**
 * Default of `drainTimeoutMs`: leaves 5 s of `exitOnSignal`'s default deadline (25 s) to release
 * the Leases and close, so a hanging reconcile does not cost the next replica a lease duration.
 */
export const DEFAULT_DRAIN_TIMEOUT_MS = 20_000;

export { ManagerError } from './errors.js';

/** Why the manager stopped (`await mgr.done`). */
export type StopReason = 'stopped' | 'leadership-lost';

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
 *   cache: { defaultNamespaces: ['team-a', 'team-b'] },
 *   http: { port: 8080 },   // /healthz, /readyz, /metrics for kubelet and Prometheus
 *   debug: { port: 8082 },  // /debug/kloop on 127.0.0.1 only
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
 * @remarks `start()` starts the listeners, informers and the campaign, and resolves once every
 * controller runs on synced caches (with leader election: once a follower's warm caches synced,
 * or at once with `warmStandby: false`; `mgr.elected` resolves when this process leads and its
 * controllers run). With `cacheSyncTimeoutMs`, a cache that does not sync in time (a CRD not
 * installed) makes `start()` stop what it started and reject with a `CacheSyncTimeoutError`. Losing leadership stops every
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
  /** The framework's logger: a child of `options.logger` that redacts every line (see `redactingLogger`). */
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
  #listeners: Listeners | undefined;
  #dashboard: DashboardHub | undefined;
  #objectSizes: { at: number; sizes: ObjectSize[] } | undefined;
  readonly #secrets: SecretValues;
  readonly #mask: (text: string) => string;
  #started = false;
  #controllersStarted = false;
  #stopping: Promise<void> | undefined;
  #resolveDone: (reason: StopReason) => void = () => {};
  #resolveElected: () => void = () => {};
  #skippedNotOwned = 0;
  /** The namespaces of the Leases, as resolved at construction (`$POD_NAMESPACE` then). */
  readonly #leaseNamespaces: { leaderElection?: string; sharding?: string } = {};
  /** The RBAC check's state for `/readyz`: undefined until start() asks. */
  #rbac: { state: 'checking' } | ({ state: 'done' } & RbacCheckResult) | undefined;
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
    // Secrets are followed once informers run: before start(), looking would start them.
    this.#secrets = new SecretValues(() => (this.#started ? this.informers.informers() : []));
    this.#mask = (text) => this.#secrets.mask(text);
    this.logger = redactingLogger(options.logger ?? defaultLogger(), this.#mask);
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
    const onInformer = options.informerOptions?.onInformer;
    this.informers = new InformerFactory(this.#kube, {
      logger: this.logger,
      registry: this.registry,
      ...options.informerOptions,
      scope: options.cache ?? options.informerOptions?.scope,
      onInformer: (informer) => {
        // From its first list on (before start() it is followed when the informers start).
        if (this.#started) this.#secrets.follow(informer);
        onInformer?.(informer);
      },
    });
    const leases: ShardLeaseClient = leaseClientFor(this.#kube);
    const namespace = (ns: string | undefined) => ns ?? process.env.POD_NAMESPACE ?? 'default';
    const le = options.leaderElection;
    if (le) this.#leaseNamespaces.leaderElection = namespace(le.namespace);
    if (options.sharding) this.#leaseNamespaces.sharding = namespace(options.sharding.namespace);
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

  /**
   * The shared informer of `type` (started with the manager, or on first read), within the
   * `cache` scope: a type scoped to several namespaces gives one informer over them all. A typed
   * reference gives an informer of its object type, deep `readonly` as the objects are shared.
   *
   * @throws CacheScopeError when `options.namespace` is outside the scope of `type`.
   */
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
        wallClock: this.#options.wallClock,
        recordSize: this.#options.recordSize,
        redact: this.#mask,
      },
      (controller) => {
        if (this.#stopping) throw new ManagerError('manager stopped');
        this.#controllers.push(controller);
        if (this.#controllersStarted) this.#startController(controller).catch(() => {});
        else if (this.#started && this.#warm()) controller.warm();
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
    return this.#listeners?.health?.url;
  }

  /** The debug listener's base URL once started with `debug`, e.g. `http://127.0.0.1:39124`. */
  get debugUrl(): string | undefined {
    return this.#listeners?.debug?.url;
  }

  /** The dashboard's URL once started with `debug` (and the dashboard not turned off), e.g. `http://127.0.0.1:39124/ui`. */
  get dashboardUrl(): string | undefined {
    const debug = this.#listeners?.debug?.url;
    return debug !== undefined && this.#dashboard !== undefined ? `${debug}/ui` : undefined;
  }

  /**
   * True while this process may write: always without leader election, else while it leads with
   * a fresh renewal (sharding fences per key, in the reconcilers' clients).
   */
  canWrite(): boolean {
    return this.elector === undefined || this.elector.canWrite();
  }

  /**
   * The RBAC rules this manager needs, derived from its declarations (see `deriveRbac`): the
   * types its controllers and informers read (scoped like the cache: a Role per namespace the
   * cache holds, else the ClusterRole), the kinds they own and write (with `status` and
   * `finalizers`), Events, the Leases of leader election or sharding, and the rules declared
   * with `.rbac(...)` and the `rbac` option. `kloop manifests` writes them as Roles; `start()`
   * checks them (`rbacCheck`).
   */
  rbacRules(): DerivedRbac {
    const { leaderElection, sharding } = this.#leaseNamespaces;
    return deriveRbac({
      controllers: this.#controllers.map((c) => c.permissions()),
      informerTypes: this.informers.informers().map((i) => i.type),
      ...(this.#options.cache !== undefined ? { cache: this.#options.cache } : {}),
      ...(this.#options.resources !== undefined ? { resources: this.#options.resources } : {}),
      ...(leaderElection !== undefined ? { leaderElection: { namespace: leaderElection } } : {}),
      ...(sharding !== undefined ? { sharding: { namespace: sharding } } : {}),
      ...(this.#options.rbac !== undefined ? { rbac: this.#options.rbac } : {}),
      metricsAuth: metricsAuthByManager(this.#options.http?.metricsAuth),
    });
  }

  /** Starts listeners, informers, the campaign and the controllers (see the class remarks). */
  async start(): Promise<void> {
    if (this.#started) return;
    if (this.#stopping) throw new ManagerError('manager stopped; make a new one');
    this.#started = true;
    this.#dashboard = this.#makeDashboard();
    // The listeners first: a port already taken fails start() before anything else runs.
    this.#listeners = await startListeners(
      {
        registry: this.registry,
        readiness: () => this.readiness(),
        debug: (query) => this.describe(filterFromQuery(query)),
        mask: this.#mask,
        dashboard: this.#dashboard ? dashboardRoutes(this.#dashboard) : undefined,
      },
      { http: this.#options.http, debug: this.#options.debug },
      { kube: this.#kube, clock: this.#clock, logger: this.logger },
    );
    try {
      await this.#checkRbac();
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.informers.start();
    for (const informer of this.informers.informers()) this.#secrets.follow(informer);
    try {
      await this.#dashboard?.start();
      if (this.sharder) this.#leaseRuns.push(this.sharder.run(this.#leases.signal));
      if (this.elector) {
        const warm = this.#warm();
        if (warm) for (const controller of this.#controllers) controller.warm();
        this.#leaseRuns.push(this.elector.run(this.#leases.signal));
        if (warm) await this.#syncWithin(this.informers.waitForSync());
        return;
      }
      await this.#syncWithin(this.#startControllers());
    } catch (err) {
      // Nothing of a start that failed keeps running: no informer, listener, Lease or timer.
      await this.stop();
      throw err;
    }
  }

  /** Stops controllers (draining), releases the Leases, then informers and connections. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown('stopped');
    return this.#stopping;
  }

  /**
   * `/readyz`: every informer synced (a type the server does not serve says so, with the fix);
   * leader and shard state reported (followers are ready too).
   */
  readiness(): ReadinessReport {
    const checks: ReadinessReport['checks'] = this.informers.describe().map((i) => ({
      name: `informer ${i.type}${i.namespace ? ` (namespace ${i.namespace})` : ''}`,
      ok: i.synced,
      detail: i.synced ? `synced, ${i.size} objects` : (i.missing ?? 'not synced'),
    }));
    checks.unshift({
      name: 'manager',
      ok: this.#started && this.#stopping === undefined,
      detail: this.#stopping ? 'stopping' : undefined,
    });
    // A type waited for by a multi-namespace informer has no member informer yet: name it too.
    for (const missing of this.informers.missingTypes()) {
      const type = `${missing.type.apiVersion}/${missing.type.kind}`;
      if (checks.some((c) => c.name.startsWith(`informer ${type}`))) continue;
      checks.push({ name: `resource ${type}`, ok: false, detail: missing.message });
    }
    const rbac = this.#rbac;
    if (rbac !== undefined) {
      checks.push(
        rbac.state === 'checking'
          ? { name: 'rbac', ok: false, detail: 'checking permissions' }
          : !rbac.checked
            ? { name: 'rbac', ok: true, detail: `not checked: ${rbac.skipped}` }
            : rbac.missing.length > 0
              ? { name: 'rbac', ok: false, detail: new RbacMissingError(rbac.missing).message }
              : { name: 'rbac', ok: true, detail: 'every derived permission granted' },
      );
    }
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
   * The debug record of every controller (or those `filter` names), oldest first by start time:
   * each reconcile with its ID, times, result, triggers, writes and changed field paths.
   */
  reconciles(filter: ReconcileRecordFilter = {}): ReconcileRecord[] {
    const { controller, limit, ...rest } = filter;
    const records = this.#controllers
      .filter((c) => controller === undefined || c.name === controller)
      .flatMap((c) => c.reconciles(rest));
    records.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
    return limit !== undefined && records.length > limit ? records.slice(records.length - limit) : records;
  }

  /**
   * The `/debug/kloop` document: controllers with their sources, predicates, queues, in-flight
   * keys and debug record (filtered by `filter`: controller, key, result, limit); informers with
   * their scope, counts and RV; missing types; leases; collections; added sections. Redacted:
   * Secret-shaped objects lose their values, and every string has the values of cached Secrets
   * masked (error messages included).
   */
  describe(filter: ReconcileRecordFilter = {}): ManagerDescription {
    const { controller, ...records } = filter;
    const description: ManagerDescription = {
      started: this.#started,
      controllers: this.#controllers
        .filter((c) => controller === undefined || c.name === controller)
        .map((c) => ({
          ...c.describe(),
          running: this.#running.has(c),
          queue: {
            depth: c.queue.depth,
            waiting: c.queue.waiting,
            inFlight: c.queue
              .inFlight()
              .filter((i) => records.key === undefined || i.id === records.key)
              .map((i) => ({ key: i.id, triggers: [...i.triggers], totalTriggers: i.totalTriggers })),
          },
          reconciles: c.reconciles(records),
          hotLoops: c.hotLoops().filter((h) => records.key === undefined || h.key === records.key),
        })),
      informers: this.informers.describe(),
    };
    if (Object.keys(filter).length > 0) description.filter = filter;
    const scope = this.informers.scope;
    if (scope !== undefined) description.cache = describeScope(scope);
    const missing = this.informers.missingTypes();
    if (missing.length > 0)
      description.missingTypes = missing.map((m) => ({
        type: `${m.type.apiVersion}/${m.type.kind}`,
        message: m.message,
      }));
    if (this.elector) {
      description.identity = this.elector.identity;
      description.leaderElection = {
        lease: this.#options.leaderElection?.name ?? '',
        leading: this.elector.isLeader(),
        canWrite: this.elector.canWrite(),
        leader: this.elector.leader,
        warmStandby: this.#warm(),
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
    return redactSecrets(description, { mask: this.#mask });
  }

  /** The dashboard's feed, with the debug listener unless turned off. */
  #makeDashboard(): DashboardHub | undefined {
    const debug = this.#options.debug;
    if (debug === undefined || debug.dashboard === false) return undefined;
    return new DashboardHub(
      {
        registry: this.registry,
        state: () => {
          const { filter: _filter, ...state } = this.describe({ limit: 0 });
          for (const c of state.controllers) delete (c as { reconciles?: unknown }).reconciles;
          return state;
        },
        records: () => this.#controllers.map((c) => ({ controller: c.name, records: c.reconciles() })),
        redact: (value) => redactSecrets(value, { mask: this.#mask }),
        objectSizes: () => this.#cachedObjectSizes(),
        clock: this.#clock,
        wallClock: this.#options.wallClock ?? Date.now,
        onError: (err) => this.logger.warn({ err }, 'dashboard: reading the manager failed; trying again'),
      },
      typeof debug.dashboard === 'object' ? debug.dashboard : {},
    );
  }

  /**
   * Mean JSON size of the cached objects of each resource (0 when none is cached), from at most 20
   * objects per informer, measured again at most every 2 s: the dashboard's whole-object estimate
   * of a write, and its map from informer types to the resource names of metrics.
   */
  #cachedObjectSizes(): ObjectSize[] {
    const now = this.#clock.now();
    if (this.#objectSizes !== undefined && now - this.#objectSizes.at < 2_000) return this.#objectSizes.sizes;
    const totals = new Map<string, { type: string; bytes: number; count: number }>();
    for (const informer of this.informers.informers()) {
      const type = `${informer.type.apiVersion}/${informer.type.kind}`;
      const resource =
        this.#kube.discovery.registry.byTypeRef(informer.type)?.plural ?? `${informer.type.kind.toLowerCase()}s`;
      const entry = totals.get(resource) ?? { type, bytes: 0, count: 0 };
      for (const object of informer.list().slice(0, 20)) {
        entry.bytes += Buffer.byteLength(JSON.stringify(object));
        entry.count++;
      }
      totals.set(resource, entry);
    }
    const sizes = [...totals].map(([resource, e]) => ({
      type: e.type,
      resource,
      bytes: e.count > 0 ? Math.round(e.bytes / e.count) : 0,
    }));
    this.#objectSizes = { at: now, sizes };
    return sizes;
  }

  /** Asks the server about every derived permission (`rbacCheck`); throws in `'fail'` mode. */
  async #checkRbac(): Promise<void> {
    const mode = this.#options.rbacCheck ?? 'fail';
    if (mode === 'off') return;
    const { permissions } = this.rbacRules();
    if (permissions.length === 0) return;
    this.#rbac = { state: 'checking' };
    const result = await checkPermissions(this.#kube, permissions);
    this.#rbac = { state: 'done', ...result };
    if (!result.checked) {
      this.logger.info({ reason: result.skipped }, 'RBAC check skipped');
      return;
    }
    if (result.missing.length === 0) return;
    const error = new RbacMissingError(result.missing);
    if (mode === 'fail') throw error;
    this.logger.warn({ missing: result.missing }, error.message);
  }

  /** Whether a follower keeps warm caches (leader election only; default on). */
  #warm(): boolean {
    return this.elector !== undefined && this.#options.leaderElection?.warmStandby !== false;
  }

  /** `run`, bounded by `cacheSyncTimeoutMs` when set. */
  #syncWithin<T>(run: Promise<T>): Promise<T> {
    return withSyncTimeout(run, this.#options.cacheSyncTimeoutMs, this.#clock, () => ({
      missingTypes: this.informers.missingTypes(),
      unsynced: this.informers
        .describe()
        .filter((i) => !i.synced)
        .map((i) => (i.namespace ? `${i.type} (namespace ${i.namespace})` : i.type)),
    }));
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
    this.#dashboard?.close();
    await this.#listeners?.close();
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
    return {
      informer: (type, options) => this.informers.informer(type, options),
      selectors: (type) => this.informers.selectors(type),
    };
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

/** Whether `/metrics` sends its reviews through the manager's connection (no `reviews` client given). */
function metricsAuthByManager(metricsAuth: HealthMetricsListenerOptions['metricsAuth']): boolean {
  return metricsAuth === true || (typeof metricsAuth === 'object' && metricsAuth.reviews === undefined);
}
