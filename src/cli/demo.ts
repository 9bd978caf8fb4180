/**
 * `kloop demo` (and `npm start`): everything kloop does, with nothing but Node installed. It
 * starts the API server emulator in-process (or uses `--kubeconfig FILE`), runs the examples'
 * controllers (ConfigMap mirror, Website, endpoints collection) under one manager with its HTTP
 * endpoints, drives the scripted workload of `demo-workload.ts`, and prints a summary: events
 * seen, reconciles and their triggers by source, writes sent, writes skipped as no-ops, and bytes
 * saved against whole-object updates. `--watch` keeps it running afterwards with the endpoints up
 * and a kubeconfig written for kubectl.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Registry } from 'prom-client';
import { type ApiServer, startApiServer } from '../apiserver/index.js';
import { KubeClient } from '../client/index.js';
import { CollectionRegistry } from '../collections/index.js';
import { ApiError, type KubeObject, type TypeRef } from '../core/index.js';
import { exitOnSignal, Manager } from '../manager/index.js';
import { loadExamples } from './demo-examples.js';
import { HEARTBEAT_CONTROLLER, heartbeatController, podTable, startTrickle } from './demo-extras.js';
import { DEMO_NAMESPACES, runWorkload } from './demo-workload.js';
import { UsageError } from './usage.js';

/** `kloop demo --help`. */
export const DEMO_USAGE = `Usage: kloop demo [--watch] [--trickle MS] [--kubeconfig FILE] [--port N] [--scale N]

Runs the examples' controllers (ConfigMap mirror, Website, endpoints collection) and a
controller with a hot-loop bug under a scripted workload - creates, updates that matter and
that do not, a forced watch drop and a 410, deletes - on an in-process API server emulator,
and prints what kloop did. The dashboard is at /ui on the debug listener.

  --watch            keep running afterwards with the HTTP endpoints and the dashboard up;
                     prints the dashboard's URL and a kubeconfig
  --trickle MS       with --watch, change a ConfigMap every MS ms so the dashboard moves
                     (default 3000; 0 turns it off)
  --kubeconfig FILE  run against this cluster instead of the emulator (uses namespaces
                     ${DEMO_NAMESPACES.join(', ')})
  --port N           port of /metrics, /healthz, /readyz (default: a free one); /debug/kloop
                     and the dashboard (/ui) are served on another port of 127.0.0.1
  --scale N          multiply the number of objects (default 1)`;

/** Options of {@link runDemo}. */
export interface DemoOptions {
  kubeconfig?: string;
  watch?: boolean;
  port?: number;
  scale?: number;
  /** Where progress and the summary go (default stdout). */
  out?: (line: string) => void;
  /** Per-step convergence deadline (default 20 s). */
  timeoutMs?: number;
  /** With `watch`: resolves when the demo should end (default: SIGINT/SIGTERM). */
  until?: Promise<void>;
  /** Called with the in-process emulator once it listens (tests compare its counts with the summary). */
  onEmulator?: (server: ApiServer) => void;
  /** Called with the manager once it runs (tests read its dashboard and debug URLs). */
  onManager?: (mgr: Manager) => void;
  /** With `watch`: change a ConfigMap every this many ms (default 0: off; the CLI's default is 3000). */
  trickleMs?: number;
}

/** What the summary table shows, also returned for tests. */
export interface DemoSummary {
  eventsSeen: number;
  reconciles: number;
  triggersBySource: Array<{ controller: string; source: string; event: string; count: number }>;
  writesSent: number;
  /** `writesSent` by resource plural (e.g. `secrets`), as the API server counts them. */
  writesSentByResource: Record<string, number>;
  writesSkipped: number;
  bytesSent: number;
  /** Whole-object updates of the same objects, one per write sent or skipped (an estimate). */
  wholeObjectBytes: number;
  watchRestarts: number;
  relists: number;
}

interface Sample {
  labels: Record<string, string | number>;
  value: number;
}

async function samples(registry: Registry, name: string): Promise<Sample[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  return (await metric.get()).values as Sample[];
}

function sum(values: Sample[]): number {
  return values.reduce((n, v) => n + v.value, 0);
}

/** Reads the summary from the manager's metrics and caches. */
export async function summarize(mgr: Manager): Promise<DemoSummary> {
  const r = mgr.registry;
  const sent = await samples(r, 'kloop_client_writes_total');
  const skipped = await samples(r, 'kloop_client_writes_skipped_total');
  // A controller without kloop would PUT the whole object on each of these writes: the objects'
  // current sizes in the caches stand in for what each would have sent.
  const avgSize = new Map<string, number>();
  for (const informer of mgr.informers.informers()) {
    const objects = informer.list();
    if (objects.length === 0) continue;
    const bytes = objects.reduce((n, o) => n + Buffer.byteLength(JSON.stringify(o)), 0);
    avgSize.set(informer.type.kind.toLowerCase(), bytes / objects.length);
  }
  const sizeOf = (resource: string) => avgSize.get(resource.replace(/s$/, '')) ?? avgSize.get(resource) ?? 0;
  let wholeObjectBytes = 0;
  for (const s of [...sent.filter((v) => v.labels.kind !== 'event' && v.labels.kind !== 'delete'), ...skipped]) {
    wholeObjectBytes += s.value * sizeOf(String(s.labels.resource));
  }
  return {
    eventsSeen: sum(await samples(r, 'kloop_informer_events_total')),
    reconciles: sum(await samples(r, 'kloop_reconcile_total')),
    triggersBySource: (await samples(r, 'kloop_reconcile_triggers_total'))
      .map((s) => ({
        controller: String(s.labels.controller),
        source: String(s.labels.source),
        event: String(s.labels.event),
        count: s.value,
      }))
      .sort((a, b) => a.controller.localeCompare(b.controller) || b.count - a.count),
    writesSent: sum(sent),
    writesSentByResource: sent.reduce<Record<string, number>>((by, s) => {
      const resource = String(s.labels.resource);
      by[resource] = (by[resource] ?? 0) + s.value;
      return by;
    }, {}),
    writesSkipped: sum(skipped),
    bytesSent: sum(await samples(r, 'kloop_client_write_bytes_total')),
    wholeObjectBytes: Math.round(wholeObjectBytes),
    watchRestarts: sum(await samples(r, 'kloop_informer_watch_restarts_total')),
    relists: sum(await samples(r, 'kloop_informer_relists_total')),
  };
}

/** The summary as a text table. */
export function formatSummary(s: DemoSummary): string {
  const rows: Array<[string, string]> = [
    ['events seen (informers)', String(s.eventsSeen)],
    ['watch restarts / relists', `${s.watchRestarts} / ${s.relists}`],
    ['reconciles', String(s.reconciles)],
    ['writes sent', String(s.writesSent)],
    ['writes skipped as no-ops', String(s.writesSkipped)],
    ['bytes sent', String(s.bytesSent)],
    ['bytes as whole-object updates (est.)', String(s.wholeObjectBytes)],
    ['bytes saved (est.)', `${Math.max(0, s.wholeObjectBytes - s.bytesSent)}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    '',
    'summary',
    '-------',
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v.padStart(8)}`),
    '',
    'triggers by source',
  ];
  const cw = Math.max(10, ...s.triggersBySource.map((t) => t.controller.length));
  const sw = Math.max(6, ...s.triggersBySource.map((t) => t.source.length));
  lines.push(`${'controller'.padEnd(cw)}  ${'source'.padEnd(sw)}  ${'event'.padEnd(8)}  count`);
  for (const t of s.triggersBySource)
    lines.push(
      `${t.controller.padEnd(cw)}  ${t.source.padEnd(sw)}  ${t.event.padEnd(8)}  ${String(t.count).padStart(5)}`,
    );
  return lines.join('\n');
}

/** Creates `crd` (unless it exists) and waits until the API server serves `type`. */
async function installCrd(kube: KubeClient, crd: KubeObject, type: TypeRef): Promise<void> {
  try {
    await kube.create(crd);
  } catch (err) {
    if (!ApiError.isAlreadyExists(err)) throw err;
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await kube.list(type, { namespace: 'default', limit: 1 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Runs the demo; resolves with the summary once done (after `until` with `watch`). */
export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = performance.now();
  const examples = await loadExamples();
  // The emulator runs its built-in controllers: Deployments get Pods, Pods turn Ready, as on a cluster.
  const server: ApiServer | undefined = options.kubeconfig ? undefined : await startApiServer({ controllers: true });
  if (server) options.onEmulator?.(server);
  const collections = new CollectionRegistry();
  let kubeconfigDir: string | undefined;
  const kubeconfig = options.kubeconfig ?? server!.kubeconfig;
  const logger = pino({ level: process.env.KLOOP_LOG_LEVEL ?? 'silent' });
  // The workload plays the user (kubectl), not the operator: its own client, outside the
  // manager's fence and metrics.
  const user = KubeClient.fromKubeconfig(kubeconfig, { logger });
  const mgr = new Manager({
    kubeconfig,
    logger,
    http: { port: options.port ?? 0, host: '127.0.0.1' },
    debug: {},
    collections,
    drainTimeoutMs: 5_000,
    // One replica still campaigns, as a deployed operator does: the dashboard shows the Lease.
    leaderElection: { name: 'kloop-demo', namespace: 'default' },
  });
  let stopTrickle: (() => void) | undefined;
  let stopTable: (() => void) | undefined;
  try {
    out(server ? `emulator listening on ${server.url}` : `using the cluster of ${options.kubeconfig}`);
    // The CRD comes first, from an administrator (as Helm or kubectl would install it): the
    // operator campaigns for its Lease and may not write before it leads.
    await installCrd(user, examples.website.Website.crd(), examples.website.Website);
    examples.mirror.mirrorController(mgr);
    examples.website.websiteController(mgr);
    const { endpoints } = examples.endpoints.endpointsCollection(mgr, collections);
    examples.endpoints.endpointsController(mgr, endpoints);
    heartbeatController(mgr);
    stopTable = podTable(mgr).stop;
    await mgr.start();
    await mgr.elected;
    options.onManager?.(mgr);
    out(
      `manager started: ${mgr
        .controllers()
        .map((c) => c.name)
        .join(
          ', ',
        )}; endpoints at ${mgr.httpUrl}/metrics, /readyz; debug at ${mgr.debugUrl}/debug/kloop; dashboard at ${mgr.dashboardUrl}`,
    );
    await runWorkload({
      kube: user,
      server,
      progress: (line) => out(`- ${line}`),
      timeoutMs: options.timeoutMs ?? 20_000,
      scale: options.scale,
      examples,
      hotLoopFound: async () =>
        ((await mgr.registry.getSingleMetric('kloop_hot_loops_total')?.get())?.values ?? []).some(
          (v) => v.labels.controller === HEARTBEAT_CONTROLLER && v.value > 0,
        ),
    });
    const summary = await summarize(mgr);
    out(formatSummary(summary));
    out(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (options.watch) {
      if (server) {
        kubeconfigDir = await mkdtemp(join(tmpdir(), 'kloop-demo-'));
        const path = join(kubeconfigDir, 'kubeconfig');
        await server.writeKubeconfig(path);
        out(
          `\nstill running. Open the dashboard: ${mgr.dashboardUrl}\nTry:\n  kubectl --kubeconfig ${path} get configmaps,secrets -A\n  curl ${mgr.debugUrl}/debug/kloop\n  curl ${mgr.httpUrl}/metrics\nCtrl-C stops.`,
        );
      } else {
        out(
          `\nstill running. Open the dashboard: ${mgr.dashboardUrl}\nendpoints at ${mgr.httpUrl}, debug at ${mgr.debugUrl}. Ctrl-C stops.`,
        );
      }
      const trickle = options.trickleMs ?? 0;
      if (trickle > 0) {
        stopTrickle = startTrickle(user, DEMO_NAMESPACES[0], ['settings-0', 'settings-1', 'settings-2'], trickle, {
          onError: (err, name) => out(`could not change ConfigMap ${name}: ${(err as Error).message ?? String(err)}`),
        });
        out(`changing a mirrored ConfigMap every ${trickle} ms (--trickle 0 stops it)`);
      }
      await (options.until ??
        new Promise<void>((resolve) => {
          const remove = exitOnSignal(
            async () => {
              remove();
              resolve();
            },
            { exit: () => {}, log: () => {} },
          );
        }));
    }
    if (!server && !options.watch) {
      // On a real cluster, leave nothing behind (the Website CRD stays: others may use it).
      for (const name of DEMO_NAMESPACES)
        await user.delete({ apiVersion: 'v1', kind: 'Namespace' }, { name }).catch(() => undefined);
      out(`deleted namespaces ${DEMO_NAMESPACES.join(', ')}`);
    }
    return summary;
  } finally {
    stopTrickle?.();
    stopTable?.();
    await mgr.stop();
    user.close();
    collections.close();
    await server?.stop();
    if (kubeconfigDir) await rm(kubeconfigDir, { recursive: true, force: true });
  }
}

/** The CLI's `--trickle` when `--watch` is given without it, ms. */
export const DEFAULT_TRICKLE_MS = 3000;

/**
 * Reads `kloop demo`'s arguments; throws a `UsageError` naming the bad one.
 *
 * @example
 * ```ts
 * parseDemoArgs(['--watch']); // { watch: true, trickleMs: 3000 }
 * ```
 */
export function parseDemoArgs(args: readonly string[]): DemoOptions {
  const options: DemoOptions = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--watch') options.watch = true;
    else if (arg === '--kubeconfig') options.kubeconfig = value();
    else if (arg === '--port') options.port = Number.parseInt(value(), 10);
    else if (arg === '--scale') options.scale = Number.parseInt(value(), 10);
    else if (arg === '--trickle') options.trickleMs = Number.parseInt(value(), 10);
    else throw new UsageError(`unknown argument ${arg}`);
  }
  if (options.port !== undefined && !(options.port >= 0 && options.port < 65536))
    throw new UsageError('--port must be 0..65535');
  if (options.scale !== undefined && !(options.scale >= 1 && options.scale <= 100))
    throw new UsageError('--scale must be 1..100');
  if (options.trickleMs !== undefined && !(options.trickleMs >= 0))
    throw new UsageError('--trickle must be 0 or more ms');
  if (options.watch && options.trickleMs === undefined) options.trickleMs = DEFAULT_TRICKLE_MS;
  return options;
}

/**
 * The `kloop demo` command: resolves with the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await demoCommand(['--watch']);
 * ```
 */
export async function demoCommand(args: readonly string[]): Promise<number> {
  await runDemo(parseDemoArgs(args));
  return 0;
}
