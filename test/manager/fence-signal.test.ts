import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CachedClient } from '../../src/controller/cached-client.js';
import type { WriteTransport } from '../../src/controller/types.js';
import { ManualClock } from '../../src/core/clock.js';
import { ApiError, makeStatus } from '../../src/core/errors.js';
import type { KubeObject } from '../../src/core/types.js';
import { LeaderElector, type LeaseClient, type LeaseObject } from '../../src/manager/index.js';
import { advance } from '../support/index.js';

/** One Lease in memory; `failing` makes renewals fail (a partitioned leader). */
class OneLease implements LeaseClient {
  lease: LeaseObject | undefined;
  rv = 0;
  failing = false;
  async get() {
    return this.lease && structuredClone(this.lease);
  }
  async create(lease: LeaseObject) {
    if (this.lease) throw new ApiError(makeStatus(409, 'AlreadyExists', 'exists'));
    return this.#store(lease);
  }
  async update(lease: LeaseObject) {
    if (this.failing) throw new Error('connection reset');
    if (lease.metadata.resourceVersion !== this.lease?.metadata.resourceVersion)
      throw new ApiError(makeStatus(409, 'Conflict', 'modified'));
    return this.#store(lease);
  }
  #store(lease: LeaseObject) {
    this.lease = structuredClone({ ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } });
    return structuredClone(this.lease);
  }
}

/**
 * A server that answers every patch with 429 Retry-After 3 s, and a client that keeps retrying
 * (as `KubeClient` does, up to `maxThrottleRetries`) until its signal aborts: the attempts it
 * sends are logged with the time they left.
 */
function throttledTransport(clock: ManualClock, attempts: number[]): WriteTransport {
  const wait = (ms: number, signal: AbortSignal | undefined) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const cancel = clock.setTimer(resolve, ms);
      signal?.addEventListener('abort', () => {
        cancel();
        reject(signal.reason);
      });
    });
  return {
    get: async () => {
      throw new Error('unused');
    },
    create: async <T extends KubeObject>(object: T) => object,
    patch: async (_target, _patch, options) => {
      for (;;) {
        attempts.push(clock.now());
        await wait(3_000, options?.signal);
      }
    },
    delete: async () => undefined,
  };
}

test('a write throttled with 429 stops retrying at the renew deadline (no attempt leaves after it)', async () => {
  const clock = new ManualClock();
  const leases = new OneLease();
  const elector = new LeaderElector(leases, {
    name: 'op',
    namespace: 'default',
    identity: 'a',
    clock,
    onError: () => {},
  });
  const stop = new AbortController();
  const run = elector.run(stop.signal);
  await advance(clock, 300);
  assert.ok(elector.canWrite());

  const attempts: number[] = [];
  const client = new CachedClient({
    transport: throttledTransport(clock, attempts),
    informers: { informer: () => assert.fail('no reads') },
    fence: () => elector.fenceSignal(),
  });
  leases.failing = true; // renewals fail from now on
  const write = client.direct.patch(
    { type: { apiVersion: 'v1', kind: 'ConfigMap' }, key: { namespace: 'd', name: 'x' } },
    {},
  );
  const outcome = write.then(
    () => 'sent',
    (err: { code?: string }) => err.code,
  );
  let fencedAt: number | undefined;
  await advance(clock, 30_000, {
    step: 100,
    onStep: () => {
      if (fencedAt === undefined && !elector.canWrite()) fencedAt = clock.now();
    },
  });
  assert.ok(fencedAt !== undefined, 'the leader was fenced');
  assert.ok(attempts.length >= 2, `the write was retried (${attempts.length} attempts)`);
  for (const at of attempts) assert.ok(at < fencedAt, `an attempt left at ${at}, after the fence at ${fencedAt}`);
  assert.equal(await outcome, 'KLOOP_WRITE_FENCED');
  // Once fenced, a new write fails before anything is sent.
  const before = attempts.length;
  await assert.rejects(client.direct.patch({ type: { apiVersion: 'v1', kind: 'ConfigMap' }, key: { name: 'y' } }, {}), {
    code: 'KLOOP_WRITE_FENCED',
  });
  assert.equal(attempts.length, before);
  stop.abort();
  await advance(clock, 200);
  await run;
  assert.equal(clock.pendingTimers(), 0, 'no timer left behind');
});

test('the fence signal follows renewals: it stays open while the leader renews and closes on release', async () => {
  const clock = new ManualClock();
  const leases = new OneLease();
  const elector = new LeaderElector(leases, {
    name: 'op',
    namespace: 'default',
    identity: 'a',
    clock,
    onError: () => {},
  });
  const stop = new AbortController();
  const run = elector.run(stop.signal);
  await advance(clock, 300);
  const signal = elector.fenceSignal();
  await advance(clock, 30_000);
  assert.ok(!signal.aborted, 'a renewing leader keeps its fence open past the first renew deadline');
  stop.abort();
  await advance(clock, 200);
  await run;
  assert.ok(signal.aborted, 'released: the fence is closed');
  assert.ok(elector.fenceSignal().aborted);
});
