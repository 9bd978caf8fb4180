import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { ApiError, makeStatus } from '../../src/core/errors.js';
import { LeaderElector, type LeaseClient, type LeaseObject, microTime } from '../../src/manager/leader-election.js';
import { advance, advanceUntil } from '../support/index.js';

/** An in-memory Lease endpoint with the API server's optimistic concurrency. */
class FakeLeases implements LeaseClient {
  lease: LeaseObject | undefined;
  rv = 0;
  failing = new Set<string>();
  writes: Array<{ holder: string | undefined; at: number }> = [];
  constructor(readonly clock: ManualClock) {}

  async get(): Promise<LeaseObject | undefined> {
    return this.lease === undefined ? undefined : structuredClone(this.lease);
  }
  async create(lease: LeaseObject): Promise<LeaseObject> {
    if (this.lease !== undefined) throw new ApiError(makeStatus(409, 'AlreadyExists', 'leases "l" already exists'));
    return this.#store(lease);
  }
  async update(lease: LeaseObject): Promise<LeaseObject> {
    const holder = lease.spec?.holderIdentity;
    if (holder !== undefined && this.failing.has(holder)) throw new Error('connection reset');
    if (lease.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) {
      throw new ApiError(makeStatus(409, 'Conflict', 'the object has been modified'));
    }
    return this.#store(lease);
  }
  #store(lease: LeaseObject): LeaseObject {
    this.lease = structuredClone({ ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } });
    this.writes.push({ holder: lease.spec?.holderIdentity, at: this.clock.now() });
    return structuredClone(this.lease);
  }
}

function elector(leases: FakeLeases, clock: ManualClock, identity: string) {
  const events: string[] = [];
  const e = new LeaderElector(leases, {
    name: 'op',
    namespace: 'default',
    identity,
    clock,
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: () => events.push('stopped'),
    onError: () => {},
    // renewTime on the same virtual time: on real time, renewals two virtual seconds apart can
    // fall in one real millisecond, look unchanged to a follower, and move its takeover earlier.
    wallClock: () => new Date(clock.now()),
  });
  return { e, events, stop: new AbortController() };
}

test('exactly one of three candidates leads, and the lease names it', async () => {
  const clock = new ManualClock();
  const leases = new FakeLeases(clock);
  const all = ['a', 'b', 'c'].map((id) => elector(leases, clock, id));
  const runs = all.map(({ e, stop }) => e.run(stop.signal));
  await advance(clock, 10_000);
  const leaders = all.filter(({ e }) => e.isLeader());
  assert.equal(leaders.length, 1);
  assert.equal(leases.lease?.spec?.holderIdentity, leaders[0]!.e.identity);
  assert.equal(leases.lease?.spec?.leaseDurationSeconds, 15);
  for (const { stop } of all) stop.abort();
  await advance(clock, 100);
  await Promise.all(runs);
});

test('release on stop hands over at once; a dead leader is replaced within leaseDuration + retryPeriod', async () => {
  const clock = new ManualClock();
  const leases = new FakeLeases(clock);
  const a = elector(leases, clock, 'a');
  const runA = a.e.run(a.stop.signal);
  await advance(clock, 500);
  assert.ok(a.e.isLeader());
  const b = elector(leases, clock, 'b');
  const runB = b.e.run(b.stop.signal);
  await advance(clock, 5_000);
  assert.ok(!b.e.isLeader(), 'b must not lead while a renews');

  a.stop.abort();
  await advance(clock, 100);
  await runA;
  assert.deepEqual(a.events, ['started', 'stopped']);
  assert.ok(['', 'b'].includes(leases.lease?.spec?.holderIdentity ?? 'missing'), 'a released the lease');
  await advance(clock, 2_500); // one retry period (with jitter) later b holds it
  assert.ok(b.e.isLeader(), 'b takes over right after the release');

  // Now b dies without releasing (its process is gone: no renewals, no release).
  const c = elector(leases, clock, 'c');
  const runC = c.e.run(c.stop.signal);
  leases.failing.add('b');
  const took = await advanceUntil(clock, () => c.e.isLeader(), { limit: 30_000, message: 'c takes over' });
  assert.ok(took <= 15_000 + 2_000 * 1.2 + 200, `took ${took} ms`);
  b.stop.abort();
  c.stop.abort();
  await advance(clock, 200);
  await Promise.all([runB, runC]);
});

test('fencing: a leader whose renewals fail stops writing before anyone else may lead', async () => {
  const clock = new ManualClock();
  const leases = new FakeLeases(clock);
  const a = elector(leases, clock, 'a');
  const b = elector(leases, clock, 'b');
  const runA = a.e.run(a.stop.signal);
  await advance(clock, 300);
  const runB = b.e.run(b.stop.signal);
  await advance(clock, 3_000);
  assert.ok(a.e.canWrite());
  leases.failing.add('a');
  let aFencedAt: number | undefined;
  await advanceUntil(clock, () => b.e.isLeader(), {
    limit: 40_000,
    message: 'b leads',
    onStep: () => {
      if (aFencedAt === undefined && !a.e.canWrite()) aFencedAt = clock.now();
      assert.ok(!(a.e.canWrite() && b.e.canWrite()), 'two writers at once');
    },
  });
  const bLeadsAt = clock.now();
  assert.ok(aFencedAt !== undefined);
  assert.ok(bLeadsAt - aFencedAt >= 4_000, `margin ${bLeadsAt - aFencedAt} ms`);
  assert.ok(!a.e.isLeader(), 'a stepped down');
  assert.ok(a.events.includes('stopped'));
  a.stop.abort();
  b.stop.abort();
  await advance(clock, 200);
  await Promise.all([runA, runB]);
});

test('options are validated and MicroTime has six fractional digits', () => {
  const clock = new ManualClock();
  assert.throws(
    () =>
      new LeaderElector(new FakeLeases(clock), {
        name: 'x',
        namespace: 'y',
        leaseDuration: 5_000,
        renewDeadline: 10_000,
      }),
    { code: 'KLOOP_INVALID_OPTIONS' },
  );
  assert.equal(microTime(new Date('2026-01-02T03:04:05.678Z')), '2026-01-02T03:04:05.678000Z');
});

test("a candidate with a shorter leaseDuration waits out the holder's leaseDurationSeconds (no two writers)", async () => {
  // client-go judges expiry by the record's leaseDurationSeconds, not its own setting: replicas
  // of two versions may be configured differently, and the holder's fence (its renewDeadline) is
  // only safe against the holder's own lease duration.
  const clock = new ManualClock();
  const leases = new FakeLeases(clock);
  const a = new LeaderElector(leases, {
    name: 'op',
    namespace: 'default',
    identity: 'a',
    clock,
    leaseDuration: 60_000,
    renewDeadline: 40_000,
    onError: () => {},
    wallClock: () => new Date(clock.now()),
  });
  const b = new LeaderElector(leases, {
    name: 'op',
    namespace: 'default',
    identity: 'b',
    clock,
    onError: () => {},
    wallClock: () => new Date(clock.now()),
  });
  const stopA = new AbortController();
  const stopB = new AbortController();
  const runA = a.run(stopA.signal);
  await advance(clock, 300);
  assert.ok(a.isLeader());
  assert.equal(leases.lease?.spec?.leaseDurationSeconds, 60);
  const runB = b.run(stopB.signal);
  await advance(clock, 3_000);
  leases.failing.add('a');
  await advanceUntil(clock, () => b.isLeader(), {
    limit: 80_000,
    message: "b takes over after the holder's lease expired",
    onStep: () => assert.ok(!(a.canWrite() && b.canWrite()), `two writers at once at ${clock.now()} ms`),
  });
  assert.ok(!a.canWrite());
  stopA.abort();
  stopB.abort();
  await advance(clock, 200);
  await Promise.all([runA, runB]);
});
