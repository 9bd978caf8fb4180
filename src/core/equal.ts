/**
 * Structural equality, freezing and cloning for JSON values (Kubernetes objects as wire JSON).
 * These run on every informer event and every write decision, so they are written for JSON
 * only: plain objects, arrays, strings, numbers, booleans, null.
 */
import { setOwn } from './own.js';

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** True for a non-null, non-array object (what JSON calls an object). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deep structural equality of two JSON values. Reference equality short-circuits (the cache
 * shares unchanged subtrees, so this is the common case); key order does not matter; a key
 * whose value is `undefined` counts as absent, as it would after a JSON round trip.
 *
 * @example
 * ```ts
 * deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }); // true
 * ```
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN is not JSON; treat NaN === NaN for safety in property tests.
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  const aArr = Array.isArray(a);
  if (aArr !== Array.isArray(b)) return false;
  if (aArr) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!deepEqual(x[i], y[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let countX = 0;
  for (const k in x) {
    const vx = x[k];
    if (vx === undefined) continue;
    countX++;
    if (!Object.hasOwn(y, k) || !deepEqual(vx, y[k])) return false;
  }
  let countY = 0;
  for (const k in y) if (y[k] !== undefined) countY++;
  return countX === countY;
}

/**
 * Freezes a JSON value and everything under it, in place, and returns it. Already frozen
 * subtrees are skipped, so freezing an object that shares subtrees with a frozen one is cheap.
 *
 * @example
 * ```ts
 * const obj = deepFreeze({ metadata: { name: 'a' } });
 * ```
 */
export function deepFreeze<T>(v: T): T {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return v;
  Object.freeze(v);
  if (Array.isArray(v)) {
    for (const item of v) deepFreeze(item);
  } else {
    for (const k in v) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

/**
 * Deep copy of a JSON value: a fresh, unfrozen tree. About 6x faster than `structuredClone` (and
 * 4-5x faster than a JSON round trip) on Kubernetes objects because it knows the value is JSON (no
 * Map/Date/cycle handling).
 * `undefined` object members are dropped, as `JSON.stringify` does.
 *
 * @example
 * ```ts
 * import type { KubeObject } from 'kloop';
 *
 * declare const cached: KubeObject; // from an informer: frozen under KLOOP_VALIDATE
 * const draft = deepClone(cached);
 * draft.metadata.labels = { a: 'b' }; // the cached object is untouched
 * ```
 */
export function deepClone<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = deepClone(v[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  const src = v as Record<string, unknown>;
  for (const k in src) {
    const item = src[k];
    if (item !== undefined) setOwn(out, k, typeof item === 'object' && item !== null ? deepClone(item) : item);
  }
  return out as T;
}
