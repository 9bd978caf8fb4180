import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HotLoopDetector } from '../../src/controller/hot-loop.js';
import type { Trigger, WriteReport } from '../../src/controller/types.js';

const key = { namespace: 'ns', name: 'site' };
const website = { apiVersion: 'example.com/v1', kind: 'Website', namespace: 'ns', name: 'site' };
const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'site' };

const statusWrite = (rv: number): WriteReport => ({
  type: 'example.com/v1/Website',
  key,
  kind: 'status',
  fields: ['status'],
  resourceVersion: String(rv),
  bytes: 40,
});

const ownEvent = (rv: number): Trigger => ({
  source: 'for:example.com/v1/Website',
  event: 'updated',
  object: website,
  resourceVersion: String(rv),
  changed: ['status'],
});

describe('HotLoopDetector', () => {
  it('does not flag a controller that writes status once per external change folded with its own event', () => {
    // A Deployment rolls out replica by replica; each step the Website's status follows it.
    // The reconcile's triggers hold the event of its previous status write and the Deployment's
    // change: a legitimate write per change, not a loop.
    const detector = new HotLoopDetector(3);
    let rv = 100;
    let lastWrite = 0;
    for (let step = 0; step < 20; step++) {
      const triggers: Trigger[] = [
        {
          source: 'owns:apps/v1/Deployment',
          event: 'updated',
          object: deployment,
          resourceVersion: String(++rv),
          changed: ['status'],
        },
      ];
      if (lastWrite > 0) triggers.unshift(ownEvent(lastWrite));
      lastWrite = ++rv;
      const report = detector.observe('ns/site', key, triggers, [statusWrite(lastWrite)], triggers.length);
      assert.equal(report, undefined, `step ${step} flagged as a hot loop`);
    }
  });

  it('flags a key whose only triggers are the events of its own identical writes, once', () => {
    const detector = new HotLoopDetector(3);
    let rv = 10;
    let reports = 0;
    let triggers: Trigger[] = [
      { source: 'for:example.com/v1/Website', event: 'added', object: website, resourceVersion: '10' },
    ];
    for (let lap = 0; lap < 10; lap++) {
      const written = ++rv;
      const report = detector.observe('ns/site', key, triggers, [statusWrite(written)], triggers.length);
      if (report) {
        reports++;
        assert.deepEqual(report.fields, ['status']);
        assert.deepEqual(report.objects, ['example.com/v1/Website ns/site']);
        assert.equal(report.laps, 3);
      }
      triggers = [ownEvent(written)];
    }
    assert.equal(reports, 1);
  });

  it('does not count a lap when triggers were dropped from the kept list (not all known to be ours)', () => {
    const detector = new HotLoopDetector(2);
    let rv = 10;
    let triggers: Trigger[] = [];
    for (let lap = 0; lap < 6; lap++) {
      const written = ++rv;
      // 1 trigger kept in full out of 3 folded: the other two may be anyone's.
      assert.equal(detector.observe('ns/site', key, triggers, [statusWrite(written)], triggers.length + 2), undefined);
      triggers = [ownEvent(written)];
    }
  });

  it('forgets a key after a pass that writes nothing', () => {
    const detector = new HotLoopDetector(2);
    let rv = 10;
    let triggers: Trigger[] = [];
    for (let lap = 0; lap < 6; lap++) {
      const written = ++rv;
      const writes = lap % 2 === 0 ? [statusWrite(written)] : [];
      assert.equal(detector.observe('ns/site', key, triggers, writes, triggers.length), undefined);
      triggers = writes.length > 0 ? [ownEvent(written)] : [];
    }
  });
});
