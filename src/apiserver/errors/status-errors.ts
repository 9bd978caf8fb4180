/**
 * The emulator's failures: every one is a Kubernetes `Status` with the code, reason and message
 * the real API server uses (APISERVER-SPEC.md section 6), thrown as a {@link StatusError} and
 * written to the client by the HTTP layer.
 */
import { KloopError, makeStatus, type Status, type StatusCause, type StatusDetails } from '../core/index.js';

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

function fail(code: number, reason: string, message: string, d?: StatusDetails): StatusError {
  return new StatusError(makeStatus(code, reason, message, d));
}

/** 404 NotFound: `configmaps "a" not found`. */
export function notFound(ref: ResourceRef, name: string): StatusError {
  return fail(404, 'NotFound', `${qualifiedResource(ref)} "${name}" not found`, details(ref, name));
}

/** 409 AlreadyExists: `configmaps "a" already exists`. */
export function alreadyExists(ref: ResourceRef, name: string): StatusError {
  return fail(409, 'AlreadyExists', `${qualifiedResource(ref)} "${name}" already exists`, details(ref, name));
}

/** 409 Conflict for a stale resourceVersion (the text client-go users grep for). */
export function conflict(ref: ResourceRef, name: string, why?: string): StatusError {
  const reason = why ?? 'the object has been modified; please apply your changes to the latest version and try again';
  return fail(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(ref)} "${name}": ${reason}`,
    details(ref, name),
  );
}

/**
 * 422 Invalid: `ConfigMap "a" is invalid: metadata.name: Required value: ...`. Unlike the other
 * reasons, `details.kind` is the Kind here, as the real server does.
 */
export function invalid(ref: ResourceRef, name: string, causes: StatusCause[]): StatusError {
  const kind = ref.kind ?? ref.plural;
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : (c.message ?? '')));
  const text = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  const d: StatusDetails = {};
  if (name !== '') d.name = name;
  if (ref.group !== '') d.group = ref.group;
  d.kind = kind;
  d.causes = causes;
  return fail(422, 'Invalid', `${kind} "${name}" is invalid: ${text}`, d);
}

/** 400 BadRequest with a free message. */
export function badRequest(message: string): StatusError {
  return fail(400, 'BadRequest', message);
}

/** 403 Forbidden (e.g. creating in a terminating namespace). */
export function forbidden(ref: ResourceRef, name: string, message: string): StatusError {
  const target = name === '' ? qualifiedResource(ref) : `${qualifiedResource(ref)} "${name}"`;
  return fail(403, 'Forbidden', `${target} is forbidden: ${message}`, details(ref, name));
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(): StatusError {
  return fail(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

/** 406 NotAcceptable for an Accept header the emulator cannot serve. */
export function notAcceptable(): StatusError {
  return fail(
    406,
    'NotAcceptable',
    'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
  );
}

/** 410 Expired: `too old resource version: N (M)`. */
export function expired(message: string): StatusError {
  return fail(410, 'Expired', message);
}

/** 413 RequestEntityTooLarge for bodies over the limit (3 MiB, like etcd's request limit). */
export function entityTooLarge(limit: number): StatusError {
  return fail(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

/** 415 UnsupportedMediaType listing what the resource accepts. */
export function unsupportedMediaType(accepted: readonly string[]): StatusError {
  return fail(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 429 TooManyRequests with `details.retryAfterSeconds` (the HTTP layer adds `Retry-After`). */
export function tooManyRequests(retryAfterSeconds: number): StatusError {
  return fail(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds });
}

/** 500 InternalError. */
export function internalError(message: string): StatusError {
  return fail(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

/** 503 ServiceUnavailable. */
export function serviceUnavailable(message: string, retryAfterSeconds?: number): StatusError {
  return fail(503, 'ServiceUnavailable', message, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds });
}

/** 404 for a URL that names no resource (`the server could not find the requested resource`). */
export function unknownPath(): StatusError {
  return fail(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** Turns anything thrown while serving into a Status: StatusErrors as they are, the rest 500. */
export function toStatus(err: unknown): Status {
  if (err instanceof StatusError) return err.status;
  const message = err instanceof Error ? err.message : String(err);
  return internalError(message).status;
}
