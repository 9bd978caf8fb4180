// Informers against the emulator over HTTP: sync, events, relists, reconnects, churn under
// faults, selectors, metadata-only, sharing, and a clean stop.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import type { InformerEvent } from '../../src/cache/index.js';
import { InformerFactory, type SharedInformer } from '../../src/cache/index.js';
import { KubeClient } from '../../src/client/index.js';
import type { KubeObject } from '../../src/core/index.js';
import { ApiError, ConfigMap } from '../../src/core/index.js';
import { type CountingProxy, startProxy } from '../cache/proxy.js';
import { eventually } from '../support/index.js';

const silent = pino({ level: process.env.TEST_LOG ?? 'silent' });
const fast = { initialBackoffMs: 20, maxBackoffMs: 200, watchdogMs: 5000 };
let server: ApiServer;
let seq = 0;

function ns(): string {
  return `t${process.pid}-${++seq}`;
}

interface Env {
  client: KubeClient;
  factory: InformerFactory;
  registry: Registry;
  namespace: string;
}
const envs: Env[] = [];

async function env(url?: string): Promise<Env> {
  const registry = new Registry();
  const kubeconfig = {
    ...server.kubeconfig,
    clusters: [{ name: server.kubeconfig.clusters[0].name, cluster: { server: url ?? server.url } }],
  };
  const client = KubeClient.fromKubeconfig(kubeconfig, { logger: silent, registry, maxRetries: 2 });
  const factory = new InformerFactory(client, { reflector: fast });
  const namespace = ns();
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const e = { client, factory, registry, namespace };
  envs.push(e);
  return e;
}

function cm(
  namespace: string,
  name: string,
  data: Record<string, string> = {},
  labels?: Record<string, string>,
): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name, labels }, data };
}

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return (m?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((s, v) => s + v.value, 0);
}

/** The informer store equals the server's list, object by object. */
async function assertSameAsServer(e: Env, informer: ReturnType<InformerFactory['informer']>): Promise<void> {
  const list = await e.client.list(ConfigMap, { namespace: e.namespace });
  const server = new Map(list.items.map((o) => [o.metadata.name, o]));
  const cached = new Map(informer.list({ namespace: e.namespace }).map((o) => [o.metadata.name, o]));
  assert.deepEqual([...cached.keys()].sort(), [...server.keys()].sort());
  for (const [name, o] of server) {
    const c = cached.get(name) as KubeObject;
    assert.equal(c.metadata.resourceVersion, o.metadata.resourceVersion, `${name} resourceVersion`);
    assert.deepEqual(c.data, o.data, `${name} data`);
  }
}

/** Writes a sentinel and waits until the informer has it: everything before it has arrived. */
async function caughtUp(e: Env, informer: ReturnType<InformerFactory['informer']>): Promise<void> {
  const s = await e.client.apply(cm(e.namespace, 'zz-sentinel', { at: String(Date.now()) + Math.random() }), {
    fieldManager: 'test',
    force: true,
  });
  await eventually(
    () =>
      informer.get({ namespace: e.namespace, name: 'zz-sentinel' })?.metadata.resourceVersion ===
      s.metadata.resourceVersion,
    { message: 'sentinel', timeout: 15_000 },
  );
}

before(async () => {
  server = await startApiServer({ port: 0 });
});
afterEach(async () => {
  server.faults.clear();
  for (const e of envs.splice(0)) {
    await e.factory.stop();
    e.client.close();
  }
});
after(async () => {
  await server.stop();
});

describe('informers against the emulator', () => {
  it('syncs and delivers every event kind', async () => {
    const e = await env();
    for (const n of ['a', 'b']) await e.client.create(cm(e.namespace, n, { v: '1' }));
    const informer = e.factory.informer(ConfigMap, { namespace: e.namespace });
    const events: InformerEvent[] = [];
    informer.subscribe((ev) => events.push(ev));
    await informer.synced;
    assert.deepEqual(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
      ['a', 'b'],
    );
    assert.ok(events.every((ev) => ev.type === 'added' && ev.initial));
    assert.equal(informer.get({ namespace: e.namespace, name: 'a' })?.kind, 'ConfigMap');
    await e.client.create(cm(e.namespace, 'c'));
    await e.client.patch(cm(e.namespace, 'a'), { data: { v: '2' } });
    await e.client.delete(ConfigMap, { namespace: e.namespace, name: 'b' });
    await eventually(() => events.length >= 5, { message: 'events' });
    assert.deepEqual(
      events.slice(2).map((ev) => [ev.type, ev.object.metadata.name, ev.initial]),
      [
        ['added', 'c', false],
        ['updated', 'a', false],
        ['deleted', 'b', false],
      ],
    );
    assert.deepEqual(events[3].oldObject?.data, { v: '1' });
    assert.equal(
      informer.get({ namespace: e.namespace, name: 'a' })?.metadata.managedFields,
      undefined,
      'managedFields stripped',
    );
    await assertSameAsServer(e, informer);
  });

  it('syncs from paginated lists (500 a page) when streaming lists are off', async () => {
    const e = await env();
    await Promise.all(Array.from({ length: 620 }, (_, i) => e.client.create(cm(e.namespace, `p${i}`))));
    const factory = new InformerFactory(e.client, { reflector: { ...fast, streamingList: false } });
    try {
      const informer = factory.informer(ConfigMap, { namespace: e.namespace });
      await informer.synced;
      assert.equal(informer.size, 620);
      assert.ok(
        (await metric(e.registry, 'kloop_client_requests_total', { verb: 'list', code: '200' })) >= 2,
        'two pages at least',
      );
      await e.client.delete(ConfigMap, { namespace: e.namespace, name: 'p0' });
      await eventually(() => informer.size === 619, { message: 'delete' });
      await assertSameAsServer(e, informer);
    } finally {
      await factory.stop();
    }
  });

  it('relists after a forced compaction and emits the right synthetic deletes', async () => {
    const e = await env();
    for (const n of ['keep', 'gone']) await e.client.create(cm(e.namespace, n));
    const informer = e.factory.informer(ConfigMap, { namespace: e.namespace });
    await informer.synced;
    const events: InformerEvent[] = [];
    informer.subscribe((ev) => events.push(ev), { replay: false });
    // Keep the informer from watching while the server changes and forgets its history.
    const block = server.faults.errors({ rate: 1, code: 500, verb: 'watch', resource: 'configmaps' });
    server.faults.dropWatches({ resource: 'configmaps' });
    await e.client.delete(ConfigMap, { namespace: e.namespace, name: 'gone' });
    await e.client.create(cm(e.namespace, 'new'));
    server.faults.compact();
    block.clear();
    await eventually(() => events.length >= 2, { message: 'relist events' });
    const seen = events.map((ev) => [ev.type, ev.object.metadata.name]).sort();
    assert.deepEqual(seen, [
      ['added', 'new'],
      ['deleted', 'gone'],
    ]);
    assert.ok((await metric(e.registry, 'kloop_informer_relists_total', { reason: 'expired' })) >= 1);
    await assertSameAsServer(e, informer);
  });

  it('reconnects after dropped streams and after 500 and 429 bursts', async () => {
    const e = await env();
    const informer = e.factory.informer(ConfigMap, { namespace: e.namespace });
    await informer.synced;
    for (let round = 0; round < 3; round++) {
      // Drop only once the informer has (re)opened its watch, so each round cuts a live stream.
      await eventually(() => server.faults.dropWatches({ resource: 'configmaps' }).dropped > 0, {
        message: 'a watch to drop',
      });
      await e.client.create(cm(e.namespace, `drop-${round}`));
    }
    // Each burst fails every list and watch until the informer has met it twice, then clears.
    const failed = (code: number) => server.stats().count({ resource: 'configmaps', code });
    for (const code of [500, 429] as const) {
      const before = failed(code);
      const burst = server.faults.errors({
        rate: 1,
        code,
        retryAfterSeconds: 0,
        verb: ['watch', 'list'],
        resource: 'configmaps',
      });
      server.faults.dropWatches({ resource: 'configmaps' });
      await e.client.create(cm(e.namespace, `during-${code}`));
      await eventually(() => failed(code) - before >= 2, { message: `the informer to retry through ${code}s` });
      burst.clear();
    }
    await caughtUp(e, informer);
    await assertSameAsServer(e, informer);
    assert.ok((await metric(e.registry, 'kloop_informer_watch_restarts_total', {})) >= 3);
  });

  it('loses and duplicates nothing under concurrent churn while faults fire', async () => {
    const e = await env();
    const informer = e.factory.informer(ConfigMap, { namespace: e.namespace });
    // An independent model built from the handler stream must end equal to the server too.
    const model = new Map<string, string | undefined>();
    informer.subscribe((ev) => {
      if (ev.type === 'deleted') model.delete(ev.object.metadata.name as string);
      else model.set(ev.object.metadata.name as string, ev.object.metadata.resourceVersion);
    });
    await informer.synced;
    const stopAt = Date.now() + 1500;
    const faults = setInterval(() => {
      const r = Math.random();
      if (r < 0.3) server.faults.dropWatches({ resource: 'configmaps' });
      else if (r < 0.4) server.faults.compact();
    }, 60);
    const errs = server.faults.errors({ rate: 0.2, code: 500, verb: ['watch', 'list'], resource: 'configmaps' });
    const dropAfter = server.faults.dropWatchesAfter(25, { resource: 'configmaps' });
    const writer = async (w: number) => {
      let i = 0;
      while (Date.now() < stopAt) {
        const name = `o${(w * 7 + i++) % 40}`;
        const op = Math.random();
        try {
          if (op < 0.45)
            await e.client.apply(cm(e.namespace, name, { w: String(w), i: String(i) }), {
              fieldManager: `w${w}`,
              force: true,
            });
          else if (op < 0.75) await e.client.patch(cm(e.namespace, name), { data: { p: String(i) } });
          else await e.client.delete(ConfigMap, { namespace: e.namespace, name });
        } catch (err) {
          if (!ApiError.isNotFound(err)) throw err;
        }
      }
    };
    try {
      await Promise.all([0, 1, 2, 3].map(writer));
    } finally {
      clearInterval(faults);
      errs.clear();
      dropAfter.clear();
    }
    await caughtUp(e, informer);
    await assertSameAsServer(e, informer);
    const server_ = await e.client.list(ConfigMap, { namespace: e.namespace });
    assert.deepEqual(
      [...model.entries()].sort(),
      server_.items.map((o) => [o.metadata.name, o.metadata.resourceVersion]).sort(),
      'the handler stream folds into the server state',
    );
    const recoveries =
      (await metric(e.registry, 'kloop_informer_watch_restarts_total', {})) +
      (await metric(e.registry, 'kloop_informer_relists_total', { reason: 'expired' }));
    assert.ok(recoveries > 0, 'the faults did fire');
  });

  it('follows objects that cross a label selector', async () => {
    const e = await env();
    const informer = e.factory.informer(ConfigMap, { namespace: e.namespace, labelSelector: 'tier=web' });
    const events: InformerEvent[] = [];
    informer.subscribe((ev) => events.push(ev));
    await informer.synced;
    await e.client.create(cm(e.namespace, 'x', {}, { tier: 'db' }));
    await e.client.patch(cm(e.namespace, 'x'), { metadata: { labels: { tier: 'web' } } });
    await eventually(() => informer.size === 1, { message: 'x enters' });
    await e.client.patch(cm(e.namespace, 'x'), { metadata: { labels: { tier: 'db' } } });
    await eventually(() => informer.size === 0, { message: 'x leaves' });
    assert.deepEqual(
      events.map((ev) => ev.type),
      ['added', 'deleted'],
    );
    assert.equal(informer.list({ labelSelector: 'tier=web' }).length, 0);
  });

  it('metadata-only informers hold no data', async () => {
    const e = await env();
    await e.client.create(cm(e.namespace, 'm', { big: 'x'.repeat(1000) }, { a: 'b' }));
    const informer = e.factory.informer(ConfigMap, { namespace: e.namespace, metadataOnly: true });
    await informer.synced;
    const m = informer.get({ namespace: e.namespace, name: 'm' }) as KubeObject;
    assert.deepEqual(Object.keys(m).sort(), ['apiVersion', 'kind', 'metadata']);
    assert.equal(m.metadata.labels?.a, 'b');
    await e.client.patch(cm(e.namespace, 'm'), { data: { big: 'y' }, metadata: { labels: { a: 'c' } } });
    await eventually(() => informer.get({ namespace: e.namespace, name: 'm' })?.metadata.labels?.a === 'c', {
      message: 'update',
    });
    assert.equal(informer.get({ namespace: e.namespace, name: 'm' })?.data, undefined);
  });

  it('two consumers of one type share one informer and one watch', async () => {
    let proxy: CountingProxy | undefined;
    try {
      proxy = await startProxy(server.url);
      const e = await env(proxy.url);
      const one = e.factory.informer(ConfigMap, { namespace: e.namespace });
      const two = e.factory.informer(ConfigMap, { namespace: e.namespace });
      assert.equal(one, two);
      const a: string[] = [];
      const b: string[] = [];
      one.subscribe((ev) => a.push(ev.object.metadata.name as string));
      two.subscribe((ev) => b.push(ev.object.metadata.name as string));
      await one.synced;
      await e.client.create(cm(e.namespace, 'shared'));
      await eventually(() => a.length === 1 && b.length === 1, { message: 'both consumers' });
      // One list and one watch for both: either a streaming list (one watch that lists), or a
      // refused streaming probe (422), then one paginated list and one watch.
      const watches = proxy.requests.filter((u) => /[?&]watch=true/.test(u));
      const lists = proxy.requests.filter((u) => u.includes('/configmaps?') && !u.includes('watch='));
      if ((one as SharedInformer).reflector.streamingList === true) {
        assert.deepEqual([watches.length, lists.length], [1, 0]);
        assert.ok(watches[0].includes('sendInitialEvents=true'));
      } else {
        assert.equal(watches.filter((u) => !u.includes('sendInitialEvents')).length, 1);
        assert.equal(lists.length, 1);
      }
      assert.notEqual(e.factory.informer(ConfigMap, { namespace: e.namespace, labelSelector: 'x=y' }), one);
    } finally {
      for (const e of envs.splice(0)) {
        await e.factory.stop();
        e.client.close();
      }
      await proxy?.close();
    }
  });

  it('stop leaves no socket or timer behind', async () => {
    const count = () => {
      const r = process.getActiveResourcesInfo();
      return {
        timers: r.filter((x) => x === 'Timeout').length,
        sockets: r.filter((x) => x === 'TCPSocketWrap').length,
      };
    };
    await new Promise((r) => setTimeout(r, 50));
    const before = count();
    const e = await env();
    const informers = [
      e.factory.informer(ConfigMap, { namespace: e.namespace }),
      e.factory.informer({ apiVersion: 'v1', kind: 'Secret' }),
    ];
    await Promise.all(informers.map((i) => i.synced));
    assert.ok(count().sockets > before.sockets, 'watches hold sockets while running');
    envs.splice(envs.indexOf(e), 1);
    await e.factory.stop();
    e.client.close();
    await eventually(
      () => {
        const now = count();
        assert.ok(now.sockets <= before.sockets && now.timers <= before.timers, `now ${JSON.stringify(now)}`);
        return true;
      },
      { message: `resources back to ${JSON.stringify(before)}` },
    );
  });
});
