/**
 * `KubeClient`: the REST verbs over the transport, with discovery, retries, throttling and
 * request metrics. Reads that can be repeated are retried; writes are sent once (except on
 * 429, which the server answers before doing anything).
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  ApiError,
  type Clock,
  KloopError,
  type KubeList,
  type KubeObject,
  makeStatus,
  type ObjectKey,
  type ResourceType,
  reasonForStatusCode,
  type Status,
  sleep,
  systemClock,
  type WatchEvent,
} from '../core/index.js';
import { ResourceValidators, validateWrite, type WriteValidation } from '../resources/index.js';
import { Discovery } from './discovery.js';
import { loadKubeconfig, type ResolvedKubeconfig } from './kubeconfig.js';
import { LineSplitter } from './lines.js';
import { listContinueOf } from './list-head.js';
import { defaultLogger } from './logger.js';
import { type ClientMetrics, clientMetrics, kloopRegistry } from './metrics.js';
import { checkPathSegment } from './path-segments.js';
import { Backoff, isRetryableStatus, retryAfterMs } from './retry.js';
import { HttpTransport, TransportError } from './transport.js';
import type {
  DeleteOptions,
  GetOptions,
  HttpRequest,
  HttpResponse,
  KubeClientOptions,
  KubeconfigSource,
  ListOptions,
  PatchOptions,
  PatchType,
  TypeLike,
  WatchHandler,
  WatchOptions,
  WriteOptions,
} from './types.js';

/**
 * A watch stream carried a line that is not a watch event (not JSON, or no `type`/`object`).
 *
 * @remarks The stream is closed; informers report it and relist, since events may be lost.
 */
export class WatchParseError extends KloopError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KLOOP_WATCH_MALFORMED', message, options);
    this.name = 'WatchParseError';
  }
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};
const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_WATCH_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
const EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);
/** A non-Status error body is cut to this many characters in the message (client-go: 2048 bytes). */
const MAX_ERROR_BODY_CHARS = 2048;

interface Attempt {
  verb: string;
  resource: string;
  idempotent: boolean;
  /** Retries on connection errors and 5xx for this request (default the client's). */
  maxRetries?: number;
}

/**
 * A Kubernetes API client: get, list (paged), watch, create, update, patch, delete, on any
 * resource type, with subresources, dryRun and fieldManager.
 *
 * @remarks
 * Recovery: a 429 waits for its `Retry-After` (capped) and tries again, for every verb, at most
 * `maxThrottleRetries` times. Reads (`get`, `list`, watch establishment, discovery) are retried
 * on 5xx and connection errors with exponential backoff, at most `maxRetries` times. Writes are
 * never retried on 5xx or connection errors: the server may have applied them. Every other
 * failure is an `ApiError` carrying the server's `Status` untouched.
 *
 * @example
 * ```ts
 * const client = KubeClient.fromKubeconfig();
 * const cm = await client.get({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: 'default', name: 'a' });
 * await client.patch(cm, { data: { b: '2' } }, { type: 'merge' });
 * ```
 */
export class KubeClient {
  /** The context's default namespace, used by writes and gets of namespaced types without one. */
  readonly namespace: string;
  /** Resource type lookup (built-ins, then discovery). */
  readonly discovery: Discovery;
  readonly transport: HttpTransport;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly fieldManager: string;
  readonly #config: ResolvedKubeconfig;
  readonly #metrics: ClientMetrics;
  readonly #maxRetries: number;
  readonly #maxThrottleRetries: number;
  readonly #maxRetryAfterSeconds: number;
  readonly #requestTimeoutMs: number;
  readonly #maxWatchLineBytes: number | undefined;
  readonly #validate: boolean;
  readonly #validators: ResourceValidators;

  /**
   * Loads a kubeconfig like kubectl (explicit path or object, `$KUBECONFIG`, `~/.kube/config`,
   * in-cluster) and builds a client for its current context.
   *
   * @throws KubeconfigError naming the file and the field when the kubeconfig is unusable.
   */
  static fromKubeconfig(source?: KubeconfigSource, options: KubeClientOptions = {}): KubeClient {
    return new KubeClient(loadKubeconfig(source), options);
  }

  constructor(config: ResolvedKubeconfig, options: KubeClientOptions = {}) {
    this.#config = config;
    this.namespace = config.namespace;
    this.logger = options.logger ?? defaultLogger();
    this.registry = options.registry ?? kloopRegistry;
    this.clock = options.clock ?? systemClock;
    this.fieldManager = options.fieldManager ?? 'kloop';
    this.#metrics = clientMetrics(this.registry);
    this.#maxRetries = options.maxRetries ?? 5;
    this.#maxThrottleRetries = options.maxThrottleRetries ?? 10;
    this.#maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 60;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.#maxWatchLineBytes = options.maxWatchLineBytes;
    this.#validate = options.validate ?? true;
    this.#validators = new ResourceValidators(options.resources);
    this.transport = new HttpTransport({
      server: config.server,
      auth: () => config.auth(),
      proxy: config.proxy,
      maxSockets: options.maxSockets,
      userAgent: options.userAgent ?? 'kloop/0.1',
    });
    this.discovery = new Discovery((path, signal) => this.#discoveryFetch(path, signal), {
      now: () => this.clock.now(),
    });
  }

  /** The API server URL. */
  get server(): URL {
    return this.#config.server;
  }

  /** Resolves a `{ apiVersion, kind }` to its resource type (built-in or by discovery). */
  resolve(type: TypeLike, signal?: AbortSignal): Promise<ResourceType> {
    this.#validators.learn(type);
    return this.discovery.resolve(type, signal);
  }

  /**
   * Builds the URL path of a collection or an object. Namespaced types without a namespace give
   * the all-namespaces path for collections.
   *
   * @throws InvalidPathSegmentError (`KLOOP_INVALID_NAME`) when the name, namespace or
   * subresource is not a path segment (empty name, `.`, `..`, or containing `/` or `%`), as
   * client-go refuses them: `delete(ConfigMap, { namespace: 'victim', name: '..' })` would
   * otherwise address `/api/v1/namespaces/victim`. Every verb builds its path first, so
   * nothing is sent.
   */
  pathFor(rt: ResourceType, namespace: string | undefined, name?: string, subresource?: string): string {
    let path = rt.group ? `/apis/${rt.group}/${rt.version}` : `/api/${rt.version}`;
    if (rt.namespaced && namespace) {
      checkPathSegment('namespace', namespace);
      path += `/namespaces/${encodeURIComponent(namespace)}`;
    }
    path += `/${rt.plural}`;
    if (name !== undefined) {
      checkPathSegment('name', name);
      path += `/${encodeURIComponent(name)}`;
    }
    if (subresource) {
      checkPathSegment('subresource', subresource);
      // One segment, escaped like the name: a `?` or `#` in it must not start a query or fragment.
      path += `/${encodeURIComponent(subresource)}`;
    }
    return path;
  }

  /** Reads one object (or a subresource of it, e.g. `scale`). */
  async get<T extends KubeObject = KubeObject>(
    type: TypeLike<T>,
    key: ObjectKey,
    options: GetOptions = {},
  ): Promise<T> {
    const rt = await this.resolve(type, options.signal);
    const query = new URLSearchParams();
    if (options.resourceVersion !== undefined) query.set('resourceVersion', options.resourceVersion);
    const path = this.pathFor(rt, this.#ns(rt, key.namespace), nameOf(key), options.subresource) + qs(query);
    return this.#json<T>(
      { method: 'GET', path, signal: options.signal },
      { verb: 'get', resource: rt.plural, idempotent: true },
    );
  }

  /**
   * Lists every object, following `continue` page by page (`limit` 500 by default), and returns
   * one list with the first page's resourceVersion.
   *
   * @remarks A continue token that expires mid-way (410, the server compacted past the list's
   * snapshot) restarts the list as one unpaged request, as client-go's pager does: paging again
   * could expire again on a busy server. Not when the caller passed its own `continue`.
   */
  async list<T extends KubeObject = KubeObject>(type: TypeLike<T>, options: ListOptions = {}): Promise<KubeList<T>> {
    let result: KubeList<T> | undefined;
    try {
      for await (const page of this.listPages<T>(type, options)) {
        if (!result) result = page;
        else for (const item of page.items) result.items.push(item);
      }
    } catch (err) {
      if (!result || options.continue || !ApiError.isGone(err)) throw err;
      result = await this.listPage<T>(type, { ...options, limit: 0 });
    }
    if (!result) throw new TransportError('list returned no page');
    result.metadata = { ...result.metadata, continue: undefined, remainingItemCount: undefined };
    return result;
  }

  /**
   * Lists page by page: each page is yielded as it arrives, so a caller that folds pages into
   * a store never holds the whole list twice.
   */
  async *listPages<T extends KubeObject = KubeObject>(
    type: TypeLike<T>,
    options: ListOptions = {},
  ): AsyncGenerator<KubeList<T>> {
    let token = options.continue;
    do {
      const page = await this.listPage<T>(type, { ...options, continue: token });
      token = page.metadata.continue || undefined;
      yield page;
    } while (token);
  }

  /** Lists one page (`limit` 500 by default); `metadata.continue` names the next one. */
  async listPage<T extends KubeObject = KubeObject>(
    type: TypeLike<T>,
    options: ListOptions = {},
  ): Promise<KubeList<T>> {
    const rt = await this.resolve(type, options.signal);
    const limit = options.limit ?? 500;
    const query = new URLSearchParams();
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
    if (limit > 0) query.set('limit', String(limit));
    if (options.continue) query.set('continue', options.continue);
    else if (options.resourceVersion !== undefined) {
      query.set('resourceVersion', options.resourceVersion);
      if (options.resourceVersionMatch) query.set('resourceVersionMatch', options.resourceVersionMatch);
    }
    const path = this.pathFor(rt, options.namespace, undefined) + qs(query);
    const page = await this.#json<KubeList<T>>(
      {
        method: 'GET',
        path,
        signal: options.signal,
        accept: options.metadataOnly ? METADATA_LIST_ACCEPT : undefined,
        onBodyChunk: options.onContinue ? continueAnnouncer(options.onContinue) : undefined,
      },
      { verb: 'list', resource: rt.plural, idempotent: true },
    );
    if (!Array.isArray(page.items)) page.items = [];
    page.metadata ??= {};
    return page;
  }

  /**
   * Watches a collection: an async iterator of events parsed line by line from the byte stream.
   * Ends when the server closes the stream (e.g. `timeoutSeconds`) or `signal` aborts.
   *
   * @example
   * ```ts
   * import { ConfigMap } from 'kloop';
   *
   * const client = KubeClient.fromKubeconfig();
   * const ac = new AbortController();
   * for await (const ev of client.watch(ConfigMap, { namespace: 'default', signal: ac.signal })) {
   *   console.log(ev.type, ev.object.metadata.name);
   * }
   * ```
   */
  async *watch<T extends KubeObject = KubeObject>(
    type: TypeLike<T>,
    options: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>> {
    const res = await this.#openWatch(type, options);
    const queue: WatchEvent<T>[] = [];
    const splitter = new LineSplitter((line) => queue.push(parseWatchLine<T>(line)), this.#maxWatchLineBytes);
    try {
      for await (const chunk of res) {
        splitter.push(chunk as Buffer);
        while (queue.length > 0) yield queue.shift() as WatchEvent<T>;
      }
      splitter.end();
      while (queue.length > 0) yield queue.shift() as WatchEvent<T>;
    } catch (err) {
      if (options.signal?.aborted) return;
      throw toStreamError(err);
    } finally {
      res.destroy();
    }
  }

  /**
   * Watches a collection, calling `onEvent` synchronously for each event as its line completes.
   * Resolves when the stream ends (or `signal` aborts); rejects on a broken connection or a
   * malformed line (`WatchParseError`), closing the stream. This is the informer's fast path:
   * no promise per event.
   */
  async watchStream<T extends KubeObject = KubeObject>(
    type: TypeLike<T>,
    options: WatchOptions,
    onEvent: WatchHandler<T>,
  ): Promise<void> {
    const res = await this.#openWatch(type, options);
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (err: unknown): void => {
        if (failed) return;
        failed = true;
        res.destroy();
        if (options.signal?.aborted) resolve();
        else reject(toStreamError(err));
      };
      const splitter = new LineSplitter((line) => onEvent(parseWatchLine<T>(line)), this.#maxWatchLineBytes);
      res.on('data', (chunk: Buffer) => {
        if (failed) return;
        try {
          splitter.push(chunk);
        } catch (err) {
          fail(err);
        }
      });
      res.on('end', () => {
        if (failed) return;
        try {
          splitter.end();
        } catch (err) {
          fail(err);
          return;
        }
        failed = true;
        resolve();
      });
      res.on('error', fail);
      res.on('close', () => {
        if (!failed) fail(new TransportError('watch stream closed before its end'));
      });
    });
  }

  /** Creates an object; its type and namespace come from the object. */
  async create<T extends KubeObject>(obj: T, options: WriteOptions = {}): Promise<T> {
    if (options.subresource === undefined) this.#validateWrite(obj, options, {});
    const rt = await this.resolve(typeOf(obj), options.signal);
    const path =
      this.pathFor(rt, this.#ns(rt, obj.metadata?.namespace), undefined, options.subresource) + writeQuery(options);
    return this.#json<T>(
      { method: 'POST', path, body: JSON.stringify(obj), signal: options.signal },
      this.#write('create', rt),
    );
  }

  /** Replaces an object (PUT); `metadata.resourceVersion` makes it conditional (409 when stale). */
  async update<T extends KubeObject>(obj: T, options: WriteOptions = {}): Promise<T> {
    const sub = options.subresource;
    if (sub === undefined || sub === 'status') this.#validateWrite(obj, options, { status: sub === 'status' });
    const rt = await this.resolve(typeOf(obj), options.signal);
    const name = requireName(obj);
    const path =
      this.pathFor(rt, this.#ns(rt, obj.metadata.namespace), name, options.subresource) + writeQuery(options);
    return this.#json<T>(
      { method: 'PUT', path, body: JSON.stringify(obj), signal: options.signal },
      this.#write('update', rt),
    );
  }

  /**
   * Client-side validation of an object of a known defined resource (unless opted out): throws
   * `ValidationError` with the server's 422 before anything is sent.
   */
  #validateWrite(obj: KubeObject, options: WriteOptions, how: WriteValidation): void {
    if (!(options.validate ?? this.#validate)) return;
    const validator = this.#validators.get(obj.apiVersion, obj.kind);
    if (validator !== undefined) validateWrite(validator, obj, how);
  }

  /** Replaces the status subresource (`PUT .../status`). */
  updateStatus<T extends KubeObject>(obj: T, options: WriteOptions = {}): Promise<T> {
    return this.update(obj, { ...options, subresource: 'status' });
  }

  /**
   * Patches an object. `target` is the object (or `{ type, key }` style: anything with
   * apiVersion, kind and metadata name/namespace). Default type `merge`; `apply` is server-side
   * apply and needs a fieldManager (default the client's).
   */
  async patch<T extends KubeObject = KubeObject>(
    target: KubeObject | { type: TypeLike<T>; key: ObjectKey },
    patch: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    const { type, key } =
      'type' in target && 'key' in target
        ? (target as { type: TypeLike; key: ObjectKey })
        : refOf(target as KubeObject);
    const sub = options.subresource;
    if (options.type === 'apply' && target === patch && (sub === undefined || sub === 'status')) {
      // An apply configuration may leave out what other managers own: only what it holds is checked.
      this.#validateWrite(patch as KubeObject, options, { partial: true, status: sub === 'status' });
    }
    const rt = await this.resolve(type, options.signal);
    const patchType = options.type ?? 'merge';
    const query = writeQueryParams(options);
    if (patchType === 'apply') {
      query.set('fieldManager', options.fieldManager ?? this.fieldManager);
      if (options.force) query.set('force', 'true');
    }
    const path = this.pathFor(rt, this.#ns(rt, key.namespace), nameOf(key), options.subresource) + qs(query);
    const body = typeof patch === 'string' ? patch : JSON.stringify(patch);
    return this.#json<T>(
      { method: 'PATCH', path, body, contentType: PATCH_CONTENT_TYPES[patchType], signal: options.signal },
      this.#write('patch', rt),
    );
  }

  /** Server-side apply of `obj` (a patch of type `apply`). */
  apply<T extends KubeObject>(obj: T, options: Omit<PatchOptions, 'type'> = {}): Promise<T> {
    return this.patch<T>(obj, obj, { ...options, type: 'apply' });
  }

  /**
   * Deletes an object. Resolves with what the server answers: the object (when finalizers keep
   * it, or for custom resources) or a Success `Status`.
   */
  async delete(type: TypeLike, key: ObjectKey, options: DeleteOptions = {}): Promise<KubeObject | Status> {
    const rt = await this.resolve(type, options.signal);
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.preconditions) body.preconditions = options.preconditions;
    if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
    if (options.dryRun) body.dryRun = ['All'];
    const query = new URLSearchParams();
    if (options.dryRun) query.set('dryRun', 'All');
    const path = this.pathFor(rt, this.#ns(rt, key.namespace), nameOf(key)) + qs(query);
    return this.#json<KubeObject | Status>(
      { method: 'DELETE', path, body: JSON.stringify(body), signal: options.signal },
      this.#write('delete', rt),
    );
  }

  /** Sends a raw request with the client's retries and metrics; for paths the verbs do not cover. */
  raw(req: HttpRequest, idempotent = req.method === 'GET'): Promise<HttpResponse> {
    return this.#send(req, { verb: req.method.toLowerCase(), resource: 'raw', idempotent });
  }

  /** Closes the connection pool. Watches in flight are cut. */
  close(): void {
    this.transport.close();
  }

  #ns(rt: ResourceType, namespace: string | undefined): string | undefined {
    return rt.namespaced ? namespace || this.namespace : undefined;
  }

  #write(verb: string, rt: ResourceType): Attempt {
    return { verb, resource: rt.plural, idempotent: false };
  }

  async #openWatch(type: TypeLike, options: WatchOptions): Promise<IncomingMessage> {
    const rt = await this.resolve(type, options.signal);
    const query = new URLSearchParams({ watch: 'true' });
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
    if (options.resourceVersion !== undefined) query.set('resourceVersion', options.resourceVersion);
    if (options.resourceVersionMatch) query.set('resourceVersionMatch', options.resourceVersionMatch);
    if (options.allowWatchBookmarks) query.set('allowWatchBookmarks', 'true');
    if (options.sendInitialEvents) query.set('sendInitialEvents', 'true');
    if (options.timeoutSeconds !== undefined) query.set('timeoutSeconds', String(options.timeoutSeconds));
    const req: HttpRequest = {
      method: 'GET',
      path: this.pathFor(rt, options.namespace, undefined) + qs(query),
      signal: options.signal,
      accept: options.metadataOnly ? METADATA_WATCH_ACCEPT : undefined,
    };
    const attempt: Attempt = { verb: 'watch', resource: rt.plural, idempotent: true, maxRetries: options.maxRetries };
    const res = await this.#retrying(
      req,
      attempt,
      (r) => this.transport.stream(r),
      (r) => r.statusCode ?? 0,
      (r) => r.headers,
      async (r) => {
        r.resume();
      },
    );
    const status = res.statusCode ?? 0;
    if (status >= 400) {
      const body = await readAll(res);
      throw toApiError(status, body);
    }
    return res;
  }

  async #json<T>(req: HttpRequest, attempt: Attempt): Promise<T> {
    const res = await this.#send(req, attempt);
    if (res.status >= 400) throw toApiError(res.status, res.body);
    if (res.body.length === 0) return undefined as T;
    try {
      return JSON.parse(res.body.toString('utf8')) as T;
    } catch (err) {
      throw new KloopError('KLOOP_BAD_RESPONSE', `${req.method} ${req.path}: response is not JSON`, { cause: err });
    }
  }

  #send(req: HttpRequest, attempt: Attempt): Promise<HttpResponse> {
    const withTimeout = { ...req, timeoutMs: req.timeoutMs ?? this.#requestTimeoutMs };
    return this.#retrying(
      withTimeout,
      attempt,
      (r) => this.transport.request(r),
      (r) => r.status,
      (r) => r.headers,
    );
  }

  /** The retry loop shared by buffered requests and watch establishment. */
  async #retrying<R>(
    req: HttpRequest,
    attempt: Attempt,
    send: (req: HttpRequest) => Promise<R>,
    statusOf: (res: R) => number,
    headersOf: (res: R) => Record<string, string | string[] | undefined>,
    discard: (res: R) => Promise<void> = async () => {},
  ): Promise<R> {
    const backoff = new Backoff({ initialMs: 100, maxMs: 5000, jitter: 0.5 });
    // A 429 without a usable Retry-After waits 1 s, doubling up to the Retry-After cap.
    const throttleBackoff = new Backoff({ initialMs: 1000, maxMs: this.#maxRetryAfterSeconds * 1000, jitter: 0.5 });
    const maxRetries = attempt.maxRetries ?? this.#maxRetries;
    let retries = 0;
    let throttles = 0;
    let reauthed = false;
    let current = req;
    for (;;) {
      const start = this.clock.now();
      let res: R;
      try {
        res = await send(current);
      } catch (err) {
        this.#observe(attempt, 0, start);
        // Only connection failures may pass; a credential or kubeconfig error would repeat.
        const retryable = err instanceof TransportError && !err.aborted;
        if (retryable && attempt.idempotent && retries < maxRetries) {
          retries++;
          const wait = backoff.next();
          this.logger.debug({ err, path: req.path, wait }, 'kloop: retrying after a connection error');
          await sleep(this.clock, wait, req.signal);
          continue;
        }
        throw err;
      }
      const status = statusOf(res);
      this.#observe(attempt, status, start);
      if (status === 429 && throttles < this.#maxThrottleRetries) {
        throttles++;
        await discard(res);
        const given = retryAfterMs(headersOf(res)['retry-after'], this.#maxRetryAfterSeconds, Date.now());
        const wait = given ?? throttleBackoff.next();
        this.logger.debug({ path: req.path, wait, retryAfter: given !== undefined }, 'kloop: throttled (429), waiting');
        await sleep(this.clock, wait, req.signal);
        continue;
      }
      if (attempt.idempotent && isRetryableStatus(status) && retries < maxRetries) {
        retries++;
        await discard(res);
        const wait =
          retryAfterMs(headersOf(res)['retry-after'], this.#maxRetryAfterSeconds, Date.now()) ?? backoff.next();
        await sleep(this.clock, wait, req.signal);
        continue;
      }
      if (status === 406 && current.accept?.includes(';as=')) {
        // The server does not serve PartialObjectMetadata: ask for full objects instead; the
        // informer projects them to metadata itself.
        await discard(res);
        current = { ...current, accept: 'application/json' };
        continue;
      }
      if (status === 401 && this.#config.dynamicAuth && !reauthed) {
        reauthed = true;
        await discard(res);
        // client-go re-reads token files and re-runs exec plugins after a 401.
        this.#config.invalidate();
        continue;
      }
      return res;
    }
  }

  #observe(attempt: Attempt, code: number, start: number): void {
    this.#metrics.requests.inc({ verb: attempt.verb, resource: attempt.resource, code: String(code) });
    this.#metrics.duration.observe(
      { verb: attempt.verb, resource: attempt.resource },
      (this.clock.now() - start) / 1000,
    );
  }

  async #discoveryFetch(path: string, signal?: AbortSignal): Promise<unknown> {
    const res = await this.#send(
      { method: 'GET', path, signal },
      { verb: 'get', resource: 'discovery', idempotent: true },
    );
    if (res.status === 404) return undefined;
    if (res.status >= 400) throw toApiError(res.status, res.body);
    return JSON.parse(res.body.toString('utf8'));
  }
}

/** The most of a list body's first bytes searched for its continue token. */
const MAX_LIST_HEAD_BYTES = 64 * 1024;

/**
 * A body-chunk hook that calls `onContinue` once, as soon as the list's head holds its continue
 * token (see `listContinueOf`); never when the items come first or the head is longer than
 * `MAX_LIST_HEAD_BYTES`.
 */
function continueAnnouncer(onContinue: (token: string | undefined) => void): (chunk: Buffer) => void {
  let head: Buffer | undefined;
  let decided = false;
  return (chunk) => {
    if (decided) return;
    head = head === undefined ? chunk : Buffer.concat([head, chunk]);
    const found = listContinueOf(head);
    if (found.state === 'more' && head.length < MAX_LIST_HEAD_BYTES) return;
    decided = true;
    head = undefined;
    if (found.state === 'found') onContinue(found.continue);
  };
}

/** Parses one watch line; anything that is not `{type, object}` is a `WatchParseError`. */
export function parseWatchLine<T extends KubeObject = KubeObject>(line: string): WatchEvent<T> {
  let ev: WatchEvent<T>;
  try {
    ev = JSON.parse(line) as WatchEvent<T>;
  } catch (err) {
    throw new WatchParseError(`malformed watch line: ${line.slice(0, 120)}`, { cause: err });
  }
  if (
    ev === null ||
    typeof ev !== 'object' ||
    !EVENT_TYPES.has(ev.type) ||
    typeof ev.object !== 'object' ||
    ev.object === null
  ) {
    throw new WatchParseError(`not a watch event: ${line.slice(0, 120)}`);
  }
  return ev;
}

/**
 * Turns a failure response into an `ApiError`, keeping a server `Status` untouched. Any other
 * body (an HTML page from a proxy, say) becomes a Status whose message holds at most the first
 * 2048 characters, as client-go cuts unstructured error bodies.
 */
export function toApiError(code: number, body: Buffer): ApiError {
  const text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as Partial<Status>;
    if (parsed && parsed.kind === 'Status') return new ApiError(parsed as Status);
  } catch {
    // not JSON: build a Status below, as client-go does for a plain-text error body
  }
  const trimmed = text.trim();
  const message =
    trimmed.length > MAX_ERROR_BODY_CHARS
      ? `${trimmed.slice(0, MAX_ERROR_BODY_CHARS)}... (${body.length} bytes, truncated)`
      : trimmed || `the server responded with HTTP ${code}`;
  return new ApiError(makeStatus(code, reasonForStatusCode(code), message));
}

function toStreamError(err: unknown): Error {
  if (err instanceof KloopError) return err;
  // LineSplitter's limit: the same line would come back on a rewatch from the same
  // resourceVersion, so it must read as malformed (relist), not as a dropped connection.
  if (err instanceof RangeError) return new WatchParseError(err.message, { cause: err });
  return new TransportError(`watch stream: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function qs(query: URLSearchParams): string {
  const s = query.toString();
  return s ? `?${s}` : '';
}

function writeQueryParams(options: WriteOptions): URLSearchParams {
  const query = new URLSearchParams();
  if (options.dryRun) query.set('dryRun', 'All');
  if (options.fieldManager) query.set('fieldManager', options.fieldManager);
  if (options.fieldValidation) query.set('fieldValidation', options.fieldValidation);
  return query;
}

function writeQuery(options: WriteOptions): string {
  return qs(writeQueryParams(options));
}

function typeOf(obj: KubeObject): { apiVersion: string; kind: string } {
  if (!obj.apiVersion || !obj.kind) {
    throw new KloopError('KLOOP_INVALID_OBJECT', 'the object needs apiVersion and kind to be written');
  }
  return { apiVersion: obj.apiVersion, kind: obj.kind };
}

/** A key's name for an object path: a missing one must fail the check, not address the collection. */
function nameOf(key: ObjectKey): string {
  return typeof key?.name === 'string' ? key.name : '';
}

function requireName(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new KloopError('KLOOP_INVALID_OBJECT', 'the object needs metadata.name');
  return name;
}

function refOf(obj: KubeObject): { type: TypeLike; key: ObjectKey } {
  return { type: typeOf(obj), key: { namespace: obj.metadata?.namespace, name: requireName(obj) } };
}
