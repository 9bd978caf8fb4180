// RBAC derived from a manager's declarations: read, own, status, finalizers, Events and Leases,
// scoped as the cache is, grouped into rules as controller-gen groups them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from 'typebox';
import {
  ConfigMap,
  Deployment,
  defineResource,
  deriveRbac,
  KubeClient,
  Manager,
  Namespace,
  Secret,
} from '../../src/index.js';
import { guessPlural } from '../../src/manager/index.js';

const Memcached = defineResource({
  group: 'cache.example.com',
  version: 'v1alpha1',
  kind: 'Memcached',
  spec: Type.Object({ size: Type.Integer() }),
  status: Type.Object({ ready: Type.Optional(Type.Integer()) }),
});

/** A manager that never connects: its client points nowhere. */
function offlineManager(options: ConstructorParameters<typeof Manager>[0] = {}): Manager {
  const kubeClient = KubeClient.fromKubeconfig({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'none', cluster: { server: 'https://127.0.0.1:1' } }],
    users: [{ name: 'none', user: {} }],
    contexts: [{ name: 'none', context: { cluster: 'none', user: 'none' } }],
    'current-context': 'none',
  });
  return new Manager({ kubeClient, ...options });
}

describe('deriveRbac', () => {
  it('grants a controller its for kind, status, finalizers, owned kinds and Events cluster-wide', () => {
    const mgr = offlineManager();
    mgr
      .controller('memcached')
      .for(Memcached)
      .owns(Deployment)
      .watches(Namespace, () => [])
      .reconcile(async () => {});
    const rbac = mgr.rbacRules();
    assert.deepEqual(rbac.namespaceRules, []);
    assert.equal(rbac.leaderElection, undefined);
    assert.deepEqual(rbac.clusterRules, [
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
      {
        apiGroups: ['apps'],
        resources: ['deployments'],
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      },
      {
        apiGroups: ['cache.example.com'],
        resources: ['memcacheds'],
        verbs: ['get', 'list', 'patch', 'update', 'watch'],
      },
      { apiGroups: ['cache.example.com'], resources: ['memcacheds/finalizers'], verbs: ['update'] },
      { apiGroups: ['cache.example.com'], resources: ['memcacheds/status'], verbs: ['patch', 'update'] },
    ]);
    const statusUpdate = rbac.permissions.find((p) => p.subresource === 'status' && p.verb === 'update');
    assert.equal(
      statusUpdate?.reason,
      'controller memcached: for cache.example.com/v1alpha1/Memcached (status writes)',
    );
  });

  it('puts types the cache scopes to namespaces into a Role per namespace, cluster-scoped ones into the ClusterRole', () => {
    const mgr = offlineManager({
      cache: { defaultNamespaces: ['team-a', 'team-b'], byType: [{ type: Secret, namespaces: ['team-a'] }] },
      leaderElection: { name: 'op', namespace: 'op-system' },
    });
    mgr
      .controller('mirror')
      .for(ConfigMap)
      .owns(Secret)
      .watches(Namespace, () => [])
      .reconcile(async () => {});
    const rbac = mgr.rbacRules();
    assert.deepEqual(rbac.clusterRules, [
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
    ]);
    assert.deepEqual(
      rbac.namespaceRules.map((r) => r.namespace),
      ['team-a', 'team-b'],
    );
    const teamA = rbac.namespaceRules[0]!.rules;
    assert.deepEqual(teamA, [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'patch', 'update', 'watch'] },
      { apiGroups: [''], resources: ['configmaps/finalizers'], verbs: ['update'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      },
    ]);
    // team-b: no Secrets (the scope holds them in team-a only).
    assert.ok(!rbac.namespaceRules[1]!.rules.some((r) => r.resources.includes('secrets')));
    assert.deepEqual(rbac.leaderElection, {
      namespace: 'op-system',
      rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'get', 'update'] }],
    });
  });

  it('adds rules declared on a controller and on the manager, and informers asked of the manager', () => {
    const mgr = offlineManager({
      rbac: [{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'], namespaces: ['ops'] }],
    });
    mgr.informer(Secret);
    mgr
      .controller('audit')
      .for(ConfigMap)
      .rbac({ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'update'], resourceNames: ['audit'] })
      .reconcile(async () => {});
    const rbac = mgr.rbacRules();
    assert.ok(rbac.clusterRules.some((r) => r.resources.includes('secrets') && r.verbs.join() === 'get,list,watch'));
    assert.deepEqual(
      rbac.clusterRules.find((r) => r.apiGroups[0] === 'batch'),
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'update'], resourceNames: ['audit'] },
    );
    assert.deepEqual(rbac.namespaceRules, [
      { namespace: 'ops', rules: [{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }] },
    ]);
  });

  it('refuses a declared create or deletecollection limited to resource names, which RBAC never matches', () => {
    // A create request carries no name to match: such a rule passes a SelfSubjectAccessReview
    // that names the object, then every create is refused.
    for (const verb of ['create', 'deletecollection']) {
      const mgr = offlineManager({
        rbac: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', verb], resourceNames: ['audit'] }],
      });
      assert.throws(
        () => mgr.rbacRules(),
        new RegExp(`rbac: ${verb} batch/jobs cannot be limited to resourceNames \\(audit\\)`),
      );
    }
  });

  it('grants the TokenReview and SubjectAccessReview that authenticated metrics send', () => {
    const mgr = offlineManager({ http: { port: 0, metricsAuth: true } });
    assert.deepEqual(mgr.rbacRules().clusterRules, [
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]);
    // Reviews sent by a client of the caller's own need nothing of the manager's identity.
    const own = offlineManager({
      http: {
        port: 0,
        metricsAuth: {
          reviews: {
            reviewToken: async () => ({ authenticated: false }),
            reviewAccess: async () => ({ allowed: false }),
          },
        },
      },
    });
    assert.deepEqual(own.rbacRules().clusterRules, []);
    assert.deepEqual(offlineManager({ http: { port: 0 } }).rbacRules().clusterRules, []);
  });

  it('takes plural and scope from the resource types it is given, and guesses as the API machinery does otherwise', () => {
    const rbac = deriveRbac({
      controllers: [
        {
          controller: 'x',
          sources: [{ kind: 'for', type: { apiVersion: 'example.com/v1', kind: 'Policy' } }],
          rbac: [],
        },
      ],
      resources: [],
    });
    assert.ok(rbac.clusterRules.some((r) => r.resources.includes('policies')));
    assert.equal(guessPlural('Ingress'), 'ingresses');
    assert.equal(guessPlural('Gateway'), 'gateways');
    assert.equal(guessPlural('Memcached'), 'memcacheds');
  });
});
