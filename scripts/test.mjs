#!/usr/bin/env node
// Runs every test file under test/ and src/ with node:test, TypeScript through tsx.
// Node 20's --test does not expand globs, so the file list is built here.
// Usage: node scripts/test.mjs [filter-substring ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = [...walk('src', []), ...walk('test', [])]
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Tests of the packed package share one build, pack and install, made here first (cached by
// content hash): inside a test file it would not fit the per-file timeout.
if (files.some((f) => readFileSync(f, 'utf8').includes('support/package.js'))) {
  const pack = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/pack.ts'], { stdio: 'inherit' });
  if (pack.status !== 0) {
    console.error('building and packing the package failed');
    process.exit(pack.status ?? 1);
  }
}
// `*.slow.test.ts` files (a strict type-check of the packed package, whole-program tsc runs) take
// minutes on a busy machine: they run after the others, one at a time, with a longer timeout.
const slow = files.filter((f) => f.endsWith('.slow.test.ts'));
const fast = files.filter((f) => !slow.includes(f));
function runFiles(list, concurrency, timeoutMs) {
  if (list.length === 0) return 0;
  const result = spawnSync(
    process.execPath,
    [
      '--conditions=kloop-source',
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${concurrency}`,
      `--test-timeout=${timeoutMs}`,
      ...list,
    ],
    { stdio: 'inherit', env: { ...process.env, KLOOP_VALIDATE: process.env.KLOOP_VALIDATE ?? '1' } },
  );
  return result.status ?? 1;
}
const fastStatus = runFiles(fast, 2, 120_000);
const slowStatus = runFiles(slow, 1, 900_000);
process.exit(fastStatus || slowStatus);
