/**
 * Keeps Secrets' data out of what the manager shows: `/debug/kloop` and log lines carry names,
 * counts, triggers and changed field paths, never values, but a debug section added by a user (or a
 * future field) could hold whole objects. `redactSecrets` walks any JSON-like value and replaces the
 * values of `data` and `stringData` of every object that looks like a Secret, keeping the keys so
 * the output still says which entries exist.
 */

/** What a redacted value reads as. */
export const REDACTED = '<redacted>';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function looksLikeSecret(value: Record<string, unknown>): boolean {
  if (value.kind === 'Secret') return true;
  // A Secret without apiVersion/kind (as informers of a known type may hand it out) still
  // has `type` like `Opaque` or `kubernetes.io/...` beside `data`.
  return (
    typeof value.type === 'string' && (isRecord(value.data) || isRecord(value.stringData)) && isRecord(value.metadata)
  );
}

function redactMap(map: unknown): unknown {
  if (!isRecord(map)) return map === undefined ? undefined : REDACTED;
  const out: Record<string, string> = {};
  for (const key of Object.keys(map)) out[key] = REDACTED;
  return out;
}

/**
 * A deep copy of `value` in which every Secret's `data`/`stringData` values read `<redacted>`, as
 * does the `kubectl.kubernetes.io/last-applied-configuration` annotation of a Secret (it holds
 * the data too). Cycles are cut (`[circular]`); functions are dropped, like `JSON.stringify`.
 *
 * @example
 * ```ts
 * redactSecrets({ kind: 'Secret', metadata: { name: 's' }, data: { password: 'aHVudGVyMg==' } });
 * // { kind: 'Secret', metadata: { name: 's' }, data: { password: '<redacted>' } }
 * ```
 */
export function redactSecrets<T>(value: T): T {
  return walk(value, new WeakSet()) as T;
}

function walk(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' ? undefined : value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => walk(v, seen));
    if (value instanceof Date) return value.toISOString();
    if (value instanceof Map) return walk(Object.fromEntries(value), seen);
    if (value instanceof Set) return walk([...value], seen);
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const secret = looksLikeSecret(record);
    for (const [key, v] of Object.entries(record)) {
      if (secret && (key === 'data' || key === 'stringData')) out[key] = redactMap(v);
      else out[key] = walk(v, seen);
    }
    if (secret && isRecord(out.metadata) && isRecord(out.metadata.annotations)) {
      const annotations = { ...out.metadata.annotations };
      if ('kubectl.kubernetes.io/last-applied-configuration' in annotations) {
        annotations['kubectl.kubernetes.io/last-applied-configuration'] = REDACTED;
      }
      out.metadata = { ...out.metadata, annotations };
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
