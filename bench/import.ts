/**
 * `npm run bench -- import [--runs N]` (or `node --import tsx bench/import.ts`)
 *
 * Cold `import('kloop')` as a user's process pays it: the packed package installed with
 * `npm install --omit=dev` in an empty project (`test/support/package.ts`, built once per content),
 * each import in a fresh `node` process. Beside it in the same run: the other entry points, the
 * peer (`@kubernetes/client-node`, imported the same way), and the floor (a process that imports
 * nothing). Import time is measured inside the process around the `import()`; process time is
 * the whole `node` run, startup and exit included.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { cleanEnv, installPackedKloop, ROOT } from '../test/support/package.js';
import { benchArgs } from './_options.js';

interface Sample {
  importMs: number;
  processMs: number;
}

function once(specifier: string | undefined, cwd: string): Sample {
  const script =
    specifier === undefined
      ? 'console.log(0)'
      : `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t)`;
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd,
    env: cleanEnv(),
    encoding: 'utf8',
  });
  const processMs = performance.now() - started;
  if (child.status !== 0) throw new Error(`import ${specifier} failed:\n${child.stderr}`);
  return { importMs: Number(child.stdout.trim()), processMs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function p90(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.9) - 1)]!;
}

export async function run(args: string[]): Promise<void> {
  const { runs } = benchArgs(args, { runs: 15 });
  const { project } = await installPackedKloop();
  const cases: Array<{ name: string; specifier: string | undefined; cwd: string }> = [
    { name: 'node, importing nothing (floor)', specifier: undefined, cwd: project },
    { name: "import('kloop')", specifier: 'kloop', cwd: project },
    { name: "import('kloop/apiserver')", specifier: 'kloop/apiserver', cwd: project },
    { name: "import('kloop/testing')", specifier: 'kloop/testing', cwd: project },
    { name: "import('@kubernetes/client-node') 1.4.0", specifier: '@kubernetes/client-node', cwd: ROOT },
  ];
  const rows: string[][] = [];
  let kloopMedian = 0;
  for (const c of cases) {
    once(c.specifier, c.cwd); // warms the file system cache: "cold" is the module graph, not the disk
    const samples = Array.from({ length: runs }, () => once(c.specifier, c.cwd));
    const importMs = median(samples.map((s) => s.importMs));
    if (c.specifier === 'kloop') kloopMedian = importMs;
    rows.push([
      c.name,
      importMs.toFixed(1),
      p90(samples.map((s) => s.importMs)).toFixed(1),
      median(samples.map((s) => s.processMs)).toFixed(0),
    ]);
  }
  rows.forEach((row, i) => {
    const ratio = i === 0 || kloopMedian === 0 ? '' : (Number(row[1]) / kloopMedian).toFixed(2);
    row.push(ratio);
  });
  const header = ['cold import, fresh process each', 'import ms (median)', 'p90', 'process ms', 'x kloop'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`${runs} runs each, the packed package installed --omit=dev (Node ${process.version})`);
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run(process.argv.slice(2));
}
