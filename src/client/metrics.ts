/**
 * Request metrics and the package's default prom-client registry. kloop never registers on
 * prom-client's global default registry, so tests and embedding programs stay isolated.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { perRegistry } from '../core/index.js';

/**
 * The registry kloop's metrics go to unless a `registry` option names another. The manager
 * serves it on `/metrics`.
 *
 * @example
 * ```ts
 * import { kloopRegistry } from 'kloop';
 * console.log(await kloopRegistry.metrics());
 * ```
 */
export const kloopRegistry = new Registry();

/** The client's request metrics on one registry. */
export interface ClientMetrics {
  requests: Counter<'verb' | 'resource' | 'code'>;
  duration: Histogram<'verb' | 'resource'>;
}

/**
 * The request metrics registered on `registry` (created once per registry, so many clients
 * share them): `kloop_client_requests_total{verb,resource,code}` and
 * `kloop_client_request_duration_seconds{verb,resource}`.
 */
export const clientMetrics: (registry: Registry) => ClientMetrics = perRegistry((registry) => ({
  requests: new Counter({
    name: 'kloop_client_requests_total',
    help: 'API server requests by verb, resource and HTTP status code (0: no response)',
    labelNames: ['verb', 'resource', 'code'],
    registers: [registry],
  }),
  duration: new Histogram({
    name: 'kloop_client_request_duration_seconds',
    help: 'API server request latency until the response headers (watches: until established)',
    labelNames: ['verb', 'resource'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  }),
}));
