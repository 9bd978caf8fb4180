/**
 * OpenAPI v3 documents as kube-apiserver serves them (k8s.io/kube-openapi `handler3`): one
 * document per group-version at `/openapi/v3/<path>` (`api/v1`, `apis/apps/v1`), listed with a
 * content hash by the `/openapi/v3` index. Pure functions: the HTTP layer serves what these
 * build, and caches the published form (JSON text and hash) per document.
 *
 * `kubectl explain` finds a resource's kind through `x-kubernetes-group-version-kind` on the
 * operations of its paths, then the schema carrying the same extension among the components;
 * kubectl's client-side validation looks for the `fieldValidation` parameter of the PATCH
 * operation. Both are in every document built here.
 */
import { createHash } from 'node:crypto';
import { type OpenApiObject, type OpenApiValue, openApiData, type StoredOperation } from './openapi-data.js';

/** An OpenAPI v3 document (the parts Kubernetes uses). */
export interface OpenApiV3Document {
  openapi: string;
  info: OpenApiObject;
  paths: Record<string, OpenApiObject>;
  components: { schemas: Record<string, OpenApiObject>; securitySchemes?: OpenApiObject };
}

/** The /openapi/v3 path of a group-version: `api/v1` for the core group, `apis/<group>/<version>` otherwise. */
export function openApiV3PathOf(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** The resource a path is about (`deployments` for `/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale`). */
export function resourceOfPath(path: string, gvPath: string): string {
  const segments = path
    .slice(gvPath.length + 2)
    .split('/')
    .filter(Boolean);
  if (segments[0] === 'watch') segments.shift();
  if (segments[0] === 'namespaces' && segments[1] === '{namespace}' && segments.length > 2) segments.splice(0, 2);
  return segments[0] ?? '';
}

function expandOperation(op: StoredOperation): OpenApiObject {
  const { parameters: stored, mediaTypeLists } = openApiData();
  const out: OpenApiObject = {};
  for (const [key, value] of Object.entries(op)) {
    if (value === undefined) continue;
    if (key === 'parameters') out.parameters = (value as number[]).map((i) => stored[i]);
    else if (key === 'responses') {
      const responses: OpenApiObject = {};
      for (const [code, response] of Object.entries(op.responses ?? {})) {
        const [description, schema, types] = response;
        responses[code] =
          schema === undefined
            ? { description }
            : { content: Object.fromEntries(mediaTypeLists[types!].map((t) => [t, { schema }])), description };
      }
      out.responses = responses;
    } else out[key] = value;
  }
  return out;
}

/**
 * The upstream (Kubernetes 1.33) document of a built-in group-version, e.g. `apis/apps/v1`;
 * undefined when Kubernetes has none. With `resources`, only the paths of those resources (and
 * the group-version's root path) are kept, for an emulator that serves part of a group-version;
 * the component schemas stay whole.
 */
export function buildBuiltinOpenApiV3(
  gvPath: string,
  options: { resources?: ReadonlySet<string> } = {},
): OpenApiV3Document | undefined {
  const data = openApiData();
  const stored = data.groupVersions[gvPath];
  if (stored === undefined) return undefined;
  const paths: Record<string, OpenApiObject> = {};
  for (const [path, item] of Object.entries(stored.paths)) {
    const resource = resourceOfPath(path, gvPath);
    if (options.resources !== undefined && resource !== '' && !options.resources.has(resource)) continue;
    const out: OpenApiObject = {};
    for (const [method, value] of Object.entries(item)) {
      if (value === undefined) continue;
      out[method] = Array.isArray(value)
        ? value.map((i) => data.parameters[i])
        : expandOperation(value as StoredOperation);
    }
    paths[path] = out;
  }
  const schemas: Record<string, OpenApiObject> = {};
  for (const name of stored.schemas) schemas[name] = data.schemas[name];
  return {
    openapi: data.v3.openapi,
    info: data.v3.info,
    paths,
    components: { schemas, securitySchemes: data.v3.securitySchemes },
  };
}

/**
 * One document from several for the same group-version (built-in and custom resources, or
 * several CRDs of one group), as the API server merges them: paths and component schemas
 * united, a later document's entry replacing an earlier one of the same name.
 */
export function mergeOpenApiV3(documents: readonly OpenApiV3Document[]): OpenApiV3Document {
  const [first] = documents;
  if (first === undefined) throw new Error('mergeOpenApiV3 needs at least one document');
  const merged: OpenApiV3Document = {
    openapi: first.openapi,
    info: first.info,
    paths: {},
    components: { schemas: {} },
  };
  for (const doc of documents) {
    Object.assign(merged.paths, doc.paths);
    Object.assign(merged.components.schemas, doc.components.schemas);
    if (doc.components.securitySchemes) merged.components.securitySchemes = doc.components.securitySchemes;
  }
  return merged;
}

/** A document ready to serve: its /openapi/v3 path, JSON text and hash. */
export interface PublishedOpenApiDocument {
  /** `api/v1`, `apis/apps/v1`, ... */
  readonly path: string;
  /** The body of `GET /openapi/v3/<path>` (application/json). */
  readonly json: string;
  /** Uppercase hex SHA-512 of `json`: the `hash` query parameter and the ETag (handler3 `computeETag`). */
  readonly hash: string;
}

/** Serializes a document and computes its hash. */
export function publishOpenApiDocument(
  path: string,
  document: OpenApiV3Document | OpenApiValue,
): PublishedOpenApiDocument {
  const json = JSON.stringify(document);
  return { path, json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
}

/** The `/openapi/v3` discovery document. */
export interface OpenApiV3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

/**
 * `GET /openapi/v3`: every published document by path, each with the URL clients fetch it from,
 * `/openapi/v3/<path>?hash=<hash>` (handler3 `constructServerRelativeURL`).
 */
export function buildOpenApiV3Index(documents: readonly PublishedOpenApiDocument[]): OpenApiV3Index {
  const paths: OpenApiV3Index['paths'] = {};
  for (const doc of [...documents].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    paths[doc.path] = { serverRelativeURL: `/openapi/v3/${doc.path}?hash=${doc.hash}` };
  }
  return { paths };
}
