import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { WorkQueue } from '../../src/controller/queue.js';
import {
  defaultRateLimiter,
  ExponentialRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
} from '../../src/controller/rate-limiter.js';
import type { Trigger } from '../../src/controller/types.js';
import { ManualClock, sleep } from '../../src/core/clock.js';
import { advance } from '../support/index.js';

const t = (source = 'for:v1/ConfigMap'): Trigger => ({ source, event: 'updated' });
const k = (name: string) => ({ namespace: 'ns', name });

describe('WorkQueue', () => {
  it('folds a burst on one key into one entry that counts every trigger', () => {
    const q = new WorkQueue({ clock: new ManualClock(), maxTriggers: 3 });
    for (let i = 0; i < 1000; i++) q.add(k('a'), t(i % 2 ? 'for:v1/ConfigMap' : 'owns:v1/Secret'));
    assert.equal(q.depth, 1);
    const item = q.tryGet()!;
    assert.equal(item.totalTriggers, 1000);
    assert.equal(item.triggers.length, 3);
    const counts = Object.fromEntries(item.triggerCounts.map((c) => [c.source, c.count]));
    assert.deepEqual(counts, { 'owns:v1/Secret': 500, 'for:v1/ConfigMap': 500 });
    assert.equal(q.tryGet(), undefined);
  });

  it('defers an add while the key is in flight until done', () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    q.add(k('a'), t());
    const first = q.tryGet()!;
    q.add(k('a'), t());
    q.add(k('a'), t());
    assert.equal(q.tryGet(), undefined, 'never handed to a second worker');
    assert.equal(q.waiting, 1);
    q.done(first);
    const second = q.tryGet()!;
    assert.equal(second.id, 'ns/a');
    assert.equal(second.totalTriggers, 2);
  });

  it('hands out normal keys before low-priority ones and promotes on a normal add', () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    q.add(k('low1'), t(), { priority: 'low' });
    q.add(k('low2'), t(), { priority: 'low' });
    q.add(k('n1'), t());
    q.add(k('low2'), t());
    assert.deepEqual([q.tryGet()!.key.name, q.tryGet()!.key.name, q.tryGet()!.key.name], ['n1', 'low2', 'low1']);
  });

  it('does not starve a low-priority key under a steady stream of normal keys', () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    q.add(k('initial'), t(), { priority: 'low' });
    const order: string[] = [];
    for (let i = 0; i < 100; i++) {
      // Every hand-out is followed by a new normal key: normal work never runs out.
      q.add(k(`n${i}`), t());
      q.add(k(`m${i}`), t());
      const item = q.tryGet()!;
      order.push(item.key.name);
      q.done(item);
    }
    const at = order.indexOf('initial');
    assert.ok(at >= 0, 'the low-priority key was never handed out');
    assert.ok(at >= 10, `normal keys still go first for a while (low handed out at ${at})`);
    assert.ok(at <= 10, `the low key waits for at most 10 normal hand-outs (waited ${at})`);
  });

  it('delays adds and lets the earliest time win', () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    q.addAfter(k('a'), 1000, t('requeue'));
    q.addAfter(k('a'), 100, t('requeue'));
    q.addAfter(k('a'), 5000, t('requeue'));
    clock.advance(99);
    assert.equal(q.tryGet(), undefined);
    clock.advance(1);
    const item = q.tryGet()!;
    assert.equal(item.totalTriggers, 3);
    q.done(item);
    clock.advance(10_000);
    assert.equal(q.tryGet(), undefined, 'the later times were folded, not kept');
  });

  it('does not hold an immediate add back behind a pending delayed add, in flight or not', () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    q.addAfter(k('a'), 60_000, t('requeue'));
    q.add(k('a'), t());
    const first = q.tryGet();
    assert.equal(first?.key.name, 'a', 'ready at once');
    // In flight: a requeue then an event are deferred; at done the key is ready at once.
    q.addAfter(k('a'), 60_000, t('requeue'));
    q.add(k('a'), t());
    q.done(first!);
    const second = q.tryGet();
    assert.equal(second?.totalTriggers, 2);
    q.done(second!);
    clock.advance(60_000);
    assert.equal(q.tryGet(), undefined, 'the delayed adds were folded into the earlier runs');
    assert.equal(clock.pendingTimers(), 0);
  });

  it('wakes a waiting get when a delayed key comes due', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    const got = q.get();
    q.addAfter(k('a'), 50);
    clock.advance(50);
    assert.equal((await got)?.key.name, 'a');
  });

  it('backs off per key exponentially and resets on forget', () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock, rateLimiter: new ExponentialRateLimiter() });
    assert.equal(q.addRateLimited(k('a')), 5);
    assert.equal(q.tryGet(), undefined, 'not before its backoff');
    clock.advance(5);
    const item = q.tryGet()!;
    assert.equal(q.addRateLimited(k('a')), 10);
    q.done(item);
    assert.equal(q.retries(k('a')), 2);
    q.forget(k('a'));
    assert.equal(q.retries(k('a')), 0);
  });

  it('drains on shutdown: in-flight finish, nothing new is handed out', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    q.add(k('a'));
    q.add(k('b'));
    const a = q.tryGet()!;
    const waiting = q.get();
    const blocked = new WorkQueue({ clock });
    const blockedGet = blocked.get();
    await blocked.shutdown();
    assert.equal(await blockedGet, undefined);
    assert.equal((await waiting)?.key.name, 'b');
    let drained = false;
    const done = q.shutdown().then(() => {
      drained = true;
    });
    q.add(k('c'));
    assert.equal(await q.get(), undefined);
    await Promise.resolve();
    assert.equal(drained, false);
    q.done(a);
    q.done((await waiting)!);
    await done;
    assert.equal(drained, true);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('matches a plain model under random operations', () => {
    type Op =
      | { op: 'add'; key: number; after: number; low: boolean }
      | { op: 'get' }
      | { op: 'done'; pick: number }
      | { op: 'advance'; ms: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        op: fc.constant('add' as const),
        key: fc.integer({ min: 0, max: 5 }),
        after: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 })),
        low: fc.boolean(),
      }),
      fc.record({ op: fc.constant('get' as const) }),
      fc.record({ op: fc.constant('done' as const), pick: fc.nat() }),
      fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 60 }) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        const clock = new ManualClock();
        const q = new WorkQueue({ clock });
        interface ModelEntry {
          readyAt: number;
          low: boolean;
          adds: number;
        }
        const pending = new Map<string, ModelEntry>();
        const inFlight = new Map<string, ReturnType<WorkQueue['tryGet']>>();
        let now = 0;
        // The queue's anti-starvation rule: after 10 normal hand-outs in a row while a low key
        // is ready, a low key goes.
        let normalStreak = 0;
        const readyIds = (low: boolean) =>
          [...pending].filter(([id, e]) => !inFlight.has(id) && e.readyAt <= now && e.low === low).map(([id]) => id);
        for (const o of ops) {
          if (o.op === 'add') {
            const id = `ns/k${o.key}`;
            const e = pending.get(id);
            if (e) {
              e.readyAt = Math.min(e.readyAt, now + o.after);
              e.low = e.low && o.low;
              e.adds++;
            } else pending.set(id, { readyAt: now + o.after, low: o.low, adds: 1 });
            q.add(k(`k${o.key}`), t(), { after: o.after, priority: o.low ? 'low' : 'normal' });
          } else if (o.op === 'advance') {
            now += o.ms;
            clock.advance(o.ms);
          } else if (o.op === 'get') {
            const normal = readyIds(false);
            const low = readyIds(true);
            const item = q.tryGet();
            if (normal.length + low.length === 0) {
              assert.equal(item, undefined);
              continue;
            }
            assert.ok(item, 'a ready key exists');
            const lowTurn = low.length > 0 && (normal.length === 0 || normalStreak >= 10);
            normalStreak = lowTurn || low.length === 0 ? 0 : normalStreak + 1;
            assert.ok((lowTurn ? low : normal).includes(item.id), `${item.id} must be a ready key`);
            assert.ok(!inFlight.has(item.id), 'never two workers on one key');
            assert.equal(item.totalTriggers, pending.get(item.id)!.adds);
            pending.delete(item.id);
            inFlight.set(item.id, item);
          } else if (inFlight.size > 0) {
            const ids = [...inFlight.keys()];
            const id = ids[o.pick % ids.length];
            q.done(inFlight.get(id)!);
            inFlight.delete(id);
          }
          assert.equal(q.depth, readyIds(false).length + readyIds(true).length);
          assert.equal(q.inFlightCount, inFlight.size);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never hands one key to two of 8 concurrent workers with seeded delays', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    let seed = 7;
    const nextDelay = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % 4;
    };
    const active = new Set<string>();
    let violations = 0;
    let processed = 0;
    let addedInFlight = 0;
    const worker = async () => {
      for (;;) {
        const item = await q.get();
        if (!item) return;
        if (active.has(item.id)) violations++;
        active.add(item.id);
        await sleep(clock, nextDelay());
        active.delete(item.id);
        processed++;
        q.done(item);
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    for (let i = 0; i < 400; i++) {
      if (q.isInFlight(k(`k${i % 10}`))) addedInFlight++;
      q.add(k(`k${i % 10}`), t());
      if (i % 20 === 0) await advance(clock, 1);
    }
    await advance(clock, 100);
    assert.deepEqual(
      { depth: q.depth, waiting: q.waiting, inFlight: q.inFlightCount },
      { depth: 0, waiting: 0, inFlight: 0 },
    );
    await q.shutdown();
    await Promise.all(workers);
    assert.equal(violations, 0);
    assert.ok(addedInFlight >= 50, `${addedInFlight} adds while the key was in flight`);
    assert.ok(processed >= 10 && processed < 400, `processed ${processed}`);
  });
});

describe('rate limiters', () => {
  it('caps exponential backoff at 1000 s', () => {
    const rl = new ExponentialRateLimiter();
    let last = 0;
    for (let i = 0; i < 40; i++) last = rl.when('a');
    assert.equal(last, 1_000_000);
  });

  it('lets a burst of 100 through then spaces at 10 qps', () => {
    const clock = new ManualClock();
    const rl = new TokenBucketRateLimiter({ clock });
    for (let i = 0; i < 100; i++) assert.equal(rl.when(`k${i}`), 0);
    assert.equal(rl.when('x'), 100);
    assert.equal(rl.when('y'), 200);
    clock.advance(1000);
    assert.equal(rl.when('z'), 0);
  });

  it('takes the max of its limiters (controller-runtime default)', () => {
    const clock = new ManualClock();
    const rl = defaultRateLimiter(clock);
    assert.equal(rl.when('a'), 5);
    const max = new MaxOfRateLimiter(new ExponentialRateLimiter({ baseDelayMs: 1 }), {
      when: () => 7,
      forget: () => {},
      retries: () => 0,
    });
    assert.equal(max.when('a'), 7);
  });
});
