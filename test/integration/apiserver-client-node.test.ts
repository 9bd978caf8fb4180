/**
 * @kubernetes/client-node (1.4, the project's dependency) against the emulator: typed CRUD,
 * KubernetesObjectApi with each patch strategy, and its informer (`makeInformer`) seeing adds,
 * updates, deletes and recovering from a forced 410.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  makeInformer,
  PatchStrategy,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import type { ApiServer } from '../../src/apiserver/index.js';
import { type Api, startTestServer } from '../apiserver/helpers.js';
import { eventually } from '../support/index.js';

describe('@kubernetes/client-node against the emulator', () => {
  let server: ApiServer;
  let api: Api;
  let kc: KubeConfig;
  before(async () => {
    ({ server, api } = await startTestServer());
    kc = new KubeConfig();
    kc.loadFromString(JSON.stringify(server.kubeconfig));
    await api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cn' } });
  });
  after(() => server.stop());

  it('typed CoreV1Api CRUD', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedConfigMap({
      namespace: 'cn',
      body: { metadata: { name: 'typed' }, data: { a: '1' } },
    });
    assert.equal(created.metadata?.name, 'typed');
    const read = await core.readNamespacedConfigMap({ name: 'typed', namespace: 'cn' });
    assert.deepEqual(read.data, { a: '1' });
    read.data = { a: '2' };
    const replaced = await core.replaceNamespacedConfigMap({ name: 'typed', namespace: 'cn', body: read });
    assert.equal(replaced.data?.a, '2');
    const list = await core.listNamespacedConfigMap({ namespace: 'cn' });
    assert.ok(list.items.some((i) => i.metadata?.name === 'typed'));
    await assert.rejects(
      core.replaceNamespacedConfigMap({ name: 'typed', namespace: 'cn', body: read }),
      (err: { code?: number }) => err.code === 409,
    );
    await core.deleteNamespacedConfigMap({ name: 'typed', namespace: 'cn' });
    await assert.rejects(
      core.readNamespacedConfigMap({ name: 'typed', namespace: 'cn' }),
      (err: { code?: number }) => err.code === 404,
    );
  });

  it('KubernetesObjectApi: create, read, patch with each strategy, delete', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const spec: KubernetesObject & { data?: Record<string, string> } = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'generic', namespace: 'cn' },
      data: { a: '1' },
    };
    await objects.create(spec);
    const read = (await objects.read({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'generic', namespace: 'cn' },
    })) as V1ConfigMap;
    assert.deepEqual(read.data, { a: '1' });
    const merged = (await objects.patch(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'generic', namespace: 'cn' },
        data: { b: '2' },
      } as KubernetesObject,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    )) as V1ConfigMap;
    assert.deepEqual(merged.data, { a: '1', b: '2' });
    const strategic = (await objects.patch(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'generic', namespace: 'cn' },
        data: { c: '3' },
      } as KubernetesObject,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.StrategicMergePatch,
    )) as V1ConfigMap;
    assert.deepEqual(strategic.data, { a: '1', b: '2', c: '3' });
    // JSON patch: KubernetesObjectApi derives the URL from the body, which a JSON patch does
    // not carry; the typed API covers it below.
    const applied = (await objects.patch(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'generic', namespace: 'cn' },
        data: { d: '4' },
      } as KubernetesObject,
      undefined,
      undefined,
      'client-node-test',
      true,
      PatchStrategy.ServerSideApply,
    )) as V1ConfigMap;
    assert.equal(applied.data?.d, '4');
    assert.ok(applied.metadata?.managedFields?.some((m) => m.manager === 'client-node-test'));
    await objects.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic', namespace: 'cn' } });
  });

  it('JSON patch through CoreV1Api', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'jp' }, data: { a: '1' } } });
    const patched = await core.patchNamespacedConfigMap({
      name: 'jp',
      namespace: 'cn',
      body: [{ op: 'add', path: '/data/b', value: '2' }],
    });
    assert.deepEqual(patched.data, { a: '1', b: '2' });
  });

  it('makeInformer sees adds, updates and deletes, and recovers from a forced 410', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, '/api/v1/namespaces/cn/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'cn' }),
    );
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${JSON.stringify(o.data)}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    let errors = 0;
    let stopped = false;
    let restart: NodeJS.Timeout | undefined;
    informer.on('error', () => {
      errors++;
      // client-node stops on errors; restart as its docs advise (never after the test stopped it).
      if (!stopped) restart = setTimeout(() => void informer.start().catch(() => {}), 20);
    });
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'inf' }, data: { v: '1' } } });
      const saw = (event: (s: string) => boolean, message: string) =>
        eventually(
          () => {
            assert.ok(seen.some(event), `${seen.join('\n')}\nerrors=${errors}`);
            return true;
          },
          { message },
        );
      await saw((s) => s === 'add inf', 'the add of inf');
      await core.patchNamespacedConfigMap({
        name: 'inf',
        namespace: 'cn',
        body: [{ op: 'replace', path: '/data/v', value: '2' }],
      });
      await saw((s) => s.startsWith('update inf') && s.includes('"2"'), 'the update of inf');
      // Force a 410 on the informer's next resume: compact, then cut its watch.
      server.faults.compact();
      server.faults.dropWatches({ resource: 'configmaps' });
      await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'after-410' } } });
      await saw((s) => s === 'add after-410', 'the add after the 410');
      await core.deleteNamespacedConfigMap({ name: 'inf', namespace: 'cn' });
      await saw((s) => s === 'delete inf', 'the delete of inf');
    } finally {
      stopped = true;
      clearTimeout(restart);
      await informer.stop();
    }
  });
});
