/**
 * The manager: one process's cluster connection, shared informers, cached client and
 * controllers, started and stopped together (controller-runtime's `manager.Manager`).
 *
 * This is the minimal manager of issue 5. Leader election, sharding, the HTTP endpoints and
 * signal handling (issue 6) plug in at `start()` and `stop()`: controllers already stop taking
 * work and drain on `stop()`, and every write goes through `mgr.client`, where fencing will sit.
 */
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { InformerFactory, type InformerFactoryOptions } from '../cache/index.js';
import type { Informer, InformerOptions } from '../cache/types.js';
import { KubeClient, defaultLogger } from '../client/index.js';
import type { KubeClientOptions, KubeconfigSource } from '../client/types.js';
import { ControllerBuilder } from '../controller/builder.js';
import { CachedClient } from '../controller/cached-client.js';
import type { Clock } from '../controller/clock.js';
import { systemClock } from '../controller/clock.js';
import type { Controller, RecentReconcile } from '../controller/controller.js';
import type { ControllerDescription, InformerProvider } from '../controller/types.js';
import { KloopError } from '../core/errors.js';
import type { KubeObject, TypeRef } from '../core/types.js';

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
  /** How long `stop()` waits for in-flight reconciles before aborting them. Default 30 s. */
  drainTimeoutMs?: number;
  /** Timers of queues and controllers (tests use a manual clock). */
  clock?: Clock;
}

/** Raised for lifecycle misuse (adding a controller after stop). */
export class ManagerError extends KloopError {
  constructor(message: string) {
    super('KLOOP_MANAGER', message);
  }
}

/** What `mgr.describe()` returns (the core of issue 6's `/debug/kloop`). */
export interface ManagerDescription {
  started: boolean;
  controllers: Array<
    ControllerDescription & {
      queue: { depth: number; waiting: number; inFlight: Array<{ key: string; triggers: unknown[]; totalTriggers: number }> };
      recent: readonly RecentReconcile[];
    }
  >;
  informers: Array<{ type: string; synced: boolean; size: number; resourceVersion: string | undefined }>;
}

/**
 * Runs controllers against one cluster.
 *
 * @example
 * ```ts
 * const mgr = new Manager({ kubeconfig: server.kubeconfig });
 * mgr.controller('mirror')
 *   .for(ConfigMap, { predicates: [labelSelector('mirror=true')] })
 *   .owns(Secret)
 *   .reconcile(async (req, ctx) => {
 *     const cm = await ctx.client.get(ConfigMap, req.key);
 *     if (!cm) return;
 *     // ... compute the Secret and ctx.client.apply(...) it
 *   });
 * await mgr.start();
 * // ...
 * await mgr.stop();
 * ```
 *
 * @remarks `start()` resolves once every controller's sources synced and its workers run.
 * `stop()` stops taking events, lets in-flight reconciles finish within `drainTimeoutMs`, aborts
 * the rest through `ctx.signal`, stops informers and closes connections.
 */
export class Manager {
  /** The REST client (uncached; prefer `client` in reconcilers). */
  readonly kube: KubeClient;
  /** The shared informer factory. */
  readonly informers: InformerFactory;
  /** The cached client: reads from informers, writes only what changed. */
  readonly client: CachedClient;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly #options: ManagerOptions;
  readonly #controllers: Controller[] = [];
  readonly #clock: Clock;
  #started = false;
  #stopped = false;

  constructor(options: ManagerOptions = {}) {
    this.#options = options;
    this.registry = options.registry ?? new Registry();
    this.logger = options.logger ?? defaultLogger();
    this.#clock = options.clock ?? systemClock;
    this.kube =
      options.kubeClient ??
      KubeClient.fromKubeconfig(options.kubeconfig as KubeconfigSource | undefined, { logger: this.logger, registry: this.registry, ...options.clientOptions });
    this.informers = new InformerFactory(this.kube, { logger: this.logger, registry: this.registry, ...options.informerOptions });
    this.client = new CachedClient({
      transport: this.kube,
      informers: this.#provider(),
      registry: this.registry,
      logger: this.logger,
      fieldManager: options.fieldManager,
      component: options.component,
      clock: this.#clock,
    });
  }

  /** The shared informer of `type` (started with the manager, or on first read). */
  informer<T extends KubeObject = KubeObject>(type: TypeRef, options: InformerOptions<T> = {}): Informer<T> {
    return this.informers.informer<T>(type, options);
  }

  /**
   * Starts building a controller; `.reconcile(fn)` ends the chain and registers it. Controllers
   * added after `start()` start at once.
   */
  controller(name: string): ControllerBuilder {
    if (this.#controllers.some((c) => c.name === name)) throw new ManagerError(`controller ${name} already exists`);
    return new ControllerBuilder(
      name,
      { informers: this.#provider(), client: this.client, logger: this.logger, registry: this.registry, clock: this.#clock },
      (controller) => {
        if (this.#stopped) throw new ManagerError('manager stopped');
        this.#controllers.push(controller);
        if (this.#started) {
          controller.start().catch((err) => this.logger.error({ err, controller: name }, 'controller failed to start'));
        }
      },
    );
  }

  /** The registered controllers. */
  controllers(): readonly Controller[] {
    return [...this.#controllers];
  }

  /** Starts informers and controllers; resolves when every controller runs on synced caches. */
  async start(): Promise<void> {
    if (this.#started) return;
    if (this.#stopped) throw new ManagerError('manager stopped; make a new one');
    this.#started = true;
    this.informers.start();
    await Promise.all(this.#controllers.map((c) => c.start()));
  }

  /** Stops controllers (draining), then informers and connections. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const drain = this.#options.drainTimeoutMs ?? 30_000;
    await Promise.all(this.#controllers.map((c) => c.stop(drain)));
    await this.informers.stop();
    this.kube.close();
  }

  /** Controllers with their sources, predicates, queues and recent reconciles; informers. */
  describe(): ManagerDescription {
    return {
      started: this.#started,
      controllers: this.#controllers.map((c) => ({
        ...c.describe(),
        queue: {
          depth: c.queue.depth,
          waiting: c.queue.waiting,
          inFlight: c.queue.inFlight().map((i) => ({ key: i.id, triggers: i.triggers, totalTriggers: i.totalTriggers })),
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
  }

  #provider(): InformerProvider {
    return { informer: (type, options) => this.informers.informer(type, options) };
  }
}
