/**
 * The manager's logger: the user's pino logger (or kloop's default, level `info`), as a child
 * that redacts every line it writes. Everything the framework logs goes through it: the client,
 * the informers, the controllers, the cached client, leader election, and `ctx.log` in reconcilers.
 *
 * Redaction happens in pino's `log` formatter, on the line's fields: Secret-shaped objects lose
 * their values (`redactSecrets`) and every string has the values of cached Secrets masked; errors
 * (under `err`) are masked by the error serializer, message, stack and causes alike. Messages are
 * the framework's own constant texts; a reconciler that puts a secret into a message string
 * (`ctx.log.info(`token ${t}`)`, or an `Error` as the only argument) bypasses the fields: pass it
 * as a field (`ctx.log.error({ err }, 'sync failed')`) to have it masked.
 */
import { type Logger, pino } from 'pino';
import { redactSecrets } from './redact.js';

type LogFormatter = (object: object) => object;
type ErrSerializer = (err: unknown) => unknown;

/**
 * A child of `logger` whose lines are redacted with `mask` (see the module comment).
 *
 * @example
 * ```ts
 * import { pino } from 'pino';
 *
 * const log = redactingLogger(pino(), (text) => text.replaceAll('hunter2', '<redacted>'));
 * log.error({ err: new Error('login as admin:hunter2 failed') }, 'sync failed'); // message masked
 * ```
 */
export function redactingLogger(logger: Logger, mask: (text: string) => string): Logger {
  const internals = logger as unknown as Record<symbol, unknown>;
  const parentFormatters = internals[pino.symbols.formattersSym] as { log?: LogFormatter } | undefined;
  const parentSerializers = internals[pino.symbols.serializersSym] as Record<string, ErrSerializer> | undefined;
  const serializeErr: ErrSerializer = parentSerializers?.err ?? (pino.stdSerializers.err as ErrSerializer);
  const log: LogFormatter = (object) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(object as Record<string, unknown>)) {
      // `err` is left to the serializer below, which knows errors (causes, aggregate errors).
      out[key] = key === 'err' ? value : redactSecrets(value, { mask });
    }
    return parentFormatters?.log ? parentFormatters.log(out) : out;
  };
  return logger.child(
    {},
    {
      formatters: { log },
      serializers: { err: (err: unknown) => redactSecrets(serializeErr(err), { mask }) },
    },
  );
}
