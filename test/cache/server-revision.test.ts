// A server that went back in time (an etcd restore, a server restarted empty on the same
// address), and a server that has not reached the resourceVersion asked for (504
// ResourceVersionTooLarge): the reflector relists and replaces the store, on the fake clock,
// without false alarms from lagging lists or resourceVersions that are not integers.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { InformerEvent, ReflectorOptions } from '../../src/cache/index.js';
import { SharedInformer } from '../../src/cache/index.js';
import { isTooLargeResourceVersion } from '../../src/cache/server-revision.js';
import { ApiError, type KubeObject, ManualClock, makeStatus, type Status } from '../../src/core/index.js';
import { advance, flush } from '../support/index.js';
import { cm, FakeListerWatcher, ProbingListerWatcher, page } from './fakes.js';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

const running: SharedInformer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((i) => i.stop()));
});

function make(lw: FakeListerWatcher, clock: ManualClock, reflector: Partial<ReflectorOptions> = {}) {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  const registry = new Registry();
  const informer = new SharedInformer({
    type: { apiVersion: 'v1', kind: 'ConfigMap' },
    resource: 'configmaps',
    listerWatcher: lw,
    logger,
    registry,
    clock,
    reflector: { random: () => 0, streamingList: false, watchdogMs: 1e9, resourceVersionCheckMs: 0, ...reflector },
  });
  running.push(informer);
  const events: string[] = [];
  informer.subscribe((e: InformerEvent) => events.push(`${e.type}:${e.object.metadata.name}`), { replay: false });
  const relists = async (reason: string): Promise<number> => {
    const m = await registry.getSingleMetric('kloop_informer_relists_total')?.get();
    return (m?.values ?? []).filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
  };
  const warnings = (pattern: RegExp) => lines.filter((l) => l.level === 40 && pattern.test(l.msg));
  return { informer, events, relists, warnings };
}

const names = (objects: KubeObject[]) => objects.map((o) => o.metadata.name).sort();

function tooLargeStatus(asked: string, current: string): Status {
  return makeStatus(504, 'Timeout', `Timeout: Too large resource version: ${asked}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

describe('a server that went back in time', () => {
  it('the periodic check on the fake clock finds it, confirms it, relists and replaces the store', async () => {
    const lw = new ProbingListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '40', { uid: 'ua' }), cm('b', '5', { uid: 'ub' })], '100'));
    lw.serverRevision = '100';
    const { informer, events, relists, warnings } = make(lw, clock, { resourceVersionCheckMs: 60_000 });
    await informer.synced;
    events.length = 0;
    const w1 = await lw.watchNumber(1);
    await advance(clock, 60_000);
    assert.equal(lw.probes, 1, 'one probe a period');
    assert.equal(lw.listRequests.length, 1, 'the server is where the informer is: nothing to do');

    // Restored from an older snapshot: revision 7; b was recreated and got resourceVersion 5
    // again, under another uid; c is new; a is gone.
    lw.serverRevision = '7';
    lw.lists.push(page([cm('b', '5', { uid: 'ub-2' }), cm('c', '6', { uid: 'uc' })], '7'));
    await advance(clock, 60_000);
    assert.equal(lw.probes, 2);
    assert.equal(lw.listRequests.length, 1, 'one answer below is not enough');
    assert.equal(w1.closed, false);
    await advance(clock, 2000);
    assert.equal(lw.probes, 3, 'the confirming probe');
    const w2 = await lw.watchNumber(2);
    assert.equal(w1.closed, true, 'the silent watch was cut');
    assert.equal(lw.listRequests[1].resourceVersion, undefined, 'a consistent list');
    assert.equal(w2.request.resourceVersion, '7');
    assert.deepEqual(names(informer.list()), ['b', 'c']);
    assert.equal(informer.get('default/b')?.metadata.uid, 'ub-2', 'same name and resourceVersion, new object');
    assert.deepEqual(events.sort(), ['added:c', 'deleted:a', 'updated:b']);
    assert.equal(informer.lastSyncResourceVersion, '7');
    assert.equal(await relists('resource_version_went_back'), 1);
    const logged = warnings(/went back in time/);
    assert.equal(logged.length, 1, 'one log line');
    assert.equal(logged[0].resourceVersion, '100');
    assert.equal(logged[0].serverResourceVersion, '7');

    // The next periods compare with the new store: no storm.
    await advance(clock, 180_000);
    assert.equal(lw.probes, 6);
    assert.equal(await relists('resource_version_went_back'), 1);
  });

  it('is checked before a watch reconnects after a transport error', async () => {
    const lw = new ProbingListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '40'), cm('b', '41')], '100'));
    lw.serverRevision = '100';
    const { informer, relists } = make(lw, clock);
    await informer.synced;
    const w1 = await lw.watchNumber(1);
    // The server is restarted empty on the same address, then gets one object.
    lw.serverRevision = '3';
    lw.lists.push(page([cm('c', '3')], '3'));
    w1.fail(new Error('connect ECONNREFUSED 127.0.0.1:6443'));
    await flush();
    assert.equal(lw.probes, 0, 'nothing before the backoff');
    await advance(clock, 800);
    assert.equal(lw.probes, 1);
    assert.equal(lw.watches.length, 1, 'no watch from a resourceVersion the server has not reached');
    await advance(clock, 2000);
    assert.equal(lw.probes, 2);
    const w2 = await lw.watchNumber(2);
    assert.equal(w2.request.resourceVersion, '3');
    assert.deepEqual(names(informer.list()), ['c']);
    assert.equal(await relists('resource_version_went_back'), 1);
  });

  it('is checked after a stream that ended early, not after one that ran to its timeout', async () => {
    const lw = new ProbingListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '40')], '100'));
    lw.serverRevision = '100';
    const { informer } = make(lw, clock, { minTimeoutSeconds: 300, maxTimeoutSeconds: 300 });
    await informer.synced;
    const w1 = await lw.watchNumber(1);
    w1.end();
    await advance(clock, 800);
    const w2 = await lw.watchNumber(2);
    assert.equal(lw.probes, 1, 'the early end was checked');
    assert.equal(w2.request.resourceVersion, '100', 'the server is current: watch on');
    await advance(clock, 300_000);
    w2.end();
    await lw.watchNumber(3);
    assert.equal(lw.probes, 1, 'a watch the server ended on its timeout is no sign of anything');
  });

  it('a list from a lagging cache is no false alarm: the confirming probe sees it caught up', async () => {
    const lw = new ProbingListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '40')], '100'));
    lw.probeAnswers.push('90', '100');
    const { informer, relists } = make(lw, clock);
    await informer.synced;
    (await lw.watchNumber(1)).fail(new Error('socket hang up'));
    await advance(clock, 800 + 2000);
    const w2 = await lw.watchNumber(2);
    assert.equal(lw.probes, 2);
    assert.equal(w2.request.resourceVersion, '100');
    assert.equal(lw.listRequests.length, 1, 'no relist');
    assert.equal(await relists('resource_version_went_back'), 0);
    assert.deepEqual(names(informer.list()), ['a']);
  });

  it('no relist storm when resourceVersions are not integers: one probe, then the check is off', async () => {
    const lw = new ProbingListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', 'zz-2')], 'zz-9'));
    // Below "zz-9" as strings: compared as text this would be a server that went back.
    lw.serverRevision = 'aa-1';
    const { informer, relists } = make(lw, clock, { resourceVersionCheckMs: 60_000 });
    await informer.synced;
    for (let i = 1; i <= 20; i++) {
      (await lw.watchNumber(i, clock)).end();
      await advance(clock, 60_000);
    }
    assert.equal(lw.probes, 1);
    assert.equal(lw.listRequests.length, 1);
    assert.equal(await relists('resource_version_went_back'), 0);
    assert.equal(clock.pendingTimers(), 1, 'no periodic check armed, only the pending watch');
  });

  it('a server that answers the probe without a resourceVersion, or refuses it, turns the check off', async () => {
    for (const answer of [undefined, '', '0', new ApiError(makeStatus(403, 'Forbidden', 'configmaps is forbidden'))]) {
      const lw = new ProbingListerWatcher();
      const clock = new ManualClock();
      lw.lists.push(page([cm('a', '40')], '100'));
      lw.probeAnswers.push(answer);
      const { informer } = make(lw, clock);
      await informer.synced;
      (await lw.watchNumber(1)).fail(new Error('reset'));
      await advance(clock, 800);
      const w2 = await lw.watchNumber(2);
      assert.equal(w2.request.resourceVersion, '100', `${String(answer)}: the watch goes on`);
      w2.fail(new Error('reset'));
      await advance(clock, 1600);
      await lw.watchNumber(3);
      assert.equal(lw.probes, 1, `${String(answer)}: asked once`);
      await informer.stop();
    }
  });

  it('a probe that fails on the connection backs off and is asked again before the watch', async () => {
    const lw = new ProbingListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '40')], '100'));
    lw.probeAnswers.push(new Error('connect ECONNREFUSED'));
    lw.serverRevision = '100';
    const { informer } = make(lw, clock);
    await informer.synced;
    (await lw.watchNumber(1)).fail(new Error('reset'));
    await advance(clock, 800);
    assert.equal(lw.probes, 1);
    assert.equal(lw.watches.length, 1);
    await advance(clock, 1600);
    assert.equal(lw.probes, 2);
    assert.equal((await lw.watchNumber(2)).request.resourceVersion, '100');
  });

  it('a probe an overloaded server answers with 503 does not hold the watch back, and the check stays on', async () => {
    const lw = new ProbingListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '40')], '100'));
    lw.lists.push(page([], '2'));
    lw.probeAnswers.push(new ApiError(makeStatus(503, 'ServiceUnavailable', 'etcd is slow')));
    lw.serverRevision = '2';
    const { informer } = make(lw, clock);
    await informer.synced;
    (await lw.watchNumber(1)).fail(new Error('reset'));
    await advance(clock, 800);
    const w2 = await lw.watchNumber(2);
    assert.equal(w2.request.resourceVersion, '100', 'watched at once');
    w2.fail(new Error('reset'));
    await advance(clock, 1600 + 2000);
    assert.equal(lw.probes, 3, 'asked again, and confirmed');
    assert.equal((await lw.watchNumber(3)).request.resourceVersion, '2', 'relisted');
  });

  it('stop() during the confirming wait leaves no timer and opens nothing', async () => {
    const lw = new ProbingListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '40')], '100'));
    lw.serverRevision = '1';
    const { informer } = make(lw, clock, { resourceVersionCheckMs: 60_000 });
    await informer.synced;
    await lw.watchNumber(1);
    await advance(clock, 60_000);
    assert.equal(lw.probes, 1);
    await informer.stop();
    assert.equal(clock.pendingTimers(), 0);
    await advance(clock, 10_000);
    assert.equal(lw.probes, 1);
    assert.equal(lw.listRequests.length, 1);
  });
});

describe('504 ResourceVersionTooLarge', () => {
  it('on a watch: relist with a consistent read after backoff, counted with its reason', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '150'), cm('b', '190')], '200'));
    const { informer, events, relists, warnings } = make(lw, clock);
    await informer.synced;
    events.length = 0;
    const w1 = await lw.watchNumber(1);
    lw.watchAnswers.push(new ApiError(tooLargeStatus('200', '150')));
    lw.lists.push(page([cm('a', '150')], '150'));
    w1.end();
    await advance(clock, 800);
    assert.equal(lw.listRequests.length, 1, 'the relist waits for its backoff');
    await advance(clock, 1600);
    const w2 = await lw.watchNumber(2);
    assert.equal(lw.listRequests.length, 2);
    assert.equal(lw.listRequests[1].resourceVersion, undefined, 'consistent: no resourceVersion');
    assert.equal(w2.request.resourceVersion, '150');
    assert.deepEqual(events, ['deleted:b']);
    assert.equal(await relists('too_large_resource_version'), 1);
    assert.equal(warnings(/ResourceVersionTooLarge/).length, 1);
  });

  it('as a watch ERROR event from an older server (no cause, the message says it)', async () => {
    const lw = new FakeListerWatcher();
    const clock = new ManualClock();
    lw.lists.push(page([cm('a', '5')], '10'));
    lw.lists.push(page([cm('a', '5')], '10'));
    const { informer, relists } = make(lw, clock);
    await informer.synced;
    (await lw.watchNumber(1)).emit('ERROR', {
      ...makeStatus(504, 'Timeout', 'Too large resource version: 12, current: 10'),
    });
    await advance(clock, 800);
    await lw.watchNumber(2);
    assert.equal(await relists('too_large_resource_version'), 1);
    assert.equal(await relists('error'), 0);
  });

  it('isTooLargeResourceVersion reads the Status as client-go does', () => {
    const cases: Array<[string, Status, boolean]> = [
      ['the cause, as 1.19+ servers send it', tooLargeStatus('9', '8'), true],
      [
        'the cause under another code',
        makeStatus(429, 'TooManyRequests', 'x', { causes: [{ reason: 'ResourceVersionTooLarge' }] }),
        true,
      ],
      [
        'a Timeout whose cause message says it (1.17-1.18)',
        makeStatus(504, 'Timeout', 'Timeout', { causes: [{ message: 'Too large resource version' }] }),
        true,
      ],
      ['a Timeout whose message says it (before 1.17)', makeStatus(504, 'Timeout', 'Too large resource version'), true],
      ['another Timeout', makeStatus(504, 'Timeout', 'Timeout: request did not complete within 60s'), false],
      ['the words on a 500', makeStatus(500, 'InternalError', 'Too large resource version'), false],
      ['410 Expired', makeStatus(410, 'Expired', 'too old resource version: 1 (5)'), false],
    ];
    for (const [what, status, expected] of cases) assert.equal(isTooLargeResourceVersion(status), expected, what);
    assert.equal(isTooLargeResourceVersion(undefined), false);
  });
});
