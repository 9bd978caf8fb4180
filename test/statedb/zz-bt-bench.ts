import * as A from './zz-btree-orig.js';
import * as B from '../../src/statedb/btree.js';
const N = 20000;
const keys = Array.from({ length: N }, (_, i) => `obj-${String((i * 7919) % N).padStart(6, '0')}`);
function run(M: typeof A, batch: number): number {
  const t0 = performance.now();
  let tree = M.emptyTree<number>();
  for (let i = 0; i < N; i += batch) {
    const b = new M.TreeBuilder(tree, {});
    for (let j = i; j < Math.min(N, i + batch); j++) b.set(keys[j], j);
    tree = b.freeze();
  }
  return performance.now() - t0;
}
for (const batch of [1, 100]) {
  const best = { A: Infinity, B: Infinity };
  for (let r = 0; r < 15; r++) {
    best.A = Math.min(best.A, run(A, batch));
    best.B = Math.min(best.B, run(B as unknown as typeof A, batch));
  }
  console.log(`batch ${batch}: orig ${(N / best.A).toFixed(0)} k/s, new ${(N / best.B).toFixed(0)} k/s`);
}
