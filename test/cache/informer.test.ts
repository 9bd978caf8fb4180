import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { InformerEvent, ListPageRequest } from '../../src/cache/index.js';
import { SharedInformer, type SharedInformerOptions } from '../../src/cache/index.js';
import { WatchParseError } from '../../src/client/index.js';
import { ManualClock } from '../../src/core/clock.js';
import type { KubeList, KubeObject } from '../../src/core/index.js';
import { ApiError, makeStatus } from '../../src/core/index.js';
import { advance } from '../support/index.js';
import { cm, FakeListerWatcher, flush, nextDelay, page } from './fakes.js';

const silent = pino({ level: 'silent' });
const running: SharedInformer[] = [];

function make(lw: FakeListerWatcher, clock: ManualClock, extra: Partial<SharedInformerOptions> = {}) {
  const registry = new Registry();
  const informer = new SharedInformer({
    type: { apiVersion: 'v1', kind: 'ConfigMap' },
    resource: 'configmaps',
    listerWatcher: lw,
    logger: silent,
    registry,
    clock,
    ...extra,
    reflector: { random: () => 0, streamingList: false, ...extra.reflector },
  });
  running.push(informer);
  return { informer, registry };
}

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((i) => i.stop()));
});

describe('SharedInformer over a scripted lister-watcher', () => {
  it('lists page by page, syncs, then watches from the list resourceVersion with bookmarks', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5')], '10', 'p2'), page([cm('b', '6')], '10', 'p3'), page([cm('c', '7')], '10'));
    const { informer } = make(lw, clock);
    const events: InformerEvent[] = [];
    informer.subscribe((e) => events.push(e));
    await informer.synced;
    assert.equal(informer.hasSynced(), true);
    assert.deepEqual(
      lw.listRequests.map((r) => [r.limit, r.continue]),
      [
        [500, undefined],
        [500, 'p2'],
        [500, 'p3'],
      ],
    );
    assert.deepEqual(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
      ['a', 'b', 'c'],
    );
    assert.equal(informer.lastSyncResourceVersion, '10');
    assert.ok(events.every((e) => e.type === 'added' && e.initial));
    const w = await lw.watchNumber(1);
    assert.equal(w.request.resourceVersion, '10');
    assert.equal(w.request.allowWatchBookmarks, true);
    assert.ok(w.request.timeoutSeconds >= 300 && w.request.timeoutSeconds <= 600);
  });

  it('applies every event kind and hands handlers old and new objects', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5')], '10'));
    const { informer, registry } = make(lw, clock);
    const events: InformerEvent[] = [];
    informer.subscribe((e) => events.push(e), { replay: false });
    await informer.synced;
    const w = await lw.watchNumber(1);
    w.emit('ADDED', cm('b', '11'));
    w.emit('MODIFIED', cm('a', '12', {}, { k: 'v' }));
    w.emit('DELETED', cm('b', '13'));
    w.emit('BOOKMARK', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '20' } });
    const seen = events.map((e) => [e.type, e.object.metadata.name, e.oldObject?.metadata.resourceVersion, e.initial]);
    assert.deepEqual(seen, [
      ['added', 'a', undefined, true],
      ['added', 'b', undefined, false],
      ['updated', 'a', '5', false],
      ['deleted', 'b', '11', false],
    ]);
    assert.equal(informer.lastSyncResourceVersion, '20');
    assert.deepEqual(informer.get({ namespace: 'default', name: 'a' })?.data, { k: 'v' });
    assert.equal(informer.get('default/b'), undefined);
    assert.equal(await metric(registry, 'kloop_informer_events_total', { event: 'updated' }), 1);
  });

  it('relists at once on 410 and emits synthetic deletes for objects gone meanwhile', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5'), cm('b', '6')], '10'), page([cm('a', '5'), cm('c', '30')], '31'));
    const { informer, registry } = make(lw, clock);
    const events: InformerEvent[] = [];
    informer.subscribe((e) => events.push(e), { replay: false });
    await informer.synced;
    const w = await lw.watchNumber(1);
    const aBefore = informer.get('default/a');
    w.emit('ERROR', { ...makeStatus(410, 'Expired', 'too old resource version: 10 (25)') });
    const w2 = await lw.watchNumber(2);
    assert.equal(w2.request.resourceVersion, '31');
    const after = events.slice(2).map((e) => [e.type, e.object.metadata.name, e.initial]);
    assert.deepEqual(after, [
      ['added', 'c', false],
      ['deleted', 'b', false],
    ]);
    assert.equal(informer.get('default/a'), aBefore, 'unchanged objects keep their instance');
    assert.equal(await metric(registry, 'kloop_informer_relists_total', { reason: 'expired' }), 1);
    assert.equal(clock.now(), 0, 'no backoff before a 410 relist');
  });

  it('reconnects with backoff 0.8 s doubling to 30 s, and keeps the resourceVersion', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5')], '10'));
    const { informer } = make(lw, clock);
    await informer.synced;
    let w = await lw.watchNumber(1);
    const waits: number[] = [];
    for (let i = 2; i <= 8; i++) {
      w.fail(new Error('connection reset'));
      await flush();
      const delay = nextDelay(clock);
      assert.ok(delay !== undefined);
      waits.push(delay);
      await advance(clock, delay - 1);
      assert.equal(lw.watches.length, i - 1, 'no reconnect before the backoff');
      await advance(clock, 1);
      w = await lw.watchNumber(i);
      assert.equal(w.request.resourceVersion, '10');
    }
    // The watchdog timer (150 s) is the other pending timer; backoff waits are the smaller ones.
    assert.deepEqual(waits, [800, 1600, 3200, 6400, 12800, 25600, 30000]);
    assert.equal(lw.listRequests.length, 1, 'connection errors do not relist');
  });

  it('resets the backoff after a healthy period', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([], '10'));
    const { informer } = make(lw, clock, { reflector: { healthyMs: 5000, watchdogMs: 1_000_000 } });
    await informer.synced;
    let w = await lw.watchNumber(1);
    w.fail(new Error('reset'));
    await advance(clock, 800);
    w = await lw.watchNumber(2);
    w.fail(new Error('reset'));
    await flush();
    assert.equal(nextDelay(clock), 1600);
    await advance(clock, 1600);
    w = await lw.watchNumber(3);
    await advance(clock, 6000);
    w.fail(new Error('reset'));
    await flush();
    assert.equal(nextDelay(clock), 800);
  });

  it('a watchdog reconnects a silent stream from the same resourceVersion', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5')], '10'));
    const { informer, registry } = make(lw, clock, { reflector: { watchdogMs: 1000 } });
    await informer.synced;
    const w1 = await lw.watchNumber(1);
    w1.emit('MODIFIED', cm('a', '11'));
    await advance(clock, 1000);
    w1.emit('MODIFIED', cm('a', '12'));
    await advance(clock, 1999);
    assert.equal(lw.watches.length, 1, 'events keep the stream alive');
    await advance(clock, 1);
    const w2 = await lw.watchNumber(2, clock);
    assert.equal(w1.closed, true);
    assert.equal(w2.request.resourceVersion, '12');
    assert.equal(await metric(registry, 'kloop_informer_watch_restarts_total', { reason: 'watchdog' }), 1);
  });

  it('reports a malformed line and relists after backoff', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5')], '10'), page([cm('a', '7')], '12'));
    const { informer, registry } = make(lw, clock);
    await informer.synced;
    const w = await lw.watchNumber(1);
    w.fail(new WatchParseError('malformed watch line: {"type":'));
    await advance(clock, 800);
    await lw.watchNumber(2);
    assert.equal(lw.listRequests.length, 2);
    assert.equal(informer.get('default/a')?.metadata.resourceVersion, '7');
    assert.equal(await metric(registry, 'kloop_informer_relists_total', { reason: 'malformed' }), 1);
  });

  it('restarts the watch at once when the server ends it (timeoutSeconds)', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5')], '10'));
    const { informer } = make(lw, clock);
    await informer.synced;
    const w1 = await lw.watchNumber(1);
    w1.emit('MODIFIED', cm('a', '11'));
    w1.end();
    const w2 = await lw.watchNumber(2);
    assert.equal(w2.request.resourceVersion, '11');
    assert.equal(clock.now(), 0);
  });

  it('uses a streaming list when the server supports it', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    const { informer } = make(lw, clock, { reflector: { streamingList: 'auto' } });
    const events: InformerEvent[] = [];
    informer.subscribe((e) => events.push(e));
    informer.start();
    const w = await lw.watchNumber(1);
    assert.equal(w.request.sendInitialEvents, true);
    assert.equal(w.request.resourceVersionMatch, 'NotOlderThan');
    w.emit('ADDED', cm('a', '5'));
    w.emit('ADDED', cm('b', '6'));
    assert.equal(informer.hasSynced(), false, 'nothing is visible before the initial-events-end bookmark');
    w.emit('BOOKMARK', { metadata: { resourceVersion: '9', annotations: { 'k8s.io/initial-events-end': 'true' } } });
    await informer.synced;
    assert.equal(informer.size, 2);
    assert.equal(informer.lastSyncResourceVersion, '9');
    w.emit('MODIFIED', cm('a', '10'));
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name, e.initial]),
      [
        ['added', 'a', true],
        ['added', 'b', true],
        ['updated', 'a', false],
      ],
    );
    assert.equal(lw.listRequests.length, 0);
  });

  it('a streaming list that repeats, changes or deletes objects before its bookmark syncs the last state of each, announced once', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    const { informer } = make(lw, clock, { reflector: { streamingList: 'auto' } });
    const events: InformerEvent[] = [];
    informer.subscribe((e) => events.push(e));
    informer.start();
    const w = await lw.watchNumber(1);
    w.emit('ADDED', cm('a', '5'));
    w.emit('ADDED', cm('b', '6'));
    w.emit('ADDED', cm('a', '7')); // repeated: the later one stands
    w.emit('ADDED', cm('c', '8'));
    w.emit('BOOKMARK', { metadata: { resourceVersion: '9', annotations: { 'k8s.io/initial-events-end': 'true' } } });
    await informer.synced;
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion, e.initial]),
      [
        ['added', 'b', '6', true],
        ['added', 'a', '7', true],
        ['added', 'c', '8', true],
      ],
    );
    assert.equal(informer.get('default/a')?.metadata.resourceVersion, '7');
    assert.equal(informer.size, 3);

    // A relist (after an expired watch) whose initial state changes and deletes objects midway.
    events.length = 0;
    w.fail(new ApiError(makeStatus(410, 'Expired', 'too old')));
    const w2 = await lw.watchNumber(2);
    assert.equal(w2.request.sendInitialEvents, true);
    w2.emit('ADDED', cm('a', '7'));
    w2.emit('ADDED', cm('b', '6'));
    w2.emit('MODIFIED', cm('b', '10'));
    w2.emit('ADDED', cm('d', '11'));
    w2.emit('DELETED', cm('d', '12'));
    w2.emit('ADDED', cm('e', '13'));
    w2.emit('BOOKMARK', { metadata: { resourceVersion: '14', annotations: { 'k8s.io/initial-events-end': 'true' } } });
    await flush();
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion]),
      [
        ['updated', 'b', '10'],
        ['added', 'e', '13'],
        ['deleted', 'c', '8'],
      ],
    );
    assert.deepEqual(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
      ['a', 'b', 'e'],
    );
  });

  it('asks for the next page as soon as a page announces its continue token, one page ahead at most', async () => {
    /** Pages answered by hand: each request's page resolves (and announces) when the test says. */
    class HandLister extends FakeListerWatcher {
      readonly pending: Array<{ req: ListPageRequest; answer(page: KubeList): void; fail(err: Error): void }> = [];
      override listPage(req: ListPageRequest): Promise<KubeList> {
        this.listRequests.push(req);
        return new Promise((answer, fail) => this.pending.push({ req, answer, fail }));
      }
    }
    const lw = new HandLister();
    const clock = new ManualClock();
    const { informer } = make(lw, clock);
    const events: InformerEvent[] = [];
    informer.subscribe((e) => events.push(e));
    informer.start();
    await flush();
    const tokens = () => lw.listRequests.map((r) => r.continue);
    assert.deepEqual(tokens(), [undefined]);
    lw.pending[0].req.onContinue?.('p2'); // page 1's head arrived: page 2 is asked for at once
    assert.deepEqual(tokens(), [undefined, 'p2']);
    lw.pending[1].req.onContinue?.('p3'); // page 2's head too, while page 1 is still read: no page 3 yet
    assert.deepEqual(tokens(), [undefined, 'p2']);
    lw.pending[0].answer(page([cm('a', '5')], '10', 'p2'));
    await flush();
    assert.deepEqual(tokens(), [undefined, 'p2', 'p3'], 'page 3 once page 2 is the one waited for');
    lw.pending[2].req.onContinue?.(undefined); // the last page
    lw.pending[2].answer(page([cm('c', '7')], '10'));
    await flush();
    assert.equal(informer.hasSynced(), false, 'pages are taken in order');
    lw.pending[1].answer(page([cm('b', '6')], '10', 'p3'));
    await informer.synced;
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name]),
      [
        ['added', 'a'],
        ['added', 'b'],
        ['added', 'c'],
      ],
    );
    assert.equal(informer.lastSyncResourceVersion, '10');
    assert.equal(lw.listRequests.length, 3);
  });

  it('a page asked for ahead fails the list, and the list ends what it asked for ahead', async () => {
    class HandLister extends FakeListerWatcher {
      readonly pending: Array<{ req: ListPageRequest; answer(page: KubeList): void; fail(err: Error): void }> = [];
      override listPage(req: ListPageRequest): Promise<KubeList> {
        if (this.lists.length > 0) return super.listPage(req);
        this.listRequests.push(req);
        return new Promise((answer, fail) => this.pending.push({ req, answer, fail }));
      }
    }
    const lw = new HandLister();
    const clock = new ManualClock();
    const { informer, registry } = make(lw, clock);
    informer.start();
    await flush();
    lw.pending[0].req.onContinue?.('p2');
    assert.equal(lw.listRequests.length, 2);
    // The relist that follows is answered from the queue.
    lw.lists.push(page([cm('a', '5'), cm('b', '6')], '11'));
    lw.pending[1].fail(new ApiError(makeStatus(410, 'Expired', 'continue token too old')));
    await flush();
    assert.equal(informer.hasSynced(), false, 'page 2 failed before page 1 was in');
    lw.pending[0].answer(page([cm('a', '5')], '10', 'p2'));
    await informer.synced;
    assert.equal(await metric(registry, 'kloop_informer_relists_total', { reason: 'expired' }), 1);
    assert.deepEqual(
      lw.listRequests.map((r) => r.continue),
      [undefined, 'p2', undefined],
    );
    assert.equal(lw.pending[0].req.signal.aborted, true, 'what the failed list asked for is ended');
    assert.equal(informer.size, 2);
    assert.equal(informer.lastSyncResourceVersion, '11');
  });

  it('falls back to a paginated list when the server refuses streaming lists (422)', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    const { ApiError } = await import('../../src/core/index.js');
    lw.watchAnswers.push(new ApiError(makeStatus(422, 'Invalid', 'sendInitialEvents is forbidden for list')));
    lw.lists.push(page([cm('a', '5')], '10'));
    const { informer } = make(lw, clock, { reflector: { streamingList: 'auto' } });
    await informer.synced;
    assert.equal(informer.size, 1);
    const w = await lw.watchNumber(1);
    assert.equal(w.request.sendInitialEvents, undefined);
    assert.equal(informer.reflector.streamingList, false);
  });

  it('a throwing handler is reported and never stops the informer or other handlers', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5')], '10'));
    const { informer } = make(lw, clock);
    const got: string[] = [];
    informer.subscribe(() => {
      throw new Error('boom');
    });
    informer.subscribe((e) => got.push(`${e.type}:${e.object.metadata.name}`));
    await informer.synced;
    const w = await lw.watchNumber(1);
    w.emit('ADDED', cm('b', '11'));
    assert.deepEqual(got, ['added:a', 'added:b']);
    assert.equal(informer.size, 2);
  });

  it('replays the store to late subscribers unless told not to', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5'), cm('b', '5')], '10'));
    const { informer } = make(lw, clock);
    await informer.synced;
    const replayed: InformerEvent[] = [];
    informer.subscribe((e) => replayed.push(e));
    assert.equal(replayed.length, 2);
    assert.ok(replayed.every((e) => e.initial && e.type === 'added'));
    const none: InformerEvent[] = [];
    const off = informer.subscribe((e) => none.push(e), { replay: false });
    off();
    (await lw.watchNumber(1)).emit('ADDED', cm('c', '11'));
    assert.equal(none.length, 0);
  });

  it('strips managedFields by default, keeps them on request, and freezes in validation mode', async () => {
    const mf = [{ manager: 'kubectl', operation: 'Update' as const }];
    for (const keep of [false, true]) {
      const lw = new FakeListerWatcher();
      const clock = new ManualClock();
      lw.lists.push(page([cm('a', '5', { managedFields: mf })], '10'));
      const { informer } = make(lw, clock, { keepManagedFields: keep, validate: true });
      await informer.synced;
      const a = informer.get('default/a') as KubeObject;
      assert.equal(a.metadata.managedFields === undefined, !keep);
      assert.equal(Object.isFrozen(a.metadata), true);
      assert.equal(a.kind, 'ConfigMap');
    }
  });

  it('metadata-only informers keep only apiVersion, kind and metadata', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(
      page(
        [
          {
            apiVersion: 'meta.k8s.io/v1',
            kind: 'PartialObjectMetadata',
            metadata: { name: 'a', namespace: 'default', resourceVersion: '1' },
          },
          cm('b', '2', {}, { big: 'x' }),
        ],
        '10',
      ),
    );
    const { informer } = make(lw, clock, { metadataOnly: true });
    await informer.synced;
    for (const o of informer.list()) {
      assert.deepEqual(Object.keys(o).sort(), ['apiVersion', 'kind', 'metadata']);
      assert.equal(o.kind, 'ConfigMap');
    }
  });

  it('stop ends the loop, clears every timer and rejects synced when not synced yet', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(new Error('connection refused'));
    const { informer } = make(lw, clock);
    informer.start();
    await flush();
    assert.ok(clock.pendingTimers() > 0, 'a backoff timer is pending');
    const synced = informer.synced;
    await informer.stop();
    assert.equal(clock.pendingTimers(), 0);
    await assert.rejects(synced, { code: 'KLOOP_INFORMER_STOPPED' });
  });

  it('stop during a watch closes it and leaves no timer', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5')], '10'));
    const { informer } = make(lw, clock);
    await informer.synced;
    const w = await lw.watchNumber(1);
    await informer.stop();
    assert.equal(w.closed, true);
    assert.equal(clock.pendingTimers(), 0);
    assert.equal(informer.size, 1, 'the store keeps its contents');
  });
});
