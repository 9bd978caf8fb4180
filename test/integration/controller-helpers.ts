/**
 * Helpers for the controller integration tests: an emulator with a recording proxy in front, so
 * tests count the writes that really reach the server and read their bodies.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiServer } from '../../src/apiserver/index.js';
import { startApiServer } from '../../src/apiserver/index.js';

/** One request seen by the proxy. */
export interface Recorded {
  method: string;
  path: string;
  contentType: string | undefined;
  body: string;
}

/** An emulator plus a proxy that records every request passing through. */
export interface RecordingCluster {
  server: ApiServer;
  /** Kubeconfig pointing at the proxy. */
  kubeconfig: object;
  requests: Recorded[];
  /** Writes (POST, PUT, PATCH, DELETE) recorded, optionally only those whose path contains `pathPart`. */
  writes(pathPart?: string): Recorded[];
  stop(): Promise<void>;
}

export async function startRecordingCluster(): Promise<RecordingCluster> {
  const server = await startApiServer();
  const target = new URL(server.url);
  const requests: Recorded[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({
        method: req.method ?? 'GET',
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        body: body.toString(),
      });
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          // Watches answer headers long before their first event: pass them on at once.
          res.flushHeaders();
          up.pipe(res);
          // A watch the server drops mid-stream must drop here too, or the client hangs silent.
          up.on('close', () => {
            if (!res.writableEnded) res.destroy();
          });
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      upstream.end(body);
    });
  });
  proxy.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as AddressInfo).port;
  const kubeconfig = JSON.parse(JSON.stringify(server.kubeconfig)) as {
    clusters: Array<{ cluster: { server: string } }>;
  };
  kubeconfig.clusters[0].cluster.server = `http://127.0.0.1:${port}`;
  return {
    server,
    kubeconfig,
    requests,
    writes: (pathPart) =>
      requests.filter((r) => r.method !== 'GET' && (pathPart === undefined || r.path.includes(pathPart))),
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await server.stop();
    },
  };
}

/** Waits for a condition with a deadline, polling every few milliseconds. */
export async function eventually(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets the event loop run for a short while (for asserting that nothing more happens). */
export function settle(ms = 150): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
