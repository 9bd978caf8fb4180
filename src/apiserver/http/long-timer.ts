/**
 * A timeout of any length. Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer
 * delay overflows to 1 ms with a warning. A watch may ask for `timeoutSeconds` of years, which
 * the API server honours (Go's timers take int64 nanoseconds), so longer delays are waited out
 * in steps.
 */

/** The longest delay one Node timer holds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending {@link setLongTimeout}. */
export interface LongTimeout {
  /** Cancels it; calling it again or after it fired does nothing. */
  clear(): void;
}

/**
 * Calls `fn` after `ms` milliseconds, however many (`Infinity` never fires). A delay of 0 or
 * less fires on the next turn of the event loop, as a Go timer with a non-positive duration
 * fires at once.
 *
 * @example
 * ```ts
 * const timeout = setLongTimeout(() => console.log('a year later'), 365 * 24 * 3600 * 1000);
 * timeout.clear();
 * ```
 */
export function setLongTimeout(fn: () => void, ms: number): LongTimeout {
  let timer: NodeJS.Timeout | undefined;
  let remaining = ms;
  const arm = () => {
    if (remaining === Number.POSITIVE_INFINITY) return;
    const step = Math.min(Math.max(remaining, 0), MAX_TIMER_MS);
    remaining -= step;
    timer = setTimeout(() => {
      timer = undefined;
      if (remaining > 0) arm();
      else fn();
    }, step);
    timer.unref?.();
  };
  arm();
  return {
    clear() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      remaining = Number.POSITIVE_INFINITY;
    },
  };
}
