/**
 * The package as users get it, for the tests that check it and those that run it: `npm run build`
 * then `npm pack` of this tree, once per content (the hash of everything the tarball is made of),
 * and a consumer project with that tarball installed as `npm install --omit=dev` installs it.
 *
 * Results are cached under the system's temp folder by that hash, so a second `npm test` of the
 * same tree neither builds nor installs again. Test files running in parallel share one build: the
 * first takes a lock (a directory) and the others wait for its result.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { filesUnder } from './files.js';

/** The repository root (tests run from it). */
export const ROOT = resolve('.');

/** What the tarball is made of: a change to any of these packs again. */
const INPUT_DIRS = ['src', 'examples', 'bin', 'docs', 'ui'];
const INPUT_FILES = [
  'scripts/build-ui.mjs',
  'scripts/publish-manifest.mjs',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'tsconfig.examples.json',
  'README.md',
  'LICENSE',
  'CHANGELOG.md',
];

const CACHE = join(tmpdir(), 'kloop-pack');
/** Cache entries older than this are removed when a new one is made. */
const STALE_MS = 6 * 3600_000;

/** A packed tarball of this tree. */
export interface PackedKloop {
  /** Absolute path of `kloop-<version>.tgz`. */
  tarball: string;
  /** The content hash it was made from. */
  hash: string;
  /** The cache folder of this hash (the tarball and the consumer project live here). */
  dir: string;
}

/** Every file the build and the tarball are made of (absolute paths, sorted), test files left out. */
export function packageInputFiles(): string[] {
  return [
    ...INPUT_DIRS.flatMap((dir) => filesUnder(join(ROOT, dir), (path) => !path.endsWith('.test.ts'))),
    ...INPUT_FILES.map((file) => join(ROOT, file)).filter((file) => existsSync(file)),
  ].sort();
}

/** The hash of every input of the package (paths and contents). */
export function packageInputHash(): string {
  const hash = createHash('sha256');
  for (const file of packageInputFiles()) {
    hash.update(file.slice(ROOT.length));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  hash.update(process.version.split('.')[0]!);
  return hash.digest('hex').slice(0, 16);
}

/** Runs a command; rejects with its output when it exits non-zero. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeout ?? 300_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise({ stdout, stderr });
      else
        reject(
          new Error(`${command} ${args.join(' ')} exited ${code ?? signal} in ${options.cwd}\n${stdout}\n${stderr}`),
        );
    });
  });
}

/**
 * The environment for child npm and node processes: npm's own lifecycle variables removed (under
 * `npm test` they would make the nested npm act for this package), and no test flags such as
 * `KLOOP_VALIDATE` or `NODE_OPTIONS` that a user's process would not have.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) || name === 'NODE_OPTIONS' || name === 'KLOOP_VALIDATE' || name === 'INIT_CWD') continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

/** Waits until `done()` or the lock at `lock` is released by a process that died. */
async function withLock<T>(lock: string, done: () => T | undefined, make: () => Promise<T>): Promise<T> {
  for (;;) {
    const ready = done();
    if (ready !== undefined) return ready;
    try {
      await mkdir(lock);
    } catch {
      // Someone else builds: wait for them, or take over if they died.
      const owner = lockOwner(lock);
      const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
      // A lock whose owner died, or that never got its pid written (the owner died at once).
      if (owner !== undefined ? !alive(owner) : age > 60_000) await rm(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      await writeFile(join(lock, 'pid'), String(process.pid));
      return await make();
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
}

/** The pid written in `lock`, if it was written yet. */
function lockOwner(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function pruneStale(keep: string): Promise<void> {
  const entries = await readdir(CACHE).catch(() => [] as string[]);
  for (const entry of entries) {
    const path = join(CACHE, entry);
    if (path === keep || entry.endsWith('.lock')) continue;
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_MS) await rm(path, { recursive: true, force: true });
  }
}

function tarballIn(dir: string): string | undefined {
  const marker = join(dir, 'tarball');
  return existsSync(marker) ? readFileSync(marker, 'utf8') : undefined;
}

/**
 * Rewrites `package/package.json` inside `tarball` as `npm pack` would ship it after the
 * repository's prepack (`scripts/publish-manifest.mjs strip`), using `scratch` to unpack it.
 */
async function shipManifest(tarball: string, scratch: string): Promise<void> {
  await mkdir(scratch, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', scratch], { cwd: ROOT });
  const unpacked = join(scratch, 'package');
  await run(process.execPath, [join(ROOT, 'scripts', 'publish-manifest.mjs'), 'strip', unpacked], { cwd: ROOT });
  await rm(join(unpacked, 'package.json.prepack'));
  await run('tar', ['-czf', tarball, '-C', scratch, 'package'], { cwd: ROOT });
  await rm(scratch, { recursive: true, force: true });
}

/**
 * Builds (`npm run build`, which empties `dist/` first) and packs this tree once per content
 * hash; later calls, in this process or another, return the cached tarball.
 */
export async function packKloop(): Promise<PackedKloop> {
  const hash = packageInputHash();
  const dir = join(CACHE, hash);
  const found = (): PackedKloop | undefined => {
    const tarball = tarballIn(dir);
    return tarball === undefined ? undefined : { tarball, hash, dir };
  };
  await mkdir(CACHE, { recursive: true });
  return withLock(`${dir}.lock`, found, async () => {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await run('npm', ['run', 'build'], { cwd: ROOT });
    // Built already: the pack runs no scripts. The shipped package.json (no `kloop-source`
    // condition) is written into the tarball afterwards, never over the repository's own, which
    // test files running beside this one resolve `kloop` through.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: ROOT,
    });
    const [{ filename }] = JSON.parse(stdout) as Array<{ filename: string }>;
    const tarball = join(dir, filename);
    await shipManifest(tarball, join(dir, 'unpacked'));
    await writeFile(join(dir, 'tarball'), tarball);
    await pruneStale(dir);
    return { tarball, hash, dir };
  });
}

/**
 * A consumer project (`"type": "module"`) with the packed tarball installed as users install it
 * (`npm install --omit=dev`), once per content hash; resolves with the project's folder.
 * Tests must not change it (it is shared); copy it or make a sibling project to change anything.
 */
export async function installPackedKloop(): Promise<{ project: string; packed: PackedKloop }> {
  const packed = await packKloop();
  const project = join(packed.dir, 'consumer');
  const marker = join(packed.dir, 'installed');
  const result = { project, packed };
  return withLock(
    `${packed.dir}.install.lock`,
    () => (existsSync(marker) ? result : undefined),
    async () => {
      await rm(project, { recursive: true, force: true });
      await mkdir(project, { recursive: true });
      await writeFile(
        join(project, 'package.json'),
        `${JSON.stringify({ name: 'kloop-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
      );
      await run(
        'npm',
        ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', packed.tarball],
        { cwd: project },
      );
      await writeFile(marker, 'ok');
      return result;
    },
  );
}
