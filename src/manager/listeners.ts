/**
 * The manager's two listeners, as a production deployment wants them:
 *
 * - health and metrics (`http`): `/healthz`, `/livez`, `/readyz`, `/metrics`, on all interfaces by
 *   default, because kubelet probes the pod's IP and Prometheus scrapes it; `/metrics` optionally
 *   authenticated (TokenReview + SubjectAccessReview, `metricsAuth`) and served over TLS (`tls`);
 * - debug (`debug`): `/debug/kloop` and the dashboard (`/ui`), off unless asked for, and on
 *   loopback by default: they name the objects in the cluster, their triggers and writes, and are
 *   no business of the network. Reach them with `kubectl port-forward`.
 */
import type { Logger } from 'pino';
import type { KubeClient } from '../client/index.js';
import type { Clock } from '../core/index.js';
import type { DashboardOptions } from './dashboard/hub.js';
import { type EndpointProviders, type HttpEndpoints, startHttpEndpoints } from './http.js';
import { type MetricsAuthOptions, metricsAuthorizer, reviewClientFor } from './metrics-auth.js';

/** `http` option: the health and metrics listener. */
export interface HealthMetricsListenerOptions {
  /** Default 0 (a free port; read `mgr.httpUrl`). Kubernetes manifests usually pick 8080 or 8443. */
  port?: number;
  /** Default `0.0.0.0`: reachable by kubelet and Prometheus at the pod's IP. */
  host?: string;
  /**
   * Require a bearer token on `/metrics`, reviewed by the API server (controller-runtime's
   * `WithAuthenticationAndAuthorization`): `true`, or options. Health endpoints stay open.
   */
  metricsAuth?: boolean | MetricsAuthOptions;
  /** Serve HTTPS with this certificate and key (PEM), e.g. mounted from a cert-manager Secret. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** `debug` option: the debug listener. Off unless given. */
export interface DebugListenerOptions {
  /** Default 0 (a free port; read `mgr.debugUrl`). */
  port?: number;
  /** Default `127.0.0.1`. Anything else exposes cluster object names: a warning is logged. */
  host?: string;
  /**
   * The dashboard at `/ui` (live, from the same data as `/debug/kloop` and `/metrics`): on by
   * default with the debug listener; `false` turns it off, options tune its feed.
   */
  dashboard?: boolean | DashboardOptions;
}

/** The listeners a manager runs. */
export interface Listeners {
  health: HttpEndpoints | undefined;
  debug: HttpEndpoints | undefined;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Starts the listeners asked for; closes any started when a later one fails (a port taken). */
export async function startListeners(
  providers: EndpointProviders,
  options: { http?: HealthMetricsListenerOptions; debug?: DebugListenerOptions },
  deps: { kube: KubeClient; clock: Clock; logger: Logger },
): Promise<Listeners> {
  let health: HttpEndpoints | undefined;
  let debug: HttpEndpoints | undefined;
  const close = async () => {
    await health?.close();
    await debug?.close();
  };
  try {
    if (options.http) {
      const { metricsAuth, tls } = options.http;
      const auth = metricsAuth === true ? {} : metricsAuth || undefined;
      if (auth && !tls) {
        deps.logger.warn(
          'metrics are authenticated over plain HTTP: bearer tokens cross the network in clear; set http.tls',
        );
      }
      health = await startHttpEndpoints(providers, {
        port: options.http.port,
        host: options.http.host ?? '0.0.0.0',
        serve: ['health', 'metrics'],
        tls,
        authorize: auth ? metricsAuthorizer(auth.reviews ?? reviewClientFor(deps.kube), deps.clock, auth) : undefined,
      });
      deps.logger.info({ url: health.url, metricsAuth: auth !== undefined }, 'health and metrics listening');
    }
    if (options.debug) {
      const host = options.debug.host ?? '127.0.0.1';
      const loopback = LOOPBACK.has(host);
      if (!loopback) {
        deps.logger.warn({ host }, 'the debug endpoint listens beyond loopback: it shows cluster object names');
      }
      // On loopback, only requests addressed to loopback: a page elsewhere that rebinds its DNS
      // name to 127.0.0.1 cannot read the debug document or the dashboard's feed.
      debug = await startHttpEndpoints(providers, {
        port: options.debug.port,
        host,
        serve: ['debug'],
        loopbackHostsOnly: loopback,
      });
      deps.logger.info(
        { url: debug.url, dashboard: providers.dashboard ? `${debug.url}/ui` : undefined },
        'debug endpoint listening',
      );
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { health, debug, close };
}
