// The dashboard's server side without a browser: metrics read as `/metrics` has them, quantiles as
// Prometheus computes them, points as differences between readings; the hub's interval on a
// ManualClock, its bounded history, new records only once, redaction, and the SSE stream over
// HTTP (snapshot, ticks, a cap on pages); the routes (bundle with CSP and gzip, 503 without a
// bundle, 404, 405, only on the debug listener); the page-weight budget; the provenance links.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { buildDashboard, PAGE_WEIGHT_BUDGET } from '../../scripts/build-ui.mjs';
import { controllerMetrics, type ReconcileRecord } from '../../src/controller/index.js';
import { ManualClock } from '../../src/core/index.js';
import { DashboardAssets } from '../../src/manager/dashboard/assets.js';
import { DashboardHub, type DashboardSources } from '../../src/manager/dashboard/hub.js';
import { histogramQuantile, readTotals, samplePoint } from '../../src/manager/dashboard/metrics-reader.js';
import { dashboardRoutes } from '../../src/manager/dashboard/routes.js';
import { type ManagerDescription, startHttpEndpoints } from '../../src/manager/index.js';
import { buildProvenance } from '../../ui/src/provenance.js';
import { flush } from '../support/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'kloop-dashboard-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('histogramQuantile interpolates within the bucket, as Prometheus does', () => {
  const inf = Number.POSITIVE_INFINITY;
  assert.equal(histogramQuantile(0.5, []), undefined);
  assert.equal(
    histogramQuantile(0.5, [
      [0.1, 0],
      [inf, 0],
    ]),
    undefined,
  );
  // 4 observations: 2 under 0.1, 2 in (0.1, 1]: the median is the top of the first bucket.
  assert.equal(
    histogramQuantile(0.5, [
      [0.1, 2],
      [1, 4],
      [inf, 4],
    ]),
    0.1,
  );
  // rank 3 of 4 is half-way through (0.1, 1].
  assert.equal(
    histogramQuantile(0.75, [
      [0.1, 2],
      [1, 4],
      [inf, 4],
    ]),
    0.55,
  );
  // rank in the +Inf bucket: the highest finite bound.
  assert.equal(
    histogramQuantile(0.99, [
      [0.1, 1],
      [1, 1],
      [inf, 4],
    ]),
    1,
  );
  // the first bucket interpolates from 0.
  assert.equal(
    histogramQuantile(0.5, [
      [0.2, 2],
      [inf, 2],
    ]),
    0.1,
  );
});

test('readTotals reads the kloop metrics; samplePoint turns two readings into one point', async () => {
  const registry = new Registry();
  const m = controllerMetrics(registry);
  m.reconcileTotal.inc({ controller: 'a', result: 'success' }, 3);
  m.reconcileDuration.observe({ controller: 'a' }, 0.003);
  m.reconcileTriggers.inc({ controller: 'a', source: 'for:v1/ConfigMap', event: 'updated' }, 5);
  // Five updates folded into three reconciles.
  m.reconcileFirstTriggers.inc({ controller: 'a', source: 'for:v1/ConfigMap', event: 'updated' }, 3);
  m.clientWrites.inc({ controller: 'a', resource: 'secrets', kind: 'patch' }, 2);
  m.clientWritesSkipped.inc({ controller: 'a', resource: 'secrets', reason: 'unchanged' }, 7);
  m.clientWriteBytes.inc({ controller: 'a', resource: 'secrets' }, 120);
  m.hotLoops.inc({ controller: 'a' });
  const first = await readTotals(registry);
  const a = first.controllers.a!;
  assert.deepEqual(a.results, { success: 3 });
  assert.deepEqual(a.triggers, { 'for:v1/ConfigMap updated': 5 });
  assert.deepEqual(a.firstTriggers, { 'for:v1/ConfigMap updated': 3 });
  assert.equal(a.durationCount, 1);
  assert.equal(a.hotLoops, 1);
  assert.equal(a.p50, histogramQuantile(0.5, a.buckets));
  assert.deepEqual(first.writes, [
    { controller: 'a', resource: 'secrets', sent: { patch: 2 }, skipped: { unchanged: 7 }, bytes: 120 },
  ]);

  m.reconcileTotal.inc({ controller: 'a', result: 'error' });
  m.reconcileTriggers.inc({ controller: 'a', source: 'retry', event: 'retry' });
  m.reconcileFirstTriggers.inc({ controller: 'a', source: 'retry', event: 'retry' });
  m.clientWrites.inc({ controller: 'a', resource: 'secrets', kind: 'patch' });
  m.clientWriteBytes.inc({ controller: 'a', resource: 'secrets' }, 30);
  m.reconcileDuration.observe({ controller: 'a' }, 2);
  const second = await readTotals(registry);
  const point = samplePoint(second, first, { a: 1 }, 5_000, 1_000);
  const pa = point.controllers.a!;
  assert.deepEqual(pa.results, { error: 1 }, 'only what happened in the interval');
  assert.deepEqual(pa.triggers, { 'retry retry': 1 });
  assert.deepEqual(pa.reconciles, { 'retry retry': 1 }, 'reconciles by first trigger in the interval');
  assert.equal(pa.inFlight, 1);
  assert.equal(pa.writes, 1);
  assert.equal(pa.bytes, 30);
  assert.equal(pa.p50, 1.75, 'the interval holds one observation in (1, 2.5]: its median interpolates');
  assert.equal(point.t, 5_000);
  assert.equal(point.intervalMs, 1_000);
});

function record(
  controller: string,
  id: string,
  startedAt: string,
  extra: Partial<ReconcileRecord> = {},
): ReconcileRecord {
  return {
    reconcileID: id,
    controller,
    key: 'ns/a',
    startedAt,
    durationMs: 1,
    result: 'success',
    retries: 0,
    triggers: [],
    triggerCounts: [],
    totalTriggers: 0,
    writes: [],
    ...extra,
  };
}

function fakeSources(clock: ManualClock, records: ReconcileRecord[]): DashboardSources {
  const state: ManagerDescription = { started: true, controllers: [], informers: [] };
  return {
    registry: new Registry(),
    state: () => state,
    records: () => [{ controller: 'c', records }],
    redact: (value) => JSON.parse(JSON.stringify(value).replaceAll('hunter2-hunter2', '<redacted>')),
    objectSizes: () => [],
    clock,
    wallClock: () => 1_000_000 + clock.now(),
  };
}

test('the hub samples on its clock, keeps a bounded history and sends each record once, redacted', async () => {
  const clock = new ManualClock();
  const records = [record('c', 'r1', '2026-01-01T00:00:00.000Z')];
  const hub = new DashboardHub(fakeSources(clock, records), { intervalMs: 1000, historySize: 3 });
  await hub.start();
  assert.equal(hub.series.length, 1);
  for (let i = 0; i < 5; i++) {
    // The interval's timer fires on the clock; its reading is asynchronous (metrics are read).
    const last = hub.series.at(-1)!.t;
    clock.advance(1000);
    for (let n = 0; n < 100 && hub.series.at(-1)!.t === last; n++) await flush();
  }
  assert.equal(hub.series.length, 3, 'history bounded');
  assert.deepEqual(
    hub.series.map((s) => s.t),
    [1_003_000, 1_004_000, 1_005_000],
  );
  hub.close();
  clock.advance(10_000);
  await flush();
  assert.equal(hub.series.length, 3, 'no tick after close');
  const snapshot = hub.snapshot();
  assert.equal(snapshot.records.length, 1);
  records.push(record('c', 'r2', '2026-01-01T00:00:01.000Z', { error: 'cannot log in with hunter2-hunter2' }));
  assert.equal(hub.snapshot().records[1]!.error, 'cannot log in with <redacted>');
});

test('the SSE stream: a snapshot, then a tick per interval with new records only; a cap on pages', async () => {
  const clock = new ManualClock();
  const records = [record('c', 'r1', '2026-01-01T00:00:00.000Z')];
  const hub = new DashboardHub(fakeSources(clock, records), { maxClients: 1 });
  await hub.start();
  const http = await startHttpEndpoints(
    {
      registry: new Registry(),
      readiness: () => ({ ready: true, checks: [] }),
      debug: () => ({}),
      dashboard: dashboardRoutes(hub),
    },
    { serve: ['debug'] },
  );
  try {
    const res = await fetch(`${http.url}/ui/events`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.getReader();
    let buffer = '';
    const next = async (): Promise<{ event: string; data: Record<string, unknown> }> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = message.match(/^event: (.*)$/m)?.[1];
          const data = message.match(/^data: (.*)$/m)?.[1];
          if (event && data) return { event, data: JSON.parse(data) };
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += Buffer.from(value).toString();
      }
    };
    const first = await next();
    assert.equal(first.event, 'snapshot');
    assert.deepEqual(
      (first.data.records as ReconcileRecord[]).map((r) => r.reconcileID),
      ['r1'],
    );
    assert.equal((first.data.series as unknown[]).length, 1);

    const busy = await fetch(`${http.url}/ui/events`);
    assert.equal(busy.status, 503, 'one page allowed here');
    await busy.text();

    records.push(record('c', 'r2', '2026-01-01T00:00:01.000Z'));
    clock.advance(1000);
    const tick = await next();
    assert.equal(tick.event, 'tick');
    assert.deepEqual(
      (tick.data.records as ReconcileRecord[]).map((r) => r.reconcileID),
      ['r2'],
      'only the new record',
    );
    assert.equal(tick.data.state, undefined, 'state unchanged: not sent again');
    await reader.cancel();
  } finally {
    hub.close();
    await http.close();
  }
});

test('the routes: the bundle with CSP and gzip; 503 without a bundle; 404, 405; only on the debug listener', async () => {
  const dir = join(scratch, 'bundle/');
  rmSync(dir, { recursive: true, force: true });
  const clock = new ManualClock();
  const hub = new DashboardHub(fakeSources(clock, []));
  const routes = dashboardRoutes(hub, new DashboardAssets(dir));
  const providers = {
    registry: new Registry(),
    readiness: () => ({ ready: true, checks: [] }),
    debug: () => ({}),
    dashboard: routes,
  };
  const debug = await startHttpEndpoints(providers, { serve: ['debug'] });
  const health = await startHttpEndpoints(providers, { serve: ['health', 'metrics'] });
  try {
    const missing = await fetch(`${debug.url}/ui`);
    assert.equal(missing.status, 503);
    assert.match(await missing.text(), /npm run build/);

    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>kloop dashboard</title>');
    writeFileSync(join(dir, 'app.js'), 'console.log("app")'.repeat(50));
    writeFileSync(join(dir, 'app.css'), 'body{}');
    const page = await fetch(`${debug.url}/ui`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
    assert.match(await page.text(), /kloop dashboard/);

    const { request } = await import('node:http');
    const gz = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      request(`${debug.url}/ui/app.js`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });
    assert.equal(gz.encoding, 'gzip');
    assert.equal(gunzipSync(gz.body).toString(), 'console.log("app")'.repeat(50));

    assert.equal((await fetch(`${debug.url}/ui/nope`)).status, 404);
    assert.equal((await fetch(`${debug.url}/ui`, { method: 'POST' })).status, 405);
    assert.equal((await fetch(`${health.url}/ui`)).status, 404, 'not on the health and metrics listener');
    const snapshot = await fetch(`${debug.url}/ui/snapshot`);
    assert.equal(snapshot.status, 200);
    assert.ok(Array.isArray(((await snapshot.json()) as { series: unknown[] }).series));
  } finally {
    hub.close();
    await debug.close();
    await health.close();
  }
});

test(`the page weighs less than its budget (${PAGE_WEIGHT_BUDGET / 1024} KiB of JS and CSS, gzipped)`, async () => {
  const sizes = await buildDashboard(join(scratch, 'built'));
  const weight = sizes['app.js'].gzip + sizes['app.css'].gzip;
  console.log(
    `page weight: app.js ${sizes['app.js'].gzip} B + app.css ${sizes['app.css'].gzip} B gzipped = ${weight} B`,
  );
  assert.ok(weight <= PAGE_WEIGHT_BUDGET, `${weight} B over the ${PAGE_WEIGHT_BUDGET} B budget`);
  assert.ok(sizes['index.html'].bytes < 2048);
});

test('provenance: a write links to the trigger its watch event became, both ways; an object has a timeline', () => {
  const writer = record('mirror', 'w', '2026-01-01T00:00:00.000Z', {
    key: 'ns/cm',
    writes: [{ type: 'v1/Secret', key: 'other/cm', kind: 'patch', fields: ['data'], resourceVersion: '42', bytes: 20 }],
  });
  const trigger = {
    source: 'owns:v1/Secret',
    event: 'updated' as const,
    object: { apiVersion: 'v1', kind: 'Secret', namespace: 'other', name: 'cm' },
    resourceVersion: '42',
    changedPaths: ['data.color'],
  };
  const caused = record('mirror', 'c', '2026-01-01T00:00:00.010Z', {
    key: 'ns/cm',
    triggers: [trigger],
    totalTriggers: 1,
  });
  const unrelated = record('mirror', 'u', '2026-01-01T00:00:00.020Z', {
    key: 'ns/cm',
    triggers: [{ ...trigger, resourceVersion: '43' }],
    totalTriggers: 1,
  });
  const p = buildProvenance([writer, caused, unrelated], new Map([['mirror', 'v1/ConfigMap']]));
  assert.equal(p.writeOf(trigger)?.record.reconcileID, 'w');
  assert.equal(p.writeOf(unrelated.triggers[0]!), undefined, 'another version is another event');
  assert.deepEqual(
    p.causedBy(writer.writes[0]!).map((c) => c.record.reconcileID),
    ['c'],
  );
  const timeline = p.timeline('v1/Secret other/cm');
  assert.deepEqual(
    timeline.map((e) => `${e.kind}:${e.record.reconcileID}`),
    ['write:w', 'event:c', 'event:u'],
  );
  assert.equal(p.timeline('v1/ConfigMap ns/cm').length, 3, 'three reconciles of the key');
});

test('the first point counts nothing from before the hub started (a registry reused by a new manager)', async () => {
  const clock = new ManualClock();
  const source = fakeSources(clock, []);
  const m = controllerMetrics(source.registry);
  m.reconcileTotal.inc({ controller: 'a', result: 'success' }, 500);
  m.reconcileFirstTriggers.inc({ controller: 'a', source: 'for:v1/ConfigMap', event: 'updated' }, 500);
  m.clientWrites.inc({ controller: 'a', resource: 'configmaps', kind: 'patch' }, 200);
  const hub = new DashboardHub(source, { intervalMs: 1000 });
  await hub.start();
  try {
    const first = hub.series[0]!.controllers.a!;
    assert.deepEqual(first.results, {}, 'not 500 reconciles in one second');
    assert.deepEqual(first.reconciles, {});
    assert.equal(first.writes, 0);
    assert.deepEqual(hub.snapshot().totals.controllers.a?.results, { success: 500 }, 'totals still since start');
    m.reconcileTotal.inc({ controller: 'a', result: 'success' }, 3);
    clock.advance(1000);
    for (let n = 0; n < 100 && hub.series.length === 1; n++) await flush();
    assert.deepEqual(hub.series[1]!.controllers.a!.results, { success: 3 });
  } finally {
    hub.close();
  }
});

test('a HEAD of the feed is answered at once and holds no place', async () => {
  const clock = new ManualClock();
  const hub = new DashboardHub(fakeSources(clock, []), { maxClients: 1 });
  await hub.start();
  const http = await startHttpEndpoints(
    {
      registry: new Registry(),
      readiness: () => ({ ready: true, checks: [] }),
      debug: () => ({}),
      dashboard: dashboardRoutes(hub),
    },
    { serve: ['debug'] },
  );
  try {
    const head = await fetch(`${http.url}/ui/events`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.match(head.headers.get('content-type') ?? '', /text\/event-stream/);
    await flush();
    assert.equal(hub.clients, 0, 'no stream kept for a HEAD');
    const page = await fetch(`${http.url}/ui/events`);
    assert.equal(page.status, 200, 'the one place is free for a page');
    await page.body?.cancel();
  } finally {
    hub.close();
    await http.close();
  }
});
