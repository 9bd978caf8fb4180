/**
 * Example: a `Website` custom resource that owns a Deployment and a Service and reports its
 * state in status conditions.
 *
 * ```yaml
 * apiVersion: kloop.dev/v1
 * kind: Website
 * metadata: { name: blog, namespace: default }
 * spec: { image: nginx:1.27, replicas: 2, port: 80 }
 * ```
 *
 * The reconciler server-side applies the Deployment and the Service it wants (`ctx.client.apply`
 * sends nothing when the cache already holds them), and writes status through `/status` only
 * when a condition really changes, keeping `lastTransitionTime` so that status writes never
 * re-trigger it (the classic hot loop). `generationChanged()` on the `for` source ignores the
 * Website's own status updates; `.owns(...)` brings Deployment changes (readiness) back.
 *
 * The resource itself is defined once in `website-resource.ts` (schema, validation, printer
 * columns); its CRD is generated from that definition (`Website.crd()`, or `kloop crd
 * examples/website-resource.ts`), and the emulator validates Websites against it, as a real API
 * server does.
 *
 * Run it: `node --import tsx examples/website.ts` (in-process emulator with its built-in
 * controllers, so the Deployment's Pods really turn Ready, unless `--kubeconfig FILE`).
 */
import { pathToFileURL } from 'node:url';
import {
  CustomResourceDefinition,
  type DeepReadonly,
  Deployment,
  generationChanged,
  KubeClient,
  Manager,
  type Reconciler,
  Service,
  setCondition,
  TerminalError,
} from 'kloop';
import { startApiServer } from 'kloop/apiserver';
import { Website, type WebsiteObject } from './website-resource.js';

export { Website, type WebsiteObject } from './website-resource.js';

/** Field manager of this controller's applies. */
export const FIELD_MANAGER = 'website-controller';

/** A Website as read from the cache. */
type Site = DeepReadonly<WebsiteObject>;

function owner(site: Site) {
  return [
    {
      apiVersion: Website.apiVersion,
      kind: Website.kind,
      name: site.metadata.name!,
      uid: site.metadata.uid!,
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
}

/** The Deployment a Website wants. */
export function desiredDeployment(site: Site): Deployment {
  const labels = { app: site.metadata.name! };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { namespace: site.metadata.namespace, name: site.metadata.name, labels, ownerReferences: owner(site) },
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
}

/** The Service a Website wants. */
export function desiredService(site: Site): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: site.metadata.namespace, name: site.metadata.name, ownerReferences: owner(site) },
    spec: {
      selector: { app: site.metadata.name! },
      ports: [{ port: site.spec.port ?? 80, targetPort: site.spec.port ?? 80 }],
    },
  };
}

/** The reconcile function of the Website controller. */
export const reconcileWebsite: Reconciler = async (req, ctx) => {
  const site = await ctx.client.get(Website, req.key); // a typed, readonly Website
  if (site === undefined || site.metadata.deletionTimestamp) return; // owned objects go with it (GC)
  if (!site.spec.image) {
    await ctx.client.mutateStatus(Website, req.key, (d) => {
      d.status = {
        ...d.status,
        observedGeneration: site.metadata.generation,
        conditions: setCondition(d.status?.conditions, {
          type: 'Ready',
          status: 'False',
          reason: 'InvalidSpec',
          message: 'spec.image is required',
          observedGeneration: site.metadata.generation,
        }),
      };
    });
    throw new TerminalError(new Error('spec.image is required'));
  }
  const { object: deployment } = await ctx.client.apply(desiredDeployment(site), {
    fieldManager: FIELD_MANAGER,
    force: true,
  });
  await ctx.client.apply(desiredService(site), { fieldManager: FIELD_MANAGER, force: true });
  const wanted = site.spec.replicas ?? 1;
  const ready = deployment?.status?.readyReplicas ?? 0;
  await ctx.client.mutateStatus(Website, req.key, (d) => {
    d.status = {
      ...d.status,
      observedGeneration: site.metadata.generation,
      readyReplicas: ready,
      url: `http://${site.metadata.name}.${site.metadata.namespace}.svc:${site.spec.port ?? 80}`,
      conditions: setCondition(
        d.status?.conditions,
        ready >= wanted
          ? {
              type: 'Ready',
              status: 'True',
              reason: 'Available',
              message: `${ready}/${wanted} replicas ready`,
              observedGeneration: site.metadata.generation,
            }
          : {
              type: 'Ready',
              status: 'False',
              reason: 'Progressing',
              message: `${ready}/${wanted} replicas ready`,
              observedGeneration: site.metadata.generation,
            },
      ),
    };
  });
};

/**
 * Registers the Website controller on a manager. The Website CRD must exist (see
 * {@link installWebsiteCrd}).
 */
export function websiteController(mgr: Manager, options: { concurrency?: number } = {}) {
  return mgr
    .controller('website')
    .for(Website, { predicates: [generationChanged()] })
    .owns(Deployment)
    .owns(Service)
    .concurrency(options.concurrency ?? 2)
    .reconcile(reconcileWebsite);
}

/** Creates the CRD (generated from the definition) unless present and waits until the API serves Websites. */
export async function installWebsiteCrd(mgr: Manager): Promise<void> {
  try {
    // Installing its CRD is the operator's own write: through its client, fenced like the others.
    await mgr.client.create(CustomResourceDefinition, Website.crd());
  } catch (err) {
    if ((err as { reason?: string }).reason !== 'AlreadyExists') throw err;
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await mgr.kube.list(Website, { namespace: 'default', limit: 1 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Runs the example: against `--kubeconfig FILE`, or an in-process emulator with a sample Website. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const flag = argv.indexOf('--kubeconfig');
  // The built-in controllers turn the Deployment's Pods Ready, as a real cluster would.
  const server = flag < 0 ? await startApiServer({ controllers: true }) : undefined;
  const mgr = new Manager({ kubeconfig: flag < 0 ? server!.kubeconfig : argv[flag + 1] });
  await installWebsiteCrd(mgr);
  websiteController(mgr);
  await mgr.start();
  // Sample data comes from a user's client, as from kubectl: the operator only reconciles it.
  const user = server ? KubeClient.fromKubeconfig(server.kubeconfig) : undefined;
  try {
    if (user) {
      await user.create({
        ...Website,
        metadata: { namespace: 'default', name: 'blog' },
        spec: { image: 'nginx:1.27', replicas: 2, port: 80 },
      });
      const deadline = Date.now() + 10_000;
      let site: WebsiteObject | undefined;
      while (Date.now() < deadline) {
        site = await mgr.kube.get(Website, { namespace: 'default', name: 'blog' });
        if (site.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const ready = site?.status?.conditions?.find((c) => c.type === 'Ready');
      console.log(`website default/blog: Ready=${ready?.status} (${ready?.reason}: ${ready?.message})`);
    } else {
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    user?.close();
    await mgr.stop();
    await server?.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
