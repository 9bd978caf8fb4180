import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ReadYourWrites } from '../../src/controller/read-your-writes.js';
import { ManualClock } from '../../src/core/clock.js';
import type { KubeObject } from '../../src/core/types.js';

const type = { apiVersion: 'v1', kind: 'ConfigMap' };
const key = { namespace: 'ns', name: 'a' };
const at = (rv: number, by: string): KubeObject => ({
  metadata: { namespace: 'ns', name: 'a', resourceVersion: String(rv) },
  by,
});

describe('ReadYourWrites', () => {
  it('matches a model: reads see our last write until the informer reaches its version', () => {
    type Op = { op: 'ours' } | { op: 'theirs' } | { op: 'catchUp'; steps: number } | { op: 'read' };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.constant({ op: 'ours' as const }),
      fc.constant({ op: 'theirs' as const }),
      fc.record({ op: fc.constant('catchUp' as const), steps: fc.integer({ min: 1, max: 3 }) }),
      fc.constant({ op: 'read' as const }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.boolean(), (ops, viaEvents) => {
        const ryw = new ReadYourWrites(true);
        const history: KubeObject[] = [at(1, 'init')];
        let informerIndex = 0;
        let lastOurs: KubeObject | undefined;
        for (const o of ops) {
          if (o.op === 'ours' || o.op === 'theirs') {
            const next = at(history.length + 1, o.op);
            history.push(next);
            if (o.op === 'ours') {
              ryw.recordWrite(type, next, history[informerIndex]);
              lastOurs = next;
            }
          } else if (o.op === 'catchUp') {
            for (let i = 0; i < o.steps && informerIndex < history.length - 1; i++) {
              informerIndex++;
              if (viaEvents) ryw.observe(type, history[informerIndex], false);
            }
          } else {
            const cached = history[informerIndex];
            const got = ryw.resolve(type, key, cached);
            const ourRv = Number(lastOurs?.metadata.resourceVersion ?? 0);
            const expected = ourRv > Number(cached.metadata.resourceVersion) ? lastOurs : cached;
            assert.deepEqual(got, expected);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('hides deleted objects until the informer drops them, and shows a re-created one', () => {
    const ryw = new ReadYourWrites(true);
    const cached = { ...at(5, 'x'), metadata: { ...at(5, 'x').metadata, uid: 'u1' } };
    ryw.recordDelete(type, key, cached);
    assert.equal(ryw.resolve(type, key, cached), undefined);
    const recreated = { ...at(9, 'y'), metadata: { ...at(9, 'y').metadata, uid: 'u2' } };
    assert.deepEqual(ryw.resolve(type, key, recreated), recreated);
    assert.equal(ryw.size, 0);
  });

  it('drops our write when the informer reports the object deleted (a read must not resurrect it)', () => {
    const ryw = new ReadYourWrites(true);
    const before = { ...at(5, 'x'), metadata: { ...at(5, 'x').metadata, uid: 'u1' } };
    const ours = { ...at(6, 'ours'), metadata: { ...at(6, 'ours').metadata, uid: 'u1' } };
    ryw.recordWrite(type, ours, before);
    // Someone else deletes it; the watch delivers the delete with the final version.
    const gone = { ...at(7, 'ours'), metadata: { ...at(7, 'ours').metadata, uid: 'u1' } };
    ryw.observe(type, gone, true);
    assert.equal(ryw.resolve(type, key, undefined), undefined);
    assert.equal(ryw.size, 0);
  });

  it('keeps no write whose object the informer already saw deleted (its event beat the answer)', () => {
    const ryw = new ReadYourWrites(true);
    // The last finalizer removed at 7: the server answers the object, then deletes it at 8.
    const removed = { ...at(7, 'ours'), metadata: { ...at(7, 'ours').metadata, uid: 'u1', finalizers: [] } };
    ryw.recordWrite(type, at(6, 'earlier'), at(5, 'x'));
    ryw.recordWrite(type, removed, undefined, '8');
    assert.equal(ryw.size, 0, 'the earlier record of the key went too');
    assert.equal(ryw.resolve(type, key, undefined), undefined);
    // An informer not yet at the write still gets the record: the object may yet appear.
    ryw.recordWrite(type, removed, undefined, '6');
    assert.deepEqual(ryw.resolve(type, key, undefined), removed);
    // And one that holds the object is caught up the usual way.
    ryw.recordWrite(type, at(9, 'ours'), at(9, 'theirs'), '9');
    assert.equal(ryw.resolve(type, key, at(9, 'theirs'))?.by, 'theirs');
  });

  it('keeps our create when the informer reports the delete of an older object of that name', () => {
    const ryw = new ReadYourWrites(true);
    const old = { ...at(5, 'old'), metadata: { ...at(5, 'old').metadata, uid: 'u1' } };
    const created = { ...at(8, 'new'), metadata: { ...at(8, 'new').metadata, uid: 'u2' } };
    ryw.recordWrite(type, created, old);
    ryw.observe(type, { ...old, metadata: { ...old.metadata, resourceVersion: '6' } }, true);
    assert.deepEqual(ryw.resolve(type, key, undefined), created);
  });

  it('forgets a write the informer never reports after maxAgeMs (created and deleted between relists)', () => {
    const clock = new ManualClock();
    const ryw = new ReadYourWrites(true, { clock, maxAgeMs: 60_000 });
    const created = { ...at(8, 'ghost'), metadata: { ...at(8, 'ghost').metadata, uid: 'u9' } };
    ryw.recordWrite(type, created, undefined);
    clock.advance(59_999);
    assert.deepEqual(ryw.resolve(type, key, undefined), created, 'young: still our write');
    assert.equal(ryw.overlayList(type, [], () => true).length, 1);
    clock.advance(1);
    assert.equal(ryw.resolve(type, key, undefined), undefined, 'old: the cache answers again');
    assert.equal(ryw.size, 0);
    ryw.recordDelete(type, key, created);
    clock.advance(60_000);
    assert.deepEqual(
      ryw.overlayList(type, [created], () => true),
      [created],
    );
    assert.equal(ryw.size, 0);
  });
});
