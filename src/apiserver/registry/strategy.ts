/**
 * The rules the real API server's registry strategies apply to writes (`k8s.io/apiserver`'s
 * `pkg/registry/rest` and each kind's `pkg/registry/.../strategy.go`): what create fills in, what
 * an update may not change, how the status subresource splits an object, when `metadata.generation`
 * moves, and how deletion with finalizers starts. Pure functions over plain objects; storage is the
 * caller's business.
 */
import { randomUUID } from 'node:crypto';
import { deepEqual, isPlainObject, type KubeObject, type StatusCause } from '../../core/index.js';
import { conflict, internalError, invalid } from '../errors/status-errors.js';
import { refOf, type ServedType } from '../served/served-types.js';

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** RFC 3339 with second precision and `Z`, as `metav1.Time` serializes. */
export function nowTimestamp(now: Date = new Date()): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

/** Longest prefix a generated name keeps (`names.MaxGeneratedNameLength`: 63 - 5). */
const MAX_GENERATED_PREFIX = 58;

/**
 * `generateName` + 5 random characters of the real server's alphabet, the prefix cut to 58
 * characters first as `SimpleNameGenerator` does.
 */
export function generateName(prefix: string, random: () => number): string {
  let s = prefix.length > MAX_GENERATED_PREFIX ? prefix.slice(0, MAX_GENERATED_PREFIX) : prefix;
  for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(random() * NAME_CHARS.length)];
  return s;
}

/**
 * Fills in what create sets: name from generateName, uid, creationTimestamp, generation, and the
 * per-type defaults (status cleared where a status subresource owns it).
 */
export function prepareCreate(
  obj: KubeObject,
  served: ServedType,
  random: () => number,
  now: number = Date.now(),
): void {
  const meta = obj.metadata;
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') {
    // The real server's etcd layer refuses this with a plain error, which surfaces as a 500.
    throw internalError('resourceVersion should not be set on objects to be created');
  }
  delete meta.resourceVersion;
  if (
    (meta.name === undefined || meta.name === '') &&
    typeof meta.generateName === 'string' &&
    meta.generateName !== ''
  ) {
    meta.name = generateName(meta.generateName, random);
  }
  meta.uid = randomUUID();
  meta.creationTimestamp = nowTimestamp(new Date(now));
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  if (served.generation !== 'none') meta.generation = 1;
  else delete meta.generation;
  if (served.hasStatus) {
    if (served.custom || served.type.kind !== 'Pod') delete obj.status;
    if (served.type.kind === 'Pod') obj.status = { phase: 'Pending', ...(isPlainObject(obj.status) ? obj.status : {}) };
  }
  if (served.type.kind === 'Secret' && served.type.group === '' && (obj.type === undefined || obj.type === '')) {
    obj.type = 'Opaque';
  }
  if (served.type.kind === 'Namespace' && served.type.group === '') {
    meta.labels = { ...(meta.labels ?? {}), 'kubernetes.io/metadata.name': String(meta.name) };
    obj.spec = { finalizers: ['kubernetes'] };
    obj.status = { phase: 'Active' };
  }
}

/**
 * Checks an update's resourceVersion precondition: a stale one is a 409 (checked before the
 * no-op check, as the real server does); an empty one is unconditional for built-ins and a 422
 * for custom resources.
 */
export function checkPrecondition(incoming: KubeObject, current: KubeObject, served: ServedType): void {
  const rv = incoming.metadata.resourceVersion;
  const name = String(current.metadata.name);
  if (rv === undefined || rv === '') {
    if (served.custom) {
      throw invalid(refOf(served), name, [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 0x0: must be specified for an update',
          field: 'metadata.resourceVersion',
        },
      ]);
    }
    return;
  }
  if (rv !== current.metadata.resourceVersion) throw conflict(refOf(served), name);
}

/**
 * Builds the object an update stores: immutable metadata kept from `current`, the status (or
 * everything but the status, for `/status`) kept per the status subresource, the generation
 * bumped per the type's rule. `incoming` is owned by the caller and modified.
 */
export function prepareUpdate(
  incoming: KubeObject,
  current: KubeObject,
  served: ServedType,
  subresource: string | undefined,
): KubeObject {
  const name = String(current.metadata.name);
  let next: KubeObject;
  if (subresource === 'status') {
    // `/status` writes only `.status`; everything else stays as stored.
    next = { ...current, metadata: { ...current.metadata } };
    // Server-side apply on /status hands in the managedFields it computed.
    if (incoming.metadata.managedFields !== undefined) next.metadata.managedFields = incoming.metadata.managedFields;
    if (incoming.status === undefined) delete next.status;
    else next.status = incoming.status;
  } else {
    next = incoming;
    const causes: StatusCause[] = [];
    for (const field of ['uid', 'creationTimestamp'] as const) {
      const v = incoming.metadata[field];
      const was = current.metadata[field];
      // Times compare as instants: clients re-serialize them with milliseconds (client-node does).
      const same =
        v === was ||
        (field === 'creationTimestamp' &&
          typeof v === 'string' &&
          typeof was === 'string' &&
          Date.parse(v) === Date.parse(was));
      if (v !== undefined && v !== '' && v !== null && !same) {
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(v)}: field is immutable`,
          field: `metadata.${field}`,
        });
      }
    }
    if (causes.length > 0) throw invalid(refOf(served), name, causes);
    const meta = next.metadata;
    meta.uid = current.metadata.uid;
    meta.creationTimestamp = current.metadata.creationTimestamp;
    copyOrDelete(meta, current.metadata, 'deletionTimestamp');
    copyOrDelete(meta, current.metadata, 'deletionGracePeriodSeconds');
    if (meta.managedFields === undefined) copyOrDelete(meta, current.metadata, 'managedFields');
    if (served.hasStatus) {
      if (current.status === undefined) delete next.status;
      else next.status = current.status;
    }
    if (served.type.kind === 'Namespace' && served.type.group === '') {
      next.status = current.status;
      meta.labels = { ...(meta.labels ?? {}), 'kubernetes.io/metadata.name': name };
    }
  }
  if (current.metadata.deletionTimestamp !== undefined) {
    const before = new Set(current.metadata.finalizers ?? []);
    const added = (next.metadata.finalizers ?? []).filter((f) => !before.has(f));
    if (added.length > 0) {
      throw invalid(refOf(served), name, [
        {
          reason: 'FieldValueForbidden',
          message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
          field: 'metadata.finalizers',
        },
      ]);
    }
  }
  next.metadata.resourceVersion = current.metadata.resourceVersion;
  next.metadata.generation = current.metadata.generation;
  if (next.metadata.generation === undefined) delete next.metadata.generation;
  else if (generationChanged(next, current, served)) next.metadata.generation = Number(current.metadata.generation) + 1;
  return next;
}

function copyOrDelete(to: Record<string, unknown>, from: Record<string, unknown>, field: string): void {
  if (from[field] === undefined) delete to[field];
  else to[field] = from[field];
}

/** Whether the change from `current` to `next` bumps the generation under the type's rule. */
export function generationChanged(next: KubeObject, current: KubeObject, served: ServedType): boolean {
  switch (served.generation) {
    case 'none':
      return false;
    case 'spec':
      return !deepEqual(next.spec, current.spec);
    case 'spec-and-annotations':
      return !deepEqual(next.spec, current.spec) || !deepEqual(next.metadata.annotations, current.metadata.annotations);
    case 'all-but-metadata': {
      const skip = served.hasStatus ? new Set(['metadata', 'status']) : new Set(['metadata']);
      const keys = new Set([...Object.keys(next), ...Object.keys(current)]);
      for (const k of keys) if (!skip.has(k) && !deepEqual(next[k], current[k])) return true;
      return false;
    }
  }
}

/** Starts a graceful deletion: deletionTimestamp now, grace 0, generation +1 where tracked. */
export function startDeletion(current: KubeObject, now: number = Date.now()): KubeObject {
  const next = JSON.parse(JSON.stringify(current)) as KubeObject;
  next.metadata.deletionTimestamp = nowTimestamp(new Date(now));
  next.metadata.deletionGracePeriodSeconds = 0;
  const generation = next.metadata.generation;
  if (typeof generation === 'number' && generation > 0) next.metadata.generation = generation + 1;
  if (next.kind === 'Namespace' && next.apiVersion === 'v1') {
    next.status = { ...(isPlainObject(next.status) ? next.status : {}), phase: 'Terminating' };
  }
  return next;
}

/** True when a deleting object has no finalizers left, so storage should drop it. */
export function readyToRemove(obj: KubeObject): boolean {
  // A pod in its grace period stays until the grace ends (graceful-deletion.ts), finalizers or not.
  const grace = obj.metadata.deletionGracePeriodSeconds;
  if (typeof grace === 'number' && grace > 0) return false;
  return obj.metadata.deletionTimestamp !== undefined && (obj.metadata.finalizers ?? []).length === 0;
}
