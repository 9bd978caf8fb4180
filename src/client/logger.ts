/**
 * The default logger: a quiet pino at level `warn`, created once and shared, so a program that
 * passes no logger still hears about failures (a throwing handler, a malformed watch line).
 */
import { type Logger, pino } from 'pino';

let quiet: Logger | undefined;

/** The shared default logger (`pino({ level: 'warn', name: 'kloop' })`). */
export function defaultLogger(): Logger {
  quiet ??= pino({ level: process.env.KLOOP_LOG_LEVEL ?? 'warn', name: 'kloop' });
  return quiet;
}
