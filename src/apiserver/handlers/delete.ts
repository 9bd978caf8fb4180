/**
 * DELETE of one object and of a collection. Finalizers hold an object (deletionTimestamp set,
 * 200 with the object) until an update removes the last one; the bootstrap namespaces cannot be
 * deleted. `DeleteOptions` come in the body (kubectl sends `{"propagationPolicy":"Background"}`)
 * or the query.
 */
import { isPlainObject, type KubeObject } from '../../core/index.js';
import { badRequest, forbidden, statusError } from '../errors/status-errors.js';
import { UNDELETABLE_NAMESPACES } from '../registry/namespaces.js';
import type { DeletePreconditions, PropagationPolicy } from '../registry/types.js';
import { isStored } from '../storage/store.js';
import { parseListOptions } from './list-options.js';
import { listJson } from './read.js';
import { type HandlerResult, isDryRun, type ResourceRequest } from './request.js';
import { checkDryRun } from './write.js';

const POLICIES = new Set(['Background', 'Foreground', 'Orphan']);

async function deleteOptions(
  r: ResourceRequest,
): Promise<{ preconditions: DeletePreconditions; dryRun: boolean; policy: PropagationPolicy; grace?: number }> {
  checkDryRun(r.query);
  const raw = await r.body();
  let body: Record<string, unknown> = {};
  if (raw.length > 0) {
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      if (isPlainObject(parsed)) body = parsed;
      else throw new Error('not an object');
    } catch (err) {
      throw badRequest(`error decoding DeleteOptions: ${(err as Error).message}`);
    }
  }
  const policy = body.propagationPolicy ?? r.query.get('propagationPolicy') ?? undefined;
  if (policy !== undefined && policy !== null && !POLICIES.has(String(policy))) {
    throw statusError(
      'Invalid',
      `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"`,
      {
        group: 'meta.k8s.io',
        kind: 'DeleteOptions',
        causes: [{ reason: 'FieldValueNotSupported', message: 'Unsupported value', field: 'propagationPolicy' }],
      },
    );
  }
  const pre = isPlainObject(body.preconditions) ? body.preconditions : {};
  const preconditions: DeletePreconditions = {};
  if (typeof pre.uid === 'string') preconditions.uid = pre.uid;
  if (typeof pre.resourceVersion === 'string') preconditions.resourceVersion = pre.resourceVersion;
  const dryRun = isDryRun(r.query) || (Array.isArray(body.dryRun) && body.dryRun.includes('All'));
  const chosen = policy === undefined || policy === null ? 'Background' : (String(policy) as PropagationPolicy);
  const grace = gracePeriodOf(body.gracePeriodSeconds ?? r.query.get('gracePeriodSeconds') ?? undefined);
  return { preconditions, dryRun, policy: chosen, ...(grace !== undefined ? { grace } : {}) };
}

/** `gracePeriodSeconds` of DeleteOptions (body number or query string); 400 when not an integer. */
function gracePeriodOf(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw badRequest(`invalid value for gracePeriodSeconds: ${JSON.stringify(value)}: must be an integer`);
  }
  return n;
}

/** DELETE /.../{plural}/{name}. */
export async function handleDelete(r: ResourceRequest): Promise<HandlerResult> {
  const { preconditions, dryRun, policy, grace } = await deleteOptions(r);
  const name = r.target.name ?? '';
  if (r.served.storeId === '/namespaces' && UNDELETABLE_NAMESPACES.has(name)) {
    throw forbidden({ group: '', plural: 'namespaces' }, name, 'this namespace may not be deleted');
  }
  const current = r.cluster.getOrThrow(r.served, r.target.namespace, name);
  return r.cluster.delete(
    r.served,
    current,
    preconditions,
    { dryRun, verb: 'delete', ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}) },
    policy,
  );
}

/** DELETE /.../{plural}: deletes every object the selectors match; answers the list of them. */
export async function handleDeleteCollection(r: ResourceRequest): Promise<HandlerResult> {
  const options = parseListOptions(r.query, r.served);
  const { dryRun, policy, grace } = await deleteOptions(r);
  const namespace = r.served.type.namespaced ? r.target.namespace : undefined;
  const store = r.cluster.store(r.served);
  const deleted: KubeObject[] = [];
  for (const stored of [...store.all(namespace)]) {
    if (options.filter && !options.filter(stored.object)) continue;
    const result = r.cluster.delete(
      r.served,
      stored,
      {},
      { dryRun, verb: 'deletecollection', ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}) },
      policy,
    );
    deleted.push(isStored(result.body) ? result.body.object : stored.object);
  }
  const items = deleted.map((object) => ({ object, json: JSON.stringify(object), rv: 0, key: '' }));
  return { code: 200, json: listJson(r.served, items, { resourceVersion: String(store.revision) }) };
}
