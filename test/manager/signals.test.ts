import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitOnSignal } from '../../src/manager/signals.js';

test('the first signal stops gracefully and exits 0; a second exits 1 at once', async () => {
  const exits: number[] = [];
  let release!: () => void;
  const stopped = new Promise<void>((resolve) => (release = resolve));
  const remove = exitOnSignal(() => stopped, { signals: ['SIGUSR2'], log: () => {}, exit: (code) => exits.push(code) });
  try {
    process.emit('SIGUSR2', 'SIGUSR2');
    assert.deepEqual(exits, [], 'waits for the graceful stop');
    process.emit('SIGUSR2', 'SIGUSR2');
    assert.deepEqual(exits, [1], 'a second signal exits now');
    release();
    await stopped;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(exits, [1, 0]);
  } finally {
    remove();
  }
});

test('a stop that overruns its deadline exits 1; a failing stop exits 1', async () => {
  const exits: number[] = [];
  const remove = exitOnSignal(() => new Promise<void>(() => {}), { signals: ['SIGUSR2'], deadlineMs: 20, log: () => {}, exit: (c) => exits.push(c) });
  process.emit('SIGUSR2', 'SIGUSR2');
  await new Promise((r) => setTimeout(r, 60));
  remove();
  assert.deepEqual(exits, [1]);

  const exits2: number[] = [];
  const remove2 = exitOnSignal(() => Promise.reject(new Error('boom')), { signals: ['SIGUSR2'], log: () => {}, exit: (c) => exits2.push(c) });
  process.emit('SIGUSR2', 'SIGUSR2');
  await new Promise((r) => setImmediate(r));
  remove2();
  assert.deepEqual(exits2, [1]);
});
