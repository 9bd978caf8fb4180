/**
 * `npm run bench -- collections [--pods N] [--services N] [--changes N] [--json FILE]`
 *
 * 10k pods and 1k services with label selectors, an endpoints-like derived collection
 * (`ctx.fetch(pods, { namespace, labelSelector })` per service). Measures the time to build,
 * then, after one pod's labels change (it moves from one service to another), the transform
 * calls and the time to propagate. The same scenario runs through a naive implementation that
 * recomputes every service by scanning every pod, in the same process, for the ratio.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CollectionRegistry, derive, staticCollection } from '../src/collections/index.js';
// The naive recompute the collections are measured against matches selectors as core does.
import { labelSelectorFromSpec } from '../src/core/index.js';
import type { KubeObject } from '../src/index.js';
import { benchArgs } from './_options.js';

interface Pod extends KubeObject {
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  status: { podIP: string };
}

interface Service extends KubeObject {
  metadata: { name: string; namespace: string };
  spec: { selector: Record<string, string> };
}

interface Endpoints {
  key: { namespace: string; name: string };
  ips: string[];
}

const NAMESPACES = 10;

function options(args: string[]) {
  const o = benchArgs(args, { pods: 10_000, services: 1_000, changes: 200, 'naive-changes': 5 }, ['json']);
  return { pods: o.pods, services: o.services, changes: o.changes, naiveChanges: o['naive-changes'], json: o.json };
}

function fixtures(podCount: number, serviceCount: number) {
  const services: Service[] = [];
  for (let s = 0; s < serviceCount; s++) {
    const ns = `ns${s % NAMESPACES}`;
    services.push({
      metadata: { name: `svc${s}`, namespace: ns },
      spec: { selector: { app: `app${s}`, tier: 'web' } },
    });
  }
  const pods: Pod[] = [];
  for (let p = 0; p < podCount; p++) {
    const s = p % serviceCount;
    pods.push({
      metadata: {
        name: `pod${p}`,
        namespace: `ns${s % NAMESPACES}`,
        labels: { app: `app${s}`, tier: 'web', hash: `h${p % 7}` },
      },
      status: { podIP: `10.${(p >> 16) & 255}.${(p >> 8) & 255}.${p & 255}` },
    });
  }
  return { pods, services };
}

/** Moves pod `i` to the service `shift` services further (same namespace). */
function relabel(pod: Pod, serviceCount: number, shift: number): Pod {
  const s = Number(pod.metadata.labels.app.slice(3));
  const next = (s + shift * NAMESPACES) % serviceCount;
  return { ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, app: `app${next}` } } };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function kloop(pods: Pod[], services: Service[], changes: number) {
  const registry = new CollectionRegistry({ scheduling: 'manual' });
  // Run with --expose-gc for a meaningful heap figure.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const podC = staticCollection<Pod>('pods', pods, { registry });
  const svcC = staticCollection<Service>('services', services, { registry });
  const endpoints = derive(
    'endpoints',
    svcC,
    (ctx, svc): Endpoints => ({
      key: { namespace: svc.metadata.namespace, name: svc.metadata.name },
      ips: ctx
        .fetch(podC, { namespace: svc.metadata.namespace, labelSelector: svc.spec.selector })
        .map((p) => p.status.podIP),
    }),
    { registry },
  );
  registry.flush();
  const buildMs = performance.now() - t0;
  gc?.();
  const heapMB = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  const calls: number[] = [];
  const times: number[] = [];
  const current = new Map(pods.map((p) => [p.metadata.name, p]));
  for (let i = 0; i < changes; i++) {
    const name = `pod${(i * 7919) % pods.length}`;
    const moved = relabel(current.get(name)!, services.length, 1 + (i % 3));
    current.set(name, moved);
    const before = endpoints.describe().stats.transformCalls;
    const t = performance.now();
    podC.set(moved);
    registry.flush();
    times.push(performance.now() - t);
    calls.push(endpoints.describe().stats.transformCalls - before);
  }
  // An unrelated pod (labels no service selects) must call no transform.
  const before = endpoints.describe().stats.transformCalls;
  podC.set({
    metadata: { name: 'stray', namespace: 'ns0', labels: { app: 'nobody' } },
    status: { podIP: '10.255.255.255' },
  });
  registry.flush();
  const unrelatedCalls = endpoints.describe().stats.transformCalls - before;
  const result = {
    buildMs,
    heapMB,
    size: endpoints.size,
    maxCalls: Math.max(...calls),
    changeMedianMs: median(times),
    unrelatedCalls,
    endpoints,
    finalPods: podC.list(),
  };
  return { result, close: () => registry.close() };
}

/** Recompute everything: every service scans every pod. */
function recomputeAll(services: Service[], all: Map<string, Pod>): Map<string, Endpoints> {
  const out = new Map<string, Endpoints>();
  for (const svc of services) {
    const sel = labelSelectorFromSpec({ matchLabels: svc.spec.selector });
    const ips: Array<[string, string]> = [];
    for (const [key, p] of all) {
      if (p.metadata.namespace === svc.metadata.namespace && sel.matches(p.metadata.labels))
        ips.push([key, p.status.podIP]);
    }
    ips.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    out.set(`${svc.metadata.namespace}/${svc.metadata.name}`, {
      key: { namespace: svc.metadata.namespace, name: svc.metadata.name },
      ips: ips.map((e) => e[1]),
    });
  }
  return out;
}

function naive(pods: Pod[], services: Service[], changes: number) {
  const compute = (all: Map<string, Pod>) => recomputeAll(services, all);
  const all = new Map(pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const t0 = performance.now();
  let out = compute(all);
  const buildMs = performance.now() - t0;
  const times: number[] = [];
  for (let i = 0; i < changes; i++) {
    const pod = pods[(i * 7919) % pods.length];
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const moved = relabel(all.get(key)!, services.length, 1 + (i % 3));
    const t = performance.now();
    all.set(key, moved);
    out = compute(all);
    times.push(performance.now() - t);
  }
  return { buildMs, calls: services.length, changeMedianMs: median(times), out };
}

function fmt(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} us` : `${ms.toFixed(1)} ms`;
}

/** Runs the benchmark and prints a table; returns the figures. */
export async function run(args: string[] = []): Promise<unknown> {
  const o = options(args);
  const { pods, services } = fixtures(o.pods, o.services);
  const k = kloop(pods, services, o.changes);
  const n = naive(pods, services, o.naiveChanges);
  // Sanity check: kloop's endpoints after all its changes equal a full recompute of its pods.
  const final = recomputeAll(
    services,
    new Map(k.result.finalPods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p])),
  );
  const agree = [...final].every(([key, ep]) => JSON.stringify(k.result.endpoints.get(key)) === JSON.stringify(ep));
  const rows = [
    ['build (initial recompute)', fmt(k.result.buildMs), fmt(n.buildMs), (n.buildMs / k.result.buildMs).toFixed(1)],
    [
      'transform calls per pod label change (max)',
      String(k.result.maxCalls),
      String(n.calls),
      (n.calls / k.result.maxCalls).toFixed(0),
    ],
    [
      'time per pod label change (median)',
      fmt(k.result.changeMedianMs),
      fmt(n.changeMedianMs),
      (n.changeMedianMs / k.result.changeMedianMs).toFixed(0),
    ],
    ['transform calls for an unrelated pod', String(k.result.unrelatedCalls), String(n.calls), '-'],
  ];
  console.log(
    `${o.pods} pods, ${o.services} services (${NAMESPACES} namespaces), ${o.changes} changes (naive: ${o.naiveChanges}); node ${process.version}`,
  );
  console.log(
    `kloop heap for pods+services+endpoints: ${k.result.heapMB.toFixed(1)} MB; endpoints ${k.result.size}; equal to a full recompute: ${agree}`,
  );
  console.log('');
  console.log('| measure | kloop | naive recompute-everything | ratio |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  const figures = {
    pods: o.pods,
    services: o.services,
    kloop: {
      buildMs: k.result.buildMs,
      heapMB: k.result.heapMB,
      maxCallsPerChange: k.result.maxCalls,
      changeMedianMs: k.result.changeMedianMs,
      unrelatedCalls: k.result.unrelatedCalls,
    },
    naive: { buildMs: n.buildMs, callsPerChange: n.calls, changeMedianMs: n.changeMedianMs },
    date: new Date().toISOString(),
    node: process.version,
    agree,
  };
  if (o.json) writeFileSync(o.json, `${JSON.stringify(figures, null, 2)}\n`);
  k.close();
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run(process.argv.slice(2));
