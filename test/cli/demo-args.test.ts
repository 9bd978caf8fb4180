// `kloop demo`'s arguments: `--watch` alone gets the CLI's trickle (so the dashboard moves), an
// explicit `--trickle` wins, and bad values are usage errors naming the flag.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_TRICKLE_MS, parseDemoArgs } from '../../src/cli/demo.js';

test('--watch without --trickle changes a ConfigMap every 3 s; --trickle sets or turns it off', () => {
  assert.equal(DEFAULT_TRICKLE_MS, 3000);
  assert.deepEqual(parseDemoArgs(['--watch']), { watch: true, trickleMs: 3000 });
  assert.deepEqual(parseDemoArgs(['--watch', '--trickle', '0']), { watch: true, trickleMs: 0 });
  assert.deepEqual(parseDemoArgs(['--trickle', '500', '--watch']), { watch: true, trickleMs: 500 });
  // Without --watch the demo ends after its workload: no trickle.
  assert.deepEqual(parseDemoArgs([]), {});
  assert.deepEqual(parseDemoArgs(['--scale', '2']), { scale: 2 });
});

test('bad demo arguments are usage errors that name the flag', () => {
  assert.throws(() => parseDemoArgs(['--trickle', 'soon']), {
    name: 'UsageError',
    message: '--trickle must be 0 or more ms',
  });
  assert.throws(() => parseDemoArgs(['--trickle']), { message: '--trickle needs a value' });
  assert.throws(() => parseDemoArgs(['--port', '70000']), { message: '--port must be 0..65535' });
  assert.throws(() => parseDemoArgs(['--fast']), { message: 'unknown argument --fast' });
});
