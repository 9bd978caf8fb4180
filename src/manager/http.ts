/**
 * The manager's HTTP endpoints: `/metrics` (Prometheus text from prom-client), `/healthz`,
 * `/readyz` (every informer synced; leader state reported) and `/debug/kloop` (a JSON view of
 * controllers, queues, in-flight keys with their triggers, the debug record, informers,
 * collections and tables). One server serves the endpoints it is given: the manager runs health
 * and metrics on one (reachable by kubelet and Prometheus), debug on another (loopback, off by
 * default: debug output names objects in the cluster). `/metrics` may require a token reviewed by
 * the API server (`authorize`), over TLS (`tls`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { DashboardRoutes } from './dashboard/routes.js';
import type { RequestAuthorizer } from './metrics-auth.js';

/** The endpoint groups a server can serve. */
export type EndpointGroup = 'health' | 'metrics' | 'debug';

export interface ReadinessReport {
  ready: boolean;
  /** One line per check, e.g. `informer v1/ConfigMap: synced`. */
  checks: Array<{ name: string; ok: boolean; detail?: string }>;
}

export interface EndpointProviders {
  registry: Registry;
  readiness: () => ReadinessReport;
  /** Liveness: false when the process should be restarted (default: always live). */
  liveness?: () => ReadinessReport;
  /**
   * The `/debug/kloop` document for the request's query (`?controller=&key=&result=`); must
   * already be free of secret data.
   */
  debug: (query: URLSearchParams) => unknown;
  /** Masks secret values in text the server writes on its own (the message of a 500). */
  mask?: (text: string) => string;
  /** The dashboard (`/ui` and below), served with the debug endpoints. */
  dashboard?: DashboardRoutes;
}

export interface HttpEndpointsOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Which endpoints this server answers; default all. */
  serve?: readonly EndpointGroup[];
  /** Guards `/metrics`: a request it refuses gets its status (401, 403, 500). */
  authorize?: RequestAuthorizer;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * Answer only requests whose `Host` is a loopback name (`localhost`, `127.0.0.1`, `[::1]`, any
   * port); others get 403. A listener on loopback needs it: a web page elsewhere can point its
   * own DNS name at 127.0.0.1 (DNS rebinding) and then read the answers as same-origin.
   */
  loopbackHostsOnly?: boolean;
}

/** A running endpoints server. */
export interface HttpEndpoints {
  /** Where to reach it from this process (a wildcard address reads as loopback). */
  readonly url: string;
  /** The address it is bound to, e.g. `0.0.0.0` or `127.0.0.1`. */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, code: number, contentType: string, body: string): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendCheck(res: ServerResponse, report: ReadinessReport, verbose: boolean): void {
  if (!verbose) {
    send(res, report.ready ? 200 : 503, 'text/plain; charset=utf-8', report.ready ? 'ok' : 'not ready');
    return;
  }
  // The same `?verbose` form as the API server's health endpoints.
  const lines = report.checks.map(
    (c) => `[${c.ok ? '+' : '-'}]${c.name} ${c.ok ? 'ok' : 'failed'}${c.detail ? `: ${c.detail}` : ''}`,
  );
  lines.push(report.ready ? 'check passed' : 'check failed');
  send(res, report.ready ? 200 : 503, 'text/plain; charset=utf-8', `${lines.join('\n')}\n`);
}

/** True when a `Host` header names this machine's loopback (or is absent, as in HTTP/1.0). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined || host === '') return true;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
  const lower = name.toLowerCase();
  return lower === 'localhost' || lower === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(lower);
}

const PATHS: Record<EndpointGroup, readonly string[]> = {
  health: ['/healthz', '/livez', '/readyz'],
  metrics: ['/metrics'],
  debug: ['/debug/kloop'],
};

async function handle(
  providers: EndpointProviders,
  options: HttpEndpointsOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (options.loopbackHostsOnly && !isLoopbackHost(req.headers.host)) {
    send(
      res,
      403,
      'text/plain; charset=utf-8',
      'forbidden: this listener is on loopback and answers only requests to localhost, 127.0.0.1 or [::1]',
    );
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const groups = options.serve ?? ['health', 'metrics', 'debug'];
  const dashboard = groups.includes('debug') ? providers.dashboard : undefined;
  const served = groups.flatMap((g) => PATHS[g]);
  if (dashboard?.matches(url.pathname)) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');
      return;
    }
    await dashboard.handle(req, res, url);
    return;
  }
  if (dashboard) served.push('/ui');
  if (!served.includes(url.pathname)) {
    send(res, 404, 'text/plain; charset=utf-8', `not found: try ${served.join(', ')}`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');
    return;
  }
  const verbose = url.searchParams.has('verbose');
  switch (url.pathname) {
    case '/metrics': {
      if (options.authorize) {
        const decision = await options.authorize(req, url.pathname);
        if (!decision.ok) {
          send(res, decision.status, 'text/plain; charset=utf-8', decision.message);
          return;
        }
      }
      const body = await providers.registry.metrics();
      send(res, 200, providers.registry.contentType, body);
      return;
    }
    case '/healthz':
    case '/livez':
      sendCheck(res, providers.liveness?.() ?? { ready: true, checks: [{ name: 'process', ok: true }] }, verbose);
      return;
    case '/readyz':
      sendCheck(res, providers.readiness(), verbose);
      return;
    default:
      send(res, 200, 'application/json', `${JSON.stringify(providers.debug(url.searchParams), null, 2)}\n`);
  }
}

/**
 * Starts the endpoints server.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 *
 * const registry = new Registry();
 * const readiness = () => ({ ready: true, checks: [] });
 * const http = await startHttpEndpoints({ registry, readiness, debug: () => ({}) });
 * console.log(`${http.url}/metrics`);
 * await http.close();
 * ```
 */
export async function startHttpEndpoints(
  providers: EndpointProviders,
  options: HttpEndpointsOptions = {},
): Promise<HttpEndpoints> {
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(providers, options, req, res).catch((err: unknown) => {
      const message = (err as Error)?.message ?? String(err);
      if (!res.headersSent)
        send(res, 500, 'text/plain; charset=utf-8', `internal error: ${providers.mask?.(message) ?? message}`);
      else res.destroy();
    });
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener)
    : createServer(listener);
  server.keepAliveTimeout = 5_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // A wildcard address is reachable at loopback from this process.
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return {
    url: `${options.tls ? 'https' : 'http'}://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`,
    host: (server.address() as AddressInfo).address,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
