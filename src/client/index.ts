/**
 * The client: talks to the API server.
 *
 * `KubeClient.fromKubeconfig()` loads a kubeconfig like kubectl (kloop's own loader: merged
 * `$KUBECONFIG` files, contexts, CA and client certificates, tokens and token files, exec
 * credential plugins, `proxy-url`, in-cluster service accounts) and gives the REST verbs: `get`, `list` (paged),
 * `listPages`, `watch` (async iterator) and `watchStream` (callback, used by informers),
 * `create`, `update`, `patch` (json, merge, strategic, apply), `delete`. One keep-alive pool
 * per cluster; watch lines are parsed straight from the byte stream; 429 honours Retry-After;
 * reads retry on 5xx and connection errors; failures are `ApiError`s with the server's Status.
 */
export { type ApiReader, apiReader } from './api-reader.js';
export { KubeClient, parseWatchLine, toApiError, WatchParseError } from './client.js';
export { Discovery, type DiscoveryFetch, isResourceType } from './discovery.js';
export {
  inClusterConfig,
  KubeconfigError,
  type KubeconfigErrorCode,
  type LoadKubeconfigOptions,
  loadKubeconfig,
  type ResolvedKubeconfig,
} from './kubeconfig.js';
export { LineSplitter } from './lines.js';
export { defaultLogger } from './logger.js';
export { type ClientMetrics, clientMetrics, kloopRegistry } from './metrics.js';
export { InvalidPathSegmentError, type PathSegmentKind } from './path-segments.js';
export { Backoff, retryAfterMs } from './retry.js';
export { HttpTransport, type HttpTransportOptions, TransportError } from './transport.js';
export type * from './types.js';
