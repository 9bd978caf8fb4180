// KubeClient against the emulator over HTTP: every verb, patch types, status and scale, dryRun,
// discovery of a custom resource, typed errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { KubeClient } from '../../src/client/index.js';
import type { KubeObject } from '../../src/core/index.js';
import { ApiError, ConfigMap, Deployment, ManualClock } from '../../src/core/index.js';

const silent = pino({ level: 'silent' });
let server: ApiServer;
let client: KubeClient;
let registry: Registry;

before(async () => {
  server = await startApiServer({ port: 0 });
  registry = new Registry();
  client = KubeClient.fromKubeconfig(server.kubeconfig, { logger: silent, registry });
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cl' } });
});
after(async () => {
  client.close();
  await server.stop();
});

function cm(name: string, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'cl', name }, data };
}

function deployment(name: string, replicas = 1): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { namespace: 'cl', name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
  };
}

describe('KubeClient against the emulator', () => {
  it('creates, gets, updates, patches (json, merge, strategic, apply) and deletes', async () => {
    const created = await client.create(cm('a', { x: '1' }));
    assert.ok(created.metadata.uid);
    const got = await client.get(ConfigMap, { namespace: 'cl', name: 'a' });
    assert.equal(got.metadata.resourceVersion, created.metadata.resourceVersion);
    const updated = await client.update({ ...got, data: { x: '2' } });
    assert.equal((updated.data as Record<string, string>).x, '2');
    await assert.rejects(client.update({ ...got, data: { x: '3' } }), (err: unknown) => ApiError.isConflict(err));
    const jp = await client.patch(updated, [{ op: 'add', path: '/data/j', value: 'json' }], { type: 'json' });
    assert.equal((jp.data as Record<string, string>).j, 'json');
    const mp = await client.patch({ type: ConfigMap, key: { namespace: 'cl', name: 'a' } }, { data: { m: 'merge' } });
    assert.equal((mp.data as Record<string, string>).m, 'merge');
    const sp = await client.patch(mp, { metadata: { labels: { s: 'sm' } } }, { type: 'strategic' });
    assert.equal(sp.metadata.labels?.s, 'sm');
    const ap = await client.apply(cm('a', { applied: 'yes' }), { fieldManager: 'tester', force: true });
    assert.equal((ap.data as Record<string, string>).applied, 'yes');
    await client.delete(ConfigMap, { namespace: 'cl', name: 'a' });
    await assert.rejects(client.get(ConfigMap, { namespace: 'cl', name: 'a' }), (err: unknown) =>
      ApiError.isNotFound(err),
    );
  });

  it('dryRun stores nothing', async () => {
    await client.create(cm('dry'), { dryRun: true });
    await assert.rejects(client.get(ConfigMap, { namespace: 'cl', name: 'dry' }), (err: unknown) =>
      ApiError.isNotFound(err),
    );
  });

  it('AlreadyExists and Invalid arrive as ApiErrors with the server Status', async () => {
    await client.create(cm('dup'));
    await assert.rejects(
      client.create(cm('dup')),
      (err: unknown) => ApiError.isAlreadyExists(err) && err.status.kind === 'Status',
    );
    await assert.rejects(
      client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'cl' } }),
      (err: unknown) => err instanceof ApiError && err.statusCode === 422,
    );
  });

  it('lists in pages of 500 and follows continue', async () => {
    await Promise.all(Array.from({ length: 520 }, (_, i) => client.create(cm(`p${String(i).padStart(4, '0')}`))));
    const pages: number[] = [];
    for await (const page of client.listPages(ConfigMap, { namespace: 'cl', labelSelector: '' }))
      pages.push(page.items.length);
    assert.ok(pages.length >= 2, `pages: ${pages}`);
    const all = await client.list(ConfigMap, { namespace: 'cl' });
    assert.equal(
      all.items.length,
      pages.reduce((a, b) => a + b, 0),
    );
    assert.ok(all.items.length >= 520);
  });

  it('writes the status subresource', async () => {
    const dep = await client.create(deployment('d'));
    const withStatus = await client.updateStatus({ ...dep, status: { replicas: 1, readyReplicas: 1 } });
    assert.equal((withStatus.status as Record<string, number>).readyReplicas, 1);
  });

  it('reads and patches the scale subresource, with the Scale resourceVersion as a precondition', async () => {
    const key = { namespace: 'cl', name: 'scaled' };
    const dep = await client.create(deployment(key.name, 2));
    const scale = await client.get(Deployment, key, { subresource: 'scale' });
    assert.equal(scale.apiVersion, 'autoscaling/v1');
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.metadata.name, key.name);
    assert.equal(scale.metadata.uid, dep.metadata.uid);
    assert.equal(scale.metadata.resourceVersion, dep.metadata.resourceVersion);
    assert.equal((scale.spec as { replicas: number }).replicas, 2);
    assert.equal((scale.status as { selector?: string }).selector, 'app=scaled');

    // What `kubectl scale` sends: a merge patch of the Scale.
    const merged = await client.patch({ type: Deployment, key }, { spec: { replicas: 3 } }, { subresource: 'scale' });
    assert.equal(merged.kind, 'Scale', 'the answer is the Scale, not the Deployment');
    assert.equal((merged.spec as { replicas: number }).replicas, 3);
    const scaled = await client.get(Deployment, key);
    assert.equal((scaled.spec as { replicas: number }).replicas, 3);
    assert.equal(scaled.metadata.generation, (dep.metadata.generation ?? 1) + 1, 'a spec change');
    assert.equal(merged.metadata.resourceVersion, scaled.metadata.resourceVersion);

    const json = await client.patch({ type: Deployment, key }, [{ op: 'replace', path: '/spec/replicas', value: 0 }], {
      type: 'json',
      subresource: 'scale',
    });
    assert.equal((json.spec as { replicas: number }).replicas, 0);

    // A stale resourceVersion in the Scale conflicts, as on the real server.
    await assert.rejects(
      client.patch(
        { type: Deployment, key },
        { metadata: { resourceVersion: dep.metadata.resourceVersion }, spec: { replicas: 4 } },
        { subresource: 'scale' },
      ),
      (err: unknown) => ApiError.isConflict(err),
    );
    await assert.rejects(
      client.patch({ type: Deployment, key }, { spec: { replicas: -1 } }, { subresource: 'scale' }),
      (err: unknown) => err instanceof ApiError && err.statusCode === 400,
    );
    assert.equal(((await client.get(Deployment, key)).spec as { replicas: number }).replicas, 0);
  });

  it('finds a custom resource by discovery once its CRD exists', async (t) => {
    // Discovery refreshes on a miss at most once a second: this client's second is virtual.
    const clock = new ManualClock();
    const discovering = KubeClient.fromKubeconfig(server.kubeconfig, { logger: silent, clock });
    t.after(() => discovering.close());
    const widget = { apiVersion: 'example.com/v1', kind: 'Widget' };
    await assert.rejects(discovering.resolve(widget), { code: 'KLOOP_UNKNOWN_TYPE' });
    await client.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            subresources: { status: {} },
          },
        ],
      },
    });
    await assert.rejects(discovering.resolve(widget), { code: 'KLOOP_UNKNOWN_TYPE' }, 'no refresh within the second');
    clock.advance(1000);
    const rt = await discovering.resolve(widget);
    assert.equal(rt.plural, 'widgets');
    assert.ok(rt.subresources.includes('status'));
    const w = await client.create({ ...widget, metadata: { namespace: 'cl', name: 'w1' }, spec: { size: 2 } });
    assert.equal(w.kind, 'Widget');
  });

  it('counts requests by verb, resource and code on the given registry', async () => {
    const m = await registry.getSingleMetric('kloop_client_requests_total')?.get();
    const created = m?.values.find(
      (v) => v.labels.verb === 'create' && v.labels.resource === 'configmaps' && v.labels.code === '201',
    );
    assert.ok(created && created.value > 0);
  });
});
