/**
 * The Prometheus metrics of controllers and the cached client (prefix `kloop_`), on a registry
 * the caller gives. controller-runtime's set (reconcile total/errors/duration, workqueue
 * depth/adds/retries/latency/work duration/longest running, active workers) plus what kloop adds:
 * triggers by source and event, writes made and skipped, bytes sent, hot loops.
 *
 * Several controllers share one registry: the metric objects are made once per registry and
 * labelled by controller.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { perRegistry } from '../core/index.js';

/** Duration buckets, seconds: 1 ms to 60 s (controller-runtime uses 5 ms..60 s). */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Read-outs of a queue sampled when `/metrics` is scraped. */
export interface QueueGaugeSource {
  depth(): number;
  longestRunningSeconds(): number;
}

/** Every controller and client metric. One instance per registry. */
export interface ControllerMetrics {
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileDuration: Histogram<'controller'>;
  reconcileTriggers: Counter<'controller' | 'source' | 'event'>;
  reconcileFirstTriggers: Counter<'controller' | 'source' | 'event'>;
  queueAdds: Counter<'controller'>;
  queueRetries: Counter<'controller'>;
  queueDuration: Histogram<'controller'>;
  workDuration: Histogram<'controller'>;
  activeWorkers: Gauge<'controller'>;
  hotLoops: Counter<'controller'>;
  clientWrites: Counter<'controller' | 'resource' | 'kind'>;
  clientWritesSkipped: Counter<'controller' | 'resource' | 'reason'>;
  clientWriteBytes: Counter<'controller' | 'resource'>;
  /** Registers the queue of a controller for the depth and longest-running gauges. */
  trackQueue(controller: string, source: QueueGaugeSource): () => void;
}

/**
 * The controller metrics on `registry`, made on first call.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 *
 * const registry = new Registry();
 * const m = controllerMetrics(registry);
 * m.reconcileTotal.inc({ controller: 'mirror', result: 'success' });
 * ```
 */
export const controllerMetrics: (registry: Registry) => ControllerMetrics = perRegistry((registry) => {
  const queues = new Map<string, QueueGaugeSource>();
  const registers = [registry];
  const metrics: ControllerMetrics = {
    reconcileTotal: new Counter({
      name: 'kloop_reconcile_total',
      help: 'Reconciles by controller and result (success, requeue_after, error, conflict, terminal_error, timeout).',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'kloop_reconcile_errors_total',
      help: 'Reconciles that failed (errors, timeouts and terminal errors; not conflicts).',
      labelNames: ['controller'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'kloop_reconcile_duration_seconds',
      help: 'Time spent in the reconcile function.',
      labelNames: ['controller'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    reconcileTriggers: new Counter({
      name: 'kloop_reconcile_triggers_total',
      help: 'Events folded into reconciles, by source (for:, owns:, watches:, requeue, retry, resync) and event.',
      labelNames: ['controller', 'source', 'event'],
      registers,
    }),
    reconcileFirstTriggers: new Counter({
      name: 'kloop_reconcile_first_trigger_total',
      help: 'Reconciles started, by the source and event of their first trigger (the one that queued the key; later ones were folded in).',
      labelNames: ['controller', 'source', 'event'],
      registers,
    }),
    queueAdds: new Counter({
      name: 'kloop_workqueue_adds_total',
      help: 'Adds to the work queue (folded or not).',
      labelNames: ['controller'],
      registers,
    }),
    queueRetries: new Counter({
      name: 'kloop_workqueue_retries_total',
      help: 'Rate-limited re-adds after a failure or conflict.',
      labelNames: ['controller'],
      registers,
    }),
    queueDuration: new Histogram({
      name: 'kloop_workqueue_queue_duration_seconds',
      help: 'Time a key waited ready in the queue before a worker took it.',
      labelNames: ['controller'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    workDuration: new Histogram({
      name: 'kloop_workqueue_work_duration_seconds',
      help: 'Time from hand-out to done.',
      labelNames: ['controller'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    activeWorkers: new Gauge({
      name: 'kloop_active_workers',
      help: 'Reconciles running now.',
      labelNames: ['controller'],
      registers,
    }),
    hotLoops: new Counter({
      name: 'kloop_hot_loops_total',
      help: 'Keys found writing the same fields and re-triggering themselves.',
      labelNames: ['controller'],
      registers,
    }),
    clientWrites: new Counter({
      name: 'kloop_client_writes_total',
      help: 'Writes sent by the cached client, by controller, resource and kind (create, patch, status, apply, delete, event).',
      labelNames: ['controller', 'resource', 'kind'],
      registers,
    }),
    clientWritesSkipped: new Counter({
      name: 'kloop_client_writes_skipped_total',
      help: 'Writes not sent because nothing changed, by reason.',
      labelNames: ['controller', 'resource', 'reason'],
      registers,
    }),
    clientWriteBytes: new Counter({
      name: 'kloop_client_write_bytes_total',
      help: 'Request body bytes sent by cached-client writes.',
      labelNames: ['controller', 'resource'],
      registers,
    }),
    trackQueue(controller, source) {
      queues.set(controller, source);
      return () => {
        if (queues.get(controller) === source) queues.delete(controller);
      };
    },
  };
  new Gauge({
    name: 'kloop_workqueue_depth',
    help: 'Keys ready in the work queue.',
    labelNames: ['controller'],
    registers,
    collect() {
      this.reset();
      for (const [controller, q] of queues) this.set({ controller }, q.depth());
    },
  });
  new Gauge({
    name: 'kloop_workqueue_longest_running_seconds',
    help: 'How long the longest running reconcile has run.',
    labelNames: ['controller'],
    registers,
    collect() {
      this.reset();
      for (const [controller, q] of queues) this.set({ controller }, q.longestRunningSeconds());
    },
  });
  return metrics;
});
