/**
 * Protobuf on the HTTP path: request bodies of any built-in kind in (`Content-Type:
 * application/vnd.kubernetes.protobuf`, what client-go 1.32+ typed clients send: kubectl create,
 * helm's release Secrets), and objects, lists, Status errors and watch events out when `Accept`
 * prefers protobuf. The wire format itself is `protobuf-codec.ts` and its schema table; this file
 * turns its failures into the Statuses kube-apiserver answers.
 *
 * - A body that does not decode is a 400 built as `handlers/rest.go` `transformDecodeError` builds
 *   it: `Deployment in version "v1" cannot be handled as a Deployment: unexpected EOF`, or, when
 *   the envelope itself is bad, `the object provided is unrecognized (must be of type Deployment):
 *   <error> (<first 30 bytes in hex>)`.
 * - A custom resource has no protobuf form: its protobuf body fails in the CRD handler's
 *   decoder, whose typer cannot type the empty `Unstructured` it decodes into (derived from
 *   apiextensions-apiserver `customresource_handler.go` and apimachinery `protobuf.go`).
 * - `DeleteOptions` decode under any apiVersion (`v1`, the resource's group-version or
 *   `meta.k8s.io/v1`), for every resource; a bad DELETE body is the raw decoder error, which
 *   the API server answers as a 500 (`handlers/delete.go` passes it to `scope.err` as is).
 */
import { type JsonObject, type KubeObject, makeStatus } from '../../core/index.js';
import { badRequest, StatusError } from '../errors/status-errors.js';
import {
  decodeKubernetesProtobuf,
  encodeKubernetesProtobuf,
  encodeWatchFrame,
  PROTOBUF_MEDIA_TYPE,
  PROTOBUF_PREFIX,
  ProtobufDecodeError,
  ProtobufEncodeError,
  protobufMessageForKind,
  readProtobufEnvelope,
} from './protobuf-codec.js';

export { PROTOBUF_MEDIA_TYPE, PROTOBUF_WATCH_MEDIA_TYPE } from './protobuf-codec.js';

/** True when a Content-Type (parameters ignored) is the Kubernetes protobuf media type. */
export function isProtobufMediaType(mediaType: string): boolean {
  return mediaType === PROTOBUF_MEDIA_TYPE;
}

/** True when `body` starts with the `k8s\0` prefix of a Kubernetes protobuf body. */
export function hasProtobufPrefix(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(PROTOBUF_PREFIX);
}

/** What a create or update endpoint expects. */
export interface ProtobufEndpoint {
  apiVersion: string;
  kind: string;
  /** A custom resource (no protobuf form). */
  custom: boolean;
}

/** `summarizeData(body, 30)` of `handlers/rest.go`: hex of the first 30 bytes. */
function summary(body: Buffer): string {
  if (body.length === 0) return '<empty>';
  if (body.length > 30) return `${body.subarray(0, 30).toString('hex')} ...`;
  return body.toString('hex');
}

function versionOf(apiVersion: string): string {
  return apiVersion.slice(apiVersion.indexOf('/') + 1);
}

/** Where the legacy scheme registers the built-in kinds (quoted by "no kind is registered" errors). */
const LEGACY_SCHEME = 'pkg/api/legacyscheme/scheme.go:30';
/** Where the meta scheme DELETE bodies are decoded with is created (`metainternalversionscheme`). */
const META_SCHEME = 'pkg/apis/meta/internalversion/scheme/register.go:27';

/**
 * Decodes a protobuf create or update body into the object's JSON form.
 *
 * @throws StatusError 400 with the API server's text when the body does not decode.
 */
export function decodeProtobufObject(body: Buffer, endpoint: ProtobufEndpoint): KubeObject {
  let typeMeta: { apiVersion: string; kind: string };
  try {
    typeMeta = readProtobufEnvelope(body).typeMeta;
  } catch (err) {
    if (!(err instanceof ProtobufDecodeError)) throw err;
    throw badRequest(
      `the object provided is unrecognized (must be of type ${endpoint.kind}): ${err.message} (${summary(body)})`,
    );
  }
  // The endpoint fills what the envelope leaves empty (`copyKindDefaults`).
  const kind = typeMeta.kind === '' ? endpoint.kind : typeMeta.kind;
  const apiVersion = typeMeta.apiVersion === '' ? endpoint.apiVersion : typeMeta.apiVersion;
  const cannot = (why: string) =>
    badRequest(
      `${kind} in version ${JSON.stringify(versionOf(apiVersion))} cannot be handled as a ${endpoint.kind}: ${why}`,
    );
  if (endpoint.custom) throw cannot("Object 'Kind' is missing in 'object has no kind field '");
  try {
    return decodeKubernetesProtobuf(body, { defaults: { apiVersion, kind } }) as KubeObject;
  } catch (err) {
    if (!(err instanceof ProtobufDecodeError)) throw err;
    if (err.reason === 'unknownKind') {
      throw cannot(
        `no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} in scheme ${JSON.stringify(LEGACY_SCHEME)}`,
      );
    }
    throw cannot(err.message);
  }
}

/**
 * Decodes a protobuf `DeleteOptions` body (any resource, any of the apiVersions the meta scheme
 * registers it under).
 *
 * @throws StatusError 500 with the decoder's text (reason empty), as the API server answers an
 * undecodable DELETE body.
 */
export function decodeProtobufDeleteOptions(body: Buffer): JsonObject {
  try {
    // The meta scheme knows DeleteOptions under any version and no other kind
    // (`runtime.UseOrCreateObject` -> `Scheme.New`): a body naming another is never read as one.
    const { kind, apiVersion } = readProtobufEnvelope(body).typeMeta;
    if (kind !== '' && kind !== 'DeleteOptions') {
      throw new StatusError(
        makeStatus(
          500,
          '',
          `no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} in scheme ${JSON.stringify(META_SCHEME)}`,
        ),
      );
    }
    return decodeKubernetesProtobuf(body, {
      defaults: { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions' },
      message: protobufMessageForKind('meta.k8s.io/v1', 'DeleteOptions'),
    });
  } catch (err) {
    if (!(err instanceof ProtobufDecodeError)) throw err;
    throw new StatusError(makeStatus(500, '', err.message));
  }
}

/**
 * An object (a built-in kind, a list, a Status, PartialObjectMetadata) as a protobuf body, or
 * undefined when it has no protobuf form (a custom resource, a Table) or does not fit its
 * schema: the caller answers in JSON then.
 */
export function encodeProtobufObject(object: JsonObject): Buffer | undefined {
  try {
    return encodeKubernetesProtobuf(object);
  } catch (err) {
    if (err instanceof ProtobufEncodeError) return undefined;
    throw err;
  }
}

/** One frame of a protobuf watch stream, or undefined when the object has no protobuf form. */
export function encodeProtobufWatchFrame(type: string, object: JsonObject): Buffer | undefined {
  try {
    return encodeWatchFrame(type, object);
  } catch (err) {
    if (err instanceof ProtobufEncodeError) return undefined;
    throw err;
  }
}

/** True when objects of `apiVersion`/`kind` have a protobuf form (built-in kinds). */
export function hasProtobufForm(apiVersion: string, kind: string): boolean {
  return protobufMessageForKind(apiVersion, kind) !== undefined;
}
