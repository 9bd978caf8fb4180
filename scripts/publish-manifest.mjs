#!/usr/bin/env node
// The package.json that ships: the repository's, without the `kloop-source` export condition.
// That condition points `kloop`, `kloop/testing`, ... at src/*.ts for the repository's own runs
// (tests, `npm start`, `npm run bench`, the type-check); src/ is not in the package, so a consumer
// resolving with it would find nothing. npm has no publish-time override of `exports`, so
// `prepack` writes the shipped manifest over package.json (keeping the original beside it) and
// `postpack` puts the original back, byte for byte (pinst switches package.json fields the same
// way). npm runs postpack only after a successful pack, so `prepare` (the build, which runs between
// the two) restores the original itself when it fails. A pack that failed in between otherwise
// leaves the backup: the next `strip` starts from it, and `restore` (or any later pack) puts it back.
// Usage: node scripts/publish-manifest.mjs strip|restore [DIR]   (DIR defaults to the current one)
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE_CONDITION = 'kloop-source';
/** Where `strip` keeps the repository's package.json until `restore`. */
const BACKUP = 'package.json.prepack';

/** `exports` with every `kloop-source` condition removed, at any depth. */
function withoutSourceCondition(value) {
  if (Array.isArray(value)) return value.map(withoutSourceCondition);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== SOURCE_CONDITION)
      .map(([key, inner]) => [key, withoutSourceCondition(inner)]),
  );
}

/** Writes the shipped manifest over `dir/package.json`, the original kept as {@link BACKUP}. */
function strip(dir = '.') {
  const manifestPath = join(dir, 'package.json');
  const backupPath = join(dir, BACKUP);
  // A backup left by a pack that failed before postpack is the original; package.json is not.
  if (!existsSync(backupPath)) writeFileSync(backupPath, readFileSync(manifestPath));
  const manifest = JSON.parse(readFileSync(backupPath, 'utf8'));
  if (manifest.exports !== undefined) manifest.exports = withoutSourceCondition(manifest.exports);
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Puts the original `dir/package.json` back, when {@link strip} replaced it. */
function restore(dir = '.') {
  const backupPath = join(dir, BACKUP);
  if (existsSync(backupPath)) renameSync(backupPath, join(dir, 'package.json'));
}

const [command, dir = '.'] = process.argv.slice(2);
if (command === 'strip') strip(dir);
else if (command === 'restore') restore(dir);
else {
  console.error('Usage: node scripts/publish-manifest.mjs strip|restore [DIR]');
  process.exit(2);
}
