// scripts/publish-manifest.mjs, which npm runs as prepack and postpack: the shipped package.json
// has no `kloop-source` condition, the repository's comes back byte for byte, and a pack that died
// between the two (its backup left behind) is recovered from rather than stripped twice.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const SCRIPT = join('scripts', 'publish-manifest.mjs');
const dir = mkdtempSync(join(tmpdir(), 'kloop-publish-manifest-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function step(command: string): void {
  const result = spawnSync(process.execPath, [SCRIPT, command, dir], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
}

describe('the shipped package.json', () => {
  const original = readFileSync('package.json', 'utf8');
  const manifest = () => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

  it('drops the source condition from every export, keeps the rest, and restores the original', () => {
    writeFileSync(join(dir, 'package.json'), original);
    step('strip');
    const shipped = manifest();
    const expected = JSON.parse(original);
    for (const target of Object.values(expected.exports) as Array<Record<string, string> | string>) {
      if (typeof target === 'object') delete target['kloop-source'];
    }
    assert.deepEqual(shipped, expected);
    assert.deepEqual(shipped.exports['.'], { types: './dist/index.d.ts', import: './dist/index.js' });
    step('restore');
    assert.equal(readFileSync(join(dir, 'package.json'), 'utf8'), original);
    assert.equal(existsSync(join(dir, 'package.json.prepack')), false);
  });

  it('recovers from a pack that died before postpack', () => {
    writeFileSync(join(dir, 'package.json'), original);
    step('strip');
    // No postpack: the next pack strips again, from the kept original.
    step('strip');
    assert.equal(JSON.stringify(manifest().exports).includes('kloop-source'), false);
    step('restore');
    assert.equal(readFileSync(join(dir, 'package.json'), 'utf8'), original);
    step('restore');
    assert.equal(readFileSync(join(dir, 'package.json'), 'utf8'), original, 'restore without a backup changes nothing');
  });

  it("npm pack whose build fails leaves the repository's package.json as it was", () => {
    // npm runs prepack, prepare (the build), then postpack only when the pack succeeds: a failed
    // build left the stripped manifest in the checkout, and the repository's own runs (which
    // resolve kloop through kloop-source) failed until the next pack.
    const project = join(dir, 'failing-build');
    mkdirSync(join(project, 'scripts'), { recursive: true });
    copyFileSync(SCRIPT, join(project, SCRIPT));
    const repository = JSON.parse(original);
    const manifestText = `${JSON.stringify(
      {
        name: 'pack-fails',
        version: '1.0.0',
        exports: repository.exports,
        scripts: {
          prepare: repository.scripts.prepare,
          prepack: repository.scripts.prepack,
          postpack: repository.scripts.postpack,
          build: 'node -e "process.exit(3)"',
        },
      },
      null,
      2,
    )}\n`;
    writeFileSync(join(project, 'package.json'), manifestText);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const pack = spawnSync(npm, ['pack', '--dry-run', '--ignore-scripts=false'], { cwd: project, encoding: 'utf8' });
    assert.notEqual(pack.status, 0, 'the build fails, so the pack does');
    assert.equal(readFileSync(join(project, 'package.json'), 'utf8'), manifestText);
    assert.equal(existsSync(join(project, 'package.json.prepack')), false);
  });
});
