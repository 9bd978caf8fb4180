/**
 * Prometheus metrics of StateDB: table gauges read at scrape time from `db.describe()`, and the
 * reconciler's operation counters. Everything is optional: pass a prom-client `Registry` to
 * `registerStateDBMetrics` or to `startReconciler({ registry })`.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { perRegistry } from '../core/index.js';
import type { StateDBDescription } from './types.js';

/** The reconciler metrics on one registry. */
export interface ReconcilerMetrics {
  operations: Counter<'reconciler' | 'op' | 'result'>;
  pending: Gauge<'reconciler'>;
  failing: Gauge<'reconciler'>;
}

/**
 * `kloop_statedb_reconcile_operations_total{reconciler,op,result}` (op: update, delete, prune;
 * result: ok, error), `kloop_statedb_reconcile_pending{reconciler}` and
 * `kloop_statedb_reconcile_failing{reconciler}`; created once per registry.
 */
export const reconcilerMetrics: (registry: Registry) => ReconcilerMetrics = perRegistry((registry) => ({
  operations: new Counter({
    name: 'kloop_statedb_reconcile_operations_total',
    help: 'Operations a StateDB reconciler ran against its target, by op and result',
    labelNames: ['reconciler', 'op', 'result'],
    registers: [registry],
  }),
  pending: new Gauge({
    name: 'kloop_statedb_reconcile_pending',
    help: 'Objects waiting for an update or delete, including those backing off',
    labelNames: ['reconciler'],
    registers: [registry],
  }),
  failing: new Gauge({
    name: 'kloop_statedb_reconcile_failing',
    help: 'Objects whose last operation failed and that wait for a retry',
    labelNames: ['reconciler'],
    registers: [registry],
  }),
}));

/** Something that can describe itself: a `StateDB`. */
export interface Describable {
  describe(): StateDBDescription;
}

/**
 * Registers table gauges read from `db.describe()` at every scrape:
 * `kloop_statedb_table_objects{table}`, `kloop_statedb_table_revision{table}`,
 * `kloop_statedb_table_graveyard{table}`, `kloop_statedb_table_watches{table}`,
 * `kloop_statedb_table_initialized{table}` (1 or 0). Call once per database and registry.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * import { StateDB } from 'kloop/statedb';
 *
 * const db = new StateDB();
 * const registry = new Registry();
 * registerStateDBMetrics(db, registry);
 * await registry.metrics(); // includes kloop_statedb_table_objects{table="backends"} ...
 * ```
 */
export function registerStateDBMetrics(db: Describable, registry: Registry): void {
  const gauge = (name: string, help: string, value: (t: StateDBDescription['tables'][number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['table'],
      registers: [registry],
      collect() {
        this.reset();
        for (const t of db.describe().tables) this.set({ table: t.name }, value(t));
      },
    });
  gauge('kloop_statedb_table_objects', 'Objects in a StateDB table', (t) => t.size);
  gauge('kloop_statedb_table_revision', 'Revision of the last change to a StateDB table', (t) => t.revision);
  gauge('kloop_statedb_table_graveyard', 'Deleted objects kept for change iterators', (t) => t.graveyard);
  gauge('kloop_statedb_table_watches', 'Registered query watches', (t) => t.watches);
  gauge('kloop_statedb_table_initialized', '1 once every initializer of the table is done', (t) =>
    t.initialized ? 1 : 0,
  );
}
