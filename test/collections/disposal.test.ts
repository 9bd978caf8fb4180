// Disposal releases every subscription: informer handlers, primary-input links, reverse-index
// entries, subscribers and the registry's reference (krt #57269, #58791 leaked these).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BaseCollection } from '../../src/collections/collection.js';
import {
  type Collection,
  CollectionRegistry,
  derive,
  fromInformer,
  singleton,
  staticCollection,
} from '../../src/collections/index.js';
import type { KubeObject } from '../../src/core/types.js';
import { FakeInformer } from './fake-informer.js';

interface Item {
  key: string;
  v: number;
}

const internals = <T>(c: Collection<T>) => c as unknown as BaseCollection<T>;

test('disposing a derived collection releases its links into its inputs', () => {
  const registry = new CollectionRegistry({ scheduling: 'manual' });
  const src = staticCollection<Item>('src', [{ key: 'a', v: 1 }], { registry });
  const other = staticCollection<Item>('other', [{ key: 'a', v: 2 }], { registry });
  const out = derive('out', src, (ctx, x) => ({ key: x.key, v: x.v + (ctx.fetchOne(other, { key: x.key })?.v ?? 0) }), {
    registry,
  });
  out.subscribe(() => {});
  registry.flush();
  assert.equal(internals(other).dependents.size, 1);
  assert.equal(internals(src).primaryConsumers.size, 1);
  out.dispose();
  out.dispose(); // idempotent
  assert.equal(internals(other).dependents.size, 0);
  assert.equal(internals(src).primaryConsumers.size, 0);
  assert.equal(internals(out).subscriberCount, 0);
  assert.equal(out.size, 0);
  assert.deepEqual(
    registry.collections().map((c) => c.name),
    ['src', 'other'],
  );
  assert.equal(out.describe().disposed, true);
  assert.throws(() => out.subscribe(() => {}), { code: 'KLOOP_COLLECTION_DISPOSED' });
  // Changes to the inputs no longer reach it.
  other.set({ key: 'a', v: 5 });
  src.set({ key: 'b', v: 1 });
  registry.flush();
  assert.equal(out.size, 0);
  registry.close();
});

test('disposing a collection from an informer unsubscribes from the informer', () => {
  const registry = new CollectionRegistry({ scheduling: 'manual' });
  const informer = new FakeInformer<KubeObject>();
  const pods = fromInformer(informer, { registry });
  assert.equal(informer.subscriberCount, 1);
  pods.dispose();
  assert.equal(informer.subscriberCount, 0);
  informer.upsert({ metadata: { name: 'a' } });
  registry.flush();
  assert.equal(pods.size, 0);
  registry.close();
});

test('an AbortSignal disposes the collection', () => {
  const registry = new CollectionRegistry({ scheduling: 'manual' });
  const informer = new FakeInformer<KubeObject>();
  const ac = new AbortController();
  const pods = fromInformer(informer, { registry, signal: ac.signal });
  const count = singleton('count', (ctx) => ({ n: ctx.fetch(pods).length }), { registry, signal: ac.signal });
  registry.flush();
  assert.equal(internals(pods).dependents.size, 1);
  ac.abort();
  assert.equal(informer.subscriberCount, 0);
  assert.equal(count.describe().disposed, true);
  assert.equal(pods.describe().disposed, true);
  assert.deepEqual(registry.collections(), []);
  registry.close();
});

test('`using` disposes at the end of the block', () => {
  const registry = new CollectionRegistry({ scheduling: 'manual' });
  const src = staticCollection<Item>('src', [{ key: 'a', v: 1 }], { registry });
  {
    using doubled = derive('doubled', src, (_ctx, x) => ({ key: x.key, v: x.v * 2 }), { registry });
    registry.flush();
    assert.equal(doubled.get('a')?.v, 2);
    assert.equal(internals(src).primaryConsumers.size, 1);
  }
  assert.equal(internals(src).primaryConsumers.size, 0);
  assert.deepEqual(
    registry.collections().map((c) => c.name),
    ['src'],
  );
  registry.close();
});

test('creating and dropping collections many times leaves nothing behind', () => {
  const registry = new CollectionRegistry({ scheduling: 'manual' });
  const src = staticCollection<Item>('src', [{ key: 'a', v: 1 }], { registry });
  const other = staticCollection<Item>('other', [{ key: 'a', v: 1 }], { registry });
  for (let i = 0; i < 500; i++) {
    const d = derive(
      `d${i}`,
      src,
      (ctx, x) => ({ key: x.key, n: ctx.fetch(other, { namespace: 'x', labelSelector: 'a=b' }).length }),
      { registry },
    );
    const unsubscribe = d.subscribe(() => {});
    registry.flush();
    unsubscribe();
    d.dispose();
  }
  assert.equal(internals(other).dependents.size, 0);
  assert.equal(internals(src).primaryConsumers.size, 0);
  assert.equal(registry.collections().length, 2);
  registry.close();
});

test('registry.close disposes everything and cancels a scheduled tick', async () => {
  const registry = new CollectionRegistry(); // immediate scheduling
  const informer = new FakeInformer<KubeObject>();
  const pods = fromInformer(informer, { registry });
  derive('names', pods, (_ctx, p) => ({ key: p.metadata.name ?? '' }), { registry });
  informer.upsert({ metadata: { name: 'a' } });
  assert.equal(registry.busy, true);
  registry.close();
  assert.equal(registry.busy, false);
  assert.equal(informer.subscriberCount, 0);
  assert.deepEqual(registry.collections(), []);
  await registry.idle();
});
