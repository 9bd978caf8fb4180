/**
 * Structural-schema handling of custom resources (apiextensions-apiserver's `pkg/apiserver/schema`
 * `pruning` and `defaulting`): pruning of fields the CRD's `openAPIV3Schema` does not declare
 * (unless `x-kubernetes-preserve-unknown-fields`) and defaulting from `default`. The pruned paths
 * feed `fieldValidation`: Strict refuses them (400 `strict decoding error: unknown field
 * "spec.foo"`), Warn (the default) answers with a `Warning` header, Ignore says nothing.
 * `apiVersion`, `kind` and `metadata` at the root are never pruned. Built-in types have no schema
 * here, so nothing is pruned for them.
 */
import { deepClone, isPlainObject } from '../../core/index.js';
import type { ServedType } from '../served/served-types.js';

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  default?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

/** The `openAPIV3Schema` of a custom resource version, if it has one. */
export function schemaOf(served: ServedType): Schema | undefined {
  const schema = served.crdVersion?.schema;
  if (!isPlainObject(schema) || !isPlainObject(schema.openAPIV3Schema)) return undefined;
  return schema.openAPIV3Schema as Schema;
}

function walk(value: unknown, schema: Schema, path: string, unknown: string[]): void {
  if (Array.isArray(value)) {
    const items = schema.items;
    if (items) {
      for (let i = 0; i < value.length; i++) walk(value[i], items, `${path}[${i}]`, unknown);
    }
    return;
  }
  if (!isPlainObject(value)) return;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const props = schema.properties;
  const extra = schema.additionalProperties;
  for (const key of Object.keys(value)) {
    const child = props?.[key];
    const where = path === '' ? key : `${path}.${key}`;
    if (child) walk(value[key], child, where, unknown);
    else if (isPlainObject(extra)) walk(value[key], extra as Schema, where, unknown);
    else if (extra === true || preserve) continue;
    else {
      unknown.push(where);
      delete value[key];
    }
  }
  if (props) {
    for (const [key, child] of Object.entries(props)) {
      if (value[key] === undefined && child.default !== undefined) value[key] = deepClone(child.default);
    }
  }
}

/**
 * Prunes undeclared fields of `obj` in place and fills defaults; returns the pruned paths
 * (`spec.foo`). No schema: nothing happens.
 */
export function pruneAndDefault(obj: Record<string, unknown>, served: ServedType): string[] {
  const schema = schemaOf(served);
  if (!schema) return [];
  const unknown: string[] = [];
  const props = schema.properties ?? {};
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  for (const key of Object.keys(obj)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    const child = props[key];
    if (child) walk(obj[key], child, key, unknown);
    else if (!preserve) {
      unknown.push(key);
      delete obj[key];
    }
  }
  for (const [key, child] of Object.entries(props)) {
    if (key === 'metadata' || key === 'apiVersion' || key === 'kind') continue;
    if (obj[key] === undefined && child.default !== undefined) obj[key] = deepClone(child.default);
  }
  return unknown;
}
