/**
 * Binds a collection registry's counts to prom-client, with the `kloop_` prefix every layer
 * uses. Kept apart so that collections work without a metrics registry.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { perRegistry } from '../core/index.js';
import { type CollectionRegistry, defaultRegistry } from './registry.js';
import type { CollectionMetricsSink } from './types.js';

/** The collection metrics on one prom-client registry, and the collection registries they report. */
interface CollectionPromMetrics {
  calls: Counter<'collection'>;
  errors: Counter<'collection'>;
  events: Counter<'collection'>;
  ticks: Histogram;
  sources: Set<CollectionRegistry>;
}

/** Made once per prom-client registry, so several managers (collection registries) can share one. */
const promMetrics = perRegistry((promRegistry): CollectionPromMetrics => {
  const sources = new Set<CollectionRegistry>();
  new Gauge({
    name: 'kloop_collection_size',
    help: 'Items held by each collection.',
    labelNames: ['collection'],
    registers: [promRegistry],
    collect() {
      this.reset();
      for (const registry of sources) for (const c of registry.collections()) this.inc({ collection: c.name }, c.size);
    },
  });
  return {
    sources,
    calls: new Counter({
      name: 'kloop_collection_transform_calls_total',
      help: 'Transform runs of derived collections.',
      labelNames: ['collection'],
      registers: [promRegistry],
    }),
    errors: new Counter({
      name: 'kloop_collection_transform_errors_total',
      help: 'Transform runs that threw; the previous output was kept.',
      labelNames: ['collection'],
      registers: [promRegistry],
    }),
    events: new Counter({
      name: 'kloop_collection_events_total',
      help: 'Changes (added, updated, deleted) emitted by collections.',
      labelNames: ['collection'],
      registers: [promRegistry],
    }),
    ticks: new Histogram({
      name: 'kloop_collection_tick_duration_seconds',
      help: 'Duration of scheduler ticks (propagation of one batch of changes through the graph).',
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [promRegistry],
    }),
  };
});

/**
 * Registers the collection metrics on `promRegistry` and makes `registry` report to them:
 * `kloop_collection_transform_calls_total{collection}`,
 * `kloop_collection_transform_errors_total{collection}`,
 * `kloop_collection_events_total{collection}`, `kloop_collection_size{collection}` and
 * `kloop_collection_tick_duration_seconds`. Returns the sink, e.g. to chain another. Several
 * collection registries may report to one metrics registry (their counts add up by collection name).
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * const prom = new Registry();
 * registerCollectionMetrics(prom);
 * ```
 */
export function registerCollectionMetrics(
  promRegistry: Registry,
  registry: CollectionRegistry = defaultRegistry,
): CollectionMetricsSink {
  const { calls, errors, events, ticks, sources } = promMetrics(promRegistry);
  sources.add(registry);
  const sink: CollectionMetricsSink = {
    transformCall: (collection) => calls.inc({ collection }),
    transformError: (collection) => errors.inc({ collection }),
    emitted: (collection, n) => events.inc({ collection }, n),
    tick: (seconds) => ticks.observe(seconds),
  };
  registry.metrics = sink;
  return sink;
}
