/**
 * `npm run bench -- controllers`: how the emulator's built-in controllers scale. A Deployment of
 * N replicas is created and stepped to Available on a manual clock, then rolled to a new image;
 * the same again with 2N replicas. Linear controllers take about twice as long for twice the
 * Pods (the "x2 ratio" column near 2); a full scan of every Pod per event would show near 4.
 *
 * Options: `--replicas N` (500).
 */
import { pathToFileURL } from 'node:url';
import { startApiServer } from '../src/apiserver/index.js';
import { ManualClock } from '../src/core/index.js';
import { benchArgs } from './_options.js';

const APPS = '/apis/apps/v1/namespaces/default/deployments';

interface Row {
  replicas: number;
  toAvailableMs: number;
  rolloutMs: number;
  clusterWrites: number;
}

async function measure(replicas: number): Promise<Row> {
  const server = await startApiServer({ controllers: true, clock: new ManualClock(0) });
  const send = (method: string, path: string, body: unknown, type = 'application/json') =>
    fetch(server.url + path, { method, headers: { 'content-type': type }, body: JSON.stringify(body) });
  try {
    await server.controllers.settle();
    let t = performance.now();
    await send('POST', APPS, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'big' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'big' } },
        template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      },
    });
    await server.controllers.advance(1000);
    const toAvailableMs = performance.now() - t;
    t = performance.now();
    await send(
      'PATCH',
      `${APPS}/big`,
      { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } },
      'application/merge-patch+json',
    );
    for (let i = 0; i < 20; i++) await server.controllers.advance(500);
    const rolloutMs = performance.now() - t;
    return { replicas, toAvailableMs, rolloutMs, clusterWrites: server.stats().controllers.count() };
  } finally {
    server.stop();
  }
}

/** Runs the benchmark and prints its table. */
export async function run(args: string[]): Promise<Row[]> {
  const { replicas } = benchArgs(args, { replicas: 500 });
  const rows = [await measure(replicas), await measure(replicas * 2)];
  console.log('| replicas | to Available (ms) | rollout (ms) | cluster writes | x2 ratio (Available / rollout) |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  rows.forEach((r, i) => {
    const ratio =
      i === 0
        ? ''
        : `${(r.toAvailableMs / rows[0].toAvailableMs).toFixed(2)} / ${(r.rolloutMs / rows[0].rolloutMs).toFixed(2)}`;
    console.log(
      `| ${r.replicas} | ${Math.round(r.toAvailableMs)} | ${Math.round(r.rolloutMs)} | ${r.clusterWrites} | ${ratio} |`,
    );
  });
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run(process.argv.slice(2));
