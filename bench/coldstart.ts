/**
 * `npm run bench -- coldstart [--runs N] [--build 0]`: what the package costs to load, each in a
 * fresh process, median of N (7) runs, against the floor of the same run: `node -e 0`.
 *
 * - `import('kloop')`: the compiled package (`dist/`, built first by `npm run build` unless
 *   `--build 0`), by its name, as users load it;
 * - `kloop --help`: the command as installed (`bin/kloop.js`, which runs the TypeScript sources
 *   through tsx), beside `node --import tsx -e 0`, the part that is tsx's own start.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchArgs } from './_options.js';
import { loadavg } from './informer.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function wallMs(args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, args, {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    times.push(performance.now() - start);
    if (r.status !== 0)
      throw new Error(`node ${args.join(' ')} failed (${r.status}): ${r.stderr.toString().slice(-500)}`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Runs the benchmark and prints its table. */
export async function run(args: string[]): Promise<void> {
  const o = benchArgs(args, { runs: 7, build: 1 });
  if (o.build) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const floor = wallMs(['-e', '0'], o.runs);
  const rows: Array<[string, number]> = [
    ['`node -e 0` (floor)', floor],
    ["`import('kloop')` (dist)", wallMs(['--input-type=module', '-e', "await import('kloop')"], o.runs)],
    ['`node --import tsx -e 0` (tsx alone)', wallMs(['--import', 'tsx', '-e', '0'], o.runs)],
    ['`kloop --help`', wallMs([join(root, 'bin', 'kloop.js'), '--help'], o.runs)],
  ];
  console.log(`Wall time of a fresh process, median of ${o.runs} runs`);
  console.log('');
  console.log('| command | wall (ms) | over the floor (ms) |');
  console.log('| --- | ---: | ---: |');
  for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(0)} | ${(ms - floor).toFixed(0)} |`);
  console.log(`load average ${loadavg()}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run(process.argv.slice(2));
