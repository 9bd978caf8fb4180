/**
 * Keeps Secrets' data out of what the manager shows: `/debug/kloop` and log lines carry names,
 * counts, triggers and changed field paths, never values, but a debug section added by a user (or a
 * future field) could hold whole objects, and an error message can quote anything. Two layers:
 *
 * - `redactSecrets` walks any JSON-like value and replaces the values of `data` and `stringData`
 *   of every object that looks like a Secret (kind `Secret`, or no kind at all and a `data` or
 *   `stringData` map: informers of a known type may hand objects out without one), keeping the
 *   keys so the output still says which entries exist.
 * - With a `mask` (the manager's {@link SecretValues}), every string anywhere in the value, error
 *   messages included, has each value of each cached Secret replaced by `<redacted>`, in its base64
 *   form and decoded.
 */

/** What a redacted value reads as. */
export const REDACTED = '<redacted>';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function looksLikeSecret(value: Record<string, unknown>): boolean {
  if (value.kind === 'Secret') return true;
  // Without a kind nothing says it is not a Secret (informers of a known type may hand objects out
  // without apiVersion/kind): a `data` map is hidden, a ConfigMap's included. Safe beats precise.
  return value.kind === undefined && (isRecord(value.data) || isRecord(value.stringData));
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
export function redactSecrets<T>(value: T, options: RedactOptions = {}): T {
  return walk(value, new WeakSet(), options.mask) as T;
}

/** Options of {@link redactSecrets}. */
export interface RedactOptions {
  /** Applied to every string (keys excepted): masks known secret values, e.g. `SecretValues.mask`. */
  mask?: (text: string) => string;
}

function walk(value: unknown, seen: WeakSet<object>, mask: ((text: string) => string) | undefined): unknown {
  if (typeof value === 'string') return mask ? mask(value) : value;
  if (typeof value !== 'object' || value === null) return typeof value === 'function' ? undefined : value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => walk(v, seen, mask));
    if (value instanceof Date) return value.toISOString();
    if (value instanceof Map) return walk(Object.fromEntries(value), seen, mask);
    if (value instanceof Set) return walk([...value], seen, mask);
    if (value instanceof Error) return walk(serializeError(value), seen, mask);
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const secret = looksLikeSecret(record);
    for (const [key, v] of Object.entries(record)) {
      if (secret && (key === 'data' || key === 'stringData')) out[key] = redactMap(v);
      else out[key] = walk(v, seen, mask);
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

/** An error as plain data: its type, message (with causes), stack and own fields. */
function serializeError(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { type: err.name, message: err.message };
  if (err.stack) out.stack = err.stack;
  for (const [k, v] of Object.entries(err)) if (!(k in out)) out[k] = v;
  if (err.cause !== undefined) out.cause = err.cause;
  return out;
}
