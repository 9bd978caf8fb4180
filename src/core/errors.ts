/**
 * Typed errors shared by every layer, and the Kubernetes `Status` object failures travel in.
 *
 * Every error kloop throws extends {@link KloopError} and carries a stable `code`
 * (`KLOOP_...`), listed in `docs/reference/errors.md`. Errors that come from the API server
 * are {@link ApiError}s holding the server's `Status` untouched, so nothing the server said is
 * lost on the way to the caller.
 */
import type { KloopErrorCode } from './error-codes.js';
import type { Status, StatusCause, StatusDetails } from './types.js';

/**
 * The base class of every error kloop throws. `code` is stable across releases and is what
 * callers should branch on; `message` is for humans and may change.
 *
 * @example
 * ```ts
 * import { labelSelector } from 'kloop';
 *
 * try {
 *   labelSelector('a in (');
 * } catch (err) {
 *   if (err instanceof KloopError && err.code === 'KLOOP_INVALID_SELECTOR') console.error(err.message);
 * }
 * ```
 */
export class KloopError extends Error {
  /** Stable machine-readable code, e.g. `KLOOP_INVALID_SELECTOR`. */
  readonly code: KloopErrorCode;

  constructor(code: KloopErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A failure answered by the Kubernetes API server (or the emulator), with its `Status`
 * exactly as it came (Go: `apierrors.StatusError`).
 *
 * @remarks Whether to retry depends on the status: 409 Conflict means "read again and
 * retry", 429 carries {@link ApiError.retryAfterSeconds}, 5xx are retryable for idempotent
 * requests, 4xx otherwise are not. The client layer decides; this class only describes.
 *
 * @example
 * ```ts
 * import { ConfigMap, type KubeClient, type KubeObject, type ObjectKey } from 'kloop';
 *
 * async function find(client: KubeClient, key: ObjectKey): Promise<KubeObject | undefined> {
 *   try {
 *     return await client.get(ConfigMap, key);
 *   } catch (err) {
 *     if (ApiError.isNotFound(err)) return undefined;
 *     throw err;
 *   }
 * }
 * ```
 */
export class ApiError extends KloopError {
  /** The server's `Status`, untouched. */
  readonly status: Status;

  constructor(status: Status, options?: { cause?: unknown }) {
    super('KLOOP_API_ERROR', status.message ?? `${status.code} ${status.reason ?? 'Unknown'}`, options);
    this.status = status;
  }

  /** HTTP status code (`status.code`). */
  get statusCode(): number {
    return this.status.code;
  }

  /** The `StatusReason`, e.g. `NotFound`, `Conflict`, `AlreadyExists`, `Expired`. */
  get reason(): string | undefined {
    return this.status.reason;
  }

  /** `details.causes`, e.g. the invalid fields of a 422 or the conflicting fields of an apply. */
  get causes(): readonly StatusCause[] {
    return this.status.details?.causes ?? [];
  }

  /** `details.retryAfterSeconds` (429 and some 5xx), undefined when absent. */
  get retryAfterSeconds(): number | undefined {
    return this.status.details?.retryAfterSeconds;
  }

  /** True for a 404 NotFound. */
  static isNotFound(err: unknown): err is ApiError {
    return (
      err instanceof ApiError && (err.reason === 'NotFound' || (err.reason === undefined && err.statusCode === 404))
    );
  }

  /** True for a 409 Conflict (stale resourceVersion or apply conflict), not AlreadyExists. */
  static isConflict(err: unknown): err is ApiError {
    return err instanceof ApiError && err.statusCode === 409 && err.reason !== 'AlreadyExists';
  }

  /** True for a 409 AlreadyExists (create of a name that is taken). */
  static isAlreadyExists(err: unknown): err is ApiError {
    return err instanceof ApiError && err.reason === 'AlreadyExists';
  }

  /** True for 410 Gone/Expired: the resourceVersion asked for has been compacted away. */
  static isGone(err: unknown): err is ApiError {
    return err instanceof ApiError && err.statusCode === 410;
  }
}

/**
 * Marks a failure that retrying cannot fix (controller-runtime's `reconcile.TerminalError`):
 * the controller records it and does not requeue the key with backoff.
 *
 * @remarks Thrown from a reconciler, the key is not retried; a later event for the key
 * reconciles it again as usual.
 *
 * @example
 * ```ts
 * declare const spec: { image?: string }; // of the object being reconciled
 * if (!spec.image) throw new TerminalError(new Error('spec.image is required')); // no retry until it changes
 * ```
 */
export class TerminalError extends KloopError {
  constructor(cause: unknown, message?: string) {
    super('KLOOP_TERMINAL', message ?? (cause instanceof Error ? cause.message : String(cause)), { cause });
  }
}

/**
 * Builds the Kubernetes `Status` object an API server answers with (`metav1.Status`). Codes
 * 2xx give `status: "Success"`, anything else `"Failure"`. `details` is omitted when not given.
 *
 * @example
 * ```ts
 * makeStatus(404, 'NotFound', 'configmaps "a" not found', { name: 'a', kind: 'configmaps' });
 * ```
 */
export function makeStatus(code: number, reason: string, message: string, details?: StatusDetails): Status {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: code >= 200 && code < 300 ? 'Success' : 'Failure',
    message,
    reason,
    code,
  };
  if (details !== undefined) status.details = details;
  return status;
}

/**
 * The `StatusReason` values the API server uses, keyed by name, with their HTTP codes.
 * (Go: `metav1.StatusReason*`.) Where two reasons share a code, the first is the one a bare code
 * reads as (see {@link reasonForStatusCode}).
 */
export const STATUS_REASONS = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  Conflict: 409,
  AlreadyExists: 409,
  Expired: 410,
  Gone: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
} as const;

/** One of the names in {@link STATUS_REASONS}. */
export type StatusReason = keyof typeof STATUS_REASONS;

const REASON_BY_CODE = new Map<number, StatusReason>();
for (const [reason, code] of Object.entries(STATUS_REASONS) as Array<[StatusReason, number]>) {
  if (!REASON_BY_CODE.has(code)) REASON_BY_CODE.set(code, reason);
}

/**
 * The reason of a response that came without a `Status` body (a proxy's 503, an empty 404):
 * the first of {@link STATUS_REASONS} with that code (a 409 reads as `Conflict`, a 410 as
 * `Expired`, as a watch's would), else `InternalError` for 5xx and `Unknown` otherwise
 * (apimachinery's `NewGenericServerResponse` does the same).
 *
 * @example
 * ```ts
 * reasonForStatusCode(404); // 'NotFound'
 * ```
 */
export function reasonForStatusCode(code: number): StatusReason | 'Unknown' {
  return REASON_BY_CODE.get(code) ?? (code >= 500 ? 'InternalError' : 'Unknown');
}

/**
 * A patch that cannot be applied: malformed (`KLOOP_INVALID_PATCH`: bad operation, bad
 * pointer, missing path, bad directive) or a JSON patch `test` that failed
 * (`KLOOP_PATCH_TEST_FAILED`). The API server answers both with an error status (400/422).
 */
export class PatchError extends KloopError {
  /**
   * Set when a JSON patch's `copy` operations went past `maxCopyBytes` (evanphx/json-patch's
   * accumulated copy size): how many bytes they would have added, and the limit.
   */
  readonly copyLimit?: { readonly accumulated: number; readonly limit: number };

  constructor(
    code: 'KLOOP_INVALID_PATCH' | 'KLOOP_PATCH_TEST_FAILED',
    message: string,
    options?: { cause?: unknown; copyLimit?: { accumulated: number; limit: number } },
  ) {
    super(code, message, options);
    if (options?.copyLimit) this.copyLimit = options.copyLimit;
  }
}
