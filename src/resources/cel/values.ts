/**
 * Object values as CEL rules see them (Go: apiextensions `cel.UnstructuredToVal` over the schema's
 * DeclType): `integer` fields are CEL ints (bigint), `number` fields doubles even when integral,
 * `int-or-string` either, `date-time` strings timestamps, `duration` strings durations, and object
 * properties are renamed with Kubernetes' escaping (`foo-bar` is `self.foo__dash__bar`,
 * `namespace` is `self.__namespace__`). Objects with properties expose only declared fields; the
 * root and embedded resources add `apiVersion`, `kind` and `metadata.name`/`generateName`.
 */
import { additionalOf, itemsOf } from '../correlation.js';
import { parseGoDuration } from '../formats.js';
import type { JSONSchemaProps } from '../types.js';

const RESERVED = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);

/** Kubernetes' CEL property-name escaping, or undefined when the name cannot be accessed from CEL. */
export function escapePropertyName(name: string): string | undefined {
  const hit = ESCAPED.get(name);
  if (hit !== undefined || ESCAPED.has(name)) return hit;
  const escaped = escapeName(name);
  if (ESCAPED.size > 10_000) ESCAPED.clear();
  ESCAPED.set(name, escaped);
  return escaped;
}

const ESCAPED = new Map<string, string | undefined>();

function escapeName(name: string): string | undefined {
  if (name.length === 0 || (name[0] >= '0' && name[0] <= '9')) return undefined;
  if (RESERVED.has(name)) return `__${name}__`;
  let ok = true;
  const escaped = name.replace(/(__|[-./]|[^a-zA-Z0-9\-./_])/g, (s) => {
    switch (s) {
      case '__':
        return '__underscores__';
      case '.':
        return '__dot__';
      case '-':
        return '__dash__';
      case '/':
        return '__slash__';
      default:
        ok = false;
        return '';
    }
  });
  return ok ? escaped : undefined;
}

/** Minimal shape of cel-js's Duration (seconds as bigint, nanos as number). */
export interface CelDurationCtor {
  new (seconds: bigint, nanos: number): unknown;
}

let DurationCtor: CelDurationCtor | undefined;

/** Supplies cel-js's Duration class (loaded with the environment) for `format: duration` fields. */
export function setDurationConstructor(ctor: CelDurationCtor): void {
  DurationCtor = ctor;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON number without a schema: integral values are ints, others doubles (unstructured decoding). */
function untypedNumber(n: number): bigint | number {
  return Number.isInteger(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER ? BigInt(n) : n;
}

function untyped(value: unknown): unknown {
  if (typeof value === 'number') return untypedNumber(value);
  if (Array.isArray(value)) return value.map(untyped);
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: untyped(v), enumerable: true });
    return out;
  }
  return value;
}

function scalar(value: unknown, schema: JSONSchemaProps): unknown {
  if (typeof value === 'number') {
    if (schema.type === 'number') return value;
    if (schema.type === 'integer' || schema['x-kubernetes-int-or-string'] === true) {
      return Number.isInteger(value) ? BigInt(value) : value;
    }
    return untypedNumber(value);
  }
  if (typeof value === 'string' && schema.type === 'string') {
    if (schema.format === 'date-time' || schema.format === 'datetime') {
      const t = new Date(value);
      return Number.isNaN(t.getTime()) ? value : t;
    }
    if (schema.format === 'duration' && DurationCtor !== undefined) {
      const nanos = parseGoDuration(value);
      if (nanos !== undefined) {
        const whole = BigInt(Math.trunc(nanos / 1e9));
        return new DurationCtor(whole, Math.round(nanos - Number(whole) * 1e9));
      }
    }
    if (schema.format === 'byte') {
      try {
        return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
      } catch {
        return value;
      }
    }
  }
  return value;
}

/**
 * Converts a JSON value to the CEL value a rule at `schema` sees. `isResource` marks the root or
 * an embedded resource (their `apiVersion`, `kind` and `metadata.name/generateName` are visible).
 */
export function toCelValue(value: unknown, schema: JSONSchemaProps | undefined, isResource = false): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (schema === undefined) return untyped(value);
  if (Array.isArray(value)) {
    const items = itemsOf(schema);
    return value.map((item) =>
      items === undefined ? untyped(item) : toCelValue(item, items, items['x-kubernetes-embedded-resource'] === true),
    );
  }
  if (!isObject(value)) return scalar(value, schema);
  const resource = isResource || schema['x-kubernetes-embedded-resource'] === true;
  const props = schema.properties;
  const extra = additionalOf(schema);
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => Object.defineProperty(out, k, { value: v, enumerable: true });
  if (props === undefined && extra === undefined) {
    // A free-form object (preserve-unknown-fields): all fields, untyped.
    return untyped(value);
  }
  if (props === undefined && extra !== undefined) {
    for (const [k, v] of Object.entries(value))
      put(k, toCelValue(v, extra, extra['x-kubernetes-embedded-resource'] === true));
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    if (resource && (k === 'apiVersion' || k === 'kind')) {
      if (typeof v === 'string') put(k, v);
      continue;
    }
    if (resource && k === 'metadata') {
      // Rules see only metadata.name and metadata.generateName (apiextensions WithTypeAndObjectMeta).
      if (isObject(v)) {
        const meta: Record<string, unknown> = {};
        if (typeof v.name === 'string') meta.name = v.name;
        if (typeof v.generateName === 'string') meta.generateName = v.generateName;
        put('metadata', meta);
      }
      continue;
    }
    const sub = props !== undefined && Object.hasOwn(props, k) ? props[k] : undefined;
    if (sub === undefined) {
      if (schema['x-kubernetes-preserve-unknown-fields'] === true) {
        const name = escapePropertyName(k);
        if (name !== undefined) put(name, untyped(v));
      }
      continue;
    }
    const name = escapePropertyName(k);
    if (name === undefined) continue;
    put(name, toCelValue(v, sub, sub['x-kubernetes-embedded-resource'] === true));
  }
  return out;
}
