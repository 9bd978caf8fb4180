/**
 * Emulator behaviours the other suites did not prove over HTTP: dryRun=All on every write
 * verb, Exact list snapshots from history, the built-in field selectors of Pod, Secret and
 * Namespace, and CRD selectableFields.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeList, KubeObject, Status } from '../../src/core/index.js';
import { type Api, configMap, startTestServer, WatchStream } from '../apiserver/helpers.js';
import { eventually } from '../support/index.js';

const CM = '/api/v1/namespaces/default/configmaps';
type ConfigMapObject = KubeObject & { data?: Record<string, string> };
const names = (list: KubeList<KubeObject>) => list.items.map((i) => String(i.metadata.name)).sort();

describe('apiserver spec audit', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer());
  });
  after(() => server.stop());

  it('dryRun=All on update, patch, apply, delete and deletecollection changes nothing', async () => {
    const created = (await api.post(CM, configMap('dry-all', { a: '1' }, { dry: 'yes' }))).body;
    const rv = created.metadata.resourceVersion;
    const put = await api.put<ConfigMapObject>(`${CM}/dry-all?dryRun=All`, { ...created, data: { a: '2' } });
    assert.equal(put.status, 200);
    assert.equal(put.body.data?.a, '2', 'the answer shows the result');
    const patch = await api.patch<ConfigMapObject>(`${CM}/dry-all?dryRun=All`, { data: { a: '3' } });
    assert.equal(patch.body.data?.a, '3');
    const apply = await api.patch<ConfigMapObject>(
      `${CM}/dry-all?dryRun=All&fieldManager=m&force=true`,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry-all' }, data: { a: '4' } },
      'application/apply-patch+yaml',
    );
    assert.equal(apply.body.data?.a, '4');
    assert.equal((await api.delete(`${CM}/dry-all?dryRun=All`)).status, 200);
    assert.equal((await api.delete(`${CM}?dryRun=All&labelSelector=dry%3Dyes`)).status, 200);
    const after = (await api.get<ConfigMapObject>(`${CM}/dry-all`)).body;
    assert.equal(after.metadata.resourceVersion, rv);
    assert.deepEqual(after.data, { a: '1' });
  });

  it('lists an Exact snapshot from history, and 410 once it is compacted', async () => {
    await api.post(CM, configMap('snap-a', {}, { snap: 'x' }));
    const at = (await api.get<KubeList<KubeObject>>(`${CM}?labelSelector=snap`)).body.metadata.resourceVersion;
    await api.post(CM, configMap('snap-b', {}, { snap: 'x' }));
    await api.delete(`${CM}/snap-a`);
    const exact = await api.get<KubeList<KubeObject>>(
      `${CM}?labelSelector=snap&resourceVersion=${at}&resourceVersionMatch=Exact`,
    );
    assert.equal(exact.status, 200);
    assert.deepEqual(names(exact.body), ['snap-a']);
    assert.equal(exact.body.metadata.resourceVersion, at);
    const newer = await api.get<KubeList<KubeObject>>(
      `${CM}?labelSelector=snap&resourceVersion=${at}&resourceVersionMatch=NotOlderThan`,
    );
    assert.deepEqual(names(newer.body), ['snap-b']);
    server.faults.compact();
    const gone = await api.get<Status>(`${CM}?labelSelector=snap&resourceVersion=${at}&resourceVersionMatch=Exact`);
    assert.equal(gone.status, 410);
  });

  it('a limit with a resourceVersion and no match is the legacy exact read: a snapshot at that revision', async () => {
    await api.post(CM, configMap('legacy-a', {}, { legacy: 'x' }));
    const at = (await api.get<KubeList<KubeObject>>(`${CM}?labelSelector=legacy`)).body.metadata.resourceVersion;
    await api.post(CM, configMap('legacy-b', {}, { legacy: 'x' }));
    await api.delete(`${CM}/legacy-a`);
    // etcd3 store GetList, `case ""`: limit > 0 and resourceVersion > 0 read at that revision.
    const legacy = await api.get<KubeList<KubeObject>>(`${CM}?labelSelector=legacy&limit=10&resourceVersion=${at}`);
    assert.equal(legacy.status, 200);
    assert.deepEqual(names(legacy.body), ['legacy-a']);
    assert.equal(legacy.body.metadata.resourceVersion, at);
    // Without a limit (the watch cache), or at "0", it is the current state.
    const cached = await api.get<KubeList<KubeObject>>(`${CM}?labelSelector=legacy&resourceVersion=${at}`);
    assert.deepEqual(names(cached.body), ['legacy-b']);
    const any = await api.get<KubeList<KubeObject>>(`${CM}?labelSelector=legacy&limit=10&resourceVersion=0`);
    assert.deepEqual(names(any.body), ['legacy-b']);
  });

  it('a watch from a resourceVersion not reached yet sends only the events after it (no 504)', async () => {
    const rv = Number((await api.get<KubeList<KubeObject>>(CM)).body.metadata.resourceVersion);
    const watch = await WatchStream.open(server, `${CM}?watch=1&resourceVersion=${rv + 1}`);
    try {
      await api.post(CM, configMap('future-1')); // rv + 1: not after rv + 1, so not sent
      await api.post(CM, configMap('future-2'));
      const events = await watch.take(1);
      assert.deepEqual(
        events.map((e) => `${e.type} ${String(e.object.metadata.name)}`),
        ['ADDED future-2'],
      );
    } finally {
      watch.close();
    }
  });

  it('selects Pods by spec.nodeName and status.phase, Secrets by type, Namespaces by status.phase', async () => {
    const PODS = '/api/v1/namespaces/default/pods';
    const pod = (name: string, nodeName: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { nodeName, containers: [{ name: 'c', image: 'x' }] },
    });
    await api.post(PODS, pod('on-a', 'node-a'));
    await api.post(PODS, pod('on-b', 'node-b'));
    await api.patch(`${PODS}/on-b/status`, { status: { phase: 'Running' } });
    const onA = await api.get<KubeList<KubeObject>>(`${PODS}?fieldSelector=spec.nodeName%3Dnode-a`);
    assert.deepEqual(names(onA.body), ['on-a']);
    const running = await api.get<KubeList<KubeObject>>(`/api/v1/pods?fieldSelector=status.phase%3DRunning`);
    assert.deepEqual(names(running.body), ['on-b']);
    const notA = await api.get<KubeList<KubeObject>>(`${PODS}?fieldSelector=spec.nodeName!%3Dnode-a`);
    assert.deepEqual(names(notA.body), ['on-b']);
    const SECRETS = '/api/v1/namespaces/default/secrets';
    await api.post(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'opaque' } });
    await api.post(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tls' },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': '', 'tls.key': '' },
    });
    const tls = await api.get<KubeList<KubeObject>>(`${SECRETS}?fieldSelector=type%3Dkubernetes.io%2Ftls`);
    assert.deepEqual(names(tls.body), ['tls']);
    const active = await api.get<KubeList<KubeObject>>('/api/v1/namespaces?fieldSelector=status.phase%3DActive');
    assert.ok(names(active.body).includes('default'));
    const unknown = await api.get<Status>(`${SECRETS}?fieldSelector=data.x%3Dy`);
    assert.equal(unknown.status, 400);
    assert.match(String(unknown.body.message), /field label not supported/);
  });

  it('selects custom resources by the CRD selectableFields', async () => {
    await api.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'crons.audit.example.com' },
      spec: {
        group: 'audit.example.com',
        scope: 'Namespaced',
        names: { plural: 'crons', kind: 'Cron' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            selectableFields: [{ jsonPath: '.spec.color' }],
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', properties: { color: { type: 'string' } } } },
              },
            },
          },
        ],
      },
    });
    const base = '/apis/audit.example.com/v1/namespaces/default/crons';
    // The real server refuses a selectable field the schema does not declare as a scalar.
    const undeclared = await api.post<Status>('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'loose.audit.example.com' },
      spec: {
        group: 'audit.example.com',
        scope: 'Namespaced',
        names: { plural: 'loose', kind: 'Loose' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            selectableFields: [{ jsonPath: '.spec.color' }],
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    });
    assert.equal(undeclared.status, 422);
    assert.equal(
      undeclared.body.message,
      'CustomResourceDefinition.apiextensions.k8s.io "loose.audit.example.com" is invalid: spec.versions[0].selectableFields[0].jsonPath: Invalid value: ".spec.color": is an invalid path: does not refer to a valid field',
    );
    await eventually(async () => (await api.get(base)).status === 200, { message: 'the CRD served' });
    const cron = (name: string, color: string) => ({
      apiVersion: 'audit.example.com/v1',
      kind: 'Cron',
      metadata: { name },
      spec: { color },
    });
    await api.post(base, cron('red-one', 'red'));
    await api.post(base, cron('blue-one', 'blue'));
    const red = await api.get<KubeList<KubeObject>>(`${base}?fieldSelector=spec.color%3Dred`);
    assert.equal(red.status, 200, red.text);
    assert.deepEqual(names(red.body), ['red-one']);
    const other = await api.get<Status>(`${base}?fieldSelector=spec.size%3D1`);
    assert.equal(other.status, 400);
  });
});
