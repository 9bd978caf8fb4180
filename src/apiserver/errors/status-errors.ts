/**
 * The emulator's failures: every one is a Kubernetes `Status` with the code, reason and message
 * the real API server uses (`k8s.io/apimachinery/pkg/api/errors`), thrown as a {@link StatusError} and
 * written to the client by the HTTP layer.
 */
import {
  KloopError,
  makeStatus,
  STATUS_REASONS,
  type Status,
  type StatusCause,
  type StatusDetails,
  type StatusReason,
} from '../../core/index.js';

/** What a failure names: the resource (plural) and its group, for `details` and messages. */
export interface ResourceRef {
  group: string;
  plural: string;
  kind?: string;
}

/**
 * A request failure carrying the `Status` the emulator answers with (code `KLOOP_APISERVER_STATUS`).
 * Handlers throw it; the HTTP layer turns it into the response, adding `Retry-After` when
 * `details.retryAfterSeconds` is set.
 */
export class StatusError extends KloopError {
  /** The `Status` object sent to the client. */
  readonly status: Status;

  constructor(status: Status, options?: { cause?: unknown }) {
    super('KLOOP_APISERVER_STATUS', status.message ?? status.reason ?? 'error', options);
    this.status = status;
  }
}

/** `deployments.apps` for grouped resources, `configmaps` for the core group (as messages spell it). */
export function qualifiedResource(ref: ResourceRef): string {
  return ref.group === '' ? ref.plural : `${ref.plural}.${ref.group}`;
}

function details(ref: ResourceRef, name: string | undefined, extra?: Partial<StatusDetails>): StatusDetails {
  const d: StatusDetails = {};
  if (name !== undefined && name !== '') d.name = name;
  if (ref.group !== '') d.group = ref.group;
  d.kind = ref.plural;
  return { ...d, ...extra };
}

/**
 * The failure `Status` of `reason`, with the HTTP code the real server pairs with it
 * ({@link STATUS_REASONS}); a misspelt reason does not compile.
 */
export function failureStatus(reason: StatusReason, message: string, details?: StatusDetails): Status {
  return makeStatus(STATUS_REASONS[reason], reason, message, details);
}

/** A {@link StatusError} of `reason` (see {@link failureStatus}). */
export function statusError(reason: StatusReason, message: string, details?: StatusDetails): StatusError {
  return new StatusError(failureStatus(reason, message, details));
}

/**
 * 422 with no reason (Go's `StatusReasonUnknown`, ""): what the real server answers a patch that
 * decodes but does not apply.
 */
export function unprocessable(message: string): StatusError {
  return new StatusError(makeStatus(422, '', message));
}

/**
 * The `Status` of a successful DELETE of a built-in (`status: Success`, code 200, no message or
 * reason), as the real server answers it.
 */
export function deletedStatus(details: StatusDetails): Status {
  const status = makeStatus(200, '', '', details);
  delete status.message;
  delete status.reason;
  return status;
}

/** 404 NotFound: `configmaps "a" not found`. */
export function notFound(ref: ResourceRef, name: string): StatusError {
  return statusError('NotFound', `${qualifiedResource(ref)} "${name}" not found`, details(ref, name));
}

/** 409 AlreadyExists: `configmaps "a" already exists`. */
export function alreadyExists(ref: ResourceRef, name: string): StatusError {
  return statusError('AlreadyExists', `${qualifiedResource(ref)} "${name}" already exists`, details(ref, name));
}

/** 409 Conflict for a stale resourceVersion (the text client-go users grep for). */
export function conflict(ref: ResourceRef, name: string, why?: string): StatusError {
  const reason = why ?? 'the object has been modified; please apply your changes to the latest version and try again';
  return statusError(
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(ref)} "${name}": ${reason}`,
    details(ref, name),
  );
}

/**
 * 422 Invalid: `ConfigMap "a" is invalid: metadata.name: Required value: ...`, the kind qualified
 * by its group for grouped kinds (`Job.batch "x" is invalid`, `schema.GroupKind.String()` in
 * `errors.NewInvalid`). Unlike the other reasons, `details.kind` is the bare Kind here, as the
 * real server does.
 */
export function invalid(ref: ResourceRef, name: string, causes: StatusCause[]): StatusError {
  const kind = ref.kind ?? ref.plural;
  const qualified = ref.group === '' ? kind : `${kind}.${ref.group}`;
  // `ErrorList.ToAggregate`: identical texts appear once in the message (the causes keep all).
  const parts = [...new Set(causes.map((c) => (c.field ? `${c.field}: ${c.message}` : (c.message ?? ''))))];
  const text = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  const d: StatusDetails = {};
  if (name !== '') d.name = name;
  if (ref.group !== '') d.group = ref.group;
  d.kind = kind;
  d.causes = causes;
  return statusError('Invalid', `${qualified} "${name}" is invalid: ${text}`, d);
}

/** 400 BadRequest with a free message. */
export function badRequest(message: string): StatusError {
  return statusError('BadRequest', message);
}

/** 403 Forbidden (e.g. creating in a terminating namespace), with `causes` when given. */
export function forbidden(ref: ResourceRef, name: string, message: string, causes?: StatusCause[]): StatusError {
  const target = name === '' ? qualifiedResource(ref) : `${qualifiedResource(ref)} "${name}"`;
  return statusError(
    'Forbidden',
    `${target} is forbidden: ${message}`,
    details(ref, name, causes === undefined ? undefined : { causes }),
  );
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(): StatusError {
  return statusError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

/** The media types a watch can stream (`MediaTypesForSerializer`'s stream list). */
export const WATCH_MEDIA_TYPES: readonly string[] = [
  'application/json;stream=watch',
  'application/vnd.kubernetes.protobuf;stream=watch',
];

/**
 * 406 NotAcceptable for an Accept header the emulator cannot serve; `accepted` is what the
 * endpoint lists (its media types, or {@link WATCH_MEDIA_TYPES} for a watch).
 */
export function notAcceptable(
  accepted: readonly string[] = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
): StatusError {
  return statusError('NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`);
}

/** 410 Expired: `too old resource version: N (M)`. */
export function expired(message: string): StatusError {
  return statusError('Expired', message);
}

/** 413 RequestEntityTooLarge for bodies over the limit (3 MiB, like etcd's request limit). */
export function entityTooLarge(limit: number): StatusError {
  return statusError('RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

/**
 * 504 Timeout of a request past its deadline (`filters/timeout.go`; `NewTimeoutError` with no
 * retry, so `details` is empty).
 */
export function requestTimedOut(): StatusError {
  return statusError('Timeout', 'Timeout: request did not complete within the allotted timeout', {});
}

/** 415 UnsupportedMediaType listing what the resource accepts. */
export function unsupportedMediaType(accepted: readonly string[]): StatusError {
  return statusError(
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 429 TooManyRequests with `details.retryAfterSeconds` (the HTTP layer adds `Retry-After`). */
export function tooManyRequests(retryAfterSeconds: number): StatusError {
  return statusError('TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds });
}

/** 500 InternalError. */
export function internalError(message: string): StatusError {
  return statusError('InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

/** 503 ServiceUnavailable. */
export function serviceUnavailable(message: string, retryAfterSeconds?: number): StatusError {
  return statusError(
    'ServiceUnavailable',
    message,
    retryAfterSeconds === undefined ? undefined : { retryAfterSeconds },
  );
}

/** 404 for a URL that names no resource (`the server could not find the requested resource`). */
export function unknownPath(): StatusError {
  return statusError('NotFound', 'the server could not find the requested resource', {});
}

/** Turns anything thrown while serving into a Status: StatusErrors as they are, the rest 500. */
export function toStatus(err: unknown): Status {
  if (err instanceof StatusError) return err.status;
  const message = err instanceof Error ? err.message : String(err);
  return internalError(message).status;
}
