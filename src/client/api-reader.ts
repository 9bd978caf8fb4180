/**
 * The uncached reader (controller-runtime's `mgr.GetAPIReader()`): reads straight from the API
 * server, for the rare read that must not come from the cache (a type no informer should hold,
 * a read that must see the server's latest). It cannot write: a controller's writes go through
 * the cached client, which fences and attributes them.
 */
import type { KubeClient } from './client.js';

/** Reads from the API server: `get`, `list` (every page) and `watch`, as `KubeClient` does. */
export interface ApiReader {
  get: KubeClient['get'];
  list: KubeClient['list'];
  watch: KubeClient['watch'];
}

/**
 * A read-only view of `client`: only its read verbs, bound, on a frozen object (there is no
 * writing client behind it to reach).
 *
 * @example
 * ```ts
 * import { ConfigMap, KubeClient } from 'kloop';
 *
 * const reader = apiReader(KubeClient.fromKubeconfig());
 * const cm = await reader.get(ConfigMap, { namespace: 'default', name: 'settings' });
 * ```
 */
export function apiReader(client: KubeClient): ApiReader {
  return Object.freeze({
    get: client.get.bind(client),
    list: client.list.bind(client),
    watch: client.watch.bind(client),
  }) as ApiReader;
}
