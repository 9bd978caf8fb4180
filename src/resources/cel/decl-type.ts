/**
 * The CEL type of a schema node with the size bounds the static cost estimate reads (Go: apiserver
 * `pkg/cel/common/schemas.go` `SchemaDeclType` and `pkg/cel/types.go` `DeclType`): the most
 * elements a string, bytes, list or map can hold, declared (`maxLength`, `maxItems`,
 * `maxProperties`, a string enum's longest value) or else derived from the 3 MiB request limit and
 * the smallest JSON form of one element, and that smallest JSON form (`MinSerializedSize`).
 */
import { additionalOf, itemsOf } from '../correlation.js';
import type { JSONSchemaProps } from '../types.js';
import { escapePropertyName } from './values.js';

/** The largest request the API server accepts (apiserver `celconfig.MaxRequestSizeBytes`). */
export const MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024;

/** CEL type kinds the estimator tells apart. */
export type CelKind =
  | 'bool'
  | 'int'
  | 'uint'
  | 'double'
  | 'string'
  | 'bytes'
  | 'null'
  | 'duration'
  | 'timestamp'
  | 'list'
  | 'map'
  | 'object'
  | 'optional'
  | 'type'
  | 'opaque'
  | 'dyn';

/** A CEL type: its kind, element and key types, fields, and for opaque types the name (`kubernetes.URL`). */
export interface CelType {
  readonly kind: CelKind;
  readonly elem?: CelType;
  readonly key?: CelType;
  readonly fields?: ReadonlyMap<string, CelType>;
  readonly name?: string;
}

/** A schema node's CEL type with its size bounds (Go: `DeclType`). */
export interface DeclType extends CelType {
  readonly elem?: DeclType;
  readonly key?: DeclType;
  readonly fields?: ReadonlyMap<string, DeclType>;
  /** The most characters (bytes, items, entries) a value holds; 0 for scalars. */
  readonly maxElements: number;
  /** The fewest bytes the value takes in JSON. */
  readonly minSerializedSize: number;
}

const MIN_STRING_SIZE = 2;
const MIN_BOOL_SIZE = 4;
const MIN_NUMBER_SIZE = 1;
const MIN_DURATION_SIZE_JSON = 3;
const JSON_DATE_SIZE = 12;
const MIN_DATETIME_SIZE_JSON = 21;
const MAX_DURATION_SIZE_JSON = 32;
const MAX_DATETIME_SIZE_JSON = 32;
const UNBOUNDED_STRING = MAX_REQUEST_SIZE_BYTES - 2;

/** The key type of every map: a string without a declared bound (upstream's `StringType`, MaxElements 0). */
const MAP_KEY: DeclType = { kind: 'string', maxElements: 0, minSerializedSize: MIN_STRING_SIZE };

function nonNegative(n: number): number {
  return Math.max(n, 0);
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function simple(kind: CelKind, minSerializedSize: number, maxElements = 0): DeclType {
  return { kind, maxElements, minSerializedSize };
}

function stringType(schema: JSONSchemaProps): DeclType {
  switch (schema.format) {
    case 'byte':
      return simple(
        'bytes',
        MIN_STRING_SIZE,
        schema.maxLength !== undefined ? nonNegative(schema.maxLength) : UNBOUNDED_STRING,
      );
    case 'duration':
      return simple('duration', MIN_DURATION_SIZE_JSON, MAX_DURATION_SIZE_JSON);
    case 'date':
      return simple('timestamp', JSON_DATE_SIZE, JSON_DATE_SIZE);
    case 'date-time':
      return simple('timestamp', MIN_DATETIME_SIZE_JSON, MAX_DATETIME_SIZE_JSON);
  }
  // maxLength counts code points; a code point takes up to 4 bytes.
  if (schema.maxLength !== undefined) return simple('string', MIN_STRING_SIZE, nonNegative(schema.maxLength) * 4);
  if ((schema.enum ?? []).length > 0) {
    const longest = Math.max(0, ...(schema.enum ?? []).map((v) => (typeof v === 'string' ? utf8Length(v) : 0)));
    return simple('string', MIN_STRING_SIZE, longest);
  }
  return simple('string', MIN_STRING_SIZE, UNBOUNDED_STRING);
}

/** Adds `apiVersion`, `kind` and `metadata.{name,generateName}` at a resource root (`WithTypeAndObjectMeta`). */
function withTypeAndObjectMeta(schema: JSONSchemaProps): JSONSchemaProps {
  const props = schema.properties ?? {};
  const meta = props.metadata;
  if (
    props.kind?.type === 'string' &&
    props.apiVersion?.type === 'string' &&
    meta?.type === 'object' &&
    meta.properties?.name?.type === 'string' &&
    meta.properties?.generateName?.type === 'string'
  ) {
    return schema;
  }
  return {
    ...schema,
    properties: {
      ...props,
      kind: { type: 'string' },
      apiVersion: { type: 'string' },
      metadata: { type: 'object', properties: { name: { type: 'string' }, generateName: { type: 'string' } } },
    },
  };
}

/**
 * DeclTypes already computed during one admission, per schema node and whether it was taken as a
 * resource root: each node with rules needs its subtree's type, and recomputing it per node is
 * quadratic in the schema's depth.
 */
export interface DeclTypeCache {
  readonly plain: WeakMap<JSONSchemaProps, DeclType | undefined>;
  readonly root: WeakMap<JSONSchemaProps, DeclType | undefined>;
}

/** An empty cache for one admission (the schema must not change while it is used). */
export function newDeclTypeCache(): DeclTypeCache {
  return { plain: new WeakMap(), root: new WeakMap() };
}

/**
 * The DeclType of a structural schema node, or undefined where upstream has none (no type, an
 * array without items, a map whose values have none): rules there do not compile upstream.
 */
export function schemaDeclType(
  schema: JSONSchemaProps | undefined,
  isResourceRoot: boolean,
  cache: DeclTypeCache = newDeclTypeCache(),
): DeclType | undefined {
  if (schema === undefined) return undefined;
  const seen = isResourceRoot ? cache.root : cache.plain;
  if (seen.has(schema)) return seen.get(schema);
  const decl = uncachedDeclType(schema, isResourceRoot, cache);
  seen.set(schema, decl);
  return decl;
}

function uncachedDeclType(
  schema: JSONSchemaProps,
  isResourceRoot: boolean,
  cache: DeclTypeCache,
): DeclType | undefined {
  if (schema['x-kubernetes-int-or-string'] === true) {
    return simple('dyn', 1, UNBOUNDED_STRING);
  }
  const s = isResourceRoot ? withTypeAndObjectMeta(schema) : schema;
  switch (s.type) {
    case 'array': {
      const items = itemsOf(s);
      const elem = schemaDeclType(items, items?.['x-kubernetes-embedded-resource'] === true, cache);
      if (elem === undefined) return undefined;
      const max =
        s.maxItems !== undefined
          ? nonNegative(s.maxItems)
          : Math.floor(UNBOUNDED_STRING / (elem.minSerializedSize + 1));
      return { kind: 'list', elem, maxElements: max, minSerializedSize: 2 };
    }
    case 'object': {
      const extra = additionalOf(s);
      if (extra !== undefined) {
        const elem = schemaDeclType(extra, extra['x-kubernetes-embedded-resource'] === true, cache);
        if (elem === undefined) return undefined;
        const max =
          s.maxProperties !== undefined
            ? nonNegative(s.maxProperties)
            : Math.floor(UNBOUNDED_STRING / (elem.minSerializedSize + 6));
        return { kind: 'map', key: MAP_KEY, elem, maxElements: max, minSerializedSize: 2 };
      }
      const fields = new Map<string, DeclType>();
      const required = new Set(s.required ?? []);
      let minSerializedSize = 2;
      for (const [name, prop] of Object.entries(s.properties ?? {})) {
        const fieldType = schemaDeclType(prop, prop['x-kubernetes-embedded-resource'] === true, cache);
        if (fieldType === undefined) continue;
        const escaped = escapePropertyName(name);
        if (escaped !== undefined) fields.set(escaped, fieldType);
        // Required fields without a default are always in the JSON: "name":<value>, plus braces.
        if (required.has(name) && prop.default === undefined) {
          minSerializedSize += utf8Length(name) + fieldType.minSerializedSize + 4;
        }
      }
      return { kind: 'object', fields, maxElements: 0, minSerializedSize };
    }
    case 'string':
      return stringType(s);
    case 'boolean':
      return simple('bool', MIN_BOOL_SIZE);
    case 'number':
      return simple('double', MIN_NUMBER_SIZE);
    case 'integer':
      return simple('int', MIN_NUMBER_SIZE);
  }
  return undefined;
}

/**
 * How many times a rule on a node of this minimum size can run in one request when an enclosing
 * list or map has no bound (Go: apiextensions `schema/cel/compilation.go` `maxCardinality`).
 */
export function unboundedCardinality(minSerializedSize: number): number {
  return Math.floor(MAX_REQUEST_SIZE_BYTES / (minSerializedSize + 1));
}
