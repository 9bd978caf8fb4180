/**
 * The one diff of two JSON documents. A write walks the desired object once: the walk yields the
 * patch (merge patch or JSON patch), the top-level paths it changes (what reconcile provenance
 * and the write log report: `['spec', 'metadata.labels']`) and the no-op verdict together, where
 * the cached client used to compare the same two objects four times (equality, patch, changed
 * paths, again for the other patch format). `createMergePatch` and `createJsonPatch` are
 * this walk too, so every patch kloop computes follows the same rules.
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

/** Told which members of one object level changed; `nested` reports one level down. */
interface Reporter {
  member(key: string, from: unknown, to: unknown): void;
  nested(key: string): Reporter | undefined;
}

/** Returned by a member walk in JSON mode when something changed (the ops are in the list). */
const CHANGED: Record<string, unknown> = Object.freeze({});

/**
 * One walk. Merge mode builds the patch object as it goes (null and absent are the same member,
 * arrays are replaced whole); JSON mode pushes operations (null is a value, arrays are walked
 * index by index). Pointers are built only for operations emitted, from a stack of escaped
 * tokens, so the walk allocates in proportion to the change, not to the object.
 */
class Walk {
  readonly ops: JsonPatchOperation[] = [];
  readonly #tokens: string[] = [];

  constructor(readonly format: PatchFormat) {}

  /**
   * Differences between two objects' members. Merge: the merge patch, `undefined` when equal.
   * JSON: the operations go to `ops`; returns {@link CHANGED} or `undefined`.
   */
  members(
    from: Readonly<Record<string, unknown>>,
    to: Readonly<Record<string, unknown>>,
    report?: Reporter,
  ): Record<string, unknown> | undefined {
    const merge = this.format === 'merge';
    let patch: Record<string, unknown> | undefined;
    for (const k of Object.keys(from)) {
      const f = from[k];
      // A merge patch reads null as "remove": removing a null member changes nothing.
      if (merge ? f == null : f === undefined) continue;
      if (Object.hasOwn(to, k) && to[k] !== undefined) continue;
      if (merge) setOwn((patch ??= {}), k, null);
      else {
        this.ops.push({ op: 'remove', path: this.#pointer(k) });
        patch = CHANGED;
      }
      report?.member(k, f, undefined);
    }
    for (const k of Object.keys(to)) {
      const t = to[k];
      if (t === undefined) continue;
      const f = Object.hasOwn(from, k) ? from[k] : undefined;
      if (f === t) continue;
      if (merge) {
        const v = this.#mergeValue(f, t, k, report);
        if (v === undefined) continue;
        setOwn((patch ??= {}), k, v);
      } else if (f === undefined) {
        this.ops.push({ op: 'add', path: this.#pointer(k), value: t });
        patch = CHANGED;
      } else {
        this.#tokens.push(escapeJsonPointerToken(k));
        const changed = this.#jsonValue(f, t, report?.nested(k));
        this.#tokens.pop();
        if (!changed) continue;
        patch = CHANGED;
      }
      report?.member(k, f, t);
    }
    return patch;
  }

  /** JSON mode: the operations turning `from` into `to` at the current pointer; true if any. */
  value(from: unknown, to: unknown): boolean {
    return this.#jsonValue(from, to, undefined);
  }

  /** The member of a merge patch for a changed member, `undefined` when it did not change. */
  #mergeValue(f: unknown, t: unknown, key: string, report: Reporter | undefined): unknown {
    if (t === null) return f == null ? undefined : null;
    if (isPlainObject(f) && isPlainObject(t)) return this.members(f, t, report?.nested(key));
    // Arrays and scalars are replaced whole, so one equality walk is all they need.
    return f !== undefined && deepEqual(f, t) ? undefined : t;
  }

  #jsonValue(from: unknown, to: unknown, report: Reporter | undefined): boolean {
    if (from === to) return false;
    if (isPlainObject(from) && isPlainObject(to)) return this.members(from, to, report) !== undefined;
    if (Array.isArray(from) && Array.isArray(to)) {
      let changed = false;
      const common = Math.min(from.length, to.length);
      for (let i = 0; i < common; i++) {
        this.#tokens.push(String(i));
        if (this.#jsonValue(from[i], to[i], undefined)) changed = true;
        this.#tokens.pop();
      }
      for (let i = from.length - 1; i >= to.length; i--)
        this.ops.push({ op: 'remove', path: this.#pointer(String(i)) });
      for (let i = from.length; i < to.length; i++)
        this.ops.push({ op: 'add', path: this.#pointer(String(i)), value: to[i] });
      return changed || from.length !== to.length;
    }
    // NaN is not JSON; it equals itself here as it does in deepEqual.
    if (typeof from === 'number' && typeof to === 'number' && Number.isNaN(from) && Number.isNaN(to)) return false;
    this.ops.push({ op: 'replace', path: this.#pointer(), value: to });
    return true;
  }

  /** The pointer of the current position, or of its member `token` (unescaped). */
  #pointer(token?: string): string {
    let path = '';
    for (const t of this.#tokens) path += `/${t}`;
    return token === undefined ? path : `${path}/${escapeJsonPointerToken(token)}`;
  }
}

/** Escapes one reference token for a JSON Pointer (`~` -> `~0`, `/` -> `~1`). */
export function escapeJsonPointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Collects changed paths as {@link changedTopLevelPaths} names them. */
function pathReporter(out: string[]): Reporter {
  const metadata: Reporter = {
    member: (key) => {
      if (METADATA_FIELDS.has(key)) out.push(`metadata.${key}`);
    },
    nested: () => undefined,
  };
  return {
    member: (key, from, to) => {
      if (!UNREPORTED.has(key)) out.push(key);
      // metadata replaced or removed whole (not walked member by member): compare its fields.
      else if (key === 'metadata' && !(isPlainObject(from) && isPlainObject(to))) out.push(...metadataPaths(from, to));
    },
    nested: (key) => (key === 'metadata' ? metadata : undefined),
  };
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
  const walk = new Walk(format);
  const changed: string[] = [];
  const merge = walk.members(from, to, pathReporter(changed));
  const patch = format === 'merge' ? merge : walk.ops;
  return { patch, changed: changed.sort(), unchanged: merge === undefined };
}

/** The merge patch from `from` to `to` (`createMergePatch`). Internal to core. */
export function mergePatchWalk(
  from: Readonly<Record<string, unknown>>,
  to: Readonly<Record<string, unknown>>,
): Record<string, unknown> | undefined {
  return new Walk('merge').members(from, to);
}

/** The JSON patch from `from` to `to` (`createJsonPatch`). Internal to core. */
export function jsonPatchWalk(from: unknown, to: unknown): JsonPatchOperation[] {
  const walk = new Walk('json');
  walk.value(from, to);
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
