/**
 * Controllers and the cached client against the emulator over HTTP, with a recording proxy
 * counting what reaches the server.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { FINALIZER, MIRROR_OF, mirrorController } from '../../examples/configmap-mirror.js';
import { installWebsiteCrd, Website, type WebsiteObject, websiteController } from '../../examples/website.js';
import { KubeClient } from '../../src/client/index.js';
import type { Request } from '../../src/controller/index.js';
import { labelSelector, OWNER_INDEX } from '../../src/controller/index.js';
import { ConfigMap, Deployment, type KubeObject, Secret } from '../../src/core/index.js';
import { Manager } from '../../src/manager/index.js';
import { eventually } from '../support/index.js';
import { quiesce, type RecordingCluster, startRecordingCluster } from './controller-helpers.js';

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  return (await m.get()).values
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((n, v) => n + v.value, 0);
}

const ns = 'default';
const cmKey = (name: string) => ({ namespace: ns, name });

describe('controllers over HTTP', () => {
  let cluster: RecordingCluster;
  let mgr: Manager;
  /** The test's own client, as a user with kubectl: through the same recording proxy. */
  let admin: KubeClient;

  beforeEach(async () => {
    cluster = await startRecordingCluster();
    mgr = new Manager({ kubeconfig: cluster.kubeconfig, drainTimeoutMs: 2000, logger: pino({ level: 'silent' }) });
    admin = KubeClient.fromKubeconfig(cluster.kubeconfig, { logger: pino({ level: 'silent' }) });
  });

  afterEach(async () => {
    await mgr.stop();
    admin.close();
    await cluster.stop();
  });

  /** Waits until every controller is idle: nothing ready, waiting (but requeues) or running. */
  const idle = () =>
    eventually(() => mgr.controllers().every((c) => c.queue.depth === 0 && c.queue.inFlightCount === 0), {
      message: 'idle',
    });

  it('mirror: steady state sends zero writes; one changed field sends one patch holding just it', async () => {
    for (const name of ['team-a', 'team-b'])
      await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        namespace: ns,
        name: 'cfg',
        labels: { mirror: 'true' },
        annotations: { 'kloop.dev/mirror-to': 'team-a,team-b' },
      },
      data: { color: 'blue', size: 'L' },
    });
    const controller = mirrorController(mgr);
    await mgr.start();
    await eventually(async () => (await mgr.kube.list(Secret, { labelSelector: MIRROR_OF })).items.length === 3, {
      message: 'three mirrored Secrets',
    });
    await quiesce(mgr, cluster);
    const before = cluster.writes().length;
    // Repeated reconciles and resyncs, dropped watches and a compacted history: no writes.
    for (let i = 0; i < 20; i++) controller.enqueue(cmKey('cfg'), { source: 'resync', event: 'resync' });
    const restarts = await metric(mgr.registry, 'kloop_informer_watch_restarts_total');
    cluster.server.faults.compact();
    cluster.server.faults.dropWatches();
    const informers = mgr.informers.informers().length;
    await eventually(
      async () => (await metric(mgr.registry, 'kloop_informer_watch_restarts_total')) >= restarts + informers,
      { message: 'every informer to restart its watch' },
    );
    await quiesce(mgr, cluster);
    for (let i = 0; i < 5; i++) controller.enqueue(cmKey('cfg'), { source: 'resync', event: 'resync' });
    await idle();
    assert.deepEqual(cluster.writes().slice(before), [], 'steady state writes nothing');

    const start = cluster.writes().length;
    await admin.patch({ type: ConfigMap, key: cmKey('cfg') }, { data: { color: 'red', size: 'L' } });
    const red = Buffer.from('red').toString('base64');
    await eventually(() => cluster.writes('/secrets/').filter((w) => w.body.includes(red)).length >= 3, {
      message: 'three patches',
    });
    await quiesce(mgr, cluster);
    const patches = cluster.writes().slice(start + 1);
    assert.equal(patches.length, 3, JSON.stringify(cluster.writes().slice(start)));
    for (const p of patches) {
      assert.equal(p.method, 'PATCH');
      assert.equal(p.contentType, 'application/merge-patch+json');
      assert.deepEqual(JSON.parse(p.body), { data: { color: red } });
    }
    assert.ok((await metric(mgr.registry, 'kloop_client_writes_skipped_total')) > 0);
    assert.ok((await metric(mgr.registry, 'kloop_client_write_bytes_total')) > 0);
  });

  it('mirror: the finalizer removes the cross-namespace copies before the ConfigMap goes', async () => {
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    await admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        namespace: ns,
        name: 'cfg',
        labels: { mirror: 'true' },
        annotations: { 'kloop.dev/mirror-to': 'team-a' },
      },
      data: { a: '1' },
    });
    mirrorController(mgr);
    await mgr.start();
    await eventually(async () => (await mgr.kube.list(Secret, { namespace: 'team-a' })).items.length === 1, {
      message: 'the copy in team-a',
    });
    const cm = await mgr.kube.get(ConfigMap, cmKey('cfg'));
    assert.deepEqual(cm.metadata.finalizers, [FINALIZER]);
    await admin.delete(ConfigMap, cmKey('cfg'));
    await eventually(
      async () => {
        try {
          await mgr.kube.get(ConfigMap, cmKey('cfg'));
          return false;
        } catch {
          return true;
        }
      },
      { message: 'the ConfigMap gone after its finalizer' },
    );
    assert.equal((await mgr.kube.list(Secret, { namespace: 'team-a' })).items.length, 0);
    // The write that removed the finalizer must not outlive the object in read-your-writes:
    // once the informer saw the delete, reads return nothing and no record is left.
    await eventually(async () => (await mgr.client.get(ConfigMap, cmKey('cfg'))) === undefined, {
      message: 'deleted ConfigMap unread',
    });
    assert.equal((mgr.client as unknown as { pendingWrites: number }).pendingWrites, 0);
  });

  it('website: owner mapping, status-only changes to /status, applies of what is there send nothing', async () => {
    await installWebsiteCrd(mgr);
    const controller = websiteController(mgr);
    await mgr.start();
    await admin.create({
      ...Website,
      metadata: { namespace: ns, name: 'blog' },
      spec: { image: 'nginx', replicas: 2, port: 80 },
    });
    await eventually(
      async () => {
        const site = await mgr.kube.get<WebsiteObject>(Website, cmKey('blog'));
        return site.status?.conditions?.[0]?.reason === 'Progressing';
      },
      { message: 'the Website to progress' },
    );
    await quiesce(mgr, cluster);
    const before = cluster.writes().length;
    for (let i = 0; i < 10; i++) controller.enqueue(cmKey('blog'), { source: 'resync', event: 'resync' });
    await idle();
    assert.deepEqual(cluster.writes().slice(before), [], 'applies of what is there and unchanged status send nothing');

    // The test plays the deployment controller: readiness changes the Website's status only.
    await admin.patch(
      { type: Deployment, key: cmKey('blog') },
      { status: { readyReplicas: 2 } },
      { subresource: 'status' },
    );
    const mark = cluster.writes().length;
    await eventually(
      async () => (await mgr.kube.get<WebsiteObject>(Website, cmKey('blog'))).status?.readyReplicas === 2,
      { message: 'readyReplicas in the status' },
    );
    await quiesce(mgr, cluster);
    const writes = cluster.writes().slice(mark);
    assert.equal(writes.length, 1, JSON.stringify(writes));
    assert.match(writes[0].path, /\/websites\/blog\/status/);
    const body = JSON.parse(writes[0].body) as { status: Record<string, unknown>; spec?: unknown };
    assert.equal(body.spec, undefined);
    assert.equal(body.status.readyReplicas, 2);
    const recent = controller.recentReconciles().at(-1)!;
    assert.ok(
      recent.triggers.some((t) => t.source === 'owns:apps/v1/Deployment' && t.object?.name === 'blog'),
      JSON.stringify(recent),
    );
  });

  it('website: a missing image is a terminal error, not retried', async () => {
    await installWebsiteCrd(mgr);
    websiteController(mgr);
    await mgr.start();
    await admin.create({ ...Website, metadata: { namespace: ns, name: 'bad' }, spec: {} });
    await eventually(
      async () => (await metric(mgr.registry, 'kloop_reconcile_total', { result: 'terminal_error' })) === 1,
      { message: 'the terminal error' },
    );
    await quiesce(mgr, cluster); // nothing waits for a retry
    assert.equal(await metric(mgr.registry, 'kloop_reconcile_total', { result: 'terminal_error' }), 1);
    assert.equal(await metric(mgr.registry, 'kloop_reconcile_total', { result: 'error' }), 0);
    const site = await mgr.kube.get<WebsiteObject>(Website, cmKey('bad'));
    assert.equal(site.status?.conditions?.[0].reason, 'InvalidSpec');
  });

  it('folds a burst of 1000 updates during a slow reconcile into at most 2 reconciles', async () => {
    await admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: ns, name: 'burst' },
      data: { i: '0' },
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const seen: Request[] = [];
    mgr
      .controller('burst')
      .for(ConfigMap)
      .reconcile(async (req) => {
        seen.push(req);
        if (seen.length === 1) await gate;
      });
    await mgr.start();
    await eventually(() => seen.length === 1, { message: 'the first reconcile' });
    for (let i = 1; i <= 1000; i++)
      await admin.patch({ type: ConfigMap, key: cmKey('burst') }, { data: { i: String(i) } });
    const informer = mgr.informer(ConfigMap);
    await eventually(() => (informer.get(cmKey('burst'))?.data as Record<string, string> | undefined)?.i === '1000', {
      message: 'the informer to see the last update',
    });
    release();
    await idle();
    assert.ok(seen.length <= 2, `${seen.length} reconciles`);
    const updates = seen
      .flatMap((r) => r.triggerCounts)
      .filter((c) => c.event === 'updated')
      .reduce((n, c) => n + c.count, 0);
    assert.equal(updates, 1000);
  });

  it('never runs one key in two of 8 workers at once (reconciles of 0-4 ms)', async () => {
    let seed = 11;
    const nextDelay = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % 5;
    };
    const active = new Set<string>();
    let violations = 0;
    let runs = 0;
    mgr
      .controller('conc')
      .for(ConfigMap, { predicates: [labelSelector('conc=yes')] })
      .concurrency(8)
      .reconcile(async (req) => {
        const id = req.key.name;
        if (active.has(id)) violations++;
        active.add(id);
        await new Promise((r) => setTimeout(r, nextDelay()));
        active.delete(id);
        runs++;
      });
    await mgr.start();
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      writes.push(
        admin.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { namespace: ns, name: `c${i}`, labels: { conc: 'yes' } },
        }),
      );
    }
    await Promise.all(writes);
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          admin.patch({ type: ConfigMap, key: cmKey(`c${i}`) }, { data: { round: String(round) } }),
        ),
      );
    }
    await quiesce(mgr, cluster);
    assert.equal(violations, 0);
    assert.ok(runs >= 10);
  });

  it('reads its own writes while the watch is stalled', async () => {
    await admin.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: ns, name: 'ryw' } });
    const informer = mgr.informer(ConfigMap);
    await informer.synced;
    await eventually(() => informer.get(cmKey('ryw')) !== undefined, { message: 'the informer to hold ryw' });
    // From here the informer hears nothing: each pass must read the previous pass's write.
    const stall = cluster.server.faults.stallWatches({ resource: 'configmaps' });
    const seen: Array<string | undefined> = [];
    mgr
      .controller('ryw')
      .for(ConfigMap)
      .reconcile(async (req, ctx) => {
        const cm = await ctx.client.get(ConfigMap, req.key);
        const count = cm?.metadata.annotations?.count;
        seen.push(count);
        if (Number(count ?? 0) >= 3) return;
        await ctx.client.mutate(ConfigMap, req.key, (d) => {
          d.metadata.annotations = { ...d.metadata.annotations, count: String(Number(count ?? 0) + 1) };
        });
        return { requeueAfter: 1 };
      });
    await mgr.start();
    await eventually(() => seen.includes('3'), { message: 'four passes' });
    await idle();
    assert.deepEqual(seen, [undefined, '1', '2', '3']);
    assert.equal(await metric(mgr.registry, 'kloop_reconcile_total', { result: 'conflict' }), 0);
    assert.equal(informer.get(cmKey('ryw'))?.metadata.annotations?.count, undefined, 'the informer is still behind');
    stall.clear();
  });

  it('retries injected conflicts from a fresh read, and requeues a conflicting reconcile quietly', async () => {
    await admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: ns, name: 'c' },
      data: { v: '0' },
    });
    await mgr.start();
    cluster.server.faults.conflicts({ count: 2, resource: 'configmaps' });
    const out = await mgr.client.mutate<KubeObject>(ConfigMap, cmKey('c'), (d) => {
      d.data = { v: '1' };
    });
    assert.equal(out.sent, true);
    assert.equal(cluster.writes('/configmaps/c').length, 3);
    assert.deepEqual((await mgr.kube.get(ConfigMap, cmKey('c'))).data, { v: '1' });

    let calls = 0;
    mgr
      .controller('conflicting')
      .for(ConfigMap, { predicates: [labelSelector('conflict=yes')] })
      .reconcile(async (req, ctx) => {
        calls++;
        const cm = (await ctx.client.get(ConfigMap, req.key))!;
        await ctx.client.patch(cm, { ...cm, data: { done: 'yes' } }, { optimisticLock: true });
      });
    await admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: ns, name: 'd', labels: { conflict: 'yes' } },
    });
    cluster.server.faults.conflicts({ count: 1, resource: 'configmaps' });
    await eventually(async () => (await mgr.kube.get(ConfigMap, cmKey('d'))).data !== undefined, {
      message: 'the patch of d after its conflict',
    });
    await quiesce(mgr, cluster);
    assert.equal(
      await metric(mgr.registry, 'kloop_reconcile_total', { controller: 'conflicting', result: 'conflict' }),
      1,
    );
    assert.ok(calls >= 2);
  });

  it('detects a hot loop: a reconcile that stamps its own object on every pass', async () => {
    await admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: ns, name: 'hot', labels: { hot: 'yes' } },
    });
    let passes = 0;
    mgr
      .controller('hot')
      .for(ConfigMap, { predicates: [labelSelector('hot=yes')] })
      .reconcile(async (req, ctx) => {
        passes++;
        if (passes > 12) return; // stop the loop once detection had its chance
        await ctx.client.mutate(ConfigMap, req.key, (d) => {
          d.metadata.annotations = { ...d.metadata.annotations, stamp: `${Date.now()}-${passes}` };
        });
      });
    await mgr.start();
    await eventually(() => passes > 12, { message: 'a dozen self-triggered passes' });
    assert.equal(await metric(mgr.registry, 'kloop_hot_loops_total', { controller: 'hot' }), 1);
  });

  it('does not flag a controller that writes once per outside change as a hot loop', async () => {
    // `copy` follows `source`: every pass writes `copy` once because `source` changed. Changes
    // arrive while a pass runs, so each next pass folds the event of its own write with the
    // outside change: not a loop, however many times it repeats.
    for (const name of ['source', 'copy'])
      await admin.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { namespace: ns, name },
        data: { n: '0' },
      });
    let passes = 0;
    mgr
      .controller('follower')
      .for(ConfigMap, { predicates: [{ name: 'copy', test: (e) => e.object.metadata.name === 'copy' }] })
      .watches(ConfigMap, (o) => (o.metadata.name === 'source' ? { namespace: ns, name: 'copy' } : undefined))
      .reconcile(async (req, ctx) => {
        passes++;
        const source = await ctx.client.get(ConfigMap, { namespace: ns, name: 'source' });
        await new Promise((r) => setTimeout(r, 60));
        await ctx.client.mutate(ConfigMap, req.key, (d) => {
          d.data = { n: (source?.data as { n: string } | undefined)?.n ?? '0' };
        });
      });
    await mgr.start();
    await idle();
    for (let n = 1; n <= 24; n++) {
      await admin.patch({ type: ConfigMap, key: cmKey('source') }, { data: { n: String(n) } });
      // Outside changes paced at 20 ms, a third of a pass, so they land while passes run.
      await new Promise((r) => setTimeout(r, 20));
    }
    await eventually(
      async () => ((await mgr.kube.get(ConfigMap, cmKey('copy'))).data as { n?: string } | undefined)?.n === '24',
      { message: 'copy follows' },
    );
    await quiesce(mgr, cluster);
    assert.ok(passes >= 6, `passes ${passes}`);
    assert.equal(await metric(mgr.registry, 'kloop_hot_loops_total', { controller: 'follower' }), 0);
  });

  it('scopes predicates: for-source selector does not guard owned objects', async () => {
    const seen: string[] = [];
    mgr
      .controller('scoped')
      .for(ConfigMap, { predicates: [labelSelector('pick=me')] })
      .owns(Secret)
      .reconcile((req) => {
        seen.push(req.key.name);
      });
    await mgr.start();
    const owner = await admin.create<KubeObject>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: ns, name: 'ignored' },
    });
    await admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: ns, name: 'picked', labels: { pick: 'me' } },
    });
    await admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        namespace: ns,
        name: 'child',
        ownerReferences: [
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'ignored', uid: owner.metadata.uid!, controller: true },
        ],
      },
    });
    await eventually(() => seen.includes('picked') && seen.includes('ignored'), { message: 'both reconciled' });
    await quiesce(mgr, cluster);
    assert.equal(seen.filter((n) => n === 'ignored').length, 1, 'only through the owned Secret');
    // owns() indexes the owned informer by owner UID: children are one lookup away.
    const children = await mgr.client.list(Secret, { index: { name: OWNER_INDEX, value: owner.metadata.uid! } });
    assert.deepEqual(
      children.map((c) => c.metadata.name),
      ['child'],
    );
  });
});
