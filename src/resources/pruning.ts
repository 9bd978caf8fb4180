/**
 * Pruning of fields a schema does not declare (Go: apiextensions `schema/pruning`). Runs on every
 * write of a custom resource, before defaulting and validation. `apiVersion`, `kind` and
 * `metadata` survive at the root and in embedded resources; `x-kubernetes-preserve-unknown-fields`
 * keeps unknown fields (while declared ones below are still pruned). An embedded resource's
 * `metadata` is pruned to the fields of `ObjectMeta`, as the server's decoding of it does
 * (apiextensions `schema/objectmeta` coercion); the root's is the caller's (every kind has it).
 */
import { additionalOf, itemsOf, propertyOf } from './correlation.js';
import type { JSONSchemaProps } from './types.js';

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

/** The fields of `ObjectMeta`: what the API server keeps of an object's `metadata`. */
export const OBJECT_META_FIELDS: ReadonlySet<string> = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schema of a map value: `additionalProperties` as a schema, null when it is `true` (keeps no fields). */
function mapValueSchema(schema: JSONSchemaProps): JSONSchemaProps | null | undefined {
  if (schema.additionalProperties === undefined || schema.additionalProperties === false) return undefined;
  return additionalOf(schema) ?? null;
}

class Pruner {
  readonly unknown: string[] = [];

  constructor(private readonly track: boolean) {}

  private record(path: string, key: string): void {
    if (this.track) this.unknown.push(path === '' ? key : `${path}.${key}`);
  }

  prune(x: unknown, s: JSONSchemaProps | null | undefined, path: string, embedded: boolean): void {
    if (s?.['x-kubernetes-preserve-unknown-fields'] === true) {
      this.skip(x, s, path, embedded);
      return;
    }
    if (isObject(x)) {
      if (s === null || s === undefined) {
        for (const key of Object.keys(x)) {
          this.record(path, key);
          delete x[key];
        }
        return;
      }
      const isEmbedded = embedded || s['x-kubernetes-embedded-resource'] === true;
      if (!embedded && isEmbedded) this.coerceMetadata(x, path);
      for (const key of Object.keys(x)) {
        if (isEmbedded && META_FIELDS.has(key)) continue;
        const prop = propertyOf(s, key);
        const sub = path === '' ? key : `${path}.${key}`;
        if (prop !== undefined) this.prune(x[key], prop, sub, false);
        else if (mapValueSchema(s) !== undefined) this.prune(x[key], mapValueSchema(s), sub, false);
        else {
          if (!META_FIELDS.has(key) || path !== '') this.record(path, key);
          delete x[key];
        }
      }
    } else if (Array.isArray(x)) {
      const items = s === null || s === undefined ? undefined : itemsOf(s);
      for (let i = 0; i < x.length; i++) this.prune(x[i], items, `${path}[${i}]`, false);
    }
  }

  /** An embedded resource's `metadata` decoded as an `ObjectMeta`: other fields and a zero creationTimestamp go. */
  private coerceMetadata(x: Record<string, unknown>, path: string): void {
    const metadata = x.metadata;
    if (!isObject(metadata)) return;
    const at = path === '' ? 'metadata' : `${path}.metadata`;
    for (const key of Object.keys(metadata)) {
      if (OBJECT_META_FIELDS.has(key)) continue;
      this.record(at, key);
      delete metadata[key];
    }
    if (metadata.creationTimestamp === null) delete metadata.creationTimestamp;
  }

  private skip(x: unknown, s: JSONSchemaProps, path: string, embedded: boolean): void {
    if (isObject(x)) {
      const isEmbedded = embedded || s['x-kubernetes-embedded-resource'] === true;
      if (!embedded && isEmbedded) this.coerceMetadata(x, path);
      for (const key of Object.keys(x)) {
        if (isEmbedded && META_FIELDS.has(key)) continue;
        const prop = propertyOf(s, key);
        const sub = path === '' ? key : `${path}.${key}`;
        if (prop !== undefined) this.prune(x[key], prop, sub, false);
        else if (mapValueSchema(s) !== undefined) this.prune(x[key], mapValueSchema(s), sub, false);
      }
    } else if (Array.isArray(x)) {
      const items = itemsOf(s);
      if (items !== undefined) for (let i = 0; i < x.length; i++) this.skip(x[i], items, `${path}[${i}]`, false);
    }
  }
}

/**
 * Removes, in place, every field of `object` its schema does not declare, and returns the paths
 * removed (sorted, as the API server reports them for `fieldValidation`: `spec.foo`,
 * `spec.ports[0].bar`). `isResourceRoot` treats the value as a whole object (keeping `apiVersion`,
 * `kind`, `metadata`).
 *
 * @example
 * ```ts
 * import type { JSONSchemaProps } from 'kloop';
 * declare const schema: JSONSchemaProps;
 *
 * const obj = { apiVersion: 'x/v1', kind: 'K', metadata: {}, spec: { size: 1, extra: true } };
 * pruneUnknownFields(obj, schema); // ['spec.extra']; obj.spec is { size: 1 }
 * ```
 */
export function pruneUnknownFields(value: unknown, schema: JSONSchemaProps, isResourceRoot = true): string[] {
  const pruner = new Pruner(true);
  pruner.prune(value, schema, '', isResourceRoot);
  return pruner.unknown.sort();
}
