/**
 * The JSON decoder's type errors for built-in kinds (Go's encoding/json as kube-apiserver uses it
 * through sigs.k8s.io/json), unit level and as the 400 the emulator answers over HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { base64CorruptOffset, goDecodeError } from '../../../src/apiserver/codec/go-json-types.js';
import type { JsonObject } from '../../../src/core/index.js';
import { type Api, startTestServer } from '../helpers.js';

describe('Go JSON decoder type errors', () => {
  const cases: [string, JsonObject, string | undefined][] = [
    [
      'a number in ConfigMap data',
      { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 1 } },
      'json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    ],
    [
      'an array as ConfigMap data',
      { apiVersion: 'v1', kind: 'ConfigMap', data: ['a'] },
      'json: cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string',
    ],
    [
      'a string for replicas',
      { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: '3' } },
      'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    ],
    [
      'a fraction for replicas',
      { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 1.5 } },
      'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
    ],
    [
      'an int32 out of range',
      { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 3000000000 } },
      'json: cannot unmarshal number 3000000000 into Go struct field DeploymentSpec.spec.replicas of type int32',
    ],
    [
      'an object where a list of containers belongs',
      { apiVersion: 'v1', kind: 'Pod', spec: { containers: { name: 'a' } } },
      'json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container',
    ],
    [
      'a string where a container belongs (list elements add nothing to the path)',
      { apiVersion: 'v1', kind: 'Pod', spec: { containers: ['nginx'] } },
      'json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type v1.Container',
    ],
    [
      'a number in a label (ObjectMeta)',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', labels: { a: 1 } } },
      'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
    ],
    [
      'a bool for a container port name, deep in a template',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        spec: { template: { spec: { containers: [{ name: 'c', ports: [{ name: true }] }] } } },
      },
      'json: cannot unmarshal bool into Go struct field ContainerPort.spec.template.spec.containers.ports.name of type string',
    ],
    [
      'a named Go type prints by its name (v1.Protocol)',
      { apiVersion: 'v1', kind: 'Service', spec: { ports: [{ port: 80, protocol: 6 }] } },
      'json: cannot unmarshal number into Go struct field ServicePort.spec.ports.protocol of type v1.Protocol',
    ],
    [
      'a named map type (v1.ResourceList)',
      { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'c', resources: { limits: ['1'] } }] } },
      'json: cannot unmarshal array into Go struct field ResourceRequirements.spec.containers.resources.limits of type v1.ResourceList',
    ],
    [
      'an owner reference uid (types.UID)',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ownerReferences: [{ uid: 7 }] } },
      'json: cannot unmarshal number into Go struct field OwnerReference.metadata.ownerReferences.uid of type types.UID',
    ],
    [
      'elements of a list of a named type',
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { accessModes: [1] } },
      'json: cannot unmarshal number into Go struct field PersistentVolumeClaimSpec.spec.accessModes of type v1.PersistentVolumeAccessMode',
    ],
    [
      'the first type error wins',
      { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 1 }, immutable: 'yes' },
      'json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    ],
    [
      'Secret data that is not base64',
      { apiVersion: 'v1', kind: 'Secret', data: { a: 'not base64!' } },
      'illegal base64 data at input byte 3',
    ],
    [
      'Secret data without padding',
      { apiVersion: 'v1', kind: 'Secret', data: { a: 'YWJj\nZA' } },
      'illegal base64 data at input byte 5',
    ],
    [
      'a bad quantity stops the decoder',
      { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ resources: { limits: { cpu: 'lots' } } }] } },
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ],
    [
      'a quantity with a bad suffix',
      { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ resources: { limits: { memory: '1Kk' } } }] } },
      "unable to parse quantity's suffix",
    ],
    [
      'a bool for an IntOrString',
      { apiVersion: 'v1', kind: 'Service', spec: { ports: [{ port: 80, targetPort: true }] } },
      'json: cannot unmarshal bool into Go value of type int32',
    ],
    [
      'a valid Deployment',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        spec: {
          replicas: 2,
          template: { spec: { containers: [{ name: 'c', resources: { limits: { cpu: '500m', memory: 1e9 } } }] } },
        },
      },
      undefined,
    ],
    ['a valid Secret', { apiVersion: 'v1', kind: 'Secret', data: { a: 'YWJj', b: 'YQ==', c: 'YWI=' } }, undefined],
    ['custom resources are not Go types', { apiVersion: 'example.com/v1', kind: 'Widget', spec: { a: 1 } }, undefined],
  ];
  for (const [name, object, want] of cases) {
    it(name, () => {
      assert.equal(goDecodeError(object), want);
    });
  }

  it('finds the offsets Go base64 reports', () => {
    assert.equal(base64CorruptOffset('YWJj'), undefined);
    assert.equal(base64CorruptOffset('YWJ'), 0);
    assert.equal(base64CorruptOffset('YQ='), 3);
    assert.equal(base64CorruptOffset('Y==='), 1);
    assert.equal(base64CorruptOffset('YWJjZA==YQ=='), 8);
    assert.equal(base64CorruptOffset('YW\r\nJj'), undefined);
    assert.equal(base64CorruptOffset('é'), 0);
  });
});

describe('decode errors over HTTP', () => {
  let api: Api;
  before(async () => {
    ({ api } = await startTestServer());
  });
  after(async () => {
    await api.server.stop();
  });

  it('answers 400 with the decoder text wrapped as kube-apiserver does, for JSON and YAML', async () => {
    const json = await api.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'a' }, data: { n: 1 } });
    assert.equal(json.status, 400);
    assert.deepEqual(
      {
        reason: (json.body as Record<string, unknown>).reason,
        message: (json.body as Record<string, unknown>).message,
      },
      {
        reason: 'BadRequest',
        message:
          'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
      },
    );
    const yaml = await api.request(
      'POST',
      '/api/v1/namespaces/default/secrets',
      'metadata:\n  name: s\ndata:\n  a: not-base64!\n',
      'application/yaml',
    );
    assert.equal(yaml.status, 400);
    assert.equal(
      (yaml.body as Record<string, unknown>).message,
      'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3',
    );
    const list = await api.get<{ items: unknown[] }>('/api/v1/namespaces/default/secrets');
    assert.equal(list.body.items.filter((s) => (s as { metadata: { name: string } }).metadata.name === 's').length, 0);
  });

  it('a merge patch whose result does not decode is a 422 on the patch, as handlers/patch.go answers', async () => {
    const created = await api.post('/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'p' },
      data: { a: 'x' },
    });
    assert.equal(created.status, 201);
    const r = await api.patch('/api/v1/namespaces/default/configmaps/p', { data: { a: 1 } });
    assert.equal(r.status, 422);
    const body = r.body as unknown as { message: string; details: { causes: { field: string; message: string }[] } };
    assert.match(
      body.message,
      /^ "" is invalid: patch: Invalid value: ".*": json: cannot unmarshal number into Go struct field ConfigMap\.data of type string$/,
    );
    assert.equal(body.details.causes[0].field, 'patch');
    const after = await api.get<{ data: Record<string, string> }>('/api/v1/namespaces/default/configmaps/p');
    assert.deepEqual(after.body.data, { a: 'x' });
  });

  it('a type error comes before strict unknown-field errors', async () => {
    const r = await api.post('/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict', {
      metadata: { name: 'd' },
      spec: { replicas: 'two', colour: 'red' },
    });
    assert.equal(r.status, 400);
    assert.match(
      String((r.body as Record<string, unknown>).message),
      /cannot unmarshal string into Go struct field DeploymentSpec\.spec\.replicas of type int32$/,
    );
  });
});
