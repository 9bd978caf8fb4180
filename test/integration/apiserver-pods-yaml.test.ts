/**
 * Graceful pod deletion (the emulator stands in for the kubelet when the grace ends) and YAML
 * request bodies (create, update and apply-patch+yaml).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeObject, Status } from '../../src/core/index.js';
import { type Api, startTestServer, WatchStream } from '../apiserver/helpers.js';
import { eventually } from '../support/index.js';

const PODS = '/api/v1/namespaces/default/pods';
const CM = '/api/v1/namespaces/default/configmaps';

function pod(name: string, spec: Record<string, unknown> = {}, status?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
    ...(status ? { status } : {}),
  };
}

describe('apiserver graceful pod deletion', () => {
  let server: ApiServer;
  let api: Api;
  const exists = async (name: string) => (await api.get(`${PODS}/${name}`)).status === 200;
  before(async () => {
    ({ server, api } = await startTestServer());
  });
  after(() => server.stop());

  it('a scheduled pod stays with deletionTimestamp for its grace period, then goes (DELETED)', async () => {
    const created = (await api.post(PODS, pod('graceful', { nodeName: 'node-1' }))).body;
    const watch = await WatchStream.open(
      server,
      `${PODS}?watch=1&resourceVersion=${String(created.metadata.resourceVersion)}`,
    );
    try {
      const started = Date.now();
      const res = await api.delete<KubeObject>(`${PODS}/graceful`, { gracePeriodSeconds: 1 });
      assert.equal(res.status, 200);
      assert.equal(res.body.kind, 'Pod', 'a graceful delete answers the object');
      assert.equal(res.body.metadata.deletionGracePeriodSeconds, 1);
      assert.ok(res.body.metadata.deletionTimestamp);
      assert.ok(Date.parse(String(res.body.metadata.deletionTimestamp)) > started - 1000);
      // Still readable, and a write during the grace (a kubelet's status update) does not remove it.
      const during = await api.patch<KubeObject>(`${PODS}/graceful/status`, { status: { phase: 'Running' } });
      assert.equal(during.status, 200);
      assert.equal(await exists('graceful'), true);
      // A repeated DELETE with the same or a longer grace changes nothing.
      const again = await api.delete<KubeObject>(`${PODS}/graceful`, { gracePeriodSeconds: 5 });
      assert.equal(again.body.metadata.resourceVersion, during.body.metadata.resourceVersion);
      await eventually(async () => !(await exists('graceful')), { message: 'graceful gone' });
      assert.ok(Date.now() - started >= 900, 'not before the grace period ended');
      const types: string[] = [];
      const deadline = Date.now() + 5000;
      while (!types.includes('DELETED') && Date.now() < deadline)
        for (const e of await watch.take(1)) types.push(e.type);
      assert.deepEqual(types, ['MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED']);
    } finally {
      watch.close();
    }
  });

  it('takes the grace from spec.terminationGracePeriodSeconds; a shorter grace (0) ends it at once', async () => {
    await api.post(PODS, pod('own-grace', { nodeName: 'node-1', terminationGracePeriodSeconds: 45 }));
    const res = await api.delete<KubeObject>(`${PODS}/own-grace`);
    assert.equal(res.body.metadata.deletionGracePeriodSeconds, 45);
    const now = await api.delete(`${PODS}/own-grace`, { gracePeriodSeconds: 0 });
    assert.equal(now.status, 200);
    assert.equal(await exists('own-grace'), false);
  });

  it('a pod never scheduled, or finished, is deleted at once', async () => {
    await api.post(PODS, pod('unscheduled'));
    const res = await api.delete<Status>(`${PODS}/unscheduled`);
    assert.equal(res.status, 200);
    assert.equal(res.body.kind, 'Status');
    assert.equal(await exists('unscheduled'), false);
    await api.post(PODS, pod('finished', { nodeName: 'node-1' }));
    await api.patch(`${PODS}/finished/status`, { status: { phase: 'Succeeded' } });
    await api.delete(`${PODS}/finished?gracePeriodSeconds=30`);
    assert.equal(await exists('finished'), false);
  });

  it('finalizers still hold a pod after its grace period', async () => {
    await api.post(PODS, {
      ...pod('held', { nodeName: 'node-1' }),
      metadata: { name: 'held', finalizers: ['test/hold'] },
    });
    await api.delete(`${PODS}/held?gracePeriodSeconds=1`);
    await eventually(
      async () => (await api.get<KubeObject>(`${PODS}/held`)).body.metadata.deletionGracePeriodSeconds === 0,
      { message: 'held with a zero grace period' },
    );
    assert.equal(await exists('held'), true);
    await api.patch(`${PODS}/held`, { metadata: { finalizers: null } });
    assert.equal(await exists('held'), false);
  });

  it('a terminating namespace waits for its pods to end their grace, then goes', async () => {
    await api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'grace-ns' } });
    const nsPods = '/api/v1/namespaces/grace-ns/pods';
    await api.post(nsPods, pod('inside', { nodeName: 'node-1', terminationGracePeriodSeconds: 1 }));
    await api.delete('/api/v1/namespaces/grace-ns');
    await eventually(
      async () => Boolean((await api.get<KubeObject>(`${nsPods}/inside`)).body.metadata?.deletionTimestamp),
      { message: 'the pod inside marked for deletion' },
    );
    assert.equal((await api.get<KubeObject>('/api/v1/namespaces/grace-ns')).status, 200, 'waits for the pod');
    await eventually(async () => (await api.get('/api/v1/namespaces/grace-ns')).status === 404, {
      message: '/api/v1/namespaces/grace-ns gone',
    });
    assert.equal((await api.get(`${nsPods}/inside`)).status, 404);
  });

  it('dryRun keeps the pod as it was; a non-integer grace fails as the real decoder does', async () => {
    await api.post(PODS, pod('dry', { nodeName: 'node-1' }));
    // With a body the options come from the body only (the query's are read without one).
    const dry = await api.delete<KubeObject>(`${PODS}/dry`, { gracePeriodSeconds: 1, dryRun: ['All'] });
    assert.equal(dry.status, 200);
    assert.equal((await api.get<KubeObject>(`${PODS}/dry`)).body.metadata.deletionTimestamp, undefined);
    const dryQuery = await api.delete<KubeObject>(`${PODS}/dry?dryRun=All&gracePeriodSeconds=1`);
    assert.equal(dryQuery.status, 200);
    assert.equal((await api.get<KubeObject>(`${PODS}/dry`)).body.metadata.deletionTimestamp, undefined);
    // A body that does not decode is the decoder's error as is: a 500 (handlers/delete.go).
    const bad = await api.delete<Status>(`${PODS}/dry`, { gracePeriodSeconds: 'soon' });
    assert.equal(bad.status, 500);
    assert.equal(
      bad.body.message,
      'json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64',
    );
    // In the query, a grace that does not parse is a 400 with Go's text.
    const badQuery = await api.delete<Status>(`${PODS}/dry?gracePeriodSeconds=soon`);
    assert.equal(badQuery.status, 400);
    assert.equal(badQuery.body.message, 'strconv.ParseInt: parsing "soon": invalid syntax');
    await api.delete(`${PODS}/dry`, { gracePeriodSeconds: 0 });
    assert.equal(await exists('dry'), false);
  });
});

describe('apiserver YAML request bodies', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer());
  });
  after(() => server.stop());

  it('creates and updates from application/yaml', async () => {
    const yaml =
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  when: 2024-01-01T00:00:00Z\n  n: "1"\n';
    const created = await api.request<KubeObject>('POST', CM, yaml, 'application/yaml');
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.data, { when: '2024-01-01T00:00:00Z', n: '1' });
    const update = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\n  resourceVersion: "${String(created.body.metadata.resourceVersion)}"\ndata:\n  n: "2"\n`;
    const updated = await api.request<KubeObject>('PUT', `${CM}/from-yaml`, update, 'application/yaml');
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual(updated.body.data, { n: '2' });
  });

  it('applies a YAML apply-patch+yaml body', async () => {
    const body = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied-yaml\ndata:\n  a: x\n  list: "[1, 2]"\n';
    const res = await api.request<KubeObject>(
      'PATCH',
      `${CM}/applied-yaml?fieldManager=yaml-test`,
      body,
      'application/apply-patch+yaml',
    );
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body.data, { a: 'x', list: '[1, 2]' });
    assert.equal(res.body.metadata.managedFields?.[0].manager, 'yaml-test');
  });

  it('answers 400 for broken YAML, broken JSON and several documents', async () => {
    const broken = await api.request<Status>('POST', CM, 'metadata: [unclosed\n', 'application/yaml');
    assert.equal(broken.status, 400);
    assert.match(String(broken.body.message), /error decoding YAML/);
    const json = await api.request<Status>('POST', CM, '{"metadata": ', 'application/json');
    assert.equal(json.status, 400);
    assert.match(String(json.body.message), /json parse error/);
    const many = await api.request<Status>(
      'PATCH',
      `${CM}/many?fieldManager=m`,
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: many}\n---\napiVersion: v1\nkind: ConfigMap\n',
      'application/apply-patch+yaml',
    );
    assert.equal(many.status, 400);
  });
});
