/**
 * Role, ClusterRole, RoleBinding and ClusterRoleBinding validation (pkg/apis/rbac/validation) with
 * kube-apiserver 1.33's messages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../src/core/index.js';
import { createTexts, updateTexts } from './helpers.js';

const G = 'rbac.authorization.k8s.io';
const obj = (kind: string, body: Record<string, unknown>, namespaced = true) =>
  ({
    apiVersion: `${G}/v1`,
    kind,
    metadata: namespaced ? { name: 'r', namespace: 'default' } : { name: 'r' },
    ...body,
  }) as KubeObject;

describe('Role and ClusterRole', () => {
  it('rules need verbs, and API groups with resources or (cluster roles) non-resource URLs', () => {
    const rules = [
      { apiGroups: [''], resources: ['pods'] },
      { verbs: ['get'] },
      { verbs: ['get'], nonResourceURLs: ['/healthz'], resources: ['pods'] },
    ];
    assert.deepEqual(createTexts(G, 'roles', obj('Role', { rules })), [
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[1].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[1].resources: Required value: resource rules must supply at least one resource',
      'rules[2].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
      'rules[2].nonResourceURLs: Invalid value: []string{"/healthz"}: rules cannot apply to both regular resources and non-resource URLs',
    ]);
    assert.deepEqual(
      createTexts(
        G,
        'clusterroles',
        obj('ClusterRole', { rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] }, false),
      ),
      [],
    );
  });

  it('an aggregation rule needs selectors', () => {
    assert.deepEqual(createTexts(G, 'clusterroles', obj('ClusterRole', { aggregationRule: {} }, false)), [
      'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
    ]);
  });
});

describe('RoleBinding and ClusterRoleBinding', () => {
  it('roleRef and subjects', () => {
    const binding = obj('RoleBinding', {
      roleRef: { apiGroup: 'example.com', kind: 'Secret', name: 'a/b' },
      subjects: [
        { kind: 'ServiceAccount', name: 'Bot', apiGroup: G },
        { kind: 'User', name: 'alice', apiGroup: 'example.com' },
        { kind: 'Robot', name: 'r2' },
        { kind: 'Group' },
      ],
    });
    const got = createTexts(G, 'rolebindings', binding);
    assert.deepEqual(got, [
      'roleRef.apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"',
      'roleRef.kind: Unsupported value: "Secret": supported values: "Role", "ClusterRole"',
      'roleRef.name: Invalid value: "a/b": may not contain \'/\'',
      `subjects[0].name: Invalid value: "Bot": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      'subjects[0].apiGroup: Unsupported value: "rbac.authorization.k8s.io": supported values: ""',
      'subjects[1].apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"',
      'subjects[2].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
      'subjects[3].name: Required value',
    ]);
  });

  it('a ClusterRoleBinding binds a ClusterRole, and its ServiceAccounts name a namespace', () => {
    const binding = obj(
      'ClusterRoleBinding',
      { roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'bot' }] },
      false,
    );
    assert.deepEqual(createTexts(G, 'clusterrolebindings', binding), [
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
    ]);
  });

  it('roleRef cannot change', () => {
    const old = obj('RoleBinding', { roleRef: { apiGroup: G, kind: 'Role', name: 'a' } });
    const next = obj('RoleBinding', { roleRef: { apiGroup: G, kind: 'Role', name: 'b' } });
    assert.deepEqual(updateTexts(G, 'rolebindings', next, old), [
      'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"b"}: cannot change roleRef',
    ]);
  });
});
