// The debug record's ring: bounded per controller, oldest dropped first, filtered by key and
// result (one or several) and limited to the newest.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ReconcileOutcome, type ReconcileRecord, ReconcileRing } from '../../src/controller/index.js';

let seq = 0;
function record(key: string, result: ReconcileOutcome): ReconcileRecord {
  seq++;
  return {
    reconcileID: `id-${seq}`,
    controller: 'c',
    key,
    startedAt: new Date(seq * 1000).toISOString(),
    durationMs: 1,
    result,
    retries: 0,
    triggers: [],
    triggerCounts: [],
    totalTriggers: 0,
    writes: [],
  };
}

describe('ReconcileRing', () => {
  it('keeps the last `capacity` records, oldest first', () => {
    const ring = new ReconcileRing(3);
    const all = ['a', 'b', 'c', 'd', 'e'].map((k) => record(`ns/${k}`, 'success'));
    for (const r of all.slice(0, 2)) ring.push(r);
    assert.deepEqual(ring.list(), all.slice(0, 2));
    for (const r of all.slice(2)) ring.push(r);
    assert.equal(ring.size, 3);
    assert.deepEqual(ring.list(), all.slice(2));
  });

  it('filters by key and result; limit keeps the newest', () => {
    const ring = new ReconcileRing(10);
    const rs = [
      record('ns/a', 'success'),
      record('ns/b', 'error'),
      record('ns/a', 'error'),
      record('ns/a', 'timeout'),
      record('ns/b', 'success'),
    ];
    for (const r of rs) ring.push(r);
    assert.deepEqual(ring.list({ key: 'ns/a' }), [rs[0], rs[2], rs[3]]);
    assert.deepEqual(ring.list({ result: 'error' }), [rs[1], rs[2]]);
    assert.deepEqual(ring.list({ key: 'ns/a', result: ['error', 'timeout'] }), [rs[2], rs[3]]);
    assert.deepEqual(ring.list({ limit: 2 }), [rs[3], rs[4]]);
    assert.deepEqual(ring.list({ controller: 'other' }), []);
    assert.deepEqual(ring.list({ result: [] }), [], 'no result asked for: none matches');
  });

  it('a capacity of 0 keeps nothing', () => {
    const ring = new ReconcileRing(0);
    ring.push(record('x', 'success'));
    assert.deepEqual(ring.list(), []);
  });
});
