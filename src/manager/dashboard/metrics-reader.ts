/**
 * The dashboard's view of the manager's metrics: the `kloop_*` counters, gauges and histograms
 * read from the prom-client registry (the same values `/metrics` prints), folded into cumulative
 * totals per controller, per controller and resource, and per informer resource; and the
 * difference of two readings, which is what one point of the dashboard's time series shows.
 *
 * Quantiles are Prometheus' `histogram_quantile` over the duration buckets, so a figure on the
 * page can be checked against `/metrics` with the same arithmetic.
 */
import type { Registry } from 'prom-client';

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** Cumulative figures of one controller, as `/metrics` has them now. */
export interface ControllerTotals {
  /** `kloop_reconcile_total` by result. */
  results: Record<string, number>;
  /** `kloop_reconcile_errors_total`. */
  errors: number;
  /** `kloop_reconcile_triggers_total` by `source event`. */
  triggers: Record<string, number>;
  /** `kloop_reconcile_first_trigger_total` by `source event`: reconciles by what queued them. */
  firstTriggers: Record<string, number>;
  /**
   * `kloop_reconcile_duration_seconds` buckets: upper bound (seconds, `Infinity` last, which JSON
   * writes as `null`) and cumulative count.
   */
  buckets: Array<[number, number]>;
  durationCount: number;
  durationSum: number;
  /** Duration quantiles since start, seconds (`histogram_quantile` over `buckets`); absent without reconciles. */
  p50?: number;
  p99?: number;
  /** `kloop_workqueue_depth`, `kloop_active_workers`. */
  depth: number;
  active: number;
  adds: number;
  retries: number;
  hotLoops: number;
}

/** Writes of one controller to one resource (plural, as the metrics label it). */
export interface WriteTotals {
  controller: string;
  resource: string;
  /** `kloop_client_writes_total` by kind. */
  sent: Record<string, number>;
  /** `kloop_client_writes_skipped_total` by reason. */
  skipped: Record<string, number>;
  /** `kloop_client_write_bytes_total`. */
  bytes: number;
}

/** Events and list/watch restarts of one informer resource. */
export interface InformerTotals {
  resource: string;
  /** `kloop_informer_events_total` by event. */
  events: Record<string, number>;
  /** `kloop_informer_relists_total` by reason. */
  relists: Record<string, number>;
  /** `kloop_informer_watch_restarts_total` by reason. */
  watchRestarts: Record<string, number>;
  /** `kloop_informer_objects`. */
  objects: number;
}

/** Every figure the dashboard takes from the registry at one moment. */
export interface MetricsTotals {
  controllers: Record<string, ControllerTotals>;
  writes: WriteTotals[];
  informers: InformerTotals[];
  /** `kloop_leader` by lease. */
  leader: Record<string, number>;
}

async function values(registry: Registry, name: string): Promise<MetricValue[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return [];
  return (await metric.get()).values as MetricValue[];
}

function bump(map: Record<string, number>, key: string, by: number): void {
  map[key] = (map[key] ?? 0) + by;
}

function emptyController(): ControllerTotals {
  return {
    results: {},
    errors: 0,
    triggers: {},
    firstTriggers: {},
    buckets: [],
    durationCount: 0,
    durationSum: 0,
    depth: 0,
    active: 0,
    adds: 0,
    retries: 0,
    hotLoops: 0,
  };
}

/** Reads the `kloop_*` metrics of `registry` (collect callbacks run, as for a scrape). */
export async function readTotals(registry: Registry): Promise<MetricsTotals> {
  const controllers: Record<string, ControllerTotals> = {};
  const controller = (labels: Record<string, string | number>) => {
    const name = String(labels.controller);
    controllers[name] ??= emptyController();
    return controllers[name];
  };
  for (const v of await values(registry, 'kloop_reconcile_total'))
    bump(controller(v.labels).results, String(v.labels.result), v.value);
  for (const v of await values(registry, 'kloop_reconcile_errors_total')) controller(v.labels).errors += v.value;
  for (const v of await values(registry, 'kloop_reconcile_triggers_total'))
    bump(controller(v.labels).triggers, `${v.labels.source} ${v.labels.event}`, v.value);
  for (const v of await values(registry, 'kloop_reconcile_first_trigger_total'))
    bump(controller(v.labels).firstTriggers, `${v.labels.source} ${v.labels.event}`, v.value);
  for (const v of await values(registry, 'kloop_reconcile_duration_seconds')) {
    const c = controller(v.labels);
    if (v.metricName?.endsWith('_bucket')) {
      const le = v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le);
      c.buckets.push([le, v.value]);
    } else if (v.metricName?.endsWith('_count')) c.durationCount = v.value;
    else if (v.metricName?.endsWith('_sum')) c.durationSum = v.value;
  }
  for (const c of Object.values(controllers)) {
    c.buckets.sort((a, b) => a[0] - b[0]);
    const p50 = histogramQuantile(0.5, c.buckets);
    if (p50 !== undefined) {
      c.p50 = p50;
      c.p99 = histogramQuantile(0.99, c.buckets);
    }
  }
  for (const v of await values(registry, 'kloop_workqueue_depth')) controller(v.labels).depth = v.value;
  for (const v of await values(registry, 'kloop_active_workers')) controller(v.labels).active = v.value;
  for (const v of await values(registry, 'kloop_workqueue_adds_total')) controller(v.labels).adds += v.value;
  for (const v of await values(registry, 'kloop_workqueue_retries_total')) controller(v.labels).retries += v.value;
  for (const v of await values(registry, 'kloop_hot_loops_total')) controller(v.labels).hotLoops += v.value;

  const writes = new Map<string, WriteTotals>();
  const write = (labels: Record<string, string | number>) => {
    const id = `${labels.controller}\u0000${labels.resource}`;
    let w = writes.get(id);
    if (!w) {
      w = { controller: String(labels.controller), resource: String(labels.resource), sent: {}, skipped: {}, bytes: 0 };
      writes.set(id, w);
    }
    return w;
  };
  for (const v of await values(registry, 'kloop_client_writes_total'))
    bump(write(v.labels).sent, String(v.labels.kind), v.value);
  for (const v of await values(registry, 'kloop_client_writes_skipped_total'))
    bump(write(v.labels).skipped, String(v.labels.reason), v.value);
  for (const v of await values(registry, 'kloop_client_write_bytes_total')) write(v.labels).bytes += v.value;

  const informers = new Map<string, InformerTotals>();
  const informer = (labels: Record<string, string | number>) => {
    const resource = String(labels.resource);
    let i = informers.get(resource);
    if (!i) {
      i = { resource, events: {}, relists: {}, watchRestarts: {}, objects: 0 };
      informers.set(resource, i);
    }
    return i;
  };
  for (const v of await values(registry, 'kloop_informer_events_total'))
    bump(informer(v.labels).events, String(v.labels.event), v.value);
  for (const v of await values(registry, 'kloop_informer_relists_total'))
    bump(informer(v.labels).relists, String(v.labels.reason), v.value);
  for (const v of await values(registry, 'kloop_informer_watch_restarts_total'))
    bump(informer(v.labels).watchRestarts, String(v.labels.reason), v.value);
  for (const v of await values(registry, 'kloop_informer_objects')) informer(v.labels).objects = v.value;

  const leader: Record<string, number> = {};
  for (const v of await values(registry, 'kloop_leader')) leader[String(v.labels.lease)] = v.value;
  return {
    controllers,
    writes: [...writes.values()].sort(
      (a, b) => a.controller.localeCompare(b.controller) || a.resource.localeCompare(b.resource),
    ),
    informers: [...informers.values()].sort((a, b) => a.resource.localeCompare(b.resource)),
    leader,
  };
}

/**
 * Prometheus' `histogram_quantile(q, ...)` over cumulative buckets (upper bound, count), `Infinity`
 * last: the bucket holding the rank `q * total`, interpolated linearly; the highest finite bound
 * when the rank falls in the `+Inf` bucket; undefined without observations.
 *
 * @example
 * ```ts
 * histogramQuantile(0.5, [[0.1, 2], [1, 4], [Infinity, 4]]); // 0.1
 * ```
 */
export function histogramQuantile(q: number, buckets: ReadonlyArray<readonly [number, number]>): number | undefined {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return lowerBound;
      if (count === lowerCount) return le;
      return lowerBound + (le - lowerBound) * ((rank - lowerCount) / (count - lowerCount));
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

/** One controller in one point of the time series: gauges now, counters since the previous point. */
export interface ControllerPoint {
  depth: number;
  /** Keys being reconciled now. */
  inFlight: number;
  /** Reconciles finished in the interval, by result. */
  results: Record<string, number>;
  /** Triggers folded into reconciles in the interval, by `source event`. */
  triggers: Record<string, number>;
  /** Reconciles started in the interval, by the `source event` of their first trigger. */
  reconciles: Record<string, number>;
  /** Duration quantiles (seconds) of the interval's reconciles; absent when none finished. */
  p50?: number;
  p99?: number;
  writes: number;
  skipped: number;
  bytes: number;
}

/** One point of the dashboard's time series. */
export interface DashboardSample {
  /** Wall time, ms since the epoch. */
  t: number;
  /** Length of the interval the counters cover, ms. */
  intervalMs: number;
  controllers: Record<string, ControllerPoint>;
  /** Informer events and relists in the interval, by resource. */
  informers: Record<string, { events: number; relists: number }>;
}

function sum(map: Record<string, number>): number {
  let n = 0;
  for (const v of Object.values(map)) n += v;
  return n;
}

function delta(now: Record<string, number>, before: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(now)) {
    const d = v - (before?.[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

/**
 * The point between two readings: counters as differences (a counter that went down, as after a
 * registry reset, counts from zero), gauges as read now.
 */
export function samplePoint(
  now: MetricsTotals,
  before: MetricsTotals | undefined,
  inFlight: Record<string, number>,
  t: number,
  intervalMs: number,
): DashboardSample {
  const controllers: Record<string, ControllerPoint> = {};
  const names = new Set([...Object.keys(now.controllers), ...Object.keys(inFlight)]);
  for (const name of names) {
    const c = now.controllers[name] ?? emptyController();
    const b = before?.controllers[name];
    const buckets = c.buckets.map(([le, count], i): [number, number] => {
      const previous = b?.buckets[i]?.[0] === le ? b.buckets[i]![1] : 0;
      return [le, Math.max(0, count - previous)];
    });
    const point: ControllerPoint = {
      depth: c.depth,
      inFlight: inFlight[name] ?? 0,
      results: delta(c.results, b?.results),
      triggers: delta(c.triggers, b?.triggers),
      reconciles: delta(c.firstTriggers, b?.firstTriggers),
      writes: 0,
      skipped: 0,
      bytes: 0,
    };
    const p50 = histogramQuantile(0.5, buckets);
    if (p50 !== undefined) {
      point.p50 = p50;
      point.p99 = histogramQuantile(0.99, buckets);
    }
    controllers[name] = point;
  }
  const previousWrites = new Map(before?.writes.map((w) => [`${w.controller}\u0000${w.resource}`, w]));
  for (const w of now.writes) {
    const b = previousWrites.get(`${w.controller}\u0000${w.resource}`);
    const point = (controllers[w.controller] ??= {
      depth: 0,
      inFlight: 0,
      results: {},
      triggers: {},
      reconciles: {},
      writes: 0,
      skipped: 0,
      bytes: 0,
    });
    point.writes += sum(delta(w.sent, b?.sent));
    point.skipped += sum(delta(w.skipped, b?.skipped));
    point.bytes += Math.max(0, w.bytes - (b?.bytes ?? 0));
  }
  const informers: DashboardSample['informers'] = {};
  const previousInformers = new Map(before?.informers.map((i) => [i.resource, i]));
  for (const i of now.informers) {
    const b = previousInformers.get(i.resource);
    informers[i.resource] = { events: sum(delta(i.events, b?.events)), relists: sum(delta(i.relists, b?.relists)) };
  }
  return { t, intervalMs, controllers, informers };
}
