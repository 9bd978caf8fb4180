import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { KubeClient } from '../../src/client/index.js';
import { ConfigMap, type KubeObject, ManualClock } from '../../src/core/index.js';
import { assignShards, Manager, shardOf } from '../../src/manager/index.js';
import {
  advanceUntilSettled,
  FAST_LEASES,
  type ReplicaProxy,
  type SeenWrite,
  startReplicaProxy,
} from '../manager/support.js';

const NS = 'sharded';
const KEYS = 1000;
const SHARDS = 16;
let server: ApiServer;
let admin: KubeClient;

before(async () => {
  server = await startApiServer();
  admin = KubeClient.fromKubeconfig(server.kubeconfig);
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  for (let i = 0; i < KEYS; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) =>
        admin.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { namespace: NS, name: `k-${i + j}` },
          data: {},
        }),
      ),
    );
  }
});
after(async () => {
  admin.close();
  await server.stop();
});

type Data = KubeObject & { data?: Record<string, string> };

test('sharding: 3 replicas, 1000 keys, a join and a kill: every key reconciled by its shard holder, never by two at once', async (t) => {
  const log: SeenWrite[] = [];
  const running = new Map<string, string>();
  const reconciled = new Set<string>();
  const overlaps: string[] = [];
  const replicas: Array<{ name: string; mgr: Manager; proxy: ReplicaProxy }> = [];
  // The Leases' time: moved by the test, only while no replica has a request in flight.
  const clock = new ManualClock();

  async function start(name: string): Promise<void> {
    const proxy = await startReplicaProxy(server, name, log);
    const mgr = new Manager({
      kubeconfig: proxy.kubeconfig,
      logger: pino({ level: 'silent' }),
      sharding: { name: 'stamp', namespace: 'default', shards: SHARDS, identity: name, ...FAST_LEASES },
      drainTimeoutMs: 1_000,
      clock,
    });
    mgr
      .controller('stamp')
      .for(ConfigMap, { informer: { namespace: NS } })
      .concurrency(4)
      .reconcile(async (req, ctx) => {
        const key = `${req.key.namespace}/${req.key.name}`;
        const other = running.get(key);
        if (other !== undefined) overlaps.push(`${key}: ${other} and ${name}`);
        running.set(key, name);
        try {
          reconciled.add(key);
          await ctx.client.mutate<Data>(ConfigMap, req.key, (cm) => {
            cm.data = { ...cm.data, owner: name };
          });
        } finally {
          if (running.get(key) === name) running.delete(key);
        }
      });
    await mgr.start();
    replicas.push({ name, mgr, proxy });
  }

  let progress = '';
  async function converged(members: string[]): Promise<boolean> {
    const assignment = assignShards(members, SHARDS);
    const held = replicas.map(
      (r) => `${r.name} holds ${r.mgr.sharder!.heldShards().length} sees [${r.mgr.sharder!.members.join(',')}]`,
    );
    const settled = members.every((m) => {
      const r = replicas.find((each) => each.name === m)!;
      const want = [...assignment].filter(([, holder]) => holder === m).map(([shard]) => shard);
      return (
        r.mgr
          .sharder!.heldShards()
          .sort((x, y) => x - y)
          .join() === want.join()
      );
    });
    progress = `shards ${settled ? 'as assigned' : 'moving'}; ${held.join('; ')}`;
    if (!settled) return false;
    const items = (await admin.list<Data>(ConfigMap, { namespace: NS })).items;
    const right = items.filter(
      (cm) => cm.data?.owner === assignment.get(shardOf({ namespace: NS, name: cm.metadata.name! }, SHARDS)),
    ).length;
    progress = `${right}/${items.length} keys stamped by their shard's holder; ${held.join('; ')}`;
    return items.length === KEYS && right === KEYS;
  }
  /**
   * Moves the Leases' time until every key is stamped by its shard's holder, and reports how much
   * virtual time that took. However loaded the machine, no Lease expires while a request is in
   * flight, so a slow round trip no longer costs a shard (the cause of the former real-time
   * timeouts).
   */
  async function convergence(members: string[], what: string): Promise<void> {
    const took = await advanceUntilSettled(
      clock,
      replicas.map((r) => r.proxy),
      () => converged(members),
      { message: what, progress: () => progress },
    );
    t.diagnostic(`${what}: ${took} ms of virtual time`);
  }

  try {
    await start('shard-a');
    await start('shard-b');
    await convergence(['shard-a', 'shard-b'], 'two replicas to split the keys');
    assert.equal(reconciled.size, KEYS, 'every key reconciled');

    await start('shard-c');
    await convergence(['shard-a', 'shard-b', 'shard-c'], 'the joining replica to take its shards');
    const c = replicas.find((r) => r.name === 'shard-c')!;
    assert.ok(c.mgr.describe().sharding!.held.length > 0);

    const b = replicas.find((r) => r.name === 'shard-b')!;
    b.proxy.cut(); // dead, as far as the cluster can tell
    await convergence(['shard-a', 'shard-c'], "the dead replica's shards to move");
    assert.deepEqual(overlaps, [], 'no key reconciled by two replicas at once');
    assert.ok(!b.mgr.describe().sharding!.held.length, 'the dead replica fenced itself');
    const held = replicas.filter((r) => r !== b).flatMap((r) => r.mgr.describe().sharding!.held);
    assert.equal(new Set(held).size, held.length, 'no shard held twice');
  } finally {
    await Promise.all(replicas.map((r) => r.mgr.stop()));
    await Promise.all(replicas.map((r) => r.proxy.close()));
  }
});
