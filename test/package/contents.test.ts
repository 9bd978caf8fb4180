/**
 * The package as users get it: `npm pack` of this tree installed with `npm install --omit=dev`
 * into an empty project (built and installed once per content, see `test/support/package.ts`).
 * What it holds: compiled JavaScript and declarations only, the LICENSE, the docs it links to, no
 * TypeScript tooling among its dependencies, under 25 MB installed, and types that resolve (attw).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { cleanEnv, installPackedKloop, type PackedKloop, ROOT, run } from '../support/package.js';

/** Most a production install of the package may weigh, `du -sm node_modules`. */
const MAX_INSTALL_MB = 25;

let project: string;
let packed: PackedKloop;
let files: string[];
let kloopDir: string;

before(async () => {
  ({ project, packed } = await installPackedKloop());
  kloopDir = join(project, 'node_modules', 'kloop');
  const { stdout } = await run('tar', ['-tzf', packed.tarball], { cwd: ROOT });
  files = stdout
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
});

function node(args: readonly string[], cwd = project) {
  return run(process.execPath, args, { cwd, env: cleanEnv(), timeout: 120_000 });
}

describe('the packed package', () => {
  it('holds compiled JavaScript and declarations, no sources beside them, no source maps', () => {
    assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts'));
    assert.deepEqual(
      files.filter((f) => f.startsWith('src/')),
      [],
    );
    const typescript = files.filter((f) => /\.[cm]?ts$/.test(f) && !/\.d\.[cm]?ts$/.test(f));
    // The examples' sources ship for the docs that link to them; they import `kloop` (the compiled one).
    assert.deepEqual(
      typescript.filter((f) => !f.startsWith('examples/')),
      [],
    );
    assert.deepEqual(
      files.filter((f) => f.endsWith('.map')),
      [],
    );
    assert.deepEqual(
      files.filter((f) => /\.test\.[cm]?[jt]s$/.test(f)),
      [],
    );
  });

  it('carries the Apache-2.0 LICENSE it declares, the README, and the docs and examples they link to', () => {
    const manifest = JSON.parse(readFileSync(join(kloopDir, 'package.json'), 'utf8')) as { license: string };
    assert.equal(manifest.license, 'Apache-2.0');
    assert.match(readFileSync(join(kloopDir, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/);
    const pages = ['README.md', ...files.filter((f) => f.startsWith('docs/') && f.endsWith('.md'))];
    assert.ok(pages.length > 10, `${pages.length} pages`);
    const broken: string[] = [];
    for (const page of pages) {
      const text = readFileSync(join(kloopDir, page), 'utf8');
      for (const [, href] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(href!)) continue;
        const target = join(dirname(page), href!);
        // The development tree (tests, scripts, benchmarks) is the repository's, not the package's.
        if (/^(scripts|test|bench)\//.test(target)) continue;
        if (!existsSync(join(kloopDir, target))) broken.push(`${page}: ${href}`);
      }
    }
    assert.deepEqual(broken, [], 'links to files the package does not contain');
  });

  it('needs no TypeScript tooling at run time: tsx and esbuild are not installed with it', () => {
    const manifest = JSON.parse(readFileSync(join(kloopDir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const dev of ['tsx', 'esbuild', 'typescript']) {
      assert.equal(manifest.dependencies[dev], undefined, `${dev} is a dependency`);
      assert.equal(existsSync(join(project, 'node_modules', dev)), false, `${dev} is installed`);
    }
  });

  it(`installs under ${MAX_INSTALL_MB} MB (du -sm node_modules after npm install --omit=dev)`, async () => {
    const { stdout } = await run('du', ['-sm', 'node_modules'], { cwd: project });
    const mb = Number(stdout.split('\t')[0]);
    assert.ok(mb > 0 && mb < MAX_INSTALL_MB, `node_modules is ${mb} MB`);
  });

  it('declares every entry point with its types and files that exist', () => {
    const manifest = JSON.parse(readFileSync(join(kloopDir, 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, string>>;
    };
    const entries = Object.keys(manifest.exports).filter((k) => k !== './package.json');
    assert.deepEqual(entries.sort(), ['.', './apiserver', './collections', './statedb', './testing']);
    for (const entry of entries) {
      const target = manifest.exports[entry] as Record<string, string>;
      for (const condition of ['types', 'import']) {
        assert.ok(target[condition], `${entry} has no ${condition}`);
        assert.ok(
          existsSync(join(kloopDir, target[condition]!)),
          `${entry} ${condition}: ${target[condition]} missing`,
        );
      }
    }
  });

  it('names under every export condition, the bin and main only files it ships', () => {
    // The repository's `kloop-source` condition points into src/, which is not shipped: a consumer
    // (or bundler) resolving with that condition would find nothing. The packed manifest drops it.
    const manifest = JSON.parse(readFileSync(join(kloopDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const targets: string[] = [];
    const collect = (value: unknown, where: string): void => {
      if (typeof value === 'string') targets.push(`${where} -> ${value}`);
      else if (value && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) collect(inner, `${where} ${key}`);
      }
    };
    for (const field of ['exports', 'bin', 'main', 'types', 'module', 'imports']) collect(manifest[field], field);
    assert.ok(targets.length >= 10, targets.join('\n'));
    const missing = targets.filter((t) => !existsSync(join(kloopDir, t.split(' -> ')[1]!)));
    assert.deepEqual(missing, [], 'targets the package does not contain');
    assert.equal(
      JSON.stringify(manifest.exports).includes('kloop-source'),
      false,
      'the source condition is the repository’s',
    );
  });

  it('resolves its types for Node and bundlers (attw)', async () => {
    const attw = join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    // ESM only: the CommonJS and node10 resolutions are out of scope by design.
    await node([attw, packed.tarball, '--profile', 'esm-only', '--format', 'ascii'], ROOT);
  });
});
