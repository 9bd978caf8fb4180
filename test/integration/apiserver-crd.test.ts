import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeList, KubeObject, Status } from '../../src/core/index.js';
import { type Api, WatchStream, startTestServer } from '../apiserver/helpers.js';

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
    const status = created.body.status as { conditions: { type: string; status: string }[]; acceptedNames: { listKind: string } };
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
    const noRv = await api.put<Status>(`${base}/g1`, { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g1' } });
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
    const deadline = Date.now() + 5000;
    let code = 200;
    while (code === 200 && Date.now() < deadline) {
      code = (await api.get(`${CRDS}/gadgets.example.com`)).status;
      if (code === 200) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(code, 404, 'the CRD goes once its custom resources are gone');
    assert.equal((await api.get(base)).status, 404, 'its routes are gone');
    assert.equal((await api.get('/apis/example.com/v1')).status, 404, 'its discovery is gone');
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
      versions: [{ name: 'v1', served: true, storage: true }],
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
