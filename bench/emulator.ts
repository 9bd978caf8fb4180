/**
 * `npm run bench -- emulator [--objects N] [--watchers W] [--events E]`: the emulator as a test
 * server, in the test's own process as tests use it, against the limit of a bare `node:http`
 * server doing the least the same requests need (parse the body, keep it in a `Map`, answer
 * JSON; one line written to every open watch per write). Same clients, same run.
 *
 * - start: `startApiServer()` to listening (and `stop()`), against `http.createServer().listen(0)`;
 * - creates/s: N ConfigMaps (10k) POSTed over keep-alive connections, 8 in flight;
 * - list: one GET of the N objects;
 * - watch fan-out: W watchers (100) open, E creates (500), time until every watcher has every event.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startApiServer } from '../src/apiserver/index.js';
import { benchArgs } from './_options.js';
import { loadavg } from './informer.js';

const PATH = '/api/v1/namespaces/default/configmaps';

interface Target {
  url: string;
  stop(): Promise<void> | void;
}

function configMap(name: string): string {
  const data: Record<string, string> = {};
  for (let k = 0; k < 5; k++) data[`key-${k}`] = `${name}-value-${k}-`.padEnd(80, 'abcdefghij');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels: { app: 'bench', tier: 'backend' } },
    data,
  });
}

/** The limit: a `Map` behind `node:http`, one JSON line to every open watch per create. */
async function bareServer(): Promise<Target> {
  const objects = new Map<string, unknown>();
  const watchers = new Set<http.ServerResponse>();
  let rv = 1;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://bare');
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const object = JSON.parse(Buffer.concat(chunks).toString()) as { metadata: Record<string, unknown> };
        object.metadata.resourceVersion = String(++rv);
        object.metadata.uid = `uid-${rv}`;
        object.metadata.namespace = 'default';
        objects.set(object.metadata.name as string, object);
        const body = JSON.stringify(object);
        const line = `{"type":"ADDED","object":${body}}\n`;
        for (const w of watchers) w.write(line);
        res.writeHead(201, { 'content-type': 'application/json' }).end(body);
      });
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      watchers.add(res);
      res.on('close', () => watchers.delete(res));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'ConfigMapList',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(rv) },
        items: [...objects.values()],
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

async function emulator(): Promise<Target> {
  const server = await startApiServer();
  return { url: server.url, stop: () => server.stop() };
}

async function creates(target: Target, prefix: string, n: number): Promise<number> {
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const res = await fetch(target.url + PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: configMap(`${prefix}-${i}`),
      });
      if (res.status !== 201) throw new Error(`create: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return performance.now() - start;
}

async function list(target: Target, want: number): Promise<number> {
  const start = performance.now();
  const res = await fetch(target.url + PATH);
  const body = (await res.json()) as { items: unknown[] };
  if (body.items.length < want) throw new Error(`list: ${body.items.length} items, want ${want}`);
  return performance.now() - start;
}

/** Opens `watchers` watches, creates `events` objects, resolves when every watcher saw every one. */
async function fanOut(target: Target, watchers: number, events: number): Promise<number> {
  const listed = (await (await fetch(`${target.url}${PATH}?limit=1`)).json()) as {
    metadata: { resourceVersion: string };
  };
  const ac = new AbortController();
  const pumps = await Promise.all(
    Array.from({ length: watchers }, async () => {
      const res = await fetch(`${target.url}${PATH}?watch=true&resourceVersion=${listed.metadata.resourceVersion}`, {
        signal: ac.signal,
      });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      // Wrapped, so that awaiting the opened watches does not await their ends.
      const done = (async () => {
        let lines = 0;
        while (lines < events) {
          const { value, done } = await reader.read();
          if (done) throw new Error('watch ended early');
          for (const byte of value) if (byte === 10) lines++;
        }
        return performance.now();
      })();
      return { done };
    }),
  );
  const start = performance.now();
  await creates(target, 'fan', events);
  const ends = await Promise.all(pumps.map((p) => p.done));
  ac.abort();
  return Math.max(...ends) - start;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(make: () => Promise<Target>, objects: number, watchers: number, events: number) {
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const target = await make();
    starts.push(performance.now() - t);
    await target.stop();
  }
  const target = await make();
  try {
    const createMs = await creates(target, 'cm', objects);
    const lists: number[] = [];
    for (let i = 0; i < 3; i++) lists.push(await list(target, objects));
    const fanMs = await fanOut(target, watchers, events);
    return { startMs: median(starts), createMs, listMs: median(lists), fanMs };
  } finally {
    await target.stop();
  }
}

/** Runs the benchmark and prints its table. */
export async function run(args: string[]): Promise<void> {
  const o = benchArgs(args, { objects: 10_000, watchers: 100, events: 500 });
  const kloop = await measure(emulator, o.objects, o.watchers, o.events);
  const bare = await measure(bareServer, o.objects, o.watchers, o.events);
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const perSec = (n: number, ms: number) => `${Math.round((n / ms) * 1000)}`;
  console.log(
    `Emulator in the bench's process; ${o.objects} ConfigMaps of ~0.6 KB created 8 in flight, ${o.watchers} watchers x ${o.events} events`,
  );
  console.log('');
  console.log('| measure | kloop emulator | bare node:http + Map (limit) | emulator / limit |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(
    `| start (ms) | ${kloop.startMs.toFixed(1)} | ${bare.startMs.toFixed(1)} | ${ratio(kloop.startMs, bare.startMs)} |`,
  );
  console.log(
    `| creates/s | ${perSec(o.objects, kloop.createMs)} | ${perSec(o.objects, bare.createMs)} | ${ratio(bare.createMs, kloop.createMs)} |`,
  );
  console.log(
    `| list of ${o.objects} (ms) | ${kloop.listMs.toFixed(1)} | ${bare.listMs.toFixed(1)} | ${ratio(kloop.listMs, bare.listMs)} |`,
  );
  console.log(
    `| watch fan-out: events delivered/s | ${perSec(o.watchers * o.events, kloop.fanMs)} | ${perSec(o.watchers * o.events, bare.fanMs)} | ${ratio(bare.fanMs, kloop.fanMs)} |`,
  );
  console.log(`load average ${loadavg()}. Ratios of rates are emulator / limit; of times, emulator / limit.`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run(process.argv.slice(2));
