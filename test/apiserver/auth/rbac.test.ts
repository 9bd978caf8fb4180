// RBAC as the API server evaluates it, against tables of cases: request attributes from URLs,
// rule matching (verbs, groups, `*`, subresources, resourceNames, nonResourceURLs), bindings and
// their subjects, the reasons given, escalation coverage and its message, and impersonation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Attributes, type RequestAttributes, requestAttributes } from '../../../src/apiserver/auth/attributes.js';
import { impersonationOf } from '../../../src/apiserver/auth/impersonation.js';
import { RbacAuthorizer, type RbacSource } from '../../../src/apiserver/auth/rbac.js';
import { forbiddenError } from '../../../src/apiserver/auth/refusals.js';
import { compactRules, compactString, covers, ruleAllows } from '../../../src/apiserver/auth/rules.js';
import { parsePath } from '../../../src/apiserver/http/routes.js';
import type { PolicyRule, UserInfo } from '../../../src/apiserver/index.js';
import { verbOf } from '../../../src/apiserver/server.js';
import type { KubeObject } from '../../../src/core/index.js';

const res = (
  verb: string,
  resource: string,
  more: Partial<Omit<Extract<RequestAttributes, { kind: 'resource' }>, 'kind'>> = {},
): RequestAttributes => ({
  kind: 'resource',
  verb,
  apiGroup: '',
  apiVersion: 'v1',
  resource,
  subresource: '',
  namespace: 'default',
  name: '',
  ...more,
});
const path = (verb: string, p: string): RequestAttributes => ({ kind: 'path', verb, path: p });

describe('request attributes', () => {
  const cases: [string, string, string, Partial<RequestAttributes> & { kind: 'resource' | 'path' }][] = [
    [
      'GET',
      '/api/v1/namespaces/default/pods',
      '',
      { kind: 'resource', verb: 'list', resource: 'pods', namespace: 'default' },
    ],
    ['GET', '/api/v1/namespaces/default/pods', 'watch=true', { kind: 'resource', verb: 'watch' }],
    ['GET', '/api/v1/namespaces/default/pods', 'watch=', { kind: 'resource', verb: 'watch' }],
    ['GET', '/api/v1/namespaces/default/pods', 'watch=false', { kind: 'resource', verb: 'list' }],
    ['GET', '/api/v1/watch/namespaces/default/pods', '', { kind: 'resource', verb: 'watch', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/default/pods/p1', '', { kind: 'resource', verb: 'get', name: 'p1' }],
    ['GET', '/api/v1/namespaces/default/pods/p1/log', '', { kind: 'resource', verb: 'get', subresource: 'log' }],
    [
      'GET',
      '/api/v1/namespaces/default/configmaps',
      'fieldSelector=metadata.name%3Dsettings&watch=1',
      { kind: 'resource', verb: 'watch', name: 'settings' },
    ],
    [
      'GET',
      '/api/v1/namespaces/default/configmaps',
      'fieldSelector=metadata.name%3Da,metadata.name%3Db',
      { kind: 'resource', verb: 'list', name: 'a' },
    ],
    [
      'GET',
      '/api/v1/namespaces/default/configmaps',
      'fieldSelector=metadata.name%21%3Da',
      { kind: 'resource', verb: 'list', name: '' },
    ],
    [
      'GET',
      '/api/v1/namespaces/default%2Fsecrets',
      '',
      { kind: 'resource', verb: 'list', resource: 'secrets', namespace: 'default', name: '' },
    ],
    ['DELETE', '/api/v1/namespaces/default/pods', '', { kind: 'resource', verb: 'deletecollection' }],
    ['DELETE', '/api/v1/namespaces/default/pods/p', '', { kind: 'resource', verb: 'delete', name: 'p' }],
    ['POST', '/api/v1/namespaces/default/pods', '', { kind: 'resource', verb: 'create', name: '' }],
    [
      'PATCH',
      '/apis/apps/v1/namespaces/x/deployments/web/scale',
      '',
      { kind: 'resource', verb: 'patch', apiGroup: 'apps', subresource: 'scale' },
    ],
    [
      'GET',
      '/api/v1/namespaces/foo',
      '',
      { kind: 'resource', verb: 'get', resource: 'namespaces', name: 'foo', namespace: 'foo' },
    ],
    [
      'PUT',
      '/api/v1/namespaces/foo/finalize',
      '',
      { kind: 'resource', resource: 'namespaces', subresource: 'finalize', namespace: 'foo' },
    ],
    ['GET', '/api/v1/namespaces', '', { kind: 'resource', verb: 'list', resource: 'namespaces', namespace: '' }],
    [
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/view',
      '',
      { kind: 'resource', namespace: '', name: 'view' },
    ],
    ['GET', '/api', '', { kind: 'path', verb: 'get', path: '/api' }],
    ['GET', '/api/v1', '', { kind: 'path', path: '/api/v1' }],
    ['GET', '/apis/apps/v1', '', { kind: 'path', path: '/apis/apps/v1' }],
    ['GET', '/version', '', { kind: 'path', path: '/version' }],
    ['POST', '/healthz', '', { kind: 'path', verb: 'post' }],
    // The raw path, as the router reads it: escapes decoded, then split; dot segments are names.
    [
      'GET',
      '/api/v1/namespaces/team/configmaps/%2E%2E',
      '',
      { kind: 'resource', verb: 'get', resource: 'configmaps', namespace: 'team', name: '..' },
    ],
    [
      'GET',
      '/api/v1/namespaces/team/configmaps/..',
      '',
      { kind: 'resource', verb: 'get', resource: 'configmaps', namespace: 'team', name: '..' },
    ],
    [
      'GET',
      '/api/v1/namespaces/team/configmaps/a%2Fstatus',
      '',
      { kind: 'resource', name: 'a', subresource: 'status' },
    ],
    ['GET', '/api/v1/namespaces/default/pods', 'watch=True', { kind: 'resource', verb: 'watch' }],
    ['GET', '/api/v1/namespaces/default/pods', 'watch=FaLsE', { kind: 'resource', verb: 'list' }],
    ['GET', '/api/v1/namespaces/%zz', '', { kind: 'path', path: '/api/v1/namespaces/%zz' }],
    ['GET', '/openapi/v3/apis/apps/v1', 'hash=AB', { kind: 'path', path: '/openapi/v3/apis/apps/v1' }],
  ];
  for (const [method, p, query, want] of cases) {
    it(`${method} ${p}${query ? `?${query}` : ''}`, () => {
      const got = requestAttributes(method, p, new URLSearchParams(query));
      for (const [k, v] of Object.entries(want)) assert.equal((got as unknown as Record<string, unknown>)[k], v, k);
    });
  }
});

describe('the router and the authorizer read a request alike', () => {
  // The authorizer decides on its reading of the request; the router serves its own. Where the
  // two differ, a user allowed one thing gets another (a list for a watch-only user).
  const cases: [string, string, string][] = [];
  for (const query of ['watch=true', 'watch=TRUE', 'watch=True', 'watch=', 'watch', 'watch=1', 'watch=yes']) {
    cases.push(['GET', '/api/v1/namespaces/default/configmaps', query]);
    cases.push(['GET', '/api/v1/namespaces/default/configmaps/a', query]);
  }
  for (const query of ['watch=false', 'watch=FALSE', 'watch=0', '']) {
    cases.push(['GET', '/api/v1/namespaces/default/configmaps', query]);
    cases.push(['GET', '/api/v1/namespaces/default/configmaps/a', query]);
  }
  cases.push(['GET', '/api/v1/watch/namespaces/default/configmaps/a', '']);
  cases.push(['GET', '/apis/apps/v1/watch/deployments', 'watch=false']);
  cases.push(['DELETE', '/api/v1/namespaces/default/configmaps', '']);
  cases.push(['POST', '/api/v1/namespaces/default/pods/p/binding', '']);
  cases.push(['PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', '']);
  cases.push(['PUT', '/api/v1/namespaces/team/status', '']);
  cases.push(['GET', '/api/v1/namespaces/team', '']);
  cases.push(['GET', '/apis/example.com/v1/widgets', '']);
  cases.push(['DELETE', '/apis/example.com/v1/namespaces/a/widgets/w', '']);
  cases.push(['GET', '/api/v1/namespaces/a/configmaps/', '']);
  for (const [method, p, query] of cases) {
    it(`${method} ${p}?${query}`, () => {
      const target = parsePath(p);
      assert.equal(target.kind, 'resource');
      if (target.kind !== 'resource') return;
      const q = new URLSearchParams(query);
      const routed = target.subresource === 'binding' ? 'create' : verbOf(method, target, q);
      const authorized = requestAttributes(method, p, q);
      assert.equal(authorized.kind, 'resource');
      if (authorized.kind !== 'resource') return;
      assert.equal(routed, authorized.verb);
      // The object too: what is authorized is what is served.
      assert.deepEqual(
        [authorized.apiGroup, authorized.resource, authorized.subresource, authorized.name],
        [target.group, target.plural, target.subresource ?? '', target.name ?? ''],
      );
      const namespace = target.plural === 'namespaces' ? (target.name ?? '') : (target.namespace ?? '');
      assert.equal(authorized.namespace, namespace);
    });
  }
  it('paths with empty segments or a leading // route to nothing, whatever the authorizer reads', () => {
    // kube-apiserver's RequestInfo trims and splits such a path (`//api//v1/namespaces/a//configmaps/`
    // reads as resource "v1", name "namespaces"), but no route matches it: the answer is a 404,
    // never the configmaps of `a`.
    for (const p of ['//api//v1/namespaces/a//configmaps/', '//api/v1/namespaces/a/configmaps/x', '/api/v1//pods']) {
      assert.equal(parsePath(p).kind, 'unknown', p);
    }
    const authorized = requestAttributes('GET', '//api//v1/namespaces/a//configmaps/', new URLSearchParams());
    assert.deepEqual(authorized.kind === 'resource' && [authorized.resource, authorized.name], ['v1', 'namespaces']);
  });
});

describe('rule matching', () => {
  const cases: [string, PolicyRule, RequestAttributes, boolean][] = [
    ['exact verb and resource', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('get', 'pods'), true],
    ['other verb', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('list', 'pods'), false],
    ['other group', { verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }, res('get', 'pods'), false],
    ['verb *', { verbs: ['*'], apiGroups: [''], resources: ['pods'] }, res('escalate', 'pods'), true],
    [
      'group *',
      { verbs: ['get'], apiGroups: ['*'], resources: ['deployments'] },
      res('get', 'deployments', { apiGroup: 'apps' }),
      true,
    ],
    [
      'resource * covers subresources',
      { verbs: ['get'], apiGroups: [''], resources: ['*'] },
      res('get', 'pods', { subresource: 'log' }),
      true,
    ],
    [
      'pods does not cover pods/status',
      { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
      res('get', 'pods', { subresource: 'status' }),
      false,
    ],
    [
      'pods/status exactly',
      { verbs: ['update'], apiGroups: [''], resources: ['pods/status'] },
      res('update', 'pods', { subresource: 'status' }),
      true,
    ],
    [
      'pods/* is no wildcard: it names a subresource "*" only',
      { verbs: ['get'], apiGroups: [''], resources: ['pods/*'] },
      res('get', 'pods', { subresource: 'log', name: 'p' }),
      false,
    ],
    [
      'pods/status is not pods',
      { verbs: ['get'], apiGroups: [''], resources: ['pods/status'] },
      res('get', 'pods'),
      false,
    ],
    [
      '*/scale covers any scale',
      { verbs: ['get'], apiGroups: ['apps'], resources: ['*/scale'] },
      res('get', 'deployments', { apiGroup: 'apps', subresource: 'scale', name: 'web' }),
      true,
    ],
    [
      '*/scale is not */status',
      { verbs: ['get'], apiGroups: ['apps'], resources: ['*/scale'] },
      res('get', 'deployments', { apiGroup: 'apps', subresource: 'status' }),
      false,
    ],
    [
      'resourceNames allow the named get',
      { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] },
      res('get', 'configmaps', { name: 'a' }),
      true,
    ],
    [
      'resourceNames refuse another name',
      { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] },
      res('get', 'configmaps', { name: 'b' }),
      false,
    ],
    [
      'resourceNames never allow a list',
      { verbs: ['list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] },
      res('list', 'configmaps'),
      false,
    ],
    [
      'resourceNames never allow a create',
      { verbs: ['create'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] },
      res('create', 'configmaps'),
      false,
    ],
    [
      'resourceNames allow a list pinned by field selector',
      { verbs: ['list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] },
      res('list', 'configmaps', { name: 'a' }),
      true,
    ],
    [
      'resourceNames never allow a watch without a pinned name',
      { verbs: ['watch'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] },
      res('watch', 'configmaps'),
      false,
    ],
    [
      'resourceNames never allow a deletecollection',
      { verbs: ['deletecollection'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] },
      res('deletecollection', 'configmaps'),
      false,
    ],
    [
      '* everywhere allows any subresource of any group',
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      res('update', 'deployments', { apiGroup: 'apps', subresource: 'scale', name: 'w' }),
      true,
    ],
    ['nonResourceURL exact', { verbs: ['get'], nonResourceURLs: ['/version'] }, path('get', '/version'), true],
    [
      'nonResourceURL prefix ending in * without a slash',
      { verbs: ['get'], nonResourceURLs: ['/healthz*'] },
      path('get', '/healthz/etcd'),
      true,
    ],
    [
      'a nonResourceURL without * is exact',
      { verbs: ['get'], nonResourceURLs: ['/healthz'] },
      path('get', '/healthz/etcd'),
      false,
    ],
    ['nonResourceURL prefix', { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, path('get', '/apis/apps/v1'), true],
    [
      'nonResourceURL prefix needs the slash',
      { verbs: ['get'], nonResourceURLs: ['/apis/*'] },
      path('get', '/apis'),
      false,
    ],
    ['nonResourceURL *', { verbs: ['get'], nonResourceURLs: ['*'] }, path('get', '/anything'), true],
    ['nonResourceURL other verb', { verbs: ['get'], nonResourceURLs: ['/healthz'] }, path('post', '/healthz'), false],
    [
      'a resource rule does not match a path',
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      path('get', '/version'),
      false,
    ],
    ['a path rule does not match a resource', { verbs: ['*'], nonResourceURLs: ['*'] }, res('get', 'pods'), false],
  ];
  for (const [name, rule, attrs, want] of cases) it(name, () => assert.equal(ruleAllows(attrs, rule), want));
});

function source(objects: KubeObject[]): RbacSource {
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  return {
    clusterRoleBindings: () => of('ClusterRoleBinding'),
    roleBindings: (ns) => of('RoleBinding').filter((o) => o.metadata.namespace === ns),
    clusterRole: (name) => of('ClusterRole').find((o) => o.metadata.name === name),
    role: (ns, name) => of('Role').find((o) => o.metadata.name === name && o.metadata.namespace === ns),
  };
}

const role = (kind: 'Role' | 'ClusterRole', name: string, rules: PolicyRule[], namespace?: string): KubeObject =>
  ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    rules,
  }) as KubeObject;
const binding = (
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  name: string,
  ref: { kind: string; name: string },
  subjects: { kind: string; name: string; namespace?: string }[],
  namespace?: string,
): KubeObject =>
  ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...ref },
    subjects,
  }) as KubeObject;

describe('the RBAC authorizer', () => {
  const objects = [
    role('ClusterRole', 'pod-reader', [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }]),
    role('Role', 'cm-writer', [{ verbs: ['create', 'update'], apiGroups: [''], resources: ['configmaps'] }], 'team-a'),
    binding('ClusterRoleBinding', 'readers', { kind: 'ClusterRole', name: 'pod-reader' }, [
      { kind: 'Group', name: 'readers' },
    ]),
    // A RoleBinding to a ClusterRole grants it in the binding's namespace only.
    binding(
      'RoleBinding',
      'bob-reads',
      { kind: 'ClusterRole', name: 'pod-reader' },
      [{ kind: 'User', name: 'bob' }],
      'team-a',
    ),
    // A ServiceAccount subject without a namespace is the binding's namespace's.
    binding(
      'RoleBinding',
      'robot-writes',
      { kind: 'Role', name: 'cm-writer' },
      [{ kind: 'ServiceAccount', name: 'robot' }],
      'team-a',
    ),
    binding('RoleBinding', 'ghost', { kind: 'Role', name: 'missing' }, [{ kind: 'User', name: 'carol' }], 'team-a'),
    role('ClusterRole', 'secret-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]),
    // Every ServiceAccount of team-a, by the group each one is in.
    binding(
      'RoleBinding',
      'team-a-accounts',
      { kind: 'ClusterRole', name: 'secret-reader' },
      [{ kind: 'Group', name: 'system:serviceaccounts:team-a' }],
      'team-a',
    ),
    // A ServiceAccount subject of a ClusterRoleBinding must name its namespace: without one it
    // names nobody.
    binding('ClusterRoleBinding', 'no-namespace', { kind: 'ClusterRole', name: 'secret-reader' }, [
      { kind: 'ServiceAccount', name: 'robot' },
    ]),
    role('ClusterRole', 'ns-lister', [{ verbs: ['list'], apiGroups: [''], resources: ['namespaces'] }]),
    binding('ClusterRoleBinding', 'everyone-lists-ns', { kind: 'ClusterRole', name: 'ns-lister' }, [
      { kind: 'Group', name: 'system:authenticated' },
    ]),
  ];
  const authz = new RbacAuthorizer(source(objects));
  const bob: UserInfo = { username: 'bob', groups: ['system:authenticated'] };
  const reader: UserInfo = { username: 'dan', groups: ['readers', 'system:authenticated'] };
  const robot: UserInfo = {
    username: 'system:serviceaccount:team-a:robot',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated'],
  };
  const other: UserInfo = {
    username: 'system:serviceaccount:team-b:robot',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:team-b', 'system:authenticated'],
  };
  const admin: UserInfo = { username: 'root', groups: ['system:masters'] };
  const carol: UserInfo = { username: 'carol', groups: [] };
  const cases: [string, UserInfo, RequestAttributes, boolean, string][] = [
    [
      'a group binding, cluster-wide',
      reader,
      res('list', 'pods', { namespace: 'x' }),
      true,
      'RBAC: allowed by ClusterRoleBinding "readers" of ClusterRole "pod-reader" to Group "readers"',
    ],
    [
      'a RoleBinding to a ClusterRole, in its namespace',
      bob,
      res('get', 'pods', { namespace: 'team-a', name: 'p' }),
      true,
      'RBAC: allowed by RoleBinding "bob-reads/team-a" of ClusterRole "pod-reader" to User "bob"',
    ],
    ['... and not elsewhere', bob, res('get', 'pods', { namespace: 'team-b', name: 'p' }), false, ''],
    ['... and not cluster-wide', bob, res('list', 'pods', { namespace: '' }), false, ''],
    [
      'a ServiceAccount subject defaults to the binding namespace',
      robot,
      res('create', 'configmaps', { namespace: 'team-a' }),
      true,
      'RBAC: allowed by RoleBinding "robot-writes/team-a" of Role "cm-writer" to ServiceAccount "robot/team-a"',
    ],
    [
      'the same name in another namespace is another account',
      other,
      res('create', 'configmaps', { namespace: 'team-a' }),
      false,
      '',
    ],
    [
      'a ServiceAccount by its namespace group',
      robot,
      res('get', 'secrets', { namespace: 'team-a', name: 's' }),
      true,
      'RBAC: allowed by RoleBinding "team-a-accounts/team-a" of ClusterRole "secret-reader" to Group "system:serviceaccounts:team-a"',
    ],
    [
      '... not the accounts of another namespace, nor a subject without its namespace',
      other,
      res('get', 'secrets', { namespace: 'team-a', name: 's' }),
      false,
      '',
    ],
    [
      'system:authenticated takes in every authenticated user',
      other,
      res('list', 'namespaces', { namespace: '' }),
      true,
      'RBAC: allowed by ClusterRoleBinding "everyone-lists-ns" of ClusterRole "ns-lister" to Group "system:authenticated"',
    ],
    ['system:masters may do anything', admin, path('delete', '/anything'), true, ''],
    [
      'a binding to a missing role says so',
      carol,
      res('get', 'pods', { namespace: 'team-a' }),
      false,
      'RBAC: role.rbac.authorization.k8s.io "missing" not found',
    ],
  ];
  for (const [name, user, attrs, allowed, reason] of cases) {
    it(name, () => {
      const decision = authz.authorize({ ...attrs, user } as Attributes);
      assert.equal(decision.allowed, allowed);
      assert.equal(decision.reason, reason);
    });
  }

  it('collects the rules of a user in a namespace, with resolution errors', () => {
    // Cluster-wide bindings first, then the namespace's.
    assert.deepEqual(authz.rulesFor(bob, 'team-a').rules, [
      { verbs: ['list'], apiGroups: [''], resources: ['namespaces'] },
      { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
    ]);
    assert.deepEqual(authz.rulesFor(bob, '').rules, [{ verbs: ['list'], apiGroups: [''], resources: ['namespaces'] }]);
    assert.deepEqual(authz.rulesFor(carol, 'team-a').errors, ['role.rbac.authorization.k8s.io "missing" not found']);
  });
});

describe('forbidden messages', () => {
  const bob: UserInfo = { username: 'bob', groups: [] };
  const cases: [RequestAttributes, string, string, Record<string, string>][] = [
    [
      res('list', 'pods'),
      '',
      'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"',
      { kind: 'pods' },
    ],
    [
      res('get', 'pods', { name: 'p1' }),
      '',
      'pods "p1" is forbidden: User "bob" cannot get resource "pods" in API group "" in the namespace "default"',
      { name: 'p1', kind: 'pods' },
    ],
    [
      res('list', 'deployments', { apiGroup: 'apps', namespace: '' }),
      '',
      'deployments.apps is forbidden: User "bob" cannot list resource "deployments" in API group "apps" at the cluster scope',
      { group: 'apps', kind: 'deployments' },
    ],
    [
      res('get', 'pods', { subresource: 'log', name: 'p' }),
      '',
      'pods "p" is forbidden: User "bob" cannot get resource "pods/log" in API group "" in the namespace "default"',
      { name: 'p', kind: 'pods' },
    ],
    [path('get', '/apis'), '', 'forbidden: User "bob" cannot get path "/apis"', {}],
    [path('get', '/a<b>&c'), 'RBAC: x', 'forbidden: User "bob" cannot get path "/a&lt;b&gt;&amp;c": RBAC: x', {}],
  ];
  for (const [attrs, reason, message, details] of cases) {
    it(message, () => {
      const status = forbiddenError({ ...attrs, user: bob } as Attributes, reason).status;
      assert.equal(status.code, 403);
      assert.equal(status.reason, 'Forbidden');
      assert.equal(status.message, message);
      assert.deepEqual(status.details, details);
    });
  }
});

describe('escalation coverage', () => {
  it('covers by verb, group, resource, subresource wildcard, names and URLs', () => {
    const owner: PolicyRule[] = [
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', '*/status'] },
      { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] },
      { verbs: ['get'], nonResourceURLs: ['/apis/*'] },
    ];
    assert.equal(
      covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods', 'pods/status'] }]).covered,
      true,
    );
    assert.equal(
      covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }]).covered,
      true,
    );
    assert.equal(covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]).covered, false);
    assert.equal(covers(owner, [{ verbs: ['get'], nonResourceURLs: ['/apis/apps'] }]).covered, true);
    const { missing } = covers(owner, [{ verbs: ['get', 'delete', 'create'], apiGroups: [''], resources: ['pods'] }]);
    assert.deepEqual(compactRules(missing).map(compactString), [
      '{APIGroups:[""], Resources:["pods"], Verbs:["delete" "create"]}',
    ]);
  });
});

describe('impersonation headers', () => {
  it('a user, groups and extras become checks and the new user', () => {
    const got = impersonationOf({
      'impersonate-user': ['jane'],
      'impersonate-group': ['devs', 'ops'],
      'impersonate-extra-scopes': ['view'],
    });
    assert.deepEqual(
      got?.checks.map((c) => `${c.apiGroup}/${c.resource}${c.subresource ? `/${c.subresource}` : ''}:${c.name}`),
      ['/users:jane', '/groups:devs', '/groups:ops', 'authentication.k8s.io/userextras/scopes:view'],
    );
    assert.deepEqual(got?.user, {
      username: 'jane',
      groups: ['devs', 'ops', 'system:authenticated'],
      extra: { scopes: ['view'] },
    });
  });

  it('a service account brings its groups and is checked in its namespace', () => {
    const got = impersonationOf({ 'impersonate-user': ['system:serviceaccount:ns1:robot'] });
    assert.deepEqual(got?.checks[0], {
      verb: 'impersonate',
      apiVersion: 'v1',
      subresource: '',
      namespace: 'ns1',
      apiGroup: '',
      resource: 'serviceaccounts',
      name: 'robot',
    });
    assert.deepEqual(got?.user.groups, [
      'system:serviceaccounts',
      'system:serviceaccounts:ns1',
      'system:authenticated',
    ]);
  });

  it('groups without a user are a 400; no headers is no impersonation', () => {
    assert.throws(
      () => impersonationOf({ 'impersonate-group': ['devs'] }),
      // Go's %v of []v1.ObjectReference: Kind, Namespace, Name, UID, APIVersion, ResourceVersion, FieldPath.
      /requested \[\{Group {2}devs {4}\}\] without impersonating a user$/,
    );
    assert.throws(
      () => impersonationOf({ 'impersonate-uid': ['u1'], 'impersonate-extra-scopes': ['view'] }),
      /requested \[\{UserExtra {2}view {2}authentication\.k8s\.io\/v1 {2}scopes\} \{UID {2}u1 {2}authentication\.k8s\.io\/v1 {2}\}\] without impersonating a user$/,
    );
    assert.equal(impersonationOf({}), undefined);
    assert.deepEqual(impersonationOf({ 'impersonate-user': ['system:anonymous'] })?.user.groups, [
      'system:unauthenticated',
    ]);
  });
});
