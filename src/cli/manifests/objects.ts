/**
 * The Kubernetes objects that deploy an operator, made from its Manager's declarations: the
 * Namespaces, ServiceAccount, the derived RBAC with its bindings, the leader-election Role, the
 * Deployment and the metrics Service. Shaped after kubebuilder's `config/` (names end in
 * `-controller-manager`, `-manager-role`, `-leader-election-role`, `-metrics-service`).
 */
import type { DerivedRbac, PolicyRule } from '../../manager/index.js';

/** Where and how the operator runs. */
export interface DeploymentFacts {
  /** The operator's name: prefix of every object. */
  name: string;
  /** The namespace it runs in (its Namespace object is written too). */
  namespace: string;
  /** Container image. */
  image: string;
  /** Port of the manager's health and metrics listener (`http.port`); undefined: no probes, no Service. */
  port?: number;
  /** `drainTimeoutMs` of the manager: the grace period covers it plus the Lease release. */
  drainTimeoutMs: number;
  /** Replicas (1 unless leader election or sharding lets more run). */
  replicas: number;
  /** `/metrics` asks for a bearer token (`http.metricsAuth`): a metrics-reader ClusterRole is written. */
  metricsAuth?: boolean;
}

/** A Kubernetes object as written to YAML. */
export type ManifestObject = { apiVersion: string; kind: string; metadata: Record<string, unknown> } & Record<
  string,
  unknown
>;

const RBAC = 'rbac.authorization.k8s.io/v1';

function labels(facts: DeploymentFacts): Record<string, string> {
  return { 'app.kubernetes.io/name': facts.name, 'app.kubernetes.io/managed-by': 'kloop' };
}

/** Names of the generated objects. */
export function objectNames(name: string) {
  return {
    serviceAccount: `${name}-controller-manager`,
    deployment: `${name}-controller-manager`,
    managerRole: `${name}-manager-role`,
    leaderElectionRole: `${name}-leader-election-role`,
    metricsService: `${name}-metrics-service`,
    metricsReaderRole: `${name}-metrics-reader`,
  };
}

function rules(list: readonly PolicyRule[]): PolicyRule[] {
  return list.map((r) => ({ ...r }));
}

/**
 * The ClusterRole and Roles of `rbac`, each with a binding to the operator's ServiceAccount.
 * Roles in namespaces the cache is scoped to are named `<name>-manager-role` in each.
 */
export function rbacObjects(
  rbac: DerivedRbac,
  facts: DeploymentFacts,
): { roles: ManifestObject[]; bindings: ManifestObject[] } {
  const names = objectNames(facts.name);
  const subject = [{ kind: 'ServiceAccount', name: names.serviceAccount, namespace: facts.namespace }];
  const roles: ManifestObject[] = [];
  const bindings: ManifestObject[] = [];
  const roleRef = (kind: 'Role' | 'ClusterRole', name: string) => ({
    apiGroup: 'rbac.authorization.k8s.io',
    kind,
    name,
  });
  if (rbac.clusterRules.length > 0) {
    roles.push({
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: names.managerRole, labels: labels(facts) },
      rules: rules(rbac.clusterRules),
    });
    bindings.push({
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name: `${names.managerRole}binding`, labels: labels(facts) },
      roleRef: roleRef('ClusterRole', names.managerRole),
      subjects: subject,
    });
  }
  for (const { namespace, rules: list } of rbac.namespaceRules) {
    roles.push({
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: names.managerRole, namespace, labels: labels(facts) },
      rules: rules(list),
    });
    bindings.push({
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: `${names.managerRole}binding`, namespace, labels: labels(facts) },
      roleRef: roleRef('Role', names.managerRole),
      subjects: subject,
    });
  }
  if (rbac.leaderElection) {
    const { namespace } = rbac.leaderElection;
    roles.push({
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: names.leaderElectionRole, namespace, labels: labels(facts) },
      rules: rules(rbac.leaderElection.rules),
    });
    bindings.push({
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: `${names.leaderElectionRole}binding`, namespace, labels: labels(facts) },
      roleRef: roleRef('Role', names.leaderElectionRole),
      subjects: subject,
    });
  }
  return { roles, bindings };
}

/**
 * kubebuilder's `metrics-reader`: the ClusterRole a scraper's ServiceAccount is bound to when
 * `/metrics` asks for a token (the manager's SubjectAccessReview asks whether the token's user
 * may `get` the non-resource URL `/metrics`). Bound to no one here: the scraper is the user's.
 */
export function metricsReaderRoleObject(facts: DeploymentFacts): ManifestObject | undefined {
  if (!facts.metricsAuth) return undefined;
  return {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: objectNames(facts.name).metricsReaderRole, labels: labels(facts) },
    rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
  };
}

/** The operator's Namespace and ServiceAccount. */
export function identityObjects(facts: DeploymentFacts): { namespace: ManifestObject; serviceAccount: ManifestObject } {
  return {
    namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: facts.namespace, labels: labels(facts) } },
    serviceAccount: {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: objectNames(facts.name).serviceAccount, namespace: facts.namespace, labels: labels(facts) },
    },
  };
}

/**
 * The Namespaces the Roles of a scoped cache (or the Lease) go into, as bare as can be: they may
 * be shared with other teams, so they carry no label of the operator's (kubectl apply leaves
 * the labels others gave them in place).
 */
export function watchedNamespaceObjects(namespaces: readonly string[]): ManifestObject[] {
  return namespaces.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
}

/**
 * The grace period kubelet gives the Pod after SIGTERM: the manager's drain, then 10 s for
 * `exitOnSignal` to release the Leases and exit (its deadline is the drain + 5 s by default).
 */
export function gracePeriodSeconds(drainTimeoutMs: number): number {
  return Math.ceil((drainTimeoutMs + 10_000) / 1000);
}

/**
 * The Deployment: probes on the health listener, `POD_NAME`/`POD_NAMESPACE` from the downward
 * API (leader election's identity and Lease namespace), a non-root, read-only container with no
 * capabilities, requests and a memory limit, a writable `/tmp`.
 */
export function deploymentObject(facts: DeploymentFacts): ManifestObject {
  const names = objectNames(facts.name);
  const selector = { 'app.kubernetes.io/name': facts.name, 'control-plane': 'controller-manager' };
  const container: Record<string, unknown> = {
    name: 'manager',
    image: facts.image,
    // As kubebuilder's: a `:latest` image would default to Always, and one loaded into the
    // nodes (kind load docker-image) or built there would never start.
    imagePullPolicy: 'IfNotPresent',
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'NODE_ENV', value: 'production' },
    ],
    resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
  if (facts.port !== undefined) {
    container.ports = [{ name: 'http', containerPort: facts.port, protocol: 'TCP' }];
    container.livenessProbe = {
      httpGet: { path: '/healthz', port: 'http' },
      initialDelaySeconds: 5,
      periodSeconds: 20,
    };
    container.readinessProbe = {
      httpGet: { path: '/readyz', port: 'http' },
      initialDelaySeconds: 2,
      periodSeconds: 10,
    };
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: names.deployment, namespace: facts.namespace, labels: { ...labels(facts), ...selector } },
    spec: {
      replicas: facts.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...labels(facts), ...selector } },
        spec: {
          serviceAccountName: names.serviceAccount,
          terminationGracePeriodSeconds: gracePeriodSeconds(facts.drainTimeoutMs),
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [container],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}

/** The Service Prometheus scrapes `/metrics` through (only with a health and metrics port). */
export function metricsServiceObject(facts: DeploymentFacts): ManifestObject | undefined {
  if (facts.port === undefined) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: objectNames(facts.name).metricsService,
      namespace: facts.namespace,
      labels: { ...labels(facts), 'control-plane': 'controller-manager' },
    },
    spec: {
      selector: { 'app.kubernetes.io/name': facts.name, 'control-plane': 'controller-manager' },
      ports: [{ name: 'http-metrics', port: facts.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}
