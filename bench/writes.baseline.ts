/**
 * The baseline of `bench/writes.ts`: the two example controllers written the usual way with
 * @kubernetes/client-node 1.4: an informer per kind, and on every event get the object, modify
 * it, and replace (PUT) it, with no diffing, no predicates and no coalescing.
 */
import * as k8s from '@kubernetes/client-node';
import type { KubeObject } from '../src/index.js';

/** A running baseline controller. */
export interface Baseline {
  stop(): Promise<void>;
}

function kubeConfig(server: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'bench', server, skipTLSVerify: true }],
    users: [{ name: 'bench' }],
    contexts: [{ name: 'bench', cluster: 'bench', user: 'bench' }],
    currentContext: 'bench',
  });
  return kc;
}

function is404(err: unknown): boolean {
  return (err as { code?: number }).code === 404;
}

function base64(data: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v).toString('base64');
  return out;
}

/** Serialises handler work per object, as a careful hand-written controller would. */
function serial(): (key: string, fn: () => Promise<void>) => void {
  const chains = new Map<string, Promise<void>>();
  return (key, fn) => {
    const next = (chains.get(key) ?? Promise.resolve()).then(fn).catch(() => {});
    chains.set(key, next);
  };
}

/** The ConfigMap-to-Secret mirror, the usual way. */
export async function startMirrorBaseline(server: string): Promise<Baseline> {
  const kc = kubeConfig(server);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const run = serial();
  const informer = k8s.makeInformer(kc, '/api/v1/configmaps', () => core.listConfigMapForAllNamespaces());
  const handle = (cm: k8s.V1ConfigMap) => {
    if (cm.metadata?.labels?.mirror !== 'true') return;
    const targets = (cm.metadata.annotations?.['kloop.dev/mirror-to'] ?? '').split(',').filter(Boolean);
    run(`${cm.metadata.namespace}/${cm.metadata.name}`, async () => {
      for (const namespace of [cm.metadata!.namespace!, ...targets]) {
        const local = namespace === cm.metadata!.namespace;
        const name = local ? `${cm.metadata!.name}-mirror` : cm.metadata!.name!;
        const body: k8s.V1Secret = {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            namespace,
            name,
            labels: { 'kloop.dev/mirror-of': `${cm.metadata!.namespace}.${cm.metadata!.name}` },
            ownerReferences: local
              ? [
                  {
                    apiVersion: 'v1',
                    kind: 'ConfigMap',
                    name: cm.metadata!.name!,
                    uid: cm.metadata!.uid!,
                    controller: true,
                  },
                ]
              : undefined,
          },
          type: 'Opaque',
          data: base64(cm.data),
        };
        try {
          const current = await core.readNamespacedSecret({ name, namespace });
          body.metadata!.resourceVersion = current.metadata?.resourceVersion;
          await core.replaceNamespacedSecret({ name, namespace, body });
        } catch (err) {
          if (!is404(err)) throw err;
          await core.createNamespacedSecret({ namespace, body });
        }
      }
    });
  };
  informer.on('add', handle);
  informer.on('update', handle);
  let stopped = false;
  // client-node's informer stops for good on errors; the usual workaround restarts it on a timer.
  informer.on('error', () => {
    if (!stopped) setTimeout(() => !stopped && informer.start().catch(() => {}), 500).unref();
  });
  await informer.start();
  return {
    stop: async () => {
      stopped = true;
      await informer.stop();
    },
  };
}

interface Website extends KubeObject {
  spec: { image?: string; replicas?: number; port?: number };
  status?: Record<string, unknown>;
}

/** The Website controller, the usual way. */
export async function startWebsiteBaseline(server: string): Promise<Baseline> {
  const kc = kubeConfig(server);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const run = serial();
  const group = 'kloop.dev';
  const version = 'v1';
  const plural = 'websites';
  const informer = k8s.makeInformer<k8s.KubernetesObject>(
    kc,
    '/apis/kloop.dev/v1/websites',
    () =>
      custom.listClusterCustomObject({ group, version, plural }) as Promise<
        k8s.KubernetesListObject<k8s.KubernetesObject>
      >,
  );
  const handle = (obj: k8s.KubernetesObject) => {
    const site = obj as unknown as Website;
    const namespace = site.metadata.namespace!;
    const name = site.metadata.name!;
    run(`${namespace}/${name}`, async () => {
      const labels = { app: name };
      const ownerReferences = [
        { apiVersion: 'kloop.dev/v1', kind: 'Website', name, uid: site.metadata.uid!, controller: true },
      ];
      const deployment: k8s.V1Deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { namespace, name, labels, ownerReferences },
        spec: {
          replicas: site.spec.replicas ?? 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [{ name: 'web', image: site.spec.image, ports: [{ containerPort: site.spec.port ?? 80 }] }],
            },
          },
        },
      };
      let ready = 0;
      try {
        const current = await apps.readNamespacedDeployment({ name, namespace });
        deployment.metadata!.resourceVersion = current.metadata?.resourceVersion;
        ready =
          (await apps.replaceNamespacedDeployment({ name, namespace, body: deployment })).status?.readyReplicas ?? 0;
      } catch (err) {
        if (!is404(err)) throw err;
        await apps.createNamespacedDeployment({ namespace, body: deployment });
      }
      const service: k8s.V1Service = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { namespace, name, ownerReferences },
        spec: { selector: labels, ports: [{ port: site.spec.port ?? 80, targetPort: site.spec.port ?? 80 }] },
      };
      try {
        const current = await core.readNamespacedService({ name, namespace });
        service.metadata!.resourceVersion = current.metadata?.resourceVersion;
        await core.replaceNamespacedService({ name, namespace, body: service });
      } catch (err) {
        if (!is404(err)) throw err;
        await core.createNamespacedService({ namespace, body: service });
      }
      const fresh = (await custom.getNamespacedCustomObject({ group, version, namespace, plural, name })) as Website;
      const wanted = site.spec.replicas ?? 1;
      const previous = (fresh.status?.conditions as Array<Record<string, string>> | undefined)?.[0];
      const status = ready >= wanted ? 'True' : 'False';
      fresh.status = {
        observedGeneration: fresh.metadata.generation,
        readyReplicas: ready,
        url: `http://${name}.${namespace}.svc:${site.spec.port ?? 80}`,
        conditions: [
          {
            type: 'Ready',
            status,
            reason: ready >= wanted ? 'Available' : 'Progressing',
            message: `${ready}/${wanted} replicas ready`,
            observedGeneration: fresh.metadata.generation,
            lastTransitionTime:
              previous?.status === status
                ? previous.lastTransitionTime
                : new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        ],
      };
      await custom.replaceNamespacedCustomObjectStatus({ group, version, namespace, plural, name, body: fresh });
    });
  };
  informer.on('add', handle);
  informer.on('update', handle);
  let stopped = false;
  // client-node's informer stops for good on errors; the usual workaround restarts it on a timer.
  informer.on('error', () => {
    if (!stopped) setTimeout(() => !stopped && informer.start().catch(() => {}), 500).unref();
  });
  await informer.start();
  return {
    stop: async () => {
      stopped = true;
      await informer.stop();
    },
  };
}
