/**
 * SIGTERM/SIGINT handling for an operator process: the first signal starts a graceful stop
 * (stop taking work, drain in-flight reconciles, release leases) and exits 0 when it is done; a
 * second signal, or a stop that overruns its deadline, exits at once with code 1, as kubelet's
 * SIGKILL would after the grace period anyway. Its lines are JSON through a pino logger, like
 * every other line of the framework (pass `mgr.logger`).
 */
import type { Logger } from 'pino';
import { defaultLogger } from '../client/index.js';

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
  /** Where the shutdown lines go. Default kloop's default logger; pass `mgr.logger`. */
  logger?: Logger;
  /**
   * Called with each line instead of `logger`.
   *
   * @deprecated Plain text among JSON logs; use `logger`.
   */
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
 * exitOnSignal(() => mgr.stop(), { logger: mgr.logger });
 * ```
 */
export function exitOnSignal(stop: () => Promise<void>, options: ShutdownOptions = {}): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const logger = options.logger ?? defaultLogger();
  const plain = options.log;
  const log = {
    info: (fields: Record<string, unknown>, msg: string) => (plain ? plain(`kloop: ${msg}`) : logger.info(fields, msg)),
    error: (fields: Record<string, unknown>, msg: string) =>
      plain ? plain(`kloop: ${msg}`) : logger.error(fields, msg),
  };
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const deadlineMs = options.deadlineMs ?? DEFAULT_SHUTDOWN_DEADLINE_MS;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.error({ signal }, `second ${signal}, exiting now`);
      exit(1);
      return;
    }
    stopping = true;
    log.info({ signal, deadlineMs }, `${signal} received, stopping (deadline ${deadlineMs} ms)`);
    const timer = setTimeout(() => {
      log.error({ deadlineMs }, 'graceful stop overran its deadline, exiting');
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
        log.error({ err }, 'error while stopping');
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
