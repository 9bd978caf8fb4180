/**
 * ConfigMap, Secret, Namespace, ServiceAccount, Service and Lease validation
 * (pkg/apis/core/validation, pkg/apis/coordination/validation) with kube-apiserver 1.33's messages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../src/core/index.js';
import { type Case, CONFIG_KEY, createTexts, LABEL, NAME_PART, updateTexts } from './helpers.js';

const meta = { name: 'x', namespace: 'default' };
const b64 = (s: string) => Buffer.from(s).toString('base64');

function table(group: string, plural: string, cases: Case[]): void {
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(createTexts(group, plural, c.object), c.want);
    });
  }
}

describe('ConfigMap', () => {
  table('', 'configmaps', [
    {
      name: 'valid keys',
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { 'a.b_C-1': 'v' } },
      want: [],
    },
    {
      name: 'keys of data and binaryData',
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta,
        data: { 'a b': '', '..x': '', dup: '' },
        binaryData: { dup: b64('x'), '.': b64('x') },
      } as KubeObject,
      want: [
        `data[a b]: Invalid value: "a b": ${CONFIG_KEY}`,
        `data[..x]: Invalid value: "..x": must not start with '..'`,
        'data[dup]: Invalid value: "dup": duplicate of key present in binaryData',
        `binaryData[.]: Invalid value: ".": must not be '.'`,
      ],
    },
  ]);

  it('an immutable ConfigMap keeps its data and stays immutable', () => {
    const old = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta,
      immutable: true,
      data: { a: '1' },
    } as KubeObject;
    const next = { ...old, immutable: false, data: { a: '2' } } as KubeObject;
    assert.deepEqual(updateTexts('', 'configmaps', next, old), [
      'immutable: Forbidden: field is immutable when `immutable` is set',
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
  });
});

describe('Secret', () => {
  const secret = (type: string | undefined, data: Record<string, string> = {}, extra = {}) =>
    ({ apiVersion: 'v1', kind: 'Secret', metadata: { ...meta, ...extra }, type, data }) as KubeObject;
  table('', 'secrets', [
    { name: 'Opaque with any valid keys', object: secret('Opaque', { a: b64('x') }), want: [] },
    {
      name: 'data keys',
      object: secret('Opaque', { 'a/b': b64('x') }),
      want: [`data[a/b]: Invalid value: "a/b": ${CONFIG_KEY}`],
    },
    {
      name: 'TLS needs tls.crt and tls.key',
      object: secret('kubernetes.io/tls'),
      want: ['data[tls.crt]: Required value', 'data[tls.key]: Required value'],
    },
    {
      name: 'basic-auth needs a username or a password',
      object: secret('kubernetes.io/basic-auth'),
      want: ['data[username]: Required value', 'data[password]: Required value'],
    },
    { name: 'basic-auth with a password only', object: secret('kubernetes.io/basic-auth', { password: '' }), want: [] },
    {
      name: 'ssh-auth needs a private key',
      object: secret('kubernetes.io/ssh-auth'),
      want: ['data[ssh-privatekey]: Required value'],
    },
    {
      name: 'dockerconfigjson needs its key, holding JSON',
      object: secret('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64('not json') }),
      want: [
        `data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character 'o' in literal null (expecting 'u')`,
      ],
    },
    {
      name: 'a service-account token names its ServiceAccount',
      object: secret('kubernetes.io/service-account-token'),
      want: ['metadata.annotations[kubernetes.io/service-account.name]: Required value'],
    },
  ]);

  it('the type is immutable', () => {
    const old = secret('Opaque');
    assert.deepEqual(updateTexts('', 'secrets', secret('kubernetes.io/tls', { 'tls.crt': '', 'tls.key': '' }), old), [
      'type: Invalid value: "kubernetes.io/tls": field is immutable',
    ]);
  });
});

describe('Namespace and ServiceAccount', () => {
  it('Namespace spec finalizers are standard or qualified', () => {
    const ns = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'a' },
      spec: { finalizers: ['kubernetes', 'foo', 'a b/c'] },
    };
    assert.deepEqual(createTexts('', 'namespaces', ns as KubeObject), [
      'spec.finalizers: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified',
      `spec.finalizers: Invalid value: "a b/c": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
  });

  it('ServiceAccount names are DNS subdomains', () => {
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'Bot', namespace: 'default' } };
    assert.equal(
      createTexts('', 'serviceaccounts', sa as KubeObject)[0].startsWith(
        'metadata.name: Invalid value: "Bot": a lowercase RFC 1123 subdomain',
      ),
      true,
    );
  });
});

describe('Service', () => {
  const svc = (spec: Record<string, unknown>) =>
    ({ apiVersion: 'v1', kind: 'Service', metadata: meta, spec }) as KubeObject;
  table('', 'services', [
    {
      name: 'a plain ClusterIP Service',
      object: svc({ ports: [{ port: 80, targetPort: 8080 }], selector: { app: 'a' } }),
      want: [],
    },
    { name: 'ports are required', object: svc({ selector: { app: 'a' } }), want: ['spec.ports: Required value'] },
    { name: 'a headless Service needs no ports', object: svc({ clusterIP: 'None' }), want: [] },
    {
      name: 'port numbers, names, protocols and target ports',
      object: svc({
        ports: [
          { name: 'http', port: 0, protocol: 'HTTP', targetPort: 'Web--x' },
          { port: 70000, targetPort: 0 },
          { name: 'http', port: 81 },
        ],
      }),
      want: [
        'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
        'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        'spec.ports[0].targetPort: Invalid value: "Web--x": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.ports[0].targetPort: Invalid value: "Web--x": must not contain consecutive hyphens',
        'spec.ports[1].name: Required value',
        'spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'spec.ports[2].name: Duplicate value: "http"',
      ],
    },
    {
      name: 'a port twice',
      object: svc({
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 80 },
        ],
      }),
      want: [
        'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
      ],
    },
    {
      name: 'type, session affinity and selector',
      object: svc({ type: 'Internal', sessionAffinity: 'Sticky', ports: [{ port: 80 }], selector: { app: '-' } }),
      want: [
        "spec.selector: Invalid value: \"-\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"',
        'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      ],
    },
    {
      name: 'a nodePort on a ClusterIP Service',
      object: svc({ type: 'ClusterIP', ports: [{ port: 80, nodePort: 30000 }] }),
      want: ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    },
    {
      name: 'ExternalName needs a DNS name',
      object: svc({ type: 'ExternalName' }),
      want: ['spec.externalName: Required value'],
    },
    {
      name: 'ExternalName with a trailing dot',
      object: svc({ type: 'ExternalName', externalName: 'example.com.' }),
      want: [],
    },
    {
      name: 'a port name that is not a DNS label',
      object: svc({ ports: [{ name: 'Web', port: 80 }] }),
      want: [`spec.ports[0].name: Invalid value: "Web": ${LABEL}`],
    },
  ]);
});

describe('Lease', () => {
  const lease = (spec: Record<string, unknown>) =>
    ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta, spec }) as KubeObject;
  it('duration positive, transitions not negative, preferredHolder only with a strategy', () => {
    assert.deepEqual(
      createTexts(
        'coordination.k8s.io',
        'leases',
        lease({ leaseDurationSeconds: 0, leaseTransitions: -1, preferredHolder: 'a' }),
      ),
      [
        'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
        'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
        'spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined',
      ],
    );
    assert.deepEqual(
      createTexts('coordination.k8s.io', 'leases', lease({ holderIdentity: 'a', leaseDurationSeconds: 15 })),
      [],
    );
  });

  it('label keys in metadata are checked as for every kind', () => {
    const l = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { ...meta, labels: { 'a b': '' } } };
    assert.deepEqual(createTexts('coordination.k8s.io', 'leases', l as KubeObject), [
      `metadata.labels: Invalid value: "a b": ${NAME_PART}`,
    ]);
  });
});
