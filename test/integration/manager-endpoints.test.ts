import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { MIRROR_OF, MIRROR_TO, mirrorController } from '../../examples/configmap-mirror.js';
import { startApiServer } from '../../src/apiserver/index.js';
import { KubeClient } from '../../src/client/index.js';
import { ApiError, ConfigMap, ManualClock, Secret, WriteFencedError } from '../../src/core/index.js';
import { leaseClientFor, Manager, type ManagerDescription } from '../../src/manager/index.js';
import { FAST_LEASES } from '../manager/support.js';
import { eventually } from '../support/index.js';

/** Sockets, servers and timers alive now, by kind (what a stopped manager must not leave behind). */
function liveHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'TCPServerWrap' || kind === 'Timeout')
      counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

function noMoreThan(now: Record<string, number>, baseline: Record<string, number>): boolean {
  return Object.entries(now).every(([kind, n]) => n <= (baseline[kind] ?? 0));
}

test('a leading manager: endpoints, in-flight triggers in /debug/kloop, fenced follower, no Secret data in logs or debug', async () => {
  const baseline = liveHandles();
  const server = await startApiServer();
  const admin = KubeClient.fromKubeconfig(server.kubeconfig, { logger: pino({ level: 'silent' }) });
  let logs = '';
  const logger = pino({ level: 'trace' }, { write: (line: string) => void (logs += line) });
  // Lease time stands still: the leader keeps its Lease however long a busy machine takes.
  const clock = new ManualClock();
  const leader = new Manager({
    kubeconfig: server.kubeconfig,
    logger,
    leaderElection: { name: 'endpoints', identity: 'one', ...FAST_LEASES },
    http: { port: 0, host: '127.0.0.1' },
    debug: {},
    drainTimeoutMs: 2_000,
    clock,
  });
  const follower = new Manager({
    kubeconfig: server.kubeconfig,
    logger: pino({ level: 'silent' }),
    leaderElection: { name: 'endpoints', identity: 'two', ...FAST_LEASES },
    clock,
  });
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  try {
    for (const name of ['src', 'dst']) await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    mirrorController(leader);
    leader
      .controller('hold')
      .for(ConfigMap, { informer: { namespace: 'dst' } })
      .reconcile(async () => held);
    await leader.start();
    await leader.elected;
    await follower.start();
    await eventually(() => follower.elector!.leader === 'one', { message: 'the follower to see the leader' });

    await admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'src', name: 'creds', labels: { mirror: 'true' }, annotations: { [MIRROR_TO]: 'dst' } },
      data: { password: 'correct-horse-battery' },
    });
    await admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'dst', name: 'waiting' },
      data: {},
    });
    await eventually(async () => (await leader.kube.list(Secret, { labelSelector: MIRROR_OF })).items.length === 2, {
      message: 'the mirrors',
    });

    const base = leader.httpUrl!;
    const debugBase = leader.debugUrl!;
    const debug = (await (await fetch(`${debugBase}/debug/kloop`)).json()) as ManagerDescription;
    assert.equal(debug.leaderElection?.leading, true);
    assert.equal(debug.identity, 'one');
    const hold = debug.controllers.find((c) => c.name === 'hold')!;
    const inFlight = hold.queue.inFlight.find((i) => i.key === 'dst/waiting');
    assert.ok(inFlight, JSON.stringify(hold.queue));
    assert.deepEqual((inFlight.triggers[0] as { source: string; event: string }).event, 'added');
    assert.match((inFlight.triggers[0] as { source: string }).source, /^for:v1\/ConfigMap/);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^kloop_leader\{lease="endpoints"\} 1$/m);
    assert.match(metrics, /^kloop_reconcile_total\{/m);
    assert.match(metrics, /^process_cpu_user_seconds_total /m);
    assert.equal(
      (await follower.registry.getSingleMetricAsString('kloop_leader')).includes('lease="endpoints"} 0'),
      true,
    );
    const readyz = await (await fetch(`${base}/readyz?verbose`)).text();
    assert.match(readyz, /leader-election ok: leader/);
    assert.equal(
      follower.readiness().checks.find((c) => c.name === 'leader-election')?.detail,
      'follower (leader: one)',
    );

    // A follower may not write: its client refuses before sending anything.
    await assert.rejects(
      follower.client.create(ConfigMap, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { namespace: 'src', name: 'nope' },
      }),
      WriteFencedError,
    );
    assert.equal(follower.canWrite(), false);

    const debugText = await (await fetch(`${debugBase}/debug/kloop`)).text();
    const secretValue = Buffer.from('correct-horse-battery').toString('base64');
    assert.ok(logs.length > 0, 'logs were written');
    assert.ok(!logs.includes(secretValue), 'no Secret data in the logs');
    assert.ok(!debugText.includes(secretValue), 'no Secret data in /debug/kloop');

    // The adapter: the Lease is there, held by the leader.
    const lease = await leaseClientFor(admin).get('default', 'endpoints');
    assert.equal(lease?.spec?.holderIdentity, 'one');
    assert.equal(await leaseClientFor(admin).get('default', 'missing'), undefined);
    // delete: guarded by the resourceVersion, and a Lease already gone is fine.
    const scratch = await leaseClientFor(admin).create({
      metadata: { namespace: 'default', name: 'scratch' },
      spec: {},
    });
    await assert.rejects(leaseClientFor(admin).delete('default', 'scratch', '1'), (err: unknown) =>
      ApiError.isConflict(err),
    );
    await leaseClientFor(admin).delete('default', 'scratch', scratch.metadata.resourceVersion!);
    assert.equal(await leaseClientFor(admin).get('default', 'scratch'), undefined);
    await leaseClientFor(admin).delete('default', 'scratch', scratch.metadata.resourceVersion!);
  } finally {
    release();
    await leader.stop();
    await follower.stop();
    admin.close();
    await server.stop();
  }
  assert.equal(await leader.done, 'stopped');
  // Stopped managers and server leave no socket, listener or timer behind (closing is async).
  await eventually(() => noMoreThan(liveHandles(), baseline), {
    message: `handles to close: ${JSON.stringify(liveHandles())} vs ${JSON.stringify(baseline)}`,
  });
});
