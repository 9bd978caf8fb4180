/**
 * JSON Merge Patch (RFC 7386): apply without mutating the input, and compute the smallest
 * merge patch between two objects (what `kubectl label` and controller-runtime's `MergeFrom`
 * send).
 */
import { deepEqual, isPlainObject } from './equal.js';
import { getOwn, setOwn } from './own.js';

/**
 * Applies an RFC 7386 merge patch and returns the new document. Objects merge member by
 * member, `null` removes a member, anything else (arrays included) replaces. The input is
 * never mutated; untouched subtrees are shared with it.
 *
 * @example
 * ```ts
 * applyMergePatch({ a: 'b', c: { d: 'e' } }, { a: 'z', c: { d: null } }); // { a: 'z', c: {} }
 * ```
 */
export function applyMergePatch<T = unknown>(doc: unknown, patch: unknown): T {
  return merge(doc, patch) as T;
}

function merge(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const k of Object.keys(patch)) {
    const v = patch[k];
    if (v === null) delete out[k];
    else if (v !== undefined) setOwn(out, k, merge(getOwn(out, k), v));
  }
  return out;
}

/**
 * The smallest merge patch that turns `from` into `to`: changed and new members, `null` for
 * removed ones, nested objects recursed into, arrays replaced whole. `undefined` when the two
 * are equal (send nothing).
 *
 * @remarks A merge patch cannot set a member to `null` (null means "remove"); `null` values in
 * `to` come out as removals, as they would with any merge-patch client.
 * @example
 * ```ts
 * createMergePatch({ metadata: { labels: { a: '1', b: '2' } } }, { metadata: { labels: { a: '1' } } });
 * // { metadata: { labels: { b: null } } }
 * ```
 */
export function createMergePatch(
  from: Readonly<Record<string, unknown>>,
  to: Readonly<Record<string, unknown>>,
): Record<string, unknown> | undefined {
  let patch: Record<string, unknown> | undefined;
  for (const k of Object.keys(from)) {
    // null and absent mean the same to a merge patch: removing a null member changes nothing.
    if (from[k] != null && (!Object.hasOwn(to, k) || to[k] === undefined)) {
      if (patch === undefined) patch = {};
      setOwn(patch, k, null);
    }
  }
  for (const k of Object.keys(to)) {
    const t = to[k];
    if (t === undefined) continue;
    const f = Object.hasOwn(from, k) ? from[k] : undefined;
    if (f === t || (t === null && f == null)) continue;
    let v: unknown;
    if (isPlainObject(f) && isPlainObject(t)) {
      v = createMergePatch(f, t);
      if (v === undefined) continue;
    } else if (f !== undefined && deepEqual(f, t)) {
      continue;
    } else {
      v = t;
    }
    if (patch === undefined) patch = {};
    setOwn(patch, k, v);
  }
  return patch;
}
