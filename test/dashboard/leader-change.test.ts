// The dashboard of a warm standby through a leader change, over HTTP against the emulator: the
// follower's feed says it follows and its controllers do not run; once the leader steps down the
// same stream (no reload) says it leads, its controllers run, `kloop_leader` reads 1 and its
// reconciles arrive.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { KubeClient } from '../../src/client/index.js';
import { ConfigMap, type KubeObject } from '../../src/core/index.js';
import type { DashboardSnapshot, DashboardTick } from '../../src/manager/dashboard/hub.js';
import { Manager } from '../../src/manager/index.js';
import { eventually } from '../support/index.js';

let server: ApiServer;
let admin: KubeClient;

before(async () => {
  server = await startApiServer();
  admin = KubeClient.fromKubeconfig(server.kubeconfig, { logger: pino({ level: 'silent' }) });
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lc' } });
  await admin.create<KubeObject>({ ...ConfigMap, metadata: { namespace: 'lc', name: 'one' } });
});
after(async () => {
  admin.close();
  await server.stop();
});

function replica(identity: string): Manager {
  const mgr = new Manager({
    kubeconfig: server.kubeconfig,
    logger: pino({ level: 'silent' }),
    leaderElection: {
      name: 'dashboard-lc',
      namespace: 'lc',
      identity,
      leaseDuration: 4_000,
      renewDeadline: 3_000,
      retryPeriod: 100,
    },
    cache: { defaultNamespaces: ['lc'] },
    debug: { dashboard: { intervalMs: 100 } },
    drainTimeoutMs: 1_000,
  });
  mgr
    .controller('noop')
    .for(ConfigMap)
    .reconcile(async () => {});
  return mgr;
}

/** Reads an SSE stream message by message. */
async function* messages(url: string): AsyncGenerator<{ event: string; data: unknown }> {
  const res = await fetch(url);
  const reader = res.body!.getReader();
  let buffer = '';
  try {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = message.match(/^event: (.*)$/m)?.[1];
        const data = message.match(/^data: (.*)$/m)?.[1];
        if (event && data) yield { event, data: JSON.parse(data) };
        continue;
      }
      const { value, done } = await reader.read();
      if (done) return;
      buffer += Buffer.from(value).toString();
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

test('a follower page goes live as leader on the same stream when the leader steps down', async () => {
  const leader = replica('replica-a');
  const follower = replica('replica-b');
  try {
    await leader.start();
    await eventually(() => leader.describe().leaderElection?.leading === true || undefined, {
      message: 'replica-a to lead',
    });
    await follower.start();
    const stream = messages(`${follower.dashboardUrl}/events`);
    const first = (await stream.next()).value as { event: string; data: DashboardSnapshot };
    assert.equal(first.event, 'snapshot');
    assert.equal(first.data.state.leaderElection?.leading, false, 'the follower says it follows');
    assert.equal(first.data.state.controllers[0]!.running, false);

    await leader.stop();
    let leading = false;
    let running = false;
    let gauge = 0;
    let reconciles = 0;
    const deadline = Date.now() + 15_000;
    for await (const message of stream) {
      if (message.event !== 'tick') continue;
      const tick = message.data as DashboardTick;
      if (tick.state) {
        leading = tick.state.leaderElection?.leading === true;
        running = tick.state.controllers[0]!.running;
      }
      if (tick.totals) gauge = tick.totals.leader['dashboard-lc'] ?? 0;
      reconciles += tick.records.filter((r) => r.controller === 'noop').length;
      if (leading && running && gauge === 1 && reconciles > 0) break;
      assert.ok(
        Date.now() < deadline,
        `no leader change on the page: ${JSON.stringify({ leading, running, gauge, reconciles })}`,
      );
    }
    assert.ok(leading && running && gauge === 1 && reconciles > 0);
  } finally {
    await leader.stop();
    await follower.stop();
  }
});
