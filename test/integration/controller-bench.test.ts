/**
 * `bench/writes.ts` at a small size: kloop sends at most one write per needed change and no
 * no-op writes, while the client-node baseline sends more.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { run } from '../../bench/writes.js';

it('writes benchmark: kloop needs at most 1.00 writes per needed change and sends no no-ops', async () => {
  const results = await run(['--configmaps', '5', '--sites', '3', '--churn', '40']);
  assert.equal(results.length, 4);
  for (const r of results) assert.ok(r.converged, `${r.scenario}/${r.controller} converged`);
  for (const r of results.filter((x) => x.controller === 'kloop')) {
    assert.ok(r.writes <= r.needed, `${r.scenario}: ${r.writes} writes for ${r.needed} needed`);
    assert.equal(r.noopWrites, 0, `${r.scenario}: no-op writes`);
  }
  for (const scenario of ['mirror', 'website']) {
    const k = results.find((r) => r.scenario === scenario && r.controller === 'kloop')!;
    const b = results.find((r) => r.scenario === scenario && r.controller === 'client-node')!;
    assert.ok(b.writes > k.writes, `${scenario}: baseline ${b.writes} > kloop ${k.writes}`);
  }
});
