/**
 * Retry policy of the client: which failures are retried and how long to wait. Kept apart from
 * the verbs so the rules read in one place.
 */

/** Retry-After values above this (a day) are taken as garbage, not as a wish to wait. */
const ABSURD_RETRY_AFTER_SECONDS = 86_400;

/**
 * Reads `Retry-After` (delay-seconds, or an HTTP date) into milliseconds, capped at
 * `maxSeconds`. Absent, unreadable, negative or absurd values (more than a day) give
 * `undefined`: the caller then backs off as it would without the header. So do values under a
 * second (`0`, a date now or gone by): client-go honours 0 behind its client-side rate limit, and
 * kloop has none, so a server answering `Retry-After: 0` every time would get the retries in one
 * burst. `now` is the wall clock (HTTP dates are wall-clock times).
 *
 * @example
 * ```ts
 * retryAfterMs('3', 60, Date.now());    // 3000
 * retryAfterMs('600', 60, Date.now());  // 60000: capped
 * retryAfterMs('-5', 60, Date.now());   // undefined: back off instead
 * retryAfterMs('0', 60, Date.now());    // undefined: back off instead
 * ```
 */
export function retryAfterMs(
  header: string | string[] | undefined,
  maxSeconds: number,
  now: number,
): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  let seconds: number;
  if (/^\d+$/.test(value)) seconds = Number(value);
  else if (/^[A-Za-z]{3}, /.test(value)) {
    const date = Date.parse(value);
    if (Number.isNaN(date)) return undefined;
    seconds = Math.max(0, (date - now) / 1000);
  } else return undefined; // negative, fractional, or not a number: RFC 9110 allows none of them
  if (seconds > ABSURD_RETRY_AFTER_SECONDS || seconds < 1) return undefined;
  return Math.min(seconds, maxSeconds) * 1000;
}

/**
 * Exponential backoff with full jitter between `initialMs` and `maxMs`, reset after a healthy
 * period. Used by retries here and by the reflector (0.8 s .. 30 s, as client-go's reflector and
 * kube-runtime's watcher).
 *
 * @example
 * ```ts
 * const backoff = new Backoff({ initialMs: 800, maxMs: 30_000 });
 * const wait = backoff.next(); // 800 ms .. 1.6 s with jitter; doubles each call up to 30 s
 * backoff.reset();              // after a healthy period
 * ```
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: { initialMs: number; maxMs: number; jitter?: number; random?: () => number }) {
    this.#initialMs = options.initialMs;
    this.#maxMs = options.maxMs;
    this.#jitter = options.jitter ?? 1;
    this.#random = options.random ?? Math.random;
  }

  /** The next wait in ms: `min(max, initial * 2^attempt) * (1 + jitter * random)`, capped at max. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.min(this.#maxMs, base * (1 + this.#jitter * this.#random()));
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/** Status codes worth retrying for an idempotent read: server errors that may pass. */
export function isRetryableStatus(status: number): boolean {
  return status === 500 || status === 502 || status === 503 || status === 504;
}
