/**
 * Validation through the emulator over HTTP, with the built-in controllers on: the 422 Status as
 * kube-apiserver 1.33 writes it (message, details, causes), the update rules, and the objects the
 * controllers write themselves (ReplicaSets, Pods, Jobs' Pods, Services' EndpointSlices) passing
 * the same rules.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deployment, type Sim, startSim } from '../../integration/controllers-helpers.js';

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';

describe('validation over HTTP', () => {
  let sim: Sim;
  before(async () => {
    sim = await startSim();
  });
  after(() => sim.server.stop());

  it('answers 422 Invalid with every cause, as kube-apiserver does', async () => {
    const res = await sim.api.post(CONFIGMAPS, {
      metadata: { name: 'bad', labels: { 'bad key!': 'v', ok: 'x'.repeat(70) } },
      data: { 'a b': 'x' },
    });
    assert.equal(res.status, 422);
    const body = res.body as unknown as Record<string, unknown>;
    assert.equal(body.reason, 'Invalid');
    assert.deepEqual(body.details, {
      name: 'bad',
      kind: 'ConfigMap',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message:
            "Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
          field: 'metadata.labels',
        },
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${'x'.repeat(70)}": must be no more than 63 characters`,
          field: 'metadata.labels',
        },
        {
          reason: 'FieldValueInvalid',
          message:
            "Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
          field: 'data[a b]',
        },
      ],
    });
    assert.match(
      String(body.message),
      /^ConfigMap "bad" is invalid: \[metadata\.labels: Invalid value: "bad key!": .*, data\[a b\]: Invalid value: "a b": .*\]$/,
    );
    assert.equal((await sim.api.get(`${CONFIGMAPS}/bad`)).status, 404, 'nothing was stored');
  });

  it('a Deployment whose selector does not match its template', async () => {
    const bad = deployment('mismatch', 1, 'nginx');
    (bad.spec as Record<string, unknown>).selector = { matchLabels: { app: 'other' } };
    const res = await sim.api.post(DEPLOYMENTS, bad);
    assert.equal(res.status, 422);
    assert.equal(
      (res.body as unknown as Record<string, unknown>).message,
      'Deployment.apps "mismatch" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"mismatch"}: `selector` does not match template `labels`',
    );
  });

  it('the controllers write valid objects: a Deployment rolls out its ReplicaSet and Pods', async () => {
    await sim.create(DEPLOYMENTS, deployment('web', 2, 'nginx:1.27'));
    await sim.advance(5_000);
    const pods = await sim.list('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb');
    assert.equal(pods.length, 2);
    const web = await sim.get(`${DEPLOYMENTS}/web`);
    assert.equal(web.status?.readyReplicas, 2);
  });

  it('a Job without a restart policy is refused; with one its Pods run', async () => {
    const job = (restartPolicy?: string) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: restartPolicy === undefined ? 'j1' : 'j2' },
      spec: {
        template: {
          spec: { containers: [{ name: 'c', image: 'busybox' }], ...(restartPolicy ? { restartPolicy } : {}) },
        },
      },
    });
    const refused = await sim.api.post('/apis/batch/v1/namespaces/default/jobs', job());
    assert.equal(refused.status, 422);
    assert.equal(
      (refused.body as unknown as Record<string, unknown>).message,
      'Job.batch "j1" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    );
    await sim.create('/apis/batch/v1/namespaces/default/jobs', job('Never'));
    await sim.advance(5_000);
    const pods = await sim.list('/api/v1/namespaces/default/pods?labelSelector=job-name%3Dj2');
    assert.equal(pods.length, 1);
  });

  it('a Deployment selector cannot change; replicas can', async () => {
    const changed = await sim.api.patch(`${DEPLOYMENTS}/web`, {
      spec: { selector: { matchLabels: { app: 'web', tier: 'x' } } },
    });
    assert.equal(changed.status, 422);
    const causes = (
      (changed.body as unknown as { details: { causes: { field: string; message: string }[] } }).details.causes ?? []
    ).map((c) => `${c.field}: ${c.message}`);
    assert.ok(
      causes.includes(
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      ),
      causes.join('\n'),
    );
    const scaled = await sim.api.patch(`${DEPLOYMENTS}/web`, { spec: { replicas: 3 } });
    assert.equal(scaled.status, 200);
  });

  it('a Service with its ports: valid Endpoints and EndpointSlices follow', async () => {
    const svc = await sim.api.post('/api/v1/namespaces/default/services', {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 80 }] },
    });
    assert.equal(svc.status, 201, svc.text);
    await sim.advance(1_000);
    const slices = await sim.list('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices');
    assert.ok(slices.some((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'web'));
    const bad = await sim.api.post('/api/v1/namespaces/default/services', {
      metadata: { name: 'Web' },
      spec: { ports: [{ port: 80 }] },
    });
    assert.equal(bad.status, 422);
  });

  it('a Secret written without a type is Opaque, on create and on update (SetDefaults_Secret)', async () => {
    const path = '/api/v1/namespaces/default/secrets';
    const created = await sim.api.post(path, { metadata: { name: 'untyped' }, data: { a: 'YQ==' } });
    assert.equal((created.body as unknown as { type: string }).type, 'Opaque');
    const replaced = await sim.api.put(`${path}/untyped`, { metadata: { name: 'untyped' }, data: { a: 'Yg==' } });
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal((replaced.body as unknown as { type: string }).type, 'Opaque');
    const retyped = await sim.api.put(`${path}/untyped`, {
      metadata: { name: 'untyped' },
      type: 'kubernetes.io/basic-auth',
      data: { username: 'YQ==' },
    });
    assert.equal(retyped.status, 422);
    assert.equal(
      (retyped.body as unknown as { message: string }).message,
      'Secret "untyped" is invalid: type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
    );
  });

  it('stringData of a Secret is stored as data', async () => {
    const res = await sim.api.post('/api/v1/namespaces/default/secrets', {
      metadata: { name: 'creds' },
      stringData: { user: 'admin' },
    });
    assert.equal(res.status, 201, res.text);
    const secret = res.body as unknown as Record<string, unknown>;
    assert.deepEqual(secret.data, { user: Buffer.from('admin').toString('base64') });
    assert.equal(secret.stringData, undefined);
  });
});
