/**
 * `npm run bench -- informer [--objects N] [--updates M] [--rounds R] [--peers a,b] [--feed history|live] [--json FILE]`
 * (or `node --import tsx bench/informer.ts ...`)
 *
 * Starts the emulator in its own process (`bench/informer-emulator-child.ts`), which seeds N
 * ConfigMaps of ~1 KB (with managedFields, as a real cluster returns them). Then runs, each in its
 * own process and alternating between rounds: kloop's informer, client-node 1.4's `makeInformer`,
 * the physical limit (GET the whole list and `JSON.parse` it), and the floor (the streaming list
 * kloop's informer asks for, read and thrown away: the server's serving and the socket). Reports
 * time to synced, heap after GC, peak RSS, and watch events/s for M updates; then where the sync
 * time goes: CPU time until synced of each peer (all its threads) and of the server process.
 *
 * Watch events are real updates: once the measured peer is synced and watching, it asks the
 * server process, which commits M updates through the emulator's write path in one go. With
 * `--feed history` (default) the server first ends the watch cleanly (as a watch timeout does) and
 * commits into the history, and the peer's re-watch from its last resourceVersion gets them
 * replayed: events/s is how fast the peer takes a stream, not how fast the emulator commits
 * (about 70k updates/s, below the peers). `--feed live` commits into the open watch instead.
 * The bench process itself only spawns and collects, so the
 * peers compete with nothing but the server. Profiling: `KLOOP_BENCH_NODE_FLAGS=--cpu-prof` (the
 * peers), `KLOOP_BENCH_SERVER_FLAGS=--cpu-prof` (the emulator).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchArgs } from './_options.js';

export interface PeerResult {
  peer: string;
  objects: number;
  syncMs: number;
  heapMB: number;
  heapBaseMB: number;
  peakRssMB: number;
  eventsPerSec: number;
  /** CPU time of the peer's process (all threads) from its start to synced. */
  syncCpuMs: number;
  /** CPU time of the server process meanwhile (-1 where /proc cannot tell). */
  serverCpuMs: number;
}

/**
 * `parse-keep` is `parse` keeping each watched object's new state: the floor for any cache's
 * events/s, printed beside the goal (which is against `parse`) to show where the rest goes.
 * `floor` reads kloop's streaming list and decodes nothing: the floor for any sync.
 */
const PEERS = ['kloop', 'client-node', 'parse', 'parse-keep', 'floor'] as const;
const here = dirname(fileURLToPath(import.meta.url));

function progress(text: string): void {
  process.stderr.write(`\r${text}`.padEnd(60));
}

export interface ServerProcess {
  url: string;
  control: string;
  /** The server's process id: peers read its CPU time during their sync. */
  pid: number;
  /** How the server process ended if it did before `stop` (a peer failing then says so). */
  readonly exited: string | undefined;
  stop(): Promise<void>;
}

/** Starts `informer-emulator-child.ts` (it seeds, showing progress on our stderr) and waits for its URLs. */
export function startServer(objects: number, updates: number, feed: string): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--max-old-space-size=8192',
        ...(process.env.KLOOP_BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? []),
        '--import',
        'tsx',
        join(here, 'informer-emulator-child.ts'),
        String(objects),
        String(updates),
        feed,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, KLOOP_VALIDATE: '0' } },
    );
    let out = '';
    let exitedAs: string | undefined;
    const exited = new Promise<void>((r) =>
      child.once('exit', (code, signal) => {
        exitedAs = signal ? `killed by ${signal}` : `exit ${code}`;
        r();
      }),
    );
    const onData = (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      child.stdout?.off('data', onData);
      const { url, control } = JSON.parse(out.slice(0, nl)) as { url: string; control: string };
      resolve({
        url,
        control,
        pid: child.pid ?? -1,
        get exited() {
          return exitedAs;
        },
        stop: async () => {
          // Closing its stdin tells the server to exit; SIGKILL if it does not within 5 s.
          child.stdin?.end();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        },
      });
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`the bench server exited (${code}) before listening: ${out.slice(-500)}`)),
    );
  });
}

/** GETs the whole list once (warms the server up) and reports its size and serving time. */
async function fetchList(url: string): Promise<{ bytes: number; ms: number }> {
  const start = performance.now();
  const res = await fetch(`${url}/api/v1/configmaps`);
  const body = await res.arrayBuffer();
  return { bytes: body.byteLength, ms: performance.now() - start };
}

export function runChild(peer: string, server: ServerProcess, updates: number): Promise<PeerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--max-old-space-size=4096',
        // e.g. KLOOP_BENCH_NODE_FLAGS=--cpu-prof to profile the peers
        ...(process.env.KLOOP_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
        '--import',
        'tsx',
        join(here, 'informer-child.ts'),
        peer,
        server.url,
        String(updates),
        server.control,
        String(server.pid),
      ],
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
        if (code !== 0) throw new Error(code === 13 ? 'exit 13: a top-level await never settled' : `exit ${code}`);
        resolve(JSON.parse(line) as PeerResult);
      } catch (err) {
        const serverEnded = server.exited ? `; the bench server had ended (${server.exited})` : '';
        reject(new Error(`${peer} failed (${(err as Error).message}${serverEnded}): ${out.slice(-500)}`));
      }
    });
  });
}

/** The 1/5/15-minute load averages: the machine is shared, figures need them beside. */
export function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs the benchmark; returns the median figures per peer. */
export async function run(args: string[]): Promise<Record<string, PeerResult>> {
  // --updates 0 (the default) means half the objects, between 1000 and 50000.
  const o = benchArgs(args, { objects: 100_000, updates: 0, rounds: 1 }, ['peers', 'json', 'feed']);
  const { objects, rounds } = o;
  const updates = o.updates || Math.min(50_000, Math.max(1000, Math.floor(objects / 2)));
  const peers = o.peers?.split(',') ?? [...PEERS];
  const jsonFile = o.json;
  const feed = o.feed ?? 'history';
  if (feed !== 'history' && feed !== 'live') throw new Error(`--feed must be history or live, not ${feed}`);
  const server = await startServer(objects, updates, feed);
  try {
    let list = await fetchList(server.url);
    list = await fetchList(server.url);
    console.log(
      `${objects} ConfigMaps, list ${(list.bytes / 1e6).toFixed(1)} MB (served and read in ${(list.ms / 1000).toFixed(2)} s); ${updates} watch events a run (${feed} feed)`,
    );
    const all: Record<string, PeerResult[]> = {};
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [...peers] : [...peers].reverse();
      for (const peer of order) {
        progress(`round ${round + 1}/${rounds}: ${peer}`);
        const r = await runChild(peer, server, updates);
        if (r.objects !== objects) throw new Error(`${peer} saw ${r.objects} objects, want ${objects}`);
        (all[peer] ??= []).push(r);
      }
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
        heapBaseMB: median(rs.map((r) => r.heapBaseMB)),
        peakRssMB: median(rs.map((r) => r.peakRssMB)),
        eventsPerSec: median(rs.map((r) => r.eventsPerSec)),
        syncCpuMs: median(rs.map((r) => r.syncCpuMs)),
        serverCpuMs: median(rs.map((r) => r.serverCpuMs)),
      };
    }
    printTable(med);
    if (jsonFile) {
      writeFileSync(
        jsonFile,
        `${JSON.stringify({ benchmark: 'informer', date: new Date().toISOString(), node: process.version, objects, updates, feed, rounds, listBytes: list.bytes, listMs: list.ms, loadavg: loadavg(), results: med, runs: all }, null, 2)}\n`,
      );
    }
    return med;
  } finally {
    await server.stop();
  }
}

/** Prints `rows` (the first is the header) as a Markdown table. */
function printRows(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const [i, r] of rows.entries()) {
    console.log(`| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`);
    if (i === 0) console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  }
}

function printTable(med: Record<string, PeerResult>): void {
  const base = med['client-node'] ?? Object.values(med)[0];
  const ratio = (v: number, b: number) => `${(v / b).toFixed(2)}x`;
  const seconds = (ms: number) => (ms < 0 ? 'n/a' : (ms / 1000).toFixed(2));
  // The floor syncs nothing: it has no heap, RSS or events worth comparing.
  const informers = Object.keys(med).filter((p) => p !== 'floor');
  printRows([
    ['peer', 'synced (s)', 'heap after GC (MB)', 'peak RSS (MB)', 'watch events/s'],
    ...informers.map((p) => {
      const r = med[p];
      return [
        p,
        `${seconds(r.syncMs)} (${ratio(r.syncMs, base.syncMs)})`,
        `${r.heapMB.toFixed(0)} (${ratio(r.heapMB, base.heapMB)})`,
        `${r.peakRssMB.toFixed(0)} (${ratio(r.peakRssMB, base.peakRssMB)})`,
        `${Math.round(r.eventsPerSec)} (${ratio(r.eventsPerSec, base.eventsPerSec)})`,
      ];
    }),
  ]);
  const k = med.kloop;
  const p = med.parse;
  if (k && p) {
    console.log(
      `kloop / parse (the limit): synced ${ratio(k.syncMs, p.syncMs)}, watch events/s ${ratio(k.eventsPerSec, p.eventsPerSec)}`,
    );
  }
  const keep = med['parse-keep'];
  if (k && p && keep) {
    console.log(
      `watch events/s: parse-keep / parse ${ratio(keep.eventsPerSec, p.eventsPerSec)}, kloop / parse-keep ${ratio(k.eventsPerSec, keep.eventsPerSec)}. parse-keep parses as parse does and keeps each new state (metadata copied without managedFields, in a map by namespace and name), as any cache must: what it loses to parse is the cost of keeping (the garbage collector copies every kept object out of the young generation; parse keeps nothing), the floor under the 0.9x goal; "npm run bench -- watch-path" splits it up without a socket.`,
    );
  }
  console.log(`load average ${loadavg()}`);
  console.log(
    'Ratios are to client-node in the same run. Goals: synced <= 0.35x client-node and <= 0.75x parse, heap <= 0.45x, peak RSS <= 0.5x, watch events/s >= 0.9x parse.',
  );
  console.log('');
  console.log(
    'Where the sync time goes: CPU time until synced of the peer (all its threads, garbage collection included) and of the server process (they run side by side on 2 cores); `floor` reads the streaming list kloop asks for and decodes nothing, so no client syncs faster over this server.',
  );
  console.log('');
  printRows([
    ['peer', 'synced (s)', 'peer CPU (s)', 'server CPU (s)'],
    ...Object.keys(med).map((p) => {
      const r = med[p];
      return [p, seconds(r.syncMs), seconds(r.syncCpuMs), seconds(r.serverCpuMs)];
    }),
  ]);
  const f = med.floor;
  if (k && f) {
    console.log(
      `kloop synced in ${seconds(k.syncMs)} s: the floor (serving and carrying the bytes) is ${seconds(f.syncMs)} s, kloop's own CPU ${seconds(k.syncCpuMs)} s.`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run(process.argv.slice(2));
}
