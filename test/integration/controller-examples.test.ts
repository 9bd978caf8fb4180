/**
 * The examples run as documented: `node --import tsx examples/<name>.ts` against an in-process
 * emulator, exit 0, and print what they did.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

function run(file: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('examples', () => {
  it('configmap-mirror mirrors a ConfigMap into three Secrets', () => {
    const out = run('examples/configmap-mirror.ts');
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /mirrored into: default\/settings-mirror, team-a\/settings, team-b\/settings/);
  });

  it('website creates its Deployment and Service and turns Ready as the cluster runs the Pods', () => {
    const out = run('examples/website.ts');
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /website default\/blog: Ready=True \(Available: 2\/2 replicas ready\)/);
  });
});
