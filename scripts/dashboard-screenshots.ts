/**
 * Regenerates the screenshots of docs/guides/dashboard.md: runs `kloop demo --watch` in-process,
 * opens the dashboard in headless Chromium (Debian's `chromium`, driven by playwright-core) and
 * captures the views the guide walks through (written to `outdir`, replaced on each run).
 *
 * Usage: node --conditions=kloop-source --import tsx scripts/dashboard-screenshots.ts [outdir]
 * (default docs/guides/images). Needs `npm run build` (the page's bundle) and /usr/bin/chromium.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { runDemo } from '../src/cli/demo.js';
import type { ReconcileRecord } from '../src/controller/index.js';
import type { Manager } from '../src/manager/index.js';

/** The newest reconcile of `controller` that wrote nothing and was set off by its own earlier write. */
function findEcho(records: readonly ReconcileRecord[], controller: string): string | undefined {
  const written = new Set<string>();
  let found: string | undefined;
  for (const r of records) {
    if (r.controller !== controller) continue;
    const echo = r.triggers.some(
      (t) =>
        t.object !== undefined &&
        written.has(`${t.object.kind} ${t.object.namespace}/${t.object.name}@${t.resourceVersion}`),
    );
    if (echo && r.writes.length === 0 && (r.skipped?.length ?? 0) > 0) found = r.reconcileID;
    for (const w of r.writes) written.add(`${w.type.split('/').pop()} ${w.key}@${w.resourceVersion}`);
  }
  return found;
}

const outdir = process.argv[2] ?? join('docs', 'guides', 'images');
mkdirSync(outdir, { recursive: true });

let release: () => void = () => {};
const until = new Promise<void>((resolve) => {
  release = resolve;
});
let mgr: Manager | undefined;
let ready: () => void = () => {};
const running = new Promise<void>((resolve) => {
  ready = resolve;
});
const demo = runDemo({
  watch: true,
  until,
  trickleMs: 0,
  out: (line) => {
    if (line.includes('still running')) ready();
  },
  onManager: (m) => {
    mgr = m;
  },
});
await Promise.race([running, demo]);

const profile = mkdtempSync(join(tmpdir(), 'kloop-shots-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1200, height: 760 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
});
try {
  const page: Page = await context.newPage();
  await page.goto(mgr!.dashboardUrl!);
  await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
  // A few points of history so the charts have a shape.
  await page.waitForTimeout(3000);

  await page
    .locator('section[data-controller="configmap-mirror"]')
    .screenshot({ path: join(outdir, 'dashboard-controllers.png') });
  await page
    .locator('section[data-controller="heartbeat"]')
    .screenshot({ path: join(outdir, 'dashboard-hot-loop.png') });

  // An echo: a reconcile of the mirror set off by its own earlier write, which wrote nothing. Found
  // in the feed's snapshot by the link the trail follows (a trigger's object and resourceVersion
  // equal to a recorded write's).
  const snapshot = (await (await fetch(`${mgr!.dashboardUrl}/snapshot`)).json()) as { records: ReconcileRecord[] };
  const echo = findEcho(snapshot.records, 'configmap-mirror');
  if (echo === undefined) throw new Error('no echo reconcile of configmap-mirror in the record');
  await page.click('#tab-provenance');
  await page.locator(`ul.records a[data-reconcile="${echo}"]`).click();
  await page.locator('[data-trail]').waitFor();
  await page.locator('section.detail').screenshot({ path: join(outdir, 'dashboard-trail.png') });

  // The reconcile that crossed the hot-loop threshold, from the heartbeat card's link.
  await page.click('#tab-controllers');
  await page.locator('section[data-controller="heartbeat"] table.hot a').first().click();
  await page.locator('[data-trail]').waitFor();
  await page.locator('section.detail').screenshot({ path: join(outdir, 'dashboard-hot-loop-trail.png') });

  await page.click('#tab-writes');
  await page.locator('table[data-table=writes]').waitFor();
  await page.locator('main').screenshot({ path: join(outdir, 'dashboard-writes.png') });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  release();
  await demo;
}
