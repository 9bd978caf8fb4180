/**
 * The demo's scripted workload: what a cluster does to an operator in a few seconds. Creates
 * (mirrored ConfigMaps, Websites, Services with Pods), updates that matter (data, replicas, a pod
 * turning ready) and updates that do not (an unrelated annotation, a label under a
 * generation-changed predicate), a forced watch drop and a 410 (history compacted, then watches
 * cut, so every informer must relist), and deletes. After each step it waits until the cluster
 * shows the desired state, so the summary counts a converged run.
 */
import type { ApiServer } from '../apiserver/index.js';
import type { KubeClient } from '../client/index.js';
import { ApiError, ConfigMap, Deployment, type KubeObject, Namespace, Pod, Secret, Service } from '../core/index.js';
import type { DemoExamples, WebsiteLike } from './demo-examples.js';
import { HEARTBEAT_LABEL } from './demo-extras.js';

/** The emulator's annotation scripting what its simulated kubelet does with a Pod. */
const OUTCOME = 'kloop.dev/outcome';

/** The demo's namespaces: the sources live in the first, mirrors go to the other two. */
export const DEMO_NAMESPACES = ['kloop-demo', 'kloop-demo-a', 'kloop-demo-b'] as const;
const NS = DEMO_NAMESPACES[0];

/** How the workload reports and waits. */
export interface WorkloadContext {
  kube: KubeClient;
  /** The in-process emulator (faults); undefined against a real cluster. */
  server?: ApiServer;
  progress: (line: string) => void;
  /** Per-step convergence deadline, ms. */
  timeoutMs: number;
  /** Multiplies the objects per kind (default 1: 8 ConfigMaps, 3 Websites, 2 Services). */
  scale?: number;
  /** The examples' constants (labels, the Website type). */
  examples: DemoExamples;
  /**
   * Whether kloop has flagged the heartbeat controller's hot loop; with it, the workload creates
   * the heartbeat ConfigMap, waits for the flag, then deletes it (which ends the loop).
   */
  hotLoopFound?: () => Promise<boolean>;
}

type Data = KubeObject & { data?: Record<string, string> };

async function until(ctx: WorkloadContext, what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ctx.timeoutMs;
  for (;;) {
    let ok = false;
    try {
      ok = await check();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`demo: timed out after ${ctx.timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function ignoreExists(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!ApiError.isAlreadyExists(err)) throw err;
  }
}

async function secretsMirroring(kube: KubeClient, mirrorOf: string, name: string): Promise<Data[]> {
  const all = (await kube.list<Data>(Secret, { labelSelector: mirrorOf })).items;
  return all.filter((s) => s.metadata.labels?.[mirrorOf] === `${NS}.${name}`);
}

function b64(text: string): string {
  return Buffer.from(text).toString('base64');
}

/** Runs every step; throws when the cluster does not converge in time. */
export async function runWorkload(ctx: WorkloadContext): Promise<void> {
  const { kube, progress } = ctx;
  const { MIRROR_LABEL, MIRROR_OF, MIRROR_TO } = ctx.examples.mirror;
  const { ENDPOINTS_OF } = ctx.examples.endpoints;
  const { Website } = ctx.examples.website;
  const n = Math.max(1, ctx.scale ?? 1);
  const configMaps = Array.from({ length: 8 * n }, (_, i) => `settings-${i}`);
  const sites = Array.from({ length: 3 * n }, (_, i) => `site-${i}`);
  const services = Array.from({ length: 2 * n }, (_, i) => `svc-${i}`);

  progress('creating namespaces, ConfigMaps to mirror, Websites, Services and Pods');
  for (const name of DEMO_NAMESPACES) await ignoreExists(kube.create({ ...Namespace, metadata: { name } }));
  for (const name of configMaps) {
    await ignoreExists(
      kube.create({
        ...ConfigMap,
        metadata: {
          namespace: NS,
          name,
          labels: { [MIRROR_LABEL]: 'true' },
          annotations: { [MIRROR_TO]: DEMO_NAMESPACES.slice(1).join(',') },
        },
        data: { color: 'blue', size: 'm' },
      }),
    );
  }
  for (const name of sites) {
    await ignoreExists(
      kube.create({
        ...Website,
        metadata: { namespace: NS, name },
        spec: { image: 'nginx:1.27', replicas: 2, port: 80 },
      }),
    );
  }
  for (const [i, name] of services.entries()) {
    await ignoreExists(
      kube.create({
        ...Service,
        metadata: { namespace: NS, name },
        spec: { selector: { app: name }, ports: [{ port: 80 }] },
      }),
    );
    for (const p of [0, 1]) {
      // The cluster runs these Pods (the emulator's simulated kubelet, or a real one): the second
      // one of the first Service is held not ready (the emulator's scripted outcome; a real
      // cluster ignores the annotation) until the step that lets it turn ready.
      const held = i === 0 && p === 1;
      await ignoreExists(
        kube.create({
          ...Pod,
          metadata: {
            namespace: NS,
            name: `${name}-pod-${p}`,
            labels: { app: name },
            ...(held ? { annotations: { [OUTCOME]: 'never-ready' } } : {}),
          },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
        }),
      );
    }
  }
  await until(ctx, 'every ConfigMap mirrored three times', async () => {
    const all = (await kube.list<Data>(Secret, { labelSelector: MIRROR_OF })).items;
    return all.filter((s) => s.metadata.labels?.[MIRROR_OF]?.startsWith(`${NS}.`)).length === configMaps.length * 3;
  });
  await until(ctx, 'every Website to have its Deployment and Service', async () => {
    const deployments = (await kube.list(Deployment, { namespace: NS })).items.map((d) => d.metadata.name);
    return sites.every((s) => deployments.includes(s));
  });
  progress(`converged: ${configMaps.length * 3} mirrored Secrets, ${sites.length} Deployments`);
  // Nobody writes a Pod status: the cluster runs the Deployments' Pods and the Websites see it.
  await until(ctx, 'every Website to report Ready=True', async () => {
    const list = (
      await kube.list<WebsiteLike & { status?: { conditions?: { type: string; status: string }[] } }>(Website, {
        namespace: NS,
      })
    ).items;
    const ready = list.filter((w) => w.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return sites.every((name) => ready.some((w) => w.metadata.name === name));
  });
  progress(`${sites.length} Websites Ready: their Pods run on the cluster, no status written by hand`);

  progress('updates that matter: ConfigMap data, Website replicas');
  for (const name of configMaps.slice(0, Math.ceil(configMaps.length / 2))) {
    await kube.patch(
      { type: ConfigMap, key: { namespace: NS, name } },
      { data: { color: 'green' } },
      { type: 'merge' },
    );
  }
  await kube.patch(
    { type: Website, key: { namespace: NS, name: sites[0]! } },
    { spec: { replicas: 3 } },
    { type: 'merge' },
  );
  await until(ctx, 'the mirrors to carry the new data', async () => {
    const copies = await secretsMirroring(kube, MIRROR_OF, configMaps[0]!);
    return copies.length === 3 && copies.every((s) => s.data?.color === b64('green'));
  });
  await until(ctx, `${sites[0]} to scale to 3`, async () => {
    const d = await kube.get<KubeObject & { spec?: { replicas?: number } }>(Deployment, {
      namespace: NS,
      name: sites[0]!,
    });
    return d.spec?.replicas === 3;
  });

  progress('updates that do not matter: an unrelated annotation, a Website label (filtered by generationChanged)');
  for (const name of configMaps) {
    await kube.patch(
      { type: ConfigMap, key: { namespace: NS, name } },
      { metadata: { annotations: { 'demo/touched': 'yes' } } },
      { type: 'merge' },
    );
  }
  for (const name of sites) {
    await kube.patch(
      { type: Website, key: { namespace: NS, name } },
      { metadata: { labels: { tier: 'frontend' } } },
      { type: 'merge' },
    );
  }
  await new Promise((r) => setTimeout(r, 200));

  if (ctx.server) {
    progress('forcing a watch drop: every open watch is cut, informers resume from their resourceVersion');
    const dropped = ctx.server.faults.dropWatches();
    progress(`  ${dropped.dropped} watches dropped`);
    await kube.patch(
      { type: ConfigMap, key: { namespace: NS, name: configMaps[1]! } },
      { data: { color: 'red' } },
      { type: 'merge' },
    );
    await until(ctx, 'the change made across the drop to be mirrored', async () => {
      const copies = await secretsMirroring(kube, MIRROR_OF, configMaps[1]!);
      return copies.length === 3 && copies.every((s) => s.data?.color === b64('red'));
    });
    progress('forcing a 410: history compacted, watches cut; resumes get 410 Gone and informers relist');
    await kube.patch(
      { type: ConfigMap, key: { namespace: NS, name: configMaps[2]! } },
      { data: { color: 'purple' } },
      { type: 'merge' },
    );
    ctx.server.faults.compact();
    ctx.server.faults.dropWatches();
    await kube.patch(
      { type: ConfigMap, key: { namespace: NS, name: configMaps[2]! } },
      { data: { color: 'orange' } },
      { type: 'merge' },
    );
    await until(ctx, 'the change made across the 410 to be mirrored', async () => {
      const copies = await secretsMirroring(kube, MIRROR_OF, configMaps[2]!);
      return copies.length === 3 && copies.every((s) => s.data?.color === b64('orange'));
    });
  } else {
    progress('skipping the forced watch drop and 410 (they need the in-process emulator)');
  }

  progress('a pod turns ready: its Service endpoints follow through the collection');
  const svc = services[0]!;
  const podIps = async () =>
    await Promise.all(
      [0, 1].map(async (p) => {
        const pod = await kube.get<KubeObject & { status?: { podIP?: string } }>(Pod, {
          namespace: NS,
          name: `${svc}-pod-${p}`,
        });
        return pod.status?.podIP ?? '';
      }),
    );
  await until(ctx, `the pods of ${svc} to run with IPs`, async () => !(await podIps()).includes(''));
  await kube.patch(
    { type: Pod, key: { namespace: NS, name: `${svc}-pod-1` } },
    { metadata: { annotations: { [OUTCOME]: 'ready' } } },
    { type: 'merge' },
  );
  await until(ctx, `${svc}-endpoints to list both pods`, async () => {
    const ips = await podIps();
    if (ips.includes('')) return false;
    const cm = await kube.get<Data>(ConfigMap, { namespace: NS, name: `${svc}-endpoints` });
    return cm.data?.ips === ips.join(',') && cm.metadata.labels?.[ENDPOINTS_OF] === svc;
  });

  const found = ctx.hotLoopFound;
  if (found) {
    progress('a controller with a bug counts its passes in an annotation: each write sets it off again');
    await ignoreExists(
      kube.create({
        ...ConfigMap,
        metadata: { namespace: NS, name: 'heartbeat', labels: { [HEARTBEAT_LABEL]: 'true' } },
      }),
    );
    await until(ctx, 'kloop to flag the hot loop', found);
    await kube.delete(ConfigMap, { namespace: NS, name: 'heartbeat' });
    progress('  kloop flagged the hot loop (kloop_hot_loops_total, the dashboard); the demo deleted its object');
  }

  progress('deletes: two ConfigMaps (their mirrors are cleaned up) and a Website (GC removes its children)');
  for (const name of configMaps.slice(-2)) await kube.delete(ConfigMap, { namespace: NS, name });
  await kube.delete(Website, { namespace: NS, name: sites[sites.length - 1]! });
  await until(ctx, 'the deleted ConfigMaps to lose their mirrors', async () => {
    for (const name of configMaps.slice(-2))
      if ((await secretsMirroring(kube, MIRROR_OF, name)).length > 0) return false;
    return true;
  });
  await until(ctx, 'the deleted Website to be gone', async () => {
    const left = (await kube.list<WebsiteLike>(Website, { namespace: NS })).items.map((s) => s.metadata.name);
    return !left.includes(sites[sites.length - 1]);
  });
  progress('converged after deletes');
}
