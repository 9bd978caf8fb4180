/**
 * The installed package at run time, as a user's process loads it: the `kloop` bin from `dist/`,
 * one copy of every class whichever entry point is imported, the compiled examples, and `kloop
 * crd` on the user's JavaScript or TypeScript module.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { cleanEnv, installPackedKloop, ROOT, run } from '../support/package.js';

let project: string;
let kloopDir: string;

before(async () => {
  ({ project } = await installPackedKloop());
  kloopDir = join(project, 'node_modules', 'kloop');
});

function node(args: readonly string[], cwd = project) {
  return run(process.execPath, args, { cwd, env: cleanEnv(), timeout: 60_000 });
}

describe('the installed package at run time', () => {
  it('runs the kloop bin from dist/', async () => {
    const { stdout } = await node([join('node_modules', '.bin', 'kloop'), '--help']);
    assert.match(stdout, /Usage: kloop <command>/);
  });

  it('loads one copy of every class whichever entry point is imported: instanceof ApiError holds', async () => {
    const script = `
      import { ApiError, ConfigMap, KubeClient, MissingTypeError } from 'kloop';
      import { startApiServer } from 'kloop/apiserver';
      import * as testing from 'kloop/testing';
      const server = await startApiServer();
      const client = KubeClient.fromKubeconfig(server.kubeconfig);
      let error;
      try { await client.get(ConfigMap, { namespace: 'default', name: 'absent' }); } catch (err) { error = err; }
      let missing;
      const emulator = await testing.startEmulator();
      try {
        await testing.startManager(emulator, (m) => m.controller('c').for({ apiVersion: 'example.com/v1', kind: 'Absent' }).reconcile(async () => {}));
      } catch (err) { missing = err; }
      console.log('RESULT ' + JSON.stringify({
        apiError: error instanceof ApiError,
        code: error?.statusCode,
        missing: missing instanceof MissingTypeError,
        url: import.meta.resolve('kloop'),
      }));
      client.close();
      await emulator.stop();
      await server.stop();
    `;
    const { stdout } = await node(['--input-type=module', '-e', script]);
    // The manager's log lines share stdout: the result is the line marked RESULT.
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(line, stdout);
    const result = JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown>;
    assert.equal(result.apiError, true);
    assert.equal(result.code, 404);
    assert.equal(result.missing, true);
    assert.match(String(result.url), /node_modules\/kloop\/dist\/index\.js$/);
  });

  it('runs the compiled examples: configmap-mirror mirrors a ConfigMap into three Secrets', async () => {
    const { stdout } = await node([join(kloopDir, 'dist', 'examples', 'configmap-mirror.js')]);
    assert.match(stdout, /mirrored into: default\/settings-mirror, team-a\/settings, team-b\/settings/);
  });

  it('runs the compiled examples: website turns Ready as the cluster runs its Pods', async () => {
    const { stdout } = await node([join(kloopDir, 'dist', 'examples', 'website.js')]);
    assert.match(stdout, /website default\/blog: Ready=True \(Available: 2\/2 replicas ready\)/);
  });

  it('prints the CRDs of a JavaScript module importing kloop (kloop crd)', async () => {
    const dir = await mkdtemp(join(project, 'crd-'));
    try {
      await writeFile(
        join(dir, 'resources.js'),
        `import { defineResource, Type } from 'kloop';
export const Widget = defineResource({ group: 'example.com', version: 'v1', kind: 'Widget', spec: Type.Object({ size: Type.Integer() }) });
`,
      );
      const { stdout } = await node([join('node_modules', '.bin', 'kloop'), 'crd', join(dir, 'resources.js')]);
      assert.match(stdout, /name: widgets\.example\.com/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads a TypeScript module for kloop crd with the project’s tsx, and says what is missing without it', async () => {
    const dir = await mkdtemp(join(project, 'crd-ts-'));
    try {
      await writeFile(
        join(dir, 'resources.ts'),
        `import { defineResource, Type } from 'kloop';
import { SIZE } from './size.js';
export const Widget = defineResource({ group: 'example.com', version: 'v1', kind: 'Widget', spec: Type.Object({ size: SIZE }) });
`,
      );
      await writeFile(join(dir, 'size.ts'), `import { Type } from 'kloop';\nexport const SIZE = Type.Integer();\n`);
      const bin = join('node_modules', '.bin', 'kloop');
      const stripsTypes = (process.features as { typescript?: string | false }).typescript;
      if (!stripsTypes) {
        await assert.rejects(node([bin, 'crd', join(dir, 'resources.ts')]), /add tsx to the project/);
      }
      // With tsx in the project (a dev dependency there, linked here from this repository's).
      await mkdir(join(dir, 'node_modules'));
      await symlink(join(ROOT, 'node_modules', 'tsx'), join(dir, 'node_modules', 'tsx'));
      const { stdout } = await node([bin, 'crd', join(dir, 'resources.ts')]);
      assert.match(stdout, /name: widgets\.example\.com/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
