// Model test: after random adds, updates and deletes (applied in random tick groupings), every
// collection kind and every filter kind must hold exactly what a from-scratch, scan-everything
// evaluation of the same transforms over the final inputs gives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  type Collection,
  CollectionRegistry,
  derive,
  deriveMany,
  type FetchContext,
  type Filter,
  fromInformer,
  index,
  join,
  singleton,
  staticCollection,
} from '../../src/collections/index.js';
import { defaultKeyOf, toKeyString as keyString } from '../../src/collections/meta.js';
import { type LabelSelectorSpec, labelSelectorFromSpec, parseLabelSelector } from '../../src/core/selectors.js';
import type { KubeObject } from '../../src/core/types.js';
import { FakeInformer } from './fake-informer.js';

interface Pod extends KubeObject {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  node?: string;
  weight: number;
}

interface Svc extends KubeObject {
  metadata: { name: string; namespace: string };
  spec: { selector?: Record<string, string> | LabelSelectorSpec };
  node?: string;
  threshold: number;
  text: string;
}

type Key = { namespace: string; name: string };

/** What a graph definition needs; implemented by kloop and by the naive evaluator. */
interface Builder {
  derive<I, O>(name: string, input: Collection<I>, fn: (ctx: FetchContext, item: I) => O | undefined): Collection<O>;
  deriveMany<I, O>(name: string, input: Collection<I>, fn: (ctx: FetchContext, item: I) => O[]): Collection<O>;
  singleton<O>(name: string, fn: (ctx: FetchContext) => O | undefined): Collection<O>;
  join<T>(name: string, inputs: Collection<T>[], merge?: (items: readonly T[]) => T | undefined): Collection<T>;
  index<T>(c: Collection<T>, name: string, fn: (item: T) => string | undefined): void;
}

const names = (xs: Array<{ metadata: { name: string } }>) => xs.map((x) => x.metadata.name);
const skey = (s: Svc): Key => ({ namespace: s.metadata.namespace, name: s.metadata.name });

/** The graph under test: every kind and every filter kind, plus derived-of-derived and joins. */
function graph(b: Builder, pods: Collection<Pod>, svcs: Collection<Svc>): Map<string, Collection<unknown>> {
  const out = new Map<string, Collection<unknown>>();
  const add = <T>(c: Collection<T>) => {
    out.set(c.name, c as Collection<unknown>);
    return c;
  };
  const eps = add(
    b.derive('eps', svcs, (ctx, s) => ({
      key: skey(s),
      ips: names(ctx.fetch(pods, { namespace: s.metadata.namespace, labelSelector: s.spec.selector })),
    })),
  );
  const podSvcs = add(
    b.derive('podSvcs', pods, (ctx, p) => ({
      key: { namespace: p.metadata.namespace, name: p.metadata.name },
      svcs: names(ctx.fetch(svcs, { namespace: p.metadata.namespace, selects: p.metadata.labels ?? {} })),
    })),
  );
  add(b.derive('byKey', svcs, (ctx, s) => ({ key: skey(s), w: ctx.fetchOne(pods, { key: skey(s) })?.weight ?? null })));
  add(
    b.derive('byKeys', svcs, (ctx, s) => ({
      key: skey(s),
      pods: names(
        ctx.fetch(pods, {
          keys: [`${s.metadata.namespace}/p0`, { namespace: s.metadata.namespace, name: s.metadata.name }],
        }),
      ),
    })),
  );
  // Returns nothing when the namespace is empty: derive may produce no output.
  add(
    b.derive('byNs', svcs, (ctx, s) => {
      const n = ctx.fetch(pods, { namespace: s.metadata.namespace }).length;
      return n === 0 ? undefined : { key: skey(s), n };
    }),
  );
  b.index(pods, 'node', (p) => p.node);
  add(
    b.derive('byIndex', svcs, (ctx, s) => ({
      key: skey(s),
      pods: names(ctx.fetch(pods, { index: { name: 'node', value: s.node ?? 'none' } })),
    })),
  );
  add(
    b.derive('byWhere', svcs, (ctx, s) => ({
      key: skey(s),
      n: ctx.fetch(pods, { where: (p) => p.weight >= s.threshold }).length,
    })),
  );
  add(
    b.derive('byText', svcs, (ctx, s) => ({ key: skey(s), pods: names(ctx.fetch(pods, { labelSelector: s.text })) })),
  );
  add(
    b.deriveMany('labels', pods, (_ctx, p) =>
      Object.entries(p.metadata.labels ?? {}).map(([k, v]) => ({
        key: `${p.metadata.namespace}/${p.metadata.name}/${k}`,
        v,
      })),
    ),
  );
  add(
    b.singleton('perNs', (ctx) => {
      const counts: Record<string, number> = {};
      for (const p of ctx.fetch(pods)) counts[p.metadata.namespace] = (counts[p.metadata.namespace] ?? 0) + 1;
      return Object.keys(counts).length === 0 ? undefined : { counts };
    }),
  );
  type Tagged = { key: Key; src: string[] };
  const ja = b.derive<Svc, Tagged>('ja', svcs, (_ctx, s) =>
    s.threshold > 1 ? { key: skey(s), src: [`svc${s.threshold}`] } : undefined,
  );
  const jb = b.derive<Pod, Tagged>('jb', pods, (_ctx, p) => ({
    key: { namespace: p.metadata.namespace, name: p.metadata.name },
    src: [`pod${p.weight}`],
  }));
  add(b.join('joinFirst', [ja, jb]));
  add(b.join('joinMerge', [ja, jb], (items) => ({ key: items[0].key, src: items.flatMap((i) => i.src) })));
  // Derived of derived, with a fetch into another derived collection.
  add(
    b.derive('chain', eps, (ctx, ep) => ({
      key: ep.key,
      n: ep.ips.length,
      selectedBy: ctx.fetchOne(podSvcs, { key: { namespace: ep.key.namespace, name: 'p0' } })?.svcs.length ?? -1,
    })),
  );
  return out;
}

function keyOf(item: unknown, name?: string): string {
  return defaultKeyOf(item, name);
}

function toSel(input: unknown) {
  if (input === undefined || input === null) return undefined;
  if (typeof input === 'string') return parseLabelSelector(input);
  const spec = input as LabelSelectorSpec;
  return 'matchLabels' in spec || 'matchExpressions' in spec
    ? labelSelectorFromSpec(spec)
    : labelSelectorFromSpec({ matchLabels: input as Record<string, string> });
}

/** Evaluates a graph definition from scratch, scanning everything, with no kloop machinery. */
function naiveBuilder(sources: Map<string, unknown[]>): Builder {
  const data = new Map<string, Array<[string, unknown]>>();
  const indexes = new Map<string, (item: unknown) => string | undefined>();
  const sorted = (items: Array<[string, unknown]>) => items.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [name, items] of sources) data.set(name, sorted(items.map((i) => [keyOf(i), i])));
  const handle = <T>(name: string) => ({ name }) as unknown as Collection<T>;
  const matches = (cname: string, f: Filter<unknown>, key: string, item: unknown): boolean => {
    const it = item as Record<string, never> & {
      metadata?: { namespace?: string; labels?: Record<string, string> };
      key?: Key;
      spec?: { selector?: unknown };
    };
    if (f.key !== undefined && keyString(f.key) !== key) return false;
    if (f.keys !== undefined && !f.keys.map(keyString).includes(key)) return false;
    if (f.namespace !== undefined && (it.metadata?.namespace ?? it.key?.namespace) !== f.namespace) return false;
    if ('labelSelector' in f) {
      const sel = toSel(f.labelSelector);
      if (sel === undefined || !sel.matches(it.metadata?.labels)) return false;
    }
    if (f.selects !== undefined) {
      const sel = toSel(it.spec?.selector);
      if (sel === undefined || !sel.matches(f.selects)) return false;
    }
    if (f.index !== undefined && indexes.get(`${cname}/${f.index.name}`)?.(item) !== f.index.value) return false;
    if (f.where !== undefined && !f.where(item)) return false;
    return true;
  };
  const ctx: FetchContext = {
    fetch<U>(c: Collection<U>, f: Filter<U> = {}): U[] {
      return (data.get(c.name) ?? [])
        .filter(([k, i]) => matches(c.name, f as Filter<unknown>, k, i))
        .map(([, i]) => i as U);
    },
    fetchOne<U>(c: Collection<U>, f?: Filter<U>): U | undefined {
      return this.fetch(c, f)[0];
    },
  };
  const items = <T>(c: Collection<T>) => (data.get(c.name) ?? []).map(([, i]) => i as T);
  const put = <T>(name: string, outs: unknown[]) => {
    data.set(name, sorted(outs.map((o) => [keyOf(o), o])));
    return handle<T>(name);
  };
  return {
    derive: (name, input, fn) =>
      put(
        name,
        items(input)
          .map((i) => fn(ctx, i))
          .filter((o) => o !== undefined),
      ),
    deriveMany: (name, input, fn) =>
      put(
        name,
        items(input).flatMap((i) => fn(ctx, i)),
      ),
    singleton: (name, fn) => {
      const v = fn(ctx);
      data.set(name, v === undefined ? [] : [[name, v]]);
      return handle(name);
    },
    join: <T>(name: string, inputs: Collection<T>[], merge?: (items: readonly T[]) => T | undefined) => {
      const byKey = new Map<string, T[]>();
      for (const c of inputs)
        for (const [k, i] of data.get(c.name) ?? []) byKey.set(k, [...(byKey.get(k) ?? []), i as T]);
      const outs: T[] = [];
      for (const group of byKey.values()) {
        const v = merge ? merge(group) : group[0];
        if (v !== undefined) outs.push(v);
      }
      return put<T>(name, outs);
    },
    index: (c, name, fn) => {
      indexes.set(`${c.name}/${name}`, fn as (item: unknown) => string | undefined);
    },
  };
}

function kloopBuilder(registry: CollectionRegistry): Builder {
  return {
    derive: (name, input, fn) => derive(name, input, fn, { registry }),
    deriveMany: (name, input, fn) => deriveMany(name, input, fn, { registry }),
    singleton: (name, fn) => singleton(name, fn, { registry }),
    join: (name, inputs, merge) => join(name, inputs, { registry, merge }),
    index: (c, name, fn) => {
      index(c, name, fn);
    },
  };
}

const NS = ['a', 'b'];
const NAMES = ['p0', 'p1', 'p2', 'p3', 's0', 's1'];
const labelsArb = fc.record(
  { app: fc.constantFrom('a', 'b', 'c'), tier: fc.constantFrom('x', 'y') },
  { requiredKeys: [] },
);
const podArb = fc.record({
  ns: fc.constantFrom(...NS),
  name: fc.constantFrom(...NAMES),
  labels: fc.option(labelsArb, { nil: undefined }),
  node: fc.option(fc.constantFrom('n1', 'n2'), { nil: undefined }),
  weight: fc.integer({ min: 0, max: 3 }),
});
const selectorArb = fc.oneof(
  fc.constant(undefined),
  labelsArb,
  fc.record({
    matchLabels: fc.option(labelsArb, { nil: undefined }),
    matchExpressions: fc.array(
      fc.oneof(
        fc.record({
          key: fc.constantFrom('app', 'tier'),
          operator: fc.constantFrom('In', 'NotIn'),
          values: fc.uniqueArray(fc.constantFrom('a', 'b', 'x'), { minLength: 1, maxLength: 2 }),
        }),
        fc.record({ key: fc.constantFrom('app', 'tier'), operator: fc.constantFrom('Exists', 'DoesNotExist') }),
      ),
      { maxLength: 2 },
    ),
  }),
);
const svcArb = fc.record({
  ns: fc.constantFrom(...NS),
  name: fc.constantFrom(...NAMES),
  selector: selectorArb,
  node: fc.option(fc.constantFrom('n1', 'n2'), { nil: undefined }),
  threshold: fc.integer({ min: 0, max: 3 }),
  text: fc.constantFrom('app=a', 'app in (a,b),tier!=x', 'tier', '!tier', '', 'app notin (c)', 'app=b,tier=y'),
});
const opArb = fc.oneof(
  { weight: 4, arbitrary: podArb.map((p) => ({ op: 'pod' as const, p })) },
  {
    weight: 2,
    arbitrary: fc
      .record({ ns: fc.constantFrom(...NS), name: fc.constantFrom(...NAMES) })
      .map((k) => ({ op: 'delPod' as const, k })),
  },
  { weight: 3, arbitrary: svcArb.map((s) => ({ op: 'svc' as const, s })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ ns: fc.constantFrom(...NS), name: fc.constantFrom(...NAMES) })
      .map((k) => ({ op: 'delSvc' as const, k })),
  },
  { weight: 2, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'sync' as const }) },
);

function makePod(p: { ns: string; name: string; labels?: Record<string, string>; node?: string; weight: number }): Pod {
  const pod: Pod = { metadata: { name: p.name, namespace: p.ns }, weight: p.weight };
  if (p.labels) pod.metadata.labels = p.labels;
  if (p.node) pod.node = p.node;
  return pod;
}

test('every kind and filter equals a from-scratch recompute after random changes', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
      const registry = new CollectionRegistry({
        scheduling: 'manual',
        onError: (e) => assert.fail(`${e.code}: ${e.message}`),
      });
      const informer = new FakeInformer<Pod>();
      const pods = fromInformer(informer, { registry, name: 'pods' });
      const svcs = staticCollection<Svc>('svcs', [], { registry });
      const collections = graph(kloopBuilder(registry), pods, svcs);
      // Each collection's events, applied to a mirror, must rebuild the collection exactly, and
      // no event may be a no-op (an update to an equal item).
      const mirrors = new Map<string, Map<string, unknown>>();
      const noops: string[] = [];
      for (const c of [pods, svcs, ...collections.values()] as Collection<unknown>[]) {
        const mirror = new Map<string, unknown>();
        mirrors.set(c.name, mirror);
        c.subscribe((batch) => {
          for (const e of batch) {
            const key = c.keyOf(e.object);
            if (e.type === 'deleted') mirror.delete(key);
            else mirror.set(key, e.object);
            if (e.type === 'updated' && isDeepStrictEqual(e.object, e.oldObject)) noops.push(`${c.name} ${key}`);
          }
        });
      }
      const svcModel = new Map<string, Svc>();
      for (const o of ops) {
        if (o.op === 'pod') informer.upsert(makePod(o.p));
        else if (o.op === 'delPod') informer.remove(`${o.k.ns}/${o.k.name}`);
        else if (o.op === 'svc') {
          const s: Svc = {
            metadata: { name: o.s.name, namespace: o.s.ns },
            spec: {},
            threshold: o.s.threshold,
            text: o.s.text,
          };
          if (o.s.selector !== undefined) s.spec.selector = o.s.selector as Svc['spec']['selector'];
          if (o.s.node) s.node = o.s.node;
          svcModel.set(`${o.s.ns}/${o.s.name}`, s);
          svcs.set(s);
        } else if (o.op === 'delSvc') {
          svcModel.delete(`${o.k.ns}/${o.k.name}`);
          svcs.delete({ namespace: o.k.ns, name: o.k.name });
        } else if (o.op === 'flush') registry.flush();
        else informer.markSynced();
      }
      registry.flush();
      const naive = naiveBuilder(
        new Map<string, unknown[]>([
          ['pods', [...informer.items.values()]],
          ['svcs', [...svcModel.values()]],
        ]),
      );
      const expected = graph(
        naive,
        { name: 'pods' } as unknown as Collection<Pod>,
        { name: 'svcs' } as unknown as Collection<Svc>,
      );
      for (const [name, c] of collections)
        assert.deepEqual(c.list(), expectedItems(expected.get(name)!, naive), `collection ${name}`);
      for (const c of [pods, svcs, ...collections.values()] as Collection<unknown>[]) {
        const mirror = mirrors.get(c.name)!;
        assert.deepEqual(
          [...mirror.keys()].sort(),
          c.list().map((i) => c.keyOf(i)),
          `events rebuild ${c.name}`,
        );
        for (const item of c.list()) assert.equal(mirror.get(c.keyOf(item)), item, `events rebuild ${c.name}`);
      }
      assert.deepEqual(noops, []);
      // Synced follows the informer: a collection over pods is synced exactly when it is.
      assert.equal(pods.hasSynced(), informer.hasSynced());
      assert.equal(collections.get('labels')!.hasSynced(), informer.hasSynced());
      assert.equal(collections.get('joinFirst')!.hasSynced(), informer.hasSynced());
      if (informer.hasSynced()) for (const c of collections.values()) assert.ok(c.hasSynced(), `synced ${c.name}`);
      registry.close();
    }),
    { numRuns: 150 },
  );
});

/** Items of a naive handle, read through a from-scratch fetch of everything. */
function expectedItems(h: Collection<unknown>, b: Builder): unknown[] {
  let items: unknown[] = [];
  b.singleton('__read', (ctx) => {
    items = ctx.fetch(h);
    return undefined;
  });
  return items;
}
