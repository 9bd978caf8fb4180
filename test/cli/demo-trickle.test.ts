// The demo's trickle (`kloop demo --watch --trickle MS`): on its clock, one ConfigMap change per
// period, the ConfigMaps in turn with the next colour; a failed change is reported and the next
// turn goes on; stop ends it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTrickle } from '../../src/cli/demo-extras.js';
import type { KubeClient } from '../../src/client/index.js';
import { ManualClock } from '../../src/core/index.js';
import { flush } from '../support/index.js';

type Patch = KubeClient['patch'];

test('one change per period, in turn, until stopped; a failed change is reported and the next goes on', async () => {
  const clock = new ManualClock();
  const sent: string[] = [];
  const errors: string[] = [];
  const kube = {
    patch: (async (ref, body) => {
      const { key } = ref as { key: { namespace: string; name: string } };
      const color = (body as { data: { color: string } }).data.color;
      sent.push(`${key.namespace}/${key.name}=${color}`);
      if (key.name === 'b' && color === 'green') throw new Error('conflict');
      return {};
    }) as Patch,
  };
  const stop = startTrickle(kube, 'ns', ['a', 'b'], 1000, {
    clock,
    onError: (err, name) => errors.push(`${name}: ${(err as Error).message}`),
  });
  clock.advance(999);
  assert.deepEqual(sent, [], 'nothing before the first period');
  clock.advance(1);
  clock.advance(1000);
  await flush();
  assert.deepEqual(sent, ['ns/a=blue', 'ns/b=green']);
  assert.deepEqual(errors, ['b: conflict']);
  clock.advance(2000);
  assert.deepEqual(sent, ['ns/a=blue', 'ns/b=green', 'ns/a=red', 'ns/b=orange']);
  stop();
  clock.advance(10_000);
  assert.equal(sent.length, 4, 'nothing after stop');
});
