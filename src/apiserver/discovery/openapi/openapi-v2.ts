/**
 * The OpenAPI v2 document (`GET /openapi/v2`, JSON), written from the same v3 documents the
 * emulator serves. kube-apiserver builds both versions from one set of definitions; the v2
 * definitions are the v3 component schemas with single-`$ref` `allOf` wrappers unwrapped,
 * `default` dropped, and `Quantity`/`IntOrString` typed as strings. The generator checks that
 * rule against the upstream swagger.json for every built-in definition, so the built-in
 * definitions here are upstream's. Paths are converted operation by operation (parameters
 * inline rather than shared under `#/parameters`, body parameters from request bodies,
 * `consumes`/`produces` from media types), which is what clients read of them.
 *
 * Custom resources' schemas are reduced as apiextensions-apiserver reduces them for v2
 * (`ToStructuralOpenAPIV2` with value validations and `nullable` stripped): v2 cannot say
 * `anyOf`/`oneOf`/`not`, and a schema that preserves unknown fields becomes a bare object.
 */
import type { OpenApiObject, OpenApiValue } from './openapi-data.js';
import { openApiData } from './openapi-data.js';
import type { OpenApiV3Document } from './openapi-v3.js';

/** An OpenAPI v2 (swagger) document. */
export interface OpenApiV2Document {
  swagger: string;
  info: OpenApiObject;
  paths: Record<string, OpenApiObject>;
  definitions: Record<string, OpenApiObject>;
  security: OpenApiValue[];
  securityDefinitions: OpenApiObject;
}

function isObject(v: unknown): v is OpenApiObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function v2Ref(ref: string): string {
  return ref.replace('#/components/schemas/', '#/definitions/');
}

/** A v3 schema as the v2 definition of it (the rewrite the generator verified on every built-in). */
export function toV2Schema(schema: OpenApiObject): OpenApiObject {
  if (Array.isArray(schema.oneOf) && !('type' in schema)) {
    const out: OpenApiObject = {};
    for (const [k, v] of Object.entries(schema)) if (k !== 'oneOf' && k !== 'default') out[k] = v;
    out.type = 'string';
    return out;
  }
  const out: OpenApiObject = {};
  const allOf = schema.allOf;
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'default') continue;
    if (
      k === 'allOf' &&
      Array.isArray(allOf) &&
      allOf.length === 1 &&
      isObject(allOf[0]) &&
      typeof allOf[0].$ref === 'string'
    ) {
      out.$ref = v2Ref(allOf[0].$ref);
    } else if (k === '$ref' && typeof v === 'string') out.$ref = v2Ref(v);
    else if ((k === 'properties' || k === 'patternProperties') && isObject(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, isObject(s) ? toV2Schema(s) : s]));
    } else if ((k === 'items' || k === 'additionalProperties' || k === 'not') && isObject(v)) out[k] = toV2Schema(v);
    else if ((k === 'allOf' || k === 'oneOf' || k === 'anyOf') && Array.isArray(v)) {
      out[k] = v.map((s) => (isObject(s) ? toV2Schema(s) : s));
    } else out[k] = v;
  }
  return out;
}

const VALUE_VALIDATIONS = new Set([
  'format',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'nullable',
  'x-kubernetes-validations',
]);

/** A custom resource's schema as apiextensions publishes it in v2. */
function customToV2(schema: OpenApiObject): OpenApiObject {
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) {
    const out: OpenApiObject = { type: 'object' };
    for (const k of ['description', 'x-kubernetes-group-version-kind', 'x-kubernetes-embedded-resource'])
      if (k in schema) out[k] = schema[k];
    return out;
  }
  const out: OpenApiObject = {};
  for (const [k, v] of Object.entries(schema)) {
    if (VALUE_VALIDATIONS.has(k) || k === 'default') continue;
    if (k === '$ref' && typeof v === 'string') out.$ref = v2Ref(v);
    else if (k === 'properties' && isObject(v)) {
      out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, isObject(s) ? customToV2(s) : s]));
    } else if ((k === 'items' || k === 'additionalProperties') && isObject(v)) out[k] = customToV2(v);
    else out[k] = v;
  }
  return out;
}

function parameterToV2(parameter: OpenApiObject): OpenApiObject {
  const { schema, ...rest } = parameter;
  return { ...rest, ...(isObject(schema) ? schema : {}) };
}

function operationToV2(op: OpenApiObject): OpenApiObject {
  const out: OpenApiObject = {};
  const body = op.requestBody;
  const parameters: OpenApiValue[] = [];
  let consumes: OpenApiValue[] = ['*/*'];
  if (isObject(body) && isObject(body.content)) {
    const types = Object.keys(body.content);
    consumes = types;
    const first = body.content[types[0]];
    const schema = isObject(first) && isObject(first.schema) ? toV2Schema(first.schema) : { type: 'object' };
    parameters.push({ in: 'body', name: 'body', ...(body.required === true ? { required: true } : {}), schema });
  }
  if (Array.isArray(op.parameters)) parameters.push(...op.parameters.filter(isObject).map(parameterToV2));
  let produces: OpenApiValue[] | undefined;
  const responses: OpenApiObject = {};
  for (const [code, response] of Object.entries(isObject(op.responses) ? op.responses : {})) {
    if (!isObject(response)) continue;
    const converted: OpenApiObject = { description: response.description ?? '' };
    if (isObject(response.content)) {
      const types = Object.keys(response.content);
      produces ??= types;
      const first = response.content[types[0]];
      if (isObject(first) && isObject(first.schema)) converted.schema = toV2Schema(first.schema);
    }
    responses[code] = converted;
  }
  for (const [k, v] of Object.entries(op)) {
    if (k === 'requestBody' || k === 'parameters' || k === 'responses') continue;
    out[k] = v;
  }
  // The one operation without an action, GET of a group-version's resource list, consumes
  // what it produces upstream.
  out.consumes = body === undefined && op['x-kubernetes-action'] === undefined && produces ? produces : consumes;
  if (parameters.length > 0) out.parameters = parameters;
  if (produces) out.produces = produces;
  out.responses = responses;
  out.schemes = ['https'];
  return out;
}

/** A v3 path item as v2. */
function pathToV2(item: OpenApiObject): OpenApiObject {
  const out: OpenApiObject = {};
  for (const [key, value] of Object.entries(item)) {
    if (key === 'parameters' && Array.isArray(value)) out.parameters = value.filter(isObject).map(parameterToV2);
    else if (isObject(value)) out[key] = operationToV2(value);
  }
  return out;
}

/** A document to include in the v2 document; `custom` marks one built from CRDs. */
export interface V2Source {
  document: OpenApiV3Document;
  custom?: boolean;
}

/**
 * `GET /openapi/v2`: one document for the whole server, from the v3 documents of every
 * group-version it serves (built-in ones from `buildBuiltinOpenApiV3`, custom ones from
 * `buildCrdsOpenApiV3`).
 */
export function buildOpenApiV2(sources: readonly V2Source[]): OpenApiV2Document {
  const data = openApiData();
  const paths: Record<string, OpenApiObject> = {};
  const definitions: Record<string, OpenApiObject> = {};
  for (const { document, custom } of sources) {
    for (const [path, item] of Object.entries(document.paths)) paths[path] = pathToV2(item);
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      // Built-in definitions come from the verified built-in schemas even inside a CRD document.
      const builtin = data.schemas[name];
      definitions[name] = custom && builtin === undefined ? customToV2(schema) : toV2Schema(builtin ?? schema);
    }
  }
  const sortedKeys = <T>(record: Record<string, T>) =>
    Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((k) => [k, record[k]]),
    ) as Record<string, T>;
  return {
    swagger: data.v2.swagger,
    info: data.v2.info,
    paths: sortedKeys(paths),
    definitions: sortedKeys(definitions),
    security: data.v2.security,
    securityDefinitions: data.v2.securityDefinitions,
  };
}
