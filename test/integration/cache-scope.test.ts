// Cache scoping over HTTP: a manager scoped to namespaces a and b (Secrets: only a, only
// app=web) reads in scope through every path (controller sources, the cached client, a
// collection, a StateDB table), gets a CacheScopeError for a read outside it, and never asks the
// server for a cluster-wide list or watch of a namespaced type: a recording proxy sees every
// request it sends.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { CacheScopeError } from '../../src/cache/index.js';
import { KubeClient } from '../../src/client/index.js';
import { CollectionRegistry, fromInformer } from '../../src/collections/index.js';
import { OWNER_INDEX } from '../../src/controller/index.js';
import { ConfigMap, type KubeObject, keyOf, keyString, Secret } from '../../src/core/index.js';
import { Manager } from '../../src/manager/index.js';
import { StateDB, startReflector } from '../../src/statedb/index.js';
import { eventually } from '../support/index.js';
import { isListOrWatch, type RecordingProxy, startRecordingProxy } from './recording-proxy.js';

let server: ApiServer;
let admin: KubeClient;

before(async () => {
  server = await startApiServer();
  admin = KubeClient.fromKubeconfig(server.kubeconfig, { logger: pino({ level: 'silent' }) });
  for (const name of ['a', 'b', 'c']) {
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await admin.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: name, name: 'cfg' }, data: {} });
    await admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { namespace: name, name: 'web', labels: { app: 'web', cm: 'cfg' } },
      data: { k: Buffer.from('v').toString('base64') },
    });
    await admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { namespace: name, name: 'other', labels: { app: 'other', cm: 'cfg' } },
      data: {},
    });
  }
});
after(async () => {
  admin.close();
  await server.stop();
});

test('a scoped cache: reads in scope everywhere, a clear error outside, no cluster-wide list or watch', async () => {
  const proxy: RecordingProxy = await startRecordingProxy(server);
  const mgr = new Manager({
    kubeconfig: proxy.kubeconfig,
    logger: pino({ level: 'silent' }),
    cache: {
      defaultNamespaces: ['a', 'b'],
      byType: [{ type: Secret, namespaces: ['a'], labelSelector: 'app=web' }],
    },
  });
  const reconciled = new Map<string, { secrets: string[] | string; outside: string }>();
  mgr
    .controller('scoped')
    .for(ConfigMap)
    .watches(Secret, (s) => ({ namespace: s.metadata.namespace, name: s.metadata.labels?.cm ?? '' }))
    .reconcile(async (req, ctx) => {
      let secrets: string[] | string;
      try {
        secrets = (await ctx.client.list(Secret, { namespace: req.key.namespace })).map((s) => s.metadata.name!);
      } catch (err) {
        secrets = err instanceof CacheScopeError ? 'outside the scope' : String(err);
      }
      let outside = 'read';
      try {
        await ctx.client.get(ConfigMap, { namespace: 'c', name: 'cfg' });
      } catch (err) {
        outside = err instanceof CacheScopeError ? err.code : String(err);
      }
      reconciled.set(keyString(req.key), { secrets, outside });
    });
  const collections = new CollectionRegistry();
  const configMaps = fromInformer(mgr.informer(ConfigMap), { registry: collections });
  const db = new StateDB();
  const table = db.table<{ key: string }>('configmaps', { primary: (r) => r.key });
  const reflector = startReflector({
    db,
    table,
    informer: mgr.informer<KubeObject>(ConfigMap),
    transform: (o) => ({ key: keyString(keyOf(o)) }),
  });
  try {
    await mgr.start();
    await eventually(() => reconciled.size >= 2, { message: 'the ConfigMaps of a and b reconciled' });
    assert.deepEqual([...reconciled.keys()].sort(), ['a/cfg', 'b/cfg'], 'nothing of namespace c');
    assert.deepEqual(reconciled.get('a/cfg'), { secrets: ['web'], outside: 'KLOOP_OUTSIDE_CACHE_SCOPE' });
    assert.deepEqual(reconciled.get('b/cfg'), { secrets: 'outside the scope', outside: 'KLOOP_OUTSIDE_CACHE_SCOPE' });

    // Every other way in reads the same scoped informers.
    assert.deepEqual((await mgr.client.list(ConfigMap)).map((o) => keyString(keyOf(o))).sort(), ['a/cfg', 'b/cfg']);
    await assert.rejects(mgr.client.get(ConfigMap, { namespace: 'c', name: 'cfg' }), CacheScopeError);
    assert.throws(() => mgr.informer(ConfigMap, { namespace: 'c' }), CacheScopeError);
    assert.throws(() => mgr.informers.informer(Secret, { namespace: 'b' }), CacheScopeError);
    await configMaps.synced;
    assert.deepEqual(
      configMaps
        .list()
        .map((o) => keyString(keyOf(o)))
        .sort(),
      ['a/cfg', 'b/cfg'],
    );
    await reflector.initialized;
    assert.deepEqual(
      db
        .read()
        .all(table)
        .map((r) => r.key)
        .sort(),
      ['a/cfg', 'b/cfg'],
    );

    // A change in scope arrives; namespace c is never watched at all.
    await admin.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'b', name: 'late' }, data: {} });
    await eventually(() => reconciled.has('b/late'), { message: 'a ConfigMap created in b to reconcile' });

    // What the server was asked: per-namespace lists and watches only, Secrets only in a with the selector.
    const configMapRequests = proxy.requests.filter((r) => isListOrWatch(r, 'configmaps'));
    const secretRequests = proxy.requests.filter((r) => isListOrWatch(r, 'secrets'));
    assert.ok(configMapRequests.length >= 2 && secretRequests.length >= 1);
    for (const r of configMapRequests) assert.match(r.path, /^\/api\/v1\/namespaces\/(a|b)\/configmaps\?/, r.path);
    for (const r of secretRequests) {
      assert.match(r.path, /^\/api\/v1\/namespaces\/a\/secrets\?/, r.path);
      assert.equal(new URLSearchParams(r.path.split('?')[1]).get('labelSelector'), 'app=web');
    }
    assert.ok(
      !proxy.requests.some((r) => r.path.includes('/namespaces/c/')),
      'nothing of namespace c was ever asked for',
    );
    const debug = mgr.describe();
    assert.deepEqual(debug.informers.map((i) => `${i.type} ${i.namespace}`).sort(), [
      'v1/ConfigMap a',
      'v1/ConfigMap b',
      'v1/Secret a',
    ]);
    assert.ok(mgr.readiness().checks.some((c) => c.name === 'informer v1/ConfigMap (namespace b)' && c.ok));
  } finally {
    reflector.stop();
    configMaps.dispose();
    await mgr.stop();
    await proxy.close();
  }
});

// controller-runtime documents the footgun: with a label-selector scope, an object that stops
// matching leaves the cache, yet it still exists. A cache miss under such a scope proves nothing,
// so the cached client's writes must not skip on it (a delete skipped as "absent", a finalizer
// never removed: the object stuck deleting forever).
test('a label-scoped cache: an object that stops matching leaves the cache, yet the cached client still deletes it and removes its finalizer', async () => {
  const mgr = new Manager({
    kubeconfig: server.kubeconfig,
    logger: pino({ level: 'silent' }),
    cache: { byType: [{ type: ConfigMap, labelSelector: 'managed=yes' }] },
  });
  const events: string[] = [];
  const informer = mgr.informer(ConfigMap);
  informer.subscribe((e) => events.push(`${e.type} ${keyString(keyOf(e.object))}`), { replay: false });
  const finalizer = 'example.com/keep';
  const unmanage = (name: string) =>
    admin.patch({ type: ConfigMap, key: { namespace: 'a', name } }, { metadata: { labels: { managed: null } } });
  try {
    await mgr.start();
    for (const name of ['gone', 'kept']) {
      await admin.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { namespace: 'a', name, labels: { managed: 'yes' }, finalizers: name === 'kept' ? [finalizer] : [] },
        data: {},
      });
    }
    await eventually(async () => (await mgr.client.list(ConfigMap)).length === 2, { message: 'both cached' });

    await unmanage('gone');
    await eventually(async () => (await mgr.client.get(ConfigMap, { namespace: 'a', name: 'gone' })) === undefined, {
      message: 'the object that stopped matching to leave the cache',
    });
    assert.ok(events.includes('deleted a/gone'), 'subscribers heard it leave as a delete');
    assert.equal(await mgr.client.delete(ConfigMap, { namespace: 'a', name: 'gone' }), true, 'the delete was sent');
    await assert.rejects(admin.get(ConfigMap, { namespace: 'a', name: 'gone' }), /not found/);

    await admin.delete(ConfigMap, { namespace: 'a', name: 'kept' });
    await unmanage('kept');
    await eventually(async () => (await mgr.client.get(ConfigMap, { namespace: 'a', name: 'kept' })) === undefined, {
      message: 'the deleting object that stopped matching to leave the cache',
    });
    const outcome = await mgr.client.mutate(ConfigMap, { namespace: 'a', name: 'kept' }, (d) => {
      d.metadata.finalizers = (d.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    });
    assert.equal(outcome.sent, true, 'the finalizer removal was sent');
    await assert.rejects(admin.get(ConfigMap, { namespace: 'a', name: 'kept' }), /not found/);
    // What is not cached reads as absent, as before: the cache answers reads.
    assert.equal(await mgr.client.get(ConfigMap, { namespace: 'a', name: 'kept' }), undefined);
  } finally {
    await mgr.stop();
  }
});

test('owns() under a multi-namespace scope: an owned object in either namespace enqueues its owner, and the owner index lists it', async () => {
  const mgr = new Manager({
    kubeconfig: server.kubeconfig,
    logger: pino({ level: 'silent' }),
    cache: { defaultNamespaces: ['a', 'b'] },
  });
  const owned = new Map<string, string[]>();
  mgr
    .controller('owner')
    .for(ConfigMap, { informer: { labelSelector: 'owner=yes' } })
    .owns(Secret)
    .reconcile(async (req, ctx) => {
      const cm = await ctx.client.get(ConfigMap, req.key);
      if (!cm?.metadata.uid) return;
      const children = await ctx.client.list(Secret, {
        namespace: req.key.namespace,
        index: { name: OWNER_INDEX, value: cm.metadata.uid },
      });
      owned.set(keyString(req.key), children.map((s) => s.metadata.name!).sort());
    });
  try {
    await mgr.start();
    for (const ns of ['a', 'b', 'c']) {
      const owner = await admin.create<KubeObject>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { namespace: ns, name: 'parent', labels: { owner: 'yes' } },
        data: {},
      });
      await admin.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          namespace: ns,
          name: 'child',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'parent', uid: owner.metadata.uid!, controller: true },
          ],
        },
        data: {},
      });
    }
    await eventually(() => owned.get('a/parent')?.length === 1 && owned.get('b/parent')?.length === 1, {
      message: 'both owners to see their child through the owner index',
    });
    assert.deepEqual([...owned.keys()].sort(), ['a/parent', 'b/parent'], 'nothing of namespace c');
    assert.deepEqual(owned.get('b/parent'), ['child']);
  } finally {
    await mgr.stop();
  }
});
