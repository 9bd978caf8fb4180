/**
 * Metadata validation of every kind (apimachinery `ValidateObjectMetaAccessor`), with the messages
 * kube-apiserver 1.33 answers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isConfigMapKey,
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  nameIsDnsSubdomain,
} from '../../../src/apiserver/validation/names.js';
import type { KubeObject } from '../../../src/core/index.js';
import {
  type Case,
  CONFIG_KEY,
  createTexts,
  DNS1035,
  LABEL,
  LABEL_VALUE,
  NAME_PART,
  SUBDOMAIN,
  updateTexts,
} from './helpers.js';

function cm(metadata: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default', ...metadata } } as KubeObject;
}

describe('the string rules of apimachinery util/validation', () => {
  it('answers upstream messages, one per broken rule', () => {
    assert.deepEqual(isDns1123Subdomain('Foo'), [SUBDOMAIN]);
    assert.deepEqual(isDns1123Subdomain(`${'a'.repeat(254)}`), ['must be no more than 253 characters']);
    assert.deepEqual(isDns1123Label('a.b'), [LABEL]);
    assert.deepEqual(isDns1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
    assert.deepEqual(isDns1035Label('1abc'), [DNS1035]);
    assert.deepEqual(isQualifiedName('example.com/ok'), []);
    assert.deepEqual(isQualifiedName('/x'), ['prefix part must be non-empty']);
    assert.deepEqual(isQualifiedName('Example.com/x'), [`prefix part ${SUBDOMAIN}`]);
    assert.deepEqual(isQualifiedName('a/'), ['name part must be non-empty', NAME_PART]);
    assert.deepEqual(isQualifiedName('a/b/c'), [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ]);
    assert.deepEqual(isValidLabelValue(''), []);
    assert.deepEqual(isValidLabelValue('-x'), [LABEL_VALUE]);
    assert.deepEqual(isConfigMapKey('..x'), ["must not start with '..'"]);
    assert.deepEqual(isConfigMapKey('.'), ["must not be '.'"]);
    assert.deepEqual(isConfigMapKey('a b'), [CONFIG_KEY]);
    assert.deepEqual(isValidPortName('http--x'), ['must not contain consecutive hyphens']);
    assert.deepEqual(isValidPortName('8080'), ['must contain at least one letter (a-z)']);
    assert.deepEqual(isValidPortName('a-very-long-port-name'), ['must be no more than 15 characters']);
  });

  it('lets a generateName end in a dash (maskTrailingDash)', () => {
    assert.deepEqual(nameIsDnsSubdomain('web-', true), []);
    assert.deepEqual(nameIsDnsSubdomain('web-', false), [SUBDOMAIN]);
  });
});

describe('ObjectMeta validation', () => {
  const cases: Case[] = [
    {
      name: 'a name that is not a DNS subdomain',
      object: cm({ name: 'Foo' }),
      want: [`metadata.name: Invalid value: "Foo": ${SUBDOMAIN}`],
    },
    {
      name: 'no name and no generateName',
      object: cm({}),
      want: ['metadata.name: Required value: name or generateName is required'],
    },
    {
      name: 'an invalid generateName and the name made from it',
      object: cm({ generateName: 'Web-', name: 'Web-abcde' }),
      want: [
        `metadata.generateName: Invalid value: "Web-": ${SUBDOMAIN}`,
        `metadata.name: Invalid value: "Web-abcde": ${SUBDOMAIN}`,
      ],
    },
    {
      name: 'label keys and values',
      object: cm({ name: 'a', labels: { 'bad key!': 'ok', good: 'x'.repeat(70), 'Example.com/a': '-x' } }),
      want: [
        `metadata.labels: Invalid value: "bad key!": ${NAME_PART}`,
        `metadata.labels: Invalid value: "${'x'.repeat(70)}": must be no more than 63 characters`,
        `metadata.labels: Invalid value: "Example.com/a": prefix part ${SUBDOMAIN}`,
        `metadata.labels: Invalid value: "-x": ${LABEL_VALUE}`,
      ],
    },
    {
      name: 'annotation keys are qualified names, case ignored',
      object: cm({ name: 'a', annotations: { 'Example.COM/Key': 'v', 'a b': 'v' } }),
      want: [`metadata.annotations: Invalid value: "a b": ${NAME_PART}`],
    },
    {
      name: 'owner references without version, kind, name or uid',
      object: cm({ name: 'a', ownerReferences: [{ apiVersion: '', kind: '', name: '', uid: '' }] }),
      want: [
        'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
        'metadata.ownerReferences.kind: Invalid value: "": must not be empty',
        'metadata.ownerReferences.name: Invalid value: "": must not be empty',
        'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
      ],
    },
    {
      name: 'two controllers',
      object: cm({
        name: 'a',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r1', uid: '1', controller: true },
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r2', uid: '2', controller: true },
        ],
      }),
      want: [
        'metadata.ownerReferences: Invalid value: []v1.OwnerReference{v1.OwnerReference{APIVersion:"apps/v1", Kind:"ReplicaSet", Name:"r1", UID:"1", Controller:(*bool)(0xc000000000), BlockOwnerDeletion:(*bool)(nil)}, v1.OwnerReference{APIVersion:"apps/v1", Kind:"ReplicaSet", Name:"r2", UID:"2", Controller:(*bool)(0xc000000000), BlockOwnerDeletion:(*bool)(nil)}}: Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/r1 and ReplicaSet/r2',
      ],
    },
    {
      name: 'an Event as owner',
      object: cm({ name: 'a', ownerReferences: [{ apiVersion: 'v1', kind: 'Event', name: 'e', uid: '1' }] }),
      want: [
        'metadata.ownerReferences: Invalid value: v1.OwnerReference{APIVersion:"v1", Kind:"Event", Name:"e", UID:"1", Controller:(*bool)(nil), BlockOwnerDeletion:(*bool)(nil)}: /v1, Kind=Event is disallowed from being an owner',
      ],
    },
    {
      name: 'finalizers: qualified names, not orphan and foregroundDeletion together',
      object: cm({ name: 'a', finalizers: ['example.com/ok', 'bad finalizer', 'orphan', 'foregroundDeletion'] }),
      want: [
        `metadata.finalizers: Invalid value: "bad finalizer": ${NAME_PART}`,
        'metadata.finalizers: Invalid value: []string{"example.com/ok", "bad finalizer", "orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(createTexts('', 'configmaps', c.object), c.want);
    });
  }

  it('checks labels again on update', () => {
    const old = cm({ name: 'a' });
    assert.deepEqual(updateTexts('', 'configmaps', cm({ name: 'a', labels: { a: '-' } }), old), [
      `metadata.labels: Invalid value: "-": ${LABEL_VALUE}`,
    ]);
  });

  it('names by kind: Services are DNS-1035 labels, Namespaces DNS-1123 labels, RBAC path segments', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: '1web', namespace: 'default' },
      spec: { ports: [{ port: 80 }] },
    };
    assert.deepEqual(createTexts('', 'services', svc as KubeObject), [
      `metadata.name: Invalid value: "1web": ${DNS1035}`,
    ]);
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } };
    assert.deepEqual(createTexts('', 'namespaces', ns as KubeObject), [
      `metadata.name: Invalid value: "a.b": ${LABEL}`,
    ]);
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:a/b' } };
    assert.deepEqual(createTexts('rbac.authorization.k8s.io', 'clusterroles', role as KubeObject), [
      'metadata.name: Invalid value: "system:a/b": may not contain \'/\'',
    ]);
    const ok = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:Admin' } };
    assert.deepEqual(createTexts('rbac.authorization.k8s.io', 'clusterroles', ok as KubeObject), []);
  });

  it('cluster-scoped kinds may not carry a namespace', () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', namespace: 'x' } };
    assert.deepEqual(createTexts('', 'namespaces', ns as KubeObject), [
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
  });
});
