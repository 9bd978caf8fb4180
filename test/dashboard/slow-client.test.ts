// A page that stops reading: the hub neither queues ticks for it (memory stays at what the socket
// already holds) nor keeps its place for ever (after `stuckAfterMs` blocked it is cut off, freeing
// a place for pages that read; EventSource reconnects and starts from a snapshot). All on the
// manual clock, with a response whose socket never drains.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { ManualClock } from '../../src/core/index.js';
import { DashboardHub, type DashboardSources } from '../../src/manager/dashboard/hub.js';
import type { ManagerDescription } from '../../src/manager/index.js';
import { flush } from '../support/index.js';

/** A response whose socket buffer is full from the first write until `drain()`. */
class StuckResponse extends EventEmitter {
  readonly writes: string[] = [];
  writableEnded = false;
  destroyed = false;
  full = true;
  statusCode = 0;
  writeHead(code: number): this {
    this.statusCode = code;
    return this;
  }
  write(chunk: string): boolean {
    this.writes.push(chunk);
    return !this.full;
  }
  end(): this {
    this.writableEnded = true;
    this.emit('close');
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    this.emit('close');
    return this;
  }
  drain(): void {
    this.full = false;
    this.emit('drain');
  }
}

function sources(clock: ManualClock): DashboardSources {
  const state: ManagerDescription = { started: true, controllers: [], informers: [] };
  return {
    registry: new Registry(),
    state: () => state,
    records: () => [],
    redact: (value) => value,
    objectSizes: () => [],
    clock,
    wallClock: () => clock.now(),
  };
}

async function step(hub: DashboardHub, clock: ManualClock, ms: number): Promise<void> {
  const before = hub.series.length;
  const last = hub.series.at(-1)?.t;
  clock.advance(ms);
  for (let n = 0; n < 100 && hub.series.at(-1)?.t === last && hub.series.length === before; n++) await flush();
}

test('a page that stops reading gets no backlog, a snapshot when it drains, and is cut off when stuck', async () => {
  const clock = new ManualClock();
  const hub = new DashboardHub(sources(clock), { intervalMs: 1000, maxClients: 2, stuckAfterMs: 10_000 });
  await hub.start();
  try {
    const slow = new StuckResponse();
    hub.connect(slow as unknown as ServerResponse);
    assert.equal(slow.writes.length, 1, 'the snapshot');
    for (let i = 0; i < 5; i++) await step(hub, clock, 1000);
    assert.equal(slow.writes.length, 1, 'ticks dropped while the socket is full, not queued');
    slow.drain();
    assert.equal(slow.writes.length, 2);
    assert.match(slow.writes[1]!, /^event: snapshot/, 'a fresh snapshot once it drains, not the backlog');
    await step(hub, clock, 1000);
    assert.match(slow.writes[2]!, /^event: tick/, 'then ticks again');

    const stuck = new StuckResponse();
    hub.connect(stuck as unknown as ServerResponse);
    assert.equal(hub.clients, 2);
    const full = new StuckResponse();
    hub.connect(full as unknown as ServerResponse);
    assert.equal(full.statusCode, 503, 'no place left');
    for (let i = 0; i < 9; i++) await step(hub, clock, 1000);
    assert.equal(stuck.destroyed, false, 'not yet: blocked for 9 s');
    await step(hub, clock, 1000);
    await step(hub, clock, 1000);
    assert.equal(stuck.destroyed, true, 'cut off after 10 s without draining');
    assert.equal(hub.clients, 1, 'its place is free');
    assert.equal(slow.destroyed, false, 'the page that reads stays');
  } finally {
    hub.close();
  }
});

test('a reading that fails is reported and skipped: the interval goes on, the process does not crash', async () => {
  const clock = new ManualClock();
  const base = sources(clock);
  let failing = true;
  const errors: unknown[] = [];
  const hub = new DashboardHub(
    {
      ...base,
      // e.g. a debug section holding a BigInt: JSON cannot carry it.
      state: () => (failing ? ({ ...base.state(), odd: 1n } as unknown as ManagerDescription) : base.state()),
      onError: (err) => errors.push(err),
    },
    { intervalMs: 1000 },
  );
  await hub.start();
  try {
    assert.equal(hub.series.length, 0, 'the first reading failed');
    assert.equal(errors.length, 1);
    await step(hub, clock, 1000);
    assert.equal(errors.length, 2, 'tried again on the next interval, and reported again');
    failing = false;
    await step(hub, clock, 1000);
    assert.equal(hub.series.length, 1, 'the feed goes on once the reading works');
  } finally {
    hub.close();
  }
});

test('a snapshot that cannot be made: a page connecting gets no stream, a page draining is cut off, nothing throws', async () => {
  const clock = new ManualClock();
  const base = sources(clock);
  let failing = false;
  const errors: unknown[] = [];
  const hub = new DashboardHub(
    {
      ...base,
      records: () => (failing ? [{ controller: 'c', records: [{ odd: 1n } as never] }] : []),
      onError: (err) => errors.push(err),
    },
    { intervalMs: 1000 },
  );
  await hub.start();
  try {
    const slow = new StuckResponse();
    hub.connect(slow as unknown as ServerResponse);
    await step(hub, clock, 1000);
    failing = true;
    slow.drain();
    assert.equal(slow.destroyed, true, 'the page reconnects for a fresh snapshot');
    assert.ok(errors.length > 0, 'reported');
    const late = new StuckResponse();
    assert.throws(() => hub.connect(late as unknown as ServerResponse), /BigInt/);
    assert.equal(late.statusCode, 0, 'no 200 sent: the route answers 500');
    assert.equal(hub.clients, 0);
  } finally {
    hub.close();
  }
});
