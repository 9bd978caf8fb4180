import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeObject } from '../../src/core/index.js';
import { type Api, configMap, startTestServer } from '../apiserver/helpers.js';

const CM = '/api/v1/namespaces/default/configmaps';
const TABLE =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const META = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const META_ONE = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

interface Table {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string; continue?: string };
  columnDefinitions: { name: string; type: string; format: string; priority: number }[];
  rows: { cells: unknown[]; object?: KubeObject }[];
}

describe('apiserver representations: Tables, PartialObjectMetadata, aggregated discovery', () => {
  let server: ApiServer;
  let api: Api;
  const get = <T>(path: string, accept: string) =>
    api.request<T>('GET', path, undefined, 'application/json', { accept });
  before(async () => {
    ({ server, api } = await startTestServer());
    await api.post(CM, configMap('t1', { a: '1', b: '2' }));
    await api.post(CM, configMap('t2'));
  });
  after(() => server.stop());

  it('lists as a Table with kubectl columns and the list resourceVersion', async () => {
    const res = await get<Table>(`${CM}?limit=1`, TABLE);
    assert.equal(res.status, 200);
    assert.equal(res.body.kind, 'Table');
    assert.equal(res.body.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(
      res.body.columnDefinitions.map((c) => c.name),
      ['Name', 'Data', 'Age'],
    );
    assert.equal(res.body.columnDefinitions[0].format, 'name');
    assert.equal(res.body.rows.length, 1);
    assert.deepEqual(res.body.rows[0].cells.slice(0, 2), ['t1', 2]);
    assert.match(String(res.body.rows[0].cells[2]), /^\d+s$/);
    assert.equal(res.body.rows[0].object?.kind, 'PartialObjectMetadata');
    assert.ok(res.body.metadata.continue);
    const plain = await api.get<{ metadata: { resourceVersion: string } }>(CM);
    assert.equal(res.body.metadata.resourceVersion, plain.body.metadata.resourceVersion);
    const full = await get<Table>(`${CM}?includeObject=Object`, TABLE);
    assert.equal(full.body.rows[0].object?.kind, 'ConfigMap');
    const none = await get<Table>(`${CM}?includeObject=None`, TABLE);
    assert.equal(none.body.rows[0].object, undefined);
  });

  it('gets one object as a Table, and custom resources with printer columns', async () => {
    const ns = await get<Table>('/api/v1/namespaces/default', TABLE);
    assert.deepEqual(ns.body.rows[0].cells.slice(0, 2), ['default', 'Active']);
    await api.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'boxes.tables.dev' },
      spec: {
        group: 'tables.dev',
        scope: 'Namespaced',
        names: { plural: 'boxes', kind: 'Box' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', properties: { size: { type: 'integer' } } },
                  status: {
                    type: 'object',
                    properties: {
                      conditions: {
                        type: 'array',
                        items: {
                          type: 'object',
                          properties: { type: { type: 'string' }, status: { type: 'string' } },
                        },
                      },
                    },
                  },
                },
              },
            },
            additionalPrinterColumns: [
              { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
              { name: 'Available', type: 'string', jsonPath: '.status.conditions[?(@.type=="Available")].status' },
              { name: 'Missing', type: 'string', jsonPath: '.spec.nothing', priority: 1 },
              { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            ],
          },
        ],
      },
    });
    await api.post('/apis/tables.dev/v1/namespaces/default/boxes', {
      apiVersion: 'tables.dev/v1',
      kind: 'Box',
      metadata: { name: 'b' },
      spec: { size: 3 },
      status: {
        conditions: [
          { type: 'Progressing', status: 'True' },
          { type: 'Available', status: 'False' },
        ],
      },
    });
    const boxes = await get<Table>('/apis/tables.dev/v1/namespaces/default/boxes', TABLE);
    assert.deepEqual(
      boxes.body.columnDefinitions.map((c) => [c.name, c.type, c.priority]),
      [
        ['Name', 'string', 0],
        ['Size', 'integer', 0],
        ['Available', 'string', 0],
        ['Missing', 'string', 1],
        ['Age', 'date', 0],
      ],
      'the declared columns only: no Age is added beside them',
    );
    assert.deepEqual(boxes.body.rows[0].cells.slice(0, 4), ['b', 3, 'False', null], 'filters select; missing is null');
    assert.match(String(boxes.body.rows[0].cells[4]), /^\d+s$/, 'dates print as ages');
  });

  it('watches as Tables, column definitions on the first event only', async () => {
    const res = await fetch(`${server.url}${CM}?watch=1&fieldSelector=metadata.name%3Dt2&timeoutSeconds=1`, {
      headers: { accept: TABLE },
    });
    // Headers arrive once the watch is registered: the patch cannot race it.
    await api.patch(`${CM}/t2`, { data: { x: '1' } });
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines[0].type, 'ADDED');
    assert.equal(lines[0].object.kind, 'Table');
    assert.equal(lines[0].object.columnDefinitions.length, 3);
    assert.equal(lines[0].object.rows[0].cells[0], 't2');
    assert.equal(lines[1]?.type, 'MODIFIED');
    assert.deepEqual(lines[1].object.columnDefinitions, []);
  });

  it('serves PartialObjectMetadata for get, list and watch', async () => {
    const list = await get<{ kind: string; items: KubeObject[] }>(CM, META);
    assert.equal(list.body.kind, 'PartialObjectMetadataList');
    assert.equal(list.body.items[0].kind, 'PartialObjectMetadata');
    assert.equal(list.body.items[0].metadata.name, 't1');
    assert.equal((list.body.items[0] as KubeObject & { data?: unknown }).data, undefined);
    const one = await get<KubeObject>(`${CM}/t1`, META_ONE);
    assert.equal(one.body.kind, 'PartialObjectMetadata');
    assert.equal(one.body.apiVersion, 'meta.k8s.io/v1');
    const res = await fetch(`${server.url}${CM}?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Dt1`, {
      headers: { accept: META_ONE },
    });
    const [line] = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(line.object.kind, 'PartialObjectMetadata');
  });

  it('answers aggregated discovery v2 and v2beta1 by Accept, legacy otherwise', async () => {
    for (const v of ['v2', 'v2beta1']) {
      const accept = `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList,application/json`;
      const apis = await get<{
        kind: string;
        apiVersion: string;
        items: {
          metadata: { name?: string };
          versions: {
            version: string;
            resources: { resource: string; responseKind: { kind: string }; scope: string }[];
          }[];
        }[];
      }>('/apis', accept);
      assert.equal(
        apis.headers.get('content-type'),
        `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`,
      );
      assert.equal(apis.body.kind, 'APIGroupDiscoveryList');
      assert.equal(apis.body.apiVersion, `apidiscovery.k8s.io/${v}`);
      const apps = apis.body.items.find((i) => i.metadata.name === 'apps');
      const deployments = apps?.versions[0].resources.find((r) => r.resource === 'deployments');
      assert.equal(deployments?.responseKind.kind, 'Deployment');
      assert.equal(deployments?.scope, 'Namespaced');
      const core = await get<{ items: { versions: { resources: { resource: string }[] }[] }[] }>('/api', accept);
      assert.ok(core.body.items[0].versions[0].resources.some((r) => r.resource === 'configmaps'));
    }
    const legacy = await api.get<{ kind: string }>('/apis');
    assert.equal(legacy.body.kind, 'APIGroupList');
    assert.equal(legacy.headers.get('content-type'), 'application/json');
  });
});
