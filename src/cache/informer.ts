/**
 * The shared informer: a reflector filling a store, and handlers told of every change
 * (client-go's `sharedIndexInformer`). One instance per type and options, shared by every
 * controller, collection and table of a process.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  type Clock,
  KloopError,
  type KubeObject,
  keyString,
  type LabelSelector,
  type ObjectKey,
  parseLabelSelector,
  type TypeRef,
} from '../core/index.js';
import { type InformerMetrics, informerMetrics } from './metrics.js';
import { type ListerWatcher, Reflector, type ReflectorOptions, type ReflectorSink } from './reflector.js';
import { Store } from './store.js';
import { makePipeline } from './transform.js';
import type {
  IndexFunc,
  Informer,
  InformerEvent,
  InformerListOptions,
  InformerOptions,
  SubscribeOptions,
} from './types.js';

type Handler<T extends KubeObject> = (event: InformerEvent<T>) => void;

/** Everything a `SharedInformer` is built from; `InformerFactory` fills it in. */
export interface SharedInformerOptions<T extends KubeObject = KubeObject> extends InformerOptions<T> {
  type: TypeRef;
  /** Resource name for logs and metrics (`configmaps`). */
  resource: string;
  listerWatcher: ListerWatcher<T>;
  logger: Logger;
  registry: Registry;
  clock: Clock;
  /** Deep-freeze stored objects (default: `KLOOP_VALIDATE=1`). */
  validate?: boolean;
  /** Reflector tuning (backoff, watchdog, page size, streaming list). */
  reflector?: Partial<Omit<ReflectorOptions, 'resource' | 'clock' | 'logger' | 'metrics'>>;
}

/**
 * A shared informer over any `ListerWatcher`. Most code gets one from
 * `InformerFactory.informer()` rather than building it.
 *
 * @remarks
 * It never stops on its own: every failure is recovered by the reflector (see `Reflector`).
 * A handler that throws is logged and skipped; the store and the other handlers go on.
 *
 * @example
 * ```ts
 * import { ConfigMap, InformerFactory, KubeClient } from 'kloop';
 *
 * const factory = new InformerFactory(KubeClient.fromKubeconfig());
 * const cms = factory.informer(ConfigMap, { namespace: 'default' });
 * const off = cms.subscribe((ev) => console.log(ev.type, ev.object.metadata.name));
 * await cms.synced;
 * cms.list({ labelSelector: 'app=web' });
 * off();
 * ```
 */
export class SharedInformer<T extends KubeObject = KubeObject> implements Informer<T> {
  readonly type: TypeRef;
  readonly resource: string;
  readonly options: Readonly<InformerOptions<T>>;
  readonly #store = new Store<T>();
  readonly #reflector: Reflector<T>;
  readonly #logger: Logger;
  readonly #metrics: InformerMetrics;
  /** Watch event counts not yet handed to the prom-client counter (see `InformerMetrics.flushers`). */
  readonly #pending = { added: 0, updated: 0, deleted: 0 };
  readonly #flush: () => void;
  #handlers: Handler<T>[] = [];
  #synced = false;
  #started = false;
  #stopped = false;
  #lastRv: string | undefined;
  /** The label selector, parsed on first need (`null`: it does not parse). */
  #selector: LabelSelector | null | undefined;
  readonly #syncedPromise: Promise<void>;
  #resolveSynced!: () => void;
  #rejectSynced!: (err: unknown) => void;

  constructor(options: SharedInformerOptions<T>) {
    this.type = { apiVersion: options.type.apiVersion, kind: options.type.kind };
    this.resource = options.resource;
    this.options = {
      namespace: options.namespace,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      transform: options.transform,
      metadataOnly: options.metadataOnly,
      keepManagedFields: options.keepManagedFields,
    };
    this.#logger = options.logger.child({ informer: options.resource });
    this.#metrics = informerMetrics(options.registry);
    this.#flush = () => {
      const p = this.#pending;
      this.#count(p.added, p.updated, p.deleted);
      p.added = p.updated = p.deleted = 0;
      this.#metrics.objects.labels(this.resource).set(this.#store.size);
    };
    this.#metrics.flushers.add(this.#flush);
    this.#syncedPromise = new Promise<void>((resolve, reject) => {
      this.#resolveSynced = resolve;
      this.#rejectSynced = reject;
    });
    // Nobody may be waiting when stop() rejects it: keep that from being an unhandled rejection.
    this.#syncedPromise.catch(() => {});
    const prepare = makePipeline<T>({
      type: this.type,
      metadataOnly: options.metadataOnly,
      keepManagedFields: options.keepManagedFields,
      transform: options.transform,
      freeze: options.validate ?? process.env.KLOOP_VALIDATE === '1',
    });
    const sink: ReflectorSink<T> = {
      prepare,
      replace: (items, rv) => this.#replace(items, rv),
      apply: (type, obj) => this.#apply(type, prepare(obj)),
      bookmark: (rv) => {
        this.#lastRv = rv;
      },
      holds: (obj) => this.#holds(obj),
    };
    this.#reflector = new Reflector<T>(options.listerWatcher, sink, {
      ...options.reflector,
      resource: options.resource,
      clock: options.clock,
      logger: this.#logger,
      metrics: this.#metrics,
    });
  }

  /** Resolves once the first list is in the store; starts the informer. Rejects if stopped first. */
  get synced(): Promise<void> {
    this.start();
    return this.#syncedPromise;
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  get lastSyncResourceVersion(): string | undefined {
    return this.#lastRv;
  }

  get size(): number {
    return this.#store.size;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** The reflector, for tests and the debug endpoint. */
  get reflector(): Reflector<T> {
    return this.#reflector;
  }

  /** Reads one object; starts the informer (the result is `undefined` until synced). */
  get(key: ObjectKey | string): T | undefined {
    this.start();
    return this.#store.get(key);
  }

  /** Lists objects by namespace, label selector and/or index; starts the informer. */
  list(options?: InformerListOptions): T[] {
    this.start();
    return this.#store.list(options);
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    this.#store.addIndex(name, fn);
  }

  indexKeys(name: string, value: string): string[] {
    return this.#store.indexKeys(name, value);
  }

  /**
   * Calls `handler` synchronously for each change. With `replay` (default), the objects already
   * in the store are delivered first as `added` with `initial: true`.
   */
  subscribe(handler: Handler<T>, options: SubscribeOptions = {}): () => void {
    this.start();
    if (options.replay !== false) {
      for (const obj of this.#store.values()) this.#call(handler, { type: 'added', object: obj, initial: true });
    }
    this.#handlers = [...this.#handlers, handler];
    return () => {
      this.#handlers = this.#handlers.filter((h) => h !== handler);
    };
  }

  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#reflector.start();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#flush();
    this.#metrics.flushers.delete(this.#flush);
    if (!this.#synced)
      this.#rejectSynced(
        new KloopError('KLOOP_INFORMER_STOPPED', `informer for ${this.resource} stopped before it synced`),
      );
    await this.#reflector.stop();
  }

  /**
   * Atomic replace: the store changes first, then handlers hear of each difference.
   *
   * @remarks Into an empty store (the first sync, and any relist after the store emptied), the
   * objects are filed first and their `added` events made one at a time as they are delivered:
   * holding 100k event objects until the store is full made each of them live long enough to be
   * copied by the garbage collector.
   */
  #replace(items: T[], rv: string): void {
    const initial = !this.#synced;
    const store = this.#store;
    const notify = this.#handlers.length > 0;
    const events: InformerEvent<T>[] = [];
    /** Objects to announce as `added`, in order (into an empty store). */
    let fresh: readonly T[] = [];
    let added = 0;
    let updated = 0;
    let deleted = 0;
    if (store.size === 0) {
      let repeated = 0;
      for (const obj of items) if (store.upsert(obj) !== undefined) repeated++;
      added = store.size;
      // A key the server sent twice is announced once, with the object that stayed.
      if (notify) fresh = repeated === 0 ? items : items.filter((obj) => store.get(obj.metadata) === obj);
    } else {
      // The instances the store holds for the new list: whatever else it holds has vanished.
      const kept = new Set<T>();
      for (const obj of items) {
        const old = store.get(obj.metadata);
        if (old !== undefined && sameVersion(old, obj)) {
          // Same object at the same resourceVersion: keep the stored instance, so consumers
          // comparing by reference see no change.
          kept.add(old);
          continue;
        }
        store.upsert(obj);
        kept.add(obj);
        if (old === undefined) {
          added++;
          if (notify) events.push({ type: 'added', object: obj, initial });
        } else {
          updated++;
          if (notify) events.push({ type: 'updated', object: obj, oldObject: old, initial: false });
        }
      }
      const gone: T[] = [];
      for (const obj of store.values()) if (!kept.has(obj)) gone.push(obj);
      for (const old of gone) {
        store.remove(old.metadata);
        deleted++;
        if (notify) events.push({ type: 'deleted', object: old, oldObject: old, initial: false });
      }
    }
    this.#lastRv = rv;
    this.#count(added, updated, deleted);
    this.#metrics.objects.labels(this.resource).set(store.size);
    // The handlers of the moment the store changed: one that subscribes from a handler here got
    // the whole new store in its replay, so the rest of these events would reach it twice.
    // One that unsubscribes from a handler here hears nothing more of it either.
    let handlers = this.#handlers;
    let current = handlers;
    const deliver = (ev: InformerEvent<T>): boolean => {
      // A handler may stop the informer mid-relist: nothing is delivered after stop().
      if (this.#stopped) return false;
      if (this.#handlers !== current) {
        current = this.#handlers;
        handlers = handlers.filter((h) => current.includes(h));
      }
      for (let i = 0; i < handlers.length; i++) this.#call(handlers[i], ev);
      return true;
    };
    for (const object of fresh) if (!deliver({ type: 'added', object, initial })) return;
    for (const ev of events) if (!deliver(ev)) return;
    if (!this.#synced && !this.#stopped) {
      this.#synced = true;
      this.#resolveSynced();
    }
  }

  #apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void {
    // The store files objects by namespace and name: looking up by the metadata builds no key.
    const meta = obj.metadata;
    const rv = meta.resourceVersion;
    if (rv) this.#lastRv = rv;
    if (type === 'DELETED') {
      const old = this.#store.remove(meta);
      if (old === undefined) return;
      this.#pending.deleted++;
      this.#dispatch({ type: 'deleted', object: obj, oldObject: old, initial: false });
      return;
    }
    const old = this.#store.get(meta);
    if (old !== undefined && sameVersion(old, obj)) return;
    this.#store.upsert(obj);
    if (old === undefined) {
      this.#pending.added++;
      this.#dispatch({ type: 'added', object: obj, initial: false });
    } else {
      this.#pending.updated++;
      this.#dispatch({ type: 'updated', object: obj, oldObject: old, initial: false });
    }
  }

  /** See `ReflectorSink.holds`: the store's copy of a wire object, compared by uid and resourceVersion. */
  #holds(obj: T): boolean | undefined {
    const meta = obj.metadata;
    if (!meta?.name || !meta.uid || !meta.resourceVersion) return undefined;
    const scope = this.options;
    if (scope.namespace && meta.namespace !== scope.namespace) return undefined;
    if (scope.labelSelector) {
      this.#selector ??= parseSelector(scope.labelSelector);
      if (this.#selector === null || !this.#selector.matches(meta.labels)) return undefined;
    }
    const stored = this.#store.get(meta);
    if (stored === undefined) return false;
    const { uid, resourceVersion } = stored.metadata;
    // A transform may drop them: then nothing can be told.
    if (!uid || !resourceVersion) return undefined;
    return uid === meta.uid && resourceVersion === meta.resourceVersion;
  }

  #count(added: number, updated: number, deleted: number): void {
    if (added) this.#metrics.events.labels(this.resource, 'added').inc(added);
    if (updated) this.#metrics.events.labels(this.resource, 'updated').inc(updated);
    if (deleted) this.#metrics.events.labels(this.resource, 'deleted').inc(deleted);
  }

  #dispatch(event: InformerEvent<T>): void {
    const handlers = this.#handlers;
    for (let i = 0; i < handlers.length; i++) this.#call(handlers[i], event);
  }

  #call(handler: Handler<T>, event: InformerEvent<T>): void {
    try {
      handler(event);
    } catch (err) {
      this.#logger.error(
        { err, event: event.type, key: keyString(event.object.metadata) },
        'kloop: informer handler threw; skipped',
      );
    }
  }
}

function parseSelector(text: string): LabelSelector | null {
  try {
    return parseLabelSelector(text);
  } catch {
    return null;
  }
}

/**
 * The same object at the same resourceVersion. The uid counts too: a server restarted empty (or
 * restored from an older snapshot) reuses resourceVersions, so a new object of the same name can
 * carry the number the old one had.
 */
function sameVersion(a: KubeObject, b: KubeObject): boolean {
  return a.metadata.resourceVersion === b.metadata.resourceVersion && a.metadata.uid === b.metadata.uid;
}
