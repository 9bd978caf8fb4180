/**
 * Helpers for the controller integration tests: an emulator with a recording proxy in front, so
 * tests count the writes that really reach the server and read their bodies.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiServer } from '../../src/apiserver/index.js';
import { startApiServer } from '../../src/apiserver/index.js';
import type { Manager } from '../../src/manager/index.js';
import { eventually } from '../support/index.js';

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
  // Bookmarks every 50 ms let quiesce() see informers of quiet kinds catch up.
  const server = await startApiServer({ bookmarkIntervalMs: 50 });
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

/**
 * Resolves once nothing moves: every informer of `mgr` has heard of the server's latest revision
 * (by an event or a bookmark; watch events arrive in order, so it has every earlier event too),
 * every controller's queue is empty (nothing ready, delayed or running), and no write reached the
 * server while this was checked. After that, nothing happens until the test acts: a test asserts
 * "nothing more was sent" on this signal instead of sleeping. Needs the cluster's frequent
 * bookmarks (`startRecordingCluster` sets them) for informers of quiet kinds to catch up.
 */
export async function quiesce(
  mgr: Manager,
  cluster: RecordingCluster,
  message = 'the controllers to settle',
): Promise<void> {
  await eventually(
    async () => {
      const writes = cluster.writes().length;
      const list = await mgr.kube.list({ apiVersion: 'v1', kind: 'Namespace' }, { limit: 1 });
      const revision = Number(list.metadata.resourceVersion);
      const behind = mgr.informers
        .informers()
        .filter((i) => !(Number(i.lastSyncResourceVersion ?? 0) >= revision))
        .map((i) => `${i.type.apiVersion}/${i.type.kind} at ${i.lastSyncResourceVersion}`);
      assert.deepEqual(behind, [], `informers behind revision ${revision}`);
      const busy = mgr
        .controllers()
        .filter((c) => c.queue.depth + c.queue.waiting + c.queue.inFlightCount > 0)
        .map((c) => c.name);
      assert.deepEqual(busy, [], 'controllers with queued or running keys');
      assert.equal(cluster.writes().length, writes, 'a write reached the server meanwhile');
      return true;
    },
    { message },
  );
}
