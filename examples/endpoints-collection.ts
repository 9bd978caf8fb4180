/**
 * Example: an endpoints-like collection from Services and Pods, and a controller that writes one
 * ConfigMap per Service with the IPs of its ready pods.
 *
 * The collection half is a single transform per Service: `ctx.fetch(pods, { namespace,
 * labelSelector })`. kloop records that fetch, so when a pod changes only the Services whose
 * selector matched it before or after are recomputed, and a recompute whose result is unchanged
 * emits nothing (a pod's resourceVersion bump without a readiness or IP change wakes no
 * controller). The controller half watches the collection (`asEventSource`) and writes through
 * `ctx.client`, which sends nothing when the ConfigMap is already right.
 *
 * Run it: `node --import tsx examples/endpoints-collection.ts` (starts an in-process emulator
 * when no `--kubeconfig FILE` is given).
 */
import { pathToFileURL } from 'node:url';
import { ConfigMap, type DeepReadonly, KubeClient, type KubeObject, Manager, Pod, Service } from 'kloop';
import { startApiServer } from 'kloop/apiserver';
import { asEventSource, type Collection, CollectionRegistry, derive, fromInformer } from 'kloop/collections';

/** Label on each ConfigMap written: the Service it describes. */
export const ENDPOINTS_OF = 'kloop.dev/endpoints-of';

/** One Service's ready pod IPs: the derived item (keyed like the Service, by its metadata). */
export interface ServiceEndpoints extends KubeObject {
  metadata: { namespace: string; name: string; uid?: string };
  /** Sorted by pod name, so a resync in another order is not a change. */
  ips: string[];
}

function ready(pod: DeepReadonly<Pod>): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Builds the collections: pods and services from the manager's shared informers, and the
 * endpoints derived from them.
 */
export function endpointsCollection(
  mgr: Manager,
  registry: CollectionRegistry = new CollectionRegistry(),
): {
  pods: Collection<DeepReadonly<Pod>>;
  services: Collection<DeepReadonly<Service>>;
  endpoints: Collection<ServiceEndpoints>;
  registry: CollectionRegistry;
} {
  // Typed by their constants: pods are `Pod` objects (deep readonly, as the cache shares them).
  const pods = fromInformer(mgr.informer(Pod), { registry });
  const services = fromInformer(mgr.informer(Service), { registry });
  const endpoints = derive(
    'endpoints',
    services,
    (ctx, svc): ServiceEndpoints => {
      const namespace = svc.metadata.namespace ?? 'default';
      // A Service without selector selects no pods (its endpoints are managed by hand).
      const selected = ctx.fetch(pods, { namespace, labelSelector: svc.spec?.selector, where: ready });
      return {
        metadata: { namespace, name: svc.metadata.name!, uid: svc.metadata.uid },
        ips: selected.map((p) => p.status?.podIP).filter((ip): ip is string => typeof ip === 'string' && ip !== ''),
      };
    },
    { registry },
  );
  return { pods, services, endpoints, registry };
}

/** Registers the controller writing `<service>-endpoints` ConfigMaps. */
export function endpointsController(mgr: Manager, endpoints: Collection<ServiceEndpoints>) {
  return (
    mgr
      .controller('endpoints-configmaps')
      // Requests are Service keys; a Service change reaches us through the collection anyway.
      .for(Service)
      .watches(asEventSource(endpoints), (ep) => ({ namespace: ep.metadata.namespace, name: ep.metadata.name }))
      .watches(ConfigMap, (cm) => {
        const of = cm.metadata.labels?.[ENDPOINTS_OF];
        return of ? { namespace: cm.metadata.namespace, name: of } : undefined;
      })
      .reconcile(async (req, ctx) => {
        const ep = endpoints.get(req.key);
        const key = { namespace: req.key.namespace, name: `${req.key.name}-endpoints` };
        const current = await ctx.client.get(ConfigMap, key);
        if (ep === undefined) {
          if (current?.metadata.labels?.[ENDPOINTS_OF] === req.key.name) await ctx.client.delete(ConfigMap, key);
          return;
        }
        const metadata: KubeObject['metadata'] = {
          ...(current?.metadata ?? key),
          labels: { ...current?.metadata.labels, [ENDPOINTS_OF]: req.key.name },
        };
        if (ep.metadata.uid) {
          metadata.ownerReferences = [
            { apiVersion: 'v1', kind: 'Service', name: req.key.name, uid: ep.metadata.uid, controller: true },
          ];
        }
        const desired: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { ips: ep.ips.join(',') } };
        if (current === undefined) await ctx.client.create(ConfigMap, desired);
        else await ctx.client.patch(current, { ...current, ...desired });
      })
  );
}

/** Runs the example: against `--kubeconfig FILE`, or an in-process emulator with sample data. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const flag = argv.indexOf('--kubeconfig');
  const server = flag < 0 ? await startApiServer() : undefined;
  const mgr = new Manager({ kubeconfig: flag < 0 ? server!.kubeconfig : argv[flag + 1] });
  const { endpoints, registry } = endpointsCollection(mgr);
  // Sample data comes from a user's client, as from kubectl: the operator only reconciles it.
  const user = server ? KubeClient.fromKubeconfig(server.kubeconfig) : undefined;
  try {
    endpointsController(mgr, endpoints);
    await mgr.start();
    if (user) {
      await user.create({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { namespace: 'default', name: 'web' },
        spec: { selector: { app: 'web' } },
      });
      for (const [i, ip] of ['10.0.0.1', '10.0.0.2'].entries()) {
        await user.create({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { namespace: 'default', name: `web-${i}`, labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
          status: { podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
        });
      }
      const deadline = Date.now() + 10_000;
      let ips = '';
      while (Date.now() < deadline && ips !== '10.0.0.1,10.0.0.2') {
        await new Promise((r) => setTimeout(r, 20));
        ips =
          (
            (await mgr.kube.get(ConfigMap, { namespace: 'default', name: 'web-endpoints' }).catch(() => undefined)) as
              | { data?: { ips?: string } }
              | undefined
          )?.data?.ips ?? '';
      }
      console.log(`default/web-endpoints: ${ips}`);
    } else {
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    user?.close();
    await mgr.stop();
    registry.close();
    await server?.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
