/**
 * Own-member reads and writes for JSON objects. `JSON.parse` makes `__proto__` an ordinary own
 * member (and `__proto__` is a valid ConfigMap data key), but a plain `obj[key] = value` with
 * that key replaces the object's prototype instead, and a plain read of a missing one returns
 * `Object.prototype`. Every engine that copies members by name goes through these two.
 * Internal to core: not re-exported from its index.
 */

/** `obj[key] = value` as an own, enumerable data member, whatever the key. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** `obj[key]` if it is an own member, else undefined (never an inherited value). */
export function getOwn(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}
