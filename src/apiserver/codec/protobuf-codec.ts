/**
 * Kubernetes protobuf bodies (`application/vnd.kubernetes.protobuf`) and watch streams
 * (`...;stream=watch`), for any kind in the generated schema table, as JSON objects in and out.
 *
 * A body is `k8s\0` followed by a `runtime.Unknown` whose `typeMeta` names the kind and whose
 * `raw` holds the object's message (apimachinery `runtime/serializer/protobuf`). A watch stream is
 * a sequence of frames, each a 4-byte big-endian length and a `metav1.WatchEvent` written without
 * the envelope, whose `object.raw` is the full enveloped object (`util/framer`).
 *
 * This is the door the HTTP layer uses: decode request bodies with
 * {@link decodeKubernetesProtobuf} (a {@link ProtobufDecodeError} is a 400), encode answers with
 * {@link encodeKubernetesProtobuf} and watch events with {@link encodeWatchFrame} (a
 * {@link ProtobufEncodeError} means "answer in JSON instead").
 */
import type { JsonObject } from '../../core/index.js';
import { decodeProtobufMessage } from './protobuf-decode.js';
import { encodeProtobufMessage } from './protobuf-encode.js';
import { ProtobufDecodeError, ProtobufEncodeError } from './protobuf-errors.js';
import { type ProtobufMessage, protobufMessageForKind } from './protobuf-schema.js';
import { WIRE_BYTES, WireReader, WireWriter } from './protobuf-wire.js';

export { MAX_DEPTH } from './protobuf-decode.js';
export { ProtobufDecodeError, ProtobufEncodeError } from './protobuf-errors.js';
export {
  type ProtobufMessage,
  protobufKinds,
  protobufMessage,
  protobufMessageForKind,
  protobufSchemaSources,
} from './protobuf-schema.js';
export { decodeProtobufMessage, encodeProtobufMessage };

/** The media type of protobuf bodies. */
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
/** The media type of protobuf watch streams. */
export const PROTOBUF_WATCH_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf;stream=watch';
/** `k8s` and the encoding-style byte 0: the first four bytes of every protobuf body. */
export const PROTOBUF_PREFIX: Buffer = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The type of a body, as `typeMeta` said it (or as defaulted from the endpoint). */
export interface ProtobufTypeMeta {
  apiVersion: string;
  kind: string;
}

/** Options of {@link decodeKubernetesProtobuf}. */
export interface DecodeBodyOptions {
  /**
   * What the endpoint expects, filling an empty `typeMeta` field as the API server's
   * `copyKindDefaults` does (a body with no kind is read as the endpoint's kind).
   */
  defaults?: Partial<ProtobufTypeMeta>;
  /**
   * Decode `raw` as this message whatever `typeMeta` says (e.g. `DeleteOptions`, which the API
   * server accepts under any apiVersion). Default: the message of `typeMeta`'s kind.
   */
  message?: ProtobufMessage;
  /** See `DecodeOptions.maxValues`. */
  maxValues?: number;
}

interface Unknown {
  apiVersion: string;
  kind: string;
  raw: Buffer | undefined;
}

function readUnknown(data: Buffer): Unknown {
  const reader = new WireReader(data);
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  while (!reader.done) {
    const { number, wire } = reader.tag('Unknown');
    if (number <= 4 && wire !== WIRE_BYTES) {
      const names = ['', 'TypeMeta', 'Raw', 'ContentEncoding', 'ContentType'];
      reader.fail(`proto: wrong wireType = ${wire} for field ${names[number]}`);
    }
    if (number === 1) {
      const typeMeta = new WireReader(data, 0, reader.lengthEnd());
      typeMeta.pos = reader.pos;
      while (!typeMeta.done) {
        const tag = typeMeta.tag('TypeMeta');
        if (tag.number <= 2 && tag.wire !== WIRE_BYTES)
          typeMeta.fail(`proto: wrong wireType = ${tag.wire} for field ${tag.number === 1 ? 'APIVersion' : 'Kind'}`);
        if (tag.number === 1) apiVersion = typeMeta.bytes().toString('utf8');
        else if (tag.number === 2) kind = typeMeta.bytes().toString('utf8');
        else typeMeta.skip(tag.wire);
      }
      reader.pos = typeMeta.end;
    } else if (number === 2) raw = reader.bytes();
    else reader.skip(wire);
  }
  return { apiVersion, kind, raw };
}

function typeMetaText(apiVersion: string, kind: string): string {
  return `runtime.TypeMeta{APIVersion:${JSON.stringify(apiVersion)}, Kind:${JSON.stringify(kind)}}`;
}

/** Reads the envelope only: the kind a body names and its object's bytes. */
export function readProtobufEnvelope(body: Buffer): { typeMeta: ProtobufTypeMeta; raw: Buffer } {
  // The API server's texts (runtime/serializer/protobuf/protobuf.go).
  if (body.length === 0) throw new ProtobufDecodeError('empty data');
  if (body.length < PROTOBUF_PREFIX.length || !body.subarray(0, 4).equals(PROTOBUF_PREFIX)) {
    throw new ProtobufDecodeError(
      'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]',
    );
  }
  if (body.length === PROTOBUF_PREFIX.length) throw new ProtobufDecodeError('empty body');
  const unknown = readUnknown(body.subarray(4));
  return {
    typeMeta: { apiVersion: unknown.apiVersion, kind: unknown.kind },
    raw: unknown.raw ?? Buffer.alloc(0),
  };
}

/**
 * Decodes a protobuf request body into the JSON object the same request would have carried in
 * JSON (`kind` and `apiVersion` first, then the fields as Go's `encoding/json` writes them).
 *
 * @throws ProtobufDecodeError for a malformed body (the API server answers 400 BadRequest), with
 * `reason` `unknownKind` when the kind has no protobuf form (a custom resource: see the
 * `notProtobufMarshalable` text upstream gives) and `missingKind` when no kind is named.
 */
export function decodeKubernetesProtobuf(body: Buffer, options: DecodeBodyOptions = {}): JsonObject {
  const { typeMeta, raw } = readProtobufEnvelope(body);
  let { apiVersion, kind } = typeMeta;
  if (kind === '') kind = options.defaults?.kind ?? '';
  if (apiVersion === '') apiVersion = options.defaults?.apiVersion ?? '';
  if (kind === '') {
    throw new ProtobufDecodeError(
      `Object 'Kind' is missing in '${typeMetaText(typeMeta.apiVersion, typeMeta.kind)}'`,
      '',
      'missingKind',
    );
  }
  if (apiVersion === '') {
    throw new ProtobufDecodeError(
      `Object 'apiVersion' is missing in '${typeMetaText(typeMeta.apiVersion, typeMeta.kind)}'`,
      '',
      'missingKind',
    );
  }
  const message = options.message ?? protobufMessageForKind(apiVersion, kind);
  if (message === undefined) {
    throw new ProtobufDecodeError(`no kind "${kind}" is registered for version "${apiVersion}"`, '', 'unknownKind');
  }
  const fields = decodeProtobufMessage(
    raw,
    message,
    options.maxValues === undefined ? {} : { maxValues: options.maxValues },
  );
  return { kind, apiVersion, ...(fields as JsonObject) };
}

/** The message a JSON object encodes as, by its `apiVersion` and `kind`. */
function messageOf(object: JsonObject): ProtobufMessage {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    throw new ProtobufEncodeError('an object needs apiVersion and kind to be encoded');
  }
  const message = protobufMessageForKind(apiVersion, kind);
  if (message === undefined) throw new ProtobufEncodeError(`${apiVersion}, Kind=${kind} has no protobuf form`);
  return message;
}

/**
 * Encodes an object (a built-in kind, a list, `Status`, ...) as a protobuf body: the envelope
 * with `typeMeta` from the object's `apiVersion` and `kind`, and the object's message, byte for
 * byte what the API server writes for the same object.
 *
 * @throws ProtobufEncodeError for a kind without a protobuf form (a custom resource, `Table`)
 * or a value that does not fit the schema; the caller answers in JSON instead.
 */
export function encodeKubernetesProtobuf(object: JsonObject, message: ProtobufMessage = messageOf(object)): Buffer {
  const raw = encodeProtobufMessage(object, message);
  const w = new WireWriter(raw.length + 64);
  w.raw(PROTOBUF_PREFIX);
  // runtime.Unknown, as Unknown.MarshalToSizedBuffer writes it: typeMeta, raw, and always the
  // two empty strings contentEncoding and contentType.
  w.tag(1, WIRE_BYTES);
  const start = w.beginMessage();
  w.tag(1, WIRE_BYTES);
  w.string(String(object.apiVersion ?? ''));
  w.tag(2, WIRE_BYTES);
  w.string(String(object.kind ?? ''));
  w.endMessage(start);
  w.tag(2, WIRE_BYTES);
  w.bytes(raw);
  w.tag(3, WIRE_BYTES);
  w.string('');
  w.tag(4, WIRE_BYTES);
  w.string('');
  return w.finish();
}

/** A watch event as the stream carries it. */
export interface ProtobufWatchEvent {
  type: string;
  object: JsonObject;
}

/**
 * One frame of a protobuf watch stream: the 4-byte big-endian length, then the `WatchEvent`
 * (`type`, and `object.raw` holding the enveloped object).
 *
 * @throws ProtobufEncodeError when the object has no protobuf form.
 */
export function encodeWatchFrame(type: string, object: JsonObject): Buffer {
  const enveloped = encodeKubernetesProtobuf(object);
  const w = new WireWriter(enveloped.length + 32);
  w.raw(Buffer.alloc(4)); // the frame length, written last
  w.tag(1, WIRE_BYTES);
  w.string(type);
  w.tag(2, WIRE_BYTES);
  const start = w.beginMessage();
  w.tag(1, WIRE_BYTES);
  w.bytes(enveloped);
  w.endMessage(start);
  const frame = w.finish();
  frame.writeUInt32BE(frame.length - 4, 0);
  return frame;
}

/**
 * Reads the complete frames at the start of `stream` (for clients and tests). Returns the events
 * and how many bytes they used; an incomplete frame at the end is left for the next call.
 *
 * @throws ProtobufDecodeError for a malformed frame or one longer than `maxFrameBytes`.
 */
export function decodeWatchFrames(
  stream: Buffer,
  maxFrameBytes = 16 * 1024 * 1024,
): { events: ProtobufWatchEvent[]; used: number } {
  const events: ProtobufWatchEvent[] = [];
  let used = 0;
  while (stream.length - used >= 4) {
    const length = stream.readUInt32BE(used);
    if (length > maxFrameBytes)
      throw new ProtobufDecodeError(`watch frame of ${length} bytes exceeds ${maxFrameBytes}`);
    if (stream.length - used - 4 < length) break;
    const reader = new WireReader(stream, used + 4, used + 4 + length);
    let type = '';
    let object: JsonObject | undefined;
    while (!reader.done) {
      const tag = reader.tag('WatchEvent');
      if (tag.wire !== WIRE_BYTES && tag.number <= 2)
        reader.fail(`proto: wrong wireType = ${tag.wire} for field ${tag.number === 1 ? 'Type' : 'Object'}`);
      if (tag.number === 1) type = reader.bytes().toString('utf8');
      else if (tag.number === 2) {
        const raw = new WireReader(stream, 0, reader.lengthEnd());
        raw.pos = reader.pos;
        while (!raw.done) {
          const inner = raw.tag('RawExtension');
          if (inner.number === 1 && inner.wire === WIRE_BYTES) object = decodeKubernetesProtobuf(raw.bytes());
          else raw.skip(inner.wire);
        }
        reader.pos = raw.end;
      } else reader.skip(tag.wire);
    }
    if (object === undefined) throw new ProtobufDecodeError('watch event without an object');
    events.push({ type, object });
    used += 4 + length;
  }
  return { events, used };
}
