/**
 * Defaulting from a schema's `default`s (Go: apiextensions `schema/defaulting`): a missing field,
 * or a `null` in a non-nullable one, gets its default (deep-copied); defaults apply top-down, so a
 * defaulted object gets its own fields' defaults too. `null`s without a default in non-nullable
 * fields are removed first, as the API server does when decoding.
 */
import { deepClone } from '../core/index.js';
import { additionalOf, itemsOf, propertyOf } from './correlation.js';
import type { JSONSchemaProps } from './types.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own field, even one named `__proto__`. */
function setField(x: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(x, key, { value, writable: true, enumerable: true, configurable: true });
}

function isNonNullableNull(x: unknown, s: JSONSchemaProps | undefined): boolean {
  return x === null && s !== undefined && s.nullable !== true;
}

function defaultValue(x: unknown, s: JSONSchemaProps | undefined): void {
  if (s === undefined) return;
  if (isObject(x)) {
    for (const [key, prop] of Object.entries(s.properties ?? {})) {
      if (prop.default === undefined) continue;
      if (!Object.hasOwn(x, key) || isNonNullableNull(x[key], prop)) setField(x, key, deepClone(prop.default));
    }
    const extra = additionalOf(s);
    for (const key of Object.keys(x)) {
      const prop = propertyOf(s, key);
      if (prop !== undefined) defaultValue(x[key], prop);
      else if (s.additionalProperties !== undefined && s.additionalProperties !== false) {
        if (isNonNullableNull(x[key], extra)) setField(x, key, deepClone(extra?.default ?? null));
        defaultValue(x[key], extra);
      }
    }
  } else if (Array.isArray(x)) {
    const items = itemsOf(s);
    for (let i = 0; i < x.length; i++) {
      if (isNonNullableNull(x[i], items)) x[i] = deepClone(items?.default ?? null);
      defaultValue(x[i], items);
    }
  }
}

function schemaForField(key: string, s: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  if (s === undefined) return undefined;
  return propertyOf(s, key) ?? additionalOf(s);
}

function pruneNulls(x: unknown, s: JSONSchemaProps | undefined): void {
  if (isObject(x)) {
    for (const key of Object.keys(x)) {
      const sub = schemaForField(key, s);
      if (x[key] === null && sub !== undefined && sub.nullable !== true && sub.default === undefined) delete x[key];
      else pruneNulls(x[key], sub);
    }
  } else if (Array.isArray(x)) {
    const items = s === undefined ? undefined : itemsOf(s);
    for (const item of x) pruneNulls(item, items);
  }
}

/**
 * Applies the schema's defaults to `value` in place (and drops `null`s the schema cannot hold and
 * has no default for), as the API server does on every write and read of a custom resource.
 *
 * @example
 * ```ts
 * import type { JSONSchemaProps } from 'kloop';
 * declare const schema: JSONSchemaProps;
 *
 * const obj = { spec: {} };
 * applyDefaults(obj, schema); // obj.spec.size is now 1 when the schema says `default: 1`
 * ```
 */
export function applyDefaults(value: unknown, schema: JSONSchemaProps): void {
  pruneNulls(value, schema);
  defaultValue(value, schema);
}
