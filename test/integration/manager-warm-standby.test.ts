// Warm standby: two managers on one Lease, the leader killed (its proxy cut: to the cluster it is
// a dead process). A warm follower has listed and watched while waiting, so taking over sends no
// list; a cold one lists after it takes over. Until then the follower's writes are fenced. The
// fail-over figures (leading to controllers running, kill to first reconcile) are printed as a
// diagnostic, not asserted: they depend on the machine.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { KubeClient } from '../../src/client/index.js';
import { ConfigMap, WriteFencedError } from '../../src/core/index.js';
import { Manager } from '../../src/manager/index.js';
import { FAST_LEASES } from '../manager/support.js';
import { eventually } from '../support/index.js';
import { isList, type RecordingProxy, type SeenRequest, startRecordingProxy } from './recording-proxy.js';

const OBJECTS = 500;

let server: ApiServer;
let admin: KubeClient;

before(async () => {
  server = await startApiServer();
  admin = KubeClient.fromKubeconfig(server.kubeconfig, { logger: pino({ level: 'silent' }) });
});
after(async () => {
  admin.close();
  await server.stop();
});

interface Replica {
  mgr: Manager;
  proxy: RecordingProxy;
  reconciled: Array<{ key: string; at: number }>;
}

async function replica(identity: string, lease: string, namespace: string, warmStandby: boolean): Promise<Replica> {
  const proxy = await startRecordingProxy(server);
  const mgr = new Manager({
    kubeconfig: proxy.kubeconfig,
    logger: pino({ level: 'silent' }),
    leaderElection: { name: lease, namespace: 'default', identity, ...FAST_LEASES, warmStandby },
    drainTimeoutMs: 500,
  });
  const reconciled: Replica['reconciled'] = [];
  mgr
    .controller('stamp')
    .for(ConfigMap, { informer: { namespace } })
    .reconcile(async (req) => {
      reconciled.push({ key: req.key.name, at: performance.now() });
    });
  return { mgr, proxy, reconciled };
}

interface Failover {
  /** The new leader's ConfigMap lists after it took over. */
  listsAfterTakeover: SeenRequest[];
  /** Its ConfigMap lists before (a warm follower's own sync). */
  listsBefore: SeenRequest[];
  /** From winning the Lease to its controllers running on synced caches, ms. */
  leadingToRunningMs: number;
  /** From the kill to the new leader's first reconcile, ms. */
  killToReconcileMs: number;
}

async function failover(warmStandby: boolean, name: string): Promise<Failover> {
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  // In batches: hundreds of creates at once overrun the client's sockets on a busy machine.
  for (let start = 0; start < OBJECTS; start += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, OBJECTS - start) }, (_, i) =>
        admin.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { namespace: name, name: `cm-${start + i}` },
          data: { payload: 'x'.repeat(512) },
        }),
      ),
    );
  }
  const a = await replica(`${name}-a`, name, name, warmStandby);
  const b = await replica(`${name}-b`, name, name, warmStandby);
  try {
    await a.mgr.start();
    await a.mgr.elected;
    await b.mgr.start();
    await eventually(() => b.mgr.elector!.leader === `${name}-a`, { message: 'the follower to see the leader' });
    // The fence holds whatever the cache: a follower sends no write.
    await assert.rejects(
      b.mgr.client.create(ConfigMap, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { namespace: name, name: 'no' },
      }),
      WriteFencedError,
    );
    assert.equal(b.reconciled.length, 0, 'a follower does not reconcile');
    // The debug document says what the follower is: not leading, fenced, its standby warm or cold,
    // and (warm) its informers synced while no controller runs.
    const standby = b.mgr.describe();
    assert.deepEqual(standby.leaderElection, {
      lease: name,
      leading: false,
      canWrite: false,
      leader: `${name}-a`,
      warmStandby,
    });
    assert.deepEqual(
      standby.controllers.map((c) => c.running),
      [false],
    );
    assert.deepEqual(
      standby.informers.map((i) => `${i.type} ${i.synced} ${i.size}`),
      warmStandby ? [`v1/ConfigMap true ${OBJECTS}`] : [],
    );

    const killedAt = performance.now();
    a.proxy.cut();
    await b.mgr.elector!.leading;
    const leadingAt = performance.now();
    await b.mgr.elected;
    const runningAt = performance.now();
    await eventually(() => b.reconciled.length === OBJECTS, { message: 'the new leader to reconcile every object' });
    assert.equal(await a.mgr.done, 'leadership-lost');
    const lists = b.proxy.requests.filter((r) => isList(r, 'configmaps'));
    return {
      listsAfterTakeover: lists.filter((r) => r.at >= leadingAt),
      listsBefore: lists.filter((r) => r.at < leadingAt),
      leadingToRunningMs: runningAt - leadingAt,
      killToReconcileMs: b.reconciled[0]!.at - killedAt,
    };
  } finally {
    await b.mgr.stop();
    await a.mgr.stop();
    await a.proxy.close();
    await b.proxy.close();
  }
}

const figures: Record<string, Failover> = {};

test('warm standby: the follower synced while waiting, and taking over sends no list', async () => {
  const warm = await failover(true, 'warm');
  figures.warm = warm;
  assert.equal(warm.listsBefore.length, 1, 'the follower listed once, while following');
  assert.deepEqual(
    warm.listsAfterTakeover.map((r) => r.path),
    [],
    'no list after taking over',
  );
});

test('cold standby (warmStandby: false): the new leader lists after it takes over', async (t) => {
  const cold = await failover(false, 'cold');
  figures.cold = cold;
  assert.equal(cold.listsBefore.length, 0, 'nothing listed while following');
  assert.equal(cold.listsAfterTakeover.length, 1);
  const warm = figures.warm;
  if (warm) {
    const ms = (n: number) => `${n.toFixed(1)} ms`;
    t.diagnostic(
      `fail-over with ${OBJECTS} ConfigMaps of ~0.6 KB, leader killed: ` +
        `leading -> controllers running: warm ${ms(warm.leadingToRunningMs)}, cold ${ms(cold.leadingToRunningMs)}; ` +
        `kill -> first reconcile: warm ${ms(warm.killToReconcileMs)}, cold ${ms(cold.killToReconcileMs)} ` +
        `(lease ${FAST_LEASES.leaseDuration} ms, recorded as whole seconds)`,
    );
  }
});
