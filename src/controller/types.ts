/**
 * The interfaces of the controller module: requests and their triggers (provenance), reconcilers
 * and their context, predicates, sources, and the narrow client and informer contracts the
 * controller and the cached client are built on.
 */
import type { Logger } from 'pino';
import type {
  InformerEvent,
  InformerListOptions,
  InformerOptions,
  InformerReader,
  ScopeSelectors,
} from '../cache/index.js';
import type { DeleteOptions, PatchOptions, WriteOptions } from '../client/index.js';
import type {
  DeepReadonly,
  FencedRequest,
  KubeObject,
  ObjectKey,
  ResourceType,
  TypedRef,
  TypeRef,
} from '../core/index.js';

/**
 * What happened. Informer events are `added`, `updated`, `deleted`; the controller adds
 * `requeue` (a `requeueAfter` came due), `retry` (after a failure), `resync`, and `conflict`
 * (a 409 requeued quietly).
 */
export type TriggerEvent = 'added' | 'updated' | 'deleted' | 'requeue' | 'retry' | 'resync' | 'conflict' | 'manual';

/** Names an object without carrying its content. */
export interface ObjectRef {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name: string;
  uid?: string;
}

/**
 * One event folded into a reconcile: where it came from, what it was, which object, at which
 * resourceVersion, and which fields changed: top-level (`changed`) and deep (`changedPaths`).
 *
 * @example
 * ```ts
 * const trigger: Trigger = {
 *   source: 'for:v1/ConfigMap',
 *   event: 'updated',
 *   object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'cfg' },
 *   resourceVersion: '42',
 *   changed: ['data'],
 *   changedPaths: ['data["config.yaml"]'],
 * };
 * ```
 */
export interface Trigger {
  /** `'for:v1/ConfigMap'`, `'owns:v1/Secret'`, `'watches:v1/Namespace'`, `'requeue'`, `'retry'`, `'resync'`. */
  source: string;
  event: TriggerEvent;
  object?: ObjectRef;
  resourceVersion?: string;
  /** For updates: top-level field paths that differ, e.g. `['spec', 'metadata.labels']`. */
  changed?: string[];
  /**
   * For updates: the same changes at a useful depth, e.g. `['spec.replicas',
   * 'status.conditions[Ready].status', 'metadata.labels.app']`; at most 16, then `'...'` (see
   * `changedFieldPaths`). Names only, never values.
   */
  changedPaths?: string[];
  /** For retries: the error that caused it. */
  error?: string;
}

/** How many triggers of one source and event were folded into a request. */
export interface TriggerCount {
  source: string;
  event: TriggerEvent;
  count: number;
}

/**
 * One reconcile request: the key and every event folded into it since the previous reconcile.
 * `triggers` keeps the first few in full; `triggerCounts` counts all of them.
 */
export interface Request {
  key: ObjectKey;
  triggers: readonly Trigger[];
  triggerCounts: readonly TriggerCount[];
  totalTriggers: number;
  /** Failures of this key since its last success (0 on a first try). */
  retries: number;
}

/** What a reconciler may return. Nothing, or `{}`, means done until the next event. */
export interface ReconcileResult {
  /** Reconcile this key again after this many milliseconds (earliest pending time wins). */
  requeueAfter?: number;
}

/** What a reconciler returns: a result, or nothing (an `async` function with no `return`). */
// biome-ignore lint/suspicious/noConfusingVoidType: async functions that return nothing are Promise<void>.
export type ReconcileReturn = ReconcileResult | undefined | void;

/**
 * The reconcile function. Throw to retry with backoff; throw a `TerminalError` to stop retrying
 * until the next event.
 */
export type Reconciler = (request: Request, ctx: ReconcileContext) => Promise<ReconcileReturn> | ReconcileReturn;

/** What a reconciler gets besides its request. */
export interface ReconcileContext {
  /** Reads from the shared informers; writes attributed to this reconcile. */
  client: CachedClientApi;
  /** Aborted on shutdown and when the per-reconcile timeout passes. */
  signal: AbortSignal;
  /** A pino child logger bound to the controller, key and reconcile id. */
  log: Logger;
  /** The controller's name. */
  controller: string;
  request: Request;
}

/**
 * Decides whether an informer event may enqueue. `name` shows in the controller description, so
 * it is plain which predicate guards which source.
 */
export interface Predicate<T extends KubeObject = KubeObject> {
  readonly name: string;
  test(event: InformerEvent<T>): boolean;
}

/**
 * Anything that emits informer-shaped events: an informer, or a collection (`asEventSource`). Used by
 * `.watches(source, mapper)`.
 */
export interface EventSource<T extends KubeObject = KubeObject> {
  subscribe(handler: (event: InformerEvent<T>) => void, options?: { replay?: boolean }): () => void;
  readonly synced?: Promise<void>;
  /** Shown in trigger sources (`watches:<name>`) and in the description. */
  readonly name?: string;
  readonly type?: TypeRef;
}

/** Maps an event of a watched object to the keys to reconcile. */
export type Mapper<T extends KubeObject = KubeObject> = (
  object: T,
  event: InformerEvent<T>,
) => ObjectKey | readonly ObjectKey[] | undefined | null;

/** Options of `.for`, `.owns`, `.watches`. */
export interface SourceOptions<T extends KubeObject = KubeObject> {
  /** Guard this source only. `eventFilter` guards every source. */
  predicates?: readonly Predicate<T>[];
  /** Options of the shared informer for type sources (namespace, selectors, transform...). */
  informer?: InformerOptions<T>;
}

/** Hands out shared informers. The manager implements it over `InformerFactory`. */
export interface InformerProvider {
  informer<T extends KubeObject = KubeObject>(
    type: TypedRef<T>,
    options?: InformerOptions<DeepReadonly<T>>,
  ): InformerReader<DeepReadonly<T>>;
  /**
   * The selectors the cache scope puts on `type`, if any (`InformerFactory.selectors`). Under them
   * a key missing from the cache may still exist on the server, so writes do not skip on a miss.
   */
  selectors?(type: TypeRef): ScopeSelectors | undefined;
}

/** One entry of a controller's description: a source and the predicates that guard it. */
export interface SourceDescription {
  source: string;
  kind: 'for' | 'owns' | 'watches';
  predicates: string[];
}

/** What `controller.describe()` returns: debug output and docs show it. */
/**
 * One RBAC permission as a `PolicyRule` of a Role or ClusterRole: verbs on resources of API groups
 * (`''` for the core group; a subresource as `deployments/status`), optionally limited to
 * `resourceNames`. With `namespaces` it is granted by a Role in each; without, by a ClusterRole.
 */
export interface RbacRule {
  apiGroups: readonly string[];
  resources: readonly string[];
  verbs: readonly string[];
  resourceNames?: readonly string[];
  namespaces?: readonly string[];
}

/** What a controller reads and writes as its builder declared it (`controller.permissions()`). */
export interface ControllerPermissions {
  controller: string;
  /** Each source with a kind: `for`, `owns` or `watches`, and the type as given. */
  sources: { kind: 'for' | 'owns' | 'watches'; type: TypeRef }[];
  /** Rules declared with `.rbac(...)`. */
  rbac: RbacRule[];
}

export interface ControllerDescription {
  name: string;
  concurrency: number;
  sources: SourceDescription[];
  /** Predicates from `eventFilter`, guarding every source. */
  eventFilters: string[];
  timeoutMs?: number;
}

/** Options of a patch the cached client sends: `KubeClient.patch`'s, with the fence's signal. */
export type TransportPatchOptions = PatchOptions & FencedRequest;

/**
 * The verbs the cached client sends: `KubeClient`'s, so a `KubeClient` is one, and tests can pass a
 * fake. Every method resolves with what the server returned. Each write's options include core's
 * `FencedRequest`, which only `fenceWrite` makes: no write reaches a transport without its fence
 * having been asked.
 */
export interface WriteTransport {
  get<T extends KubeObject = KubeObject>(type: TypeRef, key: ObjectKey, options?: { signal?: AbortSignal }): Promise<T>;
  create<T extends KubeObject>(object: T, options: WriteOptions & FencedRequest): Promise<T>;
  /** PUT, for `client.direct.update` only; optional so that fakes may leave it out. */
  update?<T extends KubeObject>(object: T, options: WriteOptions & FencedRequest): Promise<T>;
  patch<T extends KubeObject = KubeObject>(
    target: { type: TypeRef; key: ObjectKey },
    patch: unknown,
    options: TransportPatchOptions,
  ): Promise<T>;
  delete(type: TypeRef, key: ObjectKey, options: DeleteOptions & FencedRequest): Promise<unknown>;
  /** Resource type lookup (plural for metric labels, status subresource). Optional. */
  resolve?(type: TypeRef): Promise<ResourceType>;
}

/** Options of `client.patch`. */
export interface ClientPatchOptions {
  /** Send a JSON patch that starts with a `test` of `metadata.resourceVersion` (409 on a race). */
  optimisticLock?: boolean;
  /** Patch the status subresource instead of the main resource. */
  subresource?: 'status';
}

/** Options of `client.apply` (server-side apply). */
export interface ApplyOptions {
  fieldManager: string;
  force?: boolean;
  subresource?: 'status';
}

/** Options of `client.mutate` and `client.mutateStatus`. */
export interface MutateOptions {
  /** Attempts on 409 before giving up. Default 5. */
  maxAttempts?: number;
  /**
   * Send `metadata.resourceVersion` with the patch so a concurrent change answers 409 and the
   * change is redone on a fresh read. Default true for `mutate`, false for `mutateStatus`: a
   * controller is the only writer of its status, and spec or metadata churn by others would
   * otherwise turn every status write into a conflict.
   */
  optimisticLock?: boolean;
}

/** A change to an object, made in place on a copy. Returning an object replaces the draft. */
// biome-ignore lint/suspicious/noConfusingVoidType: mutators usually change the draft and return nothing.
export type Mutator<T extends KubeObject> = (draft: T) => T | undefined | void;

/**
 * The outcome of a write call: the object after it (deep `readonly`: it is what reads of the
 * cache return from now on) and whether a request was sent.
 */
export interface WriteOutcome<T extends KubeObject = KubeObject> {
  object: DeepReadonly<T> | undefined;
  /** False when nothing changed and no request left the process. */
  sent: boolean;
}

/** An object to create of type `T`: `apiVersion` and `kind` may be left out (the type gives them). */
export type NewObject<T extends KubeObject> = Omit<T, 'apiVersion' | 'kind'> & { apiVersion?: string; kind?: string };

/** Per-write options of the cached client's writes. */
export interface ClientWriteOptions {
  /**
   * Validate an object of a resource defined with `defineResource` against its schema before
   * sending it, as the API server would (default: the client's `validate`, true).
   */
  validate?: boolean;
}

/**
 * The cached client as reconcilers see it (`ctx.client`, `mgr.client`). A typed reference
 * (`Deployment`, a resource from `defineResource`) types what reads return and what drafts hold;
 * objects read are deep `readonly`, as the cache shares them.
 */
export interface CachedClientApi {
  get<T extends KubeObject = KubeObject>(type: TypedRef<T>, key: ObjectKey): Promise<DeepReadonly<T> | undefined>;
  list<T extends KubeObject = KubeObject>(type: TypedRef<T>, options?: InformerListOptions): Promise<DeepReadonly<T>[]>;
  create<T extends KubeObject>(
    type: TypedRef<T>,
    object: NewObject<T>,
    options?: ClientWriteOptions,
  ): Promise<DeepReadonly<T>>;
  patch<T extends KubeObject>(
    current: T,
    desired: T,
    options?: ClientPatchOptions & ClientWriteOptions,
  ): Promise<WriteOutcome<T>>;
  mutate<T extends KubeObject = KubeObject>(
    type: TypedRef<T>,
    key: ObjectKey,
    fn: Mutator<T>,
    options?: MutateOptions & ClientWriteOptions,
  ): Promise<WriteOutcome<T>>;
  mutateStatus<T extends KubeObject = KubeObject>(
    type: TypedRef<T>,
    key: ObjectKey,
    fn: Mutator<T>,
    options?: MutateOptions & ClientWriteOptions,
  ): Promise<WriteOutcome<T>>;
  apply<T extends KubeObject>(desired: T, options: ApplyOptions & ClientWriteOptions): Promise<WriteOutcome<T>>;
  delete(type: TypeRef, key: ObjectKey): Promise<boolean>;
  ensureFinalizer<T extends KubeObject>(object: T, finalizer: string): Promise<WriteOutcome<T>>;
  removeFinalizer<T extends KubeObject>(object: T, finalizer: string): Promise<WriteOutcome<T>>;
  readonly events: EventRecorderApi;
  /** Writes sent exactly as given: the escape hatch for what the verbs above do not cover. */
  readonly direct: DirectWriter;
}

/**
 * Writes sent exactly as given, with `KubeClient`'s verbs and options: no diff, no skipping, no
 * conflict retry. For what the cached client's own verbs do not cover: a PUT, a strategic merge
 * or JSON patch of your own, a subresource such as `scale`, a delete with `propagationPolicy`.
 * Like every write of the cached client they are fenced (`KLOOP_WRITE_FENCED` when the process
 * may not write), attributed to the reconcile that makes them (metrics, debug log, write list)
 * and recorded for read-your-writes.
 *
 * @example
 * ```ts
 * import { Deployment, type ReconcileContext, type Request } from 'kloop';
 * declare const ctx: ReconcileContext;
 * declare const req: Request;
 *
 * const scale = { spec: { replicas: 3 } };
 * await ctx.client.direct.patch({ type: Deployment, key: req.key }, scale, { subresource: 'scale' });
 * ```
 */
export interface DirectWriter {
  create<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T>;
  update<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T>;
  patch<T extends KubeObject = KubeObject>(
    target: { type: TypeRef; key: ObjectKey },
    patch: unknown,
    options?: PatchOptions,
  ): Promise<T>;
  delete(type: TypeRef, key: ObjectKey, options?: DeleteOptions): Promise<unknown>;
}

/** Records Kubernetes Events about an object; repeats are aggregated into one Event's count. */
export interface EventRecorderApi {
  record(
    object: KubeObject,
    event: { type?: 'Normal' | 'Warning'; reason: string; message: string; action?: string },
  ): Promise<void>;
}

/** Who a write belongs to: the controller, the reconcile and the triggers behind it. */
export interface WriteAttribution {
  controller: string;
  key?: ObjectKey;
  reconcileId?: string;
  triggers?: readonly Trigger[];
  /** Told about every write sent (for hot-loop detection and debug output). */
  onWrite?: (write: WriteReport) => void;
  /** Told about every write not sent because nothing would change (debug output). */
  onSkip?: (skip: SkipReport) => void;
}

/** A write the client did not send on behalf of a reconcile. */
export interface SkipReport {
  /** `apiVersion/kind`. */
  type: string;
  key: ObjectKey;
  /** The verb asked for: patch, status, apply, mutate, delete. */
  kind: string;
  /** `unchanged`, `absent` or `deleting`, as `kloop_client_writes_skipped_total{reason}`. */
  reason: string;
}

/** A write the client sent on behalf of a reconcile. */
export interface WriteReport {
  /** `apiVersion/kind`. */
  type: string;
  key: ObjectKey;
  /** create, patch, status, apply, delete, event. */
  kind: string;
  /** Top-level field paths the write changed. */
  fields: string[];
  /** The same at a useful depth (`spec.replicas`, `metadata.labels.app`), bounded; see `Trigger.changedPaths`. */
  changedPaths?: string[];
  resourceVersion?: string;
  bytes: number;
}

/** A cached client that can hand out views whose writes are attributed to a reconcile. */
export interface ScopableClient extends CachedClientApi {
  scoped(attribution: WriteAttribution): CachedClientApi;
}
