/**
 * A controller: sources feed a work queue, `concurrency` workers take keys from it and run the
 * reconciler, results decide what happens next (controller-runtime's
 * `pkg/internal/controller`, kube-runtime's `Controller`).
 *
 * Outcomes of one reconcile:
 * - returns nothing: done, backoff forgotten;
 * - returns `{ requeueAfter }`: done, the key comes back after that delay (trigger `requeue`);
 * - throws a `TerminalError`: recorded, not retried until the next event;
 * - throws a 409 Conflict: requeued with backoff without an error log, counted as `conflict`;
 * - throws anything else, or passes the timeout: retried with backoff (trigger `retry`).
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { byOwnerUid, CacheScopeError, type InformerEvent, type InformerReader } from '../cache/index.js';
import {
  ApiError,
  type Clock,
  KloopError,
  type KubeObject,
  keyOf,
  keyString,
  type ObjectKey,
  type OwnerReference,
  systemClock,
  TerminalError,
  type TypeRef,
} from '../core/index.js';
import { HotLoopDetector, type HotLoopRecord, MAX_HOT_LOOP_RECORDS } from './hot-loop.js';
import { type ControllerMetrics, controllerMetrics } from './metrics.js';
import { type QueueItem, WorkQueue } from './queue.js';
import { defaultRateLimiter, type RateLimiter } from './rate-limiter.js';
import {
  DEFAULT_RECORD_SIZE,
  type ReconcileOutcome,
  type ReconcileRecord,
  type ReconcileRecordFilter,
  ReconcileRing,
  type RecordedSkip,
  type RecordedWrite,
} from './record.js';
import { type SourceSpec, sourceHandler } from './sources.js';
import type {
  CachedClientApi,
  ControllerDescription,
  ControllerPermissions,
  InformerProvider,
  Predicate,
  RbacRule,
  ReconcileReturn,
  Reconciler,
  Request,
  ScopableClient,
  SkipReport,
  Trigger,
  WriteReport,
} from './types.js';

/** What a controller needs from its manager. */
export interface ControllerDeps {
  informers: InformerProvider;
  /** The cached client; `ctx.client` is a view of it attributed to each reconcile. */
  client?: ScopableClient;
  logger?: Logger;
  registry?: Registry;
  clock?: Clock;
  /** Wall time for the debug record's `startedAt`, ms since the epoch. Default `Date.now`. */
  wallClock?: () => number;
  /** Default of `ControllerOptions.recordSize` for controllers built with these deps. */
  recordSize?: number;
  /**
   * Masks secret values in text the controller keeps: error messages in the debug record and in
   * retry triggers. Applied when the text is kept, not only on output: by then the value may no
   * longer be known (a Secret rotated or deleted). The manager passes its Secret-value mask.
   */
  redact?: (text: string) => string;
}

/** Tunables of one controller. */
export interface ControllerOptions {
  /** Workers. Default 1. */
  concurrency?: number;
  /** Abort `ctx.signal` and count a failure when a reconcile runs longer. Default: none. */
  timeoutMs?: number;
  /** Triggers kept in full per request. Default 16. */
  maxTriggers?: number;
  rateLimiter?: RateLimiter;
  /** Consecutive self-triggered identical writes that make a hot loop. Default 5. */
  hotLoopThreshold?: number;
  /**
   * Every this many milliseconds, queue every object of the `for` informer at low priority
   * (trigger `resync`), for controllers that must notice drift outside the cluster. Default: off
   * (informers already relist on 410 and reconnect; level-triggered reconciles need no timer).
   */
  resyncMs?: number;
  /** Reconciles kept in the debug record. Default 100 (`DEFAULT_RECORD_SIZE`); 0 keeps none. */
  recordSize?: number;
  /** Permissions the sources do not show (see `ControllerBuilder.rbac`). */
  rbac?: readonly RbacRule[];
}

/**
 * The index `owns()` adds to owned informers:
 * `ctx.client.list(type, { index: { name: OWNER_INDEX, value: uid } })`.
 */
export const OWNER_INDEX = 'byOwnerUid';

/** Raised when a controller is misconfigured (no `for`, started twice). */
export class ControllerConfigError extends KloopError {
  constructor(message: string) {
    super('KLOOP_CONTROLLER_CONFIG', message);
  }
}

/** Raised into `ctx.signal` when a reconcile passes its timeout. */
export class ReconcileTimeoutError extends KloopError {
  constructor(ms: number) {
    super('KLOOP_RECONCILE_TIMEOUT', `reconcile did not finish within ${ms} ms`);
  }
}

/** Raised into `ctx.signal` when the controller stops. */
export class ControllerStoppedError extends KloopError {
  constructor() {
    super('KLOOP_CONTROLLER_STOPPED', 'controller stopped');
  }
}

/** Adds the owner-UID index to an informer that supports indexes (shared informers do). */
function addOwnerIndex(source: unknown): void {
  const indexed = source as { addIndex?: (name: string, fn: typeof byOwnerUid) => void };
  if (typeof indexed.addIndex === 'function') indexed.addIndex(OWNER_INDEX, byOwnerUid);
}

const noClient = new Proxy({} as ScopableClient, {
  get(_target, prop) {
    if (prop === 'scoped') return () => noClient;
    throw new ControllerConfigError(`ctx.client.${String(prop)}: this controller was built without a client`);
  },
});

/**
 * A running (or runnable) controller. Build it with `mgr.controller(name)...reconcile(fn)`.
 *
 * @remarks Recovery: a failing key is retried with max(exponential 5 ms..1000 s, 10 qps
 * bucket) backoff and never blocks other keys; a hung reconcile is released after `timeoutMs`
 * (its key stays in flight until the promise settles, so it is never run twice at once).
 */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #sources: readonly SourceSpec[];
  readonly #eventFilters: readonly Predicate[];
  readonly #reconciler: Reconciler;
  readonly #deps: ControllerDeps;
  readonly #options: ControllerOptions;
  readonly #log: Logger;
  readonly #metrics: ControllerMetrics;
  readonly #clock: Clock;
  readonly #hotLoops: HotLoopDetector;
  readonly #stopController = new AbortController();
  readonly #unsubscribe: Array<() => void> = [];
  readonly #running = new Set<Promise<void>>();
  readonly #records: ReconcileRing;
  readonly #hotLoopRecords: HotLoopRecord[] = [];
  readonly #wallClock: () => number;
  #workers: Promise<void>[] = [];
  #started = false;
  #untrack: (() => void) | undefined;
  #cancelResync: (() => void) | undefined;

  constructor(
    name: string,
    sources: readonly SourceSpec[],
    eventFilters: readonly Predicate[],
    reconciler: Reconciler,
    deps: ControllerDeps,
    options: ControllerOptions = {},
  ) {
    if (!sources.some((s) => s.kind === 'for')) {
      throw new ControllerConfigError(`controller ${name}: call .for(type) before .reconcile()`);
    }
    // Each running reconcile listens for the stop: more than 10 workers are not a leak.
    setMaxListeners(0, this.#stopController.signal);
    this.name = name;
    this.#sources = sources;
    this.#eventFilters = eventFilters;
    this.#reconciler = reconciler;
    this.#deps = deps;
    this.#options = options;
    this.#clock = deps.clock ?? systemClock;
    this.#log = (deps.logger ?? pino({ level: 'silent' })).child({ controller: name });
    this.#metrics = controllerMetrics(deps.registry ?? new Registry());
    this.#hotLoops = new HotLoopDetector(options.hotLoopThreshold ?? 5);
    this.#records = new ReconcileRing(options.recordSize ?? deps.recordSize ?? DEFAULT_RECORD_SIZE);
    this.#wallClock = deps.wallClock ?? Date.now;
    const labels = { controller: name };
    this.queue = new WorkQueue({
      clock: this.#clock,
      rateLimiter: options.rateLimiter ?? defaultRateLimiter(this.#clock),
      maxTriggers: options.maxTriggers,
      observer: {
        added: () => this.#metrics.queueAdds.inc(labels),
        retried: () => this.#metrics.queueRetries.inc(labels),
        queued: (s) => this.#metrics.queueDuration.observe(labels, s),
        worked: (s) => this.#metrics.workDuration.observe(labels, s),
      },
    });
  }

  /** The `for` type: the kind whose keys this controller reconciles. */
  get forType(): TypeRef {
    return this.#sources.find((s) => s.kind === 'for')!.type!;
  }

  /**
   * What this controller reads and writes as its builder declared it: each source typed by a kind
   * (as given, so a defined resource keeps its plural and scope) and the explicit `rbac` rules.
   * The manager derives RBAC rules from it.
   */
  permissions(): ControllerPermissions {
    const sources = this.#sources.flatMap((s) => {
      const type = s.ref ?? s.type;
      return type === undefined ? [] : [{ kind: s.kind, type }];
    });
    return { controller: this.name, sources, rbac: [...(this.#options.rbac ?? [])] };
  }

  /** Which predicates guard which source. */
  describe(): ControllerDescription {
    return describeController(this.name, this.#sources, this.#eventFilters, this.#options);
  }

  /**
   * The debug record: the last `recordSize` reconciles (oldest first) with their triggers, writes
   * and changed field paths, filtered by key and result (see `ReconcileRecord`).
   */
  reconciles(filter: Omit<ReconcileRecordFilter, 'controller'> = {}): ReconcileRecord[] {
    return this.#records.list(filter);
  }

  /**
   * The hot loops found (the last 20, oldest first): each key whose reconciles kept writing the
   * same fields and were triggered again by their own writes, with the reconcile that crossed the
   * threshold. `/debug/kloop` shows them per controller.
   */
  hotLoops(): HotLoopRecord[] {
    return [...this.#hotLoopRecords];
  }

  /** @deprecated Use {@link Controller.reconciles}. */
  recentReconciles(): readonly ReconcileRecord[] {
    return this.reconciles();
  }

  /**
   * Warm standby (controller-runtime's warm replicas): makes the shared informers of the type
   * sources so they list and watch now, without subscribing or starting workers. A replica that
   * does not lead calls it so that, once elected, `start()` finds synced caches and needs no list.
   */
  warm(): void {
    for (const spec of this.#sources) {
      if (spec.source === undefined && spec.type !== undefined) this.#deps.informers.informer(spec.type, spec.informer);
    }
  }

  /**
   * Subscribes to every source, waits for them to sync, then starts the workers. Resolves when
   * the workers run.
   */
  async start(): Promise<void> {
    if (this.#started) throw new ControllerConfigError(`controller ${this.name} started twice`);
    this.#started = true;
    this.#untrack = this.#metrics.trackQueue(this.name, {
      depth: () => this.queue.depth,
      longestRunningSeconds: () => this.queue.longestRunningMs() / 1000,
    });
    const synced: Promise<void>[] = [];
    const forType = this.forType;
    const forInformer = this.#deps.informers.informer(forType, this.#sources.find((s) => s.kind === 'for')!.informer);
    const ownerScope = (ref: OwnerReference, object: KubeObject): ObjectKey | undefined => {
      const namespace = object.metadata.namespace;
      // The owner of a namespaced object is in its namespace unless the owner kind is
      // cluster-scoped; the cache tells which when it holds the owner.
      try {
        if (
          namespace &&
          forInformer.get({ namespace, name: ref.name }) === undefined &&
          forInformer.get({ name: ref.name })
        ) {
          return { name: ref.name };
        }
      } catch (err) {
        // An owner in a namespace the cache does not hold is no object this controller reconciles.
        if (err instanceof CacheScopeError) return undefined;
        throw err;
      }
      return namespace ? { namespace, name: ref.name } : { name: ref.name };
    };
    const subscribe = (spec: SourceSpec) => {
      const source = spec.source ?? this.#deps.informers.informer(spec.type!, spec.informer);
      const handler = sourceHandler(
        spec,
        this.#eventFilters,
        forType,
        ownerScope,
        (key, trigger, low) => this.queue.add(key, trigger, { priority: low ? 'low' : 'normal' }),
        (err, event: InformerEvent) =>
          this.#log.error({ err, source: spec.label, object: event.object.metadata.name }, 'event handler failed'),
      );
      if (spec.kind === 'owns' && !spec.source) addOwnerIndex(source);
      this.#unsubscribe.push(source.subscribe(handler, { replay: true }));
      if (source.synced) synced.push(source.synced);
    };
    for (const spec of this.#sources) if (spec.kind !== 'owns') subscribe(spec);
    const owned = this.#sources.filter((s) => s.kind === 'owns');
    if (owned.length > 0) {
      // ownerScope reads the `for` cache to tell a cluster-scoped owner: owned objects replayed
      // before that cache has its first list would map to a namespaced key that does not exist.
      if (!forInformer.hasSynced()) await forInformer.synced;
      if (this.queue.shuttingDown) return;
      for (const spec of owned) subscribe(spec);
    }
    await Promise.all(synced);
    if (this.#stopController.signal.aborted) return;
    this.#workers = Array.from({ length: this.#concurrency() }, () => this.#work());
    if (this.#options.resyncMs !== undefined && this.#options.resyncMs > 0)
      this.#scheduleResync(forInformer, this.#options.resyncMs);
    this.#log.info({ sources: this.describe().sources }, 'controller started');
  }

  #scheduleResync(informer: InformerReader, every: number): void {
    const tick = () => {
      if (this.#stopController.signal.aborted) return;
      for (const object of informer.list()) {
        if (!object.metadata.name) continue;
        this.queue.add(keyOf(object), { source: 'resync', event: 'resync' }, { priority: 'low' });
      }
      this.#cancelResync = this.#clock.setTimer(tick, every);
    };
    this.#cancelResync = this.#clock.setTimer(tick, every);
  }

  /** Queues a key by hand (trigger `manual`), e.g. from a CLI or a test. */
  enqueue(key: ObjectKey, trigger: Trigger = { source: 'manual', event: 'manual' }): void {
    this.queue.add(key, trigger);
  }

  /**
   * Stops taking work, lets in-flight reconciles finish for up to `drainTimeoutMs` (default
   * 30 s), then aborts their `ctx.signal` and returns.
   *
   * @remarks Keys still pending are dropped: the next process relists and reconciles every
   * object anyway (level-triggered).
   */
  async stop(drainTimeoutMs = 30_000): Promise<void> {
    this.#cancelResync?.();
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    const drained = this.queue.shutdown();
    let cancel: (() => void) | undefined;
    const deadline = new Promise<void>((resolve) => {
      cancel = this.#clock.setTimer(resolve, drainTimeoutMs);
    });
    await Promise.race([drained, deadline]);
    cancel?.();
    this.#stopController.abort(new ControllerStoppedError());
    // A reconcile that ignores its aborted signal gets a short grace, then is left behind:
    // stop() must return so the process can exit.
    let cancelGrace: (() => void) | undefined;
    const grace = new Promise<void>((resolve) => {
      cancelGrace = this.#clock.setTimer(resolve, Math.min(1000, drainTimeoutMs));
    });
    await Promise.race([Promise.all(this.#workers), grace]);
    cancelGrace?.();
    this.#untrack?.();
  }

  /** An error's message as the controller keeps it: masked now, while its secrets are known. */
  #message(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return this.#deps.redact ? this.#deps.redact(message) : message;
  }

  #concurrency(): number {
    return concurrencyOf(this.#options);
  }

  async #work(): Promise<void> {
    for (;;) {
      const item = await this.queue.get();
      if (item === undefined) return;
      const run = this.#process(item).finally(() => {
        this.#running.delete(run);
        this.queue.done(item);
      });
      this.#running.add(run);
      await this.#waitOrRelease(run);
    }
  }

  /**
   * Waits for a reconcile, or for its timeout: a hung reconcile frees its worker (the key stays
   * in flight until it settles) so other keys keep moving.
   */
  async #waitOrRelease(run: Promise<void>): Promise<void> {
    const timeoutMs = this.#options.timeoutMs;
    if (timeoutMs === undefined) return run;
    let cancel: (() => void) | undefined;
    // A little later than the reconcile's own timeout, so its outcome is recorded first.
    const released = new Promise<void>((resolve) => {
      cancel = this.#clock.setTimer(resolve, timeoutMs + 1);
    });
    await Promise.race([run, released]);
    cancel?.();
  }

  async #process(item: QueueItem): Promise<void> {
    const labels = { controller: this.name };
    const request: Request = {
      key: item.key,
      triggers: item.triggers,
      triggerCounts: item.triggerCounts,
      totalTriggers: item.totalTriggers,
      retries: this.queue.retries(item.key),
    };
    for (const c of item.triggerCounts) {
      this.#metrics.reconcileTriggers.inc({ controller: this.name, source: c.source, event: c.event }, c.count);
    }
    // Each reconcile counted once, by what queued it: stacked by source, these add up to the
    // reconciles, where the triggers above count every event folded in.
    const first = item.triggers[0] ?? item.triggerCounts[0];
    if (first !== undefined) {
      this.#metrics.reconcileFirstTriggers.inc({ controller: this.name, source: first.source, event: first.event });
    }
    const reconcileId = randomUUID();
    const log = this.#log.child({ key: item.id, reconcileID: reconcileId });
    const writes: WriteReport[] = [];
    const skipped: SkipReport[] = [];
    const abort = new AbortController();
    const onStop = () => abort.abort(this.#stopController.signal.reason);
    this.#stopController.signal.addEventListener('abort', onStop, { once: true });
    const client: CachedClientApi = (this.#deps.client ?? noClient).scoped({
      controller: this.name,
      key: item.key,
      reconcileId,
      triggers: item.triggers,
      onWrite: (w) => writes.push(w),
      onSkip: (w) => skipped.push(w),
    });
    const started = this.#clock.now();
    const startedAt = this.#wallClock();
    this.#metrics.activeWorkers.inc(labels);
    let outcome: ReconcileOutcome;
    let result: ReconcileReturn;
    let error: unknown;
    const raw = Promise.resolve().then(() =>
      this.#reconciler(request, { client, signal: abort.signal, log, controller: this.name, request }),
    );
    try {
      result = await this.#withTimeout(raw, abort);
      outcome = result?.requeueAfter !== undefined && result.requeueAfter > 0 ? 'requeue_after' : 'success';
    } catch (err) {
      error = err;
      outcome =
        err instanceof ReconcileTimeoutError
          ? 'timeout'
          : err instanceof TerminalError
            ? 'terminal_error'
            : ApiError.isConflict(err)
              ? 'conflict'
              : 'error';
    } finally {
      this.#metrics.activeWorkers.dec(labels);
      this.#stopController.signal.removeEventListener('abort', onStop);
    }
    const seconds = (this.#clock.now() - started) / 1000;
    this.#metrics.reconcileDuration.observe(labels, seconds);
    this.#metrics.reconcileTotal.inc({ controller: this.name, result: outcome });
    const settled = this.#settle(item, outcome, result, error);
    const record = this.#remember(
      item,
      reconcileId,
      startedAt,
      outcome,
      writes,
      skipped,
      seconds,
      result,
      error,
      request.retries,
    );
    this.#logOutcome(log, record, error, settled);
    const hot = this.#hotLoops.observe(item.id, item.key, item.triggers, writes, item.totalTriggers);
    if (hot) {
      this.#metrics.hotLoops.inc(labels);
      this.#hotLoopRecords.push({
        key: item.id,
        objects: hot.objects,
        fields: hot.fields,
        laps: hot.laps,
        detectedAt: new Date(this.#wallClock()).toISOString(),
        reconcileID: reconcileId,
      });
      if (this.#hotLoopRecords.length > MAX_HOT_LOOP_RECORDS) this.#hotLoopRecords.shift();
      log.warn(
        { objects: hot.objects, fields: hot.fields, laps: hot.laps },
        'hot loop: each reconcile writes the same fields and is triggered again by its own write',
      );
    }
    // After a timeout the key stays in flight until the reconcile really ends: never two at once.
    await raw.then(
      () => {},
      () => {},
    );
  }

  /** Queues what the outcome asks for; returns the retry delay when the key was requeued with backoff. */
  #settle(item: QueueItem, outcome: ReconcileOutcome, result: ReconcileReturn, error: unknown): number | undefined {
    if (this.queue.shuttingDown) return undefined;
    switch (outcome) {
      case 'success':
        this.queue.forget(item.key);
        return undefined;
      case 'requeue_after':
        this.queue.forget(item.key);
        this.queue.addAfter(item.key, result!.requeueAfter!, { source: 'requeue', event: 'requeue' });
        return undefined;
      case 'terminal_error':
        this.queue.forget(item.key);
        this.#metrics.reconcileErrors.inc({ controller: this.name });
        return undefined;
      case 'conflict':
        // Someone else wrote first: level-triggered, so the next pass reads fresh state.
        return this.queue.addRateLimited(item.key, { source: 'retry', event: 'conflict' });
      default: {
        this.#metrics.reconcileErrors.inc({ controller: this.name });
        return this.queue.addRateLimited(item.key, { source: 'retry', event: 'retry', error: this.#message(error) });
      }
    }
  }

  /**
   * The one log line of a reconcile's outcome: debug when it went as the reconciler meant
   * (including a quiet conflict), error when it failed. It carries the `reconcileID` and `key` of
   * `log`, as every line of the reconcile does, so it joins to the record and the other lines.
   */
  #logOutcome(log: Logger, record: ReconcileRecord, error: unknown, retryInMs: number | undefined): void {
    const fields: Record<string, unknown> = {
      result: record.result,
      durationMs: record.durationMs,
      triggers: record.triggerCounts.map((c) => `${c.source} ${c.event} x${c.count}`),
      writes: record.writes.map((w) => `${w.kind} ${w.type} ${w.key}`),
    };
    if (record.requeueAfterMs !== undefined) fields.requeueAfterMs = record.requeueAfterMs;
    if (retryInMs !== undefined) fields.retryInMs = retryInMs;
    if (record.retries > 0) fields.retries = record.retries;
    switch (record.result) {
      case 'success':
      case 'requeue_after':
        log.debug(fields, 'reconciled');
        return;
      case 'conflict':
        log.debug({ ...fields, err: error }, 'conflict; requeued');
        return;
      case 'terminal_error':
        log.error({ ...fields, err: error }, 'reconcile failed with a terminal error; not retrying');
        return;
      default:
        log.error({ ...fields, err: error }, 'reconcile failed; retrying');
    }
  }

  async #withTimeout<T>(run: Promise<T>, abort: AbortController): Promise<T> {
    const timeoutMs = this.#options.timeoutMs;
    if (timeoutMs === undefined) return run;
    let cancel: (() => void) | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      cancel = this.#clock.setTimer(() => {
        const err = new ReconcileTimeoutError(timeoutMs);
        abort.abort(err);
        reject(err);
      }, timeoutMs);
    });
    try {
      return await Promise.race([run, timeout]);
    } finally {
      cancel?.();
      // The reconcile may still reject after the timeout won; that rejection is expected.
      run.catch(() => {});
    }
  }

  #remember(
    item: QueueItem,
    reconcileID: string,
    startedAt: number,
    outcome: ReconcileOutcome,
    writes: WriteReport[],
    skipped: SkipReport[],
    seconds: number,
    result: ReconcileReturn,
    error: unknown,
    retries: number,
  ): ReconcileRecord {
    const record: ReconcileRecord = {
      reconcileID,
      controller: this.name,
      key: item.id,
      startedAt: new Date(startedAt).toISOString(),
      durationMs: Math.round(seconds * 1000 * 1000) / 1000,
      result: outcome,
      retries,
      triggers: item.triggers,
      triggerCounts: item.triggerCounts,
      totalTriggers: item.totalTriggers,
      writes: writes.map(recordedWrite),
    };
    if (skipped.length > 0) record.skipped = skipped.map(recordedSkip);
    if (outcome === 'requeue_after') record.requeueAfterMs = result!.requeueAfter;
    if (error !== undefined) record.error = this.#message(error);
    this.#records.push(record);
    return record;
  }
}

function recordedWrite(w: WriteReport): RecordedWrite {
  const out: RecordedWrite = { type: w.type, key: keyString(w.key), kind: w.kind, fields: w.fields };
  if (w.changedPaths !== undefined) out.changedPaths = w.changedPaths;
  if (w.resourceVersion !== undefined) out.resourceVersion = w.resourceVersion;
  out.bytes = w.bytes;
  return out;
}

function recordedSkip(s: SkipReport): RecordedSkip {
  return { type: s.type, key: keyString(s.key), kind: s.kind, reason: s.reason };
}

function concurrencyOf(options: ControllerOptions): number {
  return Math.max(1, options.concurrency ?? 1);
}

/**
 * What a controller (or its builder, before `reconcile`) will look like: sources with their
 * predicates, filters, concurrency.
 */
export function describeController(
  name: string,
  sources: readonly SourceSpec[],
  eventFilters: readonly Predicate[],
  options: ControllerOptions,
): ControllerDescription {
  const description: ControllerDescription = {
    name,
    concurrency: concurrencyOf(options),
    sources: sources.map((s) => ({ source: s.label, kind: s.kind, predicates: s.predicates.map((p) => p.name) })),
    eventFilters: eventFilters.map((p) => p.name),
  };
  if (options.timeoutMs !== undefined) description.timeoutMs = options.timeoutMs;
  return description;
}

/**
 * One finished reconcile as debug output shows it.
 *
 * @deprecated The record's shape is {@link ReconcileRecord}; this name stays for code written
 * against earlier versions.
 */
export type RecentReconcile = ReconcileRecord;
