// Cache scoping without a server: how a scope and a consumer's informer options combine, the
// multi-namespace informer over fake list/watches (merged reads, out-of-scope reads refused,
// events from every namespace, a custom type found cluster-scoped), and the factory handing out
// scoped informers only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  CacheScopeError,
  type Informer,
  type InformerEvent,
  InformerFactory,
  MultiNamespaceInformer,
  SharedInformer,
} from '../../src/cache/index.js';
import { scopeRequest, validateCacheOptions } from '../../src/cache/scope.js';
import { KubeClient } from '../../src/client/index.js';
import { ConfigMap, KloopError, type KubeObject, ManualClock, Namespace, Secret } from '../../src/core/index.js';
import { flush } from '../support/index.js';
import { cm, FakeListerWatcher, page } from './fakes.js';

const silent = pino({ level: 'silent' });

describe('scopeRequest', () => {
  const cache = {
    defaultNamespaces: ['a', 'b'],
    defaultLabelSelector: 'team=x',
    byType: [{ type: Secret, namespaces: ['a'], labelSelector: 'app=web', fieldSelector: 'type=Opaque' }],
  };

  it('without a scope, the request is the informer', () => {
    assert.deepEqual(scopeRequest(undefined, ConfigMap, { namespace: 'q' }, true), {
      namespaces: undefined,
      options: { namespace: 'q' },
    });
  });

  it('defaults apply to a type without its own entry; a consumer may narrow to one namespace of the scope', () => {
    assert.deepEqual(scopeRequest(cache, ConfigMap, {}, true), {
      namespaces: ['a', 'b'],
      options: { labelSelector: 'team=x', fieldSelector: undefined, transform: undefined },
    });
    assert.deepEqual(scopeRequest(cache, ConfigMap, { namespace: 'b' }, true).namespaces, ['b']);
  });

  it('a namespace outside the scope is a CacheScopeError naming the scope and the fix', () => {
    assert.throws(
      () => scopeRequest(cache, ConfigMap, { namespace: 'c' }, true),
      (err: unknown) =>
        err instanceof CacheScopeError &&
        err.code === 'KLOOP_OUTSIDE_CACHE_SCOPE' &&
        /v1\/ConfigMap in namespace c is outside the cache's scope \(namespaces a, b\)/.test(err.message) &&
        /cache.byType or cache.defaultNamespaces/.test(err.message),
    );
    assert.throws(() => scopeRequest(cache, Secret, { namespace: 'b' }, true), CacheScopeError);
  });

  it("a type's own entry wins over the defaults; the consumer's selectors are added to the scope's", () => {
    const scoped = scopeRequest(cache, Secret, { labelSelector: 'tier=db' }, true);
    assert.deepEqual(scoped.namespaces, ['a']);
    assert.equal(scoped.options.labelSelector, 'app=web,tier=db');
    assert.equal(scoped.options.fieldSelector, 'type=Opaque');
    assert.equal(scopeRequest(cache, Secret, { labelSelector: 'app=web' }, true).options.labelSelector, 'app=web');
  });

  it('cluster-scoped types ignore namespaces', () => {
    assert.equal(scopeRequest(cache, Namespace, {}, false).namespaces, undefined);
  });

  it("transforms compose, scope's first; the same pair gives the same function", () => {
    const scope = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, labels: { scoped: 'yes' } } });
    const mine = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, annotations: { mine: 'yes' } } });
    const withTransform = { byType: [{ type: ConfigMap, transform: scope }] };
    const a = scopeRequest(withTransform, ConfigMap, { transform: mine }, true).options.transform!;
    assert.equal(scopeRequest(withTransform, ConfigMap, { transform: mine }, true).options.transform, a);
    const out = a(cm('x', '1'));
    assert.deepEqual(out.metadata.labels, { scoped: 'yes' });
    assert.deepEqual(out.metadata.annotations, { mine: 'yes' });
  });

  it('bad options fail at construction, not at the first read', () => {
    const invalid = (cache: Parameters<typeof validateCacheOptions>[0]) =>
      assert.throws(
        () => validateCacheOptions(cache),
        (err: unknown) => err instanceof KloopError && err.code === 'KLOOP_INVALID_OPTIONS',
      );
    invalid({ defaultNamespaces: [] });
    invalid({ byType: [{ type: Secret }, { type: Secret }] });
    invalid({ byType: [{ type: Secret, labelSelector: 'a in (' }] });
    invalid({ defaultFieldSelector: 'a==b==c' });
    validateCacheOptions({ defaultNamespaces: ['a'], byType: [{ type: Secret, labelSelector: 'a in (x,y)' }] });
  });
});

/** A SharedInformer of ConfigMaps in `namespace`, answering one list. */
function member(namespace: string | undefined, clock: ManualClock, items: KubeObject[]) {
  const lw = new FakeListerWatcher();
  lw.lists.push(page(items, '10'));
  const informer = new SharedInformer({
    type: ConfigMap,
    resource: 'configmaps',
    namespace,
    listerWatcher: lw,
    logger: silent,
    registry: new Registry(),
    clock,
    reflector: { random: () => 0, streamingList: false },
  });
  return { informer, lw };
}

describe('MultiNamespaceInformer', () => {
  it('reads several namespaces as one; refuses reads outside them; hears every namespace', async () => {
    const clock = new ManualClock();
    const members = new Map([
      ['a', member('a', clock, [cm('one', '5', { namespace: 'a' })])],
      ['b', member('b', clock, [cm('two', '6', { namespace: 'b' }), cm('three', '7', { namespace: 'b' })])],
    ]);
    const asked: Array<string | undefined> = [];
    const view = new MultiNamespaceInformer<KubeObject>({
      type: ConfigMap,
      namespaces: ['a', 'b'],
      member: (ns) => {
        asked.push(ns);
        return members.get(ns!)!.informer;
      },
      namespaced: true,
    });
    try {
      const events: string[] = [];
      view.subscribe((e: InformerEvent) =>
        events.push(`${e.type} ${e.object.metadata.namespace}/${e.object.metadata.name}`),
      );
      view.addIndex('byName', (o) => [o.metadata.name!]);
      await view.synced;
      assert.deepEqual(asked, ['a', 'b'], 'one member per namespace');
      assert.equal(view.hasSynced(), true);
      assert.equal(view.size, 3);
      assert.deepEqual(
        view
          .list()
          .map((o) => o.metadata.name)
          .sort(),
        ['one', 'three', 'two'],
      );
      assert.deepEqual(
        view
          .list({ namespace: 'b' })
          .map((o) => o.metadata.name)
          .sort(),
        ['three', 'two'],
      );
      assert.equal(view.get({ namespace: 'a', name: 'one' })?.metadata.name, 'one');
      assert.equal(view.get('b/two')?.metadata.name, 'two');
      assert.equal(view.get({ name: 'one' }), undefined, 'a namespaced type: no namespace, no object');
      assert.throws(() => view.get({ namespace: 'c', name: 'one' }), CacheScopeError);
      assert.throws(() => view.list({ namespace: 'c' }), CacheScopeError);
      assert.deepEqual(view.indexKeys('byName', 'two'), ['b/two'], 'indexes reach every member');
      assert.equal(view.lastSyncResourceVersion, '10');
      assert.deepEqual(events.sort(), ['added a/one', 'added b/three', 'added b/two']);
      // A watch event in one namespace reaches the subscriber.
      const watch = await members.get('b')!.lw.watchNumber(1, clock);
      watch.emit('ADDED', cm('four', '11', { namespace: 'b' }));
      assert.ok(events.includes('added b/four'));
    } finally {
      await view.stop();
    }
    assert.equal(view.stopped, true);
    assert.ok(
      [...members.values()].every((m) => m.informer.stopped),
      'stopping it stops its members',
    );
  });

  it('a type found cluster-scoped once started gets one cluster-wide member; namespaces no longer apply', async () => {
    const clock = new ManualClock();
    const cluster = member(undefined, clock, [
      { ...cm('global', '3'), metadata: { name: 'global', resourceVersion: '3' } },
    ]);
    let resolve!: (namespaced: boolean) => void;
    const asked: Array<string | undefined> = [];
    const view = new MultiNamespaceInformer<KubeObject>({
      type: { apiVersion: 'example.com/v1', kind: 'Widget' },
      namespaces: ['a'],
      member: (ns) => {
        asked.push(ns);
        return cluster.informer;
      },
      namespaced: () => new Promise((r) => (resolve = r)),
    });
    try {
      const seen: string[] = [];
      view.subscribe((e) => seen.push(e.object.metadata.name!));
      assert.deepEqual(view.list(), [], 'nothing before the scope is known');
      assert.equal(view.hasSynced(), false);
      resolve(false);
      await view.synced;
      assert.deepEqual(asked, [undefined]);
      assert.equal(view.clusterScoped, true);
      assert.equal(view.get({ name: 'global' })?.metadata.name, 'global');
      assert.deepEqual(seen, ['global'], 'a handler subscribed early hears the member');
    } finally {
      await view.stop();
    }
  });

  it('stopped before it synced: synced rejects with KLOOP_INFORMER_STOPPED', async () => {
    const view = new MultiNamespaceInformer<KubeObject>({
      type: ConfigMap,
      namespaces: ['a'],
      member: () => {
        throw new Error('never asked: the scope is not known yet');
      },
      namespaced: (signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    });
    const synced = view.synced;
    await view.stop();
    await assert.rejects(synced, (err: unknown) => err instanceof KloopError && err.code === 'KLOOP_INFORMER_STOPPED');
  });
});

describe('InformerFactory with a scope', () => {
  function factory(scope: ConstructorParameters<typeof InformerFactory>[1]) {
    const client = KubeClient.fromKubeconfig(
      {
        'current-context': 'x',
        clusters: [{ name: 'c', cluster: { server: 'http://127.0.0.1:1' } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      },
      { logger: silent, registry: new Registry() },
    );
    return { f: new InformerFactory(client, { ...scope, logger: silent }), client };
  }

  it('hands out scoped informers only; an out-of-scope request throws; nothing wider is made', async () => {
    const { f, client } = factory({
      scope: { defaultNamespaces: ['a', 'b'], byType: [{ type: Secret, namespaces: ['a'], labelSelector: 'app=web' }] },
    });
    try {
      const cms = f.informer(ConfigMap);
      assert.ok(cms instanceof MultiNamespaceInformer);
      assert.deepEqual((cms as MultiNamespaceInformer).namespaces, ['a', 'b']);
      assert.equal(f.informer(ConfigMap), cms, 'shared');
      const inA = f.informer(ConfigMap, { namespace: 'a' }) as MultiNamespaceInformer;
      assert.deepEqual(inA.namespaces, ['a']);
      assert.throws(() => f.informer(ConfigMap, { namespace: 'c' }), CacheScopeError);
      f.informer(Secret);
      const namespaces = f.informer(Namespace);
      assert.ok(!(namespaces instanceof MultiNamespaceInformer), 'cluster-scoped: one plain informer');
      assert.deepEqual(
        f.describe().map((d) => [d.type, d.namespace ?? '*', d.labelSelector ?? '']),
        [
          ['v1/ConfigMap', 'a', ''],
          ['v1/ConfigMap', 'b', ''],
          ['v1/Secret', 'a', 'app=web'],
          ['v1/Namespace', '*', ''],
        ],
        'one informer per namespace, shared between the views; none cluster-wide for namespaced types',
      );
      assert.ok(
        f.informers().every((i: Informer) => !i.hasSynced()),
        'nothing started: no request was sent',
      );
    } finally {
      await f.stop();
      client.close();
    }
  });

  it('stopping the factory stops the views; one asked for afterwards is stopped at once', async () => {
    const { f, client } = factory({ scope: { defaultNamespaces: ['a'] } });
    const view = f.informer(ConfigMap);
    await f.stop();
    assert.equal(view.stopped, true);
    const later = f.informer(ConfigMap, { labelSelector: 'x=y' });
    await flush();
    assert.equal(later.stopped, true);
    await assert.rejects(later.synced, (err: unknown) => (err as KloopError).code === 'KLOOP_INFORMER_STOPPED');
    client.close();
  });
});
