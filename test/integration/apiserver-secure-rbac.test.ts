// The secure emulator's authorization over HTTPS with kloop's client: RBAC rules with
// resourceNames, subresources and nonResourceURLs, ClusterRole aggregation, the exact 403s, the
// access reviews (SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectAccessReview,
// SelfSubjectRulesReview), escalation prevention on roles and bindings, and impersonation.
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { decodeKubernetesProtobuf } from '../../src/apiserver/codec/protobuf-codec.js';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { ApiError, ClusterRole, ConfigMap, type KubeClient, type KubeObject, Pod, Secret } from '../../src/index.js';
import { eventually } from '../support/index.js';
import { bindingObject, call, caOf, clientOf, roleObject, serviceAccount, whoami } from './secure-helpers.js';

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

  it('a user who may only watch gets a watch, never a list, however ?watch is spelled', async () => {
    await admin.create(
      roleObject('cm-watcher', [{ verbs: ['watch'], apiGroups: [''], resources: ['configmaps'] }], 'other'),
    );
    await admin.create(
      bindingObject('wanda-watches', { kind: 'Role', name: 'cm-watcher' }, [{ kind: 'User', name: 'wanda' }], 'other'),
    );
    await admin.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'other', name: 'watched' } });
    const wanda = track(clientOf(server.kubeconfigFor({ username: 'wanda' })));
    for (const query of ['watch=true', 'watch=TRUE', 'watch=True', 'watch=', 'watch=yes']) {
      const res = await wanda.transport.stream({ method: 'GET', path: `/api/v1/namespaces/other/configmaps?${query}` });
      const first = await new Promise<string>((resolve, reject) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          if (text.includes('\n') || (res.statusCode ?? 0) !== 200) resolve(text.split('\n')[0]);
        });
        res.on('end', () => resolve(text));
        res.on('error', reject);
      });
      res.destroy();
      assert.equal(res.statusCode, 200, `${query}: ${first}`);
      assert.equal(JSON.parse(first).type, 'ADDED', `?${query} served ${first.slice(0, 80)}`);
    }
    const listed = await call(wanda, 'GET', '/api/v1/namespaces/other/configmaps?watch=false');
    assert.equal(listed.status, 403);
  });

  it('server-side apply that would create the object needs create, not just patch', async () => {
    await admin.create(
      roleObject('cm-patcher', [{ verbs: ['get', 'patch'], apiGroups: [''], resources: ['configmaps'] }], 'other'),
    );
    await admin.create(
      bindingObject('pat-patches', { kind: 'Role', name: 'cm-patcher' }, [{ kind: 'User', name: 'pat' }], 'other'),
    );
    await admin.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'other', name: 'existing' } });
    const pat = track(clientOf(server.kubeconfigFor({ username: 'pat' })));
    const apply = (name: string) =>
      call<{ message?: string; details?: unknown }>(
        pat,
        'PATCH',
        `/api/v1/namespaces/other/configmaps/${name}?fieldManager=pat`,
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } },
        'application/apply-patch+yaml',
      );
    assert.equal((await apply('existing')).status, 200);
    const created = await apply('brand-new');
    assert.equal(created.status, 403, JSON.stringify(created.body));
    // handlers/rest.go withAuthorization: NewForbidden with RBAC's (empty) reason.
    assert.equal(created.body.message, 'configmaps "brand-new" is forbidden: ');
    assert.deepEqual(created.body.details, { name: 'brand-new', kind: 'configmaps' });
    assert.equal((await call(admin, 'GET', '/api/v1/namespaces/other/configmaps/brand-new')).status, 404);
  });

  it('a slash escaped in a namespace never reaches another resource', async () => {
    await admin.create(roleObject('ns-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['namespaces'] }]));
    await admin.create(
      bindingObject('nina-reads-ns', { kind: 'ClusterRole', name: 'ns-reader' }, [{ kind: 'User', name: 'nina' }]),
    );
    const nina = track(clientOf(server.kubeconfigFor({ username: 'nina' })));
    assert.equal((await call(nina, 'GET', '/api/v1/namespaces/team')).status, 200);
    const escaped = await call<{ kind: string }>(nina, 'GET', '/api/v1/namespaces/team%2Fsecrets');
    assert.notEqual(escaped.body.kind, 'SecretList');
    assert.ok(escaped.status === 403 || escaped.status === 404, String(escaped.status));
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
    // Labels are what aggregation follows: one taken off drops the rules, put back brings them.
    const relabel = (labels: Record<string, string | null>) =>
      call(
        admin,
        'PATCH',
        '/apis/rbac.authorization.k8s.io/v1/clusterroles/team-a-leases',
        { metadata: { labels } },
        'application/merge-patch+json',
      );
    await relabel({ team: null });
    await eventually(async () => (await rulesOf()).length === 0, { message: 'team-a-all to drop the unlabelled role' });
    await relabel({ team: 'a' });
    await eventually(async () => (await rulesOf()).length === 1, { message: 'team-a-all to gather it again' });
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

  it("SelfSubjectRulesReview of system:masters lists RBAC's rules once (the privileged group adds none)", async () => {
    const res = await call<{ status: { resourceRules: unknown[]; nonResourceRules: unknown[] } }>(
      admin,
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
      { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'team' } },
    );
    assert.equal(res.status, 201);
    const all = JSON.stringify({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
    assert.equal(res.body.status.resourceRules.filter((r) => JSON.stringify(r) === all).length, 1);
    const anyUrl = JSON.stringify({ verbs: ['*'], nonResourceURLs: ['*'] });
    assert.equal(res.body.status.nonResourceRules.filter((r) => JSON.stringify(r) === anyUrl).length, 1);
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

    it('updates, patches of every kind and server-side applies are checked as creates are', async () => {
      await admin.create(
        roleObject(
          'rbac-patcher',
          [{ verbs: ['patch'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'] }],
          'team',
        ),
      );
      await admin.create(
        bindingObject(
          'carol-patches',
          { kind: 'Role', name: 'rbac-patcher' },
          [{ kind: 'User', name: 'carol' }],
          'team',
        ),
      );
      const path = '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles';
      const more = { verbs: ['delete'], apiGroups: [''], resources: ['configmaps'] };
      const current = await call<KubeObject>(carol, 'GET', `${path}/cm-reader`);
      const attempts: [string, Promise<{ status: number; body: { message?: string } }>][] = [
        ['update', call(carol, 'PUT', `${path}/cm-reader`, { ...current.body, rules: [more] })],
        [
          'json patch',
          call(
            carol,
            'PATCH',
            `${path}/cm-reader`,
            [{ op: 'add', path: '/rules/-', value: more }],
            'application/json-patch+json',
          ),
        ],
        ['merge patch', call(carol, 'PATCH', `${path}/cm-reader`, { rules: [more] }, 'application/merge-patch+json')],
        [
          'strategic merge patch',
          call(carol, 'PATCH', `${path}/cm-reader`, { rules: [more] }, 'application/strategic-merge-patch+json'),
        ],
        [
          'apply',
          call(
            carol,
            'PATCH',
            `${path}/cm-reader?fieldManager=carol&force=true`,
            roleObject('cm-reader', [more], 'team'),
            'application/apply-patch+yaml',
          ),
        ],
        [
          'apply that creates',
          call(
            carol,
            'PATCH',
            `${path}/applied?fieldManager=carol`,
            roleObject('applied', [more], 'team'),
            'application/apply-patch+yaml',
          ),
        ],
      ];
      for (const [what, attempt] of attempts) {
        const res = await attempt;
        assert.equal(res.status, 403, `${what}: ${JSON.stringify(res.body)}`);
        assert.match(
          res.body.message ?? '',
          /is forbidden: user "carol" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["configmaps"\], Verbs:\["delete"\]\}$/,
          what,
        );
      }
      assert.deepEqual((await call<{ rules: unknown }>(admin, 'GET', `${path}/cm-reader`)).body.rules, [
        { verbs: ['get'], apiGroups: [''], resources: ['configmaps'] },
      ]);
      // A change of labels only is no grant: allowed.
      const labelled = await call(
        carol,
        'PATCH',
        `${path}/cm-reader`,
        { metadata: { labels: { a: 'b' } } },
        'application/merge-patch+json',
      );
      assert.equal(labelled.status, 200);
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

    it('each part is checked on its own: a user allowed is no licence for groups, a uid or extras', async () => {
      // bob may impersonate jane (granted above), nothing else.
      const bobAs = (extra: Record<string, unknown>) =>
        track(
          clientOf({
            ...server.kubeconfigFor({ token: 'bob' }),
            users: [{ name: 'kloop', user: { token: 'bob', as: 'jane', ...extra } }],
          }),
        );
      const refusal = async (client: KubeClient) => {
        const res = await call<{ message: string }>(client, 'GET', '/api/v1/namespaces/team/configmaps');
        assert.equal(res.status, 403);
        return res.body.message;
      };
      assert.equal(
        await refusal(bobAs({ 'as-groups': ['system:masters'] })),
        'groups "system:masters" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope',
      );
      assert.equal(
        await refusal(bobAs({ 'as-uid': 'u-1' })),
        'uids.authentication.k8s.io "u-1" is forbidden: User "bob" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope',
      );
      assert.equal(
        await refusal(bobAs({ 'as-user-extra': { scopes: ['admin'] } })),
        'userextras.authentication.k8s.io "admin" is forbidden: User "bob" cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope',
      );
      await admin.create(
        roleObject('impersonate-everything-of-jane', [
          { verbs: ['impersonate'], apiGroups: [''], resources: ['groups'], resourceNames: ['qa'] },
          { verbs: ['impersonate'], apiGroups: ['authentication.k8s.io'], resources: ['uids'], resourceNames: ['u-1'] },
          { verbs: ['impersonate'], apiGroups: ['authentication.k8s.io'], resources: ['userextras/scopes'] },
        ]),
      );
      await admin.create(
        bindingObject('bob-impersonates-more', { kind: 'ClusterRole', name: 'impersonate-everything-of-jane' }, [
          { kind: 'User', name: 'bob' },
        ]),
      );
      assert.deepEqual(
        await whoami(bobAs({ 'as-groups': ['qa'], 'as-uid': 'u-1', 'as-user-extra': { scopes: ['admin'] } })),
        {
          username: 'jane',
          uid: 'u-1',
          groups: ['qa', 'system:authenticated'],
          extra: { scopes: ['admin'] },
        },
      );
    });

    it('groups without a user are a 400', async () => {
      const res = await fetchWithAdmin(server, '/api', { 'Impersonate-Group': 'devs' });
      assert.equal(res.status, 400);
      assert.match(res.body, /requested \[\{Group {2}devs {4}\}\] without impersonating a user/);
    });
  });

  it('authorizes the path it routes, as sent: a dot segment is a name, never a way to the namespace', async () => {
    await admin.create(
      roleObject('dots-cm-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }], 'other'),
    );
    await admin.create(
      bindingObject(
        'bob-reads-other-cm',
        { kind: 'Role', name: 'dots-cm-reader' },
        [{ kind: 'User', name: 'bob' }],
        'other',
      ),
    );
    // Authorized as get configmaps ".." in other, then refused by name as upstream refuses it.
    for (const path of ['/api/v1/namespaces/other/configmaps/%2E%2E', '/api/v1/namespaces/other/configmaps/..']) {
      const dots = await rawWithToken(server, 'bob', path);
      assert.equal(dots.status, 400, `${path}: ${dots.body.toString()}`);
      assert.match(dots.body.toString(), /Name parameter invalid: \\"..\\": may not be '..'/);
    }
    // The namespace itself stays out of reach.
    assert.equal((await rawWithToken(server, 'bob', '/api/v1/namespaces/other')).status, 403);
  });

  it('refusals come in the encoding Accept asks for (a protobuf Status)', async () => {
    const refused = await rawWithToken(server, 'bob', '/api/v1/namespaces/other/secrets', {
      accept: 'application/vnd.kubernetes.protobuf, application/json',
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.type, 'application/vnd.kubernetes.protobuf');
    const status = decodeKubernetesProtobuf(refused.body);
    assert.equal(status.kind, 'Status');
    assert.match(
      String(status.message),
      /^secrets is forbidden: User "bob" cannot list resource "secrets" in API group "" in the namespace "other"/,
    );
  });
});

/** A raw HTTPS GET with a bearer token; the path is sent exactly as given (no URL normalisation). */
function rawWithToken(
  server: ApiServer,
  token: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; body: Buffer }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: hostname,
        port,
        path,
        ca: caOf(server),
        headers: { authorization: `Bearer ${token}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type']),
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

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
