// The cache of the packed package is keyed by the hash of what the build reads: whatever changes
// the tarball must change the key, or tests of the package run a stale build.
import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { test } from 'node:test';
import { packageInputFiles, ROOT } from './package.js';

test('the package is packed again when anything its build reads changes', () => {
  const inputs = packageInputFiles().map((file) => relative(ROOT, file));
  for (const file of [
    'package.json',
    'tsconfig.build.json',
    'src/index.ts',
    'bin/kloop.js',
    'docs/manager.md',
    // The dashboard bundle in dist/dashboard/ (npm run build runs scripts/build-ui.mjs).
    'scripts/build-ui.mjs',
    'ui/index.html',
    'ui/src/main.tsx',
  ]) {
    assert.ok(inputs.includes(file), `${file} is not an input of the package's hash`);
  }
  assert.deepEqual(
    inputs.filter((file) => file.endsWith('.test.ts')),
    [],
  );
});
