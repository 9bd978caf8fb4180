/**
 * Size limits on what would be stored, checked on the object after every decoder and patch
 * engine has run (so a small patch that grows an object is caught as a big body is):
 *
 * - Annotations: keys and values together at most 256 KiB (`TotalAnnotationSizeLimitB`,
 *   apimachinery `pkg/api/validation/objectmeta.go`): 422 `metadata.annotations: Too long: may not
 *   be more than 262144 bytes`.
 * - ConfigMap `data` and `binaryData` (decoded) at most 1 MiB (`core.MaxSecretSize`,
 *   `ValidateConfigMap`): 422 on the empty field path, which renders as `[]`; Secret `data`
 *   (decoded, with `stringData` merged over it as conversion does) the same, on `data`.
 * - The stored object at most etcd's request limit, 1.5 MiB (`--max-request-bytes`): etcd
 *   refuses the write and the API server passes its error on as a 500 with no reason,
 *   `etcdserver: request is too large` (kubernetes/kubernetes#112152). Dry runs never reach etcd.
 *
 * Texts are Kubernetes 1.33's (`field.TooLong`: `may not be more than N bytes`; 1.31 and older
 * said `must have at most N bytes`).
 */
import { isPlainObject, type KubeObject, makeStatus, type StatusCause } from '../../core/index.js';
import { StatusError } from '../errors/status-errors.js';

/** `TotalAnnotationSizeLimitB`. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** `core.MaxSecretSize`: ConfigMap and Secret data. */
export const MAX_DATA_BYTES = 1024 * 1024;

/** etcd's default `--max-request-bytes` (1.5 MiB). */
export const ETCD_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

function tooLong(field: string, limit: number): StatusCause {
  return { reason: 'FieldValueTooLong', message: `Too long: may not be more than ${limit} bytes`, field };
}

function utf8Bytes(value: unknown): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0;
}

/** The decoded length of base64 text (what a `[]byte` field holds), without decoding it. */
function base64Bytes(value: unknown): number {
  if (typeof value !== 'string') return 0;
  let length = value.length;
  while (length > 0 && value.charCodeAt(length - 1) === 0x3d) length--;
  return Math.floor((length * 3) / 4);
}

function sumValues(map: unknown, size: (value: unknown) => number): number {
  if (!isPlainObject(map)) return 0;
  let total = 0;
  for (const value of Object.values(map)) total += size(value);
  return total;
}

/** Secret data as validation sees it: `data` decoded, `stringData` keys written over it. */
export function secretDataBytes(obj: KubeObject): number {
  const data = isPlainObject(obj.data) ? obj.data : {};
  const stringData = isPlainObject(obj.stringData) ? obj.stringData : {};
  let total = 0;
  for (const [key, value] of Object.entries(data)) if (!Object.hasOwn(stringData, key)) total += base64Bytes(value);
  return total + sumValues(stringData, utf8Bytes);
}

/** ConfigMap `data` and `binaryData` (decoded) as `ValidateConfigMap` sums them. */
export function configMapDataBytes(obj: KubeObject): number {
  return sumValues(obj.data, utf8Bytes) + sumValues(obj.binaryData, base64Bytes);
}

/** Whether annotations are over `TotalAnnotationSizeLimitB` (`ValidateAnnotationsSize`: keys and values). */
export function annotationsTooLarge(annotations: unknown): boolean {
  if (!isPlainObject(annotations)) return false;
  let total = 0;
  for (const [key, value] of Object.entries(annotations)) total += utf8Bytes(key) + utf8Bytes(value);
  return total > MAX_ANNOTATIONS_BYTES;
}

/**
 * The size violations of an object bound for storage, as validation causes (empty when it fits):
 * annotations for every kind, data for core ConfigMaps and Secrets. Subresource writes check
 * these alone; validation reports the same limits among its causes, in upstream's order.
 *
 * @example
 * ```ts
 * sizeViolations({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { annotations: { a: 'x'.repeat(300_000) } } });
 * // [{ reason: 'FieldValueTooLong', message: 'Too long: may not be more than 262144 bytes', field: 'metadata.annotations' }]
 * ```
 */
export function sizeViolations(obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  if (annotationsTooLarge(obj.metadata.annotations)) {
    causes.push(tooLong('metadata.annotations', MAX_ANNOTATIONS_BYTES));
  }
  if (obj.apiVersion === 'v1' && obj.kind === 'ConfigMap') {
    if (configMapDataBytes(obj) > MAX_DATA_BYTES) causes.push(tooLong('[]', MAX_DATA_BYTES));
  } else if (obj.apiVersion === 'v1' && obj.kind === 'Secret') {
    if (secretDataBytes(obj) > MAX_DATA_BYTES) causes.push(tooLong('data', MAX_DATA_BYTES));
  }
  return causes;
}

/** The 500 the API server answers when etcd refuses a write as too large. */
export function etcdRequestTooLarge(): StatusError {
  const status = makeStatus(500, '', 'etcdserver: request is too large');
  // StatusReasonUnknown is "", which the API server leaves out.
  delete status.reason;
  return new StatusError(status);
}

/**
 * Throws {@link etcdRequestTooLarge} when an object's stored form would exceed etcd's request
 * limit. Custom resources are stored as JSON; built-ins as protobuf, whose size `protobufSize`
 * gives (undefined for objects without a protobuf form), measured only when the JSON text is over
 * the limit (protobuf is rarely the larger; etcd's key and framing bytes are not counted).
 */
export function checkStoredSize(
  object: KubeObject,
  json: string,
  protobufSize: (object: KubeObject) => number | undefined,
  limit = ETCD_MAX_REQUEST_BYTES,
): void {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: most objects need no counting at all.
  if (json.length * 3 <= limit) return;
  if (Buffer.byteLength(json, 'utf8') <= limit) return;
  let size: number | undefined;
  try {
    size = protobufSize(object);
  } catch {
    size = undefined;
  }
  if (size === undefined || size > limit) throw etcdRequestTooLarge();
}
