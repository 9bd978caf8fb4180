import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { ApiError, makeStatus } from '../../src/core/errors.js';
import type { LeaseObject } from '../../src/manager/leader-election.js';
import { assignShards, Sharder, type ShardLeaseClient, shardOf } from '../../src/manager/sharding.js';
import { advance } from '../support/index.js';

/** Leases in memory with optimistic concurrency, shared by every replica. */
class LeaseStore {
  leases = new Map<string, LeaseObject>();
  rv = 0;
  put(lease: LeaseObject): LeaseObject {
    const stored = structuredClone({ ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } });
    this.leases.set(lease.metadata.name!, stored);
    return structuredClone(stored);
  }
}

/** One replica's connection to the store; `dead` makes it hang up like a killed process. */
class ReplicaClient implements ShardLeaseClient {
  dead = false;
  constructor(readonly store: LeaseStore) {}
  #check() {
    if (this.dead) throw new Error('process is gone');
  }
  async get(_ns: string, name: string) {
    this.#check();
    const l = this.store.leases.get(name);
    return l && structuredClone(l);
  }
  async list(_ns: string, selector: string) {
    this.#check();
    const [k, v] = selector.split('=');
    return [...this.store.leases.values()].filter((l) => l.metadata.labels?.[k!] === v).map((l) => structuredClone(l));
  }
  async create(lease: LeaseObject) {
    this.#check();
    if (this.store.leases.has(lease.metadata.name!)) throw new ApiError(makeStatus(409, 'AlreadyExists', 'exists'));
    return this.store.put(lease);
  }
  async delete(_ns: string, name: string, resourceVersion: string) {
    this.#check();
    const current = this.store.leases.get(name);
    if (current === undefined) return;
    if (current.metadata.resourceVersion !== resourceVersion)
      throw new ApiError(makeStatus(409, 'Conflict', 'modified'));
    this.store.leases.delete(name);
  }
  async update(lease: LeaseObject) {
    this.#check();
    if (this.store.leases.get(lease.metadata.name!)?.metadata.resourceVersion !== lease.metadata.resourceVersion) {
      throw new ApiError(makeStatus(409, 'Conflict', 'modified'));
    }
    return this.store.put(lease);
  }
}

test('rendezvous assignment is stable and moves only the shards of the member that changed', () => {
  const before = assignShards(['a', 'b', 'c'], 64);
  const after = assignShards(['a', 'b', 'c', 'd'], 64);
  for (const [shard, owner] of after) if (owner !== 'd') assert.equal(before.get(shard), owner);
  const counts = new Map<string, number>();
  for (const owner of after.values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  assert.equal(counts.size, 4, 'every member gets shards');
  assert.equal(shardOf({ namespace: 'a', name: 'b' }, 16), shardOf({ namespace: 'a', name: 'b' }, 16));
});

test('3 replicas and 1000 keys: every key owned by exactly one replica, through a join and a kill', async () => {
  const clock = new ManualClock();
  const store = new LeaseStore();
  const keys = Array.from({ length: 1000 }, (_, i) => ({ namespace: `ns${i % 7}`, name: `obj-${i}` }));
  const inFlight = new Map<string, Set<number>>(); // replica -> shards with a reconcile running
  const replicas: Array<{
    id: string;
    client: ReplicaClient;
    sharder: Sharder;
    stop: AbortController;
    run: Promise<void>;
  }> = [];
  const start = (id: string) => {
    const client = new ReplicaClient(store);
    const busy = new Set<number>();
    inFlight.set(id, busy);
    const sharder = new Sharder(client, {
      name: 'op',
      namespace: 'kloop',
      identity: id,
      shards: 16,
      clock,
      // A reconcile of the shard's keys is "running" until drain is asked for: drain finishes it.
      onShardGained: (s) => busy.add(s),
      drain: async (s) => {
        busy.delete(s);
      },
      onShardLost: (s) => busy.delete(s),
      onError: () => {},
    });
    const stop = new AbortController();
    replicas.push({ id, client, sharder, stop, run: sharder.run(stop.signal) });
  };
  const check = () => {
    for (const key of keys) {
      const owners = replicas.filter((r) => r.sharder.owns(key)); // a paused replica counts until fenced
      assert.ok(owners.length <= 1, `key ${key.namespace}/${key.name} owned by ${owners.map((o) => o.id)}`);
    }
    // No shard is worked on by two live replicas at once.
    for (let s = 0; s < 16; s++) {
      const working = replicas.filter((r) => inFlight.get(r.id)!.has(s) && r.sharder.heldShards().includes(s));
      assert.ok(working.length <= 1, `shard ${s} worked on by ${working.map((w) => w.id)}`);
    }
  };
  const everyKeyOwned = () => keys.every((key) => replicas.some((r) => !r.client.dead && r.sharder.owns(key)));

  start('r1');
  start('r2');
  start('r3');
  await advance(clock, 40_000, { step: 100, onStep: check });
  assert.ok(everyKeyOwned(), 'all keys owned after start');
  const held = replicas.map((r) => r.sharder.heldShards().length);
  assert.ok(
    held.every((n) => n > 0),
    `each replica holds shards: ${held}`,
  );

  start('r4'); // a replica joins
  await advance(clock, 40_000, { step: 100, onStep: check });
  assert.ok(everyKeyOwned(), 'all keys owned after a join');
  assert.ok(replicas[3]!.sharder.heldShards().length > 0, 'the new replica took shards');

  replicas[0]!.client.dead = true; // r1 is killed: no renewals, no release
  await advance(clock, 60_000, { step: 100, onStep: check });
  assert.ok(everyKeyOwned(), 'all keys owned after a kill');
  assert.ok(!replicas.slice(1).some((r) => r.sharder.members.includes('r1')), 'r1 left the membership');

  for (const r of replicas) r.stop.abort();
  await advance(clock, 1_000);
  await Promise.all(replicas.map((r) => r.run));
});

test('replicas configured with different shard counts refuse to reconcile rather than share keys', async () => {
  // Shard i of 16 and shard i of 8 hold different keys under the same Lease name: two replicas
  // that disagree on the count would each own keys the other owns too.
  const clock = new ManualClock();
  const store = new LeaseStore();
  const keys = Array.from({ length: 200 }, (_, i) => ({ namespace: 'ns', name: `obj-${i}` }));
  const errors: unknown[] = [];
  const make = (identity: string, shards: number) => {
    const sharder = new Sharder(new ReplicaClient(store), {
      name: 'op',
      namespace: 'kloop',
      identity,
      shards,
      clock,
      onError: (err) => errors.push(err),
    });
    const stop = new AbortController();
    return { sharder, stop, run: sharder.run(stop.signal) };
  };
  const a = make('a', 16);
  await advance(clock, 20_000);
  assert.ok(
    keys.every((k) => a.sharder.owns(k)),
    'alone, a owns every key',
  );
  const b = make('b', 8);
  await advance(clock, 40_000, {
    step: 100,
    onStep: () => {
      for (const key of keys)
        assert.ok(!(a.sharder.owns(key) && b.sharder.owns(key)), `${key.name} owned by both replicas`);
    },
  });
  assert.ok(
    errors.some((e) => (e as { code?: string }).code === 'KLOOP_SHARD_COUNT_MISMATCH'),
    'the mismatch is reported',
  );
  // Once the odd replica is gone, the other resumes alone.
  b.stop.abort();
  await advance(clock, 1_000);
  await b.run;
  await advance(clock, 20_000);
  assert.ok(
    keys.every((k) => a.sharder.owns(k)),
    'a owns every key again after b left',
  );
  a.stop.abort();
  await advance(clock, 1_000);
  await a.run;
});

test('a draining shard stops handing out keys but lets its in-flight reconciles write until released', async () => {
  // drain() exists so that running reconciles finish: fencing their writes during the drain would
  // make every hand-over fail them (and their work be redone by the next holder).
  const clock = new ManualClock();
  const store = new LeaseStore();
  const key = { namespace: 'ns', name: 'obj' };
  const seenDuringDrain: Array<{ owns: boolean; mayWrite: boolean; fenceOpen: boolean }> = [];
  let a: Sharder | undefined;
  a = new Sharder(new ReplicaClient(store), {
    name: 'op',
    namespace: 'kloop',
    identity: 'a',
    shards: 4,
    clock,
    onError: () => {},
    drain: async () => {
      if (a)
        seenDuringDrain.push({ owns: a.owns(key), mayWrite: a.mayWrite(key), fenceOpen: !a.fenceSignal(key).aborted });
    },
  });
  const stopA = new AbortController();
  const runA = a.run(stopA.signal);
  await advance(clock, 10_000);
  assert.ok(a.owns(key) && a.mayWrite(key));
  const signal = a.fenceSignal(key);
  assert.ok(!signal.aborted);
  stopA.abort(); // a stops: drains every shard, then releases
  await advance(clock, 1_000);
  await runA;
  assert.ok(seenDuringDrain.length > 0, 'drain ran');
  for (const seen of seenDuringDrain) assert.deepEqual(seen, { owns: false, mayWrite: true, fenceOpen: true });
  assert.ok(signal.aborted, 'released: the fence is closed');
  assert.ok(!a.mayWrite(key));
});

test('a leaving replica deletes its membership Lease; a dead one is reaped after 4 lease durations', async () => {
  const clock = new ManualClock();
  const store = new LeaseStore();
  const run = (id: string) => {
    const client = new ReplicaClient(store);
    const sharder = new Sharder(client, {
      name: 'gc',
      namespace: 'kloop',
      identity: id,
      shards: 4,
      clock,
      onError: () => {},
    });
    const stop = new AbortController();
    return { client, sharder, stop, done: sharder.run(stop.signal) };
  };
  const members = () => [...store.leases.keys()].filter((n) => n.startsWith('gc-member-')).sort();
  const a = run('a');
  const b = run('b');
  const c = run('c');
  await advance(clock, 3_000);
  assert.deepEqual(members(), ['gc-member-a', 'gc-member-b', 'gc-member-c']);

  a.stop.abort(); // a clean stop: its Lease goes at once
  await advance(clock, 500);
  await a.done;
  assert.deepEqual(members(), ['gc-member-b', 'gc-member-c']);

  c.client.dead = true; // c dies: its Lease stays until it has been unchanged for 4 lease durations
  await advance(clock, 3 * 15_000);
  assert.deepEqual(members(), ['gc-member-b', 'gc-member-c'], 'not reaped before 4 lease durations');
  await advance(clock, 2 * 15_000);
  assert.deepEqual(members(), ['gc-member-b'], 'the dead member was reaped');
  assert.deepEqual(b.sharder.members, ['b']);

  b.stop.abort();
  c.stop.abort();
  await advance(clock, 1_000);
  await Promise.all([b.done, c.done]);
  assert.deepEqual(members(), []);
});
