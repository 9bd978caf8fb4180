/**
 * `npm run bench -- controller [--keys N] [--rate R] [--seconds S] [--objects O]`: what a
 * controller costs per reconcile, and how long an event takes to reach a reconcile under load.
 *
 * Throughput: N keys (10k) go through the work queue into a no-op reconciler with 1, 4 and 16
 * workers, against a bare loop awaiting the same function N times (the limit: no queue, no
 * bookkeeping). The keys come from an in-memory informer's initial replay, so the figure is the
 * controller's own cost (queue, dedup, triggers, debug record, metrics), not the cache's.
 *
 * Latency: the emulator runs in its own process (`informer-emulator-child.ts`) with O ConfigMaps
 * and, once asked, commits R updates/s (5000) for S seconds, each stamped with the time it was
 * committed; half change `data`, half only an annotation. A kloop informer watches over HTTP; its
 * handler records when each event arrives (the baseline: the cache's own latency), and a
 * controller's reconciler records when it runs for the latest stamp in the cache, for `data`
 * changes only. Without predicates every update is queued; with a predicate passing only `data`
 * changes, half are dropped before the queue. p50/p99 are commit-to-handler and commit-to-reconcile.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { InformerEvent, InformerListOptions, InformerReader } from '../src/cache/index.js';
import { type Controller, ControllerBuilder, type InformerProvider, predicate } from '../src/controller/index.js';
import { type KubeObject, ManualClock, type ObjectKey, type TypeRef } from '../src/core/index.js';
import { InformerFactory, KubeClient } from '../src/index.js';
import { benchArgs } from './_options.js';

const here = dirname(fileURLToPath(import.meta.url));
const CONFIGMAP: TypeRef = { apiVersion: 'v1', kind: 'ConfigMap' };
const quiet = pino({ level: 'warn' });

/** An informer holding `n` objects, already synced: the controller's queue is all that is measured. */
class MemoryInformer implements InformerReader<KubeObject> {
  readonly type = CONFIGMAP;
  readonly synced = Promise.resolve();
  readonly lastSyncResourceVersion = '1';
  readonly #objects: KubeObject[];

  constructor(n: number) {
    this.#objects = Array.from({ length: n }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${i}`, namespace: `ns-${i % 10}`, resourceVersion: '1' },
    }));
  }

  hasSynced(): boolean {
    return true;
  }

  get(key: ObjectKey): KubeObject | undefined {
    return this.#objects.find((o) => o.metadata.name === key.name);
  }

  list(_options?: InformerListOptions): KubeObject[] {
    return this.#objects;
  }

  subscribe(handler: (event: InformerEvent<KubeObject>) => void): () => void {
    for (const object of this.#objects) handler({ type: 'added', object, initial: true });
    return () => {};
  }
}

function provider(informer: InformerReader<KubeObject>): InformerProvider {
  return { informer: () => informer } as unknown as InformerProvider;
}

/** Resolves once `count` reconciles ran, with the time from `start()` to then. */
async function throughput(keys: number, workers: number): Promise<number> {
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => {
    finish = r;
  });
  const controller: Controller = new ControllerBuilder(`bench-${workers}`, {
    informers: provider(new MemoryInformer(keys)),
    registry: new Registry(),
    logger: quiet,
    clock: new ManualClock(0),
  })
    .for(CONFIGMAP)
    .concurrency(workers)
    .reconcile(async () => {
      if (++done === keys) finish();
    });
  const start = performance.now();
  await controller.start();
  await all;
  const ms = performance.now() - start;
  await controller.stop();
  return ms;
}

/** The limit: the same no-op function awaited `keys` times in a loop. */
async function bareLoop(keys: number): Promise<number> {
  let done = 0;
  const fn = async (_key: ObjectKey) => {
    done++;
  };
  const start = performance.now();
  for (let i = 0; i < keys; i++) await fn({ namespace: `ns-${i % 10}`, name: `cm-${i}` });
  if (done !== keys) throw new Error('bare loop lost calls');
  return performance.now() - start;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const rate = (n: number, ms: number) => `${(((n / ms) * 1000) / 1000).toFixed(0)} k/s`;

async function runThroughput(keys: number): Promise<void> {
  const rounds = 5;
  const bare: number[] = [];
  const byWorkers = new Map<number, number[]>([
    [1, []],
    [4, []],
    [16, []],
  ]);
  for (let r = 0; r < rounds; r++) {
    bare.push(await bareLoop(keys));
    for (const [w, times] of byWorkers) times.push(await throughput(keys, w));
  }
  const bareMs = median(bare);
  console.log(`Throughput: ${keys} keys into a no-op reconciler, median of ${rounds} rounds`);
  console.log('');
  console.log('| path | time (ms) | reconciles/s | per reconcile (us) | / bare loop |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  console.log(
    `| bare loop (limit) | ${bareMs.toFixed(1)} | ${rate(keys, bareMs)} | ${((bareMs * 1000) / keys).toFixed(2)} | 1.00x |`,
  );
  for (const [w, times] of byWorkers) {
    const ms = median(times);
    console.log(
      `| controller, ${w} worker${w > 1 ? 's' : ''} | ${ms.toFixed(1)} | ${rate(keys, ms)} | ${((ms * 1000) / keys).toFixed(2)} | ${(ms / bareMs).toFixed(1)}x time |`,
    );
  }
}

interface Server {
  url: string;
  control: string;
  stop(): Promise<void>;
}

/** The emulator in its own process (see `informer-emulator-child.ts`). */
function startServer(objects: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'informer-emulator-child.ts'), String(objects), '0', 'live'],
      { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, KLOOP_VALIDATE: '0' } },
    );
    let out = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      child.stdout.removeAllListeners('data');
      const { url, control } = JSON.parse(out.slice(0, nl)) as { url: string; control: string };
      resolve({
        url,
        control,
        stop: async () => {
          child.stdin.end();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`bench server exited (${code}): ${out.slice(-300)}`)));
  });
}

const now = () => performance.timeOrigin + performance.now();
const dataOf = (o: KubeObject | undefined) => (o as { data?: Record<string, string> } | undefined)?.data?.['key-0'];
/** When the server committed the object's last `data` change (`key-0` is `sent-<epoch ms>`). */
const sentOf = (o: KubeObject | undefined) => {
  const data = dataOf(o);
  return data?.startsWith('sent-') ? Number(data.slice('sent-'.length)) : Number.NaN;
};

interface Latencies {
  handler: number[];
  reconcile: number[];
  reconciles: number;
  updates: number;
}

/** One streaming run: a fresh informer and controller, the server streams, latencies collected. */
async function latencyRun(
  server: Server,
  ratePerSec: number,
  seconds: number,
  withPredicate: boolean,
): Promise<Latencies> {
  const client = KubeClient.fromKubeconfig(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'b', cluster: { server: server.url } }],
      users: [{ name: 'u', user: { token: 'bench' } }],
      contexts: [{ name: 'b', context: { cluster: 'b', user: 'u' } }],
      'current-context': 'b',
    },
    { logger: quiet, registry: new Registry() },
  );
  const factory = new InformerFactory(client, { validate: false, logger: quiet, registry: new Registry() });
  const informer = factory.informer(CONFIGMAP);
  const result: Latencies = { handler: [], reconcile: [], reconciles: 0, updates: 0 };
  let streaming = false;
  informer.subscribe((ev) => {
    if (!streaming || ev.type !== 'updated') return;
    result.updates++;
    if (dataOf(ev.object) !== dataOf(ev.oldObject)) result.handler.push(now() - sentOf(ev.object));
  });
  const dataChanged = predicate('dataChanged', (e) => e.type !== 'updated' || dataOf(e.object) !== dataOf(e.oldObject));
  const lastSeen = new Map<string, number>();
  const controller = new ControllerBuilder(`latency-${withPredicate}`, {
    informers: factory,
    registry: new Registry(),
    logger: quiet,
  })
    .for(CONFIGMAP, { predicates: withPredicate ? [dataChanged] : [] })
    .reconcile((req) => {
      if (!streaming) return;
      result.reconciles++;
      const sent = sentOf(informer.get(req.key));
      const id = `${req.key.namespace}/${req.key.name}`;
      // One sample per data change reaching a reconcile; annotation-only updates are not measured.
      if (Number.isFinite(sent) && lastSeen.get(id) !== sent) {
        lastSeen.set(id, sent);
        result.reconcile.push(now() - sent);
      }
    });
  const started = controller.start();
  await informer.synced;
  await started;
  // Let the initial reconciles of every object drain before the stream starts.
  while (controller.queue.depth > 0 || controller.queue.inFlightCount > 0) await new Promise((r) => setTimeout(r, 20));
  streaming = true;
  const res = await fetch(`${server.control}/stream?rate=${ratePerSec}&seconds=${seconds}`, { method: 'POST' });
  if (!res.ok) throw new Error(`stream: HTTP ${res.status} ${await res.text()}`);
  const total = Number(await res.text());
  // The last events are still in flight when the stream's answer arrives: wait for every one
  // (up to 60 s on a saturated machine), and the queue to drain.
  const deadline = Date.now() + 60_000;
  while (
    (result.updates < total || controller.queue.depth > 0 || controller.queue.inFlightCount > 0) &&
    Date.now() < deadline
  ) {
    await new Promise((r) => setTimeout(r, 20));
  }
  streaming = false;
  await controller.stop();
  await factory.stop();
  client.close();
  return result;
}

function ms(x: number): string {
  return x < 10 ? x.toFixed(2) : x.toFixed(1);
}

async function runLatency(ratePerSec: number, seconds: number, objects: number): Promise<void> {
  const server = await startServer(objects);
  try {
    const rows: Array<[string, Latencies]> = [];
    for (let round = 0; round < 2; round++) {
      rows.push([`no predicates (run ${round + 1})`, await latencyRun(server, ratePerSec, seconds, false)]);
      rows.push([`dataChanged predicate (run ${round + 1})`, await latencyRun(server, ratePerSec, seconds, true)]);
    }
    console.log('');
    console.log(
      `Latency: ${ratePerSec} updates/s for ${seconds} s over ${objects} ConfigMaps (half change data, half an annotation), emulator in its own process, over HTTP`,
    );
    console.log('');
    console.log(
      '| controller | updates seen | reconciles | commit -> informer handler p50 / p99 (ms, baseline) | commit -> reconcile p50 / p99 (ms) |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const [name, r] of rows) {
      console.log(
        `| ${name} | ${r.updates} | ${r.reconciles} | ${ms(percentile(r.handler, 50))} / ${ms(percentile(r.handler, 99))} | ${ms(percentile(r.reconcile, 50))} / ${ms(percentile(r.reconcile, 99))} |`,
      );
    }
  } finally {
    await server.stop();
  }
}

/** Runs the benchmark and prints its tables. */
export async function run(args: string[]): Promise<void> {
  const o = benchArgs(args, { keys: 10_000, rate: 5000, seconds: 4, objects: 2000 });
  await runThroughput(o.keys);
  await runLatency(o.rate, o.seconds, o.objects);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run(process.argv.slice(2));
