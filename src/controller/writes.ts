/**
 * What a write of the cached client sends: its type, and the part of the object one request
 * writes (spec and metadata, or status, or all of it), compared once with core's `diffObjects`,
 * which yields the patch, the changed top-level paths (the write report's `fields`) and the no-op
 * verdict from one walk over the desired object.
 */
import {
  diffObjects,
  isPlainObject,
  type JsonPatchOperation,
  KloopError,
  type KubeObject,
  type ObjectDiff,
  type TypeRef,
} from '../core/index.js';
import { changedFieldPaths } from './field-paths.js';

/** A write that lacks what it needs (type, name). */
export class ClientUsageError extends KloopError {
  constructor(message: string) {
    super('KLOOP_CLIENT_USAGE', message);
  }
}

/** The type of an object to write, from its `apiVersion` and `kind`. */
export function typeOf(object: KubeObject): TypeRef {
  if (!object.apiVersion || !object.kind) {
    throw new ClientUsageError(
      `object ${object.metadata?.name ?? '?'} has no apiVersion/kind; set them before writing`,
    );
  }
  return { apiVersion: object.apiVersion, kind: object.kind };
}

/** The top-level fields a whole-object write (create, PUT) sends. */
export function bodyFields(object: KubeObject): string[] {
  return Object.keys(object).filter((k) => k !== 'apiVersion' && k !== 'kind');
}

/** Which part of an object one request writes: the main resource, `status`, or both at once. */
export type WritePart = 'all' | 'main' | 'status';

/** Metadata the server owns: never part of a computed patch. */
const SERVER_META = [
  'resourceVersion',
  'managedFields',
  'uid',
  'creationTimestamp',
  'generation',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

/**
 * A copy without server-owned metadata, with or without `status`, and without null members.
 *
 * Nulls go because a merge patch reads null as "remove": a null the server returned
 * (`spec.template.metadata.creationTimestamp: null` on every Deployment) and a key the desired
 * object leaves out are the same state, and diffing them must not produce a patch. Removing a
 * field by setting it to null in a draft still works: it is absent from the copy, so the diff
 * removes it.
 */
export function normalize(object: KubeObject, part: WritePart): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...object, metadata: { ...object.metadata } };
  const meta = copy.metadata as Record<string, unknown>;
  for (const field of SERVER_META) delete meta[field];
  if (part === 'main') delete copy.status;
  const kept = part === 'status' ? { status: copy.status } : copy;
  return withoutNulls(kept) as Record<string, unknown>;
}

/** `value` with null object members removed at every depth; shares subtrees that hold none. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = withoutNulls(value[i]);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  if (!isPlainObject(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(value)) {
    const v = value[k];
    if (v === null) {
      out ??= { ...value };
      delete out[k];
      continue;
    }
    const stripped = withoutNulls(v);
    if (stripped !== v) (out ??= { ...value })[k] = stripped;
  }
  return out ?? value;
}

/** The merge patch (or JSON patch) of one part of `current` into `desired`, from one diff. */
export function diffPart(
  current: KubeObject,
  desired: KubeObject,
  part: WritePart,
  format: 'merge',
): ObjectDiff<Record<string, unknown> | undefined>;
export function diffPart(
  current: KubeObject,
  desired: KubeObject,
  part: WritePart,
  format: 'json',
): ObjectDiff<JsonPatchOperation[]>;
export function diffPart(
  current: KubeObject,
  desired: KubeObject,
  part: WritePart,
  format: 'merge' | 'json',
): ObjectDiff<Record<string, unknown> | undefined | JsonPatchOperation[]> {
  const from = normalize(current, part);
  const to = normalize(desired, part);
  return format === 'merge' ? diffObjects(from, to, 'merge') : diffObjects(from, to, 'json');
}

/** The changed field paths (deep, bounded) of one part of a write: what the write report shows. */
export function partPaths(current: KubeObject, desired: KubeObject, part: WritePart): string[] {
  return changedFieldPaths(normalize(current, part), normalize(desired, part));
}
