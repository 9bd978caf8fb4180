/**
 * The one diff of two JSON documents. A write walks the desired object once: the walk yields the
 * patch (merge patch or JSON patch), the top-level paths it changes (what reconcile provenance
 * and the write log report: `['spec', 'metadata.labels']`) and the no-op verdict together, rather
 * than comparing the same two objects once for equality, once for the patch and once for the
 * paths. `createMergePatch` and `createJsonPatch` are this walk too, so every patch kloop computes
 * follows the same rules. On a Deployment of five containers a merge diff takes about as long as
 * one `deepEqual` of the two.
 */
import { deepEqual, isPlainObject } from './equal.js';
import type { JsonPatchOperation } from './json-patch.js';
import { setOwn } from './own.js';

/** metadata fields reported on their own; everything else under metadata is ignored. */
const METADATA_FIELDS: ReadonlySet<string> = new Set([
  'labels',
  'annotations',
  'finalizers',
  'ownerReferences',
  'deletionTimestamp',
  'generation',
]);

/** Top-level members that never count as a changed path. */
const UNREPORTED = new Set(['metadata', 'apiVersion', 'kind']);

/** Which patch a diff builds: RFC 7386 merge patch or RFC 6902 JSON patch. */
export type PatchFormat = 'merge' | 'json';

/** What one walk over two objects yields. */
export interface ObjectDiff<P> {
  /** The patch that turns `from` into `to`: `undefined` (merge) or `[]` (json) when they are equal. */
  patch: P;
  /**
   * The top-level paths the patch touches, named as {@link changedTopLevelPaths} names them
   * (`metadata.labels`, `spec`, ...; other metadata, `apiVersion` and `kind` not reported). Sorted.
   */
  changed: string[];
  /** True when there is nothing to send. */
  unchanged: boolean;
}

/**
 * Which changed members a walk reports, and where to: the top level of the object (every member
 * but metadata, apiVersion and kind), its metadata (the fields in METADATA_FIELDS), or none (every
 * level below, and the plain `createMergePatch`/`createJsonPatch`). Plain numbers, not callbacks:
 * the report rides along the walk at no cost to the levels that report nothing.
 */
const NONE = 0;
const TOP = 1;
const METADATA = 2;
type Level = typeof NONE | typeof TOP | typeof METADATA;

/** Records that member `key` of a reporting level changed. */
function report(paths: string[], level: Level, key: string, from: unknown, to: unknown): void {
  if (level === METADATA) {
    if (METADATA_FIELDS.has(key)) paths.push(`metadata.${key}`);
  } else if (!UNREPORTED.has(key)) {
    paths.push(key);
  } else if (key === 'metadata' && !(isPlainObject(from) && isPlainObject(to))) {
    // metadata replaced or removed whole, not walked member by member: compare its fields.
    paths.push(...metadataPaths(from, to));
  }
}

/** The level below member `key` of `level`. */
function below(level: Level, key: string): Level {
  return level === TOP && key === 'metadata' ? METADATA : NONE;
}

/**
 * The walk of a JSON patch: the operations so far and the path to the current position (member
 * names unescaped, array indexes as numbers). Pointers are built and escaped only for operations
 * emitted, so the walk allocates in proportion to the change, not to the object.
 */
interface JsonWalk {
  ops: JsonPatchOperation[];
  tokens: Array<string | number>;
  /** Changed paths reported (see {@link Level}). */
  paths: string[];
}

// The walks below iterate with `for...in`, as deepEqual does: JSON objects have no inherited
// enumerable members, and it needs no key array per object.

/**
 * The merge patch between two objects' members, `undefined` when they are equal. Null and absent
 * are the same member (a merge patch reads null as "remove"); arrays and scalars are replaced
 * whole, so one equality walk of each is all they need.
 */
function mergeMembers(
  from: Readonly<Record<string, unknown>>,
  to: Readonly<Record<string, unknown>>,
  paths: string[],
  level: Level,
): Record<string, unknown> | undefined {
  let patch: Record<string, unknown> | undefined;
  for (const k in from) {
    const f = from[k];
    if (f == null || (to[k] !== undefined && Object.hasOwn(to, k))) continue;
    setOwn((patch ??= {}), k, null);
    if (level !== NONE) report(paths, level, k, f, undefined);
  }
  for (const k in to) {
    const t = to[k];
    if (t === undefined) continue;
    const f = Object.hasOwn(from, k) ? from[k] : undefined;
    if (f === t) continue;
    let v: unknown;
    if (t === null) {
      if (f == null) continue;
      v = null;
    } else if (isPlainObject(f) && isPlainObject(t)) {
      v = mergeMembers(f, t, paths, below(level, k));
      if (v === undefined) continue;
    } else if (f !== undefined && deepEqual(f, t)) {
      continue;
    } else {
      v = t;
    }
    setOwn((patch ??= {}), k, v);
    if (level !== NONE) report(paths, level, k, f, t);
  }
  return patch;
}

/** The JSON patch operations between two objects' members, pushed to `walk`; true if any. */
function jsonMembers(
  from: Readonly<Record<string, unknown>>,
  to: Readonly<Record<string, unknown>>,
  walk: JsonWalk,
  level: Level,
): boolean {
  let changed = false;
  for (const k in from) {
    const f = from[k];
    if (f === undefined || (to[k] !== undefined && Object.hasOwn(to, k))) continue;
    walk.ops.push({ op: 'remove', path: pointer(walk, k) });
    changed = true;
    if (level !== NONE) report(walk.paths, level, k, f, undefined);
  }
  for (const k in to) {
    const t = to[k];
    if (t === undefined) continue;
    const f = Object.hasOwn(from, k) ? from[k] : undefined;
    if (f === t) continue;
    if (f === undefined) {
      walk.ops.push({ op: 'add', path: pointer(walk, k), value: t });
    } else {
      walk.tokens.push(k);
      const differs = jsonValue(f, t, walk, below(level, k));
      walk.tokens.pop();
      if (!differs) continue;
    }
    changed = true;
    if (level !== NONE) report(walk.paths, level, k, f, t);
  }
  return changed;
}

/**
 * The JSON patch operations turning `from` into `to` at the walk's position: objects member by
 * member, arrays index by index (trailing elements removed or added), `replace` for the rest.
 */
function jsonValue(from: unknown, to: unknown, walk: JsonWalk, level: Level): boolean {
  if (from === to) return false;
  if (isPlainObject(from) && isPlainObject(to)) return jsonMembers(from, to, walk, level);
  if (Array.isArray(from) && Array.isArray(to)) {
    let changed = false;
    const common = Math.min(from.length, to.length);
    for (let i = 0; i < common; i++) {
      walk.tokens.push(i);
      if (jsonValue(from[i], to[i], walk, NONE)) changed = true;
      walk.tokens.pop();
    }
    for (let i = from.length - 1; i >= to.length; i--) walk.ops.push({ op: 'remove', path: pointer(walk, i) });
    for (let i = from.length; i < to.length; i++) walk.ops.push({ op: 'add', path: pointer(walk, i), value: to[i] });
    return changed || from.length !== to.length;
  }
  // NaN is not JSON; it equals itself here as it does in deepEqual.
  if (typeof from === 'number' && typeof to === 'number' && Number.isNaN(from) && Number.isNaN(to)) return false;
  walk.ops.push({ op: 'replace', path: pointer(walk), value: to });
  return true;
}

/** The pointer of the walk's position, or of its member or element `token`. */
function pointer(walk: JsonWalk, token?: string | number): string {
  let path = '';
  for (const t of walk.tokens) path += `/${typeof t === 'number' ? t : escapeJsonPointerToken(t)}`;
  if (token === undefined) return path;
  return `${path}/${typeof token === 'number' ? token : escapeJsonPointerToken(token)}`;
}

/** Escapes one reference token for a JSON Pointer (`~` -> `~0`, `/` -> `~1`). */
export function escapeJsonPointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function metadataPaths(from: unknown, to: unknown): string[] {
  const a = asRecord(from);
  const b = asRecord(to);
  return [...METADATA_FIELDS].filter((f) => !deepEqual(a[f], b[f])).map((f) => `metadata.${f}`);
}

/**
 * Diffs two objects once: the patch in `format`, the top-level paths it changes and whether there
 * is anything to send.
 *
 * @example
 * ```ts
 * const { patch, changed, unchanged } = diffObjects(
 *   { metadata: { name: 'a', labels: { x: '1' } }, data: { k: 'v' } },
 *   { metadata: { name: 'a', labels: { x: '2' } }, data: { k: 'v' } },
 *   'merge',
 * );
 * // patch: { metadata: { labels: { x: '2' } } }, changed: ['metadata.labels'], unchanged: false
 * ```
 */
export function diffObjects(
  from: Readonly<Record<string, unknown>>,
  to: Readonly<Record<string, unknown>>,
  format: 'merge',
): ObjectDiff<Record<string, unknown> | undefined>;
export function diffObjects(
  from: Readonly<Record<string, unknown>>,
  to: Readonly<Record<string, unknown>>,
  format: 'json',
): ObjectDiff<JsonPatchOperation[]>;
export function diffObjects(
  from: Readonly<Record<string, unknown>>,
  to: Readonly<Record<string, unknown>>,
  format: PatchFormat,
): ObjectDiff<Record<string, unknown> | undefined | JsonPatchOperation[]> {
  if (format === 'merge') {
    const changed: string[] = [];
    const patch = mergeMembers(from, to, changed, TOP);
    return { patch, changed: changed.sort(), unchanged: patch === undefined };
  }
  const walk: JsonWalk = { ops: [], tokens: [], paths: [] };
  const differs = jsonMembers(from, to, walk, TOP);
  return { patch: walk.ops, changed: walk.paths.sort(), unchanged: !differs };
}

/** The merge patch from `from` to `to` (`createMergePatch`). Internal to core. */
export function mergePatchWalk(
  from: Readonly<Record<string, unknown>>,
  to: Readonly<Record<string, unknown>>,
): Record<string, unknown> | undefined {
  return mergeMembers(from, to, [], NONE);
}

/** The JSON patch from `from` to `to` (`createJsonPatch`). Internal to core. */
export function jsonPatchWalk(from: unknown, to: unknown): JsonPatchOperation[] {
  const walk: JsonWalk = { ops: [], tokens: [], paths: [] };
  jsonValue(from, to, walk, NONE);
  return walk.ops;
}

/**
 * The paths that differ between two versions of an object: the metadata fields that matter to
 * controllers (`metadata.labels`, `metadata.annotations`, `metadata.finalizers`,
 * `metadata.ownerReferences`, `metadata.deletionTimestamp`, `metadata.generation`) and every
 * other top-level field (`spec`, `status`, `data`, ...). resourceVersion, managedFields and the
 * rest of metadata are ignored, as are `apiVersion` and `kind`. Sorted. For informer events,
 * where no patch is wanted: one equality walk per top-level field.
 *
 * @example
 * ```ts
 * const oldPod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'a' } } };
 * const newPod = { ...oldPod, metadata: { name: 'p', labels: { app: 'b' } }, status: { phase: 'Running' } };
 * changedTopLevelPaths(oldPod, newPod); // ['metadata.labels', 'status']
 * ```
 */
export function changedTopLevelPaths(oldObj: unknown, newObj: unknown): string[] {
  const a = asRecord(oldObj);
  const b = asRecord(newObj);
  const out = metadataPaths(a.metadata, b.metadata);
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (UNREPORTED.has(k)) continue;
    if (!deepEqual(a[k], b[k])) out.push(k);
  }
  return out.sort();
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
