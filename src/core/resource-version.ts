/**
 * Comparing resourceVersions. Kubernetes documents them as opaque, but since 1.34 they are
 * comparable integers (etcd revisions) and the API server guarantees it; kloop compares them
 * numerically when both parse as integers and otherwise only tests equality.
 */

const RV_RE = /^(0|[1-9][0-9]*)$/;

/**
 * Compares two resourceVersions: negative, zero or positive like a sort comparator when both
 * are integers (or equal strings); `undefined` when they cannot be ordered.
 *
 * @example
 * ```ts
 * compareResourceVersions('9', '10'); // < 0
 * compareResourceVersions('abc', 'abd'); // undefined
 * ```
 */
export function compareResourceVersions(a: string, b: string): number | undefined {
  if (a === b) return 0;
  if (!RV_RE.test(a) || !RV_RE.test(b)) return undefined;
  // Compare as decimal strings so revisions beyond 2^53 still order correctly.
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : 1;
}

/** True when `a` is known to be newer than `b` (false when they cannot be ordered). */
export function isNewerResourceVersion(a: string, b: string): boolean {
  const c = compareResourceVersions(a, b);
  return c !== undefined && c > 0;
}
