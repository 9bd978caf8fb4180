import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeObject, Status } from '../../src/core/index.js';
import { type Api, configMap, startTestServer } from '../apiserver/helpers.js';
import { eventually } from '../support/index.js';

const CM = '/api/v1/namespaces/default/configmaps';

describe('apiserver CRUD over HTTP', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer());
  });
  after(() => server.stop());

  it('creates, gets, updates and deletes a ConfigMap with a global resourceVersion', async () => {
    const created = await api.post(CM, configMap('crud', { a: '1' }));
    assert.equal(created.status, 201);
    const meta = created.body.metadata;
    assert.match(String(meta.uid), /^[0-9a-f-]{36}$/);
    assert.match(String(meta.creationTimestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(meta.namespace, 'default');
    assert.equal(meta.generation, undefined);
    const got = await api.get<KubeObject>(`${CM}/crud`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, created.body);
    const updated = await api.put(`${CM}/crud`, { ...got.body, data: { a: '2' } });
    assert.equal(updated.status, 200);
    assert.ok(Number(updated.body.metadata.resourceVersion) > Number(meta.resourceVersion));
    const deleted = await api.delete<Status>(`${CM}/crud`);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.status, 'Success');
    assert.equal(deleted.body.details?.name, 'crud');
    const gone = await api.get<Status>(`${CM}/crud`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.reason, 'NotFound');
    assert.equal(gone.body.message, 'configmaps "crud" not found');
  });

  it('answers 409 Conflict for a stale resourceVersion and 409 AlreadyExists for a duplicate', async () => {
    const created = await api.post(CM, configMap('stale', { a: '1' }));
    const first = await api.put(`${CM}/stale`, { ...created.body, data: { a: '2' } });
    assert.equal(first.status, 200);
    const second = await api.put<Status>(`${CM}/stale`, { ...created.body, data: { a: '3' } });
    assert.equal(second.status, 409);
    assert.equal(second.body.reason, 'Conflict');
    assert.equal(
      second.body.message,
      'Operation cannot be fulfilled on configmaps "stale": the object has been modified; please apply your changes to the latest version and try again',
    );
    const dup = await api.post<Status>(CM, configMap('stale'));
    assert.equal(dup.status, 409);
    assert.equal(dup.body.reason, 'AlreadyExists');
    assert.equal(dup.body.message, 'configmaps "stale" already exists');
  });

  it('keeps the resourceVersion and emits nothing for a no-op update or patch', async () => {
    const created = await api.post(CM, configMap('noop', { a: '1' }));
    const rv = created.body.metadata.resourceVersion;
    const put = await api.put(`${CM}/noop`, created.body);
    assert.equal(put.body.metadata.resourceVersion, rv);
    const patch = await api.patch(`${CM}/noop`, { data: { a: '1' } });
    assert.equal(patch.body.metadata.resourceVersion, rv);
    const list = await api.get<{ metadata: { resourceVersion: string } }>(
      `${CM}?resourceVersion=${rv}&watch=1&timeoutSeconds=1`,
    );
    // Nothing happened after rv to this object: the watch ends with no event for it.
    assert.ok(!list.text.includes('"name":"noop"'));
  });

  it('fills the name from generateName', async () => {
    const res = await api.post(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
    assert.equal(res.status, 201);
    assert.match(String(res.body.metadata.name), /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('applies JSON patch, merge patch and strategic merge patch, with a resourceVersion precondition', async () => {
    const base = await api.post(CM, configMap('patched', { a: '1' }));
    const json = await api.patch(
      `${CM}/patched`,
      [{ op: 'add', path: '/data/b', value: '2' }],
      'application/json-patch+json',
    );
    assert.equal(json.status, 200);
    assert.deepEqual(json.body.data, { a: '1', b: '2' });
    const merge = await api.patch(`${CM}/patched`, { data: { a: null } });
    assert.deepEqual(merge.body.data, { b: '2' });
    const smp = await api.patch(`${CM}/patched`, { data: { c: '3' } }, 'application/strategic-merge-patch+json');
    assert.deepEqual(smp.body.data, { b: '2', c: '3' });
    const stale = await api.patch<Status>(`${CM}/patched`, {
      metadata: { resourceVersion: base.body.metadata.resourceVersion },
      data: { d: '4' },
    });
    assert.equal(stale.status, 409);
    const failedTest = await api.patch<Status>(
      `${CM}/patched`,
      [{ op: 'test', path: '/data/b', value: 'nope' }],
      'application/json-patch+json',
    );
    assert.equal(failedTest.status, 422);
    const badOps = await api.patch<Status>(`${CM}/patched`, { not: 'a list' }, 'application/json-patch+json');
    assert.equal(badOps.status, 400);
  });

  it('merges containers by name in a strategic merge patch of a Deployment and tracks generation', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments';
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'a', image: 'a:1' },
              { name: 'b', image: 'b:1' },
            ],
          },
        },
      },
      status: { replicas: 5 },
    };
    const created = await api.post(path, dep);
    assert.equal(created.body.metadata.generation, 1);
    assert.equal(created.body.status, undefined, 'status is cleared on create');
    const patched = await api.patch(
      `${path}/web`,
      { spec: { template: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } } },
      'application/strategic-merge-patch+json',
    );
    const containers = (patched.body.spec as { template: { spec: { containers: { name: string; image: string }[] } } })
      .template.spec.containers;
    assert.deepEqual(containers, [
      { name: 'a', image: 'a:1' },
      { name: 'b', image: 'b:2' },
    ]);
    assert.equal(patched.body.metadata.generation, 2);
    const labelOnly = await api.patch(`${path}/web`, { metadata: { labels: { x: 'y' } } });
    assert.equal(labelOnly.body.metadata.generation, 2, 'labels do not bump the generation');
    const annotation = await api.patch(`${path}/web`, { metadata: { annotations: { x: 'y' } } });
    assert.equal(annotation.body.metadata.generation, 3, 'Deployment annotations bump the generation');
  });

  it('splits spec and status between the main endpoint and /status', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments';
    await api.post(path, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'st' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
    });
    const status = await api.patch(`${path}/st/status`, { status: { readyReplicas: 1 }, spec: { replicas: 9 } });
    assert.equal(status.status, 200);
    assert.deepEqual(status.body.status, { readyReplicas: 1 });
    assert.equal((status.body.spec as { replicas: number }).replicas, 1, '/status ignores spec');
    assert.equal(status.body.metadata.generation, 1);
    const main = await api.patch(`${path}/st`, { status: { readyReplicas: 7 }, spec: { replicas: 2 } });
    assert.deepEqual(main.body.status, { readyReplicas: 1 }, 'the main endpoint ignores status');
    assert.equal((main.body.spec as { replicas: number }).replicas, 2);
    const got = await api.get<KubeObject>(`${path}/st/status`);
    assert.equal(got.status, 200);
  });

  it('holds an object with finalizers until the last one is removed', async () => {
    await api.post(CM, { ...configMap('fin'), metadata: { name: 'fin', finalizers: ['example.com/a'] } });
    const del = await api.delete<KubeObject>(`${CM}/fin`);
    assert.equal(del.status, 200);
    assert.ok(del.body.metadata.deletionTimestamp);
    assert.equal(del.body.metadata.deletionGracePeriodSeconds, 0);
    const again = await api.delete<KubeObject>(`${CM}/fin`);
    assert.equal(again.status, 200, 'repeated DELETE is idempotent');
    assert.equal(again.body.metadata.resourceVersion, del.body.metadata.resourceVersion);
    const addMore = await api.patch<Status>(`${CM}/fin`, {
      metadata: { finalizers: ['example.com/a', 'example.com/b'] },
    });
    assert.equal(addMore.status, 422);
    assert.match(String(addMore.body.message), /no new finalizers can be added/);
    const cleared = await api.patch(`${CM}/fin`, { metadata: { finalizers: null } });
    assert.equal(cleared.status, 200);
    assert.equal((await api.get(`${CM}/fin`)).status, 404);
  });

  it('checks delete preconditions', async () => {
    await api.post(CM, configMap('pre'));
    const res = await api.delete<Status>(`${CM}/pre`, { preconditions: { uid: 'nope' } });
    assert.equal(res.status, 409);
    assert.match(String(res.body.message), /Precondition failed: UID in precondition: nope/);
    assert.equal((await api.delete(`${CM}/pre`, { propagationPolicy: 'Background' })).status, 200);
  });

  it('does not persist dryRun=All writes', async () => {
    const res = await api.post(`${CM}?dryRun=All`, configMap('dry'));
    assert.equal(res.status, 201);
    assert.equal(res.body.metadata.resourceVersion, undefined);
    assert.equal((await api.get(`${CM}/dry`)).status, 404);
    const bad = await api.post<Status>(`${CM}?dryRun=Maybe`, configMap('dry'));
    assert.equal(bad.status, 422);
  });

  it('creates a missing object with a first server-side apply and merges on the next', async () => {
    const path = `${CM}/ssa?fieldManager=test`;
    const first = await api.patch(path, configMap('ssa', { a: '1' }), 'application/apply-patch+yaml');
    assert.equal(first.status, 201);
    const second = await api.patch(path, configMap('ssa', { b: '2' }), 'application/apply-patch+yaml');
    assert.equal(second.status, 200);
    assert.equal(second.body.data && (second.body.data as Record<string, string>).b, '2');
    const noManager = await api.patch<Status>(`${CM}/ssa`, configMap('ssa'), 'application/apply-patch+yaml');
    assert.equal(noManager.status, 422);
    assert.match(String(noManager.body.message), /fieldManager: Required value/);
  });

  it('serves namespaces: bootstrap, 404 for a missing one, 403 while terminating, cleanup of contents', async () => {
    const list = await api.get<{ items: KubeObject[] }>('/api/v1/namespaces');
    const names = list.body.items.map((n) => n.metadata.name);
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.ok(names.includes(n));
    const missing = await api.post<Status>('/api/v1/namespaces/nope/configmaps', configMap('x'));
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'namespaces "nope" not found');
    const ns = await api.post('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'gone' },
    });
    assert.equal((ns.body.metadata.labels as Record<string, string>)['kubernetes.io/metadata.name'], 'gone');
    assert.deepEqual(ns.body.status, { phase: 'Active' });
    await api.post('/api/v1/namespaces/gone/configmaps', {
      ...configMap('held'),
      metadata: { name: 'held', finalizers: ['x/y'] },
    });
    const del = await api.delete<KubeObject>('/api/v1/namespaces/gone');
    assert.equal(del.status, 200);
    assert.equal((del.body.status as { phase: string }).phase, 'Terminating');
    const refused = await api.post<Status>('/api/v1/namespaces/gone/configmaps', configMap('late'));
    assert.equal(refused.status, 403);
    assert.match(String(refused.body.message), /because it is being terminated/);
    await eventually(
      async () =>
        (await api.get<KubeObject>('/api/v1/namespaces/gone/configmaps/held')).body.metadata.deletionTimestamp,
      { message: 'the namespace cleanup to mark the held ConfigMap for deletion' },
    );
    await api.patch('/api/v1/namespaces/gone/configmaps/held', { metadata: { finalizers: null } });
    await eventually(async () => (await api.get('/api/v1/namespaces/gone')).status === 404, {
      message: 'the namespace goes once it is empty',
    });
    const undeletable = await api.delete<Status>('/api/v1/namespaces/default');
    assert.equal(undeletable.status, 403);
  });

  it('serves Leases, and exactly one of two racing updates from the same resourceVersion wins', async () => {
    const path = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
    const lease = await api.post(path, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'leader' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2026-01-01T00:00:00.000000Z' },
    });
    const contenders = ['b', 'c', 'd', 'e'].map((holder) =>
      api.put(`${path}/leader`, { ...lease.body, spec: { ...(lease.body.spec as object), holderIdentity: holder } }),
    );
    const results = await Promise.all(contenders);
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    assert.equal(results.filter((r) => r.status === 409).length, 3);
  });
});
