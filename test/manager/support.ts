/**
 * Helpers for the manager tests: a per-replica proxy in front of one emulator that timestamps the
 * writes reaching the server (to prove no two writers overlap), can fail this replica's Lease
 * writes (a paused leader: renewals fail) and can cut the replica off entirely (a dead process, as
 * seen by the cluster), and short lease timings.
 *
 * Replicas that talk to a real emulator keep their Leases on a shared `ManualClock`
 * ({@link advanceUntilSettled}): virtual time moves only while no request of any replica is in
 * flight, so a renewal or a reconcile's write never spans a lease deadline, however slow the
 * machine. Leases then expire because the test moved time, never because the machine was busy.
 */

import { AssertionError } from 'node:assert';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { ManualClock } from '../../src/core/index.js';
import { advance, flush } from '../support/index.js';

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
  /** Requests through the proxy not answered yet, watches left out (they stay open). */
  readonly inFlight: number;
  /** Requests through the proxy so far, watches left out. */
  readonly started: number;
  /** Refuse everything from now on and reset open connections (watches included). */
  cut(): void;
  close(): Promise<void>;
}

/** Starts a proxy for `name`, recording writes into `log`. */
export async function startReplicaProxy(server: ApiServer, name: string, log: SeenWrite[]): Promise<ReplicaProxy> {
  const target = new URL(server.url);
  const sockets = new Set<Socket>();
  let cut = false;
  const state = { failLeaseWrites: false, inFlight: 0, started: 0 };
  const proxy = http.createServer((req, res) => {
    if (cut) {
      req.socket.destroy();
      return;
    }
    if (!/[?&]watch=(1|true)(&|$)/.test(req.url ?? '')) {
      state.started++;
      state.inFlight++;
      res.on('close', () => state.inFlight--);
    }
    // Review POSTs (the manager's RBAC check at start) ask a question and store nothing.
    const isReview = (req.url ?? '').startsWith('/apis/authorization.k8s.io/');
    const isWrite = req.method !== 'GET' && req.method !== 'HEAD' && !isReview;
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
    get inFlight() {
      return state.inFlight;
    },
    get started() {
      return state.started;
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

/**
 * Waits (in real time) until no request of `proxies` is in flight and none started over two looks
 * a few milliseconds apart: what a timer just sent has reached its proxy by then. Gives up waiting
 * after `limitMs`, so a replica that keeps sending cannot hang the test.
 */
export async function settle(proxies: readonly ReplicaProxy[], limitMs = 5_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  let quietAt = -1;
  while (performance.now() < deadline) {
    await flush();
    await new Promise((resolve) => setTimeout(resolve, 2));
    const busy = proxies.some((p) => p.inFlight > 0);
    const started = proxies.reduce((n, p) => n + p.started, 0);
    if (!busy && started === quietAt) return;
    quietAt = busy ? -1 : started;
  }
}

/** Options of {@link advanceUntilSettled}. */
export interface SettledAdvanceOptions {
  /** What is awaited, in words: the error starts with it. */
  message: string;
  /** Virtual milliseconds per step (default 100, a tenth of the fast renew deadline). */
  step?: number;
  /** Virtual milliseconds before giving up (default 60 000). */
  limit?: number;
  /** Called after each step, once the replicas settled: check invariants here. */
  onStep?: () => void;
  /** Where things stood, for the error past the limit. */
  progress?: () => string;
}

/**
 * Moves `clock` step by step, letting the replicas' requests finish after each step
 * ({@link settle}), until `done()` holds; returns the virtual milliseconds that took. Fails with
 * an `AssertionError` past the limit, saying where things stood (`progress`).
 */
export async function advanceUntilSettled(
  clock: ManualClock,
  proxies: readonly ReplicaProxy[],
  done: () => boolean | Promise<boolean>,
  options: SettledAdvanceOptions,
): Promise<number> {
  const start = clock.now();
  const step = options.step ?? 100;
  const limit = options.limit ?? 60_000;
  await settle(proxies);
  for (;;) {
    if (await done()) return clock.now() - start;
    if (clock.now() - start >= limit) {
      const where = options.progress ? `; ${options.progress()}` : '';
      throw new AssertionError({ message: `${options.message}: not within ${limit} ms of virtual time${where}` });
    }
    await advance(clock, step);
    await settle(proxies);
    options.onStep?.();
  }
}
