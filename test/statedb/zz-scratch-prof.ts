import { StateDB } from '../../src/statedb/index.js';
interface Obj { id: string; group: string; n: number }
const N = 20000;
const objs: Obj[] = Array.from({ length: N }, (_, i) => ({ id: `obj-${String((i * 7919) % N).padStart(6, '0')}`, group: `g-${i % 1000}`, n: i }));
function run(batch: number): number {
  const t0 = performance.now();
  const db = new StateDB({ validate: false });
  const t = db.table<Obj>('objs', { primary: (o) => o.id, indexes: { group: { key: (o) => o.group, unique: false } } });
  for (let i = 0; i < N; i += batch) db.write([t], (txn) => { for (let j = i; j < Math.min(N, i + batch); j++) txn.insert(t, objs[j]); });
  return performance.now() - t0;
}
const batches = process.argv[2] ? [Number(process.argv[2])] : [1, 100];
for (const batch of batches) {
  let best = Infinity;
  for (let r = 0; r < 15; r++) best = Math.min(best, run(batch));
  console.log(`batch ${batch}: best ${(N / best).toFixed(0)} k/s`);
}
