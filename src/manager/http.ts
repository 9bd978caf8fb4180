/**
 * The manager's HTTP endpoints: `/metrics` (Prometheus text from prom-client), `/healthz`,
 * `/readyz` (every informer synced; leader state reported) and `/debug/kloop` (a JSON view of
 * controllers, queues, in-flight keys with their triggers, informers, collections and tables).
 * Bound to localhost unless told otherwise: debug output names objects in the cluster.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

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
  /** The `/debug/kloop` document; must already be free of secret data. */
  debug: () => unknown;
}

export interface HttpEndpointsOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

/** A running endpoints server. */
export interface HttpEndpoints {
  readonly url: string;
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

async function handle(providers: EndpointProviders, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');
    return;
  }
  const verbose = url.searchParams.has('verbose');
  switch (url.pathname) {
    case '/metrics': {
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
    case '/debug/kloop':
      send(res, 200, 'application/json', `${JSON.stringify(providers.debug(), null, 2)}\n`);
      return;
    default:
      send(res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics, /healthz, /readyz, /debug/kloop');
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
  const server: Server = createServer((req, res) => {
    handle(providers, req, res).catch((err: unknown) => {
      if (!res.headersSent)
        send(res, 500, 'text/plain; charset=utf-8', `internal error: ${(err as Error)?.message ?? String(err)}`);
      else res.destroy();
    });
  });
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
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
