/**
 * Example: mirror ConfigMaps into Secrets across namespaces.
 *
 * A ConfigMap labelled `mirror=true` with the annotation `kloop.dev/mirror-to: "team-a,team-b"`
 * is copied into a Secret of the same name in each listed namespace, and into a Secret
 * `<name>-mirror` beside it. The local copy carries an owner reference (the garbage collector
 * removes it with the ConfigMap, and `.owns(Secret)` brings its changes back to the owner). Owner
 * references cannot cross namespaces, so the remote copies are cleaned up by a finalizer, and
 * `.watches(Secret, ...)` maps them back through a label so edits and deletes are repaired.
 *
 * Writes go through `ctx.client`: nothing is sent when a copy is already right, and a change
 * sends a merge patch of just what changed.
 *
 * Run it: `node --import tsx examples/configmap-mirror.ts` (starts an in-process emulator when
 * no `--kubeconfig FILE` is given).
 */
import { pathToFileURL } from 'node:url';
import {
  ConfigMap,
  KubeClient,
  type KubeObject,
  labelSelector,
  Manager,
  Namespace,
  type ObjectKey,
  type Reconciler,
  Secret,
} from 'kloop';
import { startApiServer } from 'kloop/apiserver';

/** The label that opts a ConfigMap in. */
export const MIRROR_LABEL = 'mirror';
/** Comma-separated target namespaces. */
export const MIRROR_TO = 'kloop.dev/mirror-to';
/** On each copy: `<namespace>.<name>` of the source ConfigMap. */
export const MIRROR_OF = 'kloop.dev/mirror-of';
/** Holds the ConfigMap until its remote copies are gone. */
export const FINALIZER = 'kloop.dev/mirror-cleanup';

interface ConfigMapObject extends KubeObject {
  data?: Record<string, string>;
}

interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

function base64(data: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v).toString('base64');
  return out;
}

function targets(cm: ConfigMapObject): string[] {
  const list = cm.metadata.annotations?.[MIRROR_TO] ?? '';
  return [
    ...new Set(
      list
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s && s !== cm.metadata.namespace),
    ),
  ].sort();
}

/** The Secret a ConfigMap should have in `namespace` (the local copy when it is the source's). */
function desiredSecret(cm: ConfigMapObject, namespace: string): SecretObject {
  const local = namespace === cm.metadata.namespace;
  const metadata: KubeObject['metadata'] = {
    namespace,
    name: local ? `${cm.metadata.name}-mirror` : cm.metadata.name,
    labels: { [MIRROR_OF]: `${cm.metadata.namespace}.${cm.metadata.name}` },
  };
  if (local) {
    metadata.ownerReferences = [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: cm.metadata.name!,
        uid: cm.metadata.uid!,
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  }
  return { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', data: base64(cm.data) };
}

/** The reconcile function of the mirror controller. */
export const reconcileMirror: Reconciler = async (req, ctx) => {
  const cm = await ctx.client.get<ConfigMapObject>(ConfigMap, req.key);
  const source = `${req.key.namespace}.${req.key.name}`;
  const copies = (await ctx.client.list<SecretObject>(Secret, { labelSelector: `${MIRROR_OF}=${source}` })).filter(
    (s) => s.metadata.namespace !== req.key.namespace,
  );
  const active = cm !== undefined && !cm.metadata.deletionTimestamp && cm.metadata.labels?.[MIRROR_LABEL] === 'true';
  if (!active) {
    // Deleting, or no longer opted in: remove the remote copies, then let the ConfigMap go.
    for (const s of copies)
      await ctx.client.delete(Secret, { namespace: s.metadata.namespace, name: s.metadata.name! });
    if (cm?.metadata.finalizers?.includes(FINALIZER)) await ctx.client.removeFinalizer(cm, FINALIZER);
    return;
  }
  await ctx.client.ensureFinalizer(cm, FINALIZER);
  const wanted = targets(cm);
  for (const namespace of [cm.metadata.namespace!, ...wanted]) {
    const desired = desiredSecret(cm, namespace);
    const key: ObjectKey = { namespace, name: desired.metadata.name! };
    const current = await ctx.client.get<SecretObject>(Secret, key);
    if (current === undefined) {
      if ((await ctx.client.get(Namespace, { name: namespace })) === undefined) continue;
      await ctx.client.create(Secret, desired);
      continue;
    }
    // Keep what others added; make ours right. `patch` sends nothing when nothing differs.
    const next: SecretObject = {
      ...current,
      type: desired.type,
      data: desired.data,
      metadata: {
        ...current.metadata,
        labels: { ...current.metadata.labels, ...desired.metadata.labels },
        ownerReferences: desired.metadata.ownerReferences ?? current.metadata.ownerReferences,
      },
    };
    await ctx.client.patch(current, next);
  }
  // Copies in namespaces no longer listed.
  for (const s of copies) {
    if (!wanted.includes(s.metadata.namespace!)) {
      await ctx.client.delete(Secret, { namespace: s.metadata.namespace, name: s.metadata.name! });
    }
  }
};

/**
 * Registers the mirror controller on a manager.
 *
 * @example
 * ```ts
 * const mgr = new Manager({ kubeconfig });
 * mirrorController(mgr);
 * await mgr.start();
 * ```
 */
export function mirrorController(mgr: Manager, options: { concurrency?: number } = {}) {
  return mgr
    .controller('configmap-mirror')
    .for(ConfigMap, { predicates: [labelSelector(`${MIRROR_LABEL}=true`)] })
    .owns(Secret)
    .watches(
      Secret,
      (secret) => {
        const of = secret.metadata.labels?.[MIRROR_OF];
        const dot = of?.indexOf('.') ?? -1;
        return of && dot > 0 ? { namespace: of.slice(0, dot), name: of.slice(dot + 1) } : undefined;
      },
      { predicates: [labelSelector(MIRROR_OF)] },
    )
    .concurrency(options.concurrency ?? 2)
    .reconcile(reconcileMirror);
}

/** Runs the example: against `--kubeconfig FILE`, or an in-process emulator with sample data. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const flag = argv.indexOf('--kubeconfig');
  const server = flag < 0 ? await startApiServer() : undefined;
  const mgr = new Manager({ kubeconfig: flag < 0 ? server!.kubeconfig : argv[flag + 1] });
  mirrorController(mgr);
  await mgr.start();
  // Sample data comes from a user's client, as from kubectl: the operator only reconciles it.
  const user = server ? KubeClient.fromKubeconfig(server.kubeconfig) : undefined;
  try {
    if (user) {
      for (const name of ['team-a', 'team-b'])
        await user.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      await user.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          namespace: 'default',
          name: 'settings',
          labels: { mirror: 'true' },
          annotations: { [MIRROR_TO]: 'team-a,team-b' },
        },
        data: { color: 'blue' },
      });
      const deadline = Date.now() + 10_000;
      let secrets: KubeObject[] = [];
      while (Date.now() < deadline) {
        secrets = (await mgr.kube.list(Secret, { labelSelector: MIRROR_OF })).items;
        if (secrets.length === 3) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      console.log(`mirrored into: ${secrets.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).join(', ')}`);
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
