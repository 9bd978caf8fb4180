/**
 * How long a failed key waits before its next try. The default matches controller-runtime's
 * `DefaultTypedControllerRateLimiter`: the larger of a per-key exponential backoff (5 ms doubling
 * to 1000 s) and a global token bucket (10 per second, burst 100), so one key failing fast backs
 * off on its own while many keys failing at once cannot flood the API server together.
 */
import { type Clock, systemClock } from '../core/index.js';

/**
 * Decides retry delays. `when` is called once per retry and counts it; `forget` resets a key
 * after a success (client-go's `RateLimiter` interface).
 */
export interface RateLimiter {
  /** The delay in milliseconds before `key` may be retried; counts one more failure. */
  when(key: string): number;
  /** Clears the failure history of `key`. */
  forget(key: string): void;
  /** How many times `key` has been retried since it was last forgotten. */
  retries(key: string): number;
}

/** Options of {@link ExponentialRateLimiter}. */
export interface ExponentialRateLimiterOptions {
  /** First delay, milliseconds. Default 5. */
  baseDelayMs?: number;
  /** Largest delay, milliseconds. Default 1 000 000 (1000 s). */
  maxDelayMs?: number;
}

/**
 * Per-key exponential backoff: `base * 2^failures`, capped (client-go's
 * `ItemExponentialFailureRateLimiter`).
 *
 * @example
 * ```ts
 * const rl = new ExponentialRateLimiter({ baseDelayMs: 5 });
 * rl.when('a'); // 5
 * rl.when('a'); // 10
 * rl.forget('a');
 * rl.when('a'); // 5
 * ```
 */
export class ExponentialRateLimiter implements RateLimiter {
  readonly #base: number;
  readonly #max: number;
  readonly #failures = new Map<string, number>();

  constructor(options: ExponentialRateLimiterOptions = {}) {
    this.#base = options.baseDelayMs ?? 5;
    this.#max = options.maxDelayMs ?? 1_000_000;
  }

  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2^failures overflows to Infinity long before it matters; the cap keeps it finite.
    return Math.min(this.#max, this.#base * 2 ** failures);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  retries(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/** Options of {@link TokenBucketRateLimiter}. */
export interface TokenBucketOptions {
  /** Tokens added per second. Default 10. */
  qps?: number;
  /** Bucket size. Default 100. */
  burst?: number;
  clock?: Clock;
}

/**
 * A global token bucket: each retry reserves a token and waits until the bucket would hold it
 * (golang.org/x/time/rate's `Reserve().Delay()`). Keys share the bucket, so `forget` does nothing.
 */
export class TokenBucketRateLimiter implements RateLimiter {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;
  readonly #retries = new Map<string, number>();

  constructor(options: TokenBucketOptions = {}) {
    this.#qps = options.qps ?? 10;
    this.#burst = options.burst ?? 100;
    this.#clock = options.clock ?? systemClock;
    this.#tokens = this.#burst;
    this.#last = this.#clock.now();
  }

  when(key: string): number {
    this.#retries.set(key, (this.#retries.get(key) ?? 0) + 1);
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#qps);
    this.#last = now;
    // Reserving may take the bucket below zero: later callers wait for the debt to refill.
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.#qps) * 1000;
  }

  forget(key: string): void {
    this.#retries.delete(key);
  }

  retries(key: string): number {
    return this.#retries.get(key) ?? 0;
  }
}

/** The largest delay of several limiters (client-go's `MaxOfRateLimiter`). */
export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }

  when(key: string): number {
    let delay = 0;
    // Every limiter must see the failure, so no short-circuit.
    for (const limiter of this.#limiters) delay = Math.max(delay, limiter.when(key));
    return delay;
  }

  forget(key: string): void {
    for (const limiter of this.#limiters) limiter.forget(key);
  }

  retries(key: string): number {
    let n = 0;
    for (const limiter of this.#limiters) n = Math.max(n, limiter.retries(key));
    return n;
  }
}

/**
 * controller-runtime's default: max(exponential 5 ms..1000 s per key, token bucket 10 qps burst 100).
 *
 * @example
 * ```ts
 * import { WorkQueue } from 'kloop';
 *
 * const queue = new WorkQueue({ rateLimiter: defaultRateLimiter() });
 * ```
 */
export function defaultRateLimiter(clock: Clock = systemClock): RateLimiter {
  return new MaxOfRateLimiter(new ExponentialRateLimiter(), new TokenBucketRateLimiter({ clock }));
}
