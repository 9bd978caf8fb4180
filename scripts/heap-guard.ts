/**
 * The informer's memory regression guard (as kube-rs keeps one): a full informer syncs 10k
 * ConfigMaps of ~1 KB (labels, annotations, managedFields) from the emulator in its own process;
 * its heap per object (heap after GC once synced, minus heap after GC before it started) must stay
 * within 110% of the figure recorded for this Node major in `bench/heap-per-object.json`. The
 * median of three runs is taken. Heap depends on V8, so each Node major has its own figure.
 *
 * `node --import tsx scripts/heap-guard.ts` checks (CI runs it, `.ci/run`); with `--record` it
 * writes this Node major's figure instead (after a deliberate change, said in the commit).
 * A benchmark-style check with its own tolerance: it measures bytes, never time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild, startServer } from '../bench/informer.js';

const OBJECTS = 10_000;
const TOLERANCE = 1.1;
const RUNS = 3;
const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'heap-per-object.json');

interface Figure {
  bytesPerObject: number;
  objects: number;
  node: string;
  recorded: string;
}

const major = process.versions.node.split('.')[0];
const record = process.argv.includes('--record');
const figures = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Figure>;

const server = await startServer(OBJECTS, 0, 'history');
const samples: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const r = await runChild('kloop', server, 0);
    if (r.objects !== OBJECTS) throw new Error(`the informer synced ${r.objects} objects, want ${OBJECTS}`);
    samples.push(((r.heapMB - r.heapBaseMB) * 1024 * 1024) / r.objects);
  }
} finally {
  await server.stop();
}
process.stderr.write('\n');
samples.sort((a, b) => a - b);
const measured = Math.round(samples[Math.floor(samples.length / 2)]);
const runs = samples.map((s) => Math.round(s)).join(', ');

if (record) {
  figures[major] = {
    bytesPerObject: measured,
    objects: OBJECTS,
    node: process.version,
    recorded: new Date().toISOString().slice(0, 10),
  };
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`recorded ${measured} B per object for Node ${major} (runs: ${runs}) in ${file}`);
} else {
  const figure = figures[major];
  if (!figure) {
    console.error(
      `no heap figure recorded for Node ${major} (measured ${measured} B per object; runs: ${runs}); record one with --record`,
    );
    process.exit(1);
  }
  const limit = Math.round(figure.bytesPerObject * TOLERANCE);
  const verdict = measured <= limit ? 'ok' : 'REGRESSION';
  console.log(
    `informer heap per object at ${OBJECTS} objects, Node ${process.version}: ${measured} B (runs: ${runs}); recorded ${figure.bytesPerObject} B on ${figure.node}, limit ${limit} B: ${verdict}`,
  );
  if (measured > limit) process.exit(1);
}
