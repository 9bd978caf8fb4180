/**
 * `npm run bench -- watch-path [--objects N] [--updates M] [--rounds R]`
 * (or `node --import tsx bench/watch-path.ts ...`)
 *
 * The watch path of `bench/informer.ts` without a server or a socket, in one process: the same
 * 64 KiB chunks of M update events (ConfigMaps of ~1 KB with managedFields, over a store of N)
 * go through three readers, each best of R rounds in CPU time, which a loaded machine disturbs
 * far less than the socket peers' wall time:
 * - `parse`: the informer benchmark's parse peer (decode, split, `JSON.parse`, keep nothing);
 * - `parse-keep`: the same, keeping each new state (metadata without managedFields, in a map by
 *   namespace and name), the floor for any cache;
 * - `kloop`: kloop's `LineSplitter` and `parseWatchLine` into a `SharedInformer` (reflector,
 *   pipeline, store, metrics, one handler).
 * It also prints the main-thread GC pauses per 1000 events: what keeping costs. Young-generation
 * size moves that cost: compare with `node --max-semi-space-size=64 --import tsx bench/watch-path.ts`.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { SharedInformer } from '../src/cache/index.js';
import { LineSplitter, parseWatchLine } from '../src/client/index.js';
import { type KubeObject, systemClock } from '../src/core/index.js';
import { type Kept, keepLatest } from './_keep-latest.js';
import { benchArgs } from './_options.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A ConfigMap of about 1 KB on the wire, as `bench/informer-emulator-child.ts` seeds them. */
function configMap(i: number, resourceVersion: number, key0: string): KubeObject {
  const name = `cm-${String(i).padStart(6, '0')}`;
  const data: Record<string, string> = {};
  for (let k = 0; k < 5; k++) data[`key-${k}`] = `${name}-value-${k}-`.padEnd(80, 'abcdefghij');
  data['key-0'] = key0;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: 'bench',
      uid: `0f0c${String(i).padStart(8, '0')}-7d6e-4f4a-9b1c-3e2d1c0b9a8f`,
      resourceVersion: String(resourceVersion),
      creationTimestamp: '2025-01-01T00:00:00Z',
      labels: { app: 'bench', tier: 'backend', shard: `s${i % 10}` },
      annotations: { 'bench.kloop.dev/owner': `team-${i % 20}`, 'bench.kloop.dev/checksum': `${i}`.padEnd(40, 'c') },
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
  } as KubeObject;
}

interface Fixture {
  objects: number;
  updates: number;
  listText: string;
  chunks: Buffer[];
}

function fixture(objects: number, updates: number): Fixture {
  const items = Array.from({ length: objects }, (_, i) => configMap(i, i + 1, 'initial'));
  const listText = JSON.stringify({
    kind: 'ConfigMapList',
    apiVersion: 'v1',
    metadata: { resourceVersion: String(objects) },
    items,
  });
  const lines: string[] = [];
  for (let j = 0; j < updates; j++) {
    lines.push(JSON.stringify({ type: 'MODIFIED', object: configMap(j % objects, objects + 1 + j, `updated-${j}`) }));
  }
  const all = Buffer.from(`${lines.join('\n')}\n`);
  const chunks: Buffer[] = [];
  for (let o = 0; o < all.length; o += 65536) chunks.push(all.subarray(o, Math.min(all.length, o + 65536)));
  return { objects, updates, listText, chunks };
}

/** The parse peer's loop over `chunks`; keeps states in `kept` when given. */
function readParse(f: Fixture, kept: Kept | undefined): void {
  const decoder = new TextDecoder();
  let tail = '';
  let n = 0;
  for (const value of f.chunks) {
    const text = tail + decoder.decode(value, { stream: true });
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      const event = JSON.parse(text.slice(start, nl)) as { type: string; object: KubeObject };
      if (event.object.metadata.resourceVersion === undefined) throw new Error('no resourceVersion');
      if (kept) keepLatest(kept, event.object);
      n++;
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    tail = text.slice(start);
  }
  if (n !== f.updates) throw new Error(`read ${n} events, want ${f.updates}`);
}

interface Measured {
  cpuMs: number;
  wallMs: number;
  gcMs: number;
}

const gcPauses: Array<[start: number, duration: number]> = [];
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push([e.startTime, e.duration]);
});

/** Runs `read` after a full GC (as the informer bench measures watches after its heap figure). */
async function measure(read: () => void | Promise<void>): Promise<Measured> {
  for (let i = 0; i < 3; i++) gc();
  gcPauses.length = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await read();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // GC entries are delivered asynchronously: let them arrive.
  await new Promise((r) => setTimeout(r, 20));
  let gcMs = 0;
  for (const [start, duration] of gcPauses) if (start >= t0 && start < t0 + wallMs) gcMs += duration;
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs, gcMs };
}

/** A synced informer over the fixture's list whose watch is fed the chunks through kloop's reader. */
async function kloopRound(f: Fixture): Promise<Measured> {
  let feed!: () => void;
  let watches = 0;
  let seen = 0;
  const informer = new SharedInformer({
    type: { apiVersion: 'v1', kind: 'ConfigMap' },
    resource: 'configmaps',
    logger: pino({ level: 'warn' }),
    registry: new Registry(),
    clock: systemClock,
    validate: false,
    reflector: { streamingList: false },
    listerWatcher: {
      listPage: async () => JSON.parse(f.listText),
      watch: (request, onEvent) =>
        new Promise<void>((resolve) => {
          if (watches++ > 0) {
            request.signal.addEventListener('abort', () => resolve(), { once: true });
            return;
          }
          feed = () => {
            const splitter = new LineSplitter((line) => onEvent(parseWatchLine(line)));
            for (const chunk of f.chunks) splitter.push(chunk);
            splitter.end();
            resolve();
          };
        }),
    },
  });
  informer.subscribe((ev) => {
    if (ev.type === 'updated') seen++;
  });
  await informer.synced;
  // The reflector opens its watch once the list is in: wait for it.
  while (feed === undefined) await new Promise((r) => setImmediate(r));
  const m = await measure(feed);
  await informer.stop();
  if (seen !== f.updates) throw new Error(`kloop saw ${seen} updates, want ${f.updates}`);
  return m;
}

function best(ms: Measured[]): Measured {
  return {
    cpuMs: Math.min(...ms.map((m) => m.cpuMs)),
    wallMs: Math.min(...ms.map((m) => m.wallMs)),
    gcMs: Math.min(...ms.map((m) => m.gcMs)),
  };
}

/** Runs the benchmark; returns the best figures per reader. */
export async function run(args: string[]): Promise<Record<string, Measured>> {
  const o = benchArgs(args, { objects: 100_000, updates: 50_000, rounds: 5 });
  const f = fixture(o.objects, o.updates);
  console.log(
    `${f.updates} update events of ${Math.round(f.chunks.reduce((n, c) => n + c.length, 0) / f.updates)} B over ${f.objects} ConfigMaps, in ${f.chunks.length} chunks of 64 KiB; best of ${o.rounds} rounds`,
  );
  observer.observe({ entryTypes: ['gc'] });
  const runs: Record<string, Measured[]> = { parse: [], 'parse-keep': [], kloop: [] };
  const kept: Kept = new Map();
  for (const item of (JSON.parse(f.listText) as { items: KubeObject[] }).items) keepLatest(kept, item);
  for (let r = 0; r < o.rounds; r++) {
    runs.parse.push(await measure(() => readParse(f, undefined)));
    runs['parse-keep'].push(await measure(() => readParse(f, kept)));
    runs.kloop.push(await kloopRound(f));
  }
  observer.disconnect();
  const out: Record<string, Measured> = {};
  for (const [name, ms] of Object.entries(runs)) out[name] = best(ms);
  const per = (ms: number) => ((ms * 1e6) / f.updates / 1000).toFixed(2);
  const base = out.parse;
  const rows = [
    ['reader', 'CPU us/event', 'wall us/event', 'GC pause ms/1000 events', 'events/s by CPU'],
    ...Object.entries(out).map(([name, m]) => [
      name,
      `${per(m.cpuMs)} (${(base.cpuMs / m.cpuMs).toFixed(2)}x)`,
      `${per(m.wallMs)} (${(base.wallMs / m.wallMs).toFixed(2)}x)`,
      ((m.gcMs * 1000) / f.updates).toFixed(2),
      String(Math.round(f.updates / (m.cpuMs / 1000))),
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const [i, row] of rows.entries()) {
    console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`);
    if (i === 0) console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  }
  console.log(
    'Ratios are events/s to parse (CPU time includes the GC threads; wall time is what the socket benchmark sees, when a core is free for them). parse-keep is the floor for any cache: what it loses to parse is the cost of keeping each new state; what kloop loses to parse-keep is its own work per event (reflector, pipeline, store and its keys, event objects).',
  );
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run(process.argv.slice(2));
}
