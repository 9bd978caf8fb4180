/**
 * The shapes of the client module: options of each verb, the transport contract and the
 * kubeconfig forms `KubeClient.fromKubeconfig` accepts.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock, KubeObject, ResourceType, TypedRef, WatchEvent } from '../core/index.js';
import type { Resource } from '../resources/index.js';

/**
 * Where a kubeconfig comes from: a file path, or a kubeconfig as an object in kubectl's
 * spelling (`clusters`, `users`, `contexts`, `current-context`; e.g. the emulator's
 * `server.kubeconfig`). An object with an `exportConfig(): string` method (such as a
 * `@kubernetes/client-node` `KubeConfig`) is read through it.
 */
export type KubeconfigSource = string | object;

/**
 * Where a resource type may be given: a `{ apiVersion, kind }` or a full `ResourceType`. A typed
 * reference (`Deployment`, a resource from `defineResource`) makes reads return its object type.
 */
export type TypeLike<T = KubeObject> = TypedRef<T> | (ResourceType & TypedRef<T>);

/**
 * TLS material and headers for one request, as the kubeconfig's cluster and user yield them.
 * Values are secrets: never log them.
 */
export interface AuthMaterial {
  /** `Authorization` and `Impersonate-*` headers; repeated headers (`Impersonate-Group`) as lists. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** PEM CA bundle; absent: the system's roots. */
  readonly ca?: Buffer;
  /** PEM client certificate (chain) and its key. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** False with `insecure-skip-tls-verify`. */
  readonly rejectUnauthorized: boolean;
  /** `tls-server-name`: the SNI sent and the name the server certificate is checked against. */
  readonly servername?: string;
}

/** Options of `new KubeClient(...)` and `KubeClient.fromKubeconfig(...)`. */
export interface KubeClientOptions {
  /** pino logger; default: a quiet one at level `warn`. */
  logger?: Logger;
  /** prom-client registry for request metrics; default the module-level `kloopRegistry`. */
  registry?: Registry;
  /** Timers (retries, Retry-After); default the real clock. */
  clock?: Clock;
  /** Bounded retries of idempotent reads on 5xx and connection errors (default 5). */
  maxRetries?: number;
  /** Bounded waits on 429 (default 10). */
  maxThrottleRetries?: number;
  /** Largest Retry-After honoured, seconds (default 60). */
  maxRetryAfterSeconds?: number;
  /** Per-request timeout in ms for non-watch requests (default 60 000). */
  requestTimeoutMs?: number;
  /** Sockets kept open per host (default 64). */
  maxSockets?: number;
  /** Default `fieldManager` for writes (default `kloop`). */
  fieldManager?: string;
  /** `User-Agent` header (default `kloop/<version>`). */
  userAgent?: string;
  /**
   * Longest watch line accepted, bytes (default 64 MiB, far above the server's 3 MiB object
   * limit). A longer line fails the watch as malformed, so an informer relists instead of
   * growing a buffer without bound or reconnecting to the same line forever.
   */
  maxWatchLineBytes?: number;
  /**
   * Client-side validation: `create`, `update` and `apply` of an object of a known defined
   * resource check it against the resource's schema before sending it, failing with the
   * server's message (`ValidationError`). Default true; each write may opt out.
   */
  validate?: boolean;
  /**
   * Resources defined with `defineResource` whose objects this client validates. A defined
   * resource given as the type of any call is learnt as well.
   */
  resources?: readonly Resource[];
}

/** Options every verb accepts. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/** Options of `get`. */
export interface GetOptions extends RequestOptions {
  /** `status`, `scale`, ... */
  subresource?: string;
  resourceVersion?: string;
}

/** Options of `list` and `listPages`. */
export interface ListOptions extends RequestOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; default 500 (as kubectl and client-go's pager). 0 asks for everything at once. */
  limit?: number;
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  /** Continue token of a page to start from. */
  continue?: string;
  /** Ask for `PartialObjectMetadataList` (metadata only). */
  metadataOnly?: boolean;
  /**
   * `listPage` only: called once with the page's `metadata.continue` (undefined on the last page)
   * as soon as the first bytes of the body hold it, before the items are read and parsed, so the
   * next page can be asked for meanwhile. Not called when the server writes the items first.
   */
  onContinue?: (token: string | undefined) => void;
}

/** Options of `watch`. */
export interface WatchOptions extends RequestOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  allowWatchBookmarks?: boolean;
  /** Streaming list: synthetic ADDED events for the current state, then a bookmark. */
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
  metadataOnly?: boolean;
  /**
   * Retries of the watch's establishment after a connection error or a 5xx (default the
   * client's `maxRetries`). Informers pass 0: their reflector reconnects on its own and first
   * checks that the server behind the address did not go back in time (a restart, a restore),
   * which a retry inside the client would hide.
   */
  maxRetries?: number;
}

/** Options shared by writes. */
export interface WriteOptions extends RequestOptions {
  /** `dryRun=All`: the server validates and answers but stores nothing. */
  dryRun?: boolean;
  fieldManager?: string;
  /** `fieldValidation=Strict|Warn|Ignore`. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** Write a subresource: `status`, `scale`. */
  subresource?: string;
  /**
   * Client-side validation of an object of a defined resource the client knows (see
   * `KubeClientOptions.resources`) before it is sent; default the client's `validate` (true).
   */
  validate?: boolean;
}

/** JSON patch (RFC 6902), merge patch (RFC 7386), strategic merge patch, server-side apply. */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** Options of `patch`. */
export interface PatchOptions extends WriteOptions {
  /** Default `merge`. */
  type?: PatchType;
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
}

/** Options of `delete`. */
export interface DeleteOptions extends RequestOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
  dryRun?: boolean;
}

/** What the streaming `watch` hands to its callback; return nothing. */
export type WatchHandler<T extends KubeObject = KubeObject> = (event: WatchEvent<T>) => void;

/** One HTTP request as the transport sends it. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with query string, e.g. `/api/v1/namespaces/default/configmaps?limit=500`. */
  path: string;
  body?: string;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  /** ms; 0 = none (watches). */
  timeoutMs?: number;
  /** Called with each chunk of a 2xx response's body as it arrives (the body is still returned whole). */
  onBodyChunk?: (chunk: Buffer) => void;
}

/** A buffered HTTP response. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}
