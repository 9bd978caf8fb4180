/**
 * The default logger: pino at level `info` (or `$KLOOP_LOG_LEVEL`), JSON on stdout, created once
 * and shared, so a program that passes no logger hears what its controllers say (`ctx.log.info`),
 * what the framework does (listeners, leadership) and every failure. Per-reconcile outcomes and
 * writes are `debug`.
 */
import { type Logger, pino } from 'pino';

let shared: Logger | undefined;

/** The shared default logger (`pino({ level: 'info', name: 'kloop' })`). */
export function defaultLogger(): Logger {
  shared ??= pino({ level: process.env.KLOOP_LOG_LEVEL ?? 'info', name: 'kloop' });
  return shared;
}
