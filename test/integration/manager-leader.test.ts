import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { KubeClient } from '../../src/client/index.js';
import { ConfigMap, type KubeObject, ManualClock } from '../../src/core/index.js';
import { Manager } from '../../src/manager/index.js';
import {
  advanceUntilSettled,
  FAST_LEASES,
  type ReplicaProxy,
  type SeenWrite,
  startReplicaProxy,
} from '../manager/support.js';
import { eventually } from '../support/index.js';

let server: ApiServer;
let admin: KubeClient;

before(async () => {
  server = await startApiServer();
  admin = KubeClient.fromKubeconfig(server.kubeconfig);
});
after(async () => {
  admin.close();
  await server.stop();
});

interface Replica {
  mgr: Manager;
  proxy: ReplicaProxy;
}

/**
 * A replica whose controller stamps `data.by` on every ConfigMap of `namespace`. Its Lease keeps
 * the test's time (`clock`, moved by `advanceUntilSettled` while no request is in flight), so a
 * slow machine never costs a leader its Lease.
 */
async function replica(
  name: string,
  lease: string,
  namespace: string,
  log: SeenWrite[],
  clock: ManualClock,
): Promise<Replica> {
  const proxy = await startReplicaProxy(server, name, log);
  const mgr = new Manager({
    kubeconfig: proxy.kubeconfig,
    logger: pino({ level: 'silent' }),
    leaderElection: { name: lease, namespace: 'default', identity: name, ...FAST_LEASES },
    drainTimeoutMs: 2_000,
    clock,
  });
  mgr
    .controller('stamp')
    .for(ConfigMap, { informer: { namespace } })
    .reconcile(async (req, ctx) => {
      await ctx.client.mutate<KubeObject & { data?: Record<string, string> }>(ConfigMap, req.key, (cm) => {
        cm.data = { ...cm.data, by: name };
      });
    });
  await mgr.start();
  return { mgr, proxy };
}

async function stopAll(replicas: Replica[]): Promise<void> {
  await Promise.all(replicas.map((r) => r.mgr.stop()));
  await Promise.all(replicas.map((r) => r.proxy.close()));
}

function leaders(replicas: Replica[]): Replica[] {
  return replicas.filter((r) => r.mgr.elector?.isLeader());
}

test('two managers: exactly one leads; stopping it releases the lease and the other takes over at once', async () => {
  const log: SeenWrite[] = [];
  const clock = new ManualClock();
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'le-two' } });
  const replicas = [
    await replica('two-a', 'le-two', 'le-two', log, clock),
    await replica('two-b', 'le-two', 'le-two', log, clock),
  ];
  const proxies = replicas.map((r) => r.proxy);
  try {
    await advanceUntilSettled(clock, proxies, () => leaders(replicas).length === 1, { message: 'a leader' });
    // Stays exactly one over several renewals (four lease durations), checked at every step.
    const first = leaders(replicas).map((r) => r.proxy.name);
    const steps = {
      message: 'four lease durations',
      onStep: () =>
        assert.deepEqual(
          leaders(replicas).map((r) => r.proxy.name),
          first,
        ),
    };
    const start = clock.now();
    await advanceUntilSettled(clock, proxies, () => clock.now() - start >= 4 * FAST_LEASES.leaseDuration, steps);
    const [leader] = leaders(replicas);
    const follower = replicas.find((r) => r !== leader)!;
    assert.equal(
      follower.mgr.readiness().checks.find((c) => c.name === 'leader-election')?.detail,
      `follower (leader: ${leader!.proxy.name})`,
    );
    await leader!.mgr.stop();
    assert.equal(await leader!.mgr.done, 'stopped');
    const took = await advanceUntilSettled(clock, proxies, () => follower.mgr.elector!.isLeader(), {
      message: 'the follower to lead',
    });
    // Released, not expired: the follower takes over at its next retry, not a lease duration later.
    assert.ok(took <= 2 * FAST_LEASES.retryPeriod, `took over after ${took} ms, before the lease would have expired`);
    await follower.mgr.elected;
    await admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'le-two', name: 'after' },
      data: {},
    });
    await eventually(
      async () =>
        (
          await admin.get<KubeObject & { data?: Record<string, string> }>(ConfigMap, {
            namespace: 'le-two',
            name: 'after',
          })
        ).data?.by === follower.proxy.name,
      { message: 'the new leader to reconcile' },
    );
  } finally {
    await stopAll(replicas);
  }
});

test('three managers: exactly one leads; a paused leader stops writing before another starts', async () => {
  const log: SeenWrite[] = [];
  const clock = new ManualClock();
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'le-three' } });
  const replicas = await Promise.all(
    ['three-a', 'three-b', 'three-c'].map((n) => replica(n, 'le-three', 'le-three', log, clock)),
  );
  const proxies = replicas.map((r) => r.proxy);
  let n = 0;
  let creating = true;
  // A steady workload so that whoever leads keeps writing.
  const workload = (async () => {
    while (creating) {
      await admin.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { namespace: 'le-three', name: `cm-${n++}` },
        data: {},
      });
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  try {
    await advanceUntilSettled(clock, proxies, () => leaders(replicas).length === 1, { message: 'a leader' });
    const [old] = leaders(replicas);
    await eventually(() => log.some((w) => w.replica === old!.proxy.name), { message: 'the leader to write' });
    assert.equal(leaders(replicas).length, 1);
    // Pause it: every renewal fails from now on.
    old!.proxy.failLeaseWrites = true;
    await advanceUntilSettled(clock, proxies, () => replicas.some((r) => r !== old && r.mgr.elector?.isLeader()), {
      message: 'a new leader',
      // Never two at once: the old leader stops writing before anyone else may lead.
      onStep: () => assert.ok(replicas.filter((r) => r.mgr.canWrite()).length <= 1, 'two replicas may write'),
    });
    const next = replicas.find((r) => r !== old && r.mgr.elector?.isLeader())!;
    await eventually(() => log.some((w) => w.replica === next.proxy.name), { message: 'the new leader to write' });
    assert.equal(await old!.mgr.done, 'leadership-lost');
    assert.ok(!old!.mgr.canWrite());
    const lastOld = Math.max(...log.filter((w) => w.replica === old!.proxy.name).map((w) => w.at));
    const firstNew = Math.min(...log.filter((w) => w.replica === next.proxy.name).map((w) => w.sentAt));
    assert.ok(
      lastOld < firstNew,
      `old leader's last write answered at ${lastOld.toFixed(0)}, new leader's first sent at ${firstNew.toFixed(0)}`,
    );
    // No other replica ever wrote in between either: writers never overlap.
    const writers = log.map((w) => w.replica);
    const switches = writers.filter((w, i) => i > 0 && w !== writers[i - 1]).length;
    assert.equal(switches, 1, `writers: ${[...new Set(writers)].join(',')}`);
  } finally {
    creating = false;
    await workload;
    await stopAll(replicas);
  }
});
