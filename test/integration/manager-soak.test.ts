import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { MIRROR_LABEL, MIRROR_OF, MIRROR_TO, reconcileMirror } from '../../examples/configmap-mirror.js';
import { installWebsiteCrd, Website, websiteController } from '../../examples/website.js';
import { startApiServer } from '../../src/apiserver/index.js';
import { KubeClient } from '../../src/client/index.js';
import { labelSelector, type Reconciler } from '../../src/controller/index.js';
import { ConfigMap, Deployment, type KubeObject, Secret } from '../../src/core/index.js';
import { Manager } from '../../src/manager/index.js';
import { eventually } from '../support/index.js';

type Data = KubeObject & { data?: Record<string, string>; spec?: { replicas?: number } };

/** Retries an admin call through the injected faults (the admin is not under test). */
async function retrying<T>(call: () => Promise<T>): Promise<T | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const status = (err as { status?: { code?: number; reason?: string } }).status;
      if (status?.code === 404) return undefined;
      if (status?.reason === 'AlreadyExists' && attempt > 0) return undefined; // an earlier attempt went through
      if (attempt > 50) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

test('soak under faults: the examples converge, nothing is lost, no key is reconciled twice at once', async () => {
  const server = await startApiServer();
  const admin = KubeClient.fromKubeconfig(server.kubeconfig, { logger: pino({ level: 'silent' }) });
  const mgr = new Manager({ kubeconfig: server.kubeconfig, logger: pino({ level: 'silent' }), drainTimeoutMs: 2_000 });
  const running = new Set<string>();
  const overlaps: string[] = [];
  const guarded: Reconciler = async (req, ctx) => {
    const key = `${req.key.namespace}/${req.key.name}`;
    if (running.has(key)) overlaps.push(key);
    running.add(key);
    try {
      return await reconcileMirror(req, ctx);
    } finally {
      running.delete(key);
    }
  };
  const timers: NodeJS.Timeout[] = [];
  try {
    for (const name of ['soak', 'soak-a', 'soak-b'])
      await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await installWebsiteCrd(mgr);
    mgr
      .controller('configmap-mirror')
      .for(ConfigMap, { predicates: [labelSelector(`${MIRROR_LABEL}=true`)] })
      .owns(Secret)
      .watches(
        Secret,
        (s) => {
          const of = s.metadata.labels?.[MIRROR_OF];
          const dot = of?.indexOf('.') ?? -1;
          return of && dot > 0 ? { namespace: of.slice(0, dot), name: of.slice(dot + 1) } : undefined;
        },
        { predicates: [labelSelector(MIRROR_OF)] },
      )
      .concurrency(4)
      .reconcile(guarded);
    websiteController(mgr);
    await mgr.start();

    // Faults: 10% 500s and 10% 429s everywhere, 20% conflicts on writes, watch drops and 410s.
    server.faults.errors({ rate: 0.1, code: 500 });
    server.faults.errors({ rate: 0.1, code: 429, retryAfterSeconds: 0 });
    // The first writes always conflict, so the soak never passes without a 409 by chance.
    server.faults.conflicts({ count: 3 });
    server.faults.conflicts({ rate: 0.2 });
    timers.push(setInterval(() => server.faults.dropWatches(), 400));
    timers.push(
      setInterval(() => {
        server.faults.compact();
        server.faults.dropWatches();
      }, 1_100),
    );

    const desired = new Map<string, string>(); // ConfigMap name -> color; absent = deleted
    const sites = new Map<string, number>();
    const colors = ['red', 'green', 'blue', 'teal'];
    const endAt = Date.now() + 4_000;
    for (let i = 0; Date.now() < endAt; i++) {
      const name = `cm-${i % 25}`;
      const color = colors[i % colors.length]!;
      if (!desired.has(name)) {
        const created = await retrying(() =>
          admin.create({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: {
              namespace: 'soak',
              name,
              labels: { [MIRROR_LABEL]: 'true' },
              annotations: { [MIRROR_TO]: 'soak-a,soak-b' },
            },
            data: { color },
          }),
        );
        if (
          created !== undefined ||
          (await retrying(() => admin.get(ConfigMap, { namespace: 'soak', name }))) !== undefined
        )
          desired.set(name, color);
      } else if (i % 7 === 0) {
        await retrying(() => admin.delete(ConfigMap, { namespace: 'soak', name }));
        desired.delete(name);
        // Wait until it is really gone (the finalizer), so a re-create is a new object.
        await eventually(
          async () => (await retrying(() => admin.get(ConfigMap, { namespace: 'soak', name }))) === undefined,
          { message: `${name} gone`, timeout: 20_000 },
        );
      } else {
        await retrying(() =>
          admin.patch({ type: ConfigMap, key: { namespace: 'soak', name } }, { data: { color } }, { type: 'merge' }),
        );
        desired.set(name, color);
      }
      if (i % 10 === 0) {
        const site = `site-${(i / 10) % 4}`;
        const replicas = 1 + (i % 3);
        if (sites.has(site)) {
          await retrying(() =>
            admin.patch(
              { type: Website, key: { namespace: 'soak', name: site } },
              { spec: { replicas } },
              { type: 'merge' },
            ),
          );
        } else {
          await retrying(() =>
            admin.create({
              ...Website,
              metadata: { namespace: 'soak', name: site },
              spec: { image: 'nginx:1.27', replicas, port: 80 },
            }),
          );
        }
        sites.set(site, replicas);
      }
    }
    for (const t of timers.splice(0)) clearInterval(t);
    server.faults.clear();

    let mismatch = '';
    await eventually(
      async () => {
        const secrets = (await admin.list<Data>(Secret, { labelSelector: MIRROR_OF })).items;
        const cms = (await admin.list<Data>(ConfigMap, { namespace: 'soak' })).items;
        mismatch = `configmaps ${cms.map((c) => c.metadata.name).sort()} want ${[...desired.keys()].sort()}`;
        if (cms.length !== desired.size) return false;
        for (const [name, color] of desired) {
          const copies = secrets.filter((s) => s.metadata.labels?.[MIRROR_OF] === `soak.${name}`);
          mismatch = `${name}: ${copies.length} copies, colors ${copies.map((s) => s.data?.color)} want ${color}`;
          if (copies.length !== 3 || copies.some((s) => s.data?.color !== Buffer.from(color).toString('base64')))
            return false;
        }
        mismatch = 'stale copies';
        return secrets.every((s) => desired.has(s.metadata.labels![MIRROR_OF]!.slice('soak.'.length)));
      },
      { message: 'the mirrors to converge', timeout: 30_000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${mismatch}`);
    });
    await eventually(
      async () => {
        for (const [site, replicas] of sites) {
          const d = await admin.get<Data>(Deployment, { namespace: 'soak', name: site }).catch(() => undefined);
          if (d?.spec?.replicas !== replicas) return false;
        }
        return true;
      },
      { message: 'the Websites to converge', timeout: 30_000 },
    );
    assert.ok(desired.size > 0);
    assert.deepEqual(overlaps, []);
    // The faults did hit: a soak that converged without them would prove nothing.
    const stats = server.stats();
    for (const code of [500, 429, 409])
      assert.ok(stats.count({ code }) > 0, `the server answered ${code} at least once`);
    const total = async (name: string, reason?: string) =>
      ((await mgr.registry.getSingleMetric(name)?.get())?.values ?? [])
        .filter((v) => reason === undefined || v.labels.reason === reason)
        .reduce((n, v) => n + v.value, 0);
    assert.ok((await total('kloop_informer_watch_restarts_total')) > 0, 'watches were dropped and restarted');
    // A 410 comes as an ERROR event inside a 200 watch stream: the informers' relists show it.
    assert.ok((await total('kloop_informer_relists_total', 'expired')) > 0, 'a 410 forced a relist');
  } finally {
    for (const t of timers) clearInterval(t);
    await mgr.stop();
    admin.close();
    await server.stop();
  }
});
