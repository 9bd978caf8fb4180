/**
 * The cached client (`ctx.client`, `mgr.client`): reads from the shared informers, writes only
 * what changed.
 *
 * - Reads start the type's shared informer on first use and wait for it to sync, then read
 *   the cache through the read-your-writes overlay.
 * - Every write computes its change first. Nothing to change: no request, counted in
 *   `kloop_client_writes_skipped_total{reason}`. Something: the smallest patch, spec and status to
 *   their own endpoints, counted in `kloop_client_writes_total{kind}` with the bytes sent.
 * - Each write is attributed to the reconcile (controller, key, reconcile id, triggers) that made
 *   it: metrics labels, a debug log line, and the reconcile's write list (hot-loop detection).
 * - Each write asks the `fence` first (core's `WriteFence`: leader election, shards) and carries
 *   its signal; a closed fence refuses the write before anything is sent.
 * - `direct` sends writes exactly as given (the escape hatch), fenced and attributed the same way.
 *
 * Go: controller-runtime's `client.Client` from the manager, with `MergeFrom` patches, plus what
 * it leaves out: no-op skipping (refused in issue #2417) and read-your-writes (issue #3320).
 */
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import {
  byOwnerUid,
  CacheScopeError,
  type IndexFunc,
  type InformerListOptions,
  type InformerReader,
  type ScopeSelectors,
} from '../cache/index.js';
import {
  ApiError,
  type Clock,
  type DeepReadonly,
  deepClone,
  type FencedRequest,
  fenceWrite,
  type JsonPatchOperation,
  type KubeObject,
  keyOf,
  keyString,
  makeStatus,
  type ObjectKey,
  type ObjectMeta,
  parseFieldSelector,
  parseLabelSelector,
  type ResourceType,
  ResourceTypeRegistry,
  systemClock,
  type TypedRef,
  type TypeRef,
  type WriteFence,
} from '../core/index.js';
import { type Resource, ResourceValidators, validateWrite, type WriteValidation } from '../resources/index.js';
import {
  appliedChanges,
  appliedFieldPaths,
  appliedPaths,
  coversOwned,
  holdsApplied,
  ownedPaths,
} from './apply-diff.js';
import { OWNER_INDEX } from './controller.js';
import { directWriter } from './direct-writer.js';
import { EventRecorder, type EventSink, EventType } from './events.js';
import { type ControllerMetrics, controllerMetrics } from './metrics.js';
import { ReadYourWrites } from './read-your-writes.js';
import type {
  ApplyOptions,
  CachedClientApi,
  ClientPatchOptions,
  ClientWriteOptions,
  DirectWriter,
  EventRecorderApi,
  InformerProvider,
  MutateOptions,
  Mutator,
  NewObject,
  ScopableClient,
  WriteAttribution,
  WriteOutcome,
  WriteReport,
  WriteTransport,
} from './types.js';
import { bodyFields, ClientUsageError, diffPart, partPaths, typeOf, type WritePart } from './writes.js';

/** What a write changed: top-level fields, and the deeper paths when computed. */
interface WriteChanges {
  fields: string[];
  paths?: string[];
}

/** Options of {@link CachedClient}. */
export interface CachedClientOptions {
  /** Sends the writes: a `KubeClient`, or anything with its verbs. */
  transport: WriteTransport;
  /** Shared informers the reads come from. */
  informers: InformerProvider;
  registry?: Registry;
  logger?: Logger;
  /** Field manager of server-side applies and Update entries. Default `kloop`. */
  fieldManager?: string;
  /** Events' `source.component`. Default `kloop`. */
  component?: string;
  clock?: Clock;
  /**
   * Fencing: asked before every write, with the object written and the reconcile writing it.
   * A closed fence refuses the write (`WriteFencedError`) and nothing is sent; an open one's
   * signal goes with the request, so its retries stop once the fence closes. The manager plugs
   * leader election and sharding in here.
   */
  fence?: WriteFence;
  /**
   * Client-side validation: an object of a resource defined with `defineResource` is checked
   * against its schema before a write, failing with the server's message (`ValidationError`).
   * Default true; each write may opt out with `{ validate: false }`.
   */
  validate?: boolean;
  /**
   * Defined resources whose objects are validated before writes even when a write names no type
   * (`apply`, `patch`). Resources passed as the type of any call are learnt as well.
   */
  resources?: readonly Resource[];
}

/**
 * Index functions the client can evaluate on written objects, so a list by index holds exactly
 * the written objects filed under the value (the owner index `owns()` adds).
 */
const KNOWN_INDEXES = new Map<string, IndexFunc>([[OWNER_INDEX, byOwnerUid]]);

interface Shared {
  options: CachedClientOptions;
  ryw: ReadYourWrites;
  metrics: ControllerMetrics;
  logger: Logger;
  clock: Clock;
  registry: ResourceTypeRegistry;
  observed: Set<string>;
  resources: Map<string, Promise<ResourceType | undefined>>;
  /**
   * Paths each manager applied last to each object, by object (`type\0key`) and then by
   * `manager\0subresource`; tied to the object's uid, dropped when the informer shows it deleted.
   */
  lastApplied: Map<string, { uid: string | undefined; byManager: Map<string, Set<string>> }>;
  /** Validators of the defined resources this client knows. */
  validators: ResourceValidators;
  events?: EventRecorder;
}

/**
 * The cached client. `scoped(attribution)` gives the view a reconcile uses: same caches, writes
 * labelled with the controller and reported to the reconcile.
 *
 * @example
 * ```ts
 * import { ConfigMap, InformerFactory, KubeClient, type KubeObject } from 'kloop';
 *
 * interface ConfigMapObject extends KubeObject { data?: Record<string, string> }
 * const kubeClient = KubeClient.fromKubeconfig();
 * const client = new CachedClient({ transport: kubeClient, informers: new InformerFactory(kubeClient) });
 * const cm = await client.get(ConfigMap, { namespace: 'default', name: 'cfg' }); // from the cache
 * await client.mutate<ConfigMapObject>(ConfigMap, { namespace: 'default', name: 'cfg' }, (d) => {
 *   d.data = { ...d.data, key: 'value' };
 * }); // sends { data: { key: 'value' }, metadata: { resourceVersion } } only if key changed
 * ```
 *
 * @remarks `mutate`/`mutateStatus` retry 409 conflicts from a fresh server read up to
 * `maxAttempts` (default 5), then throw the conflict (the controller requeues it quietly).
 * Other errors are thrown at once.
 */
export class CachedClient implements ScopableClient {
  readonly #shared: Shared;
  readonly #attribution: WriteAttribution;
  readonly events: EventRecorderApi;
  readonly direct: DirectWriter;

  constructor(options: CachedClientOptions, attribution: WriteAttribution = { controller: '' }, shared?: unknown) {
    this.#shared = (shared as Shared | undefined) ?? {
      options,
      ryw: new ReadYourWrites(undefined, { clock: options.clock }),
      metrics: controllerMetrics(options.registry ?? new Registry()),
      logger: options.logger ?? pino({ level: 'silent' }),
      clock: options.clock ?? systemClock,
      registry: new ResourceTypeRegistry(),
      observed: new Set(),
      resources: new Map(),
      lastApplied: new Map(),
      validators: new ResourceValidators(options.resources),
    };
    this.#attribution = attribution;
    const sink: EventSink = {
      createEvent: (event) => this.create(EventType, event),
      patchEvent: async (key, patch) =>
        this.#send(EventType, key, 'event', { fields: ['count', 'lastTimestamp'] }, patch, 'merge'),
    };
    this.#shared.events ??= new EventRecorder(sink, { component: options.component, clock: this.#shared.clock });
    const recorder = this.#shared.events;
    // One series table for every view, so repeats across reconciles aggregate; writes go through this view.
    this.events = { record: (object, event) => recorder.record(object, event, sink) };
    this.direct = this.#directWriter();
  }

  /** A view whose writes are attributed to a reconcile. */
  scoped(attribution: WriteAttribution): CachedClientApi {
    return new CachedClient(this.#shared.options, attribution, this.#shared);
  }

  /** Records held by the read-your-writes overlay (debug, tests). */
  get pendingWrites(): number {
    return this.#shared.ryw.size;
  }

  /** Reads one object from the shared informer (its own writes included). */
  async get<T extends KubeObject = KubeObject>(
    type: TypedRef<T>,
    key: ObjectKey,
  ): Promise<DeepReadonly<T> | undefined> {
    return readonlyView(await this.#get<T>(type, key));
  }

  async #get<T extends KubeObject>(type: TypeRef, key: ObjectKey): Promise<T | undefined> {
    this.#shared.validators.learn(type);
    const informer = await this.#informer<T>(type);
    return this.#shared.ryw.resolve(type, key, informer.get(key));
  }

  /** Lists from the shared informer (its own writes included). */
  async list<T extends KubeObject = KubeObject>(
    type: TypedRef<T>,
    options: InformerListOptions = {},
  ): Promise<DeepReadonly<T>[]> {
    this.#shared.validators.learn(type);
    const informer = await this.#informer<T>(type);
    const selector = options.labelSelector ? parseLabelSelector(options.labelSelector) : undefined;
    const index = options.index;
    const indexFn = index === undefined ? undefined : KNOWN_INDEXES.get(index.name);
    const matches = (o: KubeObject, listed: boolean) =>
      (!options.namespace || o.metadata.namespace === options.namespace) &&
      (selector === undefined || selector.matches(o.metadata.labels)) &&
      // An index this client cannot evaluate: trust the informer's list, add no written object.
      (index === undefined || (indexFn === undefined ? listed : (indexFn(o) ?? []).includes(index.value)));
    return readonlyItems(this.#shared.ryw.overlayList(type, informer.list(options), matches));
  }

  /** Creates an object (always sent; validated first when it is of a defined resource). */
  async create<T extends KubeObject>(
    type: TypedRef<T>,
    object: NewObject<T>,
    options: ClientWriteOptions = {},
  ): Promise<DeepReadonly<T>> {
    this.#shared.validators.learn(type);
    const body = { ...object, apiVersion: type.apiVersion, kind: type.kind } as T;
    this.#validate(body, {}, options);
    const key = keyOf(body);
    const json = JSON.stringify(body);
    const created = await this.#shared.options.transport.create<T>(body, {
      fieldManager: this.#fieldManager(),
      ...this.#fence(type, key),
      validate: false,
    });
    await this.#recordWrite(type, key, 'create', { fields: bodyFields(body) }, json, created);
    return readonlyView(created);
  }

  /**
   * Patches `current` into `desired`: the smallest merge patch, or with `optimisticLock` a JSON
   * patch starting with a `test` of `metadata.resourceVersion`. Status changes go to `/status`
   * when the type has that subresource. Nothing is sent when nothing changed.
   */
  async patch<T extends KubeObject>(
    current: T,
    desired: T,
    options: ClientPatchOptions & ClientWriteOptions = {},
  ): Promise<WriteOutcome<T>> {
    const type = typeOf(current);
    const key = keyOf(current);
    this.#validate(desired, { current, status: options.subresource === 'status' }, options);
    if (options.optimisticLock && current.metadata.resourceVersion === undefined) {
      // A `test` without a value is malformed, and there is no version to lock on anyway.
      throw new ClientUsageError(
        `patch of ${keyString(key)} with optimisticLock: current has no metadata.resourceVersion`,
      );
    }
    const hasStatus = await this.#hasStatus(type);
    const parts: Array<'all' | 'main' | 'status'> =
      options.subresource === 'status' ? ['status'] : hasStatus ? ['main', 'status'] : ['all'];
    let object: T | undefined;
    let sent = false;
    // The lock of a second request (status after spec) is the version the first one produced.
    let resourceVersion = current.metadata.resourceVersion;
    for (const part of parts) {
      const subresource = part === 'status' && hasStatus ? 'status' : undefined;
      const kind = subresource ? 'status' : 'patch';
      if (options.optimisticLock) {
        const { patch: ops, changed, unchanged } = diffPart(current, desired, part, 'json');
        if (unchanged) continue;
        const test: JsonPatchOperation = { op: 'test', path: '/metadata/resourceVersion', value: resourceVersion };
        const changes = { fields: changed, paths: partPaths(current, desired, part) };
        object = await this.#send<T>(type, key, kind, changes, [test, ...ops], 'json', subresource);
        resourceVersion = object.metadata.resourceVersion;
      } else {
        const { patch, changed } = diffPart(current, desired, part, 'merge');
        if (patch === undefined) continue;
        const changes = { fields: changed, paths: partPaths(current, desired, part) };
        object = await this.#send<T>(type, key, kind, changes, patch, 'merge', subresource);
      }
      sent = true;
    }
    if (!sent) await this.#skip(type, key, options.subresource === 'status' ? 'status' : 'patch', 'unchanged');
    return { object: readonlyView(object ?? current), sent };
  }

  /** Changes spec and metadata through `fn` on a copy of the cached object; see the class remarks. */
  mutate<T extends KubeObject = KubeObject>(
    type: TypedRef<T>,
    key: ObjectKey,
    fn: Mutator<T>,
    options: MutateOptions & ClientWriteOptions = {},
  ): Promise<WriteOutcome<T>> {
    return this.#mutate(type, key, fn, options, false);
  }

  /** Changes `status` through `fn`; sent to the `/status` subresource. */
  mutateStatus<T extends KubeObject = KubeObject>(
    type: TypedRef<T>,
    key: ObjectKey,
    fn: Mutator<T>,
    options: MutateOptions & ClientWriteOptions = {},
  ): Promise<WriteOutcome<T>> {
    return this.#mutate(type, key, fn, options, true);
  }

  /**
   * Server-side apply, skipped when the cache already holds every applied field with the applied
   * value and the manager owns nothing it now omits (see `apply-diff.ts`).
   */
  async apply<T extends KubeObject>(desired: T, options: ApplyOptions & ClientWriteOptions): Promise<WriteOutcome<T>> {
    const type = typeOf(desired);
    const key = keyOf(desired);
    const manager = options.fieldManager;
    const objectId = appliedId(type, key);
    const managerId = `${manager}\u0000${options.subresource ?? ''}`;
    // Outside the cache's scope there is nothing to compare with: the apply is sent (validated
    // as a create would be, without a current object for the ratcheting rules).
    const cached = await this.#getInScope<T>(type, key);
    this.#validate(desired, { current: cached, status: options.subresource === 'status', partial: true }, options);
    const paths = appliedPaths(desired);
    if (cached !== undefined && holdsApplied(cached, desired)) {
      // What we applied to an earlier object of this name says nothing about this one.
      const remembered = this.#shared.lastApplied.get(objectId);
      const last = remembered?.uid === cached.metadata.uid ? remembered?.byManager.get(managerId) : undefined;
      const owned = ownedPaths(cached, manager, options.subresource) ?? last;
      if (owned !== undefined && coversOwned(paths, owned)) {
        await this.#skip(type, key, 'apply', 'unchanged');
        return { object: readonlyView(cached), sent: false };
      }
    }
    const fields = appliedChanges(cached, desired);
    const changes = { fields, paths: appliedFieldPaths(cached, desired) };
    const object = await this.#send<T>(type, key, 'apply', changes, desired, 'apply', options.subresource, {
      fieldManager: manager,
      force: options.force,
    });
    const uid = object.metadata?.uid;
    let remembered = this.#shared.lastApplied.get(objectId);
    if (remembered === undefined || remembered.uid !== uid) {
      remembered = { uid, byManager: new Map() };
      this.#shared.lastApplied.set(objectId, remembered);
    }
    remembered.byManager.set(managerId, paths);
    return { object: readonlyView(object), sent: true };
  }

  /**
   * Deletes an object. Skipped when the cache shows it absent or already being deleted. Resolves
   * false when the server says it was not found.
   */
  async delete(type: TypeRef, key: ObjectKey): Promise<boolean> {
    const cached = await this.#getInScope(type, key, OUTSIDE_SCOPE);
    if (cached === OUTSIDE_SCOPE) return this.#deleteUncached(type, key);
    if (cached === undefined) {
      // Under a selector scope a miss proves nothing: the object may have stopped matching.
      if (this.#selectors(type) !== undefined) return this.#deleteUncached(type, key);
      await this.#skip(type, key, 'delete', 'absent');
      return false;
    }
    if (cached.metadata.deletionTimestamp) {
      await this.#skip(type, key, 'delete', 'deleting');
      return true;
    }
    const resource = await this.#resource(type);
    const informer = await this.#informer(type);
    const held = informer.get(key);
    try {
      const answer = await this.#shared.options.transport.delete(type, key, {
        preconditions: cached.metadata.uid ? { uid: cached.metadata.uid } : undefined,
        ...this.#fence(type, key),
      });
      if (!this.#sawGo(type, informer, key, held)) this.#recordDelete(type, key, answer, cached);
      this.#count(type, resource, key, 'delete', { fields: [] }, 0, deletedVersion(answer));
      return true;
    } catch (err) {
      if (ApiError.isNotFound(err)) {
        if (!this.#sawGo(type, informer, key, held)) this.#shared.ryw.recordDelete(type, key, cached);
        return false;
      }
      throw err;
    }
  }

  /**
   * True when the informer held the object before a delete and no longer does: it has seen the
   * delete already (its event beat the answer), so a record would only wait for an event that
   * came, and linger until the key is read again. Any older record of the key is dropped.
   */
  #sawGo(type: TypeRef, informer: InformerReader<KubeObject>, key: ObjectKey, held: KubeObject | undefined): boolean {
    if (held === undefined || informer.get(key) !== undefined) return false;
    this.#shared.ryw.observe(type, held, true);
    return true;
  }

  /**
   * A delete of an object outside the cache's scope (another namespace, or not matching the
   * scope's selectors): nothing to skip on, no uid to guard with, no read-your-writes record (no
   * read can see it). Resolves false when the server says not found.
   */
  async #deleteUncached(type: TypeRef, key: ObjectKey): Promise<boolean> {
    const resource = await this.#resource(type);
    try {
      await this.#shared.options.transport.delete(type, key, { ...this.#fence(type, key) });
    } catch (err) {
      if (ApiError.isNotFound(err)) return false;
      throw err;
    }
    this.#count(type, resource, key, 'delete', { fields: [] }, 0, undefined);
    return true;
  }

  /** `get`, or `outside` when the key is outside the cache's scope (instead of throwing). */
  async #getInScope<T extends KubeObject, O = undefined>(
    type: TypeRef,
    key: ObjectKey,
    outside?: O,
  ): Promise<T | undefined | O> {
    try {
      return await this.#get<T>(type, key);
    } catch (err) {
      if (err instanceof CacheScopeError) return outside as O;
      throw err;
    }
  }

  /** Adds a finalizer unless present (a patch of `metadata.finalizers` guarded by resourceVersion). */
  async ensureFinalizer<T extends KubeObject>(object: T, finalizer: string): Promise<WriteOutcome<T>> {
    return this.mutate<T>(typeOf(object), keyOf(object), (d) => {
      const list = d.metadata.finalizers ?? [];
      if (!list.includes(finalizer)) d.metadata.finalizers = [...list, finalizer];
    });
  }

  /** Removes a finalizer if present. */
  async removeFinalizer<T extends KubeObject>(object: T, finalizer: string): Promise<WriteOutcome<T>> {
    return this.mutate<T>(typeOf(object), keyOf(object), (d) => {
      const list = d.metadata.finalizers ?? [];
      if (list.includes(finalizer)) d.metadata.finalizers = list.filter((f) => f !== finalizer);
    });
  }

  async #mutate<T extends KubeObject>(
    type: TypeRef,
    key: ObjectKey,
    fn: Mutator<T>,
    options: MutateOptions & ClientWriteOptions,
    status: boolean,
  ): Promise<WriteOutcome<T>> {
    const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    const hasStatus = await this.#hasStatus(type);
    const part: WritePart = status ? 'status' : hasStatus ? 'main' : 'all';
    const subresource = status && hasStatus ? 'status' : undefined;
    let current = await this.#get<T>(type, key);
    // Under a selector scope the cache lacks what stopped matching; a finalizer left on it would
    // keep it forever. Ask the server before taking the miss for an absence.
    if (current === undefined && this.#selectors(type) !== undefined) current = await this.#serverCopy<T>(type, key);
    for (let attempt = 1; ; attempt++) {
      if (current === undefined) return { object: undefined, sent: false };
      const draft = deepClone(current);
      const desired = (fn(draft) ?? draft) as T;
      const { patch, changed } = diffPart(current, desired, part, 'merge');
      if (patch === undefined) {
        await this.#skip(type, key, status ? 'status' : 'patch', 'unchanged');
        return { object: readonlyView(current), sent: false };
      }
      this.#validate(desired, { current, status: subresource !== undefined }, options);
      if (options.optimisticLock ?? !status) {
        // A resourceVersion in a merge patch is a precondition: the server answers 409 when stale.
        const meta = (patch.metadata ?? {}) as Record<string, unknown>;
        patch.metadata = { ...meta, resourceVersion: current.metadata.resourceVersion };
      }
      try {
        const object = await this.#send<T>(
          type,
          key,
          subresource ? 'status' : 'patch',
          { fields: changed, paths: partPaths(current, desired, part) },
          patch,
          'merge',
          subresource,
        );
        return { object: readonlyView(object), sent: true };
      } catch (err) {
        if (!ApiError.isConflict(err) || attempt >= maxAttempts) throw err;
        // The cache was stale: read the server's copy, remember it, and redo the change on it.
        current = await this.#serverCopy<T>(type, key);
        if (current !== undefined && this.#cacheWillHold(type, current)) {
          const informer = await this.#informer<T>(type);
          this.#shared.ryw.recordWrite(type, current, informer.get(key));
        }
      }
    }
  }

  async #send<T extends KubeObject>(
    type: TypeRef,
    key: ObjectKey,
    kind: string,
    changes: WriteChanges,
    body: unknown,
    patchType: 'merge' | 'json' | 'apply',
    subresource?: string,
    extra: { fieldManager?: string; force?: boolean } = {},
  ): Promise<T> {
    const json = JSON.stringify(body);
    let object: T;
    try {
      object = await this.#shared.options.transport.patch<T>({ type, key }, body, {
        type: patchType,
        subresource,
        fieldManager: extra.fieldManager ?? (patchType === 'apply' ? this.#fieldManager() : undefined),
        force: extra.force,
        ...this.#fence(type, key),
        // Validated here already (or opted out): the transport need not do it again.
        validate: false,
      });
    } catch (err) {
      // A failed `test` of the resourceVersion is the JSON-patch form of a stale write: a 422
      // naming the tested JSON pointer. Validation errors are 422 too, but name fields with dots
      // and name the object, so matching the word "test" would turn a "test-app" validation
      // error into a conflict retried forever.
      if (
        patchType === 'json' &&
        err instanceof ApiError &&
        err.statusCode === 422 &&
        err.message.includes('/metadata/resourceVersion')
      ) {
        throw new ApiError(makeStatus(409, 'Conflict', `stale resourceVersion: ${err.message}`), { cause: err });
      }
      throw err;
    }
    await this.#recordWrite(type, key, kind, changes, json, object);
    return object;
  }

  async #recordWrite(
    type: TypeRef,
    key: ObjectKey,
    kind: string,
    changes: WriteChanges,
    json: string,
    object: KubeObject,
  ): Promise<void> {
    // Only types read through this client need the overlay; its records are dropped by informer
    // events. An object the scope's selectors leave out never reaches the cache: reading it back
    // would show what the cache will never hold.
    if (this.#shared.observed.has(`${type.apiVersion}/${type.kind}`) && this.#cacheWillHold(type, object)) {
      const informer = await this.#informer(type);
      const cached = peek(informer, key);
      if (cached !== OUTSIDE_SCOPE) {
        this.#shared.ryw.recordWrite(type, object, cached, informer.lastSyncResourceVersion);
      }
    }
    const resource = await this.#resource(type);
    this.#count(type, resource, key, kind, changes, Buffer.byteLength(json), object.metadata?.resourceVersion);
  }

  #count(
    type: TypeRef,
    resource: string,
    key: ObjectKey,
    kind: string,
    changes: WriteChanges,
    bytes: number,
    resourceVersion: string | undefined,
  ): void {
    const controller = this.#attribution.controller;
    this.#shared.metrics.clientWrites.inc({ controller, resource, kind });
    if (bytes > 0) this.#shared.metrics.clientWriteBytes.inc({ controller, resource }, bytes);
    const report: WriteReport = { type: `${type.apiVersion}/${type.kind}`, key, kind, fields: changes.fields, bytes };
    if (changes.paths !== undefined) report.changedPaths = changes.paths;
    if (resourceVersion !== undefined) report.resourceVersion = resourceVersion;
    this.#attribution.onWrite?.(report);
    this.#shared.logger.debug(
      {
        controller,
        reconcileID: this.#attribution.reconcileId,
        key: this.#attribution.key ? keyString(this.#attribution.key) : undefined,
        triggers: this.#attribution.triggers?.slice(0, 3).map((t) => `${t.source} ${t.event}`),
        write: { ...report, key: keyString(key) },
      },
      'write',
    );
  }

  /** Counts a write not sent, labelled with the same resource name as sent writes. */
  async #skip(type: TypeRef, key: ObjectKey, kind: string, reason: string): Promise<void> {
    const resource = await this.#resource(type);
    this.#shared.metrics.clientWritesSkipped.inc({ controller: this.#attribution.controller, resource, reason });
    this.#attribution.onSkip?.({ type: `${type.apiVersion}/${type.kind}`, key, kind, reason });
  }

  /**
   * The one place writes are fenced: the options (the signal) a write about to be sent carries,
   * merged with the caller's own. Throws, before anything is sent, when the fence is closed.
   */
  #fence(type: TypeRef, key: ObjectKey, own?: AbortSignal): FencedRequest {
    return fenceWrite(this.#shared.options.fence, { type, key, reconcileKey: this.#attribution.key }, own);
  }

  /** Records a delete the server answered: the object while finalizers keep it, else its absence. */
  #recordDelete(type: TypeRef, key: ObjectKey, answer: unknown, cached: KubeObject | undefined): void {
    const returned = answer as KubeObject | undefined;
    if (returned && returned.kind !== 'Status' && returned.metadata?.deletionTimestamp) {
      this.#shared.ryw.recordWrite(type, returned, cached);
    } else {
      this.#shared.ryw.recordDelete(type, key, cached);
    }
  }

  /** `direct`: sends as given, with the fence, attribution and read-your-writes of this view. */
  #directWriter(): DirectWriter {
    return directWriter({
      transport: this.#shared.options.transport,
      fieldManager: () => this.#fieldManager(),
      fence: (type, key, own) => this.#fence(type, key, own),
      written: (type, key, kind, fields, json, object) => this.#recordWrite(type, key, kind, { fields }, json, object),
      deleted: async (type, key, answer) => {
        const resource = await this.#resource(type);
        if (this.#shared.observed.has(`${type.apiVersion}/${type.kind}`)) {
          const informer = await this.#informer(type);
          const cached = peek(informer, key);
          if (cached !== OUTSIDE_SCOPE) this.#recordDelete(type, key, answer, cached);
        }
        this.#count(type, resource, key, 'delete', { fields: [] }, 0, deletedVersion(answer));
      },
    });
  }

  /** The server's copy of `key`, undefined when it has none. */
  async #serverCopy<T extends KubeObject>(type: TypeRef, key: ObjectKey): Promise<T | undefined> {
    try {
      return await this.#shared.options.transport.get<T>(type, key);
    } catch (err) {
      if (ApiError.isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The selectors the cache scope puts on `type`, if any. */
  #selectors(type: TypeRef): ScopeSelectors | undefined {
    return this.#shared.options.informers.selectors?.(type);
  }

  /** False when the scope's selectors leave `object` out of the cache. */
  #cacheWillHold(type: TypeRef, object: KubeObject): boolean {
    const selectors = this.#selectors(type);
    if (selectors === undefined) return true;
    const { labelSelector, fieldSelector } = selectors;
    if (labelSelector && !parseLabelSelector(labelSelector).matches(object.metadata.labels)) return false;
    return !fieldSelector || parseFieldSelector(fieldSelector).matches((field) => fieldValue(object, field));
  }

  #fieldManager(): string {
    return this.#shared.options.fieldManager ?? 'kloop';
  }

  /**
   * Client-side validation of a write of a defined resource (unless opted out): throws the
   * server's 422 as a `ValidationError` before anything is sent.
   */
  #validate(object: KubeObject, how: WriteValidation, options: ClientWriteOptions): void {
    if (!(options.validate ?? this.#shared.options.validate ?? true)) return;
    const validator = this.#shared.validators.get(object.apiVersion, object.kind);
    if (validator !== undefined) validateWrite(validator, object, how);
  }

  async #informer<T extends KubeObject>(type: TypeRef): Promise<InformerReader<T>> {
    const informer = this.#shared.options.informers.informer(type) as unknown as InformerReader<T>;
    const id = `${type.apiVersion}/${type.kind}`;
    if (!this.#shared.observed.has(id)) {
      this.#shared.observed.add(id);
      // Drop read-your-writes records as soon as the informer shows the write, keeping it small,
      // or shows that the server went back in time (it relisted lower: the write is lost).
      this.#shared.ryw.follow(type, () => informer.lastSyncResourceVersion);
      informer.subscribe(
        (e) => {
          this.#shared.ryw.observe(type, e.object, e.type === 'deleted', e.oldObject);
          if (e.type === 'deleted') this.#forgetApplied(type, e.object);
        },
        { replay: false },
      );
    }
    if (!informer.hasSynced()) await informer.synced;
    return informer;
  }

  /** Drops what was applied to a deleted object (keeps a record of a newer object of that name). */
  #forgetApplied(type: TypeRef, object: KubeObject): void {
    if (object.metadata.name === undefined) return;
    const id = appliedId(type, object.metadata);
    const remembered = this.#shared.lastApplied.get(id);
    if (remembered !== undefined && (remembered.uid === undefined || remembered.uid === object.metadata.uid)) {
      this.#shared.lastApplied.delete(id);
    }
  }

  #resourceType(type: TypeRef): Promise<ResourceType | undefined> {
    const id = `${type.apiVersion}/${type.kind}`;
    let found = this.#shared.resources.get(id);
    if (found === undefined) {
      const known = this.#shared.registry.byTypeRef(type);
      const resolve = this.#shared.options.transport.resolve;
      found = known
        ? Promise.resolve(known)
        : resolve
          ? resolve.call(this.#shared.options.transport, type).catch(() => undefined)
          : Promise.resolve(undefined);
      this.#shared.resources.set(id, found);
    }
    return found;
  }

  async #resource(type: TypeRef): Promise<string> {
    return (await this.#resourceType(type))?.plural ?? type.kind.toLowerCase();
  }

  async #hasStatus(type: TypeRef): Promise<boolean> {
    const rt = await this.#resourceType(type);
    // Unknown types are assumed to have one: custom resources with status almost always do.
    return rt === undefined ? true : rt.subresources.includes('status');
  }
}

/** An object as the cache shares it: the same value, typed deep `readonly`. */
function readonlyView<T>(value: T): DeepReadonly<T> {
  return value as unknown as DeepReadonly<T>;
}

/** Objects as the cache shares them, in a list the caller owns. */
function readonlyItems<T>(items: T[]): DeepReadonly<T>[] {
  return items as unknown as DeepReadonly<T>[];
}

/**
 * The resourceVersion of a delete's answer when the server sent the object (finalizers keep it,
 * deletionTimestamp set; or a resource that returns what it deleted): the watch event of that
 * delete carries the same version, which is how the record links the delete to what it set off.
 * A `Status` answer has none.
 */
function deletedVersion(answer: unknown): string | undefined {
  const object = answer as KubeObject | undefined;
  if (object === undefined || object === null || typeof object !== 'object' || object.kind === 'Status')
    return undefined;
  return object.metadata?.resourceVersion;
}

/** What `peek` answers for a key outside the cache's scope. */
const OUTSIDE_SCOPE: unique symbol = Symbol('outside the cache scope');

/** The cached object, or `OUTSIDE_SCOPE` where the informer does not hold the key's namespace. */
function peek<T extends KubeObject>(informer: InformerReader<T>, key: ObjectKey): T | undefined | typeof OUTSIDE_SCOPE {
  try {
    return informer.get(key);
  } catch (err) {
    if (err instanceof CacheScopeError) return OUTSIDE_SCOPE;
    throw err;
  }
}

/** A field selector's field of `object` (`metadata.name`, `status.phase`): a dotted path to a scalar. */
function fieldValue(object: KubeObject, field: string): string | undefined {
  let at: unknown = object;
  for (const part of field.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return typeof at === 'string' || typeof at === 'number' || typeof at === 'boolean' ? String(at) : undefined;
}

/** The identity of an object in `lastApplied`. */
function appliedId(type: TypeRef, key: ObjectKey | ObjectMeta): string {
  return `${type.apiVersion}/${type.kind}\u0000${keyString(key)}`;
}
