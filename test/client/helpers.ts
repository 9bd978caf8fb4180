// A tiny scripted HTTP server and a clock that records waits, for client tests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CancelTimer, Clock } from '../../src/core/clock.js';

export type Route = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

export interface TestServer {
  url: string;
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
  /** TCP connections accepted so far (keep-alive checks). */
  readonly connections: number;
  kubeconfig(user?: Record<string, unknown>, cluster?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

/** Starts a server on a free port; `route` answers every request. */
export async function startServer(route: Route): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const sockets = new Set<import('node:net').Socket>();
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      route(req, res, body);
    });
  });
  server.on('connection', (s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    get connections() {
      return connections;
    },
    kubeconfig: (user = {}, cluster = {}) => ({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: url, ...cluster } }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'team' } }],
      'current-context': 'ctx',
    }),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Sends JSON. */
export function json(
  res: http.ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A clock whose timers fire on the next turn, recording each requested wait. */
export class InstantClock implements Clock {
  readonly waits: number[] = [];
  now(): number {
    return Date.now();
  }
  setTimer(fn: () => void, ms: number): CancelTimer {
    this.waits.push(ms);
    const handle = setImmediate(fn);
    return () => clearImmediate(handle);
  }
}
