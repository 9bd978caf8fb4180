/**
 * Object keys: `{ namespace?, name }` and their string form `ns/name` (or `name` for
 * cluster-scoped objects), as client-go's `MetaNamespaceKeyFunc` writes them. {@link keyString}
 * is the one string form: stores, queues, the read-your-writes overlay, collections and shards
 * all file objects under it.
 */
import { KloopError } from './errors.js';
import type { KubeObject, ObjectKey, ObjectMeta } from './types.js';

/**
 * The key of an object: its namespace (omitted when empty) and name.
 *
 * @throws KloopError (`KLOOP_INVALID_KEY`) when the object has no name.
 * @example
 * ```ts
 * keyOf({ metadata: { namespace: 'ns', name: 'a' } }); // { namespace: 'ns', name: 'a' }
 * ```
 */
export function keyOf(obj: Pick<KubeObject, 'metadata'>): ObjectKey {
  const name = obj.metadata?.name;
  if (typeof name !== 'string' || name === '') throw new KloopError('KLOOP_INVALID_KEY', 'object has no metadata.name');
  const ns = obj.metadata.namespace;
  return ns ? { namespace: ns, name } : { name };
}

/**
 * `ns/name`, or `name` for a cluster-scoped key. Takes a key or an object's `metadata`, so hot
 * paths (every informer event) file an object without building a key first.
 *
 * @example
 * ```ts
 * import type { KubeObject } from 'kloop';
 * declare const pod: KubeObject;
 *
 * keyString({ namespace: 'ns', name: 'a' }); // 'ns/a'
 * keyString(pod.metadata);                    // the same for an object
 * ```
 */
export function keyString(key: ObjectKey | Pick<ObjectMeta, 'namespace' | 'name'>): string {
  const name = key.name ?? '';
  return key.namespace ? `${key.namespace}/${name}` : name;
}

/**
 * Parses `ns/name` or `name` back into a key.
 *
 * @throws KloopError (`KLOOP_INVALID_KEY`) for an empty name or more than one `/`.
 * @example
 * ```ts
 * parseKeyString('ns/a'); // { namespace: 'ns', name: 'a' }
 * ```
 */
export function parseKeyString(s: string): ObjectKey {
  const parts = s.split('/');
  if (parts.length === 1 && parts[0] !== '') return { name: parts[0] };
  if (parts.length === 2 && parts[1] !== '')
    return parts[0] === '' ? { name: parts[1] } : { namespace: parts[0], name: parts[1] };
  throw new KloopError('KLOOP_INVALID_KEY', `invalid object key ${JSON.stringify(s)}: want "namespace/name" or "name"`);
}

/** True when two keys name the same object. */
export function keysEqual(a: ObjectKey, b: ObjectKey): boolean {
  return a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');
}
