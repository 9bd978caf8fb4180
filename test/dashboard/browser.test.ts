/**
 * The dashboard in headless Chromium against `kloop demo --watch`: the page loads without console
 * errors; each view shows the demo's controllers, informers, collections, table and Lease with
 * the figures `/debug/kloop` and `/metrics` give (and, from a sharded manager beside the demo, the
 * shards it holds); a change made during the test shows up live in
 * the provenance trail; tabs work from the keyboard and controls are labelled; nothing of a
 * Secret's data reaches the page. A screenshot of each view goes to `test-artifacts/dashboard/`.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { buildDashboard, PAGE_WEIGHT_BUDGET } from '../../scripts/build-ui.mjs';
import { runDemo } from '../../src/cli/demo.js';
import { ConfigMap, KubeClient } from '../../src/index.js';
import { Manager, type ManagerDescription } from '../../src/manager/index.js';
import { fmtSeconds } from '../../ui/src/format.js';
import { eventually } from '../support/index.js';
import { launchChromium } from './chromium.js';

const ARTIFACTS = join('test-artifacts', 'dashboard');
const VIEWS = ['controllers', 'writes', 'provenance', 'objects', 'informers', 'collections', 'statedb', 'leadership'];

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}

/** Prometheus' histogram_quantile, written here apart from the dashboard's own. */
function quantileFromMetrics(samples: Sample[], controller: string, q: number): number | undefined {
  const buckets = samples
    .filter((s) => s.name === 'kloop_reconcile_duration_seconds_bucket' && s.labels.controller === controller)
    .map((s) => ({ le: s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le), count: s.value }))
    .sort((a, b) => a.le - b.le);
  const count = buckets.at(-1)?.count ?? 0;
  if (count === 0) return undefined;
  const rank = q * count;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Number.POSITIVE_INFINITY) return prevLe;
      if (b.count === prevCount) return b.le;
      return prevLe + (b.le - prevLe) * ((rank - prevCount) / (b.count - prevCount));
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

let release: () => void = () => {};
let demo: Promise<unknown> | undefined;
let mgr: Manager | undefined;
let kubeconfig: object | undefined;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
let page: Page;
const consoleErrors: string[] = [];

before(async () => {
  const sizes = await buildDashboard();
  assert.ok(sizes['app.js'].gzip + sizes['app.css'].gzip <= PAGE_WEIGHT_BUDGET);
  mkdirSync(ARTIFACTS, { recursive: true });
  const until = new Promise<void>((resolve) => {
    release = resolve;
  });
  let ready: () => void = () => {};
  const running = new Promise<void>((resolve) => {
    ready = resolve;
  });
  demo = runDemo({
    watch: true,
    until,
    trickleMs: 0,
    out: (line) => {
      if (line.includes('still running')) ready();
    },
    onEmulator: (server) => {
      kubeconfig = server.kubeconfig;
    },
    onManager: (m) => {
      mgr = m;
    },
  });
  await Promise.race([running, demo]);
  assert.ok(mgr?.dashboardUrl, 'the demo runs with its dashboard');
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(mgr.dashboardUrl);
  await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
});

after(async () => {
  await browser?.close();
  release();
  await demo;
});

async function debugDoc(): Promise<ManagerDescription> {
  return (await (await fetch(`${mgr!.debugUrl}/debug/kloop`)).json()) as ManagerDescription;
}

async function metrics(): Promise<Sample[]> {
  return parseMetrics(await (await fetch(`${mgr!.httpUrl}/metrics`)).text());
}

async function show(view: string): Promise<void> {
  await page.click(`#tab-${view}`);
  await page.locator(`#panel-${view}`).waitFor();
}

async function screenshot(view: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${view}.png`), fullPage: true });
}

async function text(selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent())?.trim() ?? '';
}

test('the page loads live with no console errors', async () => {
  assert.equal(await page.title(), 'kloop dashboard');
  assert.equal(await page.getByRole('tab').count(), VIEWS.length);
  assert.deepEqual(consoleErrors, []);
});

test('controllers: every controller of /debug/kloop, with the reconciles, errors, p50/p99 and hot loops of /metrics', async () => {
  await show('controllers');
  const doc = await debugDoc();
  assert.deepEqual(
    (
      await page
        .locator('section[data-controller]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-controller')))
    ).sort(),
    doc.controllers.map((c) => c.name).sort(),
  );
  await eventually(
    async () => {
      const m = await metrics();
      for (const c of doc.controllers) {
        const card = `section[data-controller="${c.name}"]`;
        assert.equal(
          await text(`${card} [data-figure=reconciles]`),
          total(m, 'kloop_reconcile_total', { controller: c.name }).toLocaleString('en-US'),
          `${c.name} reconciles`,
        );
        assert.equal(
          await text(`${card} [data-figure=errors]`),
          String(total(m, 'kloop_reconcile_errors_total', { controller: c.name })),
        );
        assert.equal(
          await text(`${card} [data-figure=p50]`),
          fmtSeconds(quantileFromMetrics(m, c.name, 0.5)),
          `${c.name} p50`,
        );
        assert.equal(
          await text(`${card} [data-figure=p99]`),
          fmtSeconds(quantileFromMetrics(m, c.name, 0.99)),
          `${c.name} p99`,
        );
        assert.equal(
          await text(`${card} [data-figure=hotloops]`),
          String(total(m, 'kloop_hot_loops_total', { controller: c.name })),
        );
        for (const [k, n] of Object.entries(
          m
            .filter((s) => s.name === 'kloop_reconcile_triggers_total' && s.labels.controller === c.name)
            .reduce<Record<string, number>>(
              (by, s) => ({ ...by, [`${s.labels.source} ${s.labels.event}`]: s.value }),
              {},
            ),
        )) {
          assert.equal(
            await text(`${card} tr[data-trigger="${k}"] td:nth-child(3)`),
            n.toLocaleString('en-US'),
            `${c.name} ${k}`,
          );
          const [source, event] = [k.slice(0, k.lastIndexOf(' ')), k.slice(k.lastIndexOf(' ') + 1)];
          assert.equal(
            await text(`${card} tr[data-trigger="${k}"] [data-col=queued]`),
            total(m, 'kloop_reconcile_first_trigger_total', { controller: c.name, source, event }).toLocaleString(
              'en-US',
            ),
            `${c.name} ${k} reconciles queued`,
          );
        }
      }
      return true;
    },
    { message: 'the controllers view to show the figures of /metrics', timeout: 15_000, interval: 250 },
  );
  // The demo's heartbeat controller loops on its own writes: the page flags it, from the debug document.
  const heartbeat = doc.controllers.find((c) => c.name === 'heartbeat')!;
  assert.ok(heartbeat.hotLoops.length > 0);
  assert.equal(await page.locator('section[data-controller="heartbeat"] [data-hot-loops]').count(), 1);
  assert.ok(
    await page
      .locator('section[data-controller="heartbeat"] table.hot')
      .textContent()
      .then((t) => t?.includes('kloop-demo/heartbeat')),
  );
  assert.ok(
    (await page.locator('[role=img][aria-label]').count()) >= doc.controllers.length * 4,
    'charts are labelled images',
  );
  await screenshot('controllers');
});

test('writes: sent, skipped and bytes per controller and resource are those of /metrics', async () => {
  await show('writes');
  await eventually(
    async () => {
      const m = await metrics();
      const pairs = new Set(
        m
          .filter((s) => s.name === 'kloop_client_writes_total' || s.name === 'kloop_client_writes_skipped_total')
          .map((s) => `${s.labels.controller}|${s.labels.resource}`),
      );
      assert.equal(await page.locator('table[data-table=writes] tbody tr').count(), pairs.size);
      for (const pair of pairs) {
        const [controller, resource] = pair.split('|') as [string, string];
        const row = `tr[data-controller="${controller}"][data-resource="${resource}"]`;
        assert.equal(
          await text(`${row} [data-col=sent]`),
          String(total(m, 'kloop_client_writes_total', { controller, resource })),
        );
        assert.equal(
          await text(`${row} [data-col=skipped]`),
          String(total(m, 'kloop_client_writes_skipped_total', { controller, resource })),
        );
        assert.equal(
          await text(`${row} [data-col=bytes]`),
          String(total(m, 'kloop_client_write_bytes_total', { controller, resource })),
        );
      }
      assert.ok(
        Number(await text('tr[data-controller="configmap-mirror"][data-resource="secrets"] [data-col=whole]')) > 0,
      );
      return true;
    },
    { message: 'the writes view to show the figures of /metrics', timeout: 15_000, interval: 250 },
  );
  await screenshot('writes');
});

test('informers: sizes of /debug/kloop, events and relists of /metrics', async () => {
  await show('informers');
  await eventually(
    async () => {
      const doc = await debugDoc();
      const m = await metrics();
      assert.equal(await page.locator('table[data-table=informers] tbody tr').count(), doc.informers.length);
      for (const i of doc.informers) {
        const row = page.locator(`tr[data-type="${i.type}"]`).first();
        assert.equal(await row.locator('[data-col=size]').textContent(), i.size.toLocaleString('en-US'));
        assert.equal(await row.locator('[data-col=synced]').textContent(), i.synced ? 'yes' : 'no');
        const resource = await row.getAttribute('data-resource');
        assert.ok(resource, `${i.type} has its resource`);
        assert.equal(
          await row.locator('[data-col=events]').textContent(),
          String(total(m, 'kloop_informer_events_total', { resource })),
        );
        const relists = m
          .filter((x) => x.name === 'kloop_informer_relists_total' && x.labels.resource === resource)
          .map((x) => `${x.labels.reason} ${x.value}`)
          .sort();
        const shown = ((await row.locator('[data-col=relists]').textContent()) ?? '').split(', ').sort();
        assert.deepEqual(shown, relists.length > 0 ? relists : ['-'], `${i.type} relists by reason`);
      }
      // The demo forced a 410: informers relisted with reason expired.
      assert.ok(
        (await page.locator('table[data-table=informers] [data-col=relists]', { hasText: 'expired' }).count()) > 0,
      );
      return true;
    },
    { message: 'the informers view to show the figures of /debug/kloop and /metrics', timeout: 15_000, interval: 250 },
  );
  await screenshot('informers');
});

test('collections, StateDB and leadership: the graph, the table and the Lease of /debug/kloop', async () => {
  const doc = await debugDoc();
  await show('collections');
  const collections = (doc.collections as { collections: Array<{ name: string; size: number; synced: boolean }> })
    .collections;
  for (const c of collections) {
    assert.equal(await page.locator(`svg g[data-collection="${c.name}"]`).count(), 1, c.name);
    const row = `tr[data-collection="${c.name}"]`;
    assert.equal(await text(`${row} [data-col=size]`), c.size.toLocaleString('en-US'), `${c.name} size`);
    assert.equal(await text(`${row} [data-col=synced]`), c.synced ? 'yes' : 'no', `${c.name} synced`);
  }
  assert.ok((await page.locator('svg path[marker-end]').count()) >= 2, 'edges drawn');
  await screenshot('collections');

  await show('statedb');
  const pods = (doc.statedb as { tables: Array<{ name: string; size: number }> }).tables.find(
    (t) => t.name === 'pods',
  )!;
  assert.equal(await text('tr[data-table-name="pods"] [data-col=size]'), pods.size.toLocaleString('en-US'));
  await screenshot('statedb');

  await show('leadership');
  assert.equal(await text('[data-figure=identity]'), doc.identity);
  assert.equal(await text('[data-figure=leading]'), doc.leaderElection?.leading ? 'leads' : 'follows');
  assert.equal(
    await text('[data-figure=leader-gauge]'),
    String(total(await metrics(), 'kloop_leader', { lease: 'kloop-demo' })),
  );
  await screenshot('leadership');
});

test('shards: the dashboard of a sharded manager shows the members and the shards /debug/kloop says it holds', async () => {
  const sharded = new Manager({
    kubeconfig: kubeconfig!,
    logger: pino({ level: 'silent' }),
    sharding: { name: 'dashboard-shards', namespace: 'default', shards: 8, identity: 'replica-a' },
    debug: {},
    drainTimeoutMs: 1_000,
  });
  sharded
    .controller('sharded-noop')
    .for(ConfigMap, { informer: { namespace: 'kloop-demo' } })
    .reconcile(async () => {});
  const other = await browser!.context.newPage();
  try {
    await sharded.start();
    // A lone replica takes every shard once its member Lease is seen.
    const doc = await eventually(
      async () => {
        const d = (await (await fetch(`${sharded.debugUrl}/debug/kloop`)).json()) as ManagerDescription;
        return d.sharding !== undefined && d.sharding.held.length === 8 ? d : undefined;
      },
      { message: 'the lone replica to hold its 8 shards', timeout: 15_000, interval: 100 },
    );
    await other.goto(`${sharded.dashboardUrl}#leadership`);
    await other.getByRole('status').filter({ hasText: 'live' }).waitFor();
    await other.locator('#panel-leadership ul.shards').waitFor();
    // The page follows the feed: it reaches the held shards within a tick or two.
    await eventually(
      async () => {
        assert.equal(await other.locator('ul.shards li').count(), doc.sharding!.shards);
        assert.deepEqual(
          await other.locator('ul.shards li.held').evaluateAll((els) => els.map((e) => Number(e.textContent))),
          doc.sharding!.held,
        );
        assert.equal(
          (await other.locator('[data-figure=shards]').textContent())?.trim(),
          `${doc.sharding!.held.length} of ${doc.sharding!.shards} shards held here; members: ${doc.sharding!.members.join(', ')}; keys skipped as not owned: ${doc.sharding!.skippedNotOwned}`,
        );
        return true;
      },
      { message: 'the leadership view to show the shards of /debug/kloop', timeout: 10_000, interval: 200 },
    );
    assert.equal((await other.locator('[data-figure=identity]').textContent())?.trim(), 'replica-a');
    assert.equal(await other.locator('[aria-label="shard 0, held here"]').count(), 1, 'each shard is described');
    await other.screenshot({ path: join(ARTIFACTS, 'leadership-shards.png'), fullPage: true });
  } finally {
    await other.close();
    await sharded.stop();
  }
});

test('provenance: a change made now appears live, with its trigger, its writes and what they set off', async () => {
  await show('provenance');
  const user = KubeClient.fromKubeconfig(kubeconfig!);
  try {
    await user.patch(
      { type: ConfigMap, key: { namespace: 'kloop-demo', name: 'settings-3' } },
      { data: { color: 'teal' } },
      { type: 'merge' },
    );
  } finally {
    user.close();
  }
  // No reload: the feed brings it.
  const entry = page
    .locator('ul.records li', { hasText: 'configmap-mirror kloop-demo/settings-3' })
    .filter({ hasText: '3 writes' });
  await entry.first().waitFor({ timeout: 15_000 });
  await entry.first().locator('a').click();
  const trail = page.locator('[data-trail]');
  await trail.waitFor();
  const triggers = await trail.locator('table[data-table=triggers]').textContent();
  assert.match(triggers ?? '', /for:v1\/ConfigMap/);
  assert.match(triggers ?? '', /updated/);
  assert.match(triggers ?? '', /data\.color/);
  const writes = trail.locator('table[data-table=writes]');
  assert.match((await writes.textContent()) ?? '', /patch.*v1\/Secret kloop-demo-a\/settings-3/s);
  // Each write's watch event comes back to the mirror through its Secret sources: linked both ways.
  await eventually(
    async () => Number(await writes.locator('td[data-caused]').first().getAttribute('data-caused')) > 0,
    { message: 'a write of the trail to link to the reconcile it set off', timeout: 10_000, interval: 200 },
  );
  await writes.locator('td[data-caused] a').first().click();
  const next = page.locator('[data-trail]');
  await next
    .locator('table[data-table=triggers] a', { hasText: 'configmap-mirror kloop-demo/settings-3' })
    .first()
    .waitFor();
  assert.match((await next.locator('table[data-table=triggers]').textContent()) ?? '', /patch by/);
  await screenshot('provenance');

  await next.locator('table[data-table=triggers] td:nth-child(3) a').first().click();
  await page.locator('ol.timeline').waitFor();
  assert.ok((await page.locator('ol.timeline li').count()) >= 2, 'the object has a timeline');
  await screenshot('objects');
});

test('keyboard and labels: tabs move with arrows, Home and End; every control has a label', async () => {
  await show('controllers');
  await page.locator('#tab-controllers').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate<string | undefined>('document.activeElement?.id'), 'tab-writes');
  assert.equal(await page.getAttribute('#tab-writes', 'aria-selected'), 'true');
  assert.match(page.url(), /#writes$/);
  await page.keyboard.press('End');
  assert.equal(await page.evaluate<string | undefined>('document.activeElement?.id'), 'tab-leadership');
  await page.keyboard.press('ArrowRight');
  assert.equal(
    await page.evaluate<string | undefined>('document.activeElement?.id'),
    'tab-controllers',
    'wraps around',
  );
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Home');
  assert.equal(await page.evaluate<string | undefined>('document.activeElement?.id'), 'tab-controllers');
  // Only the selected tab is in the Tab order; Tab leaves the tab list for the panel.
  assert.deepEqual(
    await page
      .locator('[role=tab]')
      .evaluateAll((tabs) => tabs.map((t) => (t as unknown as { tabIndex: number }).tabIndex)),
    VIEWS.map((v) => (v === 'controllers' ? 0 : -1)),
  );
  for (const view of VIEWS) {
    await show(view);
    assert.equal(await page.getAttribute(`#panel-${view}`, 'aria-labelledby'), `tab-${view}`);
    // Evaluated in the page (as text: this file is not compiled against the DOM's types).
    const unlabelled = await page.evaluate<string[]>(`[...document.querySelectorAll('input, select, button')]
      .filter((el) => !el.closest('label') && !el.getAttribute('aria-label') && !(el.textContent ?? '').trim())
      .map((el) => el.outerHTML)`);
    assert.deepEqual(unlabelled, [], `${view}: every control has a label`);
    const unlabelledImages = await page.locator('[role=img]:not([aria-label])').count();
    assert.equal(unlabelledImages, 0, `${view}: every chart and graph is described`);
  }
  assert.deepEqual(consoleErrors, []);
});

test('redaction: no mirrored Secret value reaches the page or its feed', async () => {
  const snapshot = await (await fetch(`${mgr!.dashboardUrl}/snapshot`)).text();
  const html = await page.content();
  for (const value of ['green', 'orange', 'purple', 'teal']) {
    const b64 = Buffer.from(value).toString('base64');
    assert.ok(!snapshot.includes(b64), `no base64 ${value} in the feed`);
    assert.ok(!html.includes(b64), `no base64 ${value} in the page`);
  }
});

test('no data: a manager without controllers renders every view without errors, even from a malformed address', async () => {
  const empty = new Manager({ kubeconfig: kubeconfig!, logger: pino({ level: 'silent' }), debug: {} });
  const other = await browser!.context.newPage();
  const errors: string[] = [];
  other.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  other.on('pageerror', (e) => errors.push(e.message));
  try {
    await empty.start();
    // A hand-edited or truncated link: `%E0%A4%A` is no valid percent-encoding.
    await other.goto(`${empty.dashboardUrl}#provenance/%E0%A4%A`);
    await other.getByRole('status').filter({ hasText: 'live' }).waitFor({ timeout: 10_000 });
    for (const view of VIEWS) {
      await other.click(`#tab-${view}`);
      await other.locator(`#panel-${view}`).waitFor();
    }
    await other.click('#tab-controllers');
    assert.match((await other.locator('#panel-controllers').textContent()) ?? '', /No controllers/);
    assert.deepEqual(errors, []);
  } finally {
    await other.close();
    await empty.stop();
  }
});

test('a controller that fails: its errors match /metrics, the failed reconciles list the message and link to the trail', async () => {
  const failing = new Manager({
    kubeconfig: kubeconfig!,
    logger: pino({ level: 'silent' }),
    http: { port: 0, host: '127.0.0.1' },
    debug: {},
    drainTimeoutMs: 1_000,
  });
  failing
    .controller('always-fails')
    .for(ConfigMap, { informer: { namespace: 'kloop-demo' } })
    .reconcile(async (req) => {
      throw new Error(`cannot reconcile ${req.key.name}`);
    });
  const other = await browser!.context.newPage();
  try {
    await failing.start();
    await other.goto(`${failing.dashboardUrl}#controllers`);
    await other.getByRole('status').filter({ hasText: 'live' }).waitFor();
    const card = other.locator('section[data-controller="always-fails"]');
    await eventually(
      async () => {
        const m = parseMetrics(await (await fetch(`${failing.httpUrl}/metrics`)).text());
        const shown = Number(((await card.locator('[data-figure=errors]').textContent()) ?? '').replaceAll(',', ''));
        assert.ok(shown > 0, 'errors shown');
        assert.equal(shown, total(m, 'kloop_reconcile_errors_total', { controller: 'always-fails' }));
        assert.equal(
          await card.locator('tr[data-result=error] td.num').textContent(),
          String(total(m, 'kloop_reconcile_total', { controller: 'always-fails', result: 'error' })),
        );
        return true;
      },
      { message: 'the card to count the failures', timeout: 10_000, interval: 200 },
    );
    const failed = card.locator('table', { hasText: 'Latest failed reconciles' });
    await failed.waitFor();
    assert.match((await failed.textContent()) ?? '', /cannot reconcile \S/);
    await failed.locator('a').first().click();
    const trail = other.locator('[data-trail]');
    await trail.waitFor();
    assert.match((await trail.textContent()) ?? '', /cannot reconcile \S/);
    assert.match((await trail.locator('dd.result').textContent()) ?? '', /error/);
  } finally {
    await other.close();
    await failing.stop();
  }
});

test('a page refused for too many pages open connects once a place is free', async () => {
  const small = new Manager({
    kubeconfig: kubeconfig!,
    logger: pino({ level: 'silent' }),
    debug: { dashboard: { maxClients: 1 } },
  });
  const first = await browser!.context.newPage();
  const second = await browser!.context.newPage();
  try {
    await small.start();
    await first.goto(small.dashboardUrl!);
    await first.getByRole('status').filter({ hasText: 'live' }).waitFor();
    await second.goto(small.dashboardUrl!);
    await second.getByRole('status').filter({ hasText: 'reconnecting' }).waitFor();
    await first.close();
    // The refused page tries again by itself (EventSource alone would have given up on the 503).
    await second.getByRole('status').filter({ hasText: 'live' }).waitFor({ timeout: 15_000 });
  } finally {
    await first.close();
    await second.close();
    await small.stop();
  }
});
