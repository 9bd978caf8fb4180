// The secure emulator's authorization over HTTPS with kloop's client: RBAC rules with
// resourceNames, subresources and nonResourceURLs, ClusterRole aggregation, the exact 403s, the
// access reviews (SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectAccessReview,
// SelfSubjectRulesReview), escalation prevention on roles and bindings, and impersonation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { ApiError, ClusterRole, ConfigMap, type KubeClient, type KubeObject, Pod, Secret } from '../../src/index.js';
import { eventually } from '../support/index.js';
import { bindingObject, call, clientOf, roleObject, serviceAccount, whoami } from './secure-helpers.js';

interface Review {
  status: { allowed: boolean; reason?: string };
}

describe('secure emulator: RBAC', () => {
  let server: ApiServer;
  let admin: KubeClient;
  let bob: KubeClient;
  const clients: KubeClient[] = [];
  const track = (c: KubeClient) => {
    clients.push(c);
    return c;
  };
  /** A SubjectAccessReview for `user` (asked by the admin). */
  const sar = async (user: string, attributes: Record<string, unknown>, nonResource = false): Promise<Review> => {
    const res = await call<Review>(admin, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user,
        groups: ['system:authenticated'],
        [nonResource ? 'nonResourceAttributes' : 'resourceAttributes']: attributes,
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };

  before(async () => {
    server = await startApiServer({
      secure: { tokens: [{ token: 'bob', username: 'bob', groups: ['ops'] }] },
    });
    admin = track(clientOf(server.kubeconfig));
    bob = track(clientOf(server.kubeconfigFor({ token: 'bob' })));
    for (const name of ['team', 'other'])
      await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  it('a forbidden request is a 403 with the real message, for lists, names, groups and the cluster scope', async () => {
    await assert.rejects(bob.list(Pod, { namespace: 'team' }), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.deepEqual(err.status, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "team"',
        reason: 'Forbidden',
        code: 403,
        details: { kind: 'pods' },
      });
      return true;
    });
    const named = await call(bob, 'GET', '/api/v1/namespaces/team/pods/p1');
    assert.equal(
      (named.body as { message: string }).message,
      'pods "p1" is forbidden: User "bob" cannot get resource "pods" in API group "" in the namespace "team"',
    );
    const grouped = await call(bob, 'GET', '/apis/apps/v1/deployments');
    assert.equal(
      (grouped.body as { message: string }).message,
      'deployments.apps is forbidden: User "bob" cannot list resource "deployments" in API group "apps" at the cluster scope',
    );
    assert.deepEqual((grouped.body as { details: unknown }).details, { group: 'apps', kind: 'deployments' });
  });

  it('resourceNames allow the named object only; a list pinned by field selector counts as that name', async () => {
    await admin.create(
      roleObject(
        'one-config',
        [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'] }],
        'team',
      ),
    );
    await admin.create(
      bindingObject('bob-one-config', { kind: 'Role', name: 'one-config' }, [{ kind: 'User', name: 'bob' }], 'team'),
    );
    for (const name of ['settings', 'secret-ish'])
      await admin.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'team', name } });
    assert.equal((await bob.get(ConfigMap, { namespace: 'team', name: 'settings' })).metadata.name, 'settings');
    await assert.rejects(
      bob.get(ConfigMap, { namespace: 'team', name: 'secret-ish' }),
      (e: unknown) => e instanceof ApiError && e.statusCode === 403,
    );
    await assert.rejects(
      bob.list(ConfigMap, { namespace: 'team' }),
      (e: unknown) => e instanceof ApiError && e.statusCode === 403,
    );
    const pinned = await bob.list(ConfigMap, { namespace: 'team', fieldSelector: 'metadata.name=settings' });
    assert.deepEqual(
      pinned.items.map((i) => i.metadata.name),
      ['settings'],
    );
    await assert.rejects(
      bob.get(ConfigMap, { namespace: 'other', name: 'settings' }),
      (e: unknown) => e instanceof ApiError && e.statusCode === 403,
    );
  });

  it('subresources are their own resources: deployments/scale without deployments', async () => {
    await admin.create(
      roleObject(
        'scaler',
        [{ verbs: ['get', 'update'], apiGroups: ['apps'], resources: ['deployments/scale'] }],
        'team',
      ),
    );
    await admin.create(
      bindingObject('bob-scaler', { kind: 'Role', name: 'scaler' }, [{ kind: 'User', name: 'bob' }], 'team'),
    );
    await admin.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { namespace: 'team', name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      },
    });
    assert.equal((await call(bob, 'GET', '/apis/apps/v1/namespaces/team/deployments/web/scale')).status, 200);
    const main = await call(bob, 'GET', '/apis/apps/v1/namespaces/team/deployments/web');
    assert.equal(main.status, 403);
    const status = await call(bob, 'GET', '/apis/apps/v1/namespaces/team/deployments/web/status');
    assert.equal(
      (status.body as { message: string }).message,
      'deployments.apps "web" is forbidden: User "bob" cannot get resource "deployments/status" in API group "apps" in the namespace "team"',
    );
  });

  it('nonResourceURLs: exact and prefix', async () => {
    await admin.create(roleObject('metrics', [{ verbs: ['get'], nonResourceURLs: ['/metrics', '/debug/*'] }]));
    await admin.create(
      bindingObject('bob-metrics', { kind: 'ClusterRole', name: 'metrics' }, [{ kind: 'User', name: 'bob' }]),
    );
    assert.equal((await sar('bob', { verb: 'get', path: '/metrics' }, true)).status.allowed, true);
    assert.equal((await sar('bob', { verb: 'get', path: '/debug/pprof/heap' }, true)).status.allowed, true);
    assert.equal((await sar('bob', { verb: 'get', path: '/metrics/slis' }, true)).status.allowed, false);
    assert.equal((await sar('bob', { verb: 'post', path: '/metrics' }, true)).status.allowed, false);
  });

  it('ClusterRole aggregation fills admin, edit and view, and user-defined aggregated roles', async () => {
    const view = await admin.get(ClusterRole, { name: 'view' });
    assert.ok((view.rules ?? []).length > 5, 'view is aggregated at start');
    await admin.create(
      roleObject(
        'widgets-view',
        [{ verbs: ['get', 'list', 'watch'], apiGroups: ['example.com'], resources: ['widgets'] }],
        undefined,
        {
          metadata: { name: 'widgets-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
        },
      ),
    );
    for (const name of ['view', 'edit', 'admin']) {
      await eventually(
        async () => {
          const role = await admin.get(ClusterRole, { name });
          return (role.rules ?? []).some((r) => r.resources?.includes('widgets'));
        },
        { message: `${name} to hold the widgets rule` },
      );
    }
    await admin.create(
      bindingObject('bob-view', { kind: 'ClusterRole', name: 'view' }, [{ kind: 'User', name: 'bob' }], 'team'),
    );
    const review = await sar('bob', { verb: 'list', group: 'example.com', resource: 'widgets', namespace: 'team' });
    assert.deepEqual(review.status, {
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "bob-view/team" of ClusterRole "view" to User "bob"',
    });
    assert.equal(
      (await sar('bob', { verb: 'delete', group: 'example.com', resource: 'widgets', namespace: 'team' })).status
        .allowed,
      false,
    );
    // An aggregated role of one's own, and what happens when a source role goes.
    await admin.create(
      roleObject('team-a-all', [], undefined, {
        aggregationRule: { clusterRoleSelectors: [{ matchLabels: { team: 'a' } }] },
      }),
    );
    await admin.create(
      roleObject(
        'team-a-leases',
        [{ verbs: ['get'], apiGroups: ['coordination.k8s.io'], resources: ['leases'] }],
        undefined,
        {
          metadata: { name: 'team-a-leases', labels: { team: 'a' } },
        },
      ),
    );
    const rulesOf = async () =>
      (await admin.get<KubeObject & { rules?: unknown[] }>(ClusterRole, { name: 'team-a-all' })).rules ?? [];
    await eventually(async () => (await rulesOf()).length === 1, { message: 'team-a-all to gather team-a-leases' });
    await admin.delete(ClusterRole, { name: 'team-a-leases' });
    await eventually(async () => (await rulesOf()).length === 0, { message: 'team-a-all to drop the deleted role' });
  });

  it('a binding to a role that does not exist: the 403 says so', async () => {
    await admin.create(
      bindingObject('ghost', { kind: 'Role', name: 'ghost-role' }, [{ kind: 'User', name: 'bob' }], 'other'),
    );
    const res = await call(bob, 'GET', '/api/v1/namespaces/other/secrets');
    assert.equal(
      (res.body as { message: string }).message,
      'secrets is forbidden: User "bob" cannot list resource "secrets" in API group "" in the namespace "other": RBAC: role.rbac.authorization.k8s.io "ghost-role" not found',
    );
  });

  it('SelfSubjectAccessReview, SelfSubjectRulesReview and LocalSubjectAccessReview', async () => {
    const ssar = await call<Review>(bob, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      spec: { resourceAttributes: { verb: 'get', resource: 'configmaps', namespace: 'team', name: 'settings' } },
    });
    assert.equal(ssar.body.status.allowed, true);
    const ssrr = await call<{
      status: { resourceRules: { resources: string[]; resourceNames?: string[] }[]; incomplete: boolean };
    }>(bob, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { spec: { namespace: 'team' } });
    assert.equal(ssrr.status, 201);
    assert.equal(ssrr.body.status.incomplete, false);
    assert.ok(
      ssrr.body.status.resourceRules.some(
        (r) => r.resources.includes('configmaps') && r.resourceNames?.[0] === 'settings',
      ),
    );
    const lsar = await call<Review>(
      admin,
      'POST',
      '/apis/authorization.k8s.io/v1/namespaces/team/localsubjectaccessreviews',
      {
        spec: {
          user: 'bob',
          resourceAttributes: { verb: 'get', resource: 'configmaps', namespace: 'team', name: 'settings' },
        },
      },
    );
    assert.equal(lsar.status, 201);
    assert.equal(lsar.body.status.allowed, true);
    const mismatch = await call(
      admin,
      'POST',
      '/apis/authorization.k8s.io/v1/namespaces/team/localsubjectaccessreviews',
      {
        spec: { user: 'bob', resourceAttributes: { verb: 'get', resource: 'configmaps', namespace: 'other' } },
      },
    );
    assert.equal(mismatch.status, 400);
    const nobody = await call<{ message: string }>(
      admin,
      'POST',
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      {
        spec: { resourceAttributes: { verb: 'get', resource: 'pods' } },
      },
    );
    assert.equal(nobody.status, 422);
    assert.equal(
      nobody.body.message,
      'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
    );
    const both = await call(bob, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { spec: {} });
    assert.equal(both.status, 422);
    // bob may not ask about others.
    assert.equal(
      (await call(bob, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { spec: { user: 'x' } })).status,
      403,
    );
  });

  describe('escalation prevention', () => {
    let carol: KubeClient;
    before(async () => {
      carol = track(clientOf(server.kubeconfigFor({ username: 'carol' })));
      await admin.create(
        roleObject(
          'rbac-manager',
          [
            {
              verbs: ['create', 'update', 'get'],
              apiGroups: ['rbac.authorization.k8s.io'],
              resources: ['roles', 'rolebindings'],
            },
            { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'] },
          ],
          'team',
        ),
      );
      await admin.create(
        bindingObject('carol-rbac', { kind: 'Role', name: 'rbac-manager' }, [{ kind: 'User', name: 'carol' }], 'team'),
      );
    });

    it('a role with rules the user holds is fine; one with more is refused with the missing rules', async () => {
      await carol.create(
        roleObject('cm-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }], 'team'),
      );
      await assert.rejects(
        carol.create(
          roleObject(
            'too-much',
            [{ verbs: ['get', 'delete', 'create'], apiGroups: [''], resources: ['pods', 'configmaps'] }],
            'team',
          ),
        ),
        (err: unknown) => {
          assert.ok(err instanceof ApiError);
          assert.equal(err.statusCode, 403);
          assert.equal(
            err.message,
            'roles.rbac.authorization.k8s.io "too-much" is forbidden: user "carol" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
              '{APIGroups:[""], Resources:["configmaps"], Verbs:["delete" "create"]}\n' +
              '{APIGroups:[""], Resources:["pods"], Verbs:["get" "delete" "create"]}',
          );
          assert.deepEqual(err.status.details, { name: 'too-much', group: 'rbac.authorization.k8s.io', kind: 'roles' });
          return true;
        },
      );
    });

    it('binding a role needs its rules or the bind verb', async () => {
      await carol.create(
        bindingObject('x-reads', { kind: 'Role', name: 'cm-reader' }, [{ kind: 'User', name: 'x' }], 'team'),
      );
      await assert.rejects(
        carol.create(
          bindingObject('x-edits', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'User', name: 'x' }], 'team'),
        ),
        (err: unknown) =>
          err instanceof ApiError &&
          err.statusCode === 403 &&
          /^rolebindings.rbac.authorization.k8s.io "x-edits" is forbidden: user "carol"/.test(err.message),
      );
      await admin.create(
        roleObject(
          'bind-edit',
          [
            {
              verbs: ['bind'],
              apiGroups: ['rbac.authorization.k8s.io'],
              resources: ['clusterroles'],
              resourceNames: ['edit'],
            },
          ],
          'team',
        ),
      );
      await admin.create(
        bindingObject(
          'carol-bind-edit',
          { kind: 'Role', name: 'bind-edit' },
          [{ kind: 'User', name: 'carol' }],
          'team',
        ),
      );
      await carol.create(
        bindingObject('x-edits', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'User', name: 'x' }], 'team'),
      );
      const missing = await call<{ message: string }>(
        carol,
        'POST',
        '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings',
        bindingObject('x-ghost', { kind: 'Role', name: 'nope' }, [{ kind: 'User', name: 'x' }], 'team'),
      );
      assert.equal(missing.status, 403);
      assert.equal(
        missing.body.message,
        'rolebindings.rbac.authorization.k8s.io "x-ghost" is forbidden: role.rbac.authorization.k8s.io "nope" not found',
      );
    });

    it('the escalate verb lifts the check; system:masters needs neither', async () => {
      await admin.create(
        roleObject(
          'escalator',
          [{ verbs: ['escalate'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'] }],
          'team',
        ),
      );
      await admin.create(
        bindingObject(
          'carol-escalates',
          { kind: 'Role', name: 'escalator' },
          [{ kind: 'User', name: 'carol' }],
          'team',
        ),
      );
      await carol.create(roleObject('too-much', [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }], 'team'));
      await admin.create(roleObject('anything', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], 'team'));
    });
  });

  describe('impersonation', () => {
    it('the admin acts as bob (kubectl --as)', async () => {
      const asBob = track(
        clientOf({
          ...server.kubeconfig,
          users: [{ name: 'kloop', user: { ...server.kubeconfig.users[0].user, as: 'bob', 'as-groups': ['ops'] } }],
        }),
      );
      assert.deepEqual(await whoami(asBob), { username: 'bob', groups: ['ops', 'system:authenticated'] });
      await assert.rejects(
        asBob.list(Secret, { namespace: 'team' }),
        (e: unknown) => e instanceof ApiError && e.statusCode === 403,
      );
      const entry = server.audit({ user: 'bob', resource: 'secrets' }).at(-1);
      assert.equal(entry?.impersonatedBy, 'kloop-admin');
      assert.equal(entry?.denied, true);
    });

    it('bob may not impersonate until allowed; a ServiceAccount brings its groups', async () => {
      const bobAsJane = track(
        clientOf({
          ...server.kubeconfigFor({ token: 'bob' }),
          users: [{ name: 'kloop', user: { token: 'bob', as: 'jane' } }],
        }),
      );
      const refused = await call<{ message: string; details: unknown }>(
        bobAsJane,
        'GET',
        '/api/v1/namespaces/team/configmaps',
      );
      assert.equal(refused.status, 403);
      assert.equal(
        refused.body.message,
        'users "jane" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope',
      );
      assert.deepEqual(refused.body.details, { name: 'jane', kind: 'users' });
      await admin.create(
        roleObject('impersonate-jane', [
          { verbs: ['impersonate'], apiGroups: [''], resources: ['users'], resourceNames: ['jane'] },
        ]),
      );
      await admin.create(
        bindingObject('bob-impersonates', { kind: 'ClusterRole', name: 'impersonate-jane' }, [
          { kind: 'User', name: 'bob' },
        ]),
      );
      assert.deepEqual(await whoami(bobAsJane), { username: 'jane', groups: ['system:authenticated'] });
      await admin.create(serviceAccount('team', 'robot'));
      const asRobot = track(
        clientOf({
          ...server.kubeconfig,
          users: [
            { name: 'kloop', user: { ...server.kubeconfig.users[0].user, as: 'system:serviceaccount:team:robot' } },
          ],
        }),
      );
      assert.deepEqual((await whoami(asRobot)).groups, [
        'system:serviceaccounts',
        'system:serviceaccounts:team',
        'system:authenticated',
      ]);
    });

    it('groups without a user are a 400', async () => {
      const res = await fetchWithAdmin(server, '/api', { 'Impersonate-Group': 'devs' });
      assert.equal(res.status, 400);
      assert.match(res.body, /requested \[\{Group devs\}\] without impersonating a user/);
    });
  });
});

/** A raw HTTPS GET with the admin's certificate and extra headers. */
async function fetchWithAdmin(
  server: ApiServer,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const https = await import('node:https');
  const { user } = server.kubeconfig.users[0];
  const decode = (v: string | undefined) => Buffer.from(v ?? '', 'base64').toString();
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${server.url}${path}`,
      {
        ca: decode(server.kubeconfig.clusters[0].cluster['certificate-authority-data']),
        cert: decode(user['client-certificate-data']),
        key: decode(user['client-key-data']),
        headers,
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
