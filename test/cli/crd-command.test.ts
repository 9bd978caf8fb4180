// `kloop crd MODULE [--out DIR]`: the CRDs of the resources a module exports, as YAML that parses
// back to exactly what `crd()` gives (the kubectl half is test/e2e/crd-kubectl.test.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { Website } from '../../examples/website-resource.js';
import { crdCommand, exportedResources, parseCrdArgs } from '../../src/cli/crd-command.js';
import { main } from '../../src/cli/main.js';
import { Probe } from '../fixtures/probe-resource.js';

async function run(args: string[]): Promise<string> {
  let out = '';
  assert.equal(await crdCommand(args, { out: (t) => (out += t) }), 0);
  return out;
}

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('kloop crd', () => {
  it('parses its arguments and says what is wrong', async () => {
    assert.deepEqual(parseCrdArgs(['m.ts']), { module: 'm.ts' });
    assert.deepEqual(parseCrdArgs(['m.ts', '--out', 'dir']), { module: 'm.ts', out: 'dir' });
    assert.throws(() => parseCrdArgs([]), /a MODULE is required/);
    assert.throws(() => parseCrdArgs(['a', 'b']), /one MODULE only/);
    assert.throws(() => parseCrdArgs(['a', '--bogus']), /Unknown option '--bogus'/);
    const errs: string[] = [];
    assert.equal(await main(['crd'], (l) => errs.push(l)), 2);
    assert.match(errs.join('\n'), /kloop crd: a MODULE is required/);
    const out: string[] = [];
    assert.equal(await main(['crd', '--help'], undefined, (l) => out.push(l)), 0);
    assert.match(out.join('\n'), /Usage: kloop crd MODULE \[--out DIR\]/);
  });

  it("prints the module's CRDs as YAML that parses back to crd()", async () => {
    const text = await run(['examples/website-resource.ts']);
    assert.deepEqual(yaml.load(text), Website.crd());
    const probe = yaml.loadAll(await run(['test/fixtures/probe-resource.ts']));
    assert.deepEqual(probe, [Probe.crd()]);
  });

  it('writes one file per CRD with --out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kloop-crd-'));
    try {
      const printed = await run(['examples/website-resource.ts', '--out', dir]);
      assert.equal(printed, `${join(dir, 'websites.kloop.dev.yaml')}\n`);
      assert.deepEqual(await readdir(dir), ['websites.kloop.dev.yaml']);
      assert.deepEqual(yaml.load(await readFile(join(dir, 'websites.kloop.dev.yaml'), 'utf8')), Website.crd());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('recognises resources by their brand: once each, versions and aliases folded, other exports ignored', () => {
    const found = exportedResources({
      Website,
      alias: Website,
      v1: Website.versions.v1,
      Probe,
      helper: () => 1,
      config: { apiVersion: 'x/v1', kind: 'X' },
    });
    assert.deepEqual(
      found.map((r) => r.kind),
      ['Website', 'Probe'],
    );
  });

  it('reads a plain JavaScript module whose resource comes from another copy of kloop (the brand is Symbol.for)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kloop-crd-js-'));
    try {
      const crd = Website.crd();
      const module = join(dir, 'resources.mjs');
      // No import of kloop at all: only the brand and a crd() make it a resource.
      await writeFile(
        module,
        `export const Copied = { [Symbol.for('kloop.resource')]: true, apiVersion: 'kloop.dev/v1', kind: 'Website', group: 'kloop.dev', plural: 'websites', crd: () => (${JSON.stringify(crd)}) };\nexport const notOne = { apiVersion: 'v1', kind: 'ConfigMap' };\n`,
      );
      assert.deepEqual(yaml.load(await run([module])), crd);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails clearly for a module that is missing or defines nothing', async () => {
    const missing = await runCli(['crd', 'no/such/module.ts']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /kloop crd: cannot import no\/such\/module\.ts: no such module/);
    const empty = await runCli(['crd', 'examples/configmap-mirror.ts']);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /kloop crd: examples\/configmap-mirror\.ts exports no resource made by defineResource/);
  });
});
