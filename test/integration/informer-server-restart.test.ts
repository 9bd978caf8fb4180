// The emulator restarted empty on the same port, as after an etcd restore or a test that restarts
// its server: the new server's resourceVersions start again from the bottom, and a watch from the
// old resourceVersion would wait there in silence forever. Over HTTP, the informer converges to
// the new server's state within seconds, whether the restart comes after its sync or in the
// middle of its first list, and the relist is counted with its reason. Also over HTTP: a 504
// ResourceVersionTooLarge on a resumed watch makes the informer relist with a consistent read.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { type Informer, InformerFactory, type InformerFactoryOptions } from '../../src/cache/index.js';
import { KubeClient } from '../../src/client/index.js';
import { ConfigMap, type KubeObject } from '../../src/core/index.js';
import { startProxy } from '../cache/proxy.js';
import { eventually } from '../support/index.js';

const silent = pino({ level: process.env.TEST_LOG ?? 'silent' });
const NS = 'default';
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

/** A port free now, so a server can be started, stopped and started again on it. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** An emulator on `port` that the test may restart; stopped after the test. */
class RestartableServer {
  server!: ApiServer;
  constructor(readonly port: number) {
    cleanups.push(() => this.server.stop());
  }
  async start(): Promise<ApiServer> {
    this.server = await startApiServer({ port: this.port });
    assert.equal(this.server.port, this.port);
    return this.server;
  }
  /** Stops the server and starts an empty one on the same port. */
  async restart(): Promise<ApiServer> {
    await this.server.stop();
    return this.start();
  }
}

function admin(server: ApiServer): KubeClient {
  const client = KubeClient.fromKubeconfig(server.kubeconfig, { logger: silent, registry: new Registry() });
  cleanups.push(() => client.close());
  return client;
}

async function seed(server: ApiServer, prefix: string, n: number): Promise<void> {
  const client = admin(server);
  for (let i = 0; i < n; i++) {
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: NS, name: `${prefix}-${i}` } });
  }
}

function informerOn(
  url: string,
  registry: Registry,
  reflector: InformerFactoryOptions['reflector'] = {},
  maxRetries = 2,
) {
  const client = KubeClient.fromKubeconfig(kubeconfigFor(url), { logger: silent, registry, maxRetries });
  const factory = new InformerFactory(client, {
    reflector: { initialBackoffMs: 20, maxBackoffMs: 200, resourceVersionConfirmMs: 100, ...reflector },
  });
  cleanups.push(async () => {
    await factory.stop();
    client.close();
  });
  return factory.informer(ConfigMap, { namespace: NS });
}

function kubeconfigFor(url: string) {
  return {
    apiVersion: 'v1' as const,
    kind: 'Config' as const,
    clusters: [{ name: 'c', cluster: { server: url } }],
    users: [{ name: 'u', user: {} }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: NS } }],
    'current-context': 'ctx',
  };
}

async function relists(registry: Registry, reason: string): Promise<number> {
  const m = await registry.getSingleMetric('kloop_informer_relists_total')?.get();
  return (m?.values ?? []).filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
}

/** The informer holds exactly the server's ConfigMaps: same names, uids and resourceVersions. */
async function sameAsServer(informer: Informer, server: ApiServer): Promise<boolean> {
  const list = await admin(server).list(ConfigMap, { namespace: NS });
  const id = (o: KubeObject) => `${o.metadata.name}/${o.metadata.uid}/${o.metadata.resourceVersion}`;
  const want = list.items.map(id).sort();
  const have = informer.list({ namespace: NS }).map(id).sort();
  assert.deepEqual(have, want);
  return true;
}

describe('an informer over a server restarted empty on the same port', () => {
  it('after its sync: the went-back check relists, deletes what vanished and adds what is new', async () => {
    const emulator = new RestartableServer(await freePort());
    const old = await emulator.start();
    await seed(old, 'old', 40);
    const registry = new Registry();
    const informer = informerOn(old.url, registry);
    await informer.synced;
    assert.equal(informer.size, 40);
    const lastBefore = Number(informer.lastSyncResourceVersion);
    const events: string[] = [];
    informer.subscribe((e) => events.push(`${e.type}:${e.object.metadata.name}`), { replay: false });

    const fresh = await emulator.restart();
    // Same names as before for two of them: new objects (new uids) at resourceVersions that may
    // equal the old ones.
    await seed(fresh, 'old', 2);
    await seed(fresh, 'new', 1);
    const started = Date.now();
    await eventually(() => sameAsServer(informer, fresh), { message: 'the informer holds the new server state' });
    assert.ok(Date.now() - started < 10_000);
    assert.ok(Number(informer.lastSyncResourceVersion) < lastBefore, 'it follows the new, lower resourceVersions');
    assert.equal(await relists(registry, 'resource_version_went_back'), 1);
    assert.equal(events.filter((e) => e.startsWith('deleted:')).length, 38, 'deletes for what vanished');
    assert.ok(events.includes('added:new-0'));

    // It goes on watching the new server.
    await seed(fresh, 'later', 1);
    await eventually(() => informer.get({ namespace: NS, name: 'later-0' }), { message: 'a later write arrives' });
    assert.equal(await relists(registry, 'resource_version_went_back'), 1, 'once');
  });

  it('in the middle of its first list: the broken list is redone on the new server', async () => {
    const emulator = new RestartableServer(await freePort());
    const old = await emulator.start();
    await seed(old, 'old', 40);
    let restarted: Promise<void> | undefined;
    // Between the first page and the second, the server behind the proxy restarts empty.
    const proxy = await startProxy(old.url, {
      before: (url) => {
        if (!url.includes('continue=')) return undefined;
        restarted ??= (async () => {
          const fresh = await emulator.restart();
          await seed(fresh, 'new', 3);
        })();
        return restarted.then(() => false);
      },
    });
    cleanups.push(() => proxy.close());
    const registry = new Registry();
    const informer = informerOn(proxy.url, registry, { streamingList: false, pageSize: 10 });
    await informer.synced;
    assert.ok(restarted, 'the restart happened mid-list');
    await eventually(() => sameAsServer(informer, emulator.server), { message: 'the informer holds the new state' });
    assert.deepEqual(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
      ['new-0', 'new-1', 'new-2'],
      'nothing of the old server',
    );
    assert.equal(await relists(registry, 'initial'), 1);
    assert.equal(await relists(registry, 'error'), 1, 'the broken list, counted');
  });

  it("a 504 ResourceVersionTooLarge on the watch's resume makes it relist with a consistent read", async () => {
    const emulator = new RestartableServer(await freePort());
    const server = await emulator.start();
    await seed(server, 'a', 5);
    let answered = 0;
    let refuse = false;
    const proxy = await startProxy(server.url, {
      before: (url, res) => {
        // A resumed watch (resourceVersion=N), not the streaming list (resourceVersion=).
        const asked = /[?&]watch=true.*[?&]resourceVersion=(\d+)/.exec(url)?.[1];
        if (!refuse || asked === undefined) return false;
        refuse = false;
        answered++;
        const status = {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `Timeout: Too large resource version: ${asked}, current: 1`,
          reason: 'Timeout',
          details: {
            causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
            retryAfterSeconds: 1,
          },
          code: 504,
        };
        res.writeHead(504, { 'Content-Type': 'application/json', 'Retry-After': '1' });
        res.end(JSON.stringify(status));
        return true;
      },
    });
    cleanups.push(() => proxy.close());
    const registry = new Registry();
    // No client retries: the reflector meets the 504 itself.
    const informer = informerOn(proxy.url, registry, {}, 0);
    await informer.synced;
    const seenBefore = proxy.requests.length;
    refuse = true;
    server.faults.dropWatches();
    await seed(server, 'b', 1);
    await eventually(() => sameAsServer(informer, server), { message: 'the informer holds the server state' });
    assert.equal(answered, 1, 'the resumed watch met the 504');
    assert.equal(await relists(registry, 'too_large_resource_version'), 1);
    const relisted = proxy.requests.slice(seenBefore).filter((u) => u.includes('sendInitialEvents=true'));
    assert.ok(relisted.length >= 1, 'a streaming list after the 504');
    for (const url of relisted) assert.match(url, /[?&]resourceVersion=(&|$)/, 'consistent: no resourceVersion');
  });
});
