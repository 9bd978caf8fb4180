// Behaviour of collections beyond the model: events, equality, folding, errors, sync, order,
// duplicates, indexes, scheduling and the debug dump.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import {
  asEventSource,
  type CollectionError,
  type CollectionEvent,
  CollectionRegistry,
  derive,
  deriveMany,
  type FetchContext,
  fromInformer,
  index,
  isCollection,
  registerCollectionMetrics,
  singleton,
  staticCollection,
} from '../../src/collections/index.js';
import type { KubeObject } from '../../src/core/types.js';
import { FakeInformer } from './fake-informer.js';

interface Item {
  key: string;
  v: number;
  note?: string;
}

function setup(onError?: (e: CollectionError) => void) {
  const registry = new CollectionRegistry({ scheduling: 'manual', onError });
  const src = staticCollection<Item>('src', [], { registry });
  return { registry, src };
}

test('subscribers get added, updated and deleted with old objects, folded per tick', () => {
  const { registry, src } = setup();
  const batches: CollectionEvent<Item>[][] = [];
  src.subscribe((b) => batches.push([...b]));
  src.set({ key: 'a', v: 1 });
  src.set({ key: 'b', v: 1 });
  registry.flush();
  src.set({ key: 'a', v: 2 });
  src.delete('b');
  registry.flush();
  src.set({ key: 'c', v: 1 });
  src.delete('c'); // added and deleted within one tick: nothing
  registry.flush();
  assert.deepEqual(batches, [
    [
      { type: 'added', object: { key: 'a', v: 1 } },
      { type: 'added', object: { key: 'b', v: 1 } },
    ],
    [
      { type: 'updated', object: { key: 'a', v: 2 }, oldObject: { key: 'a', v: 1 } },
      { type: 'deleted', object: { key: 'b', v: 1 }, oldObject: { key: 'b', v: 1 } },
    ],
  ]);
  const replayed: CollectionEvent<Item>[][] = [];
  src.subscribe((b) => replayed.push([...b]));
  assert.deepEqual(replayed, [[{ type: 'added', object: { key: 'a', v: 2 } }]]);
  const quiet: CollectionEvent<Item>[][] = [];
  src.subscribe((b) => quiet.push([...b]), { replay: false });
  assert.deepEqual(quiet, []);
  registry.close();
});

test('outputs equal to the previous ones emit nothing downstream', () => {
  const { registry, src } = setup();
  let calls = 0;
  const out = derive(
    'out',
    src,
    (_ctx, x) => {
      calls++;
      return { key: x.key, v: x.v }; // ignores `note`
    },
    { registry },
  );
  let downstream = 0;
  const next = derive(
    'next',
    out,
    (_ctx, x) => {
      downstream++;
      return x;
    },
    { registry },
  );
  const events: CollectionEvent<Item>[] = [];
  out.subscribe((b) => events.push(...b), { replay: false });
  src.set({ key: 'a', v: 1 });
  registry.flush();
  assert.equal(events.length, 1);
  // A new but structurally equal input, and a change the transform ignores.
  src.set({ key: 'a', v: 1 });
  registry.flush();
  src.set({ key: 'a', v: 1, note: 'x' });
  registry.flush();
  assert.equal(calls, 2, 'equal source item emits nothing, so no recompute');
  assert.equal(events.length, 1, 'recomputed but equal output emits nothing');
  assert.equal(downstream, 1, 'nothing downstream runs');
  assert.equal(out.describe().stats.unchanged, 1);
  assert.equal(next.size, 1);
  registry.close();
});

test('a custom equals decides what counts as a change', () => {
  const { registry, src } = setup();
  const out = derive('out', src, (_ctx, x) => ({ key: x.key, v: x.v }), {
    registry,
    equals: (a, b) => Math.floor(a.v / 10) === Math.floor(b.v / 10),
  });
  src.set({ key: 'a', v: 1 });
  registry.flush();
  src.set({ key: 'a', v: 5 });
  registry.flush();
  assert.equal(out.get('a')?.v, 1, 'same decade: kept');
  src.set({ key: 'a', v: 12 });
  registry.flush();
  assert.equal(out.get('a')?.v, 12);
  registry.close();
});

test('a burst of changes folds into one recompute per key', () => {
  const { registry, src } = setup();
  let calls = 0;
  const out = derive(
    'out',
    src,
    (_ctx, x) => {
      calls++;
      return x;
    },
    { registry },
  );
  for (let i = 0; i < 100; i++) src.set({ key: 'a', v: i });
  registry.flush();
  assert.equal(calls, 1);
  assert.equal(out.get('a')?.v, 99);
  registry.close();
});

test('a throwing transform keeps its last good output, reports, and recovers', async () => {
  const errors: CollectionError[] = [];
  const { registry, src } = setup((e) => errors.push(e));
  const prom = new Registry();
  registerCollectionMetrics(prom, registry);
  const out = derive(
    'out',
    src,
    (_ctx, x) => {
      if (x.v < 0) throw new Error(`negative ${x.v}`);
      return x;
    },
    { registry },
  );
  src.set({ key: 'a', v: 1 });
  registry.flush();
  src.set({ key: 'a', v: -1 });
  registry.flush();
  assert.deepEqual(out.get('a'), { key: 'a', v: 1 });
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'KLOOP_COLLECTION_TRANSFORM');
  assert.equal(errors[0].key, 'a');
  assert.deepEqual(out.describe().errors, [{ key: 'a', message: 'negative -1' }]);
  const metrics = await prom.getSingleMetricAsString('kloop_collection_transform_errors_total');
  assert.match(metrics, /kloop_collection_transform_errors_total\{collection="out"\} 1/);
  assert.equal(registry.describe().collections.find((c) => c.name === 'out')?.errors.length, 1);
  src.set({ key: 'a', v: 2 });
  registry.flush();
  assert.deepEqual(out.get('a'), { key: 'a', v: 2 });
  assert.deepEqual(out.describe().errors, []);
  registry.close();
});

test('a throwing subscriber is reported and others still receive the batch', () => {
  const errors: CollectionError[] = [];
  const { registry, src } = setup((e) => errors.push(e));
  let got = 0;
  src.subscribe(() => {
    throw new Error('boom');
  });
  src.subscribe((b) => {
    got += b.length;
  });
  src.set({ key: 'a', v: 1 });
  registry.flush();
  assert.equal(got, 1);
  assert.equal(errors[0]?.code, 'KLOOP_COLLECTION_SUBSCRIBER');
  registry.close();
});

test('a derived collection is synced once its informer is and its first recompute is done', async () => {
  const registry = new CollectionRegistry({ scheduling: 'microtask' });
  const informer = new FakeInformer<KubeObject>();
  informer.upsert({ metadata: { name: 'a', namespace: 'd' } });
  const pods = fromInformer(informer, { registry });
  const names = derive('names', pods, (_ctx, p) => ({ key: p.metadata.name ?? '' }), { registry });
  const count = singleton('count', (ctx) => ({ n: ctx.fetch(pods).length }), { registry });
  await registry.idle();
  assert.equal(pods.hasSynced(), false);
  assert.equal(names.hasSynced(), false);
  assert.equal(count.hasSynced(), false);
  informer.upsert({ metadata: { name: 'b', namespace: 'd' } });
  informer.markSynced();
  await Promise.all([pods.synced, names.synced, count.synced]);
  assert.equal(names.size, 2);
  assert.deepEqual(count.value(), { n: 2 });
  assert.equal(pods.name, 'v1/Pod');
  registry.close();
});

test('fetching a collection created later is refused: creation order is the topological order', () => {
  const errors: CollectionError[] = [];
  const { registry, src } = setup((e) => errors.push(e));
  const holder: { later?: ReturnType<typeof staticCollection<Item>> } = {};
  const early = derive(
    'early',
    src,
    (ctx, x) => ({ key: x.key, n: holder.later ? ctx.fetch(holder.later).length : 0 }),
    { registry },
  );
  holder.later = staticCollection<Item>('later', [{ key: 'z', v: 0 }], { registry });
  src.set({ key: 'a', v: 1 });
  registry.flush();
  assert.equal(early.size, 0);
  assert.equal(errors[0]?.code, 'KLOOP_COLLECTION_ORDER');
  registry.close();
});

test('duplicate output keys: the first holder keeps it, the other takes over when it is released', () => {
  const errors: CollectionError[] = [];
  const { registry, src } = setup((e) => errors.push(e));
  const out = deriveMany('out', src, (_ctx, x) => [{ key: `shared`, v: x.v }], { registry });
  src.set({ key: 'a', v: 1 });
  registry.flush();
  src.set({ key: 'b', v: 2 });
  registry.flush();
  assert.deepEqual(out.list(), [{ key: 'shared', v: 1 }]);
  assert.equal(errors[0]?.code, 'KLOOP_COLLECTION_DUPLICATE_KEY');
  src.delete('a');
  registry.flush();
  assert.deepEqual(out.list(), [{ key: 'shared', v: 2 }]);
  registry.close();
});

test('named indexes: lookup, tracked fetch, and a taken name is refused', () => {
  const { registry, src } = setup();
  const byParity = index(src, 'parity', (x) => (x.v % 2 === 0 ? 'even' : 'odd'));
  assert.throws(() => index(src, 'parity', () => undefined), { code: 'KLOOP_COLLECTION_INDEX' });
  const evens = singleton('evens', (ctx) => ({ keys: byParity.fetch(ctx, 'even').map((x) => x.key) }), { registry });
  src.replace([
    { key: 'a', v: 1 },
    { key: 'b', v: 2 },
  ]);
  registry.flush();
  assert.deepEqual(byParity.get('odd'), [{ key: 'a', v: 1 }]);
  assert.deepEqual(evens.value(), { keys: ['b'] });
  src.set({ key: 'a', v: 4 });
  registry.flush();
  assert.deepEqual(evens.value(), { keys: ['a', 'b'] });
  assert.deepEqual(src.describe().indexes, ['parity']);
  registry.close();
});

test('immediate scheduling folds a burst into one tick without an explicit flush', async () => {
  const registry = new CollectionRegistry();
  const src = staticCollection<Item>('src', [], { registry });
  let calls = 0;
  const out = derive(
    'out',
    src,
    (_ctx, x) => {
      calls++;
      return x;
    },
    { registry },
  );
  for (let i = 0; i < 10; i++) src.set({ key: 'a', v: i });
  await registry.idle();
  assert.equal(calls, 1);
  assert.equal(out.get('a')?.v, 9);
  registry.close();
});

test('the debug dump lists collections, dependencies with filters, and a Mermaid graph', () => {
  const { registry, src } = setup();
  const other = staticCollection<Item>('other', [{ key: 'o', v: 1 }], { registry });
  derive('out', src, (ctx, x) => ({ key: x.key, n: ctx.fetch(other, { keys: [x.key, 'o'] }).length }), { registry });
  src.set({ key: 'a', v: 1 });
  registry.flush();
  const dump = registry.describe();
  const out = dump.collections.find((c) => c.name === 'out')!;
  assert.deepEqual(out.inputs, ['src', 'other']);
  assert.deepEqual(out.dependencies, [
    { collection: 'src', filter: 'primary', count: 1 },
    { collection: 'other', filter: 'keys', count: 1 },
  ]);
  assert.equal(out.size, 1);
  assert.equal(out.synced, true);
  assert.match(dump.mermaid, /^flowchart LR/);
  assert.match(dump.mermaid, /c1 --> c3/);
  assert.match(dump.mermaid, /c2 -\. "keys x1" \.-> c3/);
  registry.close();
});

test('asEventSource hands a collection to event-at-a-time consumers (controllers .watches)', () => {
  const { registry, src } = setup();
  src.set({ key: 'a', v: 1 });
  registry.flush();
  const source = asEventSource(src);
  const events: Array<{ type: string; key: string; initial: boolean; old?: number }> = [];
  const unsubscribe = source.subscribe((e) =>
    events.push({ type: e.type, key: e.object.key, initial: e.initial, old: e.oldObject?.v }),
  );
  src.set({ key: 'a', v: 2 });
  registry.flush();
  unsubscribe();
  src.set({ key: 'a', v: 3 });
  registry.flush();
  assert.deepEqual(events, [
    { type: 'added', key: 'a', initial: true, old: undefined },
    { type: 'updated', key: 'a', initial: false, old: 1 },
  ]);
  assert.equal(source.name, 'src');
  assert.equal(source.hasSynced(), true);
  registry.close();
});

test('dependsOn gates sync on a collection no transform has fetched yet', () => {
  const registry = new CollectionRegistry({ scheduling: 'manual' });
  const informer = new FakeInformer<KubeObject>();
  const pods = fromInformer(informer, { registry });
  const svcs = staticCollection<Item>('svcs', [], { registry });
  const loose = derive('loose', svcs, (ctx, s) => ({ key: s.key, n: ctx.fetch(pods).length }), { registry });
  const gated = derive('gated', svcs, (ctx, s) => ({ key: s.key, n: ctx.fetch(pods).length }), {
    registry,
    dependsOn: [pods],
  });
  registry.flush();
  assert.equal(loose.hasSynced(), true, 'no service, no fetch: nothing to wait for');
  assert.equal(gated.hasSynced(), false);
  informer.markSynced();
  registry.flush();
  assert.equal(gated.hasSynced(), true);
  registry.close();
});

test('with validate, stored items are frozen so a mutating transform fails loudly', () => {
  const errors: CollectionError[] = [];
  const registry = new CollectionRegistry({ scheduling: 'manual', validate: true, onError: (e) => errors.push(e) });
  const src = staticCollection<Item>('src', [{ key: 'a', v: 1 }], { registry });
  const out = derive(
    'out',
    src,
    (_ctx, x) => {
      x.v++; // not allowed: inputs are shared
      return x;
    },
    { registry },
  );
  registry.flush();
  assert.equal(out.size, 0);
  assert.equal(errors[0]?.code, 'KLOOP_COLLECTION_TRANSFORM');
  assert.equal(src.get('a')?.v, 1);
  registry.close();
});

test('misuse is reported with its code: context kept after return, foreign registry, missing key', () => {
  const errors: CollectionError[] = [];
  const { registry, src } = setup((e) => errors.push(e));
  const foreign = new CollectionRegistry({ scheduling: 'manual' });
  const elsewhere = staticCollection<Item>('elsewhere', [], { registry: foreign });
  let kept: FetchContext | undefined;
  derive(
    'keeps-ctx',
    src,
    (ctx, x) => {
      kept = ctx;
      return x;
    },
    { registry },
  );
  derive('foreign', src, (ctx, x) => ({ key: x.key, n: ctx.fetch(elsewhere).length }), { registry });
  derive('no-key', src, (_ctx, x) => ({ v: x.v }), { registry });
  src.set({ key: 'a', v: 1 });
  registry.flush();
  assert.throws(() => kept!.fetch(src), { code: 'KLOOP_COLLECTION_CONTEXT' });
  assert.deepEqual(errors.map((e) => e.code).sort(), ['KLOOP_COLLECTION_CONTEXT', 'KLOOP_COLLECTION_NO_KEY']);
  assert.throws(() => derive('cross', elsewhere, (_ctx, x) => x, { registry }), { code: 'KLOOP_COLLECTION_CONTEXT' });
  assert.equal(isCollection(src), true);
  assert.equal(isCollection({ subscribe() {} }), false);
  assert.equal(registry.errors().length, 2);
  foreign.close();
  registry.close();
});

test('bad user code outside transforms is reported and the tick goes on', () => {
  const errors: CollectionError[] = [];
  const registry = new CollectionRegistry({ scheduling: 'manual', onError: (e) => errors.push(e) });
  type Sel = { key: string; selector?: Record<string, string>; labels?: Record<string, string> };
  const svcs = staticCollection<Sel>('svcs', [], { registry });
  index(svcs, 'boom', (s) => {
    if (s.key === 'bad') throw new Error('index fn failed');
    return s.key;
  });
  const chosen = singleton(
    'chosen',
    (ctx) => ({ keys: ctx.fetch(svcs, { selects: { app: 'web' } }).map((s) => s.key) }),
    { registry },
  );
  svcs.set({ key: 'ok', selector: { app: 'web' } });
  svcs.set({ key: 'invalid', selector: { app: 'not a valid value!' } }); // selects nothing
  svcs.set({ key: 'bad', selector: { app: 'web' } });
  registry.flush();
  assert.deepEqual(chosen.value(), { keys: ['ok'] });
  assert.deepEqual(
    errors.map((e) => [e.code, e.key]),
    [['KLOOP_COLLECTION_TRANSFORM', 'bad']],
  );
  registry.close();
});
