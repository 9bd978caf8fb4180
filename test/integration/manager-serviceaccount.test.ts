// An operator as it runs in a real cluster: the demo's ConfigMap mirror controller in a Manager
// that authenticates as a ServiceAccount token, holding only a minimal ClusterRole. It completes
// its work, and the secure emulator's audit shows it never asked for anything it was not granted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MIRROR_LABEL, MIRROR_OF, MIRROR_TO, mirrorController } from '../../examples/configmap-mirror.js';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { type KubeClient, Manager, Secret } from '../../src/index.js';
import { eventually } from '../support/index.js';
import { bindingObject, clientOf, requestToken, roleObject, serviceAccount } from './secure-helpers.js';

const OPERATOR = 'system:serviceaccount:kloop-system:mirror';

/**
 * What the mirror controller needs, and nothing more. No `get`: the reconciler reads from the
 * informers' caches. `list` because a cluster without streaming lists (WatchList is off in
 * Kubernetes 1.33) fills the caches with paginated lists, as the manager here is told to.
 */
const MIRROR_RULES = [
  // The ConfigMaps it mirrors: listed and watched, their finalizer added and removed (merge patches).
  { verbs: ['list', 'watch', 'patch'], apiGroups: [''], resources: ['configmaps'] },
  // The copies: made, brought back in line when the source changes, removed.
  { verbs: ['list', 'watch', 'create', 'patch', 'delete'], apiGroups: [''], resources: ['secrets'] },
  // Whether a target namespace exists.
  { verbs: ['list', 'watch'], apiGroups: [''], resources: ['namespaces'] },
];

describe('a Manager running as a ServiceAccount with a minimal role', () => {
  let server: ApiServer;
  let admin: KubeClient;
  before(async () => {
    server = await startApiServer({ secure: true });
    admin = clientOf(server.kubeconfig);
    for (const name of ['kloop-system', 'team-a', 'team-b']) {
      await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    await admin.create(serviceAccount('kloop-system', 'mirror'));
    await admin.create(roleObject('configmap-mirror', MIRROR_RULES));
    await admin.create(
      bindingObject('configmap-mirror', { kind: 'ClusterRole', name: 'configmap-mirror' }, [
        { kind: 'ServiceAccount', name: 'mirror', namespace: 'kloop-system' },
      ]),
    );
  });
  after(async () => {
    admin.close();
    await server.stop();
  });

  it('mirrors a ConfigMap into three Secrets and cleans them up, with no request refused', async () => {
    const token = await requestToken(admin, 'kloop-system', 'mirror');
    const mgr = new Manager({
      kubeconfig: server.kubeconfigFor({ token }),
      informerOptions: { reflector: { streamingList: false } },
      // This role is trimmed by hand below what the manager derives (no Events, no get, no
      // finalizers subresource: the mirror needs none of them), which the check at start refuses.
      rbacCheck: 'off',
    });
    mirrorController(mgr);
    await mgr.start();
    try {
      await admin.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          namespace: 'default',
          name: 'settings',
          labels: { [MIRROR_LABEL]: 'true' },
          annotations: { [MIRROR_TO]: 'team-a,team-b' },
        },
        data: { color: 'blue' },
      });
      const copies = await eventually(
        async () => {
          const list = await admin.list(Secret, { labelSelector: MIRROR_OF });
          return list.items.length === 3 ? list.items : undefined;
        },
        { message: 'the three mirrored Secrets' },
      );
      assert.deepEqual(copies.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).sort(), [
        'default/settings-mirror',
        'team-a/settings',
        'team-b/settings',
      ]);
      // The source changes: every copy follows (a patch of each).
      await admin.patch(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default', name: 'settings' } },
        { data: { color: 'green' } },
        { type: 'merge' },
      );
      const green = Buffer.from('green').toString('base64');
      await eventually(
        async () =>
          (await admin.list(Secret, { labelSelector: MIRROR_OF })).items.every(
            (s) => (s as { data?: Record<string, string> }).data?.color === green,
          ),
        { message: 'the copies to follow the new data' },
      );
      await admin.delete({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: 'default', name: 'settings' });
      await eventually(async () => (await admin.list(Secret, { labelSelector: MIRROR_OF })).items.length === 0, {
        message: 'the copies to be gone after the ConfigMap',
      });
    } finally {
      await mgr.stop();
    }
    const requests = server.audit({ user: OPERATOR });
    // Minimal: every verb the role grants was asked for and allowed (a superfluous grant fails
    // here; a missing one fails the 403 check below).
    for (const rule of MIRROR_RULES) {
      for (const verb of rule.verbs) {
        assert.ok(
          requests.some((e) => e.verb === verb && e.resource === rule.resources[0] && !e.denied),
          `${verb} ${rule.resources[0]} is granted but was never needed`,
        );
      }
    }
    for (const resource of ['configmaps', 'secrets', 'namespaces']) {
      assert.ok(
        requests.some((e) => e.verb === 'watch' && e.resource === resource && e.code === 200),
        `watch ${resource}`,
      );
    }
    assert.ok(requests.some((e) => e.verb === 'patch' && e.resource === 'configmaps' && e.name === 'settings'));
    assert.ok(requests.some((e) => e.verb === 'create' && e.resource === 'secrets' && e.namespace === 'team-a'));
    assert.deepEqual(
      requests.filter((e) => e.denied || e.code === 403 || e.code === 401),
      [],
      'the operator never needed more than its role',
    );
  });

  it('without its role, the same operator is refused and the audit says where', async () => {
    await admin.create(serviceAccount('kloop-system', 'unbound'));
    const token = await requestToken(admin, 'kloop-system', 'unbound');
    // Without the check at start (which would refuse to start: manager-rbac-check.test.ts), to
    // see what the API server answers the informers.
    const mgr = new Manager({ kubeconfig: server.kubeconfigFor({ token }), rbacCheck: 'off' });
    mirrorController(mgr);
    const started = mgr.start();
    try {
      const refused = await eventually(
        () => {
          const denied = server.audit({ user: 'system:serviceaccount:kloop-system:unbound', denied: true });
          return denied.length > 0 ? denied : undefined;
        },
        { message: 'a refused request of the unbound operator' },
      );
      assert.equal(refused[0].code, 403);
      assert.ok(['configmaps', 'secrets', 'namespaces'].includes(String(refused[0].resource)));
      assert.equal(refused[0].verb === 'list' || refused[0].verb === 'watch', true);
    } finally {
      await mgr.stop();
      await started.catch(() => {});
    }
  });
});
