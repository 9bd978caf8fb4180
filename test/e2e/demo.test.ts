import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as mirror from '../../examples/configmap-mirror.js';
import * as endpoints from '../../examples/endpoints-collection.js';
import * as website from '../../examples/website.js';
import type { ApiServer } from '../../src/apiserver/index.js';
import { runDemo } from '../../src/cli/demo.js';
import { type DemoExamples, loadExamples } from '../../src/cli/demo-examples.js';
import type { ManagerDescription } from '../../src/manager/index.js';

// Compile-time: the real examples satisfy what the demo loads by URL.
const typed: DemoExamples = { mirror, website, endpoints };

test('the demo loads the examples by URL', async () => {
  const loaded = await loadExamples();
  assert.equal(loaded.mirror.MIRROR_OF, typed.mirror.MIRROR_OF);
  assert.deepEqual(loaded.website.Website, typed.website.Website);
  assert.equal(typeof loaded.endpoints.endpointsController, 'function');
});

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

test('kloop demo exits 0 with the summary', async () => {
  const child = spawn(process.execPath, ['--conditions=kloop-source', '--import', 'tsx', main, 'demo'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  assert.equal(code, 0, `${stdout}\n${stderr}`);
  for (const row of [
    'events seen',
    'reconciles',
    'writes sent',
    'writes skipped as no-ops',
    'bytes saved',
    'triggers by source',
    'forcing a 410',
    'Websites Ready: their Pods run on the cluster, no status written by hand',
  ]) {
    assert.ok(stdout.includes(row), `summary has "${row}"`);
  }
});

test('kloop demo --watch: the endpoints answer, /debug/kloop shows triggers and no Secret data', async () => {
  let release: () => void = () => {};
  const until = new Promise<void>((resolve) => {
    release = resolve;
  });
  const lines: string[] = [];
  let checked: Promise<void> | undefined;
  let emulator: ApiServer | undefined;
  let secretWritesSeen = -1;
  const demo = runDemo({
    watch: true,
    until,
    onEmulator: (server) => {
      emulator = server;
    },
    out: (line) => {
      lines.push(line);
      if (line.includes('still running')) checked = check().finally(release);
    },
  });
  let debug: ManagerDescription | undefined;
  let debugText = '';
  async function check(): Promise<void> {
    // Secrets are written by the mirror controller only (the workload never writes one): the
    // emulator's count of successful Secret writes must be the summary's.
    secretWritesSeen =
      emulator!.stats().count({ verb: ['create', 'update', 'patch', 'delete'], resource: 'secrets', code: 200 }) +
      emulator!.stats().count({ verb: ['create', 'update', 'patch', 'delete'], resource: 'secrets', code: 201 });
    const started = lines.find((l) => l.startsWith('manager started'))!;
    const base = started.match(/endpoints at (http:\/\/[0-9.:]+)/)![1]!;
    const debugBase = started.match(/debug at (http:\/\/[0-9.:]+)/)![1]!;
    assert.notEqual(base, debugBase, 'debug has its own listener');
    assert.equal((await fetch(`${base}/debug/kloop`)).status, 404, 'not on the health and metrics listener');
    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    const text = await metrics.text();
    assert.ok(text.includes('kloop_reconcile_total'));
    assert.ok(text.includes('kloop_collection_events_total'));
    assert.ok(text.includes('process_cpu_user_seconds_total'));
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz?verbose`);
    assert.equal(ready.status, 200);
    assert.match(await ready.text(), /informer v1\/ConfigMap ok/);
    const res = await fetch(`${debugBase}/debug/kloop`);
    assert.equal(res.status, 200);
    debugText = await res.text();
    debug = JSON.parse(debugText) as ManagerDescription;
  }
  const summary = await demo;
  await checked;
  assert.ok(summary.writesSkipped > 0 && summary.writesSent > 0);
  assert.ok((summary.writesSentByResource.secrets ?? 0) > 0, JSON.stringify(summary.writesSentByResource));
  assert.equal(
    summary.writesSentByResource.secrets,
    secretWritesSeen,
    'the summary counts the Secret writes the API server saw',
  );
  assert.equal(
    Object.values(summary.writesSentByResource).reduce((a, b) => a + b, 0),
    summary.writesSent,
  );
  assert.ok(lines.some((l) => l.includes('kubectl --kubeconfig')));
  assert.ok(
    lines.some((l) => /Open the dashboard: http:\/\/127\.0\.0\.1:\d+\/ui\n/.test(l)),
    'the dashboard URL is printed',
  );
  assert.ok(debug, 'debug fetched');
  const mirror = debug.controllers.find((c) => c.name === 'configmap-mirror')!;
  assert.deepEqual(
    mirror.sources.map((s) => s.kind),
    ['for', 'owns', 'watches'],
  );
  assert.ok(mirror.sources[0]!.predicates.length > 0, 'predicates shown');
  assert.ok(mirror.reconciles.length > 0);
  assert.ok(
    mirror.reconciles.every((r) => r.triggers.length > 0 && typeof r.triggers[0]!.source === 'string'),
    'recorded reconciles carry their triggers',
  );
  assert.ok(
    mirror.reconciles.some((r) => r.writes.length > 0),
    'and the writes they made',
  );
  assert.ok(debug.informers.some((i) => i.type === 'v1/Secret' && i.size > 0 && i.resourceVersion !== undefined));
  assert.ok(debug.collections !== undefined);
  // The mirrored data (`color: green` and friends) never shows, in plain or base64.
  for (const value of ['green', 'orange', 'purple']) {
    assert.ok(!debugText.includes(Buffer.from(value).toString('base64')), `no base64 ${value}`);
  }
});
