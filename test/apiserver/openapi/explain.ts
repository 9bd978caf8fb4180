// What kubectl explain's v3 renderer does with a document (kubectl pkg/explain/v2/templates/
// plaintext.tmpl), reduced to finding a field: the GVK from the operations of the resource's
// paths, the component schema carrying that GVK, then each field through properties, $ref,
// items, additionalProperties and allOf; the type as its "typeGuess" prints it.
import type { OpenApiObject } from '../../../src/apiserver/discovery/openapi/openapi-data.js';
import type { OpenApiV3Document } from '../../../src/apiserver/discovery/openapi/openapi-v3.js';

type Schema = OpenApiObject;

function resolve(schema: Schema, doc: OpenApiV3Document): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/components/schemas/')) return schema;
  return doc.components.schemas[ref.slice('#/components/schemas/'.length)] ?? schema;
}

function typeGuess(schema: Schema, doc: OpenApiV3Document): string {
  if (schema.items) return `[]${typeGuess(schema.items as Schema, doc)}`;
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
    return `map[string]${typeGuess(schema.additionalProperties as Schema, doc)}`;
  const allOf = schema.allOf as Schema[] | undefined;
  if (allOf && !schema.properties && allOf.length === 1) return typeGuess(allOf[0], doc);
  if (typeof schema.$ref === 'string') {
    const target = resolve(schema, doc);
    if (!target.type || target.type === 'object') return schema.$ref.split('/').pop()!.split('.').pop() || 'Object';
    return String(target.type);
  }
  return schema.type === 'object' || !schema.type ? 'Object' : String(schema.type);
}

function step(schema: Schema, field: string, doc: OpenApiV3Document): Schema | undefined {
  const resolved = resolve(schema, doc);
  const props = resolved.properties as Record<string, Schema> | undefined;
  if (props?.[field]) return props[field];
  if (resolved.items) return step(resolved.items as Schema, field, doc);
  if (resolved.additionalProperties && typeof resolved.additionalProperties === 'object')
    return step(resolved.additionalProperties as Schema, field, doc);
  for (const sub of (resolved.allOf as Schema[] | undefined) ?? []) {
    const found = step(sub, field, doc);
    if (found) return found;
  }
  return undefined;
}

/** `kubectl explain <resource>.<fields>`: the kind, and the last field's type and description. */
export function explain(
  doc: OpenApiV3Document,
  gvr: { group: string; version: string; resource: string },
  fields: string[],
): { kind: string; type: string; description: string } {
  const prefix = gvr.group === '' ? '/api' : `/apis/${gvr.group}`;
  const base = `${prefix}/${gvr.version}`;
  const candidates = [
    `${base}/${gvr.resource}`,
    `${base}/${gvr.resource}/{name}`,
    `${base}/namespaces/{namespace}/${gvr.resource}`,
    `${base}/namespaces/{namespace}/${gvr.resource}/{name}`,
  ];
  let gvk: Schema | undefined;
  for (const path of candidates) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      gvk ??= (doc.paths[path]?.[method] as Schema | undefined)?.['x-kubernetes-group-version-kind'] as
        | Schema
        | undefined;
    }
  }
  if (!gvk) throw new Error(`error: GVR (${gvr.resource}) not found in OpenAPI schema`);
  const root = Object.values(doc.components.schemas).find((s) =>
    ((s['x-kubernetes-group-version-kind'] as Schema[] | undefined) ?? []).some(
      (x) => x.group === gvk.group && x.version === gvk.version && x.kind === gvk.kind,
    ),
  );
  if (!root) throw new Error(`error: GVK ${JSON.stringify(gvk)} not found in OpenAPI schema`);
  let schema: Schema = root;
  for (const field of fields) {
    const next = step(schema, field, doc);
    if (!next) throw new Error(`error: field "${field}" does not exist`);
    schema = next;
  }
  const described = resolve(schema, doc);
  return {
    kind: String(gvk.kind),
    type: typeGuess(schema, doc),
    description: String(schema.description ?? described.description ?? ''),
  };
}
