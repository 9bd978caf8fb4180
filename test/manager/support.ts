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
import type http from 'node:http';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { ManualClock } from '../../src/core/index.js';
import { startForwardingProxy } from '../support/forwarding-proxy.js';
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
  const state = { failLeaseWrites: false, inFlight: 0, started: 0 };
  const sentAt = new WeakMap<http.IncomingMessage, number>();
  // Review POSTs (the manager's RBAC check at start) ask a question and store nothing.
  const isWrite = (req: http.IncomingMessage) =>
    req.method !== 'GET' && req.method !== 'HEAD' && !(req.url ?? '').startsWith('/apis/authorization.k8s.io/');
  const isLease = (req: http.IncomingMessage) => (req.url ?? '').includes('/leases');
  const proxy = await startForwardingProxy(server, {
    intercept(req, res) {
      if (!/[?&]watch=(1|true)(&|$)/.test(req.url ?? '')) {
        state.started++;
        state.inFlight++;
        res.on('close', () => state.inFlight--);
      }
      if (isWrite(req) && isLease(req) && state.failLeaseWrites) {
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
        return true;
      }
      sentAt.set(req, performance.now());
      return false;
    },
    answered(req, up) {
      if (!isWrite(req) || isLease(req)) return;
      log.push({
        replica: name,
        method: req.method ?? '',
        path: req.url ?? '',
        sentAt: sentAt.get(req) ?? 0,
        at: performance.now(),
        code: up.statusCode ?? 0,
      });
    },
  });
  return {
    name,
    kubeconfig: proxy.kubeconfig,
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
    cut: proxy.cut,
    close: proxy.close,
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
