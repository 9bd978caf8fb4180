// Builds, packs and installs the package as users get it, once per content hash (see
// test/support/package.ts), so the test files that use it start from the cache: run by
// scripts/test.mjs before them, as a build within a test file would not fit its timeout.
// Usage: node --import tsx scripts/pack.ts
import { installPackedKloop } from '../test/support/package.js';

const started = performance.now();
const { project, packed } = await installPackedKloop();
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`kloop packed: ${packed.tarball}\ninstalled (--omit=dev) in ${project} (${seconds} s)`);
