/**
 * JSON Merge Patch (RFC 7386): apply without mutating the input, and compute the smallest
 * merge patch between two objects (what `kubectl label` and controller-runtime's `MergeFrom`
 * send) through the one diff walk of `diff.ts`.
 */
import { mergePatchWalk } from './diff.js';
import { isPlainObject } from './equal.js';
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
  return mergePatchWalk(from, to);
}
