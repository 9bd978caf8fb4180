/**
 * Helpers for the manager tests: a per-replica proxy in front of one emulator that timestamps the
 * writes reaching the server (to prove no two writers overlap), can fail this replica's Lease
 * writes (a paused leader: renewals fail) and can cut the replica off entirely (a dead process, as
 * seen by the cluster), and short lease timings.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ApiServer } from '../../src/apiserver/index.js';

/** A write that reached the server through a proxy. */
export interface SeenWrite {
  replica: string;
  method: string;
  path: string;
  /** When the request arrived at the proxy (performance.now()). */
  sentAt: number;
  /** When the server's answer came back. */
  at: number;
  /** Upstream status code. */
  code: number;
}

/** One replica's way to the emulator. */
export interface ReplicaProxy {
  readonly name: string;
  readonly kubeconfig: object;
  /** Answer 500 to this replica's Lease writes while true. */
  failLeaseWrites: boolean;
  /** Refuse everything from now on and reset open connections (watches included). */
  cut(): void;
  close(): Promise<void>;
}

/** Starts a proxy for `name`, recording writes into `log`. */
export async function startReplicaProxy(server: ApiServer, name: string, log: SeenWrite[]): Promise<ReplicaProxy> {
  const target = new URL(server.url);
  const sockets = new Set<Socket>();
  let cut = false;
  const state = { failLeaseWrites: false };
  const proxy = http.createServer((req, res) => {
    if (cut) {
      req.socket.destroy();
      return;
    }
    const isWrite = req.method !== 'GET' && req.method !== 'HEAD';
    const isLease = (req.url ?? '').includes('/leases');
    if (isWrite && isLease && state.failLeaseWrites) {
      req.resume();
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          code: 500,
          reason: 'InternalError',
          message: 'paused',
        }),
      );
      return;
    }
    const sentAt = performance.now();
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        if (isWrite && !isLease)
          log.push({
            replica: name,
            method: req.method ?? '',
            path: req.url ?? '',
            sentAt,
            at: performance.now(),
            code: up.statusCode ?? 0,
          });
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  proxy.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const kubeconfig = JSON.parse(JSON.stringify(server.kubeconfig)) as {
    clusters: Array<{ cluster: { server: string } }>;
  };
  for (const c of kubeconfig.clusters) c.cluster.server = url;
  return {
    name,
    kubeconfig,
    get failLeaseWrites() {
      return state.failLeaseWrites;
    },
    set failLeaseWrites(v: boolean) {
      state.failLeaseWrites = v;
    },
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        cut = true;
        for (const s of sockets) s.destroy();
        proxy.close(() => resolve());
      }),
  };
}

/** Short lease timings for tests. */
export const FAST_LEASES = { leaseDuration: 1500, renewDeadline: 1000, retryPeriod: 200 } as const;
