/**
 * POST (create) and PUT (update, and update of the status subresource). Both read their options
 * (a 422 for bad ones), decode the body by its Content-Type (JSON, YAML or protobuf), check
 * unknown fields of built-ins as `fieldValidation` says, fit the object to the endpoint
 * (apiVersion, kind, namespace, name) and hand it to the cluster's write path, which applies
 * the lifecycle rules and commits.
 */
import type { JsonObject, KubeObject } from '../../core/index.js';
import { goDecodeError } from '../codec/go-json-types.js';
import { parseObjectBody } from '../codec/object-body.js';
import { isProtobufMediaType } from '../codec/protobuf.js';
import { pruneUnknownFields } from '../codec/unknown-fields.js';
import { badRequest } from '../errors/status-errors.js';
import { mediaType } from '../http/io.js';
import { checkBodyTypeMeta, checkNamespace } from '../validation/objects.js';
import { dryRunErrors, type FieldValidationDirective, invalidOptions, writeOptions } from './options.js';
import { type HandlerResult, managerOf, type ResourceRequest } from './request.js';

/** Rejects `dryRun` values other than `All` (422 `<kind>.meta.k8s.io "" is invalid`, as the real server). */
export function checkDryRun(
  query: URLSearchParams,
  kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions' = 'CreateOptions',
): void {
  const errors = dryRunErrors(query.getAll('dryRun'));
  if (errors.length > 0) throw invalidOptions(kind, errors);
}

/**
 * The unknown fields of a built-in object (removed from it, as decoding into the Go type drops
 * them), or none for custom resources (their schema prunes them in the write path) and for
 * `Ignore`.
 */
export function unknownFieldsOf(r: ResourceRequest, obj: KubeObject, directive: FieldValidationDirective): string[] {
  if (r.served.custom) return [];
  const unknown = pruneUnknownFields(obj as unknown as JsonObject) ?? [];
  return directive === 'Ignore' ? [] : unknown;
}

/** The 400 of a body the decoder refuses (`handlers/rest.go` `transformDecodeError`). */
function decodeFailure(r: ResourceRequest, error: string): Error {
  const { kind, version } = r.served.type;
  return badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: ${error}`);
}

/**
 * Type errors of a JSON or YAML body of a built-in kind (a string for an integer, Secret data
 * that is not base64): the decoder's 400, before anything looks at unknown fields.
 */
export function checkDecodable(r: ResourceRequest, obj: KubeObject): void {
  if (r.served.custom) return;
  const error = goDecodeError(obj as unknown as JsonObject);
  if (error !== undefined) throw decodeFailure(r, error);
}

/**
 * Strict decoding of a create or update body (`handlers/create.go`): with `Strict`, unknown
 * fields are a 400 `Deployment in version "v1" cannot be handled as a Deployment: strict
 * decoding error: unknown field "spec.foo"`; with `Warn` each is a warning.
 */
function decodeWarnings(r: ResourceRequest, obj: KubeObject, directive: FieldValidationDirective): string[] {
  const unknown = unknownFieldsOf(r, obj, directive);
  if (unknown.length === 0) return [];
  const texts = unknown.map((path) => `unknown field ${JSON.stringify(path)}`);
  if (directive === 'Strict') throw decodeFailure(r, `strict decoding error: ${texts.join(', ')}`);
  return texts;
}

/** A result with decoding warnings before the write path's own. */
export function withWarnings(result: HandlerResult, warnings: readonly string[]): HandlerResult {
  if (warnings.length === 0 || !('body' in result)) return result;
  return { ...result, warnings: [...warnings, ...(result.warnings ?? [])] };
}

/** Reads the request body as the endpoint's object. */
async function bodyObject(r: ResourceRequest): Promise<{ obj: KubeObject; protobuf: boolean }> {
  const type = mediaType(r.req.headers['content-type']);
  const obj = parseObjectBody(await r.body(), type, {
    apiVersion: r.served.type.apiVersion,
    kind: r.served.type.kind,
    custom: r.served.custom,
  });
  return { obj, protobuf: isProtobufMediaType(type) };
}

/** The request form of a stored object (writes hand the cluster request forms; it converts). */
export function fromStorage(r: ResourceRequest, obj: KubeObject): KubeObject {
  return r.served.conversion ? r.served.conversion.fromStorage(obj) : obj;
}

/** POST /.../{plural}. */
export async function handleCreate(r: ResourceRequest): Promise<HandlerResult> {
  const options = writeOptions(r.query, 'CreateOptions');
  const { obj, protobuf } = await bodyObject(r);
  checkBodyTypeMeta(obj, r.served);
  if (!protobuf) checkDecodable(r, obj);
  const warnings = protobuf ? [] : decodeWarnings(r, obj, options.fieldValidation);
  checkNamespace(obj, r.served, r.target.namespace);
  const result = r.cluster.create(r.served, obj, {
    dryRun: options.dryRun,
    verb: 'create',
    manager: managerOf(r.query, r.req.headers['user-agent']),
    fieldValidation: options.fieldValidation,
  });
  return withWarnings(result, warnings);
}

/** PUT /.../{plural}/{name}[/status]. */
export async function handleUpdate(r: ResourceRequest): Promise<HandlerResult> {
  const options = writeOptions(r.query, 'UpdateOptions');
  const { obj, protobuf } = await bodyObject(r);
  checkBodyTypeMeta(obj, r.served);
  if (!protobuf) checkDecodable(r, obj);
  const warnings = protobuf ? [] : decodeWarnings(r, obj, options.fieldValidation);
  const name = r.target.name ?? '';
  if (obj.metadata.name !== undefined && obj.metadata.name !== '' && obj.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`,
    );
  }
  obj.metadata.name = name;
  checkNamespace(obj, r.served, r.target.namespace);
  const current = r.cluster.getOrThrow(r.served, r.target.namespace, name);
  const result = r.cluster.update(r.served, current, obj, r.target.subresource, {
    dryRun: options.dryRun,
    verb: 'update',
    manager: managerOf(r.query, r.req.headers['user-agent']),
    fieldValidation: options.fieldValidation,
  });
  return withWarnings(result, warnings);
}
