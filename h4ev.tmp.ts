import { pino } from 'pino';
import { Registry } from 'prom-client';
import { SharedInformer } from './src/cache/index.js';
import { LineSplitter, parseWatchLine, realClock } from './src/client/index.js';
import type { WatchEvent, KubeObject } from './src/core/index.js';
const N = 50000;
const mk = (i: number, rv: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'bench', uid: `uid-${i}-aaaaaaaaaaaaaaaaaaaaaaaa`, resourceVersion: String(rv), creationTimestamp: '2026-01-01T00:00:00Z', labels: { app: 'bench', tier: 'backend', shard: `s${i % 10}` }, managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: '2025-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:key-0': {}, 'f:key-1': {}, 'f:key-2': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } } }] }, data: Object.fromEntries([0, 1, 2, 3, 4].map((k) => [`key-${k}`, `cm-${i}-value-${k}-`.padEnd(80, 'abcdefghij')])) });
const buf = Buffer.from(Array.from({ length: N }, (_, i) => JSON.stringify({ type: 'MODIFIED', object: mk(i, 1000 + i) }) + '\n').join(''));
let onEv: (e: WatchEvent) => void = () => {};
const lw = {
  listPage: async () => ({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: '10' }, items: Array.from({ length: N }, (_, i) => mk(i, 10) as KubeObject) }),
  watch: (_req: unknown, cb: (e: WatchEvent) => void) => { onEv = cb; return new Promise<void>(() => {}); },
};
const inf = new SharedInformer({ type: { apiVersion: 'v1', kind: 'ConfigMap' }, resource: 'configmaps', listerWatcher: lw, logger: pino({ level: 'warn' }), registry: new Registry(), clock: realClock, validate: false, reflector: { streamingList: false } });
let n = 0;
inf.subscribe(() => { n++; });
await inf.synced;
await new Promise((r) => setTimeout(r, 50));
const mode = process.argv[2] ?? 'full';
for (let round = 0; round < 3; round++) {
  const t = performance.now();
  if (mode === 'parse') { const s = new LineSplitter((l) => { parseWatchLine(l); }); for (let o = 0; o < buf.length; o += 65536) s.push(buf.subarray(o, o + 65536)); }
  else { const s = new LineSplitter((l) => onEv(parseWatchLine(l))); for (let o = 0; o < buf.length; o += 65536) s.push(buf.subarray(o, o + 65536)); }
  const ms = performance.now() - t;
  console.log(mode, Math.round(N / (ms / 1000)), 'events/s');
  // bump RVs so the next round is not deduplicated
  if (mode !== 'parse') break;
}
await inf.stop();
