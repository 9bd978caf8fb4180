/**
 * Errors of the protobuf codec. Decoding a client's body can fail in many ways (it is hostile
 * input); each is a {@link ProtobufDecodeError} the HTTP layer answers with a 400 BadRequest, as
 * the API server does for an undecodable body. Encoding fails only for values the schema cannot
 * carry (a string where a number belongs, a custom resource): {@link ProtobufEncodeError}, after
 * which the emulator answers in JSON.
 */
import { KloopError } from '../../core/index.js';

/**
 * A protobuf body that cannot be decoded (code `KLOOP_PROTOBUF_INVALID`). `message` follows the
 * text of Go's generated unmarshallers where one exists (`unexpected EOF`, `proto: wrong wireType
 * = 2 for field Replicas`, ...) so the 400 reads like the real server's; `path` locates the field.
 */
export class ProtobufDecodeError extends KloopError {
  /** Where in the object the failure is, e.g. `spec.template.spec.containers[0].ports`; '' at the top. */
  readonly path: string;
  /**
   * `malformed`: the bytes are not a valid message. `missingKind`: the envelope names no kind or
   * apiVersion (and the endpoint gave none). `unknownKind`: the kind has no protobuf form (custom
   * resources), which the API server reports as "does not implement the protobuf marshalling
   * interface".
   */
  readonly reason: ProtobufDecodeFailure;

  constructor(message: string, path = '', reason: ProtobufDecodeFailure = 'malformed') {
    super('KLOOP_PROTOBUF_INVALID', message);
    this.path = path;
    this.reason = reason;
  }
}

/** Why a protobuf body could not be decoded (see {@link ProtobufDecodeError.reason}). */
export type ProtobufDecodeFailure = 'malformed' | 'missingKind' | 'unknownKind';

/**
 * A JSON value the protobuf schema cannot carry (code `KLOOP_PROTOBUF_UNENCODABLE`): a kind with
 * no protobuf form, or a field whose value has the wrong type. The emulator then answers in JSON.
 */
export class ProtobufEncodeError extends KloopError {
  /** Where in the object the value is; '' at the top. */
  readonly path: string;

  constructor(message: string, path = '') {
    super('KLOOP_PROTOBUF_UNENCODABLE', path === '' ? message : `${path}: ${message}`);
    this.path = path;
  }
}

/** Appends a field name or index to a path, the way messages print it. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}
