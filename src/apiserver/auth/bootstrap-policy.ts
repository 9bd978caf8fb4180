/**
 * The RBAC objects a fresh cluster has (kube-apiserver's bootstrap policy,
 * plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go, as of Kubernetes 1.33): the
 * user-facing roles `cluster-admin`, `admin`, `edit` and `view` (the last three aggregated from
 * `system:aggregate-to-*`), the roles every user and every anonymous client gets
 * (`system:basic-user`, `system:discovery`, `system:public-info-viewer`), `system:monitoring`,
 * `system:auth-delegator` and `system:service-account-issuer-discovery`, with their bindings.
 *
 * Written out by hand from policy.go, rules sorted as its rule builder sorts them. Left out: the
 * roles of cluster components the emulator does not run (`system:node`, `system:kube-scheduler`,
 * `system:kube-controller-manager`, `system:controller:*` and their bindings) and the
 * feature-gated ones.
 */
import type { KubeObject } from '../../core/index.js';
import type { PolicyRule } from '../types.js';
import { ALL_AUTHENTICATED, ALL_SERVICE_ACCOUNTS, ALL_UNAUTHENTICATED, SYSTEM_MASTERS } from './user.js';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const READ_WRITE = [...READ, ...WRITE];

const AGGREGATE_TO = (role: string) => `rbac.authorization.k8s.io/aggregate-to-${role}`;

/** A resource rule with its lists sorted and deduplicated, as `rbacv1helpers.NewRule` builds it. */
function rule(verbs: readonly string[], groups: readonly string[], resources: readonly string[]): PolicyRule {
  const sorted = (xs: readonly string[]) => [...new Set(xs)].sort();
  return { verbs: sorted(verbs), apiGroups: sorted(groups), resources: sorted(resources) };
}

/** A non-resource rule. */
function urls(verbs: readonly string[], paths: readonly string[]): PolicyRule {
  return { verbs: [...new Set(verbs)].sort(), nonResourceURLs: [...new Set(paths)].sort() };
}

interface RoleSpec {
  name: string;
  rules?: PolicyRule[];
  labels?: Record<string, string>;
  aggregateFrom?: string;
}

const ROLES: RoleSpec[] = [
  { name: 'cluster-admin', rules: [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])] },
  {
    name: 'system:discovery',
    rules: [
      urls(
        ['get'],
        [
          '/livez',
          '/readyz',
          '/healthz',
          '/version',
          '/version/',
          '/openapi',
          '/openapi/*',
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
        ],
      ),
    ],
  },
  {
    name: 'system:monitoring',
    rules: [
      urls(
        ['get'],
        ['/metrics', '/metrics/slis', '/livez', '/readyz', '/healthz', '/livez/*', '/readyz/*', '/healthz/*'],
      ),
    ],
  },
  {
    name: 'system:basic-user',
    rules: [
      rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    ],
  },
  {
    name: 'system:public-info-viewer',
    rules: [urls(['get'], ['/livez', '/readyz', '/healthz', '/version', '/version/'])],
  },
  { name: 'admin', aggregateFrom: 'admin' },
  { name: 'edit', aggregateFrom: 'edit', labels: { [AGGREGATE_TO('admin')]: 'true' } },
  { name: 'view', aggregateFrom: 'view', labels: { [AGGREGATE_TO('edit')]: 'true' } },
  {
    name: 'system:aggregate-to-admin',
    labels: { [AGGREGATE_TO('admin')]: 'true' },
    rules: [
      rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
      rule(READ_WRITE, ['rbac.authorization.k8s.io'], ['roles', 'rolebindings']),
    ],
  },
  {
    name: 'system:aggregate-to-edit',
    labels: { [AGGREGATE_TO('edit')]: 'true' },
    rules: [
      rule(READ, [''], ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy']),
      rule(['impersonate'], [''], ['serviceaccounts']),
      rule(WRITE, [''], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
      rule(['create'], [''], ['pods/eviction']),
      rule(
        WRITE,
        [''],
        [
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
          'services',
          'services/proxy',
          'persistentvolumeclaims',
          'configmaps',
          'secrets',
          'events',
        ],
      ),
      rule(['create'], [''], ['serviceaccounts/token']),
      rule(
        WRITE,
        ['apps'],
        [
          'statefulsets',
          'statefulsets/scale',
          'daemonsets',
          'deployments',
          'deployments/scale',
          'deployments/rollback',
          'replicasets',
          'replicasets/scale',
        ],
      ),
      rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
      rule(WRITE, ['batch'], ['jobs', 'cronjobs']),
      rule(
        WRITE,
        ['extensions'],
        [
          'daemonsets',
          'deployments',
          'deployments/scale',
          'deployments/rollback',
          'ingresses',
          'replicasets',
          'replicasets/scale',
          'replicationcontrollers/scale',
          'networkpolicies',
        ],
      ),
      rule(WRITE, ['policy'], ['poddisruptionbudgets']),
      rule(WRITE, ['networking.k8s.io'], ['networkpolicies', 'ingresses']),
    ],
  },
  {
    name: 'system:aggregate-to-view',
    labels: { [AGGREGATE_TO('view')]: 'true' },
    rules: [
      rule(
        READ,
        [''],
        [
          'pods',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
          'services',
          'services/status',
          'endpoints',
          'persistentvolumeclaims',
          'persistentvolumeclaims/status',
          'configmaps',
        ],
      ),
      rule(
        READ,
        [''],
        [
          'limitranges',
          'resourcequotas',
          'bindings',
          'events',
          'pods/status',
          'resourcequotas/status',
          'namespaces/status',
          'replicationcontrollers/status',
          'pods/log',
        ],
      ),
      rule(READ, [''], ['namespaces']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(
        READ,
        ['apps'],
        [
          'controllerrevisions',
          'statefulsets',
          'statefulsets/status',
          'statefulsets/scale',
          'daemonsets',
          'daemonsets/status',
          'deployments',
          'deployments/status',
          'deployments/scale',
          'replicasets',
          'replicasets/status',
          'replicasets/scale',
        ],
      ),
      rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
      rule(READ, ['batch'], ['jobs', 'cronjobs', 'cronjobs/status', 'jobs/status']),
      rule(
        READ,
        ['extensions'],
        [
          'daemonsets',
          'daemonsets/status',
          'deployments',
          'deployments/scale',
          'deployments/status',
          'ingresses',
          'ingresses/status',
          'replicasets',
          'replicasets/scale',
          'replicasets/status',
          'replicationcontrollers/scale',
          'networkpolicies',
        ],
      ),
      rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
      rule(READ, ['networking.k8s.io'], ['networkpolicies', 'ingresses', 'ingresses/status']),
    ],
  },
  {
    name: 'system:auth-delegator',
    rules: [
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    ],
  },
  {
    name: 'system:service-account-issuer-discovery',
    rules: [
      urls(
        ['get'],
        [
          '/.well-known/openid-configuration',
          '/.well-known/openid-configuration/',
          '/openid/v1/jwks',
          '/openid/v1/jwks/',
        ],
      ),
    ],
  },
];

const BINDINGS: { name: string; role: string; groups: string[] }[] = [
  { name: 'cluster-admin', role: 'cluster-admin', groups: [SYSTEM_MASTERS] },
  { name: 'system:basic-user', role: 'system:basic-user', groups: [ALL_AUTHENTICATED] },
  { name: 'system:discovery', role: 'system:discovery', groups: [ALL_AUTHENTICATED] },
  { name: 'system:monitoring', role: 'system:monitoring', groups: ['system:monitoring'] },
  {
    name: 'system:public-info-viewer',
    role: 'system:public-info-viewer',
    groups: [ALL_AUTHENTICATED, ALL_UNAUTHENTICATED],
  },
  {
    name: 'system:service-account-issuer-discovery',
    role: 'system:service-account-issuer-discovery',
    groups: [ALL_SERVICE_ACCOUNTS],
  },
];

const BOOTSTRAP_METADATA = {
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
};

/** The bootstrap ClusterRoles (aggregated ones with empty rules: the aggregation controller fills them). */
export function bootstrapClusterRoles(): KubeObject[] {
  return ROLES.map((spec) => {
    const obj: KubeObject & Record<string, unknown> = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: {
        name: spec.name,
        labels: { ...BOOTSTRAP_METADATA.labels, ...spec.labels },
        annotations: { ...BOOTSTRAP_METADATA.annotations },
      },
    };
    if (spec.aggregateFrom !== undefined) {
      obj.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [AGGREGATE_TO(spec.aggregateFrom)]: 'true' } }] };
      obj.rules = [];
    } else obj.rules = (spec.rules ?? []).map((r) => ({ ...r }));
    return obj;
  });
}

/** The bootstrap ClusterRoleBindings. */
export function bootstrapClusterRoleBindings(): KubeObject[] {
  return BINDINGS.map((b) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: {
      name: b.name,
      labels: { ...BOOTSTRAP_METADATA.labels },
      annotations: { ...BOOTSTRAP_METADATA.annotations },
    },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: b.role },
    subjects: b.groups.map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name })),
  }));
}
