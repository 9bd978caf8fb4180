/**
 * SIGTERM/SIGINT handling for an operator process: the first signal starts a graceful stop
 * (stop taking work, drain in-flight reconciles, release leases) and exits 0 when it is done; a
 * second signal, or a stop that overruns its deadline, exits at once with code 1, as kubelet's
 * SIGKILL would after the grace period anyway.
 */

/**
 * Default of `deadlineMs`: under kubelet's default 30 s grace period (so the process exits on its
 * own), and 5 s over the manager's default drain (so the Leases are released after a full drain).
 */
export const DEFAULT_SHUTDOWN_DEADLINE_MS = 25_000;

export interface ShutdownOptions {
  /** How long the graceful stop may take before the process exits anyway, ms (default 25 000). */
  deadlineMs?: number;
  /** Default `['SIGTERM', 'SIGINT']`. */
  signals?: NodeJS.Signals[];
  /** Called with a line to log (default console.error). */
  log?: (line: string) => void;
  /** Default `process.exit`; injectable for tests. */
  exit?: (code: number) => void;
}

/**
 * Runs `stop` on the first termination signal, then exits. Returns a function that removes the
 * handlers.
 *
 * @example
 * ```ts
 * import { Manager } from 'kloop';
 *
 * const mgr = new Manager();
 * await mgr.start();
 * exitOnSignal(() => mgr.stop());
 * ```
 */
export function exitOnSignal(stop: () => Promise<void>, options: ShutdownOptions = {}): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const log = options.log ?? ((line: string) => console.error(line));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const deadlineMs = options.deadlineMs ?? DEFAULT_SHUTDOWN_DEADLINE_MS;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`kloop: second ${signal}, exiting now`);
      exit(1);
      return;
    }
    stopping = true;
    log(`kloop: ${signal} received, stopping (deadline ${deadlineMs} ms)`);
    const timer = setTimeout(() => {
      log('kloop: graceful stop overran its deadline, exiting');
      exit(1);
    }, deadlineMs);
    timer.unref();
    stop().then(
      () => {
        clearTimeout(timer);
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        log(`kloop: error while stopping: ${(err as Error)?.stack ?? String(err)}`);
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
