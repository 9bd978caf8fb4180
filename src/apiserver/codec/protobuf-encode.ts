/**
 * JSON -> protobuf bytes, laid out as Go's generated marshallers lay out the object that
 * `encoding/json` would have decoded from the same JSON: fields in field-number order; non-pointer
 * scalars, strings and structs always written (zero when absent); pointers, `[]byte` and absent
 * slices and maps only when set; map entries sorted by key (bytewise, as gogo's `sortkeys`);
 * `Time` and `MicroTime` as `Timestamp` (nothing for the zero time), `IntOrString` with all three
 * fields, `Quantity` as its string, `RawExtension` / `FieldsV1` / apiextensions `JSON` as the
 * compact JSON text. JSON keys the schema does not know are dropped, as Go drops them.
 */
import type { JsonObject, JsonValue } from '../../core/index.js';
import { childPath, ProtobufEncodeError } from './protobuf-errors.js';
import type { ProtobufField, ProtobufMessage, ProtobufScalar } from './protobuf-schema.js';
import { parseGoDuration, parseRfc3339 } from './protobuf-time.js';
import { WIRE_BYTES, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT, WireWriter } from './protobuf-wire.js';

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeError(path: string, expected: string, value: JsonValue): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  throw new ProtobufEncodeError(`expected ${expected}, got ${got}`, path);
}

function wireOf(type: ProtobufScalar): number {
  if (type === 'double') return WIRE_FIXED64;
  if (type === 'float') return WIRE_FIXED32;
  if (type === 'string' || type === 'bytes') return WIRE_BYTES;
  return WIRE_VARINT;
}

function decodeBase64(text: string, path: string): Buffer {
  // encoding/json reads []byte with base64.StdEncoding (padding required); reject what it rejects.
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text.replace(/[\r\n]/g, ''))) {
    throw new ProtobufEncodeError('illegal base64 data', path);
  }
  return Buffer.from(text, 'base64');
}

/** The value written for a scalar; a JSON null or absent value is the zero value. */
function writeScalarValue(w: WireWriter, type: ProtobufScalar, value: JsonValue | undefined, path: string): void {
  const v = value ?? null;
  switch (type) {
    case 'string':
      if (v !== null && typeof v !== 'string') typeError(path, 'string', v);
      w.string(v ?? '');
      return;
    case 'bytes':
      if (v !== null && typeof v !== 'string') typeError(path, 'base64 string', v);
      w.bytes(v === null ? Buffer.alloc(0) : decodeBase64(v, path));
      return;
    case 'bool':
      if (v !== null && typeof v !== 'boolean') typeError(path, 'boolean', v);
      w.bool(v === true);
      return;
    case 'double':
    case 'float':
      if (v !== null && typeof v !== 'number') typeError(path, 'number', v);
      if (type === 'double') w.double(v ?? 0);
      else w.float(v ?? 0);
      return;
    default: {
      if (v !== null && (typeof v !== 'number' || !Number.isInteger(v))) typeError(path, 'integer', v);
      const n = v ?? 0;
      if ((type === 'int32' && (n < INT32_MIN || n > INT32_MAX)) || (type.startsWith('uint') && n < 0)) {
        throw new ProtobufEncodeError(`${n} does not fit ${type}`, path);
      }
      w.int64(n);
    }
  }
}

/** Bytewise (UTF-8) order, as Go sorts map keys. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function writeMessageField(
  w: WireWriter,
  number: number,
  message: ProtobufMessage,
  value: JsonValue | undefined,
  path: string,
) {
  w.tag(number, WIRE_BYTES);
  const start = w.beginMessage();
  writeMessage(w, message, value, path);
  w.endMessage(start);
}

function writeField(w: WireWriter, field: ProtobufField, json: JsonObject, path: string): void {
  const type = field.type;
  const here = childPath(path, field.jsonName);
  if (field.inline && typeof type !== 'string') {
    // An embedded struct: its JSON fields sit in this object.
    writeMessageField(w, field.number, type, json, path);
    return;
  }
  const value = Object.hasOwn(json, field.jsonName) ? json[field.jsonName] : undefined;
  if (field.mapKey !== undefined) {
    if (value === undefined || value === null) return;
    if (!isObject(value)) typeError(here, 'object', value);
    for (const key of Object.keys(value).sort(compareKeys)) {
      const item = value[key];
      // A nil []byte map value is left out of the entry; every other value is written.
      const writeValue = !(type === 'bytes' && item === null);
      w.tag(field.number, WIRE_BYTES);
      const start = w.beginMessage();
      w.tag(1, WIRE_BYTES);
      w.string(key);
      if (writeValue) {
        if (typeof type === 'string') {
          w.tag(2, wireOf(type));
          writeScalarValue(w, type, item, childPath(here, key));
        } else writeMessageField(w, 2, type, item, childPath(here, key));
      }
      w.endMessage(start);
    }
    return;
  }
  if (field.repeated) {
    if (value === undefined || value === null) return;
    if (!Array.isArray(value)) typeError(here, 'array', value);
    value.forEach((item, i) => {
      if (typeof type === 'string') {
        w.tag(field.number, wireOf(type));
        writeScalarValue(w, type, item, childPath(here, i));
      } else writeMessageField(w, field.number, type, item, childPath(here, i));
    });
    return;
  }
  if (typeof type === 'string') {
    // Pointers and []byte are written only when set; other scalars always.
    if ((field.pointer || type === 'bytes') && (value === undefined || value === null)) return;
    w.tag(field.number, wireOf(type));
    writeScalarValue(w, type, value, here);
    return;
  }
  // A non-pointer struct is always written, empty or not (a zero Time as a zero-length message).
  if (field.pointer && (value === undefined || value === null)) return;
  writeMessageField(w, field.number, type, value, here);
}

function writeCustom(w: WireWriter, message: ProtobufMessage, value: JsonValue | undefined, path: string): void {
  const v = value ?? null;
  switch (message.shortName) {
    case 'Time':
    case 'MicroTime': {
      if (v === null) return; // the zero time marshals to nothing
      if (typeof v !== 'string') typeError(path, 'RFC 3339 time string', v);
      const parsed = parseRfc3339(v);
      if (!parsed) throw new ProtobufEncodeError(`invalid time ${JSON.stringify(v)}`, path);
      w.tag(1, WIRE_VARINT);
      w.int64(parsed.seconds);
      w.tag(2, WIRE_VARINT);
      // Time keeps whole seconds (time_proto.go leaves Nanos out); MicroTime keeps the fraction.
      w.int64(message.shortName === 'MicroTime' ? parsed.nanos : 0);
      return;
    }
    case 'Duration': {
      let nanos = 0n;
      if (v !== null) {
        if (typeof v !== 'string') typeError(path, 'duration string', v);
        const parsed = parseGoDuration(v);
        if (parsed === undefined) throw new ProtobufEncodeError(`time: invalid duration ${JSON.stringify(v)}`, path);
        nanos = parsed;
      }
      w.tag(1, WIRE_VARINT);
      w.int64(nanos);
      return;
    }
    case 'IntOrString': {
      if (v !== null && typeof v !== 'number' && typeof v !== 'string') typeError(path, 'integer or string', v);
      const isString = typeof v === 'string';
      w.tag(1, WIRE_VARINT);
      w.int64(isString ? 1 : 0);
      w.tag(2, WIRE_VARINT);
      writeScalarValue(w, 'int32', isString ? 0 : v, path);
      w.tag(3, WIRE_BYTES);
      w.string(isString ? v : '');
      return;
    }
    case 'Quantity':
    case 'QuantityValue': {
      if (v !== null && typeof v !== 'string' && typeof v !== 'number') typeError(path, 'quantity', v);
      w.tag(1, WIRE_BYTES);
      w.string(v === null ? '0' : String(v));
      return;
    }
    case 'RawExtension':
    case 'FieldsV1':
    case 'JSON':
      if (v === null) return; // nil Raw
      w.tag(1, WIRE_BYTES);
      w.string(JSON.stringify(v));
      return;
    case 'JSONSchemaPropsOrBool': {
      const props = message.byNumber.get(2)!.type as ProtobufMessage;
      w.tag(1, WIRE_VARINT);
      // UnmarshalJSON: a schema object means Allows=true.
      w.bool(isObject(v) || v === true);
      if (isObject(v)) writeMessageField(w, 2, props, v, path);
      else if (v !== null && typeof v !== 'boolean') typeError(path, 'boolean or schema', v);
      return;
    }
    case 'JSONSchemaPropsOrArray': {
      const props = message.byNumber.get(1)!.type as ProtobufMessage;
      if (Array.isArray(v)) {
        for (const [i, item] of v.entries()) writeMessageField(w, 2, props, item, childPath(path, i));
      } else if (isObject(v)) writeMessageField(w, 1, props, v, path);
      else if (v !== null) typeError(path, 'schema or array of schemas', v);
      return;
    }
    case 'JSONSchemaPropsOrStringArray': {
      const props = message.byNumber.get(1)!.type as ProtobufMessage;
      if (Array.isArray(v)) {
        v.forEach((item, i) => {
          w.tag(2, WIRE_BYTES);
          writeScalarValue(w, 'string', item, childPath(path, i));
        });
      } else if (isObject(v)) writeMessageField(w, 1, props, v, path);
      else if (v !== null) typeError(path, 'schema or array of strings', v);
      return;
    }
    default:
      throw new ProtobufEncodeError(`no protobuf form for ${message.name}`, path);
  }
}

const numberOrder = new WeakMap<ProtobufMessage, readonly ProtobufField[]>();

/** Fields in the order Go writes them: by field number. */
function inNumberOrder(message: ProtobufMessage): readonly ProtobufField[] {
  let fields = numberOrder.get(message);
  if (fields === undefined) {
    fields = [...message.fields].sort((a, b) => a.number - b.number);
    numberOrder.set(message, fields);
  }
  return fields;
}

/** Writes a message's fields (no tag or length) from its JSON value. */
export function writeMessage(
  w: WireWriter,
  message: ProtobufMessage,
  value: JsonValue | undefined,
  path: string,
): void {
  if (message.form === 'custom') {
    writeCustom(w, message, value, path);
    return;
  }
  if (message.form === 'wrapper') {
    const only = message.fields[0];
    writeField(w, only, { [only.jsonName]: value ?? null }, path);
    return;
  }
  if (value !== undefined && value !== null && !isObject(value)) typeError(path, 'object', value);
  const json = value ?? {};
  for (const field of inNumberOrder(message)) writeField(w, field, json as JsonObject, path);
}

/**
 * Encodes a JSON value as the bytes of `message` (no envelope; see `encodeKubernetesProtobuf`
 * for a top-level object).
 *
 * @throws ProtobufEncodeError when a value does not fit the schema.
 */
export function encodeProtobufMessage(value: JsonValue, message: ProtobufMessage): Buffer {
  const w = new WireWriter();
  writeMessage(w, message, value, '');
  return w.finish();
}
