/**
 * POST (create) and PUT (update, and update of the status subresource). Both parse the body,
 * fit it to the endpoint (apiVersion, kind, namespace, name) and hand it to the cluster's write
 * path, which applies the lifecycle rules and commits.
 */
import type { KubeObject } from '../../core/index.js';
import { parseObjectBody } from '../codec/object-body.js';
import { badRequest, statusError } from '../errors/status-errors.js';
import { checkNamespace, checkTypeMeta } from '../validation/objects.js';
import { fieldValidationOf, type HandlerResult, isDryRun, managerOf, type ResourceRequest } from './request.js';

/** Rejects `dryRun` values other than `All` (422, as the real server). */
export function checkDryRun(query: URLSearchParams): void {
  for (const v of query.getAll('dryRun')) {
    if (v !== 'All') {
      throw statusError('Invalid', `dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`, {
        causes: [
          {
            reason: 'FieldValueNotSupported',
            message: `Unsupported value: ${JSON.stringify(v)}: supported values: "All"`,
            field: 'dryRun',
          },
        ],
      });
    }
  }
}

/** The request form of a stored object (writes hand the cluster request forms; it converts). */
export function fromStorage(r: ResourceRequest, obj: KubeObject): KubeObject {
  return r.served.conversion ? r.served.conversion.fromStorage(obj) : obj;
}

/** POST /.../{plural}. */
export async function handleCreate(r: ResourceRequest): Promise<HandlerResult> {
  checkDryRun(r.query);
  const obj = parseObjectBody(await r.body());
  checkTypeMeta(obj, r.served);
  checkNamespace(obj, r.served, r.target.namespace);
  return r.cluster.create(r.served, obj, {
    dryRun: isDryRun(r.query),
    verb: 'create',
    manager: managerOf(r.query, r.req.headers['user-agent']),
    fieldValidation: fieldValidationOf(r.query),
  });
}

/** PUT /.../{plural}/{name}[/status]. */
export async function handleUpdate(r: ResourceRequest): Promise<HandlerResult> {
  checkDryRun(r.query);
  const obj = parseObjectBody(await r.body());
  checkTypeMeta(obj, r.served);
  const name = r.target.name ?? '';
  if (obj.metadata.name !== undefined && obj.metadata.name !== '' && obj.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`,
    );
  }
  obj.metadata.name = name;
  checkNamespace(obj, r.served, r.target.namespace);
  const current = r.cluster.getOrThrow(r.served, r.target.namespace, name);
  return r.cluster.update(r.served, current, obj, r.target.subresource, {
    dryRun: isDryRun(r.query),
    verb: 'update',
    manager: managerOf(r.query, r.req.headers['user-agent']),
    fieldValidation: fieldValidationOf(r.query),
  });
}
