/**
 * DELETE of one object and of a collection. Finalizers hold an object (deletionTimestamp set,
 * 200 with the object) until an update removes the last one; the bootstrap namespaces cannot be
 * deleted. `DeleteOptions` come in the body (kubectl sends `{"propagationPolicy":"Background"}`,
 * client-go 1.32+ typed clients a protobuf `DeleteOptions`) or, only when there is no body, in
 * the query (`handlers/delete.go`).
 */
import { isPlainObject, type JsonObject, type KubeObject, makeStatus } from '../../core/index.js';
import { RESOURCE_MEDIA_TYPES } from '../codec/negotiation.js';
import { decodeProtobufDeleteOptions, isProtobufMediaType } from '../codec/protobuf.js';
import { forbidden, StatusError, unsupportedMediaType } from '../errors/status-errors.js';
import { mediaType } from '../http/io.js';
import { goParseInt64, queryOptionalBool } from '../http/query.js';
import { UNDELETABLE_NAMESPACES } from '../registry/namespaces.js';
import type { DeletePreconditions, PropagationPolicy } from '../registry/types.js';
import { isStored } from '../storage/store.js';
import { parseListOptions } from './list-options.js';
import {
  dryRunErrors,
  invalidField,
  invalidOptions,
  notSupportedField,
  type OptionsFieldError,
  parseQuery,
} from './options.js';
import { listJson } from './read.js';
import type { HandlerResult, ResourceRequest } from './request.js';

const POLICIES = new Set(['Background', 'Foreground', 'Orphan']);

/** `metav1.DeleteOptions`, as decoded. */
interface DeleteOptionsBody {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  orphanDependents?: boolean;
  propagationPolicy?: string;
  dryRun?: string[];
}

/** A failure of decoding the DELETE body: the raw decoder error, which the server answers as a 500. */
function undecodable(message: string): StatusError {
  return new StatusError(makeStatus(500, '', message));
}

/** Go's `UnmarshalTypeError` text for a JSON value of the wrong type. */
function wrongType(value: unknown, field: string, goType: string): StatusError {
  const what =
    typeof value === 'number'
      ? `number ${value}`
      : Array.isArray(value)
        ? 'array'
        : value === null
          ? 'null'
          : typeof value === 'object'
            ? 'object'
            : typeof value;
  return undecodable(`json: cannot unmarshal ${what} into Go struct field DeleteOptions.${field} of type ${goType}`);
}

/** The typed fields of a JSON DeleteOptions (other keys are ignored, as the non-strict decoder does). */
function typedDeleteOptions(body: Record<string, unknown>): DeleteOptionsBody {
  const out: DeleteOptionsBody = {};
  const { gracePeriodSeconds: grace, preconditions, orphanDependents, propagationPolicy, dryRun } = body;
  if (grace !== undefined && grace !== null) {
    if (typeof grace !== 'number' || !Number.isInteger(grace)) throw wrongType(grace, 'gracePeriodSeconds', 'int64');
    out.gracePeriodSeconds = grace;
  }
  if (preconditions !== undefined && preconditions !== null) {
    if (!isPlainObject(preconditions)) throw wrongType(preconditions, 'preconditions', 'v1.Preconditions');
    out.preconditions = {};
    for (const key of ['uid', 'resourceVersion'] as const) {
      const v = preconditions[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') throw wrongType(v, `preconditions.${key}`, key === 'uid' ? 'types.UID' : 'string');
      out.preconditions[key] = v;
    }
  }
  if (orphanDependents !== undefined && orphanDependents !== null) {
    if (typeof orphanDependents !== 'boolean') throw wrongType(orphanDependents, 'orphanDependents', 'bool');
    out.orphanDependents = orphanDependents;
  }
  if (propagationPolicy !== undefined && propagationPolicy !== null) {
    if (typeof propagationPolicy !== 'string') {
      throw wrongType(propagationPolicy, 'propagationPolicy', 'v1.DeletionPropagation');
    }
    out.propagationPolicy = propagationPolicy;
  }
  if (dryRun !== undefined && dryRun !== null) {
    if (!Array.isArray(dryRun)) throw wrongType(dryRun, 'dryRun', '[]string');
    for (const v of dryRun) if (typeof v !== 'string') throw wrongType(v, 'dryRun', 'string');
    out.dryRun = dryRun as string[];
  }
  return out;
}

/** The DeleteOptions of a request body (JSON, YAML or protobuf). */
function decodeBody(r: ResourceRequest, raw: Buffer): DeleteOptionsBody {
  const type = mediaType(r.req.headers['content-type']);
  if (isProtobufMediaType(type)) return typedDeleteOptions(decodeProtobufDeleteOptions(raw) as JsonObject);
  if (type !== '' && type !== 'application/json' && type !== 'application/yaml') {
    throw unsupportedMediaType(RESOURCE_MEDIA_TYPES);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw undecodable(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
  if (!isPlainObject(parsed)) {
    throw undecodable(
      `couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(parsed) ? 'array' : typeof parsed} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`,
    );
  }
  const kind = parsed.kind;
  if (typeof kind === 'string' && kind !== '' && kind !== 'DeleteOptions') {
    throw undecodable(
      `no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(String(parsed.apiVersion ?? ''))} in scheme "pkg/apis/meta/internalversion/scheme/register.go:27"`,
    );
  }
  return typedDeleteOptions(parsed);
}

/** The DeleteOptions of the query (used only when the request has no body). */
function queryOptions(query: URLSearchParams): DeleteOptionsBody {
  const out: DeleteOptionsBody = {};
  const grace = query.get('gracePeriodSeconds');
  if (grace !== null) out.gracePeriodSeconds = Number(parseQuery(() => goParseInt64(grace)));
  const orphan = queryOptionalBool(query, 'orphanDependents');
  if (orphan !== undefined) out.orphanDependents = orphan;
  const policy = query.get('propagationPolicy');
  if (policy !== null) out.propagationPolicy = policy;
  const dryRun = query.getAll('dryRun');
  if (dryRun.length > 0) out.dryRun = dryRun;
  return out;
}

/** `ValidateDeleteOptions`. */
function validate(options: DeleteOptionsBody): void {
  const errors: OptionsFieldError[] = [];
  const policy = options.propagationPolicy;
  if (options.orphanDependents !== undefined && policy !== undefined) {
    errors.push(
      invalidField(
        'propagationPolicy',
        JSON.stringify(policy),
        'orphanDependents and deletionPropagation cannot be both set',
      ),
    );
  }
  if (policy !== undefined && !POLICIES.has(policy)) {
    errors.push(
      notSupportedField('propagationPolicy', JSON.stringify(policy), ['Foreground', 'Background', 'Orphan', 'nil']),
    );
  }
  errors.push(...dryRunErrors(options.dryRun ?? []));
  if (errors.length > 0) throw invalidOptions('DeleteOptions', errors);
}

async function deleteOptions(
  r: ResourceRequest,
): Promise<{ preconditions: DeletePreconditions; dryRun: boolean; policy: PropagationPolicy; grace?: number }> {
  const raw = await r.body();
  const options = raw.length > 0 ? decodeBody(r, raw) : queryOptions(r.query);
  validate(options);
  const preconditions: DeletePreconditions = {};
  if (options.preconditions?.uid !== undefined) preconditions.uid = options.preconditions.uid;
  if (options.preconditions?.resourceVersion !== undefined) {
    preconditions.resourceVersion = options.preconditions.resourceVersion;
  }
  // The deprecated orphanDependents says Orphan (true) or the default policy (false).
  const policy = (options.propagationPolicy ??
    (options.orphanDependents === true ? 'Orphan' : 'Background')) as PropagationPolicy;
  const dryRun = (options.dryRun ?? []).length > 0;
  const grace = options.gracePeriodSeconds;
  return { preconditions, dryRun, policy, ...(grace !== undefined ? { grace } : {}) };
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
