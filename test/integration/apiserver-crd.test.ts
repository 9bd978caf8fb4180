import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeList, KubeObject, Status } from '../../src/core/index.js';
import { type Api, startTestServer, WatchStream } from '../apiserver/helpers.js';
import { eventually } from '../support/index.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

function crd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'gadgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'gadgets', kind: 'Gadget', shortNames: ['gd'] },
      versions: [
        { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

describe('apiserver CRD lifecycle over HTTP', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer());
  });
  after(() => server.stop());

  it('registers a CRD: Established, discovery, custom resources with generation and status subresource, cleanup on delete', async () => {
    const created = await api.post(CRDS, crd());
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.metadata.finalizers, ['customresourcecleanup.apiextensions.k8s.io']);
    const status = created.body.status as {
      conditions: { type: string; status: string }[];
      acceptedNames: { listKind: string };
    };
    assert.ok(status.conditions.some((c) => c.type === 'Established' && c.status === 'True'));
    assert.equal(status.acceptedNames.listKind, 'GadgetList');

    const group = await api.get<{ versions: { version: string }[]; preferredVersion: { version: string } }>(
      '/apis/example.com',
    );
    assert.deepEqual(
      group.body.versions.map((v) => v.version),
      ['v1', 'v1beta1'],
      'GA before beta',
    );
    assert.equal(group.body.preferredVersion.version, 'v1');
    const resources = await api.get<{ resources: { name: string; shortNames?: string[] }[] }>('/apis/example.com/v1');
    assert.deepEqual(
      resources.body.resources.map((r) => r.name),
      ['gadgets', 'gadgets/status'],
    );
    const groups = await api.get<{ groups: { name: string }[] }>('/apis');
    assert.ok(groups.body.groups.some((g) => g.name === 'example.com'));

    const base = '/apis/example.com/v1/namespaces/default/gadgets';
    const watch = await WatchStream.open(server, `${base}?watch=1`);
    const g = await api.post(base, {
      apiVersion: 'example.com/v1',
      kind: 'Gadget',
      metadata: { name: 'g1' },
      spec: { size: 1 },
      status: { ready: true },
    });
    assert.equal(g.status, 201);
    assert.equal(g.body.metadata.generation, 1);
    assert.equal(g.body.status, undefined, 'status is ignored on create with the status subresource');
    const spec = await api.patch(`${base}/g1`, { spec: { size: 2 } });
    assert.equal(spec.body.metadata.generation, 2);
    const label = await api.patch(`${base}/g1`, { metadata: { labels: { a: 'b' } } });
    assert.equal(label.body.metadata.generation, 2, 'metadata does not bump the generation');
    const st = await api.patch(`${base}/g1/status`, { status: { ready: true } });
    assert.deepEqual(st.body.status, { ready: true });
    assert.equal(st.body.metadata.generation, 2, 'status does not bump the generation');
    const smp = await api.patch<Status>(`${base}/g1`, { spec: {} }, 'application/strategic-merge-patch+json');
    assert.equal(smp.status, 415, 'custom resources refuse strategic merge');
    const noRv = await api.put<Status>(`${base}/g1`, {
      apiVersion: 'example.com/v1',
      kind: 'Gadget',
      metadata: { name: 'g1' },
    });
    assert.equal(noRv.status, 422, 'custom resources need a resourceVersion on update');
    const list = await api.get<KubeList>(base);
    assert.equal(list.body.kind, 'GadgetList');
    assert.equal(list.body.items[0].kind, 'Gadget', 'custom resource list items keep apiVersion/kind');
    const events = await watch.take(4);
    watch.close();
    assert.deepEqual(
      events.map((e) => e.type),
      ['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED'],
    );

    const deleted = await api.delete<KubeObject>(`${base}/g1`);
    assert.equal(deleted.body.kind, 'Gadget', 'deleting a custom resource answers the object');
    await api.post(base, { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g2' } });
    const crdDelete = await api.delete(`${CRDS}/gadgets.example.com`);
    assert.equal(crdDelete.status, 200);
    await eventually(async () => (await api.get(`${CRDS}/gadgets.example.com`)).status === 404, {
      message: 'the CRD goes once its custom resources are gone',
    });
    assert.equal((await api.get(base)).status, 404, 'its routes are gone');
    assert.equal((await api.get('/apis/example.com/v1')).status, 404, 'its discovery is gone');
  });

  it('serves every version of one store, relabelling apiVersion (conversion strategy None)', async () => {
    await api.post(CRDS, { ...crd(), metadata: { name: 'gadgets.example.com' } });
    const v1 = '/apis/example.com/v1/namespaces/default/gadgets';
    const beta = '/apis/example.com/v1beta1/namespaces/default/gadgets';
    const created = await api.post(beta, {
      apiVersion: 'example.com/v1beta1',
      kind: 'Gadget',
      metadata: { name: 'multi' },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.apiVersion, 'example.com/v1beta1');
    assert.equal(
      (await api.get<KubeObject>(`${v1}/multi`)).body.apiVersion,
      'example.com/v1',
      'stored at the storage version',
    );
    assert.equal((await api.get<KubeObject>(`${beta}/multi`)).body.apiVersion, 'example.com/v1beta1');
    const list = await api.get<KubeList>(beta);
    assert.equal(list.body.apiVersion, 'example.com/v1beta1');
    assert.equal(list.body.items[0].apiVersion, 'example.com/v1beta1');
    await api.delete(`${v1}/multi`);
    await api.delete(`${CRDS}/gadgets.example.com`);
  });

  it('validates a CRD: name must be plural.group, one storage version', async () => {
    const bad = crd();
    bad.metadata.name = 'wrong.example.com';
    const res = await api.post<Status>(CRDS, bad);
    assert.equal(res.status, 422);
    assert.match(String(res.body.message), /must be spec.names.plural\+"."\+spec.group/);
  });

  it('serves cluster-scoped custom resources', async () => {
    const c = crd();
    c.metadata.name = 'clusterthings.example.org';
    c.spec = {
      group: 'example.org',
      scope: 'Cluster',
      names: { plural: 'clusterthings', kind: 'ClusterThing' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
    };
    assert.equal((await api.post(CRDS, c)).status, 201);
    const res = await api.post('/apis/example.org/v1/clusterthings', {
      apiVersion: 'example.org/v1',
      kind: 'ClusterThing',
      metadata: { name: 'one' },
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.metadata.namespace, undefined);
    assert.equal((await api.get('/apis/example.org/v1/namespaces/default/clusterthings')).status, 404);
  });
});

describe('apiserver scale subresource', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer());
  });
  after(() => server.stop());

  it('reads and writes replicas of a Deployment through /scale', async () => {
    const base = '/apis/apps/v1/namespaces/default/deployments';
    await api.post(base, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'sc' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'sc' } },
        template: { metadata: { labels: { app: 'sc' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
    });
    const scale = await api.get<KubeObject & { spec: { replicas: number }; status: { selector: string } }>(
      `${base}/sc/scale`,
    );
    assert.equal(scale.body.kind, 'Scale');
    assert.equal(scale.body.apiVersion, 'autoscaling/v1');
    assert.equal(scale.body.spec.replicas, 2);
    assert.equal(scale.body.status.selector, 'app=sc');
    const patched = await api.patch<KubeObject & { spec: { replicas: number } }>(`${base}/sc/scale`, {
      spec: { replicas: 5 },
    });
    assert.equal(patched.body.spec.replicas, 5);
    const dep = await api.get<KubeObject & { spec: { replicas: number } }>(`${base}/sc`);
    assert.equal(dep.body.spec.replicas, 5);
    assert.equal(dep.body.metadata.generation, 2);
    const stale = await api.put<Status>(`${base}/sc/scale`, { ...scale.body, spec: { replicas: 1 } });
    assert.equal(stale.status, 409, "the Scale's resourceVersion is a precondition");
    const resources = await api.get<{ resources: { name: string; kind: string }[] }>('/apis/apps/v1');
    assert.ok(resources.body.resources.some((r) => r.name === 'deployments/scale' && r.kind === 'Scale'));
  });

  it('scales a custom resource through the CRD paths', async () => {
    const c = crd();
    c.metadata.name = 'scalers.example.net';
    c.spec = {
      group: 'example.net',
      scope: 'Namespaced',
      names: { plural: 'scalers', kind: 'Scaler' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.size',
              statusReplicasPath: '.status.size',
              labelSelectorPath: '.status.selector',
            },
          },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', properties: { size: { type: 'integer' } } },
                status: {
                  type: 'object',
                  properties: { size: { type: 'integer' }, selector: { type: 'string' } },
                },
              },
            },
          },
        },
      ],
    };
    await api.post(CRDS, c);
    const base = '/apis/example.net/v1/namespaces/default/scalers';
    await api.post(base, { apiVersion: 'example.net/v1', kind: 'Scaler', metadata: { name: 's' }, spec: { size: 1 } });
    await api.patch(`${base}/s/status`, { status: { size: 1, selector: 'app=s' } });
    const res = await api.patch<
      KubeObject & { spec: { replicas: number }; status: { replicas: number; selector: string } }
    >(`${base}/s/scale`, { spec: { replicas: 4 } });
    assert.equal(res.body.spec.replicas, 4);
    assert.equal(res.body.status.replicas, 1);
    assert.equal(res.body.status.selector, 'app=s');
    const obj = await api.get<KubeObject & { spec: { size: number } }>(`${base}/s`);
    assert.equal(obj.body.spec.size, 4);
  });
});

describe('apiserver custom resource schemas: pruning, defaulting, fieldValidation', () => {
  let server: ApiServer;
  let api: Api;
  const base = '/apis/schema.dev/v1/namespaces/default/pruned';
  before(async () => {
    ({ server, api } = await startTestServer());
    await api.post(CRDS, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'pruned.schema.dev' },
      spec: {
        group: 'schema.dev',
        scope: 'Namespaced',
        names: { plural: 'pruned', kind: 'Pruned' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: {
                      size: { type: 'integer', default: 3 },
                      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                      items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
                    },
                  },
                },
              },
            },
          },
        ],
      },
    });
  });
  after(() => server.stop());

  const body = (spec: unknown) => ({ apiVersion: 'schema.dev/v1', kind: 'Pruned', metadata: { name: 'p' }, spec });

  it('prunes unknown fields with a Warning by default and fills defaults', async () => {
    const res = await api.post<KubeObject & { spec: Record<string, unknown> }>(
      base,
      body({ foo: 1, free: { anything: true }, items: [{ name: 'a', extra: 1 }] }),
    );
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.spec, { free: { anything: true }, items: [{ name: 'a' }], size: 3 });
    const warning = res.headers.get('warning') ?? '';
    assert.match(warning, /^299 - "unknown field \\"spec.foo\\""/);
    assert.match(warning, /spec.items\[0\].extra/);
  });

  it('refuses unknown fields with fieldValidation=Strict and drops them silently with Ignore', async () => {
    const strict = await api.post<Status>(`${base}?fieldValidation=Strict`, {
      ...body({ bar: 1 }),
      metadata: { name: 'q' },
    });
    assert.equal(strict.status, 400);
    assert.equal(strict.body.message, 'strict decoding error: unknown field "spec.bar"');
    const ignore = await api.post(`${base}?fieldValidation=Ignore`, { ...body({ bar: 1 }), metadata: { name: 'q' } });
    assert.equal(ignore.status, 201);
    assert.equal(ignore.headers.get('warning'), null);
    const bad = await api.post<Status>(`${base}?fieldValidation=Loud`, { ...body({}), metadata: { name: 'r' } });
    assert.equal(bad.status, 422);
    assert.equal(
      bad.body.message,
      'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn"',
    );
  });
});
