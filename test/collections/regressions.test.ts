// Regressions found in review: each test is named after what broke. Leaks are checked through
// the reverse index's size (what a long-running controller would accumulate), missed
// recomputes through outputs, spurious events through batches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import type { BaseCollection } from '../../src/collections/collection.js';
import {
  type Collection,
  type CollectionError,
  type CollectionEvent,
  CollectionRegistry,
  derive,
  deriveMany,
  fromInformer,
  index,
  registerCollectionMetrics,
  singleton,
  staticCollection,
} from '../../src/collections/index.js';
import type { KubeObject } from '../../src/core/types.js';
import { FakeInformer } from './fake-informer.js';

interface Item {
  key: string;
  v: number;
  out?: string;
}

const internals = <T>(c: Collection<T>) => c as unknown as BaseCollection<T>;

function setup() {
  const errors: CollectionError[] = [];
  const registry = new CollectionRegistry({ scheduling: 'manual', onError: (e) => errors.push(e) });
  const src = staticCollection<Item>('src', [], { registry });
  const other = staticCollection<Item>('other', [], { registry });
  return { registry, src, other, errors };
}

test('a transform that keeps throwing does not pile up dependencies', () => {
  const { registry, src, other, errors } = setup();
  const out = derive(
    'out',
    src,
    (ctx, x) => {
      const o = ctx.fetchOne(other, { key: x.key });
      if (x.v < 0) throw new Error(`negative ${x.v}`);
      return { key: x.key, v: x.v + (o?.v ?? 0) };
    },
    { registry },
  );
  src.set({ key: 'a', v: 1 });
  registry.flush();
  assert.equal(internals(other).dependents.size, 1);
  for (let i = 1; i <= 50; i++) {
    src.set({ key: 'a', v: -i });
    registry.flush();
  }
  assert.equal(errors.length, 50);
  // The last good run's fetch plus the failing run's: never one per failure.
  assert.ok(internals(other).dependents.size <= 2, `dependents: ${internals(other).dependents.size}`);
  assert.deepEqual(out.get('a'), { key: 'a', v: 1 });
  // Still tracked: a change of what the failing run fetched retries it.
  src.set({ key: 'a', v: 3 });
  registry.flush();
  assert.deepEqual(out.get('a'), { key: 'a', v: 3 });
  assert.equal(internals(other).dependents.size, 1);
  src.delete('a');
  registry.flush();
  assert.equal(out.size, 0);
  assert.equal(internals(other).dependents.size, 0);
  registry.close();
});

test('a throwing equals neither leaks the new dependencies nor loses track of them', () => {
  const { registry, src, other, errors } = setup();
  other.set({ key: 'a', v: 10 });
  const out = derive('out', src, (ctx, x) => ({ key: x.key, v: x.v + (ctx.fetchOne(other, { key: x.key })?.v ?? 0) }), {
    registry,
    equals: (a, b) => {
      if (b.v === 23) throw new Error('equals failed');
      return a.v === b.v;
    },
  });
  src.set({ key: 'a', v: 1 });
  registry.flush();
  assert.deepEqual(out.get('a'), { key: 'a', v: 11 });
  src.set({ key: 'a', v: 13 }); // 13 + 10 = 23: equals throws
  registry.flush();
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'KLOOP_COLLECTION_TRANSFORM');
  assert.deepEqual(out.get('a'), { key: 'a', v: 11 }, 'the previous output is kept');
  assert.equal(internals(other).dependents.size, 1);
  // The fetch of the failed run is still watched.
  other.set({ key: 'a', v: 20 });
  registry.flush();
  assert.deepEqual(out.get('a'), { key: 'a', v: 33 });
  src.delete('a');
  registry.flush();
  assert.equal(out.size, 0);
  assert.equal(internals(other).dependents.size, 0);
  registry.close();
});

test('a throwing where predicate does not stop other fetchers of the change from recomputing', () => {
  const { registry, src, errors } = setup();
  const picky = singleton(
    'picky',
    (ctx) => ({
      n: ctx.fetch(src, {
        where: (x) => {
          if (x.v === 13) throw new Error('unlucky');
          return true;
        },
      }).length,
    }),
    { registry },
  );
  const sum = singleton('sum', (ctx) => ({ v: ctx.fetch(src).reduce((s, x) => s + x.v, 0) }), { registry });
  src.set({ key: 'a', v: 1 });
  registry.flush();
  assert.deepEqual(sum.value(), { v: 1 });
  src.set({ key: 'a', v: 13 });
  registry.flush();
  assert.equal(src.get('a')?.v, 13);
  assert.deepEqual(sum.value(), { v: 13 }, 'sum saw the change');
  // picky's own run threw on the item: reported as its transform error, last output kept.
  assert.deepEqual(picky.value(), { n: 1 });
  assert.deepEqual(
    errors.map((e) => [e.code, e.collection]),
    [['KLOOP_COLLECTION_TRANSFORM', 'picky']],
  );
  src.set({ key: 'a', v: 2 });
  registry.flush();
  assert.deepEqual(picky.value(), { n: 1 });
  assert.deepEqual(sum.value(), { v: 2 });
  assert.deepEqual(picky.describe().errors, []);
  registry.close();
});

test('an output key released and retaken with an equal value in one tick emits nothing for it', () => {
  const { registry, src } = setup();
  const out = deriveMany('out', src, (_ctx, x) => [{ key: x.out ?? x.key, v: 1 }], { registry });
  src.set({ key: 'a', v: 1, out: 'K' });
  registry.flush();
  src.set({ key: 'b', v: 1, out: 'K' }); // waits for K
  registry.flush();
  const batches: CollectionEvent<{ key: string; v: number }>[][] = [];
  out.subscribe((b) => batches.push([...b]), { replay: false });
  src.set({ key: 'a', v: 1, out: 'L' }); // a lets K go, b takes it over with an equal value
  registry.flush();
  assert.deepEqual(
    out.list().map((o) => o.key),
    ['K', 'L'],
  );
  assert.deepEqual(batches, [[{ type: 'added', object: { key: 'L', v: 1 } }]]);
  registry.close();
});

test('a subscriber removed by another during delivery gets no further batch', () => {
  const { registry, src } = setup();
  const got: string[] = [];
  const handlers: { second?: () => void } = {};
  src.subscribe(() => {
    got.push('first');
    handlers.second?.();
  });
  handlers.second = src.subscribe(() => got.push('second'));
  src.set({ key: 'a', v: 1 });
  registry.flush();
  assert.deepEqual(got, ['first']);
  registry.close();
});

test('a unit that stops contending for a key is not recomputed when the key is released', () => {
  const { registry, src } = setup();
  const runs: string[] = [];
  const out = deriveMany(
    'out',
    src,
    (_ctx, x) => {
      runs.push(x.key);
      return [{ key: x.out ?? x.key, v: x.v }];
    },
    { registry },
  );
  src.set({ key: 'a', v: 1, out: 'K' });
  registry.flush();
  src.set({ key: 'b', v: 2, out: 'K' }); // b waits for K
  registry.flush();
  src.set({ key: 'b', v: 2, out: 'M' }); // b no longer wants K
  registry.flush();
  runs.length = 0;
  src.delete('a'); // K released: nobody is waiting for it any more
  registry.flush();
  assert.deepEqual(runs, []);
  assert.deepEqual(
    out.list().map((o) => o.key),
    ['M'],
  );
  registry.close();
});

test('disposing an index recomputes the outputs that fetched through it', () => {
  const { registry, src, errors } = setup();
  const byParity = index(src, 'parity', (x) => (x.v % 2 === 0 ? 'even' : 'odd'));
  const evens = singleton('evens', (ctx) => ({ n: byParity.fetch(ctx, 'even').length }), { registry });
  src.set({ key: 'a', v: 2 });
  registry.flush();
  assert.deepEqual(evens.value(), { n: 1 });
  byParity.dispose();
  registry.flush();
  // The fetch now names a missing index: the transform fails loudly instead of silently
  // keeping an output no change can ever update again.
  assert.deepEqual(
    errors.map((e) => e.code),
    ['KLOOP_COLLECTION_INDEX'],
  );
  assert.equal(evens.describe().errors.length, 1);
  registry.close();
});

test('a subscriber writing to an input during delivery gets the follow-up tick', async () => {
  const registry = new CollectionRegistry(); // immediate scheduling
  const src = staticCollection<Item>('src', [], { registry });
  const doubled = derive('doubled', src, (_ctx, x) => ({ key: x.key, v: x.v * 2 }), { registry });
  const seen: number[] = [];
  doubled.subscribe((batch) => {
    for (const e of batch) {
      seen.push(e.object.v);
      if (e.object.v < 8) src.set({ key: e.object.key, v: e.object.v });
    }
  });
  src.set({ key: 'a', v: 1 });
  await registry.idle();
  assert.deepEqual(seen, [2, 4, 8]);
  assert.equal(registry.busy, false);
  registry.close();
});

test('a key option that throws on an informer event is reported instead of breaking the informer', () => {
  const errors: CollectionError[] = [];
  const registry = new CollectionRegistry({ scheduling: 'manual', onError: (e) => errors.push(e) });
  const informer = new FakeInformer<KubeObject>();
  const pods = fromInformer(informer, {
    registry,
    key: (p) => {
      if (p.metadata.name === 'bad') throw new Error('no key for bad');
      return p.metadata.name ?? '';
    },
  });
  const others: string[] = [];
  informer.subscribe((e) => others.push(e.object.metadata.name ?? ''));
  informer.upsert({ metadata: { name: 'bad' } });
  informer.upsert({ metadata: { name: 'good' } });
  registry.flush();
  assert.deepEqual(others, ['bad', 'good'], 'the informer went on delivering to its other handlers');
  assert.deepEqual(
    pods.list().map((p) => p.metadata.name),
    ['good'],
  );
  assert.deepEqual(
    errors.map((e) => [e.code, e.collection]),
    [['KLOOP_COLLECTION_NO_KEY', 'v1/Pod']],
  );
  registry.close();
});

test('user code failing outside any transform still completes the tick and its deliveries', () => {
  const errors: CollectionError[] = [];
  const registry = new CollectionRegistry({ scheduling: 'manual', onError: (e) => errors.push(e) });
  type Labelled = { key: string; labels?: Record<string, string> };
  let broken = false;
  const src = staticCollection<Labelled>('src', [], {
    registry,
    meta: {
      labels: (x) => {
        if (broken && x.key === 'b') throw new Error('labels unreadable');
        return x.labels;
      },
    },
  });
  const other = staticCollection<Item>('other', [], { registry });
  src.set({ key: 'a', labels: { app: 'web' } });
  src.set({ key: 'b', labels: { app: 'web' } });
  registry.flush();
  broken = true;
  // The label index of src is built lazily, on the first selector fetch: reading b fails there.
  const web = singleton('web', (ctx) => ({ n: ctx.fetch(src, { labelSelector: 'app=web' }).length }), { registry });
  const seen: number[] = [];
  other.subscribe((batch) => seen.push(batch.length));
  other.set({ key: 'x', v: 1 });
  assert.doesNotThrow(() => registry.flush());
  assert.deepEqual(seen, [1], 'the tick delivered its batches');
  assert.equal(registry.busy, false);
  assert.deepEqual(
    errors.map((e) => [e.code, e.collection]),
    [['KLOOP_COLLECTION_TRANSFORM', 'web']],
  );
  // Once the labels read again, the next change retries: a half-built label index would
  // now miss b.
  broken = false;
  src.set({ key: 'a', labels: { app: 'web', rev: '2' } });
  registry.flush();
  assert.deepEqual(web.value(), { n: 2 });
  assert.deepEqual(
    src.list({ labelSelector: 'app=web' }).map((x) => x.key),
    ['a', 'b'],
  );
  registry.close();
});

test('a collection whose processing throws unexpectedly does not take the tick down', async () => {
  const errors: CollectionError[] = [];
  const registry = new CollectionRegistry({ onError: (e) => errors.push(e) }); // immediate
  const src = staticCollection<Item>('src', [], { registry });
  const seen: number[] = [];
  src.subscribe((batch) => seen.push(batch.length));
  // A node that fails in a way no kind foresees (the registry's last line of defence).
  const broken = {
    rank: 0,
    name: 'broken',
    kind: 'static' as const,
    size: 0,
    process(): void {
      throw new Error('internal failure');
    },
    canSync: () => true,
    hasSynced: () => true,
    markSynced(): void {},
    deliver(): void {},
    describe: () => src.describe(),
    dispose(): void {},
  };
  broken.rank = registry.register(broken);
  registry.enqueue(broken);
  src.set({ key: 'a', v: 1 });
  await registry.idle();
  assert.deepEqual(seen, [1]);
  assert.deepEqual(
    errors.map((e) => [e.code, e.collection]),
    [['KLOOP_COLLECTION_TRANSFORM', 'broken']],
  );
  registry.unregister(broken);
  registry.close();
});

test('list() through an index the collection lacks is refused, as a fetch is', () => {
  const { registry, src } = setup();
  src.set({ key: 'a', v: 1 });
  registry.flush();
  assert.throws(() => src.list({ index: { name: 'nope', value: 'x' } }), { code: 'KLOOP_COLLECTION_INDEX' });
  const idx = index(src, 'v', (x) => String(x.v));
  assert.deepEqual(idx.get('1'), [{ key: 'a', v: 1 }]);
  idx.dispose();
  assert.throws(() => idx.get('1'), { code: 'KLOOP_COLLECTION_INDEX' });
  registry.close();
});

test('a transform that stops fetching a collection leaves nothing in its reverse index', () => {
  const { registry, src, other } = setup();
  other.set({ key: 'a', v: 1 });
  const filters = [
    (x: Item) => ({ key: x.key }),
    (x: Item) => ({ keys: [x.key, 'zz'] }),
    () => ({ namespace: 'ns' }),
    () => ({ labelSelector: 'app=web' }),
    () => ({ labelSelector: 'app!=web' }),
    () => ({ selects: { app: 'web' } }),
    () => ({ where: (o: Item) => o.v > 0 }),
  ];
  const outs = filters.map((f, i) =>
    derive(`d${i}`, src, (ctx, x) => ({ key: x.key, n: x.v > 0 ? ctx.fetch(other, f(x)).length : -1 }), { registry }),
  );
  src.set({ key: 'a', v: 1 });
  registry.flush();
  assert.equal(internals(other).dependents.size, filters.length);
  src.set({ key: 'a', v: 0 }); // every transform stops fetching
  registry.flush();
  assert.equal(internals(other).dependents.size, 0);
  assert.deepEqual(
    outs.map((o) => o.get('a')),
    filters.map(() => ({ key: 'a', n: -1 })),
  );
  registry.close();
});

test('batches are delivered in rank order, whatever the order of subscription', () => {
  const { registry, src } = setup();
  const doubled = derive('doubled', src, (_ctx, x) => ({ key: x.key, v: x.v * 2 }), { registry });
  const order: string[] = [];
  doubled.subscribe(() => order.push('doubled'), { replay: false });
  src.subscribe(() => order.push('src'), { replay: false });
  src.set({ key: 'a', v: 1 });
  registry.flush();
  assert.deepEqual(order, ['src', 'doubled']);
  registry.close();
});

test('property: a subscriber replaying batches always holds what the collection holds, with no empty updates', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({
            op: fc.constant('set' as const),
            key: fc.constantFrom('a', 'b', 'c'),
            out: fc.constantFrom('K', 'L', 'M'),
            v: fc.integer({ min: 0, max: 2 }),
          }),
          fc.record({ op: fc.constant('del' as const), key: fc.constantFrom('a', 'b', 'c') }),
          fc.constant({ op: 'flush' as const }),
        ),
        { maxLength: 30 },
      ),
      (ops) => {
        const { registry, src } = setup();
        // Several inputs compete for few output keys: outputs move between units within ticks.
        const out = deriveMany('out', src, (_ctx, x) => [{ key: x.out ?? x.key, v: x.v }], { registry });
        const mirror = new Map<string, { key: string; v: number }>();
        const problems: string[] = [];
        out.subscribe((batch) => {
          for (const e of batch) {
            const held = mirror.get(e.object.key);
            if (e.type === 'added') {
              if (held !== undefined) problems.push(`added over ${e.object.key}`);
              mirror.set(e.object.key, e.object);
            } else if (e.type === 'updated') {
              if (held === undefined || !isDeepStrictEqual(held, e.oldObject))
                problems.push(`stale oldObject for ${e.object.key}`);
              if (isDeepStrictEqual(e.object, e.oldObject)) problems.push(`empty update of ${e.object.key}`);
              mirror.set(e.object.key, e.object);
            } else {
              if (held === undefined) problems.push(`deleted missing ${e.object.key}`);
              mirror.delete(e.object.key);
            }
          }
        });
        for (const o of ops) {
          if (o.op === 'set') src.set({ key: o.key, v: o.v, out: o.out });
          else if (o.op === 'del') src.delete(o.key);
          else registry.flush();
        }
        registry.flush();
        assert.deepEqual(problems, []);
        assert.deepEqual(
          [...mirror.values()].sort((x, y) => x.key.localeCompare(y.key)),
          out.list(),
        );
        registry.close();
      },
    ),
    { numRuns: 300 },
  );
});

test('two collection registries on one metrics registry (two managers sharing it): both register, both are counted', async () => {
  const prom = new Registry();
  const a = new CollectionRegistry({ scheduling: 'manual' });
  const b = new CollectionRegistry({ scheduling: 'manual' });
  registerCollectionMetrics(prom, a);
  // Threw "A metric with the name kloop_collection_transform_calls_total has already been registered".
  registerCollectionMetrics(prom, b);
  const inA = staticCollection<Item>('in-a', [], { registry: a });
  const inB = staticCollection<Item>('in-b', [], { registry: b });
  derive('out-a', inA, (_ctx, x) => x, { registry: a });
  inA.set({ key: 'x', v: 1 });
  inB.set({ key: 'y', v: 1 });
  inB.set({ key: 'z', v: 1 });
  a.flush();
  b.flush();
  const sizes = await prom.getSingleMetricAsString('kloop_collection_size');
  assert.match(sizes, /kloop_collection_size\{collection="in-a"\} 1/);
  assert.match(sizes, /kloop_collection_size\{collection="in-b"\} 2/);
  const calls = await prom.getSingleMetricAsString('kloop_collection_transform_calls_total');
  assert.match(calls, /kloop_collection_transform_calls_total\{collection="out-a"\} 1/);
  a.close();
  b.close();
});
