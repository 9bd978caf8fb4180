// Regression tests from the second review of the reflector and the shared informer: each test
// is named after what broke.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { InformerEvent } from '../../src/cache/index.js';
import {
  type ListerWatcher,
  type ListPageRequest,
  SharedInformer,
  type SharedInformerOptions,
  type WatchRequest,
} from '../../src/cache/index.js';
import { ManualClock } from '../../src/core/clock.js';
import type { KubeList, KubeObject, WatchEvent } from '../../src/core/index.js';
import { ApiError, makeStatus } from '../../src/core/index.js';
import { advance } from '../support/index.js';
import { cm, FakeListerWatcher, flush, nextDelay, page } from './fakes.js';

const silent = pino({ level: 'silent' });
const running: SharedInformer[] = [];

function make(lw: ListerWatcher, clock: ManualClock, extra: Partial<SharedInformerOptions> = {}) {
  const informer = new SharedInformer({
    type: { apiVersion: 'v1', kind: 'ConfigMap' },
    resource: 'configmaps',
    listerWatcher: lw,
    logger: silent,
    registry: new Registry(),
    clock,
    ...extra,
    reflector: { random: () => 0, streamingList: false, ...extra.reflector },
  });
  running.push(informer);
  return informer;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((i) => i.stop()));
});

const describeEvent = (e: InformerEvent) => `${e.type}:${e.object.metadata.name}:${e.initial}`;

describe('reflector and informer review regressions', () => {
  it('a handler subscribed during a relist does not get the rest of that relist twice', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5'), cm('b', '6')], '10'));
    lw.lists.push(page([cm('a', '15'), cm('b', '16'), cm('c', '17')], '20'));
    const informer = make(lw, clock);
    await informer.synced;
    const late: string[] = [];
    let subscribed = false;
    informer.subscribe(
      () => {
        if (subscribed) return;
        subscribed = true;
        informer.subscribe((e) => late.push(describeEvent(e)));
      },
      { replay: false },
    );
    const w = await lw.watchNumber(1);
    w.emit('ERROR', { ...makeStatus(410, 'Expired', 'too old resource version') });
    await lw.watchNumber(2);
    assert.equal(subscribed, true);
    // The replay already holds the relist's final state; nothing of that relist may follow it.
    assert.deepEqual(late.sort(), ['added:a:true', 'added:b:true', 'added:c:true']);
    assert.equal(new Set(late).size, late.length, 'no duplicate');
  });

  it('no handler is called after stop() when a list page resolves as stop is called', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    let informer: SharedInformer | undefined;
    lw.lists.push((_req: ListPageRequest) => {
      // The response is already in hand when the caller stops the informer.
      void informer?.stop();
      return page([cm('a', '5')], '10');
    });
    informer = make(lw, clock);
    const events: InformerEvent[] = [];
    informer.subscribe((e) => events.push(e));
    await assert.rejects(informer.synced, { code: 'KLOOP_INFORMER_STOPPED' });
    await flush();
    assert.deepEqual(events, []);
    assert.equal(informer.size, 0, 'the store stays as it was at stop()');
    assert.equal(clock.pendingTimers(), 0);
  });

  it('no handler is called for the rest of a chunk after a handler stops the informer', async () => {
    const clock = new ManualClock();
    // A client delivering one chunk of three lines synchronously, as LineSplitter does.
    const lw: ListerWatcher = {
      async listPage(): Promise<KubeList> {
        return page([], '10');
      },
      async watch(_req: WatchRequest, onEvent: (ev: WatchEvent<KubeObject>) => void): Promise<void> {
        onEvent({ type: 'ADDED', object: cm('a', '11') });
        onEvent({ type: 'ADDED', object: cm('b', '12') });
        onEvent({ type: 'ADDED', object: cm('c', '13') });
      },
    };
    const informer = make(lw, clock);
    const seen: string[] = [];
    let stopping: Promise<void> | undefined;
    informer.subscribe((e) => {
      seen.push(e.object.metadata.name as string);
      stopping ??= informer.stop();
    });
    await informer.synced;
    await flush();
    await stopping;
    assert.deepEqual(seen, ['a']);
    assert.equal(informer.get('default/b'), undefined, 'the store ignores events after stop');
  });

  it('the backoff resets after a healthy watch that the server ended cleanly', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([], '10'));
    const informer = make(lw, clock, { reflector: { healthyMs: 5000, watchdogMs: 1_000_000 } });
    await informer.synced;
    let w = await lw.watchNumber(1);
    w.fail(new Error('reset'));
    await advance(clock, 800);
    w = await lw.watchNumber(2);
    w.fail(new Error('reset'));
    await advance(clock, 1600);
    w = await lw.watchNumber(3);
    // Healthy for longer than healthyMs, then the server's timeoutSeconds ends it cleanly.
    await advance(clock, 6000);
    lw.watchAnswers.push(new Error('refused'));
    w.end();
    await flush();
    assert.equal(lw.watches.length, 3, 'the fourth watch was refused');
    assert.equal(nextDelay(clock), 800);
  });

  it('a streaming list resumes from the initial-events-end bookmark after a dropped stream', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    const informer = make(lw, clock, { reflector: { streamingList: 'auto' } });
    informer.start();
    const w1 = await lw.watchNumber(1);
    w1.emit('ADDED', cm('a', '5'));
    w1.emit('BOOKMARK', { metadata: { resourceVersion: '9', annotations: { 'k8s.io/initial-events-end': 'true' } } });
    await informer.synced;
    w1.emit('MODIFIED', cm('a', '12'));
    w1.fail(new Error('connection reset'));
    await advance(clock, 800);
    const w2 = await lw.watchNumber(2);
    assert.equal(w2.request.sendInitialEvents, undefined, 'no relist after a dropped stream');
    assert.equal(w2.request.resourceVersion, '12');
    assert.equal(lw.listRequests.length, 0);
  });

  it('a 410 on a continue page restarts the list from its first page, at once', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5')], '10', 'p2'));
    lw.lists.push(new ApiError(makeStatus(410, 'Expired', 'The provided continue parameter is too old')));
    lw.lists.push(page([cm('a', '5')], '30', 'q2'), page([cm('b', '25')], '30'));
    const informer = make(lw, clock);
    await informer.synced;
    assert.deepEqual(
      lw.listRequests.map((r) => r.continue),
      [undefined, 'p2', undefined, 'q2'],
    );
    assert.deepEqual(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
      ['a', 'b'],
    );
    assert.equal(informer.lastSyncResourceVersion, '30', 'the restarted list gives the resume point');
    assert.equal((await lw.watchNumber(1)).request.resourceVersion, '30');
  });

  it('a non-410 ERROR event relists after a backoff, and only then', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5'), cm('b', '6')], '10'));
    lw.lists.push(page([cm('a', '5'), cm('b', '16')], '20'));
    const informer = make(lw, clock, { reflector: { watchdogMs: 1_000_000 } });
    const events: string[] = [];
    informer.subscribe((e) => events.push(describeEvent(e)), { replay: false });
    await informer.synced;
    events.length = 0;
    const w = await lw.watchNumber(1);
    w.emit('ERROR', { ...makeStatus(500, 'InternalError', 'etcd is unhappy') });
    await flush();
    assert.equal(lw.listRequests.length, 1, 'no relist before the backoff');
    assert.equal(nextDelay(clock), 800);
    await advance(clock, 800);
    await lw.watchNumber(2);
    assert.equal(lw.listRequests.length, 2);
    // Same resourceVersion: no event; changed resourceVersion: an update.
    assert.deepEqual(events, ['updated:b:false']);
  });

  it('a handler that stops the informer during the initial list gets no further event', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5'), cm('b', '6'), cm('c', '7')], '10'));
    const informer = make(lw, clock);
    const seen: string[] = [];
    let stopping: Promise<void> | undefined;
    informer.subscribe((e) => {
      seen.push(e.object.metadata.name as string);
      stopping ??= informer.stop();
    });
    await assert.rejects(informer.synced, { code: 'KLOOP_INFORMER_STOPPED' });
    await stopping;
    assert.equal(seen.length, 1);
    assert.equal(informer.hasSynced(), false, 'synced was rejected: hasSynced agrees');
    assert.equal(lw.watches.length, 0, 'no watch opened after stop');
    assert.equal(clock.pendingTimers(), 0);
  });

  it('a handler unsubscribed by another during a relist hears nothing more of that relist', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5'), cm('b', '6'), cm('c', '7')], '10'));
    const informer = make(lw, clock);
    const heard: string[] = [];
    let offB: (() => void) | undefined;
    informer.subscribe(() => offB?.(), { replay: false });
    offB = informer.subscribe((e) => heard.push(e.object.metadata.name as string), { replay: false });
    await informer.synced;
    // The event being dispatched when A unsubscribed B still reaches B (as on the watch path and
    // in client-go); none of the relist's later events do.
    assert.deepEqual(heard, ['a']);
  });
});
