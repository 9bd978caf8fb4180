/**
 * `npm run bench -- scale [--metadata N] [--full M] [--scale 1]`: how the cache scales. The
 * emulator runs in its own process (`informer-emulator-child.ts`, ConfigMaps of ~1 KB with labels,
 * annotations and managedFields); each peer syncs in its own process. Reported: time to synced
 * and heap per object (heap after GC once synced, minus heap after GC before the peer started).
 *
 * - a metadata-only informer over N objects (`PartialObjectMetadata`), against the limit of one
 *   GET of the `PartialObjectMetadataList` and `JSON.parse` (goal: under 0.5 KB of heap per object);
 * - a full informer over M objects, against one GET of the full list and `JSON.parse`.
 *
 * The default (N = 100k, M = 30k) keeps `npm run bench` within minutes on a 2-core machine; `--scale 1`
 * runs the sizes of record, N = 1M and M = 300k (seeding a million objects takes a minute or two and
 * the emulator about 4 GB).
 *
 * Above `ONE_BODY_MAX` metadata objects the limit GETs the list in pages of 10k
 * (`parse-metadata-paged`): one `PartialObjectMetadataList` body of a million items is about 700 MB,
 * over V8's longest string (2^29 - 24 characters), which neither the server nor a client can join
 * or parse. The informer is not affected: its streaming list reads one object per line.
 */
import { pathToFileURL } from 'node:url';
import { benchArgs } from './_options.js';
import { loadavg, type PeerResult, runChild, startServer } from './informer.js';

const KB = 1024;
/** Metadata objects the limit still GETs in one body (about 350 MB of JSON). */
const ONE_BODY_MAX = 500_000;

async function measure(objects: number, peers: readonly string[]): Promise<PeerResult[]> {
  const server = await startServer(objects, 0, 'history');
  try {
    const out: PeerResult[] = [];
    for (const peer of peers) {
      const r = await runChild(peer, server, 0);
      if (r.objects !== objects) throw new Error(`${peer} saw ${r.objects} objects, want ${objects}`);
      // Said as it comes: a later peer failing (or the run being cut) keeps this figure.
      process.stderr.write(
        `\n${peer}: ${objects} objects synced in ${(r.syncMs / 1000).toFixed(2)} s, ${(((r.heapMB - r.heapBaseMB) * KB) / r.objects).toFixed(3)} KB of heap per object\n`,
      );
      out.push(r);
    }
    return out;
  } finally {
    await server.stop();
  }
}

function row(label: string, r: PeerResult, base: PeerResult): string {
  const perObject = ((r.heapMB - r.heapBaseMB) * KB * KB) / r.objects;
  const basePerObject = ((base.heapMB - base.heapBaseMB) * KB * KB) / base.objects;
  return `| ${label} | ${r.objects} | ${(r.syncMs / 1000).toFixed(2)} (${(r.syncMs / base.syncMs).toFixed(2)}x) | ${(perObject / KB).toFixed(2)} KB (${(perObject / basePerObject).toFixed(2)}x) | ${Math.round(r.peakRssMB)} |`;
}

/** Runs the benchmark and prints its table. */
export async function run(args: string[]): Promise<void> {
  const o = benchArgs(args, { metadata: 0, full: 0, scale: 0 });
  const metadata = o.metadata || (o.scale ? 1_000_000 : 100_000);
  const full = o.full || (o.scale ? 300_000 : 30_000);
  const paged = metadata > ONE_BODY_MAX;
  const [kloopMeta, parseMeta] = await measure(metadata, [
    'kloop-metadata',
    paged ? 'parse-metadata-paged' : 'parse-metadata',
  ]);
  const [kloopFull, parseFull] = await measure(full, ['kloop', 'parse']);
  console.log(
    `ConfigMaps of ~1 KB with labels, annotations and managedFields; emulator in its own process${o.scale ? '' : ' (default sizes; `--scale 1` runs 1M and 300k)'}`,
  );
  console.log('');
  console.log('| peer | objects | synced (s) (/ limit) | heap per object (/ limit) | peak RSS (MB) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  console.log(row('kloop, metadata-only informer', kloopMeta, parseMeta));
  console.log(
    row(`limit: GET PartialObjectMetadataList${paged ? ' in pages of 10k' : ''} + JSON.parse`, parseMeta, parseMeta),
  );
  console.log(row('kloop, full informer', kloopFull, parseFull));
  console.log(row('limit: GET list + JSON.parse', parseFull, parseFull));
  console.log(`load average ${loadavg()}. Goal: metadata-only under 0.5 KB of heap per object.`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run(process.argv.slice(2));
