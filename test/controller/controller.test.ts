import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { ControllerBuilder } from '../../src/controller/builder.js';
import { type Controller, ControllerConfigError } from '../../src/controller/controller.js';
import { generationChanged, labelSelector } from '../../src/controller/predicates.js';
import type {
  CachedClientApi,
  ReconcileContext,
  Reconciler,
  Request,
  ScopableClient,
  WriteAttribution,
} from '../../src/controller/types.js';
import { ManualClock } from '../../src/core/clock.js';
import { ApiError, makeStatus, TerminalError } from '../../src/core/errors.js';
import type { KubeObject } from '../../src/core/types.js';
import { FakeInformer, FakeInformers, waitFor } from './fakes.js';

const ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap' };
const Secret = { apiVersion: 'v1', kind: 'Secret' };
const Namespace = { apiVersion: 'v1', kind: 'Namespace' };

const cm = (name: string, extra: Partial<KubeObject> = {}, meta: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: 'ns', name, uid: `uid-${name}`, ...meta },
  ...extra,
});

function build(
  fn: Reconciler,
  configure: (b: ControllerBuilder) => ControllerBuilder = (b) => b.for(ConfigMap),
  opts: { clock?: ManualClock; client?: ScopableClient } = {},
) {
  const informers = new FakeInformers();
  const registry = new Registry();
  const builder = new ControllerBuilder('test', { informers, registry, clock: opts.clock, client: opts.client });
  const controller = configure(builder).reconcile(fn);
  return { informers, registry, controller };
}

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const values = (m?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>;
  return values
    .filter((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val))
    .reduce((n, x) => n + x.value, 0);
}

describe('Controller', () => {
  it('reconciles a key with its triggers and changed fields', async () => {
    const seen: Request[] = [];
    const { informers, controller } = build((req) => {
      seen.push(req);
    });
    await controller.start();
    const inf = informers.of(ConfigMap);
    inf.upsert(cm('a', { data: { x: '1' } }));
    await waitFor(() => seen.length === 1);
    inf.upsert(cm('a', { data: { x: '2' } }, { labels: { l: '1' } }));
    await waitFor(() => seen.length === 2);
    assert.deepEqual(seen[0].key, { namespace: 'ns', name: 'a' });
    assert.equal(seen[0].triggers[0].source, 'for:v1/ConfigMap');
    assert.equal(seen[0].triggers[0].event, 'added');
    assert.deepEqual(seen[1].triggers[0].changed, ['data', 'metadata.labels']);
    assert.equal(seen[1].triggers[0].object?.name, 'a');
    await controller.stop();
    assert.equal(inf.subscribers, 0);
  });

  it('folds a burst of 1000 updates during a slow reconcile into at most 2 reconciles', async () => {
    const seen: Request[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { informers, controller, registry } = build(async (req) => {
      seen.push(req);
      if (seen.length === 1) await gate;
    });
    await controller.start();
    const inf = informers.of(ConfigMap);
    for (let i = 0; i < 1000; i++) inf.upsert(cm('a', { data: { i: String(i) } }));
    await waitFor(() => seen.length === 1);
    release();
    await waitFor(() => controller.queue.inFlightCount === 0 && controller.queue.depth === 0);
    assert.ok(seen.length <= 2, `${seen.length} reconciles`);
    assert.equal(
      seen.reduce((n, r) => n + r.totalTriggers, 0),
      1000,
    );
    assert.equal(await metric(registry, 'kloop_reconcile_triggers_total', { source: 'for:v1/ConfigMap' }), 1000);
    await controller.stop();
  });

  it('scopes per-source predicates to their source and eventFilter to all, and describes it', async () => {
    const seen: Request[] = [];
    const { informers, controller } = build(
      (req) => {
        seen.push(req);
      },
      (b) =>
        b
          .for(ConfigMap, { predicates: [labelSelector('mirror=true')] })
          .owns(Secret)
          .eventFilter(generationChanged()),
    );
    assert.deepEqual(controller.describe().sources, [
      { source: 'for:v1/ConfigMap', kind: 'for', predicates: ['labelSelector(mirror=true)'] },
      { source: 'owns:v1/Secret', kind: 'owns', predicates: [] },
    ]);
    assert.deepEqual(controller.describe().eventFilters, ['generationChanged']);
    await controller.start();
    const cms = informers.of(ConfigMap);
    const secrets = informers.of(Secret);
    cms.upsert(cm('unlabelled'));
    cms.upsert(cm('labelled', {}, { labels: { mirror: 'true' }, generation: 1 }));
    // The labelSelector is for the ConfigMap source only: an unlabelled owned Secret passes.
    secrets.upsert({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        namespace: 'ns',
        name: 's',
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'u', controller: true }],
      },
    });
    await waitFor(() => seen.length === 2);
    assert.deepEqual(seen.map((r) => r.key.name).sort(), ['labelled', 'owner']);
    // eventFilter guards every source: a Secret update without a generation change is dropped.
    secrets.upsert({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        namespace: 'ns',
        name: 's',
        labels: { x: 'y' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'u', controller: true }],
      },
    });
    cms.upsert(cm('labelled', { data: { a: 'b' } }, { labels: { mirror: 'true' }, generation: 1 }));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(seen.length, 2);
    await controller.stop();
  });

  it('maps owned objects to the controlling owner only, and watches through a mapper', async () => {
    const seen: Request[] = [];
    const { informers, controller } = build(
      (req) => {
        seen.push(req);
      },
      (b) =>
        b
          .for(ConfigMap)
          .owns(Secret)
          .watches(Namespace, (ns) => ({ namespace: ns.metadata.name, name: 'from-ns' })),
    );
    await controller.start();
    informers.of(Secret).upsert({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        namespace: 'ns',
        name: 's1',
        ownerReferences: [
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'not-controller', uid: 'u1' },
          { apiVersion: 'apps/v1', kind: 'ConfigMap', name: 'other-group', uid: 'u2', controller: true },
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'the-owner', uid: 'u3', controller: true },
        ],
      },
    });
    informers.of(Secret).upsert({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'ns', name: 'orphan' } });
    informers.of(Namespace).upsert({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    await waitFor(() => seen.length === 2);
    const byName = Object.fromEntries(seen.map((r) => [r.key.name, r]));
    assert.deepEqual(byName['the-owner'].key, { namespace: 'ns', name: 'the-owner' });
    assert.equal(byName['the-owner'].triggers[0].source, 'owns:v1/Secret');
    assert.equal(byName['the-owner'].triggers[0].object?.name, 's1');
    assert.deepEqual(byName['from-ns'].key, { namespace: 'team', name: 'from-ns' });
    assert.equal(byName['from-ns'].triggers[0].source, 'watches:v1/Namespace');
    await controller.stop();
  });

  it('maps owned objects to a cluster-scoped owner even when the owned informer replays before the owner informer syncs', async () => {
    const Tenant = { apiVersion: 'example.com/v1', kind: 'Tenant' };
    const seen: Request[] = [];
    const informers = new FakeInformers();
    const tenants = new FakeInformer(Tenant, false);
    informers.informers.set('example.com/v1/Tenant', tenants);
    informers.of(ConfigMap).upsert(
      cm(
        'settings',
        {},
        {
          ownerReferences: [
            { apiVersion: 'example.com/v1', kind: 'Tenant', name: 'acme', uid: 't1', controller: true },
          ],
        },
      ),
    );
    const controller = new ControllerBuilder('tenants', { informers, registry: new Registry() })
      .owns(ConfigMap)
      .for(Tenant)
      .reconcile((req) => {
        seen.push(req);
      });
    const started = controller.start();
    await new Promise((r) => setTimeout(r, 5));
    // The owner informer's first list lands after the owned informer replayed its store.
    tenants.upsert({ apiVersion: 'example.com/v1', kind: 'Tenant', metadata: { name: 'acme', uid: 't1' } }, true);
    tenants.markSynced();
    await started;
    await waitFor(() => seen.length >= 1);
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(
      seen.map((r) => r.key),
      [{ name: 'acme' }],
    );
    await controller.stop();
  });

  it('watches any subscribe-able source through a mapper, and rejects a controller without for()', async () => {
    const handlers = new Set<(e: import('../../src/cache/types.js').InformerEvent) => void>();
    const source = {
      name: 'endpoints',
      synced: Promise.resolve(),
      subscribe(h: (e: import('../../src/cache/types.js').InformerEvent) => void) {
        handlers.add(h);
        return () => handlers.delete(h);
      },
    };
    const seen: Request[] = [];
    const { controller } = build(
      (req) => {
        seen.push(req);
      },
      (b) =>
        b.for(ConfigMap).watches(source, (o) => ({ namespace: o.metadata.namespace, name: `${o.metadata.name}-cfg` })),
    );
    await controller.start();
    for (const h of handlers) h({ type: 'added', object: cm('svc'), initial: false });
    await waitFor(() => seen.length === 1);
    assert.equal(seen[0].key.name, 'svc-cfg');
    assert.equal(seen[0].triggers[0].source, 'watches:endpoints');
    await controller.stop();
    assert.equal(handlers.size, 0, 'unsubscribed on stop');
    assert.throws(
      () => new ControllerBuilder('x', { informers: new FakeInformers() }).reconcile(() => {}),
      (err: unknown) => err instanceof ControllerConfigError && err.code === 'KLOOP_CONTROLLER_CONFIG',
    );
  });

  it('gives initial-list events low priority', async () => {
    const order: string[] = [];
    const informers = new FakeInformers();
    const inf = informers.of(ConfigMap);
    for (let i = 0; i < 5; i++) inf.upsert(cm(`initial${i}`), true);
    const c: Controller = new ControllerBuilder('prio', { informers }).for(ConfigMap).reconcile((req) => {
      order.push(req.key.name);
    });
    // Subscribe and enqueue before any worker runs, then add a live event.
    const started = c.start();
    inf.upsert(cm('live'));
    await started;
    await waitFor(() => order.length === 6);
    assert.equal(order[0], 'live');
    await c.stop();
  });

  it('retries a throwing reconcile with backoff, stops on TerminalError, requeues conflicts quietly', async () => {
    const clock = new ManualClock();
    const calls: Request[] = [];
    const { informers, controller, registry } = build(
      (req) => {
        calls.push(req);
        if (req.key.name === 'fail' && calls.filter((r) => r.key.name === 'fail').length <= 2) throw new Error('boom');
        if (req.key.name === 'terminal') throw new TerminalError(new Error('bad spec'));
        if (req.key.name === 'conflict' && calls.filter((r) => r.key.name === 'conflict').length === 1) {
          throw new ApiError(makeStatus(409, 'Conflict', 'the object has been modified'));
        }
      },
      undefined,
      { clock },
    );
    await controller.start();
    const inf = informers.of(ConfigMap);
    inf.upsert(cm('fail'));
    inf.upsert(cm('terminal'));
    inf.upsert(cm('conflict'));
    await waitFor(() => calls.length === 3);
    await waitFor(() => controller.queue.inFlightCount === 0);
    clock.advance(5);
    await waitFor(() => calls.length === 5, 5000, 'first retries');
    const retry = calls.find((r, i) => i >= 3 && r.key.name === 'fail')!;
    assert.equal(retry.triggers[0].source, 'retry');
    assert.equal(retry.triggers[0].error, 'boom');
    assert.equal(retry.retries, 1);
    await waitFor(() => controller.queue.inFlightCount === 0);
    clock.advance(10);
    await waitFor(() => calls.filter((r) => r.key.name === 'fail').length === 3, 5000, 'second retry');
    clock.advance(10_000);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(calls.filter((r) => r.key.name === 'terminal').length, 1);
    assert.equal(calls.filter((r) => r.key.name === 'conflict').length, 2);
    assert.equal(await metric(registry, 'kloop_reconcile_total', { result: 'conflict' }), 1);
    assert.equal(await metric(registry, 'kloop_reconcile_total', { result: 'terminal_error' }), 1);
    assert.equal(await metric(registry, 'kloop_reconcile_total', { result: 'error' }), 2);
    assert.equal(await metric(registry, 'kloop_reconcile_total', { result: 'success' }), 2);
    await controller.stop();
  });

  it('requeues after requeueAfter with a requeue trigger', async () => {
    const clock = new ManualClock();
    const calls: Request[] = [];
    const { informers, controller } = build(
      (req) => {
        calls.push(req);
        return calls.length === 1 ? { requeueAfter: 30_000 } : undefined;
      },
      undefined,
      { clock },
    );
    await controller.start();
    informers.of(ConfigMap).upsert(cm('a'));
    await waitFor(() => calls.length === 1 && controller.queue.inFlightCount === 0);
    clock.advance(29_999);
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(calls.length, 1);
    clock.advance(1);
    await waitFor(() => calls.length === 2);
    assert.deepEqual(
      calls[1].triggers.map((t) => t.source),
      ['requeue'],
    );
    await controller.stop();
  });

  it('runs a new event at once despite a pending requeueAfter: the sooner wins, once', async () => {
    const clock = new ManualClock();
    const calls: Request[] = [];
    const { informers, controller } = build(
      (req) => {
        calls.push(req);
        return calls.length === 1 ? { requeueAfter: 30_000 } : undefined;
      },
      undefined,
      { clock },
    );
    await controller.start();
    const inf = informers.of(ConfigMap);
    inf.upsert(cm('a'));
    await waitFor(() => calls.length === 1 && controller.queue.inFlightCount === 0);
    clock.advance(1000);
    inf.upsert(cm('a', { data: { k: 'v' } }));
    await waitFor(() => calls.length === 2, 5000, 'the event does not wait for the requeue');
    assert.deepEqual(calls[1].triggers.map((t) => `${t.source} ${t.event}`).sort(), [
      'for:v1/ConfigMap updated',
      'requeue requeue',
    ]);
    await waitFor(() => controller.queue.inFlightCount === 0);
    clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(calls.length, 2, 'the requeue folded into the earlier run');
    await controller.stop();
  });

  it('does not let a hanging reconcile stall other keys; the timeout aborts ctx.signal', async () => {
    const seen: string[] = [];
    let hungSignal: AbortSignal | undefined;
    let finishHung!: () => void;
    const { informers, controller, registry } = build(
      async (req, ctx: ReconcileContext) => {
        if (req.key.name === 'hang' && hungSignal === undefined) {
          hungSignal = ctx.signal;
          await new Promise<void>((r) => {
            finishHung = r;
          });
        }
        seen.push(req.key.name);
      },
      (b) => b.for(ConfigMap).timeout(30),
    );
    await controller.start();
    const inf = informers.of(ConfigMap);
    inf.upsert(cm('hang'));
    await waitFor(() => hungSignal !== undefined);
    inf.upsert(cm('other'));
    await waitFor(() => seen.includes('other'), 5000, 'other key despite a hung one (concurrency 1)');
    assert.equal(hungSignal?.aborted, true);
    assert.equal(await metric(registry, 'kloop_reconcile_total', { result: 'timeout' }), 1);
    assert.ok(controller.queue.isInFlight({ namespace: 'ns', name: 'hang' }), 'still in flight: never run twice');
    finishHung();
    await waitFor(() => seen.filter((n) => n === 'hang').length >= 1, 5000, 'retry after timeout');
    await controller.stop();
  });

  it('never runs one key in two of 8 workers at once', async () => {
    const active = new Set<string>();
    let violations = 0;
    let runs = 0;
    const { informers, controller } = build(
      async (req) => {
        const id = req.key.name;
        if (active.has(id)) violations++;
        active.add(id);
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        active.delete(id);
        runs++;
      },
      (b) => b.for(ConfigMap).concurrency(8),
    );
    await controller.start();
    const inf = informers.of(ConfigMap);
    for (let i = 0; i < 300; i++) {
      inf.upsert(cm(`k${i % 12}`, { data: { i: String(i) } }));
      if (i % 25 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await waitFor(
      () => controller.queue.depth === 0 && controller.queue.inFlightCount === 0 && controller.queue.waiting === 0,
    );
    assert.equal(violations, 0);
    assert.ok(runs >= 12);
    await controller.stop();
  });

  it('detects a hot loop: a reconcile that rewrites its own object each time', async () => {
    const informers = new FakeInformers();
    const registry = new Registry();
    const inf = informers.of(ConfigMap);
    let attribution: WriteAttribution | undefined;
    // A client whose patch bumps a timestamp annotation, reports the write and updates the cache.
    const client = {
      scoped(a: WriteAttribution): CachedClientApi {
        return {
          async patch(current: KubeObject) {
            attribution = a;
            const next = inf.upsert({
              ...current,
              metadata: {
                ...current.metadata,
                resourceVersion: undefined,
                annotations: { stamp: String(Math.random()) },
              },
            });
            a.onWrite?.({
              type: 'v1/ConfigMap',
              key: { namespace: 'ns', name: current.metadata.name! },
              kind: 'patch',
              fields: ['metadata.annotations'],
              bytes: 10,
            });
            return { object: next, sent: true };
          },
        } as unknown as CachedClientApi;
      },
    } as unknown as ScopableClient;
    let runs = 0;
    const controller = new ControllerBuilder('hot', { informers, registry, client })
      .for(ConfigMap)
      .reconcile(async (req, ctx) => {
        runs++;
        if (runs > 20) return;
        const current = inf.get(req.key)!;
        await ctx.client.patch(current, current);
      });
    await controller.start();
    inf.upsert(cm('loop'));
    await waitFor(() => runs > 20);
    assert.equal(await metric(registry, 'kloop_hot_loops_total', { controller: 'hot' }), 1);
    assert.equal(attribution?.controller, 'hot');
    assert.deepEqual(attribution?.key, { namespace: 'ns', name: 'loop' });
    await controller.stop();
  });

  it('resyncs every object of the for informer at low priority when asked', async () => {
    const clock = new ManualClock();
    const seen: Request[] = [];
    const { informers, controller } = build(
      (req) => {
        seen.push(req);
      },
      (b) => b.for(ConfigMap).options({ resyncMs: 60_000 }),
      { clock },
    );
    informers.of(ConfigMap).upsert(cm('a'));
    informers.of(ConfigMap).upsert(cm('b'));
    await controller.start();
    await waitFor(() => seen.length === 2 && controller.queue.inFlightCount === 0);
    clock.advance(60_000);
    await waitFor(() => seen.length === 4);
    assert.deepEqual(
      seen.slice(2).map((r) => [r.key.name, r.triggers[0].source]),
      [
        ['a', 'resync'],
        ['b', 'resync'],
      ],
    );
    await controller.stop();
    assert.equal(clock.pendingTimers(), 0);
  });

  it('returns from stop even when a reconcile ignores its aborted signal', async () => {
    let started = false;
    const { informers, controller } = build(async () => {
      started = true;
      await new Promise<void>(() => {});
    });
    await controller.start();
    informers.of(ConfigMap).upsert(cm('stuck'));
    await waitFor(() => started);
    const t0 = Date.now();
    await controller.stop(10);
    assert.ok(Date.now() - t0 < 2000);
  });

  it('lets an in-flight reconcile finish on stop without aborting it, and runs nothing pending', async () => {
    let release!: () => void;
    const finished: Array<{ name: string; aborted: boolean }> = [];
    const { informers, controller } = build(async (req, ctx) => {
      if (req.key.name === 'slow')
        await new Promise<void>((r) => {
          release = r;
        });
      finished.push({ name: req.key.name, aborted: ctx.signal.aborted });
    });
    await controller.start();
    informers.of(ConfigMap).upsert(cm('slow'));
    await waitFor(() => release !== undefined);
    informers.of(ConfigMap).upsert(cm('pending'));
    let stopped = false;
    const stopping = controller.stop(5000).then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(stopped, false, 'stop waits for the in-flight reconcile');
    release();
    await stopping;
    assert.deepEqual(finished, [{ name: 'slow', aborted: false }], 'drained, not aborted; the pending key was dropped');
  });

  it('drains in-flight reconciles on stop and aborts them after the deadline', async () => {
    let signal: AbortSignal | undefined;
    const { informers, controller } = build(async (_req, ctx) => {
      signal = ctx.signal;
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
    });
    await controller.start();
    informers.of(ConfigMap).upsert(cm('a'));
    await waitFor(() => signal !== undefined);
    await controller.stop(20);
    assert.equal(signal?.aborted, true);
  });
});
