/**
 * Metrics are made once per prom-client registry: prom-client refuses a second metric of the same
 * name on one registry, and every client, informer, controller or reconciler sharing a registry
 * must count into the same series. Every layer's metrics go through {@link perRegistry}.
 */
import type { Registry } from 'prom-client';

/**
 * Wraps `create` so that it runs once per registry; later calls with the same registry return
 * what the first one made. Registries are held weakly.
 *
 * @example
 * ```ts
 * import { Counter, Registry } from 'prom-client';
 *
 * const registry = new Registry();
 * const requests = perRegistry((registry) => new Counter({ name: 'x_total', help: 'x', registers: [registry] }));
 * requests(registry) === requests(registry); // true
 * ```
 */
export function perRegistry<M>(create: (registry: Registry) => M): (registry: Registry) => M {
  const made = new WeakMap<Registry, M>();
  return (registry) => {
    let metrics = made.get(registry);
    if (metrics === undefined) {
      metrics = create(registry);
      made.set(registry, metrics);
    }
    return metrics;
  };
}
