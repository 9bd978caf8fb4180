/**
 * The emulator of `bench/informer.ts` (named `-child` so `bench/run.ts` does not take it for a
 * benchmark), in its own process so that the measured peers compete only with the server, never
 * with the bench's bookkeeping: `node --import tsx bench/informer-emulator-child.ts OBJECTS UPDATES`.
 *
 * It assembles the emulator as `startApiServer` does (so it can reach the cluster), seeds
 * OBJECTS ConfigMaps of ~1 KB (with managedFields) straight through the cluster's create path,
 * then prints one JSON line `{"url":..,"control":..}` on stdout. A `POST {control}/go` waits until
 * a ConfigMap watch is open, then commits UPDATES updates through the emulator's write path in
 * one go (FEED `history`, the default: after ending the watch, so the peer gets them replayed
 * from the history when it watches again; `live`: into the open watch). Exits when stdin closes.
 * `POST {control}/stream?rate=R&seconds=S` commits R updates/s for S seconds into the open
 * watches (see `stream`), for `bench/controller.ts`'s latency.
 * `node --import tsx bench/informer-emulator-child.ts OBJECTS UPDATES [FEED]`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  bootstrapNamespaces,
  Cluster,
  DEFAULT_MAX_BODY_BYTES,
  FaultSet,
  listen,
  RequestStats,
  type ServedType,
  ServedTypes,
  Storage,
  WatchHub,
} from '../src/apiserver/internal.js';
import type { KubeObject } from '../src/core/index.js';

const [objectsText, updatesText, feedText] = process.argv.slice(2);
const objects = Number(objectsText);
const updates = Number(updatesText);
/** `history` (default): pre-commit, then replay to the re-watching peer; `live`: commit while it watches. */
const feedMode = feedText === 'live' ? 'live' : 'history';

function progress(text: string): void {
  process.stderr.write(`\r${text}`.padEnd(60));
}

/** A 40-hex-digit value unique to object `i` (a config checksum, as controllers annotate). */
function checksum(i: number): string {
  let h = (i + 1) * 2654435761;
  let out = '';
  while (out.length < 40) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 40);
}

/** A ConfigMap of about 1 KB on the wire once the server has added uid, timestamps and RV. */
function configMap(i: number): KubeObject {
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
      // Annotations on every object, as real clusters have them: one shared value, one per object.
      annotations: {
        'bench.kloop.dev/owner': `team-${i % 20}`,
        'bench.kloop.dev/checksum': checksum(i),
      },
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

const storage = new Storage(Math.max(10_000, updates + 1000));
const hub = new WatchHub();
const faults = new FaultSet(hub, storage, Math.random);
const types = new ServedTypes();
const cluster = new Cluster(storage, types, hub, faults, Math.random, { absentOwnerGraceMs: 1000 });
bootstrapNamespaces(cluster);
const namespaces = types.byResource('', 'v1', 'namespaces');
const configMaps = types.byResource('', 'v1', 'configmaps');
if (!namespaces || !configMaps) throw new Error('the emulator serves no v1 namespaces/configmaps');
const configMapType: ServedType = configMaps;
cluster.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } } as KubeObject);

const started = Date.now();
for (let i = 0; i < objects; i++) {
  cluster.create(configMaps, configMap(i));
  if ((i + 1) % 5000 === 0 || i + 1 === objects) {
    progress(
      `seeding ${i + 1}/${objects} ConfigMaps (${Math.round((i + 1) / ((Date.now() - started) / 1000 || 1))}/s)`,
    );
    // Let the event loop breathe (nothing listens yet, but keep stderr flowing).
    await new Promise((r) => setImmediate(r));
  }
}
process.stderr.write('\n');

const { server } = await listen(
  cluster,
  { bookmarkIntervalMs: 60_000, maxBodyBytes: DEFAULT_MAX_BODY_BYTES, watchList: true },
  '127.0.0.1',
  0,
  new RequestStats(),
);
const store = cluster.store(configMaps);
let round = 0;

/** Waits (up to 30 s) until a watch on ConfigMaps is open, so no update lands before it. */
async function watcherOpen(): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (hub.size === 0) {
    if (Date.now() > deadline) throw new Error('no watch opened within 30 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The next states of the `updates` objects to update (new `key-0` for the first objects in key
 * order), built before the watcher asks, so that the feed is the emulator's write path alone.
 */
function nextStates(): Array<{ key: string; next: KubeObject }> {
  round++;
  const keys = [...store.all()].slice(0, Math.min(updates, store.size)).map((s) => s.key);
  const out: Array<{ key: string; next: KubeObject }> = [];
  for (let j = 0; j < updates; j++) {
    const key = keys[j % keys.length];
    const current = store.get(key);
    if (!current) continue;
    const data = { ...(current.object.data as Record<string, string>), 'key-0': `updated-${round}-${j}` };
    out.push({ key, next: { ...current.object, metadata: { ...current.object.metadata }, data } as KubeObject });
  }
  return out;
}

/**
 * Commits the prepared updates through the emulator's write path (store, history, serialize once,
 * fan out one line per event shared by all watchers) in one go.
 *
 * `live`: the peer's watch stays open and receives the events as they are committed; the peer's
 * clock starts at the first event, so the commit loop (about 70k updates/s on the bench machine,
 * below what the peers can take) is inside what is measured.
 *
 * `history` (the default): the peer's watch is first ended cleanly (as a server-side watch
 * timeout does), the updates are committed in the same tick (nobody watches, so they land only
 * in the history, which `Storage` is sized to hold), and the peer watches again from the last
 * resourceVersion it saw: the server replays the history in 64 KiB chunks and events/s measures
 * how fast the peer takes a stream of updates, not how fast this process commits them.
 */
function feed(states: Array<{ key: string; next: KubeObject }>): void {
  if (feedMode === 'history') hub.closeAll();
  for (const { key, next } of states) {
    const current = store.get(key);
    if (current) cluster.commitUpdate(configMapType, current, next);
  }
}

/**
 * Commits `rate` updates/s for `seconds` seconds into the open watches, in 1 ms slices of the
 * schedule, round-robin over the objects: even updates set `key-0` to `sent-<commit time, epoch
 * ms>`, odd ones change only an annotation. Answers when the last one is committed.
 */
async function stream(rate: number, seconds: number): Promise<number> {
  const all = [...store.all()].map((s) => s.key);
  const total = Math.round(rate * seconds);
  const start = performance.now();
  let j = 0;
  while (j < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    for (; j < due; j++) {
      const current = store.get(all[j % all.length]);
      if (!current) continue;
      const object = current.object as KubeObject & { data: Record<string, string> };
      const sent = (performance.timeOrigin + performance.now()).toFixed(3);
      const next =
        j % 2 === 0
          ? { ...object, metadata: { ...object.metadata }, data: { ...object.data, 'key-0': `sent-${sent}` } }
          : {
              ...object,
              metadata: {
                ...object.metadata,
                annotations: { ...object.metadata.annotations, 'bench.kloop.dev/noise': `${j}` },
              },
            };
      cluster.commitUpdate(configMapType, current, next as KubeObject);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  return total;
}

const control = http.createServer((req, res) => {
  const asked = new URL(req.url ?? '/', 'http://control');
  if (asked.pathname === '/stream') {
    res.on('error', () => {});
    stream(Number(asked.searchParams.get('rate') ?? 5000), Number(asked.searchParams.get('seconds') ?? 1))
      .then((n) => res.end(String(n)))
      .catch((err: unknown) => res.writeHead(500).end(String(err)));
    return;
  }
  if (req.url === '/go') {
    res.on('error', () => {});
    const states = nextStates();
    watcherOpen()
      .then(() => {
        res.end('ok');
        feed(states);
      })
      .catch((err: unknown) => {
        process.stderr.write(`feed failed: ${(err as Error).message}\n`);
        if (!res.headersSent) res.writeHead(500).end(String(err));
      });
    return;
  }
  res.writeHead(404).end();
});
await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));

const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
process.stdout.write(
  `${JSON.stringify({ url, control: `http://127.0.0.1:${(control.address() as AddressInfo).port}` })}\n`,
);

process.stdin.resume();
process.stdin.on('end', () => {
  hub.closeAll();
  cluster.stop();
  server.closeAllConnections();
  server.close();
  control.close();
  process.exit(0);
});
