/**
 * The built-in OpenAPI data (`../generated/openapi-data.ts`, made by `scripts/generate-openapi.mjs`
 * from the Kubernetes 1.33 OpenAPI v3 and v2 documents), decompressed and parsed at first use:
 * about 150 KB compressed, 1.9 MB of JSON, never read by an emulator nobody asks for OpenAPI.
 */
import { brotliDecompressSync } from 'node:zlib';
import { OPENAPI_DATA, OPENAPI_GROUP_VERSIONS, OPENAPI_SOURCES } from '../generated/openapi-data.js';

/** A JSON value inside an OpenAPI document. */
export type OpenApiValue = string | number | boolean | null | OpenApiValue[] | { [key: string]: OpenApiValue };
/** A JSON object inside an OpenAPI document (a schema, an operation, a parameter, ...). */
export type OpenApiObject = { [key: string]: OpenApiValue };

/** An operation as stored: parameters and responses by reference (see the generator). */
export interface StoredOperation {
  parameters?: number[];
  /** Code -> [description] or [description, schema, index into `mediaTypeLists`]. */
  responses?: Record<string, [string] | [string, OpenApiObject, number]>;
  [key: string]: OpenApiValue | undefined;
}

/** A path item as stored: path-level parameters by index, operations by method. */
export type StoredPathItem = { parameters?: number[] } & { [method: string]: StoredOperation | number[] | undefined };

export interface OpenApiData {
  /** The fixed parts of a v3 document. */
  v3: { openapi: string; info: OpenApiObject; securitySchemes: OpenApiObject };
  /** The fixed parts of the v2 document. */
  v2: { swagger: string; info: OpenApiObject; security: OpenApiValue[]; securityDefinitions: OpenApiObject };
  /** Every component schema, in v3 form, by name (`io.k8s.api.apps.v1.Deployment`). */
  schemas: Record<string, OpenApiObject>;
  /** Every distinct parameter object, in v3 form. */
  parameters: OpenApiObject[];
  /** Media type lists of responses. */
  mediaTypeLists: string[][];
  /** By /openapi/v3 path (`apis/apps/v1`): its component schema names and its paths. */
  groupVersions: Record<string, { schemas: string[]; paths: Record<string, StoredPathItem> }>;
}

let data: OpenApiData | undefined;

/** The built-in OpenAPI data, parsed once. */
export function openApiData(): OpenApiData {
  data ??= JSON.parse(brotliDecompressSync(Buffer.from(OPENAPI_DATA, 'base64')).toString('utf8')) as OpenApiData;
  return data;
}

/** Where the built-in OpenAPI data comes from. */
export const openApiSources: readonly string[] = OPENAPI_SOURCES;

/** The built-in group-versions with a document, as /openapi/v3 paths (`api/v1`, `apis/apps/v1`, ...). */
export const builtinOpenApiGroupVersions: readonly string[] = OPENAPI_GROUP_VERSIONS;
