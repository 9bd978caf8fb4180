/**
 * `npm run bench -- writes`: API writes per needed change, no-op writes and bytes sent by the two
 * example controllers (ConfigMap mirror, Website) under a churn where most events change nothing
 * the controller cares about, against the same controllers written the usual way with
 * @kubernetes/client-node (get, modify, replace on every event), in the same run.
 *
 * Each contender runs against its own emulator behind a recording proxy; the workload is sent
 * straight to the emulator, so only the controller's own writes are counted. A write is a no-op
 * when the server answered with the resourceVersion the request carried (nothing changed), or
 * when its body was an empty patch.
 *
 * Options: `--configmaps N` (40), `--sites N` (20), `--churn N` events per scenario (400),
 * `--needed F` fraction of events that need a write (0.1), `--seed N`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { mirrorController } from '../examples/configmap-mirror.js';
import { installWebsiteCrd, Website, type WebsiteObject, websiteController } from '../examples/website.js';
import { startApiServer } from '../src/apiserver/index.js';
import { ConfigMap, Deployment, KubeClient, type KubeObject, Manager, Secret, type TypeRef } from '../src/index.js';
import { benchArgs } from './_options.js';
import { type Baseline, startMirrorBaseline, startWebsiteBaseline } from './writes.baseline.js';

/** One row of the result table. */
export interface WritesResult {
  scenario: 'mirror' | 'website';
  controller: 'kloop' | 'client-node';
  events: number;
  needed: number;
  writes: number;
  noopWrites: number;
  bytes: number;
  converged: boolean;
  seconds: number;
}

interface Options {
  configmaps: number;
  sites: number;
  churn: number;
  needed: number;
  seed: number;
}

function parse(args: string[]): Options & { only?: string } {
  return benchArgs(args, { configmaps: 40, sites: 20, churn: 400, needed: 0.1, seed: 42 }, ['only']);
}

/** mulberry32: a small seeded PRNG so both contenders see the same workload. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Counter {
  writes: number;
  noop: number;
  bytes: number;
  lastWriteAt: number;
}

/** A proxy that counts write requests, their bytes, and those the server found to be no-ops. */
export async function recordingProxy(target: URL): Promise<{ url: string; counter: Counter; stop(): Promise<void> }> {
  const counter: Counter = { writes: 0, noop: 0, bytes: 0, lastWriteAt: Date.now() };
  const sockets = new Set<import('node:net').Socket>();
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const write = req.method !== 'GET';
      if (write) {
        counter.writes++;
        counter.bytes += body.length;
        counter.lastWriteAt = Date.now();
        if (process.env.KLOOP_BENCH_DEBUG === '2')
          console.error(`[writes] ${req.method} ${req.url} ${body.toString().slice(0, 160)}`);
      }
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          // Watches answer headers long before their first event: pass them on at once.
          res.flushHeaders();
          if (!write) {
            up.pipe(res);
            // A watch the server drops mid-stream must drop here too, or the client hangs silent.
            up.on('aborted', () => res.destroy());
            return;
          }
          const answer: Buffer[] = [];
          up.on('data', (c: Buffer) => answer.push(c));
          up.on('end', () => {
            res.end(Buffer.concat(answer));
            if (isNoop(body.toString(), Buffer.concat(answer).toString())) counter.noop++;
          });
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  proxy.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    counter,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

function isNoop(request: string, response: string): boolean {
  const trimmed = request.trim();
  if (trimmed === '{}' || trimmed === '[]') return true;
  try {
    const sent = JSON.parse(request) as { metadata?: { resourceVersion?: string } };
    const got = JSON.parse(response) as { metadata?: { resourceVersion?: string } };
    const rv = sent.metadata?.resourceVersion;
    return rv !== undefined && got.metadata?.resourceVersion === rv;
  } catch {
    return false;
  }
}

async function until(cond: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Waits for `ms` without writes. */
function quiet(counter: Counter, ms: number, timeoutMs = 30_000): Promise<boolean> {
  return until(() => Date.now() - counter.lastWriteAt > ms, timeoutMs);
}

function kubeconfigFor(url: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'bench', cluster: { server: url } }],
    users: [{ name: 'bench', user: {} }],
    contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'bench' } }],
    'current-context': 'bench',
  };
}

async function startKloop(url: string, scenario: 'mirror' | 'website'): Promise<Baseline> {
  const mgr = new Manager({ kubeconfig: kubeconfigFor(url), logger: pino({ level: 'silent' }), drainTimeoutMs: 2000 });
  if (scenario === 'mirror') mirrorController(mgr);
  else websiteController(mgr);
  await mgr.start();
  return { stop: () => mgr.stop() };
}

const t0 = Date.now();
const debug = process.env.KLOOP_BENCH_DEBUG
  ? (msg: string) => console.error(`[writes +${Date.now() - t0} ms] ${msg}`)
  : () => {};

async function scenarioRun(
  scenario: 'mirror' | 'website',
  controller: 'kloop' | 'client-node',
  o: Options,
): Promise<WritesResult> {
  debug(`${scenario} ${controller}: setup`);
  const server = await startApiServer();
  const proxy = await recordingProxy(new URL(server.url));
  const driver = KubeClient.fromKubeconfig(server.kubeconfig as unknown as Record<string, unknown>, {
    logger: pino({ level: 'silent' }),
  });
  const random = prng(o.seed);
  const n = scenario === 'mirror' ? o.configmaps : o.sites;
  const names = Array.from({ length: n }, (_, i) => `obj-${i}`);
  let contender: Baseline | undefined;
  try {
    if (scenario === 'mirror') {
      await driver.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
      for (const name of names) {
        await driver.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            namespace: 'default',
            name,
            labels: { mirror: 'true' },
            annotations: { 'kloop.dev/mirror-to': 'team-a' },
          },
          data: { value: '0' },
        });
      }
    } else {
      const setup = new Manager({ kubeClient: driver });
      await installWebsiteCrd(setup);
      for (const name of names) {
        await driver.create({
          ...Website,
          metadata: { namespace: 'default', name },
          spec: { image: 'nginx', replicas: 1, port: 80 },
        });
      }
    }
    contender =
      controller === 'kloop' ? await startKloop(proxy.url, scenario) : await startMirrorOrWebsite(proxy.url, scenario);
    debug(`${scenario} ${controller}: started`);
    // Initial convergence, then quiet: the churn phase is measured from a settled cluster.
    await until(async () => {
      if (scenario === 'mirror') return (await driver.list(Secret, { namespace: 'team-a' })).items.length === n;
      const sites = (await driver.list<WebsiteObject>(Website, { namespace: 'default' })).items;
      return sites.every((s) => s.status?.conditions?.length);
    }, 30_000);
    await quiet(proxy.counter, 500);
    proxy.counter.writes = 0;
    proxy.counter.noop = 0;
    proxy.counter.bytes = 0;

    debug(`${scenario} ${controller}: churn`);
    // The churn: most events touch an annotation the controller does not read.
    const values = new Map<string, number>(names.map((name) => [name, scenario === 'mirror' ? 0 : 1]));
    let needed = 0;
    const started = Date.now();
    for (let i = 0; i < o.churn; i++) {
      const name = names[Math.floor(random() * n)];
      const matters = random() < o.needed;
      const type: TypeRef = scenario === 'mirror' ? ConfigMap : Website;
      if (matters) {
        const next = values.get(name)! + 1;
        values.set(name, next);
        needed += 2; // mirror: two Secret copies; website: the Deployment and the status
        const patch = scenario === 'mirror' ? { data: { value: String(next) } } : { spec: { replicas: next } };
        await driver.patch({ type, key: { namespace: 'default', name } }, patch);
      } else {
        await driver.patch(
          { type, key: { namespace: 'default', name } },
          { metadata: { annotations: { churn: String(i) } } },
        );
      }
    }
    await quiet(proxy.counter, 800);
    debug(`${scenario} ${controller}: verify`);
    const converged = await until(async () => {
      if (scenario === 'mirror') {
        const secrets = (await driver.list<KubeObject>(Secret, { namespace: 'team-a' })).items;
        return secrets.every((s) => {
          const data = s.data as Record<string, string> | undefined;
          return Buffer.from(data?.value ?? '', 'base64').toString() === String(values.get(s.metadata.name!));
        });
      }
      const deployments = (await driver.list<KubeObject>(Deployment, { namespace: 'default' })).items;
      return deployments.every((d) => (d.spec as { replicas?: number }).replicas === values.get(d.metadata.name!));
    }, 10_000);
    const seconds = (Date.now() - started) / 1000;
    return {
      scenario,
      controller,
      events: o.churn,
      needed,
      writes: proxy.counter.writes,
      noopWrites: proxy.counter.noop,
      bytes: proxy.counter.bytes,
      converged,
      seconds,
    };
  } finally {
    debug(`${scenario} ${controller}: stopping`);
    await contender?.stop();
    debug(`${scenario} ${controller}: contender stopped`);
    driver.close();
    await proxy.stop();
    await server.stop();
    debug(`${scenario} ${controller}: stopped`);
  }
}

function startMirrorOrWebsite(url: string, scenario: 'mirror' | 'website'): Promise<Baseline> {
  return scenario === 'mirror' ? startMirrorBaseline(url) : startWebsiteBaseline(url);
}

function table(results: WritesResult[]): string {
  const header = [
    'scenario',
    'controller',
    'events',
    'needed writes',
    'writes',
    'writes/needed',
    'no-op writes',
    'bytes sent',
    'bytes/needed',
    'converged',
  ];
  const rows = results.map((r) => [
    r.scenario,
    r.controller,
    String(r.events),
    String(r.needed),
    String(r.writes),
    (r.writes / Math.max(1, r.needed)).toFixed(2),
    String(r.noopWrites),
    String(r.bytes),
    (r.bytes / Math.max(1, r.needed)).toFixed(0),
    r.converged ? 'yes' : 'NO',
  ]);
  const lines = [header, header.map(() => '---'), ...rows];
  return lines.map((l) => `| ${l.join(' | ')} |`).join('\n');
}

/** Runs both scenarios for both contenders and prints the table. */
export async function run(args: string[] = []): Promise<WritesResult[]> {
  const o = parse(args);
  const results: WritesResult[] = [];
  const only = o.only;
  for (const scenario of ['mirror', 'website'] as const) {
    for (const controller of ['kloop', 'client-node'] as const) {
      if (only === undefined || only === scenario || only === controller)
        results.push(await scenarioRun(scenario, controller, o));
    }
  }
  console.log(table(results));
  for (const scenario of ['mirror', 'website'] as const) {
    if (results.filter((r) => r.scenario === scenario).length < 2) continue;
    const [k, b] = [
      results.find((r) => r.scenario === scenario && r.controller === 'kloop')!,
      results.find((r) => r.scenario === scenario && r.controller === 'client-node')!,
    ];
    console.log(
      `${scenario}: client-node sends ${(b.writes / Math.max(1, k.writes)).toFixed(1)}x the writes and ${(b.bytes / Math.max(1, k.bytes)).toFixed(1)}x the bytes of kloop`,
    );
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2)).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
