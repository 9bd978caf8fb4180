/**
 * The client: talks to the API server.
 *
 * `KubeClient.fromKubeconfig()` loads a kubeconfig like kubectl (through client-node's
 * `KubeConfig`, so every auth method works) and gives the REST verbs: `get`, `list` (paged),
 * `listPages`, `watch` (async iterator) and `watchStream` (callback, used by informers),
 * `create`, `update`, `patch` (json, merge, strategic, apply), `delete`. One keep-alive pool
 * per cluster; watch lines are parsed straight from the byte stream; 429 honours Retry-After;
 * reads retry on 5xx and connection errors; failures are `ApiError`s with the server's Status.
 */
export { KubeClient, WatchParseError, parseWatchLine, toApiError } from './client.js';
export { Discovery, isResourceType, type DiscoveryFetch } from './discovery.js';
export { KubeconfigError, loadKubeconfig, type ResolvedKubeconfig } from './kubeconfig.js';
export { LineSplitter } from './lines.js';
export { defaultLogger } from './logger.js';
export { clientMetrics, kloopRegistry, type ClientMetrics } from './metrics.js';
export { Backoff, retryAfterMs } from './retry.js';
export { HttpTransport, TransportError, type HttpTransportOptions } from './transport.js';
export type * from './types.js';
