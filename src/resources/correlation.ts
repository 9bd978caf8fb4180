/**
 * Old and new values walked side by side (Go: apiserver `cel/common.CorrelatedObject`), so
 * validation can tell which values an update left unchanged. Ratcheting (CRDValidationRatcheting,
 * on since 1.30) uses it: errors on unchanged values are dropped (schema) or turned into warnings
 * (CEL rules not using `oldSelf`). Object fields correlate by name, items of `x-kubernetes-list-type:
 * map` lists by their keys; other list items never correlate.
 */
import { deepEqual } from '../core/index.js';
import type { JSONSchemaProps } from './types.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The declared schema of an object field (own properties only: `toString` is not a field). */
export function propertyOf(schema: JSONSchemaProps | undefined, key: string): JSONSchemaProps | undefined {
  const props = schema?.properties;
  return props !== undefined && Object.hasOwn(props, key) ? props[key] : undefined;
}

/** The item schema of an array schema (`items` as one schema). */
export function itemsOf(schema: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  const items = schema?.items;
  return items === undefined || Array.isArray(items) ? undefined : items;
}

/** The schema of a map's values (`additionalProperties` as a schema). */
export function additionalOf(schema: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  const extra = schema?.additionalProperties;
  return typeof extra === 'object' ? extra : undefined;
}

/** Key of a map-list item: the values of its `x-kubernetes-list-map-keys`, JSON-encoded. */
export function mapListKey(keys: readonly string[], item: unknown): string | undefined {
  if (!isObject(item)) return undefined;
  return JSON.stringify(keys.map((k) => (item[k] === undefined ? null : item[k])));
}

/** Old items of a map-list by key, for finding the old counterpart of a new item. */
export function indexMapList(schema: JSONSchemaProps, old: unknown): Map<string, unknown> | undefined {
  const keys = schema['x-kubernetes-list-map-keys'];
  if (schema['x-kubernetes-list-type'] !== 'map' || keys === undefined || !Array.isArray(old)) return undefined;
  const byKey = new Map<string, unknown>();
  for (const item of old) {
    const key = mapListKey(keys, item);
    if (key !== undefined && !byKey.has(key)) byKey.set(key, item);
  }
  return byKey;
}

/** A pair of new and old values at one place in an object, with their schema. */
export class Correlation {
  private equal: boolean | undefined;
  private children: Map<string | number, Correlation | undefined> | undefined;
  private oldItems: Map<string, unknown> | undefined;

  constructor(
    readonly value: unknown,
    readonly oldValue: unknown,
    readonly schema: JSONSchemaProps | undefined,
  ) {}

  /** Whether new and old are equal here (map-lists compared by key, other lists in order). */
  unchanged(): boolean {
    if (this.equal !== undefined) return this.equal;
    this.equal = this.compare();
    return this.equal;
  }

  private compare(): boolean {
    const { value, oldValue } = this;
    if ((value === undefined || value === null) && (oldValue === undefined || oldValue === null)) return true;
    if (value === undefined || value === null || oldValue === undefined || oldValue === null) return false;
    if (Array.isArray(value) !== Array.isArray(oldValue) || isObject(value) !== isObject(oldValue)) return false;
    if (Array.isArray(value) && Array.isArray(oldValue)) {
      if (value.length !== oldValue.length) return false;
      const mapList = this.schema?.['x-kubernetes-list-type'] === 'map';
      for (let i = 0; i < value.length; i++) {
        const child = this.index(i);
        if (child === undefined) return mapList ? false : deepEqual(value, oldValue);
        if (!child.unchanged()) return false;
      }
      return true;
    }
    if (isObject(value) && isObject(oldValue)) {
      const keys = Object.keys(value);
      if (keys.length !== Object.keys(oldValue).length) return false;
      for (const key of keys) {
        const child = this.key(key);
        if (child === undefined || !child.unchanged()) return false;
      }
      return true;
    }
    return deepEqual(value, oldValue);
  }

  /** The correlation of an object field, or undefined when either side lacks it. */
  key(field: string): Correlation | undefined {
    if (this.children?.has(field)) return this.children.get(field);
    let child: Correlation | undefined;
    const { value, oldValue, schema } = this;
    if (
      schema !== undefined &&
      isObject(value) &&
      isObject(oldValue) &&
      Object.hasOwn(value, field) &&
      Object.hasOwn(oldValue, field)
    ) {
      const sub = propertyOf(schema, field) ?? additionalOf(schema);
      if (sub !== undefined) child = new Correlation(value[field], oldValue[field], sub);
    }
    (this.children ??= new Map()).set(field, child);
    return child;
  }

  /** The correlation of a list item: only map-list items have an old counterpart. */
  index(i: number): Correlation | undefined {
    if (this.children?.has(i)) return this.children.get(i);
    let child: Correlation | undefined;
    const { value, oldValue, schema } = this;
    const items = itemsOf(schema);
    if (schema !== undefined && items !== undefined && Array.isArray(value) && i < value.length) {
      this.oldItems ??= indexMapList(schema, oldValue);
      const key = mapListKey(schema['x-kubernetes-list-map-keys'] ?? [], value[i]);
      const old = key === undefined ? undefined : this.oldItems?.get(key);
      if (old !== undefined && old !== null) child = new Correlation(value[i], old, items);
    }
    (this.children ??= new Map()).set(i, child);
    return child;
  }
}
