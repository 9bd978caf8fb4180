/**
 * `kloop manifests MODULE`: everything that deploys an operator, derived from its code. MODULE
 * exports its resources (`defineResource`), a `setup(mgr)` function (or a default export) that
 * declares its controllers on a Manager, and optionally `managerOptions`, the options its
 * `main` gives the Manager. The command builds that Manager without connecting to a cluster,
 * derives the RBAC (`mgr.rbacRules()`), and writes a kustomize tree that `kubectl apply -k`
 * takes:
 *
 * ```
 * config/kustomization.yaml       crd, rbac, manager
 * config/crd/                     one CRD per resource
 * config/rbac/                    ServiceAccount, ClusterRole/Roles + bindings, leader-election Role,
 *                                 metrics-reader ClusterRole (authenticated /metrics)
 * config/manager/                 Namespaces, Deployment, metrics Service
 * ```
 *
 * Every namespace an object is written into gets its Namespace, so the tree applies to a fresh
 * cluster: the operator's own, and those its Roles go into (the namespaces its caches are scoped
 * to, the Lease's); those every cluster has (`default`, `kube-system`, ...) are left out.
 * `--no-watched-namespaces` leaves out all but the operator's own, for namespaces that belong to
 * someone else (`kubectl delete -k` would delete a written Namespace with everything in it).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import { KubeClient } from '../../client/index.js';
import { KloopError } from '../../core/index.js';
import { DEFAULT_DRAIN_TIMEOUT_MS, type DerivedRbac, Manager, type ManagerOptions } from '../../manager/index.js';
import { exportedResources } from '../crd-command.js';
import { UsageError } from '../usage.js';
import { importUserModule } from '../user-module.js';
import {
  type DeploymentFacts,
  deploymentObject,
  identityObjects,
  type ManifestObject,
  metricsReaderRoleObject,
  metricsServiceObject,
  rbacObjects,
  watchedNamespaceObjects,
} from './objects.js';

/** Help text of `kloop manifests`. */
export const MANIFESTS_USAGE = `Usage: kloop manifests MODULE [--out DIR] [--name NAME] [--namespace NS] [--image IMAGE]

Writes the manifests that deploy the operator MODULE declares, as a kustomize tree rooted at
DIR/kustomization.yaml (kubectl apply -k DIR): its CRDs, Namespace, ServiceAccount, the RBAC
rules its Manager derives from its controllers (with bindings), the leader-election Role, the
Deployment and the metrics Service (with http.metricsAuth, a metrics-reader ClusterRole to bind
the scraper to). The namespaces its caches are scoped to get a Namespace
too (but default, kube-system, kube-public, kube-node-lease), so the tree applies to a fresh
cluster.

MODULE exports its resources (defineResource), setup(mgr) (or a default export) declaring the
controllers, and optionally managerOptions (the options its main passes to new Manager).
Importing it must have no side effects; nothing connects to a cluster.
  --out DIR          default config
  --name NAME        object name prefix (default: the leader-election Lease name, else MODULE's name)
  --namespace NS     namespace the operator runs in (default NAME-system)
  --image IMAGE      container image (default NAME:latest)
  --replicas N       default 1
  --no-watched-namespaces
                     write no Namespace for the namespaces the caches are scoped to (they
                     belong to someone else); they must then exist before kubectl apply`;

/** Options of `kloop manifests`, parsed. */
export interface ManifestsCommandOptions {
  module: string;
  out: string;
  name?: string;
  namespace?: string;
  image?: string;
  replicas: number;
  /** Write a Namespace for each namespace the Roles go into besides the operator's own (default true). */
  watchedNamespaces: boolean;
}

/** Parses the arguments after `manifests`; throws {@link UsageError} for bad ones. */
export function parseManifestsArgs(args: readonly string[]): ManifestsCommandOptions {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        out: { type: 'string' },
        name: { type: 'string' },
        namespace: { type: 'string' },
        image: { type: 'string' },
        replicas: { type: 'string' },
        'no-watched-namespaces': { type: 'boolean' },
      },
      strict: true,
      allowPositionals: true,
    }) as typeof parsed;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${MANIFESTS_USAGE}`);
  }
  const [module, ...rest] = parsed.positionals;
  if (module === undefined) throw new UsageError(`a MODULE is required\n\n${MANIFESTS_USAGE}`);
  if (rest.length > 0) throw new UsageError(`one MODULE only, got ${parsed.positionals.length}`);
  const v = parsed.values as Record<string, string | undefined>;
  for (const flag of ['out', 'name', 'namespace', 'image'] as const) {
    if (v[flag] === '') throw new UsageError(`--${flag} needs a value`);
  }
  for (const flag of ['name', 'namespace'] as const) {
    const value = v[flag];
    if (value !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) {
      throw new UsageError(`--${flag} ${JSON.stringify(value)} is not a valid DNS label`);
    }
  }
  const replicas = v.replicas === undefined ? 1 : Number(v.replicas);
  if (!Number.isInteger(replicas) || replicas < 0) throw new UsageError(`--replicas must be a whole number`);
  const options: ManifestsCommandOptions = {
    module,
    out: v.out ?? 'config',
    replicas,
    watchedNamespaces: parsed.values['no-watched-namespaces'] !== true,
  };
  if (v.name !== undefined) options.name = v.name;
  if (v.namespace !== undefined) options.namespace = v.namespace;
  if (v.image !== undefined) options.image = v.image;
  return options;
}

/** A client that never connects: the manager is only built, never started. */
function offlineClient(): KubeClient {
  return KubeClient.fromKubeconfig({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'offline', cluster: { server: 'https://kloop-manifests.invalid' } }],
    users: [{ name: 'offline', user: {} }],
    contexts: [{ name: 'offline', context: { cluster: 'offline', user: 'offline' } }],
    'current-context': 'offline',
  });
}

type Setup = (mgr: Manager) => unknown;

function setupOf(namespace: Record<string, unknown>, module: string): Setup {
  const setup = namespace.setup ?? namespace.default;
  if (typeof setup !== 'function') {
    throw new Error(`${module} exports no setup(mgr) function (or default export) declaring its controllers`);
  }
  return setup as Setup;
}

function dnsName(text: string): string {
  const base = text
    .replace(/\.[cm]?[jt]s$/, '')
    .split(/[\\/]/)
    .pop()!;
  return (
    base
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'operator'
  );
}

function dump(objects: readonly ManifestObject[]): string {
  return objects.map((o) => yaml.dump(o, { noRefs: true, lineWidth: -1, quotingType: '"' })).join('---\n');
}

function kustomization(resources: readonly string[]): string {
  return yaml.dump({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [...resources] });
}

/**
 * The operator module's options cannot be deployed as the manifests would deploy them (code
 * `KLOOP_MANIFESTS_UNDEPLOYABLE`): the message names the option and the fix.
 */
export class ManifestsError extends KloopError {
  constructor(message: string) {
    super('KLOOP_MANIFESTS_UNDEPLOYABLE', message);
  }
}

/**
 * Whether `host` only listens on the loopback interface (`127.0.0.0/8`, `::1`, `localhost`), in
 * any spelling `listen()` accepts: the WHATWG URL parser canonicalises IPv4 shorthand, octal and
 * 32-bit forms and IPv6 zero runs as the resolver does, so `127.1`, `0::1` and `::ffff:7f00:1`
 * are caught as well as `127.0.0.1`, `::1` and `::ffff:127.0.0.1`.
 */
function isLoopback(host: string): boolean {
  let name: string;
  try {
    name = new URL(`http://${isIPv6(host) ? `[${host}]` : host}/`).hostname;
  } catch {
    return false;
  }
  name = name.replace(/\.$/, '');
  if (name === 'localhost' || name === '[::1]') return true;
  if (name.startsWith('[::ffff:')) return /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(name);
  return isIPv4(name) && name.startsWith('127.');
}

/**
 * kubelet probes the Pod's IP and Prometheus scrapes it through the Service: a health listener
 * bound to loopback would fail every probe (the container restarted in a loop, never ready).
 * Refused rather than written without probes: as in kubebuilder's manifests, a deployed
 * manager is probed, and the listener's host is one option to change.
 */
function checkProbeable(options: ManagerOptions): void {
  const http = options.http;
  if (http?.port === undefined || http.port === 0 || http.host === undefined || !isLoopback(http.host)) return;
  throw new ManifestsError(
    `http.host is "${http.host}" (loopback) in managerOptions: kubelet probes /healthz and /readyz at the ` +
      `Pod's IP, so the Deployment's liveness and readiness probes would always fail, and Prometheus could ` +
      `not scrape /metrics through the Service. Leave http.host unset (0.0.0.0) or set "0.0.0.0" or "::".`,
  );
}

/** Namespaces that exist in every cluster: never written (and `default` cannot be deleted). */
const CLUSTER_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** The namespaces the RBAC objects go into besides the operator's own, sorted. */
function grantedNamespaces(rbac: DerivedRbac, own: string): string[] {
  const namespaces = new Set(rbac.namespaceRules.map((r) => r.namespace));
  if (rbac.leaderElection) namespaces.add(rbac.leaderElection.namespace);
  return [...namespaces].filter((ns) => ns !== own && !CLUSTER_NAMESPACES.has(ns)).sort();
}

/** The manifests of one operator, as files relative to the tree's root. */
export async function buildManifests(
  options: ManifestsCommandOptions,
  note: (text: string) => void = () => {},
): Promise<Map<string, string>> {
  return manifestFiles(await importUserModule(options.module), options, note);
}

/**
 * The manifests of an operator module already imported (`exported` is its namespace); `note`
 * receives what the user must know that the files cannot say.
 */
export async function manifestFiles(
  exported: Record<string, unknown>,
  options: ManifestsCommandOptions,
  note: (text: string) => void = () => {},
): Promise<Map<string, string>> {
  const setup = setupOf(exported, options.module);
  const resources = exportedResources(exported);
  const managerOptions = (exported.managerOptions ?? {}) as ManagerOptions;
  checkProbeable(managerOptions);
  const name = options.name ?? managerOptions.leaderElection?.name ?? dnsName(options.module);
  const namespace = options.namespace ?? `${name}-system`;
  // The Lease namespace defaults to the Pod's; in the manifests that is the operator's namespace.
  const previous = process.env.POD_NAMESPACE;
  process.env.POD_NAMESPACE = namespace;
  const mgr = new Manager({
    ...managerOptions,
    resources: [...(managerOptions.resources ?? []), ...resources],
    kubeClient: offlineClient(),
  });
  let rbac: DerivedRbac;
  try {
    await setup(mgr);
    rbac = mgr.rbacRules();
  } finally {
    await mgr.stop();
    if (previous === undefined) delete process.env.POD_NAMESPACE;
    else process.env.POD_NAMESPACE = previous;
  }
  const facts: DeploymentFacts = {
    name,
    namespace,
    image: options.image ?? `${name}:latest`,
    drainTimeoutMs: managerOptions.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
    replicas: options.replicas,
  };
  if (managerOptions.http?.metricsAuth) facts.metricsAuth = true;
  const port = managerOptions.http?.port;
  if (port !== undefined && port !== 0) facts.port = port;
  const files = new Map<string, string>();
  const top: string[] = [];
  if (resources.length > 0) {
    const crdFiles: string[] = [];
    for (const resource of resources) {
      const crd = resource.crd();
      const file = `${crd.metadata.name}.yaml`;
      crdFiles.push(file);
      files.set(`crd/${file}`, dump([crd as unknown as ManifestObject]));
    }
    files.set('crd/kustomization.yaml', kustomization(crdFiles));
    top.push('crd');
  }
  const { namespace: namespaceObject, serviceAccount } = identityObjects(facts);
  const { roles, bindings } = rbacObjects(rbac, facts);
  const leaderRoles = roles.filter((r) => String(r.metadata.name).endsWith('-leader-election-role'));
  const leaderBindings = bindings.filter((r) => String(r.metadata.name).endsWith('-leader-election-rolebinding'));
  const rbacFiles = ['service_account.yaml'];
  files.set('rbac/service_account.yaml', dump([serviceAccount]));
  const managerRoles = roles.filter((r) => !leaderRoles.includes(r));
  const managerBindings = bindings.filter((b) => !leaderBindings.includes(b));
  if (managerRoles.length > 0) {
    files.set('rbac/role.yaml', dump(managerRoles));
    files.set('rbac/role_binding.yaml', dump(managerBindings));
    rbacFiles.push('role.yaml', 'role_binding.yaml');
  }
  if (leaderRoles.length > 0) {
    files.set('rbac/leader_election_role.yaml', dump(leaderRoles));
    files.set('rbac/leader_election_role_binding.yaml', dump(leaderBindings));
    rbacFiles.push('leader_election_role.yaml', 'leader_election_role_binding.yaml');
  }
  const metricsReader = metricsReaderRoleObject(facts);
  if (metricsReader) {
    files.set('rbac/metrics_reader_role.yaml', dump([metricsReader]));
    rbacFiles.push('metrics_reader_role.yaml');
  }
  files.set('rbac/kustomization.yaml', kustomization(rbacFiles));
  top.push('rbac');
  const managerFiles = ['namespace.yaml', 'manager.yaml'];
  const others = grantedNamespaces(rbac, namespace);
  if (options.watchedNamespaces) {
    files.set('manager/namespace.yaml', dump([namespaceObject, ...watchedNamespaceObjects(others)]));
  } else {
    files.set('manager/namespace.yaml', dump([namespaceObject]));
    if (others.length > 0) {
      note(
        `not written (--no-watched-namespaces): the namespaces ${others.join(', ')} must exist before kubectl apply`,
      );
    }
  }
  files.set('manager/manager.yaml', dump([deploymentObject(facts)]));
  const service = metricsServiceObject(facts);
  if (service) {
    files.set('manager/metrics_service.yaml', dump([service]));
    managerFiles.push('metrics_service.yaml');
  }
  files.set('manager/kustomization.yaml', kustomization(managerFiles));
  top.push('manager');
  files.set('kustomization.yaml', kustomization(top));
  return files;
}

/** Runs `kloop manifests`; resolves with the exit code. */
export async function manifestsCommand(
  args: readonly string[],
  io: { out: (text: string) => void } = { out: (t) => process.stdout.write(t) },
): Promise<number> {
  const options = parseManifestsArgs(args);
  const files = await buildManifests(options, (text) => io.out(`note: ${text}\n`));
  for (const [file, text] of files) {
    const path = join(options.out, file);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, text);
    io.out(`${path}\n`);
  }
  return 0;
}
