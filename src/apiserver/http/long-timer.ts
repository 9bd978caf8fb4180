/**
 * A timeout of any length on a {@link Clock}. Node's timers hold at most 2^31-1 ms (about 24.8
 * days); a longer delay overflows to 1 ms with a warning. A watch may ask for `timeoutSeconds`
 * of years, which the API server honours (Go's timers take int64 nanoseconds), so longer delays
 * are waited out in steps, each a timer of the clock (the emulator's clock, so a `ManualClock`
 * steps them too).
 */
import type { CancelTimer, Clock } from '../../core/index.js';

/** The longest delay one Node timer holds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fn` after `ms` milliseconds of `clock`, however many (`Infinity` never fires), chaining
 * timers of at most {@link MAX_TIMER_MS}. A delay of 0 or less fires as the clock's 0 ms timer
 * does, as a Go timer with a non-positive duration fires at once. Returns the cancel function;
 * calling it again or after the timer fired does nothing.
 *
 * @example
 * ```ts
 * import { ManualClock } from 'kloop';
 *
 * const clock = new ManualClock();
 * const cancel = setLongTimer(clock, () => console.log('a year later'), 365 * 24 * 3600 * 1000);
 * clock.advance(30 * 24 * 3600 * 1000); // a month: the first step of the chain fired, no call yet
 * cancel();
 * ```
 */
export function setLongTimer(clock: Clock, fn: () => void, ms: number): CancelTimer {
  let cancelStep: CancelTimer | undefined;
  let remaining = ms;
  const arm = (): void => {
    if (remaining === Number.POSITIVE_INFINITY) return;
    const step = Math.min(Math.max(remaining, 0), MAX_TIMER_MS);
    remaining -= step;
    cancelStep = clock.setTimer(() => {
      cancelStep = undefined;
      if (remaining > 0) arm();
      else fn();
    }, step);
  };
  arm();
  return () => {
    cancelStep?.();
    cancelStep = undefined;
    remaining = Number.POSITIVE_INFINITY;
  };
}
