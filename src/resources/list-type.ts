/**
 * Uniqueness of `x-kubernetes-list-type: set` items and `map` keys (Go: apiextensions
 * `schema/listtype`). Reported as `spec.tags[2]: Duplicate value: "a"`, once per value (at its
 * second occurrence). On update, nothing is reported when the old object already broke these rules
 * anywhere (upstream's whole-object ratcheting).
 */
import { additionalOf, itemsOf, propertyOf } from './correlation.js';
import { childPath, duplicateError, type FieldError, type FieldPath, indexPath, invalidError } from './field-errors.js';
import type { JSONSchemaProps } from './types.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Identity of a value for set semantics: compound values by their JSON, scalars by type and value. */
function identity(value: unknown): string {
  if (typeof value === 'object' && value !== null) return `j${JSON.stringify(value)}`;
  return `${typeof value}:${String(value)}`;
}

/** Indices of second occurrences (each duplicated value reported once, as Go does). */
function nonUnique(values: readonly unknown[]): number[] {
  if (values.length <= 1) return [];
  const seen = new Map<string, number>();
  const out: number[] = [];
  values.forEach((value, i) => {
    const id = identity(value);
    const times = seen.get(id) ?? 0;
    if (times === 1) out.push(i);
    seen.set(id, times + 1);
  });
  return out;
}

const UNSPECIFIED = { unspecified: true };

function validateMapList(path: FieldPath, schema: JSONSchemaProps, list: readonly unknown[]): FieldError[] {
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (item !== null && !isObject(item)) {
      return [invalidError(indexPath(path, i), item, 'must be an object for an array of list-type map')];
    }
  }
  if (list.length <= 1) return [];
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  if (keys.length === 1) {
    const [keyField] = keys;
    const values = list.map((item) => (isObject(item) && Object.hasOwn(item, keyField) ? item[keyField] : UNSPECIFIED));
    return nonUnique(values).map((i) =>
      duplicateError(indexPath(path, i), values[i] === UNSPECIFIED ? {} : { [keyField]: values[i] }),
    );
  }
  const composite = list.map((item) => {
    const key: Record<string, unknown> = {};
    if (isObject(item)) for (const k of keys) if (Object.hasOwn(item, k)) key[k] = item[k];
    return key;
  });
  return nonUnique(composite).map((i) => duplicateError(indexPath(path, i), composite[i]));
}

function walkValue(path: FieldPath, schema: JSONSchemaProps | undefined, value: unknown, out: FieldError[]): void {
  if (schema === undefined) return;
  if (Array.isArray(value)) {
    const listType = schema['x-kubernetes-list-type'];
    if (listType === 'set') {
      for (const i of nonUnique(value)) out.push(duplicateError(indexPath(path, i), value[i]));
    } else if (listType === 'map') {
      out.push(...validateMapList(path, schema, value));
    }
    const items = itemsOf(schema);
    if (items !== undefined) for (const [i, item] of value.entries()) walkValue(indexPath(path, i), items, item, out);
  } else if (isObject(value)) {
    walkObject(path, schema, value, out);
  }
}

function walkObject(path: FieldPath, schema: JSONSchemaProps, value: Record<string, unknown>, out: FieldError[]): void {
  const extra = additionalOf(schema);
  if (extra !== undefined) {
    for (const [k, v] of Object.entries(value)) walkValue(indexPath(path, k), extra, v, out);
  }
  if (schema.properties !== undefined) {
    for (const [k, v] of Object.entries(value)) {
      const sub = propertyOf(schema, k);
      if (sub !== undefined) walkValue(childPath(path, k), sub, v, out);
    }
  }
}

/**
 * Checks set and map lists of an object (or of a value at `path`, e.g. `status`). With `oldObject`
 * (an update) nothing is reported when the old object already had such errors.
 *
 * @example
 * ```ts
 * import type { JSONSchemaProps } from 'kloop';
 * declare const schema: JSONSchemaProps;
 *
 * validateListTypes(schema, { spec: { tags: ['a', 'b', 'a'] } });
 * // [duplicate at spec.tags[2]: `spec.tags[2]: Duplicate value: "a"`]
 * ```
 */
export function validateListTypes(
  schema: JSONSchemaProps,
  object: unknown,
  options: { path?: FieldPath; oldObject?: unknown; update?: boolean } = {},
): FieldError[] {
  const path = options.path ?? null;
  if (options.update === true && options.oldObject !== undefined) {
    const oldErrors: FieldError[] = [];
    walkValue(path, schema, options.oldObject, oldErrors);
    if (oldErrors.length > 0) return [];
  }
  const out: FieldError[] = [];
  walkValue(path, schema, object, out);
  return out;
}
