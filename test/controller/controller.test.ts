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
import { ManualClock, sleep } from '../../src/core/clock.js';
import { ApiError, makeStatus, TerminalError } from '../../src/core/errors.js';
import type { KubeObject } from '../../src/core/types.js';
import { advance, flush } from '../support/index.js';
import { FakeInformer, FakeInformers } from './fakes.js';

const ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap' };
const Secret = { apiVersion: 'v1', kind: 'Secret' };
const Namespace = { apiVersion: 'v1', kind: 'Namespace' };

const cm = (name: string, extra: Partial<KubeObject> = {}, meta: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: 'ns', name, uid: `uid-${name}`, ...meta },
  ...extra,
});

// Every controller here runs on a ManualClock: with no real timer anywhere, what a test sets in
// motion finishes within one flush(), and time moves only through advance().
function build(
  fn: Reconciler,
  configure: (b: ControllerBuilder) => ControllerBuilder = (b) => b.for(ConfigMap),
  opts: { client?: ScopableClient } = {},
) {
  const clock = new ManualClock();
  const informers = new FakeInformers();
  const registry = new Registry();
  const builder = new ControllerBuilder('test', { informers, registry, clock, client: opts.client });
  const controller = configure(builder).reconcile(fn);
  return { informers, registry, controller, clock };
}

/** Nothing ready, waiting for a delay, or in flight: no reconcile can follow without a new event. */
function assertIdle(controller: Controller, why = 'the queue is idle'): void {
  const q = controller.queue;
  assert.deepEqual(
    { depth: q.depth, waiting: q.waiting, inFlight: q.inFlightCount },
    { depth: 0, waiting: 0, inFlight: 0 },
    why,
  );
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
    await flush();
    assert.equal(seen.length, 1);
    inf.upsert(cm('a', { data: { x: '2' } }, { labels: { l: '1' } }));
    await flush();
    assert.equal(seen.length, 2);
    assert.deepEqual(seen[0].key, { namespace: 'ns', name: 'a' });
    assert.equal(seen[0].triggers[0].source, 'for:v1/ConfigMap');
    assert.equal(seen[0].triggers[0].event, 'added');
    assert.deepEqual(seen[1].triggers[0].changed, ['data', 'metadata.labels']);
    assert.equal(seen[1].triggers[0].object?.name, 'a');
    await controller.stop();
    assert.equal(inf.subscribers, 0);
  });

  it('folds a burst of 1000 updates during a slow reconcile into 2 reconciles', async () => {
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
    await flush();
    assert.equal(seen.length, 1, 'the first update is in flight; the rest wait for it');
    release();
    await flush();
    assertIdle(controller);
    assert.deepEqual(
      seen.map((r) => r.totalTriggers),
      [1, 999],
    );
    assert.equal(await metric(registry, 'kloop_reconcile_triggers_total', { source: 'for:v1/ConfigMap' }), 1000);
    // Each reconcile once, by the trigger that queued it: the add, then the first of the 999 updates.
    assert.equal(await metric(registry, 'kloop_reconcile_first_trigger_total', {}), 2);
    assert.equal(
      await metric(registry, 'kloop_reconcile_first_trigger_total', { source: 'for:v1/ConfigMap', event: 'added' }),
      1,
    );
    assert.equal(
      await metric(registry, 'kloop_reconcile_first_trigger_total', { source: 'for:v1/ConfigMap', event: 'updated' }),
      1,
    );
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
    await flush();
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
    await flush();
    assertIdle(controller, 'both updates were filtered out before the queue');
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
    await flush();
    assertIdle(controller);
    assert.equal(seen.length, 2);
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
    const controller = new ControllerBuilder('tenants', {
      informers,
      registry: new Registry(),
      clock: new ManualClock(),
    })
      .owns(ConfigMap)
      .for(Tenant)
      .reconcile((req) => {
        seen.push(req);
      });
    const started = controller.start();
    await flush();
    // The owner informer's first list lands after the owned informer replayed its store.
    tenants.upsert({ apiVersion: 'example.com/v1', kind: 'Tenant', metadata: { name: 'acme', uid: 't1' } }, true);
    tenants.markSynced();
    await started;
    await flush();
    assertIdle(controller);
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
    await flush();
    assert.equal(seen.length, 1);
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
    const c: Controller = new ControllerBuilder('prio', { informers, clock: new ManualClock() })
      .for(ConfigMap)
      .reconcile((req) => {
        order.push(req.key.name);
      });
    // Subscribe and enqueue before any worker runs, then add a live event.
    const started = c.start();
    inf.upsert(cm('live'));
    await started;
    await flush();
    assert.deepEqual(order, ['live', 'initial0', 'initial1', 'initial2', 'initial3', 'initial4']);
    await c.stop();
  });

  it('retries a throwing reconcile with backoff, stops on TerminalError, requeues conflicts quietly', async () => {
    const calls: Request[] = [];
    const { informers, controller, registry, clock } = build((req) => {
      calls.push(req);
      if (req.key.name === 'fail' && calls.filter((r) => r.key.name === 'fail').length <= 2) throw new Error('boom');
      if (req.key.name === 'terminal') throw new TerminalError(new Error('bad spec'));
      if (req.key.name === 'conflict' && calls.filter((r) => r.key.name === 'conflict').length === 1) {
        throw new ApiError(makeStatus(409, 'Conflict', 'the object has been modified'));
      }
    });
    await controller.start();
    const inf = informers.of(ConfigMap);
    inf.upsert(cm('fail'));
    inf.upsert(cm('terminal'));
    inf.upsert(cm('conflict'));
    await flush();
    assert.equal(calls.length, 3);
    assert.equal(controller.queue.waiting, 2, 'fail and conflict wait for their backoff; terminal does not');
    await advance(clock, 4);
    assert.equal(calls.length, 3, 'the first backoff step is 5 ms');
    await advance(clock, 1);
    assert.deepEqual(
      calls.slice(3).map((r) => r.key.name),
      ['fail', 'conflict'],
    );
    const retry = calls[3];
    assert.equal(retry.triggers[0].source, 'retry');
    assert.equal(retry.triggers[0].error, 'boom');
    assert.equal(retry.retries, 1);
    await advance(clock, 10); // the second step doubles
    assert.equal(calls.filter((r) => r.key.name === 'fail').length, 3, 'second retry');
    assertIdle(controller, 'fail succeeded on its third run; terminal is never retried');
    await advance(clock, 10_000);
    assert.equal(calls.length, 6);
    assert.equal(calls.filter((r) => r.key.name === 'terminal').length, 1);
    assert.equal(calls.filter((r) => r.key.name === 'conflict').length, 2);
    assert.equal(await metric(registry, 'kloop_reconcile_total', { result: 'conflict' }), 1);
    assert.equal(await metric(registry, 'kloop_reconcile_total', { result: 'terminal_error' }), 1);
    assert.equal(await metric(registry, 'kloop_reconcile_total', { result: 'error' }), 2);
    assert.equal(await metric(registry, 'kloop_reconcile_total', { result: 'success' }), 2);
    await controller.stop();
  });

  it('requeues after requeueAfter with a requeue trigger', async () => {
    const calls: Request[] = [];
    const { informers, controller, clock } = build((req) => {
      calls.push(req);
      return calls.length === 1 ? { requeueAfter: 30_000 } : undefined;
    });
    await controller.start();
    informers.of(ConfigMap).upsert(cm('a'));
    await flush();
    assert.equal(calls.length, 1);
    await advance(clock, 29_999);
    assert.equal(calls.length, 1);
    assert.ok(controller.queue.isPending({ namespace: 'ns', name: 'a' }), 'the requeue waits for its time');
    await advance(clock, 1);
    assert.equal(calls.length, 2);
    assert.deepEqual(
      calls[1].triggers.map((t) => t.source),
      ['requeue'],
    );
    assertIdle(controller);
    await controller.stop();
  });

  it('runs a new event at once despite a pending requeueAfter: the sooner wins, once', async () => {
    const calls: Request[] = [];
    const { informers, controller, clock } = build((req) => {
      calls.push(req);
      return calls.length === 1 ? { requeueAfter: 30_000 } : undefined;
    });
    await controller.start();
    const inf = informers.of(ConfigMap);
    inf.upsert(cm('a'));
    await flush();
    assert.equal(calls.length, 1);
    await advance(clock, 1000);
    inf.upsert(cm('a', { data: { k: 'v' } }));
    await flush();
    assert.equal(calls.length, 2, 'the event does not wait for the requeue');
    assert.deepEqual(calls[1].triggers.map((t) => `${t.source} ${t.event}`).sort(), [
      'for:v1/ConfigMap updated',
      'requeue requeue',
    ]);
    assertIdle(controller, 'the requeue folded into the earlier run');
    await advance(clock, 60_000);
    assert.equal(calls.length, 2);
    await controller.stop();
  });

  it('does not let a hanging reconcile stall other keys; the timeout aborts ctx.signal', async () => {
    const seen: Request[] = [];
    let hungSignal: AbortSignal | undefined;
    let finishHung!: () => void;
    const { informers, controller, registry, clock } = build(
      async (req, ctx: ReconcileContext) => {
        if (req.key.name === 'hang' && hungSignal === undefined) {
          hungSignal = ctx.signal;
          await new Promise<void>((r) => {
            finishHung = r;
          });
        }
        seen.push(req);
      },
      (b) => b.for(ConfigMap).timeout(30),
    );
    await controller.start();
    const inf = informers.of(ConfigMap);
    inf.upsert(cm('hang'));
    await flush();
    assert.ok(hungSignal);
    inf.upsert(cm('other'));
    await advance(clock, 29);
    assert.equal(seen.length, 0, 'concurrency 1: other waits while hang runs');
    assert.equal(hungSignal.aborted, false);
    await advance(clock, 2); // the timeout at 30 ms aborts; the worker is released 1 ms later
    assert.deepEqual(
      seen.map((r) => r.key.name),
      ['other'],
      'other key despite a hung one',
    );
    assert.equal(hungSignal.aborted, true);
    assert.equal(await metric(registry, 'kloop_reconcile_total', { result: 'timeout' }), 1);
    assert.ok(controller.queue.isInFlight({ namespace: 'ns', name: 'hang' }), 'still in flight: never run twice');
    finishHung();
    await flush();
    assert.equal(seen.length, 2, 'the hung run finished late');
    assert.ok(!controller.queue.isInFlight({ namespace: 'ns', name: 'hang' }));
    await advance(clock, 5); // a timeout counts as a failure: retried after the first backoff step
    assert.equal(seen.length, 3);
    assert.equal(seen[2].key.name, 'hang');
    assert.equal(seen[2].triggers[0].source, 'retry');
    assertIdle(controller);
    await controller.stop();
  });

  it('never runs one key in two of 8 workers at once', async () => {
    // Reconciles of 0-7 ms from a seeded generator, interleaved with 300 updates of 12 keys, so
    // that many updates land while their key is in flight.
    let seed = 42;
    const nextDelay = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % 8;
    };
    const active = new Set<string>();
    let violations = 0;
    let runs = 0;
    let clock!: ManualClock;
    const built = build(
      async (req) => {
        const id = req.key.name;
        if (active.has(id)) violations++;
        active.add(id);
        await sleep(clock, nextDelay());
        active.delete(id);
        runs++;
      },
      (b) => b.for(ConfigMap).concurrency(8),
    );
    const { informers, controller } = built;
    clock = built.clock;
    await controller.start();
    const inf = informers.of(ConfigMap);
    let duringRun = 0;
    for (let i = 0; i < 300; i++) {
      const key = { namespace: 'ns', name: `k${i % 12}` };
      if (controller.queue.isInFlight(key)) duringRun++;
      inf.upsert(cm(key.name, { data: { i: String(i) } }));
      if (i % 5 === 0) await advance(clock, 1);
    }
    await advance(clock, 100);
    assertIdle(controller);
    assert.equal(violations, 0);
    assert.ok(duringRun >= 50, `${duringRun} updates arrived while their key was in flight`);
    assert.ok(runs >= 12 && runs < 300, `${runs} runs: updates during a run fold into one more run`);
    await controller.stop();
  });

  it('detects a hot loop: a reconcile that rewrites its own object each time', async () => {
    const informers = new FakeInformers();
    const registry = new Registry();
    const inf = informers.of(ConfigMap);
    let attribution: WriteAttribution | undefined;
    let stamp = 0;
    // A client whose patch bumps a stamp annotation, reports the write and updates the cache.
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
                annotations: { stamp: String(++stamp) },
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
    const controller = new ControllerBuilder('hot', { informers, registry, client, clock: new ManualClock() })
      .for(ConfigMap)
      .reconcile(async (req, ctx) => {
        runs++;
        if (runs > 20) return;
        const current = inf.get(req.key)!;
        await ctx.client.patch(current, current);
      });
    await controller.start();
    inf.upsert(cm('loop'));
    await flush();
    assertIdle(controller);
    assert.equal(runs, 21, 'each write triggered the next run until the reconcile stopped writing');
    assert.equal(await metric(registry, 'kloop_hot_loops_total', { controller: 'hot' }), 1);
    assert.equal(attribution?.controller, 'hot');
    assert.deepEqual(attribution?.key, { namespace: 'ns', name: 'loop' });
    await controller.stop();
  });

  it('resyncs every object of the for informer at low priority when asked', async () => {
    const seen: Request[] = [];
    const { informers, controller, clock } = build(
      (req) => {
        seen.push(req);
      },
      (b) => b.for(ConfigMap).options({ resyncMs: 60_000 }),
    );
    informers.of(ConfigMap).upsert(cm('a'));
    informers.of(ConfigMap).upsert(cm('b'));
    await controller.start();
    await flush();
    assert.equal(seen.length, 2);
    await advance(clock, 59_999);
    assert.equal(seen.length, 2);
    await advance(clock, 1);
    assert.deepEqual(
      seen.slice(2).map((r) => [r.key.name, r.triggers[0].source]),
      [
        ['a', 'resync'],
        ['b', 'resync'],
      ],
    );
    await advance(clock, 60_000);
    assert.equal(seen.length, 6, 'and again every resyncMs');
    await controller.stop();
    assert.equal(clock.pendingTimers(), 0);
  });

  it('returns from stop even when a reconcile ignores its aborted signal', async () => {
    let signal: AbortSignal | undefined;
    const { informers, controller, clock } = build(async (_req, ctx) => {
      signal = ctx.signal;
      await new Promise<void>(() => {});
    });
    await controller.start();
    informers.of(ConfigMap).upsert(cm('stuck'));
    await flush();
    assert.ok(signal);
    let stopped = false;
    const stopping = controller.stop(10).then(() => {
      stopped = true;
    });
    await advance(clock, 9);
    assert.equal(stopped, false, 'draining');
    await advance(clock, 1);
    assert.equal(signal.aborted, true, 'aborted at the drain deadline');
    assert.equal(stopped, false, 'a grace period for the aborted reconcile');
    await advance(clock, 10);
    assert.equal(stopped, true, 'then stop returns without it');
    await stopping;
  });

  it('lets an in-flight reconcile finish on stop without aborting it, and runs nothing pending', async () => {
    let release!: () => void;
    const finished: Array<{ name: string; aborted: boolean }> = [];
    const { informers, controller, clock } = build(async (req, ctx) => {
      if (req.key.name === 'slow')
        await new Promise<void>((r) => {
          release = r;
        });
      finished.push({ name: req.key.name, aborted: ctx.signal.aborted });
    });
    await controller.start();
    informers.of(ConfigMap).upsert(cm('slow'));
    await flush();
    assert.ok(release);
    informers.of(ConfigMap).upsert(cm('pending'));
    let stopped = false;
    const stopping = controller.stop(5000).then(() => {
      stopped = true;
    });
    await advance(clock, 4999);
    assert.equal(stopped, false, 'stop waits for the in-flight reconcile');
    release();
    await stopping;
    assert.deepEqual(finished, [{ name: 'slow', aborted: false }], 'drained, not aborted; the pending key was dropped');
  });

  it('drains in-flight reconciles on stop and aborts them after the deadline', async () => {
    let signal: AbortSignal | undefined;
    const { informers, controller, clock } = build(async (_req, ctx) => {
      signal = ctx.signal;
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
    });
    await controller.start();
    informers.of(ConfigMap).upsert(cm('a'));
    await flush();
    assert.ok(signal);
    const stopping = controller.stop(20);
    await advance(clock, 19);
    assert.equal(signal.aborted, false);
    await advance(clock, 1);
    assert.equal(signal.aborted, true);
    await stopping;
  });
});
