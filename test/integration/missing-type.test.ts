// A controller of a custom resource whose CRD is not installed: the manager says so once per
// report interval with the fix, /readyz names it, and start() completes once the CRD appears;
// with cacheSyncTimeoutMs it fails start() with the same fix instead of hanging, leaving nothing
// running. Time (polls, reports, the timeout) is a ManualClock's.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { KubeClient } from '../../src/client/index.js';
import { ManualClock } from '../../src/core/index.js';
import { CacheSyncTimeoutError, Manager } from '../../src/manager/index.js';
import { advance, eventually } from '../support/index.js';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.js';

const Memcached = { apiVersion: 'cache.example.com/v1alpha1', kind: 'Memcached' } as const;
const FIX = 'no resource Memcached.cache.example.com: is its CRD installed?';

const memcachedCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'memcacheds.cache.example.com' },
  spec: {
    group: 'cache.example.com',
    scope: 'Namespaced',
    names: { plural: 'memcacheds', singular: 'memcached', kind: 'Memcached', listKind: 'MemcachedList' },
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

let server: ApiServer;
let admin: KubeClient;

before(async () => {
  server = await startApiServer();
  admin = KubeClient.fromKubeconfig(server.kubeconfig, { logger: pino({ level: 'silent' }) });
});
after(async () => {
  admin.close();
  await server.stop();
});

/** A manager on `clock` through `proxy`, with its log lines collected as parsed JSON. */
function manager(proxy: RecordingProxy, clock: ManualClock, extra: { cacheSyncTimeoutMs?: number } = {}) {
  const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const mgr = new Manager({
    kubeconfig: proxy.kubeconfig,
    logger,
    clock,
    // Discovery's refresh interval runs on the client's clock: the same virtual time.
    clientOptions: { clock },
    http: { port: 0, host: '127.0.0.1' },
    drainTimeoutMs: 1_000,
    ...extra,
  });
  const reconciled: string[] = [];
  mgr
    .controller('memcached')
    .for(Memcached)
    .reconcile(async (req) => {
      reconciled.push(req.key.name);
    });
  return { mgr, lines, reconciled };
}

/** Discovery requests for the group-version so far. */
function discoveries(proxy: RecordingProxy): number {
  return proxy.requests.filter((r) => r.path.startsWith('/apis/cache.example.com/v1alpha1')).length;
}

test('a missing CRD is reported once per interval with the fix and in /readyz; start() completes once it is installed', async () => {
  const proxy = await startRecordingProxy(server);
  const clock = new ManualClock();
  const { mgr, lines, reconciled } = manager(proxy, clock);
  try {
    let started = false;
    const start = mgr.start().then(() => {
      started = true;
    });
    const reports = () => lines.filter((l) => l.msg === FIX);
    await eventually(() => reports().length === 1, { message: 'the first report' });
    const report = reports()[0]!;
    assert.equal(report.level, 50, 'an error: nothing works until it is fixed');
    assert.equal(report.type, 'cache.example.com/v1alpha1/Memcached');

    const readyz = await fetch(`${mgr.httpUrl}/readyz?verbose`);
    assert.equal(readyz.status, 503);
    const text = await readyz.text();
    assert.ok(text.includes(`[-]informer cache.example.com/v1alpha1/Memcached failed: ${FIX}`), text);

    // Discovery is asked again every 5 s; the report repeats only every 60 s.
    for (let polls = 1; polls <= 12; polls++) {
      const before = discoveries(proxy);
      await advance(clock, 5_000);
      await eventually(() => discoveries(proxy) > before, { message: `poll ${polls}` });
    }
    await eventually(() => reports().length === 2, { message: 'the second report, a minute later' });
    assert.equal(reports().length, 2, 'twelve polls, two reports');
    assert.equal(started, false, 'start() still waits');

    await admin.create(memcachedCrd);
    await admin.create({ ...Memcached, metadata: { namespace: 'default', name: 'cache' } });
    await eventually(
      async () => {
        await advance(clock, 5_000);
        return started;
      },
      { message: 'start() to complete once the CRD is served' },
    );
    await start;
    await eventually(() => reconciled.includes('cache'), { message: 'the custom resource reconciled' });
    assert.equal(mgr.readiness().ready, true);
    assert.ok(lines.some((l) => l.msg === 'kloop: resource type now served'));
  } finally {
    await mgr.stop();
    await proxy.close();
    await admin.delete(
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
      {
        name: memcachedCrd.metadata.name,
      },
    );
  }
});

test('with cacheSyncTimeoutMs a missing CRD fails start() with the fix, and nothing is left running', async () => {
  await eventually(
    async () =>
      (await admin.list({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' })).items.length ===
      0,
    {
      message: 'the CRD of the previous test gone',
    },
  );
  const proxy = await startRecordingProxy(server);
  const clock = new ManualClock();
  const { mgr } = manager(proxy, clock, { cacheSyncTimeoutMs: 30_000 });
  const start = mgr.start();
  const outcome: { failure?: unknown } = {};
  start.catch((err: unknown) => {
    outcome.failure = err;
  });
  await eventually(() => mgr.readiness().checks.some((c) => c.detail === FIX), {
    message: 'the type reported missing',
  });
  const url = mgr.httpUrl!;
  await advance(clock, 29_999);
  assert.equal(outcome.failure, undefined, 'not before the timeout');
  await advance(clock, 1);
  await eventually(() => outcome.failure !== undefined, { message: 'start() to fail' });
  const failure = outcome.failure as unknown;
  assert.ok(failure instanceof CacheSyncTimeoutError, String(failure));
  assert.equal(failure.code, 'KLOOP_CACHE_SYNC_TIMEOUT');
  assert.equal(
    failure.message,
    `caches did not sync within 30000 ms: ${FIX}; not synced: cache.example.com/v1alpha1/Memcached`,
  );
  assert.deepEqual(
    failure.missingTypes.map((m) => m.message),
    [FIX],
  );
  assert.equal(await mgr.done, 'stopped', 'the manager stopped itself');
  await assert.rejects(fetch(`${url}/healthz`), 'the listener is closed');
  await proxy.close();
});
