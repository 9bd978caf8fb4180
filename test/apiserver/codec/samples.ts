// Sample objects generated from the protobuf schema table: every field set to a non-zero value
// (so nothing is left out by omitempty), in the JSON form Go's encoding/json writes, so that
// JSON -> protobuf -> JSON must give the sample back unchanged.

import type { ProtobufField, ProtobufMessage, ProtobufScalar } from '../../../src/apiserver/codec/protobuf-schema.js';
import type { JsonObject, JsonValue } from '../../../src/core/index.js';

/**
 * How often one message may appear on the path from the root: optional (pointer, repeated, map)
 * fields of a message seen this often stay unset, which ends recursive types (JSONSchemaProps)
 * after one nested level without leaving a non-recursive field unfilled.
 */
const MAX_REPEATS = 2;
const onPath = new Map<ProtobufMessage, number>();

function scalarSample(type: ProtobufScalar, seed: number): JsonValue {
  switch (type) {
    case 'string':
      return `s${seed}`;
    case 'bool':
      return true;
    case 'int32':
    case 'uint32':
      return 7 + seed;
    case 'int64':
    case 'uint64':
      return 1_700_000_000_123 + seed; // past 32 bits
    case 'double':
    case 'float':
      return 1.5;
    case 'bytes':
      return Buffer.from(`bytes-${seed}`).toString('base64');
  }
}

function shortName(message: ProtobufMessage): string {
  return message.name.slice(message.name.lastIndexOf('.') + 1);
}

/** The JSON view of a field Go leaves unset (what the decoder writes for it). */
function unsetValue(field: ProtobufField): JsonValue | undefined {
  if (field.repeated || field.mapKey !== undefined || field.pointer) return field.omitEmpty ? undefined : null;
  return undefined;
}

function customSample(message: ProtobufMessage, depth: number, seed: number): JsonValue {
  const props = () => {
    const field = message.fields.find((f) => typeof f.type !== 'string');
    return messageSample(field!.type as ProtobufMessage, depth + 1, seed);
  };
  switch (shortName(message)) {
    case 'Time':
      return '2024-05-01T10:00:00Z';
    case 'MicroTime':
      return '2024-05-01T10:00:00.123456Z';
    case 'Duration':
      return '1h2m3.5s';
    case 'IntOrString':
      return seed % 2 === 0 ? 8080 : 'http';
    case 'Quantity':
    case 'QuantityValue':
      return '500m';
    case 'RawExtension':
      return { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } };
    case 'FieldsV1':
      return { 'f:metadata': { 'f:labels': {} } };
    case 'JSON':
      return { x: [1, 'two', null] };
    case 'JSONSchemaPropsOrBool':
      return seed % 2 === 0 ? false : props();
    case 'JSONSchemaPropsOrArray':
      return seed % 2 === 0 ? [props()] : props();
    case 'JSONSchemaPropsOrStringArray':
      return seed % 2 === 0 ? ['a', 'b'] : props();
    default:
      throw new Error(`no sample for ${message.name}`);
  }
}

/** The message whose recursion a field continues: for JSONSchemaPropsOr* the schema inside. */
function recursionKey(message: ProtobufMessage): ProtobufMessage {
  if (message.form !== 'custom') return message;
  const inner = message.fields.find((f) => typeof f.type !== 'string');
  return (inner?.type as ProtobufMessage | undefined) ?? message;
}

function fieldSample(field: ProtobufField, depth: number, seed: number): JsonValue | undefined {
  const type = field.type;
  const one = (s: number): JsonValue =>
    typeof type === 'string' ? scalarSample(type, s) : messageSample(type, depth + 1, s);
  const optional = field.pointer || field.repeated || field.mapKey !== undefined;
  if (typeof type !== 'string' && optional && (onPath.get(recursionKey(type)) ?? 0) >= MAX_REPEATS) {
    return unsetValue(field);
  }
  if (field.mapKey !== undefined) return { k1: one(seed), k2: one(seed + 1) };
  if (field.repeated) return [one(seed), one(seed + 1)];
  return one(seed);
}

/** A sample JSON value of a message (an object for structs). */
export function messageSample(message: ProtobufMessage, depth = 0, seed = 0): JsonValue {
  onPath.set(message, (onPath.get(message) ?? 0) + 1);
  try {
    if (message.form === 'custom') return customSample(message, depth, seed);
    if (message.form === 'wrapper') return fieldSample({ ...message.fields[0], repeated: true }, depth, seed) ?? null;
    const out: JsonObject = {};
    writeSampleFields(out, message, depth, seed);
    return out;
  } finally {
    onPath.set(message, onPath.get(message)! - 1);
  }
}

function writeSampleFields(out: JsonObject, message: ProtobufMessage, depth: number, seed: number): void {
  message.fields.forEach((field, i) => {
    if (field.hidden) return;
    if (field.inline && typeof field.type !== 'string') {
      writeSampleFields(out, field.type, depth, seed + i);
      return;
    }
    const value = fieldSample(field, depth, seed + i);
    if (value !== undefined) out[field.jsonName] = value;
  });
}

/** A sample top-level object of a kind: `kind` and `apiVersion` first, as Go writes TypeMeta. */
export function kindSample(apiVersion: string, kind: string, message: ProtobufMessage): JsonObject {
  return { kind, apiVersion, ...(messageSample(message) as JsonObject) };
}
