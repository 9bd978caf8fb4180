/**
 * One measured peer of `bench/informer.ts`, run in its own process (`--expose-gc`):
 * `node --expose-gc --import tsx bench/informer-child.ts PEER URL UPDATES CONTROL [SERVER_PID]`, PEER
 * one of `kloop`, `kloop-paged` (streaming lists off), `kloop-metadata` (a metadata-only informer),
 * `client-node`, `parse`, `parse-metadata` (the `PartialObjectMetadataList` GET and parse),
 * `parse-metadata-paged` (the same in pages of `PAGED_LIMIT`, for lists too big for one string),
 * `parse-keep` (`parse` that also keeps each watched object's new state, see `keepLatest`), `floor`
 * (kloop's streaming list read and thrown away: no sync is faster over this server). Prints one
 * JSON line: time to synced, CPU time of this process and of the server (SERVER_PID, Linux) until
 * then, heap after GC (and before the peer started, for heap per object), peak RSS, and watch
 * events/s for UPDATES events (the server process commits them when asked at CONTROL; UPDATES 0
 * skips the watch; `floor` never watches).
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { keepLatest } from './_keep-latest.js';

interface ChildResult {
  peer: string;
  objects: number;
  syncMs: number;
  heapMB: number;
  /** Heap after GC before the peer started (modules loaded): heapMB minus this is the cache. */
  heapBaseMB: number;
  peakRssMB: number;
  eventsPerSec: number;
  /** CPU time of this process (all its threads, the garbage collector's too) from start to synced. */
  syncCpuMs: number;
  /** CPU time of the server process meanwhile (Linux: read from /proc; -1 elsewhere). */
  serverCpuMs: number;
}

const [peer, url, updatesText, control, serverPid] = process.argv.slice(2);
const updates = Number(updatesText);
const gc = (globalThis as { gc?: () => void }).gc;
const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** CPU ms the server process used so far (utime + stime from /proc, in clock ticks of 10 ms), or NaN. */
function serverCpuNow(): number {
  try {
    const fields = readFileSync(`/proc/${serverPid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Starts the sync's clocks: wall time, this process's CPU and the server's. */
function stopwatch(): () => { syncMs: number; syncCpuMs: number; serverCpuMs: number } {
  const server = serverCpuNow();
  const cpu = process.cpuUsage();
  const start = performance.now();
  return () => {
    const syncMs = performance.now() - start;
    const used = process.cpuUsage(cpu);
    const serverCpuMs = serverCpuNow() - server;
    return {
      syncMs,
      syncCpuMs: (used.user + used.system) / 1000,
      serverCpuMs: Number.isNaN(serverCpuMs) ? -1 : serverCpuMs,
    };
  };
}

/** Asks the server process to commit the updates once this process's watch is open. */
async function go(): Promise<void> {
  const res = await fetch(`${control}/go`, { method: 'POST' });
  if (!res.ok) throw new Error(`go: HTTP ${res.status} ${await res.text()}`);
}

/** Asks for the updates and waits for them (none with UPDATES 0: a sync-only run). */
async function watched(counter: { start(): void; done: Promise<number> }): Promise<number> {
  if (updates === 0) return 0;
  await go();
  counter.start();
  return counter.done;
}

/** A watch that sees no new event for this long fails with what it saw, instead of hanging. */
const STALL_MS = 60_000;

/**
 * Counts events until `updates` arrived; `done` resolves with events/s from the first to the last,
 * or rejects with the reason once `fail` is called or no event came for `STALL_MS` after `start`
 * (its timer keeps the process alive, so a lost watch is reported and never ends the process on
 * an unsettled await, exit code 13).
 */
function eventCounter(): { hit(): void; start(): void; fail(err: unknown): void; done: Promise<number> } {
  let n = 0;
  let first = 0;
  let lastEventAt = 0;
  let watchdog: NodeJS.Timeout | undefined;
  let resolve!: (v: number) => void;
  let reject!: (err: Error) => void;
  const done = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Failing before anyone awaits `done` (the watch can fail while the go request is pending) is
  // reported where `done` is awaited, not as an unhandled rejection.
  done.catch(() => {});
  const stop = () => clearInterval(watchdog);
  return {
    hit() {
      lastEventAt = performance.now();
      if (n === 0) first = lastEventAt;
      n++;
      if (n === updates) {
        stop();
        resolve((updates - 1) / ((lastEventAt - first) / 1000));
      }
    },
    start() {
      if (n >= updates) return; // all arrived while the go request was answered
      lastEventAt = performance.now();
      watchdog = setInterval(() => {
        if (performance.now() - lastEventAt < STALL_MS) return;
        stop();
        reject(new Error(`saw ${n} of ${updates} watch events, none in the last ${STALL_MS / 1000} s`));
      }, 1000);
    },
    fail(err) {
      stop();
      reject(new Error(`the watch failed after ${n} of ${updates} events`, { cause: err }));
    },
    done,
  };
}

const kubeconfig = {
  apiVersion: 'v1',
  kind: 'Config',
  // client-node refuses http:// servers unless TLS verification is off (there is no TLS).
  clusters: [{ name: 'bench', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
  users: [{ name: 'u', user: { token: 'bench' } }],
  contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'u' } }],
  'current-context': 'bench',
};

async function kloop(): Promise<ChildResult> {
  const { pino } = await import('pino');
  const { Registry } = await import('prom-client');
  const { InformerFactory, KubeClient } = await import('../src/index.js');
  const client = KubeClient.fromKubeconfig(kubeconfig, { logger: pino({ level: 'warn' }), registry: new Registry() });
  // `kloop-paged`: the same informer with streaming lists off (paginated lists, 500 a page).
  const factory = new InformerFactory(client, {
    validate: false,
    reflector: peer === 'kloop-paged' ? { streamingList: false } : {},
  });
  const heapBaseMB = heapAfterGc();
  const synced = stopwatch();
  const informer = factory.informer(
    { apiVersion: 'v1', kind: 'ConfigMap' },
    { metadataOnly: peer === 'kloop-metadata' },
  );
  const counter = eventCounter();
  informer.subscribe((ev) => {
    if (ev.type === 'updated') counter.hit();
  });
  await informer.synced;
  const times = synced();
  const objects = informer.size;
  const heapMB = heapAfterGc();
  const eventsPerSec = await watched(counter);
  const result = { peer, objects, ...times, heapMB, heapBaseMB, peakRssMB: peakRssMB(), eventsPerSec };
  await factory.stop();
  client.close();
  return result;
}

async function clientNode(): Promise<ChildResult> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromString(JSON.stringify(kubeconfig));
  const api = kc.makeApiClient(k8s.CoreV1Api);
  const heapBaseMB = heapAfterGc();
  const synced = stopwatch();
  const informer = k8s.makeInformer(kc, '/api/v1/configmaps', () => api.listConfigMapForAllNamespaces());
  const counter = eventCounter();
  informer.on('update', () => counter.hit());
  let stopping = false;
  informer.on('error', (err: unknown) => {
    if (!stopping) console.error('client-node informer error', err);
  });
  await informer.start();
  const times = synced();
  const objects = informer.list().length;
  const heapMB = heapAfterGc();
  const eventsPerSec = await watched(counter);
  const result = { peer, objects, ...times, heapMB, heapBaseMB, peakRssMB: peakRssMB(), eventsPerSec };
  stopping = true;
  await informer.stop().catch(() => {});
  return result;
}

/** How many failed watch connections in a row the parse peer retries before it gives up. */
const WATCH_RETRIES = 5;

/** The server refused the watch (an HTTP error or an ERROR event): retrying would not help. */
class WatchRefused extends Error {}

interface WatchLine {
  type: string;
  object: { metadata: { resourceVersion: string; namespace?: string; name?: string } };
}

/** The message of `err` with its causes (undici's `fetch failed` keeps the reason in `cause`). */
function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message);
  return parts.join(': ') || String(err);
}

interface ListBody {
  items: unknown[];
  metadata: { resourceVersion: string; continue?: string };
}

/**
 * Items a page of `parse-metadata-paged`. A million PartialObjectMetadata (about 700 B each) are
 * one body of 700 MB, over V8's longest string (2^29 - 24 characters) on both sides: the server
 * cannot join it and the client could not hold it to parse. Pages of 10k are a few MB each.
 */
const PAGED_LIMIT = 10_000;

/** GETs `/api/v1/configmaps` with `query` and parses the list; anything but 200 fails with its body. */
async function listPage(query: string, accept: string): Promise<ListBody> {
  const res = await fetch(`${url}/api/v1/configmaps${query}`, { headers: { Accept: accept } });
  const text = await res.text();
  if (!res.ok) throw new Error(`list: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as ListBody;
}

/** The whole list in pages of `PAGED_LIMIT`, parsed page by page into one array of items. */
async function pagedList(accept: string): Promise<ListBody> {
  const items: unknown[] = [];
  let page = await listPage(`?limit=${PAGED_LIMIT}`, accept);
  const resourceVersion = page.metadata.resourceVersion;
  for (;;) {
    for (const item of page.items) items.push(item);
    const next = page.metadata.continue;
    if (!next) return { items, metadata: { resourceVersion } };
    page = await listPage(`?limit=${PAGED_LIMIT}&continue=${encodeURIComponent(next)}`, accept);
  }
}

/** The physical limit: one GET of the whole list and `JSON.parse`; events split and parsed. */
async function parse(): Promise<ChildResult> {
  const heapBaseMB = heapAfterGc();
  const synced = stopwatch();
  const accept = peer.startsWith('parse-metadata') ? METADATA_ACCEPT : 'application/json';
  const list = peer === 'parse-metadata-paged' ? await pagedList(accept) : await listPage('', accept);
  const times = synced();
  const objects = list.items.length;
  const heapMB = heapAfterGc();
  if (updates === 0) return { peer, objects, ...times, heapMB, heapBaseMB, peakRssMB: peakRssMB(), eventsPerSec: 0 };
  const ac = new AbortController();
  // `parse-keep`: every new state is kept, as any cache must (see `keepLatest`).
  const kept = peer === 'parse-keep' ? new Map<string, Map<string, unknown>>() : undefined;
  if (kept) for (const item of list.items as WatchLine['object'][]) keepLatest(kept, item);
  const counter = eventCounter();
  let resourceVersion = list.metadata.resourceVersion;
  /** Reads one watch from `resourceVersion` to its end; a refusal or an ERROR event is final. */
  const watchOnce = async (): Promise<void> => {
    const watch = await fetch(`${url}/api/v1/configmaps?watch=true&resourceVersion=${resourceVersion}`, {
      signal: ac.signal,
    });
    if (!watch.ok) throw new WatchRefused(`watch: HTTP ${watch.status} ${await watch.text()}`);
    const reader = (watch.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let tail = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const text = tail + decoder.decode(value, { stream: true });
      let start = 0;
      let nl = text.indexOf('\n');
      while (nl !== -1) {
        const event = JSON.parse(text.slice(start, nl)) as WatchLine;
        if (event.type === 'ERROR') throw new WatchRefused(`watch: ERROR event ${JSON.stringify(event.object)}`);
        resourceVersion = event.object.metadata.resourceVersion;
        if (kept) keepLatest(kept, event.object);
        counter.hit();
        start = nl + 1;
        nl = text.indexOf('\n', start);
      }
      tail = text.slice(start);
    }
  };
  // Watches again from the last resourceVersion seen when the server ends the stream, as the
  // informers do (the history feed ends the watch before committing); a connection that fails
  // is retried after a short backoff, as the informers' reflectors do, and reported on stderr.
  const pump = (async () => {
    let failures = 0;
    while (!ac.signal.aborted) {
      try {
        await watchOnce();
        failures = 0;
      } catch (err) {
        if (ac.signal.aborted) return;
        if (err instanceof WatchRefused || ++failures > WATCH_RETRIES) throw err;
        console.error(`${peer}: watch failed (${describeError(err)}); watching again from ${resourceVersion}`);
        await delay(100 * 2 ** failures);
      }
    }
  })().catch((err: unknown) => counter.fail(err));
  // The watch is open once the server counts it (the go request waits for that).
  const eventsPerSec = await watched(counter);
  const result = { peer, objects, ...times, heapMB, heapBaseMB, peakRssMB: peakRssMB(), eventsPerSec };
  ac.abort();
  await pump;
  return { ...result, objects: list.items.length };
}

/** The streaming list's bookmark that ends the initial state, as the emulator writes its line. */
const INITIAL_EVENTS_END = Buffer.from('"k8s.io/initial-events-end":"true"');

/**
 * The floor: the streaming list kloop's informer asks for, read to its initial-events-end
 * bookmark and thrown away, nothing decoded. Its time is the server's serving and the socket's
 * carrying of the bytes; no client can sync faster over this server. Counts the lines read.
 */
async function floor(): Promise<ChildResult> {
  const heapBaseMB = heapAfterGc();
  const synced = stopwatch();
  const query =
    'watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=&allowWatchBookmarks=true&timeoutSeconds=600';
  let lines = 0;
  await new Promise<void>((resolve, reject) => {
    const req = request(`${url}/api/v1/configmaps?${query}`, { headers: { Authorization: 'Bearer bench' } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`floor: HTTP ${res.statusCode}`));
      // The marker may straddle two chunks: the end of the previous one is searched with the next.
      let tail = Buffer.alloc(0);
      res.on('data', (chunk: Buffer) => {
        for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, nl + 1)) lines++;
        const straddling = Buffer.concat([tail, chunk.subarray(0, INITIAL_EVENTS_END.length - 1)]);
        if (chunk.includes(INITIAL_EVENTS_END) || straddling.includes(INITIAL_EVENTS_END)) {
          res.destroy();
          resolve();
          return;
        }
        tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - INITIAL_EVENTS_END.length + 1)));
      });
      res.on('error', reject);
      res.on('end', () => reject(new Error('floor: the stream ended before its initial-events-end bookmark')));
    });
    req.on('error', reject);
    req.end();
  });
  const times = synced();
  // The last line read is the bookmark.
  return {
    peer,
    objects: lines - 1,
    ...times,
    heapMB: heapAfterGc(),
    heapBaseMB,
    peakRssMB: peakRssMB(),
    eventsPerSec: 0,
  };
}

const runners: Record<string, () => Promise<ChildResult>> = {
  kloop,
  'parse-keep': parse,
  'kloop-paged': kloop,
  'kloop-metadata': kloop,
  'client-node': clientNode,
  parse,
  'parse-metadata': parse,
  'parse-metadata-paged': parse,
  floor,
};
const runner = runners[peer];
if (!runner) {
  console.error(`unknown peer ${peer}`);
  process.exit(2);
}
try {
  const result = await runner();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (err) {
  console.error(`${peer} failed: ${describeError(err)}`);
  process.exit(1);
}
