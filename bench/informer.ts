/**
 * `npm run bench -- informer [--objects N] [--updates M] [--rounds R] [--json FILE]`
 * (or `node --import tsx bench/informer.ts ...`)
 *
 * Seeds the emulator with N ConfigMaps of ~1 KB (with managedFields, as a real cluster returns
 * them), then runs, each in its own process and alternating between rounds: kloop's informer,
 * client-node 1.4's `makeInformer`, and the physical limit (GET the whole list and `JSON.parse`
 * it). Reports time to synced, heap after GC, peak RSS, and watch events/s for M updates.
 *
 * Watch events come from a replay front in this process: it forwards every request to the
 * emulator except watches, which it holds and then feeds M pre-serialized MODIFIED events (with
 * resourceVersions after the list's) as fast as the reader takes them. So events/s measures the
 * client, not the emulator's write path.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ApiServer, startApiServer } from '../src/apiserver/index.js';

interface PeerResult {
  peer: string;
  objects: number;
  syncMs: number;
  heapMB: number;
  peakRssMB: number;
  eventsPerSec: number;
}

const PEERS = ['kloop', 'client-node', 'parse'] as const;
const here = dirname(fileURLToPath(import.meta.url));

function option(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

function progress(text: string): void {
  process.stderr.write(`\r${text}`.padEnd(60));
}

/** A ConfigMap of about 1 KB on the wire once the server has added uid, timestamps and RV. */
function configMap(i: number): Record<string, unknown> {
  const name = `cm-${String(i).padStart(6, '0')}`;
  const filler = (k: number) => `${name}-value-${k}-`.padEnd(80, 'abcdefghij');
  const data: Record<string, string> = {};
  for (let k = 0; k < 5; k++) data[`key-${k}`] = filler(k);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: 'bench',
      labels: { app: 'bench', tier: 'backend', shard: `s${i % 10}` },
      managedFields: [
        {
          manager: 'kubectl-client-side-apply',
          operation: 'Update',
          apiVersion: 'v1',
          time: '2025-01-01T00:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:data': Object.fromEntries(Object.keys(data).map((k) => [`f:${k}`, {}])),
            'f:metadata': { 'f:labels': { '.': {}, 'f:app': {}, 'f:tier': {}, 'f:shard': {} } },
          },
        },
      ],
    },
    data,
  };
}

async function seed(server: ApiServer, n: number): Promise<void> {
  const post = (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  let next = 0;
  let done = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const res = await post('/api/v1/namespaces/bench/configmaps', configMap(i));
      if (res.status !== 201) throw new Error(`seeding ${i}: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
      if (++done % 2000 === 0 || done === n) progress(`seeding ${done}/${n} ConfigMaps (${Math.round(done / ((Date.now() - started) / 1000))}/s)`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  process.stderr.write('\n');
}

/** Builds M watch lines: MODIFIED events for the first M objects, RVs after the list's. */
async function buildEvents(server: ApiServer, m: number): Promise<{ events: Buffer; listBytes: number }> {
  const res = await fetch(`${server.url}/api/v1/configmaps`);
  const text = await res.text();
  const list = JSON.parse(text) as { metadata: { resourceVersion: string }; items: Array<Record<string, unknown> & { metadata: Record<string, unknown> }> };
  const base = Number(list.metadata.resourceVersion);
  const lines: string[] = [];
  for (let i = 0; i < m; i++) {
    const obj = list.items[i % list.items.length];
    const next = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: String(base + 1 + i) },
      data: { ...(obj.data as Record<string, string>), 'key-0': `updated-${i}` },
    };
    lines.push(`${JSON.stringify({ type: 'MODIFIED', object: next })}\n`);
  }
  return { events: Buffer.from(lines.join('')), listBytes: Buffer.byteLength(text) };
}

/** The replay front: proxies to the emulator, holds watches and feeds them `events` on /bench/go. */
async function startFront(target: string, events: Buffer) {
  const up = new URL(target);
  let armed = false;
  const held = new Set<http.ServerResponse>();
  const sockets = new Set<Socket>();
  const feed = (res: http.ServerResponse) => {
    let off = 0;
    const step = () => {
      while (off < events.length) {
        const chunk = events.subarray(off, off + 65536);
        off += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', step);
          return;
        }
      }
    };
    step();
  };
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/bench/go') {
      armed = true;
      for (const w of held) feed(w);
      held.clear();
      res.end('ok');
      return;
    }
    const hold = () => {
      res.on('error', () => {});
      if (armed) feed(res);
      else held.add(res);
      res.on('close', () => held.delete(res));
    };
    if (/[?&]watch=(true|1)/.test(url) && !url.includes('sendInitialEvents')) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      hold();
      return;
    }
    if (url.includes('sendInitialEvents')) {
      // A streaming list: pass the emulator's initial events through up to the
      // initial-events-end bookmark, then cut the emulator off and feed the replay events.
      const out = http.request({ host: up.hostname, port: up.port, method: req.method, path: url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        if (r.statusCode !== 200) {
          r.pipe(res);
          return;
        }
        // Pass bytes through untouched; look for the marker in each chunk and across the seam
        // with the previous one.
        const marker = Buffer.from('k8s.io/initial-events-end');
        let carry = Buffer.alloc(0);
        r.on('data', (chunk: Buffer) => {
          let at = chunk.indexOf(marker);
          if (at === -1 && carry.length > 0) {
            const seam = Buffer.concat([carry, chunk.subarray(0, marker.length)]).indexOf(marker);
            if (seam !== -1) at = Math.max(0, seam - carry.length);
          }
          if (at === -1) {
            res.write(chunk);
            carry = Buffer.from(chunk.subarray(Math.max(0, chunk.length - marker.length)));
            return;
          }
          const nl = chunk.indexOf(10, at);
          res.write(chunk.subarray(0, nl + 1));
          r.destroy();
          hold();
        });
      });
      out.on('error', () => {});
      res.on('close', () => out.destroy());
      req.pipe(out);
      return;
    }
    const out = http.request({ host: up.hostname, port: up.port, method: req.method, path: url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    disarm() {
      armed = false;
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function runChild(peer: string, url: string, updates: number): Promise<PeerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--max-old-space-size=4096',
        // e.g. KLOOP_BENCH_NODE_FLAGS=--cpu-prof to profile the peers
        ...(process.env.KLOOP_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
        '--import',
        'tsx', join(here, 'informer-child.ts'), peer, url, String(updates)],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, KLOOP_VALIDATE: '0' } },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(line) as PeerResult);
      } catch (err) {
        reject(new Error(`${peer} failed (${(err as Error).message}): ${out.slice(-500)}`));
      }
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs the benchmark; returns the median figures per peer. */
export async function run(args: string[]): Promise<Record<string, PeerResult>> {
  const objects = option(args, 'objects', 100_000);
  const updates = option(args, 'updates', Math.min(50_000, Math.max(1000, Math.floor(objects / 2))));
  const rounds = option(args, 'rounds', 1);
  const peersIndex = args.indexOf('--peers');
  const peers = peersIndex >= 0 ? args[peersIndex + 1].split(',') : [...PEERS];
  const jsonIndex = args.indexOf('--json');
  const jsonFile = jsonIndex >= 0 ? args[jsonIndex + 1] : undefined;
  const server = await startApiServer({ port: 0 });
  try {
    await seed(server, objects);
    const { events, listBytes } = await buildEvents(server, updates);
    console.log(`${objects} ConfigMaps, list ${(listBytes / 1e6).toFixed(1)} MB; ${updates} watch events (${(events.length / 1e6).toFixed(1)} MB)`);
    const front = await startFront(server.url, events);
    const all: Record<string, PeerResult[]> = {};
    try {
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? [...peers] : [...peers].reverse();
        for (const peer of order) {
          progress(`round ${round + 1}/${rounds}: ${peer}`);
          const r = await runChild(peer, front.url, updates);
          front.disarm();
          if (r.objects !== objects) throw new Error(`${peer} saw ${r.objects} objects, want ${objects}`);
          (all[peer] ??= []).push(r);
        }
      }
    } finally {
      await front.close();
    }
    process.stderr.write('\n');
    const med: Record<string, PeerResult> = {};
    for (const peer of peers) {
      const rs = all[peer];
      med[peer] = {
        peer,
        objects,
        syncMs: median(rs.map((r) => r.syncMs)),
        heapMB: median(rs.map((r) => r.heapMB)),
        peakRssMB: median(rs.map((r) => r.peakRssMB)),
        eventsPerSec: median(rs.map((r) => r.eventsPerSec)),
      };
    }
    printTable(med);
    if (jsonFile) {
      writeFileSync(
        jsonFile,
        `${JSON.stringify({ benchmark: 'informer', date: new Date().toISOString(), node: process.version, objects, updates, rounds, listBytes, results: med, runs: all }, null, 2)}\n`,
      );
    }
    return med;
  } finally {
    await server.stop();
  }
}

function printTable(med: Record<string, PeerResult>): void {
  const base = med['client-node'] ?? Object.values(med)[0];
  const ratio = (v: number, b: number) => `${(v / b).toFixed(2)}x`;
  const rows = [
    ['peer', 'synced (s)', 'heap after GC (MB)', 'peak RSS (MB)', 'watch events/s'],
    ...Object.keys(med).map((p) => {
      const r = med[p];
      return [
        p,
        `${(r.syncMs / 1000).toFixed(2)} (${ratio(r.syncMs, base.syncMs)})`,
        `${r.heapMB.toFixed(0)} (${ratio(r.heapMB, base.heapMB)})`,
        `${r.peakRssMB.toFixed(0)} (${ratio(r.peakRssMB, base.peakRssMB)})`,
        `${Math.round(r.eventsPerSec)} (${ratio(r.eventsPerSec, base.eventsPerSec)})`,
      ];
    }),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const [i, r] of rows.entries()) {
    console.log(`| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`);
    if (i === 0) console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  }
  console.log('Ratios are to client-node in the same run. Goals: synced <= 0.4x, heap <= 0.6x, peak RSS <= 0.5x, events/s >= 1.7x.');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run(process.argv.slice(2));
}
