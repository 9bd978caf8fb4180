/**
 * A manager for a test: connected to the emulator, quiet, with a large debug record, and a
 * `start()` that fails at once, naming the resource, when a controller watches a type the server
 * does not serve (a CRD the test forgot to install), rather than waiting for it as a manager in a
 * cluster rightly does.
 */
import pino from 'pino';
import type { Kubeconfig } from '../apiserver/index.js';
import { MissingTypeError } from '../cache/index.js';
import { Manager, type ManagerOptions } from '../manager/index.js';
import type { TestEmulator } from './emulator.js';

/** Options of {@link startManager}: those of `new Manager` and how long to wait. */
export interface TestManagerOptions extends ManagerOptions {
  /**
   * Real milliseconds `start()` may take to sync the controllers' caches before it fails with a
   * `CacheSyncTimeoutError` (default 10 000). A missing type fails it at once.
   */
  syncTimeoutMs?: number;
}

/** Debug record entries per controller in tests: enough for {@link recordWrites} to see everything. */
const TEST_RECORD_SIZE = 1000;

/**
 * Makes a `Manager` for `cluster` (a {@link TestEmulator}, or a kubeconfig such as one from
 * `emulator.serviceAccount()`), lets `setup` declare its controllers, informers and collections,
 * starts it and resolves once its caches are synced. When a controller watches a type the server
 * does not serve, it stops the manager and rejects with a `MissingTypeError` naming the type
 * (`no resource Memcached.cache.example.com: is its CRD installed?`). Stop it with `mgr.stop()`.
 *
 * Logs go to a pino logger at level `warn` (or `$KLOOP_LOG_LEVEL`) unless `logger` is given.
 *
 * @example
 * ```ts
 * import { ConfigMap } from 'kloop';
 * import { startEmulator, startManager } from 'kloop/testing';
 *
 * const emulator = await startEmulator();
 * const mgr = await startManager(emulator, (m) => {
 *   m.controller('noop').for(ConfigMap).reconcile(async () => {});
 * });
 * await mgr.stop();
 * await emulator.stop();
 * ```
 */
export async function startManager(
  cluster: TestEmulator | Kubeconfig,
  setup: (mgr: Manager) => unknown | Promise<unknown>,
  options: TestManagerOptions = {},
): Promise<Manager> {
  const { syncTimeoutMs = 10_000, ...managerOptions } = options;
  const kubeconfig = 'server' in cluster ? cluster.kubeconfig : cluster;
  const mgr = new Manager({
    kubeconfig,
    logger: pino({ name: 'kloop', level: process.env.KLOOP_LOG_LEVEL ?? 'warn' }),
    recordSize: TEST_RECORD_SIZE,
    cacheSyncTimeoutMs: syncTimeoutMs,
    ...managerOptions,
  });
  await setup(mgr);
  await startFailingFast(mgr);
  return mgr;
}

/**
 * `mgr.start()`, except that a type the server does not serve fails it at once: the manager is
 * stopped and the promise rejects with a `MissingTypeError` for that type.
 */
export async function startFailingFast(mgr: Manager, pollMs = 20): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let settled = false;
  const missing = new Promise<never>((_, reject) => {
    const look = () => {
      if (settled) return;
      const [first] = mgr.informers.missingTypes();
      if (first !== undefined) {
        reject(new MissingTypeError(first.type));
        return;
      }
      timer = setTimeout(look, pollMs);
    };
    look();
  });
  const started = mgr.start();
  try {
    await Promise.race([started, missing]);
  } catch (err) {
    await mgr.stop();
    await started.catch(() => undefined);
    throw err;
  } finally {
    settled = true;
    clearTimeout(timer);
    missing.catch(() => undefined);
  }
}
