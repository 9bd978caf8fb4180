/**
 * An emulator for one test or one test file: `startApiServer` with what operator tests reach for
 * beside it (an admin client, CRDs from definitions, waiting on conditions with the emulator's
 * clock moving, Pods whose outcome is scripted, service-account kubeconfigs in secure mode, the
 * audit's RBAC denials), stopped with everything it made by `stop()`.
 */
import { type ApiServer, type ApiServerOptions, type Kubeconfig, startApiServer } from '../apiserver/index.js';
import { KubeClient } from '../client/index.js';
import {
  ApiError,
  ClusterRole,
  ClusterRoleBinding,
  type KubeObject,
  ManualClock,
  Namespace,
  Role,
  RoleBinding,
  ServiceAccount,
} from '../core/index.js';
import type { Resource } from '../resources/index.js';
import { installResources, type ObjectRef, type WaitForConditionOptions, waitForCondition } from './conditions.js';
import { TestingUsageError } from './errors.js';

/**
 * Options of {@link startEmulator}: those of `startApiServer` (`controllers`, `secure`,
 * `resources`, `simulation` with its `podRules`, `clock`, ...).
 */
export interface EmulatorOptions extends ApiServerOptions {
  /**
   * Virtual milliseconds {@link TestEmulator.waitForCondition} moves a `ManualClock` between two
   * looks (default 100). Ignored on the wall clock.
   */
  advanceStepMs?: number;
}

/** One RBAC rule, as a Role or ClusterRole lists it. */
export interface RbacRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** Rules granted in one namespace: a Role there (`mgr.rbacRules().namespaceRules` has this shape). */
export interface NamespaceRbacRules {
  namespace: string;
  rules: readonly RbacRule[];
}

/**
 * Options of {@link TestEmulator.serviceAccount}: the RBAC of an operator as `kloop manifests`
 * writes it, from `mgr.rbacRules()`: `rules` its `clusterRules`, `namespaceRules` its
 * `namespaceRules` (and its `leaderElection`, which has the same shape).
 */
export interface ServiceAccountOptions {
  /** Rules granted cluster-wide (a ClusterRole and ClusterRoleBinding named `<namespace>-<name>`). */
  rules?: readonly RbacRule[];
  /**
   * Rules granted in one namespace each: a Role and RoleBinding named `<namespace>-<name>` (of the
   * ServiceAccount) in each, the namespace created when missing. Entries naming the same
   * namespace share its Role.
   */
  namespaceRules?: readonly NamespaceRbacRules[];
}

/** A running emulator with the test helpers around it. */
export interface TestEmulator {
  /** The emulator itself (`stats()`, `faults`, `controllers`, `audit()`, ...). */
  readonly server: ApiServer;
  /** A kubeconfig with the admin's credentials (in secure mode, `system:masters`). */
  readonly kubeconfig: Kubeconfig;
  /** A client with the admin's credentials, for the test's own reads and writes. */
  readonly client: KubeClient;
  /** The `ManualClock` the emulator runs on, when it was given one. */
  readonly clock: ManualClock | undefined;
  /** Creates the CRDs of `resources` and waits until they are served. */
  install(...resources: Resource[]): Promise<void>;
  /**
   * {@link waitForCondition} through {@link TestEmulator.client}; on a `ManualClock` it advances
   * the emulator's time between looks, so the built-in controllers make progress.
   */
  waitForCondition<T extends KubeObject = KubeObject>(
    ref: ObjectRef<T>,
    type: string,
    options?: WaitForConditionOptions,
  ): Promise<T>;
  /**
   * Secure mode: the ServiceAccount `namespace/name` (created with its namespace when missing),
   * optionally granted `rules` cluster-wide and `namespaceRules` in their namespaces (granting
   * the same account again replaces the rules of the roles it writes), and a kubeconfig with a
   * token for it, as a Pod of the operator would hold. Denials of its requests
   * show in `server.audit({ denied: true })`. Without the secure mode it rejects with a
   * `TestingUsageError` (`KLOOP_TESTING_USAGE`).
   *
   * @example
   * ```ts
   * import { ConfigMap, Manager } from 'kloop';
   * import { startEmulator, startManager } from 'kloop/testing';
   *
   * const emulator = await startEmulator({ secure: true });
   * const setup = (m: Manager) => {
   *   m.controller('copier').for(ConfigMap).reconcile(async () => {});
   * };
   * const options = { cache: { defaultNamespaces: ['team-a'] } };
   * // The rules a namespace-scoped operator's manifests grant: Roles in team-a, no ClusterRole.
   * const declared = new Manager({ kubeconfig: emulator.kubeconfig, ...options });
   * setup(declared);
   * const { clusterRules, namespaceRules } = declared.rbacRules();
   * await declared.stop();
   * const kubeconfig = await emulator.serviceAccount('ops', 'copier', { rules: clusterRules, namespaceRules });
   * const mgr = await startManager(kubeconfig, setup, options);
   * await mgr.stop();
   * await emulator.stop();
   * ```
   */
  serviceAccount(namespace: string, name: string, options?: ServiceAccountOptions): Promise<Kubeconfig>;
  /** Stops the client and the emulator. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts an emulator on a free port for a test or a test file. Cheap enough per test (tens of
 * milliseconds without the built-in controllers).
 *
 * @example
 * ```ts
 * import { after, before, it } from 'node:test';
 * import { ConfigMap } from 'kloop';
 * import { startEmulator, type TestEmulator } from 'kloop/testing';
 *
 * let emulator: TestEmulator;
 * before(async () => {
 *   emulator = await startEmulator({ controllers: true });
 * });
 * after(() => emulator.stop());
 *
 * it('reads what it wrote', async () => {
 *   await emulator.client.create({ ...ConfigMap, metadata: { name: 'a', namespace: 'default' } });
 * });
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<TestEmulator> {
  const { advanceStepMs = 100, ...serverOptions } = options;
  const server = await startApiServer(serverOptions);
  const client = KubeClient.fromKubeconfig(server.kubeconfig);
  const clock = options.clock instanceof ManualClock ? options.clock : undefined;
  let stopping: Promise<void> | undefined;
  return {
    server,
    kubeconfig: server.kubeconfig,
    client,
    clock,
    install: (...resources) => installResources(client, resources),
    waitForCondition: (ref, type, waitOptions = {}) =>
      waitForCondition(client, ref, type, {
        ...(clock ? { between: () => server.controllers.advance(advanceStepMs) } : {}),
        ...waitOptions,
      }),
    serviceAccount: (namespace, name, saOptions = {}) => serviceAccount(server, client, namespace, name, saOptions),
    stop() {
      stopping ??= (async () => {
        client.close();
        await server.stop();
      })();
      return stopping;
    },
  };
}

async function createIfMissing(client: KubeClient, object: KubeObject): Promise<void> {
  try {
    await client.create(object);
  } catch (err) {
    if (!(err instanceof ApiError && err.statusCode === 409)) throw err;
  }
}

/**
 * Creates the role `object` (a Role or ClusterRole), or gives the existing one its rules: a
 * service account granted again has exactly the rules of the last grant, so a test can take one
 * away and see the manager's start fail.
 */
async function grantRole(
  client: KubeClient,
  type: typeof Role | typeof ClusterRole,
  metadata: { name: string; namespace?: string },
  rules: RbacRule[],
): Promise<void> {
  try {
    await client.create({ ...type, metadata, rules });
  } catch (err) {
    if (!(err instanceof ApiError && err.statusCode === 409)) throw err;
    const current: KubeObject = await client.get<KubeObject>(type, metadata);
    await client.update({ ...current, rules });
  }
}

async function serviceAccount(
  server: ApiServer,
  client: KubeClient,
  namespace: string,
  name: string,
  options: ServiceAccountOptions,
): Promise<Kubeconfig> {
  if (!server.security) {
    throw new TestingUsageError('serviceAccount() needs the secure mode: startEmulator({ secure: true })');
  }
  await createIfMissing(client, { ...Namespace, metadata: { name: namespace } });
  await createIfMissing(client, { ...ServiceAccount, metadata: { namespace, name } });
  const roleName = `${namespace}-${name}`;
  const subjects = [{ kind: 'ServiceAccount', namespace, name }];
  if (options.rules !== undefined) {
    await grantRole(client, ClusterRole, { name: roleName }, [...options.rules]);
    await createIfMissing(client, {
      ...ClusterRoleBinding,
      metadata: { name: roleName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects,
    });
  }
  // One Role per namespace: a second Role of the same name would be refused (409) and its rules lost.
  const byNamespace = new Map<string, RbacRule[]>();
  for (const entry of options.namespaceRules ?? []) {
    byNamespace.set(entry.namespace, [...(byNamespace.get(entry.namespace) ?? []), ...entry.rules]);
  }
  for (const [roleNamespace, rules] of byNamespace) {
    await createIfMissing(client, { ...Namespace, metadata: { name: roleNamespace } });
    await grantRole(client, Role, { namespace: roleNamespace, name: roleName }, rules);
    await createIfMissing(client, {
      ...RoleBinding,
      metadata: { namespace: roleNamespace, name: roleName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
      subjects,
    });
  }
  return server.kubeconfigFor({ token: server.security.createToken(namespace, name) });
}
