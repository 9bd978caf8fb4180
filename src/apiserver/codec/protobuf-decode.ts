/**
 * Protobuf bytes -> the JSON the API server would write for the same Go object. Two steps, as in
 * Go: the wire is read into per-message field stores (later occurrences of a message field merge
 * into earlier ones, repeated fields append, scalars overwrite: what the generated `Unmarshal`
 * methods do), then each store is written the way `encoding/json` writes the Go struct: fields in
 * declaration order, `omitempty` honoured, nil slices and maps as `null` unless omitted, structs
 * always written, embedded `json:",inline"` structs flattened, and the custom JSON of `Time`,
 * `MicroTime`, `Duration`, `IntOrString`, `Quantity`, `RawExtension`, `FieldsV1` and the
 * apiextensions `JSON` / `JSONSchemaPropsOr*` types.
 *
 * Hostile input: every length is checked before use, nesting is bounded ({@link MAX_DEPTH}) and so
 * is the number of JSON values a body may expand into (zero-filled structs can multiply a small
 * body), so a malformed or crafted body ends in a {@link ProtobufDecodeError}, never in a crash or
 * a large allocation.
 */

import type { JsonObject, JsonValue } from '../../core/index.js';
import { goJsonDepthMessage, jsonDepthViolation } from '../limits/nesting.js';
import { childPath, ProtobufDecodeError } from './protobuf-errors.js';
import type { ProtobufField, ProtobufMessage, ProtobufScalar } from './protobuf-schema.js';
import { formatGoDuration, formatRfc3339, GO_ZERO_TIME_SECONDS, secondsInRange } from './protobuf-time.js';
import {
  varintToInt32,
  varintToInt64,
  varintToUint32,
  varintToUint64,
  WIRE_BYTES,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_VARINT,
  WireReader,
} from './protobuf-wire.js';

/** How deep messages may nest in a body (a CRD's OpenAPI schema nests about three messages a level). */
export const MAX_DEPTH = 256;

/** A decoded scalar: numbers, strings and booleans as JSON has them; bytes as a view. */
type Scalar = number | string | boolean | Buffer;
type Stored = Scalar | Store | Stored[] | Map<string, Stored | undefined>;

/** The fields read for one message; `byteLength` is the size of its bytes on the wire. */
class Store {
  readonly values = new Map<number, Stored>();
  byteLength = 0;
}

interface DecodeState {
  /** JSON values still allowed (see {@link decodeProtobufMessage}). */
  budget: number;
}

const VARINT_SCALARS = new Set<ProtobufScalar>(['bool', 'int32', 'int64', 'uint32', 'uint64']);

function wireOf(type: ProtobufScalar): number {
  if (VARINT_SCALARS.has(type)) return WIRE_VARINT;
  if (type === 'double') return WIRE_FIXED64;
  if (type === 'float') return WIRE_FIXED32;
  return WIRE_BYTES;
}

/** Go's field name in its error texts: the exported name, which is the JSON name capitalised. */
function goFieldName(field: ProtobufField): string {
  return field.jsonName.charAt(0).toUpperCase() + field.jsonName.slice(1);
}

function readScalar(reader: WireReader, type: ProtobufScalar, field: ProtobufField): Scalar {
  switch (type) {
    case 'string':
      return reader.bytes().toString('utf8');
    case 'bytes':
      return reader.bytes();
    case 'bool': {
      const v = reader.varint();
      return typeof v === 'bigint' ? v !== 0n : v !== 0;
    }
    case 'int32':
      return varintToInt32(reader.varint());
    case 'int64':
      return varintToInt64(reader.varint());
    case 'uint32':
      return varintToUint32(reader.varint());
    case 'uint64':
      return varintToUint64(reader.varint());
    case 'double':
    case 'float': {
      const raw = type === 'double' ? reader.fixed64() : reader.fixed32();
      const v = type === 'double' ? raw.readDoubleLE(0) : raw.readFloatLE(0);
      // encoding/json cannot write these; the API server fails the same object.
      if (!Number.isFinite(v)) reader.fail(`json: unsupported value: ${v} (field ${goFieldName(field)})`);
      return v;
    }
  }
}

function readMessage(
  reader: WireReader,
  message: ProtobufMessage,
  into: Store | undefined,
  depth: number,
  state: DecodeState,
  path: string,
): Store {
  if (depth > MAX_DEPTH) reader.fail(`proto: messages nested deeper than ${MAX_DEPTH}`);
  const end = reader.lengthEnd();
  const store = into ?? new Store();
  store.byteLength += end - reader.pos;
  readFields(new WireReader(reader.buf, reader.pos, end, path), message, store, depth, state);
  reader.pos = end;
  return store;
}

function readMapEntry(
  reader: WireReader,
  field: ProtobufField,
  depth: number,
  state: DecodeState,
  path: string,
): [string, Stored | undefined] {
  const end = reader.lengthEnd();
  const entry = new WireReader(reader.buf, reader.pos, end, path);
  let key = '';
  let value: Stored | undefined;
  while (!entry.done) {
    const { number, wire } = entry.tag('MapEntry');
    if (number === 1) {
      if (wire !== WIRE_BYTES) entry.fail(`proto: wrong wireType = ${wire} for field ${goFieldName(field)}`);
      key = entry.bytes().toString('utf8');
    } else if (number === 2) {
      if (typeof field.type === 'string') {
        if (wire !== wireOf(field.type)) entry.fail(`proto: wrong wireType = ${wire} for field ${goFieldName(field)}`);
        value = readScalar(entry, field.type, field);
      } else {
        if (wire !== WIRE_BYTES) entry.fail(`proto: wrong wireType = ${wire} for field ${goFieldName(field)}`);
        value = readMessage(entry, field.type, value instanceof Store ? value : undefined, depth + 1, state, path);
      }
    } else entry.skip(wire);
  }
  reader.pos = end;
  return [key, value];
}

function readFields(reader: WireReader, message: ProtobufMessage, store: Store, depth: number, state: DecodeState) {
  while (!reader.done) {
    reader.field = undefined;
    const { number, wire } = reader.tag(message.shortName);
    const field = message.byNumber.get(number);
    if (field === undefined) {
      reader.skip(wire);
      continue;
    }
    const path = childPath(reader.path, field.jsonName);
    reader.field = field.jsonName;
    if (field.mapKey !== undefined) {
      if (wire !== WIRE_BYTES) reader.fail(`proto: wrong wireType = ${wire} for field ${goFieldName(field)}`);
      let map = store.values.get(number) as Map<string, Stored | undefined> | undefined;
      if (map === undefined) store.values.set(number, (map = new Map()));
      const [key, value] = readMapEntry(reader, field, depth, state, path);
      map.set(key, value);
      continue;
    }
    const type = field.type;
    if (typeof type === 'string') {
      const expected = wireOf(type);
      let list = field.repeated ? (store.values.get(number) as Scalar[] | undefined) : undefined;
      if (field.repeated && list === undefined) store.values.set(number, (list = []));
      if (wire === expected) {
        const value = readScalar(reader, type, field);
        if (list) list.push(value);
        else store.values.set(number, value);
      } else if (list && wire === WIRE_BYTES && expected !== WIRE_BYTES) {
        // A packed repeated scalar: Go's generated code accepts both forms.
        const end = reader.lengthEnd();
        const packed = new WireReader(reader.buf, reader.pos, end, path);
        while (!packed.done) list.push(readScalar(packed, type, field));
        reader.pos = end;
      } else reader.fail(`proto: wrong wireType = ${wire} for field ${goFieldName(field)}`);
      continue;
    }
    if (wire !== WIRE_BYTES) reader.fail(`proto: wrong wireType = ${wire} for field ${goFieldName(field)}`);
    if (field.repeated) {
      let list = store.values.get(number) as Stored[] | undefined;
      if (list === undefined) store.values.set(number, (list = []));
      list.push(readMessage(reader, type, undefined, depth + 1, state, childPath(path, list.length)));
    } else {
      const existing = store.values.get(number);
      const into = existing instanceof Store ? existing : undefined;
      store.values.set(number, readMessage(reader, type, into, depth + 1, state, path));
    }
  }
}

// ---- JSON view ------------------------------------------------------------------------------

function isZeroScalar(v: JsonValue): boolean {
  return v === '' || v === 0 || v === false;
}

function zeroOf(type: ProtobufScalar): JsonValue {
  if (type === 'string') return '';
  if (type === 'bool') return false;
  if (type === 'bytes') return null; // a nil []byte
  return 0;
}

/** Sets a key from the input as an own property (a map key `__proto__` must not reach the prototype). */
function setOwn(out: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

function scalarJson(v: Scalar): JsonValue {
  return Buffer.isBuffer(v) ? v.toString('base64') : v;
}

function fail(path: string, message: string): never {
  throw new ProtobufDecodeError(message, path);
}

/**
 * Counts JSON values as they are written. Reading allocates no more than the input's size, but
 * writing the JSON view can (absent structs are written zero-filled, as Go does), so the values
 * a body may expand into are bounded.
 */
function spend(state: DecodeState, path: string, count: number): void {
  state.budget -= count;
  if (state.budget < 0) fail(path, 'proto: the body expands into more JSON values than allowed');
}

function parseEmbeddedJson(raw: Buffer, path: string, what: string): JsonValue {
  // Nesting past the limit fails as Go's JSON reader fails it, before anything recursive runs.
  const deep = jsonDepthViolation(raw);
  if (deep) return fail(path, goJsonDepthMessage(deep));
  try {
    return JSON.parse(raw.toString('utf8')) as JsonValue;
  } catch {
    // encoding/json refuses a MarshalJSON result that is not JSON; so does the server's answer.
    return fail(path, `json: error calling MarshalJSON for type ${what}: invalid character in raw JSON`);
  }
}

function customJson(store: Store | undefined, message: ProtobufMessage, path: string, state: DecodeState): JsonValue {
  const v = store?.values;
  const name = message.name;
  const short = message.shortName;
  switch (short) {
    case 'Time':
    case 'MicroTime': {
      // Time.Unmarshal: no bytes is the zero time (JSON null); otherwise seconds (Time drops nanos).
      if (store === undefined || store.byteLength === 0) return null;
      const seconds = (v?.get(1) as number | undefined) ?? 0;
      const nanos = short === 'MicroTime' ? ((v?.get(2) as number | undefined) ?? 0) : 0;
      if (short === 'Time' && seconds === GO_ZERO_TIME_SECONDS) return null;
      if (!secondsInRange(seconds) || nanos < 0 || nanos > 999_999_999) fail(path, `time out of range: ${seconds}s`);
      return short === 'Time' ? formatRfc3339(seconds) : formatRfc3339(seconds, Math.floor(nanos / 1000));
    }
    case 'Duration':
      return formatGoDuration(BigInt((v?.get(1) as number | undefined) ?? 0));
    case 'IntOrString': {
      const type = (v?.get(1) as number | undefined) ?? 0;
      // IntOrString.MarshalJSON: Int writes intVal, String writes strVal, anything else fails.
      if (type === 0) return (v?.get(2) as number | undefined) ?? 0;
      if (type === 1) return (v?.get(3) as string | undefined) ?? '';
      return fail(path, 'impossible IntOrString.Type');
    }
    case 'Quantity':
    case 'QuantityValue':
      // The API server writes the canonical form of the parsed quantity; this view keeps the text.
      return (v?.get(1) as string | undefined) ?? '0';
    case 'RawExtension':
    case 'FieldsV1':
    case 'JSON': {
      const raw = v?.get(1) as Buffer | undefined;
      if (raw === undefined || (short === 'JSON' && raw.length === 0)) return null;
      if (raw.length === 0)
        fail(path, `json: error calling MarshalJSON for type ${short}: unexpected end of JSON input`);
      return parseEmbeddedJson(raw, path, name);
    }
    case 'JSONSchemaPropsOrBool': {
      const schema = v?.get(2) as Store | undefined;
      const propsType = message.byNumber.get(2)!.type as ProtobufMessage;
      if (schema !== undefined) return messageJson(schema, propsType, path, state);
      return (v?.get(1) as boolean | undefined) ?? false;
    }
    case 'JSONSchemaPropsOrArray': {
      const schemas = v?.get(2) as Store[] | undefined;
      const propsType = message.byNumber.get(1)!.type as ProtobufMessage;
      if (schemas && schemas.length > 0)
        return schemas.map((s, i) => messageJson(s, propsType, childPath(path, i), state));
      const schema = v?.get(1) as Store | undefined;
      return schema === undefined ? null : messageJson(schema, propsType, path, state);
    }
    case 'JSONSchemaPropsOrStringArray': {
      const property = v?.get(2) as string[] | undefined;
      if (property && property.length > 0) return property;
      const schema = v?.get(1) as Store | undefined;
      const propsType = message.byNumber.get(1)!.type as ProtobufMessage;
      return schema === undefined ? null : messageJson(schema, propsType, path, state);
    }
    default:
      return fail(path, `no JSON form for ${name}`);
  }
}

/** One field's JSON value, or undefined when encoding/json leaves it out. */
function fieldJson(field: ProtobufField, stored: Stored | undefined, path: string, state: DecodeState) {
  const type = field.type;
  if (field.mapKey !== undefined || field.repeated) {
    const empty =
      stored === undefined || (stored instanceof Map ? stored.size === 0 : (stored as Stored[]).length === 0);
    if (empty) return field.omitEmpty ? undefined : null; // a nil slice or map
    spend(state, path, stored instanceof Map ? stored.size : (stored as Stored[]).length);
    if (stored instanceof Map) {
      const out: JsonObject = {};
      // encoding/json writes map keys sorted.
      for (const key of [...stored.keys()].sort()) {
        const value = stored.get(key);
        setOwn(
          out,
          key,
          typeof type === 'string'
            ? value === undefined
              ? type === 'bytes'
                ? '' // Go starts a map entry's bytes value as []byte{}
                : zeroOf(type)
              : scalarJson(value as Scalar)
            : messageJson(value as Store | undefined, type, childPath(path, key), state),
        );
      }
      return out;
    }
    return (stored as Stored[]).map((item, i) =>
      typeof type === 'string'
        ? scalarJson(item as Scalar)
        : messageJson(item as Store, type, childPath(path, i), state),
    );
  }
  if (typeof type === 'string') {
    if (stored === undefined) {
      if (field.pointer) return field.omitEmpty ? undefined : null;
      const zero = zeroOf(type);
      return field.omitEmpty && (zero === null || isZeroScalar(zero)) ? undefined : zero;
    }
    const value = scalarJson(stored as Scalar);
    if (field.omitEmpty && !field.pointer && (isZeroScalar(value) || (type === 'bytes' && value === '')))
      return undefined;
    return value;
  }
  if (stored === undefined && field.pointer) return field.omitEmpty ? undefined : null;
  // A struct (pointer or not) is always written; omitempty does not apply to structs.
  const json = messageJson(stored as Store | undefined, type, path, state);
  if (type.form === 'wrapper' && field.omitEmpty && (json === null || (Array.isArray(json) && json.length === 0)))
    return undefined;
  return json;
}

/** A message's JSON value (for `kind`/`struct` forms an object, for others per their rule). */
function messageJson(store: Store | undefined, message: ProtobufMessage, path: string, state: DecodeState): JsonValue {
  if (message.form === 'custom') return customJson(store, message, path, state);
  if (message.form === 'wrapper') {
    const only = message.fields[0];
    const json = fieldJson({ ...only, omitEmpty: false }, store?.values.get(only.number), path, state);
    return json === undefined ? null : json;
  }
  const out: JsonObject = {};
  writeFields(out, store, message, path, state);
  return out;
}

function writeFields(
  out: JsonObject,
  store: Store | undefined,
  message: ProtobufMessage,
  path: string,
  state: DecodeState,
) {
  for (const field of message.fields) {
    if (field.hidden) continue;
    const stored = store?.values.get(field.number);
    if (field.inline && typeof field.type !== 'string') {
      writeFields(out, stored as Store | undefined, field.type, path, state);
      continue;
    }
    const json = fieldJson(field, stored, childPath(path, field.jsonName), state);
    if (json !== undefined) {
      spend(state, path, 1);
      out[field.jsonName] = json;
    }
  }
}

/** Options of {@link decodeProtobufMessage}. */
export interface DecodeOptions {
  /**
   * How many JSON values (object fields, array elements, map entries) the body may expand into.
   * Default: 4096 plus one per byte of input. A body written by Go stays well under it (Go writes
   * every non-pointer field, so nearly every value has at least two bytes on the wire); a body
   * crafted to leave out fields that Go fills with zero values (thousands of empty containers,
   * each written back with its name, resources, ...) does not.
   */
  maxValues?: number;
}

/**
 * Decodes one message's bytes (no envelope) into the JSON Go's `encoding/json` would write for
 * the decoded object. `kind` messages carry no TypeMeta on the wire: the caller adds
 * `apiVersion`/`kind` (see `decodeKubernetesProtobuf`).
 *
 * @throws ProtobufDecodeError for any malformed input.
 */
export function decodeProtobufMessage(bytes: Buffer, message: ProtobufMessage, options: DecodeOptions = {}): JsonValue {
  const state: DecodeState = { budget: options.maxValues ?? 4096 + bytes.length };
  const store = new Store();
  store.byteLength = bytes.length;
  readFields(new WireReader(bytes), message, store, 0, state);
  return messageJson(store, message, '', state);
}
