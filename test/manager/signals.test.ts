import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_DRAIN_TIMEOUT_MS } from '../../src/manager/manager.js';
import { DEFAULT_SHUTDOWN_DEADLINE_MS, exitOnSignal } from '../../src/manager/signals.js';

test('the first signal stops gracefully and exits 0; a second exits 1 at once', async () => {
  const exits: number[] = [];
  let release!: () => void;
  const stopped = new Promise<void>((resolve) => (release = resolve));
  const remove = exitOnSignal(() => stopped, {
    signals: ['SIGWINCH'],
    log: () => {},
    exit: (code) => exits.push(code),
  });
  try {
    process.emit('SIGWINCH', 'SIGWINCH');
    assert.deepEqual(exits, [], 'waits for the graceful stop');
    process.emit('SIGWINCH', 'SIGWINCH');
    assert.deepEqual(exits, [1], 'a second signal exits now');
    release();
    await stopped;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(exits, [1, 0]);
  } finally {
    remove();
  }
});

test('a stop that overruns its deadline exits 1; a failing stop exits 1', async (t) => {
  // exitOnSignal sets its deadline with setTimeout (it takes no Clock: the timer must be unref'd),
  // so node:test's mock timers stand in for the manual clock here.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const exits: number[] = [];
  const remove = exitOnSignal(() => new Promise<void>(() => {}), {
    signals: ['SIGWINCH'],
    deadlineMs: 20,
    log: () => {},
    exit: (c) => exits.push(c),
  });
  process.emit('SIGWINCH', 'SIGWINCH');
  t.mock.timers.tick(19);
  assert.deepEqual(exits, [], 'still stopping');
  t.mock.timers.tick(1);
  remove();
  assert.deepEqual(exits, [1], 'the deadline passed');

  const exits2: number[] = [];
  const remove2 = exitOnSignal(() => Promise.reject(new Error('boom')), {
    signals: ['SIGWINCH'],
    log: () => {},
    exit: (c) => exits2.push(c),
  });
  process.emit('SIGWINCH', 'SIGWINCH');
  await new Promise((r) => setImmediate(r));
  remove2();
  assert.deepEqual(exits2, [1]);
});

test('the default drain ends well before the default signal deadline, which ends before kubelet kills', () => {
  // With both at 30 s a hanging reconcile used the whole deadline draining: the process then
  // exited 1 before releasing its Lease, and the next replica waited a whole lease duration.
  const KUBELET_DEFAULT_GRACE_MS = 30_000;
  assert.ok(
    DEFAULT_DRAIN_TIMEOUT_MS + 5_000 <= DEFAULT_SHUTDOWN_DEADLINE_MS,
    'time left to release the Leases and close',
  );
  assert.ok(DEFAULT_SHUTDOWN_DEADLINE_MS < KUBELET_DEFAULT_GRACE_MS, 'exits on its own before SIGKILL');
});
