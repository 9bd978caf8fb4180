// What the debug record holds for the dashboard, over HTTP: each write's bytes and the
// resourceVersion its watch event carries (so the trigger it caused links back to it), the writes
// a reconcile skipped with their reason, and the hot loops a controller found, each naming the
// reconcile that crossed the threshold.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { KubeClient } from '../../src/client/index.js';
import { ConfigMap, type KubeObject } from '../../src/core/index.js';
import { Manager } from '../../src/manager/index.js';
import { eventually } from '../support/index.js';

let server: ApiServer;
let admin: KubeClient;

before(async () => {
  server = await startApiServer();
  admin = KubeClient.fromKubeconfig(server.kubeconfig, { logger: pino({ level: 'silent' }) });
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rw' } });
});
after(async () => {
  admin.close();
  await server.stop();
});

test('writes carry bytes and their resourceVersion, skipped writes their reason, hot loops their reconcile', async () => {
  const mgr = new Manager({
    kubeconfig: server.kubeconfig,
    logger: pino({ level: 'silent' }),
    cache: { defaultNamespaces: ['rw'] },
    drainTimeoutMs: 1_000,
  });
  mgr
    .controller('labeler')
    .for(ConfigMap, { predicates: [{ name: 'not-loop', test: (e) => e.object.metadata.name !== 'loop' }] })
    .reconcile(async (req, ctx) => {
      // The same label every time: sent once, then skipped as unchanged.
      await ctx.client.mutate(ConfigMap, req.key, (cm) => {
        cm.metadata.labels = { ...cm.metadata.labels, seen: 'yes' };
      });
    });
  let passes = 0;
  mgr
    .controller('looper')
    .for(ConfigMap, { predicates: [{ name: 'loop', test: (e) => e.object.metadata.name === 'loop' }] })
    .reconcile(async (req, ctx) => {
      // Stops after 8 passes, past the threshold of 5.
      if (passes++ >= 8) return;
      await ctx.client.mutate(ConfigMap, req.key, (cm) => {
        cm.metadata.annotations = { ...cm.metadata.annotations, pass: String(passes) };
      });
    });
  await mgr.start();
  try {
    await admin.create<KubeObject>({ ...ConfigMap, metadata: { namespace: 'rw', name: 'plain' } });
    await admin.create<KubeObject>({ ...ConfigMap, metadata: { namespace: 'rw', name: 'loop' } });
    const records = await eventually(
      () => {
        const r = mgr.reconciles({ controller: 'labeler', key: 'rw/plain' });
        return r.some((x) => x.skipped?.length) ? r : undefined;
      },
      { message: 'the labeler to write once and then skip' },
    );
    const first = records.find((r) => r.writes.length > 0)!;
    const write = first.writes[0]!;
    assert.equal(write.type, 'v1/ConfigMap');
    assert.equal(write.key, 'rw/plain');
    assert.ok(write.bytes !== undefined && write.bytes > 0, 'bytes of the request body');
    assert.ok(write.resourceVersion, 'the version the server answered with');
    const second = records.find((r) => r.skipped?.length)!;
    assert.deepEqual(second.skipped, [{ type: 'v1/ConfigMap', key: 'rw/plain', kind: 'patch', reason: 'unchanged' }]);
    // The pass that skipped was set off by the write's own event: same object, same version.
    assert.ok(
      second.triggers.some((t) => t.object?.name === 'plain' && t.resourceVersion === write.resourceVersion),
      'the trigger carries the version of the write that caused it',
    );

    const looper = await eventually(
      () => {
        const c = mgr.describe().controllers.find((x) => x.name === 'looper')!;
        return c.hotLoops.length > 0 ? c : undefined;
      },
      { message: 'the looper to be flagged' },
    );
    const hot = looper.hotLoops[0]!;
    assert.equal(hot.key, 'rw/loop');
    assert.deepEqual(hot.fields, ['metadata.annotations']);
    assert.ok(hot.laps >= 5);
    assert.ok(!Number.isNaN(Date.parse(hot.detectedAt)));
    assert.ok(
      mgr.reconciles({ controller: 'looper' }).some((r) => r.reconcileID === hot.reconcileID),
      'the hot loop names a recorded reconcile',
    );
    assert.deepEqual(mgr.describe({ key: 'rw/other' }).controllers.find((x) => x.name === 'looper')!.hotLoops, []);
  } finally {
    await mgr.stop();
  }
});

test('a delete the server answers with the object records its resourceVersion: the event it caused links back', async () => {
  const mgr = new Manager({
    kubeconfig: server.kubeconfig,
    logger: pino({ level: 'silent' }),
    cache: { defaultNamespaces: ['rw'] },
    drainTimeoutMs: 1_000,
  });
  mgr
    .controller('reaper')
    .for(ConfigMap, { predicates: [{ name: 'doomed', test: (e) => e.object.metadata.name === 'doomed' }] })
    .reconcile(async (req, ctx) => {
      const cm = await ctx.client.get(ConfigMap, req.key);
      // A finalizer holds it: the server answers the delete with the object, deletionTimestamp set.
      if (cm && !cm.metadata.deletionTimestamp) await ctx.client.delete(ConfigMap, req.key);
    });
  await mgr.start();
  try {
    await admin.create<KubeObject>({
      ...ConfigMap,
      metadata: { namespace: 'rw', name: 'doomed', finalizers: ['x.io/hold'] },
    });
    const { write, caused } = await eventually(
      () => {
        const records = mgr.reconciles({ controller: 'reaper' });
        const write = records.flatMap((r) => r.writes).find((w) => w.kind === 'delete');
        if (write === undefined) return undefined;
        const caused = records.find((r) =>
          r.triggers.some((t) => t.object?.name === 'doomed' && t.resourceVersion === write.resourceVersion),
        );
        return caused ? { write, caused } : undefined;
      },
      { message: 'the delete and the reconcile its event set off' },
    );
    assert.ok(write.resourceVersion, 'the version the server answered the delete with');
    assert.equal(caused.triggers[0]!.event, 'updated', 'its event: deletionTimestamp set');
  } finally {
    await mgr.stop();
    await admin.patch(
      { type: ConfigMap, key: { namespace: 'rw', name: 'doomed' } },
      { metadata: { finalizers: null } },
    );
  }
});
