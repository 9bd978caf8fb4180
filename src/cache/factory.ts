/**
 * `InformerFactory`: hands out one shared informer per (type, namespace, selectors, transform,
 * metadata-only, managedFields) and starts and stops them together (client-go's
 * `SharedInformerFactory`).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KubeClient } from '../client/index.js';
import type { Clock, DeepReadonly, KubeObject, TypedRef, TypeRef } from '../core/index.js';
import { SharedInformer, type SharedInformerOptions } from './informer.js';
import type { ListerWatcher } from './reflector.js';
import type { Informer, InformerOptions } from './types.js';

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
  #started = false;
  #stopped = false;

  constructor(client: KubeClient, options: InformerFactoryOptions = {}) {
    this.client = client;
    this.#options = options;
  }

  /**
   * The shared informer for `type` and `options`. It starts on `start()`, on the factory's
   * `start()` (also for informers made later), or on first use (`synced`, `get`, `list`,
   * `subscribe`). A typed reference (`Deployment`, a defined resource) gives an informer of its
   * object type, deep `readonly` as the objects are shared.
   */
  informer<T extends KubeObject = KubeObject>(
    type: TypedRef<T>,
    options: InformerOptions<DeepReadonly<T>> = {},
  ): Informer<DeepReadonly<T>> {
    return this.#informer(type, options as unknown as InformerOptions) as unknown as Informer<DeepReadonly<T>>;
  }

  #informer<T extends KubeObject>(type: TypeRef, options: InformerOptions<T>): Informer<T> {
    const id = informerId(type, options);
    let informer = this.#informers.get(id) as SharedInformer<T> | undefined;
    if (!informer) {
      const client = this.client;
      const known = client.discovery.registry.byTypeRef(type);
      informer = new SharedInformer<T>({
        ...options,
        type,
        resource: known?.plural ?? `${type.kind.toLowerCase()}s`,
        listerWatcher: clientListerWatcher<T>(client, type, options),
        logger: this.#options.logger ?? client.logger,
        registry: this.#options.registry ?? client.registry,
        clock: this.#options.clock ?? client.clock,
        validate: this.#options.validate,
        reflector: this.#options.reflector,
      });
      if (this.#stopped) void informer.stop();
      this.#informers.set(id, informer as unknown as SharedInformer<KubeObject>);
      if (this.#started) informer.start();
    }
    return informer;
  }

  /** Every informer made so far. */
  informers(): Informer[] {
    return [...this.#informers.values()];
  }

  /** Starts every informer, and those made later. */
  start(): void {
    this.#started = true;
    for (const informer of this.#informers.values()) informer.start();
  }

  /** Resolves when every informer made so far has synced. */
  async waitForSync(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.synced));
  }

  /** Stops every informer: no watch, socket or timer is left. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
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

/** The `ListerWatcher` of one informer, over a `KubeClient`. */
export function clientListerWatcher<T extends KubeObject>(
  client: KubeClient,
  type: TypeRef,
  options: Pick<InformerOptions<T>, 'namespace' | 'labelSelector' | 'fieldSelector' | 'metadataOnly'>,
): ListerWatcher<T> {
  const scope = {
    namespace: options.namespace,
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
    metadataOnly: options.metadataOnly,
  };
  return {
    listPage: (req) =>
      client.listPage<T>(type, {
        ...scope,
        limit: req.limit,
        continue: req.continue,
        resourceVersion: req.resourceVersion,
        resourceVersionMatch: req.resourceVersionMatch,
        signal: req.signal,
      }),
    watch: (req, onEvent) =>
      client.watchStream<T>(
        type,
        {
          ...scope,
          resourceVersion: req.resourceVersion,
          resourceVersionMatch: req.resourceVersionMatch,
          sendInitialEvents: req.sendInitialEvents,
          allowWatchBookmarks: req.allowWatchBookmarks,
          timeoutSeconds: req.timeoutSeconds,
          signal: req.signal,
        },
        onEvent,
      ),
  };
}
