import { makePipeline } from './src/cache/transform.js';
const N = 50000;
function obj(i: number) {
  const name = `cm-${String(i).padStart(6, '0')}`;
  const data: Record<string, string> = {};
  for (let k = 0; k < 5; k++) data[`key-${k}`] = `${name}-value-${k}-`.padEnd(80, 'abcdefghij');
  return { metadata: { name, labels: { app: 'bench', tier: 'backend', shard: `s${i % 10}` }, managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: '2025-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:key-0': {}, 'f:key-1': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } } }], namespace: 'bench', uid: crypto.randomUUID(), creationTimestamp: '2026-11-25T08:19:00Z', resourceVersion: String(1000 + i) }, data };
}
const makeText = () => JSON.stringify({ items: Array.from({ length: N }, (_, i) => obj(i)) });
const gc = (globalThis as { gc: () => void }).gc;
const heap = async () => { for (let i = 0; i < 4; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); } return process.memoryUsage().heapUsed; };
const mode = process.argv[2];
const base = await heap();
const items = (JSON.parse(makeText()) as { items: Array<Record<string, any>> }).items;
let out: unknown[] = items;
if (mode === 'delete') for (const o of items) delete o.metadata.managedFields;
if (mode === 'undef') for (const o of items) o.metadata.managedFields = undefined;
if (mode === 'rebuild') for (const o of items) { const m: Record<string, unknown> = {}; for (const k in o.metadata) if (k !== 'managedFields') m[k] = o.metadata[k]; o.metadata = m; }
if (mode === 'pipeline') { const p = makePipeline({ type: { apiVersion: 'v1', kind: 'ConfigMap' } }); out = items.map((o) => p(o as never)); }
const used = (await heap()) - base;
console.log(mode, (used / N).toFixed(0), 'bytes/object', out.length);
