/**
 * The type errors kube-apiserver's JSON decoder (`sigs.k8s.io/json`, a fork of Go's
 * `encoding/json`) reports when a built-in object's JSON does not fit its Go type: a string where
 * the Go field is an `int32`, a number in a `map[string]string`, an object where a list belongs,
 * Secret `data` that is not base64. The Go types are read from the protobuf schema table (its
 * messages are the Go structs, with their JSON names and inline embeddings).
 *
 * Go's decoder keeps going after a type error and reports the first one
 * (`json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`:
 * the struct holding the field, the JSON field names from the root, the Go type); the errors of
 * the custom decoders (`resource.Quantity`, `intstr.IntOrString`, `metav1.Time`) stop it at once
 * and win. The handlers wrap the text as the real server does: 400 `Deployment in version "v1"
 * cannot be handled as a Deployment: <error>`.
 *
 * Named Go types (`v1.Protocol`, `v1.ResourceList`) come from the schema table's Go type names.
 * Not covered: the element type of a named map (`map[string]v1.X` behind a named type prints as
 * the value's proto type) and Go's `json:",string"` fields. A number's own text is not kept by `JSON.parse`, so `1.0` for an integer field passes
 * and `1e3` prints as `number 1000`.
 */
import type { JsonValue } from '../../core/index.js';
import type { ProtobufField, ProtobufMessage, ProtobufScalar } from './protobuf-schema.js';
import { jsonFields, protobufMessageForKind } from './protobuf-schema.js';

/** Go's package name of a message (`k8s.io.api.core.v1.Container` -> `v1`). */
function goPackage(message: ProtobufMessage): string {
  const pkg = message.name.slice(0, message.name.length - message.shortName.length - 1);
  return pkg.slice(pkg.lastIndexOf('.') + 1);
}

const SCALAR_GO: Record<ProtobufScalar, string> = {
  string: 'string',
  bool: 'bool',
  int32: 'int32',
  int64: 'int64',
  uint32: 'uint32',
  uint64: 'uint64',
  double: 'float64',
  float: 'float32',
  bytes: '[]uint8',
};

/** The Go type of one element of a field (the field's own type when it is neither a list nor a map). */
function goElementType(field: ProtobufField): string {
  const named = field.goType;
  if (named !== undefined) {
    if (named.startsWith('[]')) return named.slice(2);
    if (field.mapKey === undefined && !field.repeated) return named;
  }
  return typeof field.type === 'string' ? SCALAR_GO[field.type] : `${goPackage(field.type)}.${field.type.shortName}`;
}

/** Go's `reflect.Type.String()` of a field's type. */
function goFieldType(field: ProtobufField): string {
  if (field.goType !== undefined) return field.goType;
  const element = goElementType(field);
  if (field.mapKey !== undefined) return `map[${SCALAR_GO[field.mapKey]}]${element}`;
  return field.repeated ? `[]${element}` : element;
}

/** encoding/json's name of a JSON value's kind in `cannot unmarshal <kind>`. */
function jsonKind(value: JsonValue): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    default:
      return 'object';
  }
}

const INT_RANGES: Partial<Record<ProtobufScalar, [number, number]>> = {
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * Where Go's `base64.StdEncoding.Decode` finds `text` corrupt (its `CorruptInputError` offset, in
 * bytes), or undefined when it decodes. Newlines are skipped; padding is required.
 */
export function base64CorruptOffset(text: string): number | undefined {
  const src = Buffer.from(text, 'utf8');
  const isAlphabet = (c: number) =>
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;
  const isNewline = (c: number) => c === 10 || c === 13;
  let si = 0;
  while (si < src.length) {
    let j = 0;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return undefined;
        return si - j;
      }
      const c = src[si++];
      if (isAlphabet(c)) continue;
      if (isNewline(c)) {
        j--;
        continue;
      }
      if (c !== 61) return si - 1;
      // Padding: only after two or three characters of a quantum.
      if (j < 2) return si - 1;
      if (j === 2) {
        while (si < src.length && isNewline(src[si])) si++;
        if (si === src.length) return src.length;
        if (src[si] !== 61) return si - 1;
        si++;
      }
      while (si < src.length && isNewline(src[si])) si++;
      if (si < src.length) return si;
      return undefined;
    }
  }
  return undefined;
}

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const QUANTITY_SUFFIXES = new Set([
  '',
  'Ki',
  'Mi',
  'Gi',
  'Ti',
  'Pi',
  'Ei',
  'n',
  'u',
  'm',
  'k',
  'M',
  'G',
  'T',
  'P',
  'E',
]);

/** `resource.ParseQuantity`'s error for the JSON of a Quantity, or undefined when it parses. */
function quantityError(value: JsonValue): string | undefined {
  if (value === null) return undefined;
  const text = (typeof value === 'string' ? value : JSON.stringify(value)).trim();
  const m = QUANTITY.exec(text);
  if (text === '' || m === null) {
    return "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  }
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(m[1])) return 'unable to parse numeric part of quantity';
  const suffix = m[2];
  if (!QUANTITY_SUFFIXES.has(suffix) && !/^[eE][-+]?[0-9]+$/.test(suffix)) return "unable to parse quantity's suffix";
  return undefined;
}

/** The error a custom decoder (`UnmarshalJSON`) returns for `value`, or undefined. */
function customError(message: ProtobufMessage, value: JsonValue): string | undefined {
  switch (message.shortName) {
    case 'Quantity':
      return quantityError(value);
    case 'IntOrString': {
      if (typeof value === 'string' || value === null) return undefined;
      if (typeof value === 'number') {
        if (Number.isInteger(value) && value >= -2147483648 && value <= 2147483647) return undefined;
        return `json: cannot unmarshal number ${value} into Go value of type int32`;
      }
      return `json: cannot unmarshal ${jsonKind(value)} into Go value of type int32`;
    }
    case 'Time':
    case 'MicroTime':
      if (typeof value === 'string' || value === null) return undefined;
      return `json: cannot unmarshal ${jsonKind(value)} into Go value of type string`;
    default:
      return undefined;
  }
}

/** The walk's state: the first saved type error, and an aborting one. */
class Decode {
  saved: string | undefined;
  abort: string | undefined;

  save(text: string): void {
    this.saved ??= text;
  }
}

function typeError(value: JsonValue, struct: string, path: readonly string[], type: string): string {
  return `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${struct}.${path.join('.')} of type ${type}`;
}

/** Checks one element (a scalar or a message value) of a field. */
function checkElement(
  value: JsonValue,
  field: ProtobufField,
  struct: string,
  path: readonly string[],
  d: Decode,
): void {
  if (value === null || d.abort !== undefined) return;
  const type = field.type;
  if (typeof type === 'string') {
    checkScalar(value, type, goElementType(field), struct, path, d);
    return;
  }
  if (type.form === 'custom') {
    const err = customError(type, value);
    if (err !== undefined) d.abort = err;
    return;
  }
  if (type.form === 'wrapper') {
    const inner = type.fields[0];
    if (inner === undefined) return;
    const fits = inner.mapKey !== undefined ? isObject(value) : inner.repeated ? Array.isArray(value) : true;
    if (!fits) {
      d.save(typeError(value, struct, path, `${goPackage(type)}.${type.shortName}`));
      return;
    }
    checkField(value, { ...inner, jsonName: field.jsonName }, struct, path, d, true);
    return;
  }
  if (!isObject(value)) {
    d.save(typeError(value, struct, path, `${goPackage(type)}.${type.shortName}`));
    return;
  }
  checkMessage(value, type, path, d);
}

function checkScalar(
  value: JsonValue,
  type: ProtobufScalar,
  goType: string,
  struct: string,
  path: readonly string[],
  d: Decode,
): void {
  switch (type) {
    case 'string':
      if (typeof value !== 'string') d.save(typeError(value, struct, path, goType));
      return;
    case 'bool':
      if (typeof value !== 'boolean') d.save(typeError(value, struct, path, goType));
      return;
    case 'bytes': {
      if (typeof value !== 'string') {
        if (!Array.isArray(value)) d.save(typeError(value, struct, path, goType));
        return;
      }
      const offset = base64CorruptOffset(value);
      if (offset !== undefined) d.save(`illegal base64 data at input byte ${offset}`);
      return;
    }
    case 'double':
    case 'float':
      if (typeof value !== 'number') d.save(typeError(value, struct, path, goType));
      return;
    default: {
      if (typeof value !== 'number') {
        d.save(typeError(value, struct, path, goType));
        return;
      }
      const [min, max] = INT_RANGES[type] ?? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
      if (!Number.isInteger(value) || value < min || value > max) {
        d.save(
          `json: cannot unmarshal number ${value} into Go struct field ${struct}.${path.join('.')} of type ${goType}`,
        );
      }
    }
  }
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a field's value: the container (list or map) first, then each element. */
function checkField(
  value: JsonValue,
  field: ProtobufField,
  struct: string,
  path: readonly string[],
  d: Decode,
  insideWrapper = false,
): void {
  if (value === null || d.abort !== undefined) return;
  if (field.mapKey !== undefined) {
    if (!isObject(value)) {
      if (!insideWrapper) d.save(typeError(value, struct, path, goFieldType(field)));
      return;
    }
    for (const item of Object.values(value)) checkElement(item, field, struct, path, d);
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) {
      // `[]byte` takes a base64 string; every other list needs an array.
      if (!insideWrapper) d.save(typeError(value, struct, path, goFieldType(field)));
      return;
    }
    for (const item of value) checkElement(item, field, struct, path, d);
    return;
  }
  checkElement(value, field, struct, path, d);
}

function checkMessage(
  value: { [key: string]: JsonValue },
  message: ProtobufMessage,
  path: readonly string[],
  d: Decode,
): void {
  const fields = jsonFields(message);
  for (const [key, item] of Object.entries(value)) {
    if (d.abort !== undefined) return;
    const field = fields.get(key);
    if (field === undefined) continue;
    checkField(item, field, message.shortName, [...path, key], d);
  }
}

/**
 * The decode error Go's JSON decoder gives for a built-in object of `apiVersion`/`kind`, or
 * undefined when it decodes (and for kinds without a Go type: custom resources).
 *
 * @example
 * ```ts
 * goDecodeError({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: 1 } });
 * // 'json: cannot unmarshal number into Go struct field ConfigMap.data of type string'
 * ```
 */
export function goDecodeError(object: { [key: string]: JsonValue }): string | undefined {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const message = protobufMessageForKind(apiVersion, kind);
  if (message === undefined) return undefined;
  const d = new Decode();
  const fields = jsonFields(message);
  for (const [key, item] of Object.entries(object)) {
    if (d.abort !== undefined) break;
    if (key === 'apiVersion' || key === 'kind') continue;
    const field = fields.get(key);
    if (field !== undefined) checkField(item, field, message.shortName, [key], d);
  }
  return d.abort ?? d.saved;
}
