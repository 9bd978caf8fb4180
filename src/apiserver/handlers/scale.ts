/**
 * The scale subresource (`/scale`, `autoscaling/v1 Scale`): built-in Deployments, ReplicaSets
 * and StatefulSets read `.spec.replicas`, `.status.replicas` and `.spec.selector`; custom
 * resources use the paths of their CRD's `subresources.scale`. GET answers the Scale; PUT and
 * PATCH (kubectl scale sends a merge patch) change the replicas of the object, through the
 * ordinary update path (optimistic concurrency, generation, watch events).
 */

import {
  applyMergePatch,
  isPlainObject,
  type JsonPatchOperation,
  KloopError,
  type KubeObject,
  labelSelectorFromSpec,
  PatchError,
} from '../../core/index.js';
import { parseObjectBody } from '../codec/object-body.js';
import { parseJsonLimited } from '../codec/yaml.js';
import { badRequest, unsupportedMediaType } from '../errors/status-errors.js';
import { mediaType } from '../http/io.js';
import { applyJsonPatchWithinLimits, patchNotApplied } from '../limits/json-patch.js';
import { PATCH_JSON, PATCH_MERGE, type ServedType } from '../served/served-types.js';
import type { StoredObject } from '../storage/store.js';
import { type HandlerResult, isDryRun, managerOf, type ResourceRequest } from './request.js';
import { checkDryRun, fromStorage } from './write.js';

interface ScalePaths {
  spec: string[];
  status: string[];
  selector?: string[];
}

function path(jsonPath: unknown): string[] | undefined {
  if (typeof jsonPath !== 'string' || jsonPath === '') return undefined;
  return jsonPath.replace(/^\./, '').split('.');
}

/** Where a type keeps its replicas and selector. */
export function scalePaths(served: ServedType): ScalePaths | undefined {
  if (!served.type.subresources.includes('scale')) return undefined;
  if (!served.custom)
    return { spec: ['spec', 'replicas'], status: ['status', 'replicas'], selector: ['spec', 'selector'] };
  const sub = served.crdVersion?.subresources;
  const scale = isPlainObject(sub) && isPlainObject(sub.scale) ? sub.scale : {};
  const spec = path(scale.specReplicasPath) ?? ['spec', 'replicas'];
  const status = path(scale.statusReplicasPath) ?? ['status', 'replicas'];
  const selector = path(scale.labelSelectorPath);
  return selector ? { spec, status, selector } : { spec, status };
}

function read(obj: unknown, p: readonly string[]): unknown {
  let v = obj;
  for (const k of p) v = isPlainObject(v) ? v[k] : undefined;
  return v;
}

function write(obj: Record<string, unknown>, p: readonly string[], value: unknown): void {
  let v = obj;
  for (const k of p.slice(0, -1)) {
    if (!isPlainObject(v[k])) v[k] = {};
    v = v[k] as Record<string, unknown>;
  }
  v[p[p.length - 1]] = value;
}

/** The Scale of a stored object. */
export function scaleOf(served: ServedType, stored: StoredObject): KubeObject {
  const paths = scalePaths(served);
  // The paths are the served version's: read the object in that version's form.
  const obj = served.conversion ? served.conversion.fromStorage(stored.object) : stored.object;
  const specReplicas = paths ? read(obj, paths.spec) : undefined;
  const statusReplicas = paths ? read(obj, paths.status) : undefined;
  const rawSelector = paths?.selector ? read(obj, paths.selector) : undefined;
  let selector: string | undefined;
  if (typeof rawSelector === 'string') selector = rawSelector;
  else if (isPlainObject(rawSelector)) selector = labelSelectorFromSpec(rawSelector).toString();
  const meta = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta.name,
      ...(meta.namespace !== undefined ? { namespace: meta.namespace } : {}),
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    },
    spec: { replicas: typeof specReplicas === 'number' ? specReplicas : served.custom ? 0 : 1 },
    status: {
      replicas: typeof statusReplicas === 'number' ? statusReplicas : 0,
      ...(selector !== undefined ? { selector } : {}),
    },
  };
}

/** GET, PUT or PATCH of `/scale`. */
export async function handleScale(r: ResourceRequest, verb: 'get' | 'update' | 'patch'): Promise<HandlerResult> {
  const name = r.target.name ?? '';
  if (verb === 'get') {
    return {
      code: 200,
      json: JSON.stringify(scaleOf(r.served, r.cluster.getOrThrow(r.served, r.target.namespace, name))),
    };
  }
  checkDryRun(r.query, verb === 'update' ? 'UpdateOptions' : 'PatchOptions');
  // Body first: from reading the object to committing the change there must be no await.
  const raw = await r.body();
  const current = r.cluster.getOrThrow(r.served, r.target.namespace, name);
  const scale = scaleOf(r.served, current);
  let next: unknown;
  const type = mediaType(r.req.headers['content-type']);
  if (verb === 'update')
    next = parseObjectBody(raw, type, { apiVersion: 'autoscaling/v1', kind: 'Scale', custom: false });
  else {
    let patch: unknown;
    try {
      patch = parseJsonLimited(raw);
    } catch (err) {
      throw badRequest(`error decoding patch: ${(err as Error).message}`);
    }
    try {
      if (type === PATCH_JSON) next = applyJsonPatchWithinLimits(scale, patch as JsonPatchOperation[]);
      else if (type === PATCH_MERGE || type === 'application/strategic-merge-patch+json')
        next = applyMergePatch(scale, patch);
      else throw unsupportedMediaType([PATCH_JSON, PATCH_MERGE, 'application/strategic-merge-patch+json']);
    } catch (err) {
      if (err instanceof PatchError && err.copyLimit !== undefined) throw patchNotApplied(err);
      if (err instanceof KloopError && err.code !== 'KLOOP_APISERVER_STATUS') throw badRequest(err.message);
      throw err;
    }
  }
  const replicas = read(next, ['spec', 'replicas']);
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw badRequest('spec.replicas: Invalid value: must be a non-negative integer');
  }
  const paths = scalePaths(r.served);
  if (!paths) throw badRequest('the resource has no scale subresource');
  const obj = structuredClone(fromStorage(r, current.object));
  write(obj, paths.spec, replicas);
  // The Scale's resourceVersion is a precondition, as on the real server.
  const rv = read(next, ['metadata', 'resourceVersion']);
  obj.metadata.resourceVersion = typeof rv === 'string' && rv !== '' ? rv : current.object.metadata.resourceVersion;
  const result = r.cluster.update(r.served, current, obj, undefined, {
    dryRun: isDryRun(r.query),
    verb,
    manager: managerOf(r.query, r.req.headers['user-agent']),
  });
  const body = result.body as StoredObject | KubeObject;
  const stored: StoredObject =
    'json' in body && typeof body.json === 'string'
      ? (body as StoredObject)
      : { object: body as KubeObject, json: JSON.stringify(body), rv: 0, key: current.key };
  return { code: 200, json: JSON.stringify(scaleOf(r.served, stored)) };
}
