// The one real-time wait of the tests: it resolves to what the check found, or fails saying what
// was awaited and why the last attempt failed; and a check that returns nothing does not compile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '../../src/testing/index.js';

test('eventually resolves to the first truthy value the check returns', async () => {
  let calls = 0;
  const value = await eventually(() => (++calls >= 3 ? { calls } : undefined), { message: 'three calls', interval: 1 });
  assert.deepEqual(value, { calls: 3 });
});

test('eventually fails with what was awaited and the last failure', async () => {
  await assert.rejects(
    eventually(
      () => {
        assert.equal(1, 2, 'one is not two');
        return true;
      },
      { message: 'arithmetic to change', timeout: 20, interval: 5 },
    ),
    (err: Error) => /^arithmetic to change: not within 20 ms .*one is not two/.test(err.message),
  );
});

test('a check that returns nothing does not compile (it could never pass)', () => {
  // Checked by the compiler (`npm test` runs tsc on the tests), never run.
  const unchecked = async () => {
    // @ts-expect-error assertions alone: the check must end with `return true`
    await eventually(() => {}, { message: 'x' });
    // @ts-expect-error nor an async check that returns nothing
    await eventually(async () => {}, { message: 'x' });
  };
  assert.equal(typeof unchecked, 'function');
});

test('a check returning any compiles (a parsed JSON body may hold the answer)', async () => {
  const body = (): ReturnType<typeof JSON.parse> => JSON.parse('{"ready":true}');
  assert.equal(await eventually(() => body().ready, { message: 'ready' }), true);
});
