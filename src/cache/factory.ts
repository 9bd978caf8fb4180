/**
 * `InformerFactory`: hands out one shared informer per (type, namespace, selectors, transform,
 * metadata-only, managedFields) and starts and stops them together (client-go's
 * `SharedInformerFactory`). With a `scope` (controller-runtime's `cache.Options`) every informer
 * it hands out holds only the scope: a type scoped to several namespaces is read through one
 * `MultiNamespaceInformer` over an informer per namespace.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KubeClient } from '../client/index.js';
import { type Clock, type DeepReadonly, type KubeObject, sleep, type TypedRef, type TypeRef } from '../core/index.js';
import { SharedInformer, type SharedInformerOptions } from './informer.js';
import { type MissingType, TypeWaiter } from './missing-types.js';
import { MultiNamespaceInformer } from './multi-namespace.js';
import type { ListerWatcher } from './reflector.js';
import { type ScopeSelectors, scopeRequest, scopeSelectors, validateCacheOptions } from './scope.js';
import type { CacheOptions, Informer, InformerOptions } from './types.js';

/** Options of `new InformerFactory(client, options)`. */
export interface InformerFactoryOptions {
  /** Default: the client's logger. */
  logger?: Logger;
  /** Default: the client's registry. */
  registry?: Registry;
  /** Default: the client's clock. */
  clock?: Clock;
  /** Deep-freeze stored objects (default: `KLOOP_VALIDATE=1`). */
  validate?: boolean;
  /** Reflector tuning for every informer (backoff, watchdog, page size, streaming list). */
  reflector?: SharedInformerOptions['reflector'];
  /** What the informers hold: namespaces, selectors and transforms, by type or by default. */
  scope?: CacheOptions;
  /**
   * Types the server does not serve (a CRD not installed): their lists wait, asking discovery
   * again every `pollMs` (default 5 s), and report once per `reportEveryMs` (default 60 s).
   */
  missingTypes?: { pollMs?: number; reportEveryMs?: number };
  /**
   * Called with each informer that lists and watches, as the factory makes it (a multi-namespace
   * informer's members count, the view does not), e.g. to follow every Secret informer from its
   * first list on.
   */
  onInformer?: (informer: Informer) => void;
}

/** One informer as `factory.describe()` shows it. */
export interface InformerDescription {
  /** `apiVersion/kind`. */
  type: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  synced: boolean;
  size: number;
  resourceVersion: string | undefined;
  /** Set while the server does not serve the type (why, and the likely fix). */
  missing?: string;
}

/**
 * Makes and shares informers. Asking twice with equal arguments returns the same instance, so
 * two controllers watching ConfigMaps open one watch.
 *
 * @example
 * ```ts
 * import { ConfigMap, KubeClient } from 'kloop';
 *
 * const client = KubeClient.fromKubeconfig();
 * const factory = new InformerFactory(client);
 * const cms = factory.informer(ConfigMap, { namespace: 'default' });
 * await cms.synced;
 * console.log(cms.list().length);
 * await factory.stop();
 * ```
 */
export class InformerFactory {
  readonly client: KubeClient;
  readonly #options: InformerFactoryOptions;
  readonly #informers = new Map<string, SharedInformer<KubeObject>>();
  readonly #views = new Map<string, MultiNamespaceInformer<KubeObject>>();
  readonly #waiter: TypeWaiter;
  #started = false;
  #stopped = false;

  constructor(client: KubeClient, options: InformerFactoryOptions = {}) {
    validateCacheOptions(options.scope);
    this.client = client;
    this.#options = options;
    this.#waiter = new TypeWaiter((type, signal) => client.resolve(type, signal), {
      clock: options.clock ?? client.clock,
      logger: options.logger ?? client.logger,
      ...options.missingTypes,
    });
  }

  /** The scope the informers hold (`undefined`: everything, cluster-wide). */
  get scope(): CacheOptions | undefined {
    return this.#options.scope;
  }

  /**
   * The shared informer for `type` and `options`, within the factory's `scope`. It starts on
   * `start()`, on the factory's `start()` (also for informers made later), or on first use
   * (`synced`, `get`, `list`, `subscribe`). A typed reference (`Deployment`, a defined resource)
   * gives an informer of its object type, deep `readonly` as the objects are shared.
   *
   * @throws CacheScopeError when `options.namespace` is outside the scope of `type`.
   */
  informer<T extends KubeObject = KubeObject>(
    type: TypedRef<T>,
    options: InformerOptions<DeepReadonly<T>> = {},
  ): Informer<DeepReadonly<T>> {
    return this.#informer(type, options as unknown as InformerOptions) as unknown as Informer<DeepReadonly<T>>;
  }

  #informer<T extends KubeObject>(type: TypeRef, options: InformerOptions<T>): Informer<T> {
    const namespaced = this.client.discovery.registry.byTypeRef(type)?.namespaced;
    const { namespaces, options: scoped } = scopeRequest(this.#options.scope, type, options, namespaced);
    if (namespaces === undefined) return this.#shared(type, scoped);
    const id = informerId(type, { ...scoped, namespace: namespaces.join(',') });
    let view = this.#views.get(id) as MultiNamespaceInformer<T> | undefined;
    if (!view) {
      view = new MultiNamespaceInformer<T>({
        type,
        namespaces,
        member: (namespace) => this.#shared(type, { ...scoped, namespace }),
        namespaced: namespaced ?? ((signal) => this.#namespaced(type, signal)),
      });
      if (this.#stopped) void view.stop();
      this.#views.set(id, view as unknown as MultiNamespaceInformer<KubeObject>);
      if (this.#started) view.start();
    }
    return view;
  }

  /**
   * The label and field selectors the scope puts on `type` (undefined: none). Under them a key
   * the cache lacks may still exist on the server (an object that stopped matching), so the
   * cached client does not take a cache miss for an absence when it writes.
   */
  selectors(type: TypeRef): ScopeSelectors | undefined {
    return scopeSelectors(this.#options.scope, type);
  }

  /** Types some informer waits for because the server does not serve them (see `missingTypes`). */
  missingTypes(): MissingType[] {
    return this.#waiter.missing();
  }

  /** Every informer made so far, with its scope and state (debug output, readiness). */
  describe(): InformerDescription[] {
    // A view that does not know its type's scope yet (discovery pending or failing) has no member:
    // it shows as itself, not synced, so readiness cannot pass it over.
    const pending: InformerDescription[] = [...this.#views.values()]
      .filter((v) => !v.materialized)
      .map((v) => {
        const d: InformerDescription = {
          type: `${v.type.apiVersion}/${v.type.kind}`,
          namespace: v.namespaces.join(','),
          synced: false,
          size: 0,
          resourceVersion: undefined,
        };
        const missing = this.#waiter.missingMessage(v.type);
        if (missing) d.missing = missing;
        return d;
      });
    return [...this.#informers.values()]
      .map((i) => {
        const d: InformerDescription = {
          type: `${i.type.apiVersion}/${i.type.kind}`,
          synced: i.hasSynced(),
          size: i.size,
          resourceVersion: i.lastSyncResourceVersion,
        };
        if (i.options.namespace) d.namespace = i.options.namespace;
        if (i.options.labelSelector) d.labelSelector = i.options.labelSelector;
        if (i.options.fieldSelector) d.fieldSelector = i.options.fieldSelector;
        const missing = i.hasSynced() ? undefined : this.#waiter.missingMessage(i.type);
        if (missing) d.missing = missing;
        return d;
      })
      .concat(pending);
  }

  /** The one informer of exactly these options (no scoping: the caller scoped them). */
  #shared<T extends KubeObject>(type: TypeRef, options: InformerOptions<T>): Informer<T> {
    const id = informerId(type, options);
    let informer = this.#informers.get(id) as SharedInformer<T> | undefined;
    if (!informer) {
      const client = this.client;
      const known = client.discovery.registry.byTypeRef(type);
      informer = new SharedInformer<T>({
        ...options,
        type,
        resource: known?.plural ?? `${type.kind.toLowerCase()}s`,
        listerWatcher: clientListerWatcher<T>(client, type, options, this.#waiter),
        logger: this.#options.logger ?? client.logger,
        registry: this.#options.registry ?? client.registry,
        clock: this.#options.clock ?? client.clock,
        validate: this.#options.validate,
        reflector: this.#options.reflector,
      });
      if (this.#stopped) void informer.stop();
      this.#informers.set(id, informer as unknown as SharedInformer<KubeObject>);
      if (this.#started) informer.start();
      this.#options.onInformer?.(informer as unknown as Informer);
    }
    return informer;
  }

  /**
   * Every informer made so far: the ones that list and watch (a multi-namespace informer is
   * listed as its member informers).
   */
  informers(): Informer[] {
    return [...this.#informers.values()];
  }

  /** Starts every informer, and those made later. */
  start(): void {
    this.#started = true;
    for (const informer of this.#informers.values()) informer.start();
    for (const view of this.#views.values()) view.start();
  }

  /** Resolves when every informer made so far has synced. */
  async waitForSync(): Promise<void> {
    // Views too: one whose type's scope is still being found out has no member informer yet.
    await Promise.all([...this.#views.values(), ...this.#informers.values()].map((i) => i.synced));
  }

  /** Stops every informer: no watch, socket or timer is left. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#views.values()].map((v) => v.stop()));
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
  }

  /**
   * Whether `type` is namespaced, from discovery: waits while the server does not serve it, and
   * retries other discovery failures every `pollMs`, until `signal` aborts.
   */
  async #namespaced(type: TypeRef, signal: AbortSignal): Promise<boolean> {
    const clock = this.#options.clock ?? this.client.clock;
    for (;;) {
      try {
        return (await this.#waiter.waitFor(type, signal)).namespaced;
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        (this.#options.logger ?? this.client.logger).warn(
          { err, type: `${type.apiVersion}/${type.kind}` },
          'kloop: discovery failed; retrying',
        );
        await sleep(clock, this.#options.missingTypes?.pollMs ?? 5_000, signal);
      }
    }
  }
}

const transformIds = new WeakMap<object, number>();
let nextTransformId = 1;

/** Equal options give equal ids; transforms count by identity. */
function informerId<T extends KubeObject>(type: TypeRef, o: InformerOptions<T>): string {
  let transform = 0;
  if (o.transform) {
    transform = transformIds.get(o.transform) ?? nextTransformId++;
    transformIds.set(o.transform, transform);
  }
  return JSON.stringify([
    type.apiVersion,
    type.kind,
    o.namespace ?? '',
    o.labelSelector ?? '',
    o.fieldSelector ?? '',
    Boolean(o.metadataOnly),
    Boolean(o.keepManagedFields),
    transform,
  ]);
}

/**
 * The `ListerWatcher` of one informer, over a `KubeClient`. With a `waiter`, a list of a type the
 * server does not serve waits for it (reported once per interval) instead of failing each attempt.
 */
export function clientListerWatcher<T extends KubeObject>(
  client: KubeClient,
  type: TypeRef,
  options: Pick<InformerOptions<T>, 'namespace' | 'labelSelector' | 'fieldSelector' | 'metadataOnly'>,
  waiter?: TypeWaiter,
): ListerWatcher<T> {
  const scope = {
    namespace: options.namespace,
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
    metadataOnly: options.metadataOnly,
  };
  return {
    listPage: async (req) => {
      if (waiter !== undefined && req.continue === undefined) await waiter.waitFor(type, req.signal);
      return client.listPage<T>(type, {
        ...scope,
        limit: req.limit,
        continue: req.continue,
        resourceVersion: req.resourceVersion,
        resourceVersionMatch: req.resourceVersionMatch,
        signal: req.signal,
        onContinue: req.onContinue,
      });
    },
    watch: async (req, onEvent) => {
      // The streaming list is a watch: it waits for a missing type the way a paginated list does.
      if (waiter !== undefined && req.sendInitialEvents) await waiter.waitFor(type, req.signal);
      return client.watchStream<T>(
        type,
        {
          ...scope,
          resourceVersion: req.resourceVersion,
          resourceVersionMatch: req.resourceVersionMatch,
          sendInitialEvents: req.sendInitialEvents,
          allowWatchBookmarks: req.allowWatchBookmarks,
          timeoutSeconds: req.timeoutSeconds,
          signal: req.signal,
          // The reflector reconnects itself, after checking the server did not go back in time.
          maxRetries: 0,
        },
        onEvent,
      );
    },
    // The server's current resourceVersion and one object's metadata, read consistently. The
    // label selector is left out (a selective one can make the server scan far for one match; the
    // list's resourceVersion does not depend on it, and the informer tells whether the object is
    // one it holds); namespace and field selector stay, since authorization may depend on them.
    currentResourceVersion: async (signal) => {
      const page = await client.listPage<T>(type, {
        namespace: scope.namespace,
        fieldSelector: scope.fieldSelector,
        metadataOnly: true,
        limit: 1,
        signal,
      });
      return { resourceVersion: page.metadata?.resourceVersion, sample: page.items[0] };
    },
  };
}
