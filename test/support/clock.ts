/**
 * Virtual time for tests: core's `ManualClock`, moved by {@link advance}, which fires each timer
 * in time order and lets the promise chains it starts run before the next one is due, so code
 * that sets a new timer after an `await` is followed exactly, as under kube-rs' paused time.
 * Nothing here waits in real time.
 */
import { AssertionError } from 'node:assert';
import type { ManualClock } from '../../src/core/clock.js';

/**
 * Lets every pending promise continuation run: resolves after the microtask queue is empty and
 * a few event-loop turns passed (some code hops through `setImmediate`).
 */
export async function flush(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Options of {@link advance}. */
export interface AdvanceOptions {
  /**
   * Move in steps of at most this many milliseconds (default: straight from timer to timer).
   * Steps are for code that polls through real I/O between timers.
   */
  step?: number;
  /** Called after each timer fired (and its continuations ran) and at the end: check invariants. */
  onStep?: () => void;
}

/**
 * Moves `clock` forward by `ms`, firing the timers that fall due on the way one at a time and
 * flushing after each, so a timer set by a continuation of an earlier one fires too when it falls
 * within `ms`.
 */
export async function advance(clock: ManualClock, ms: number, options: AdvanceOptions = {}): Promise<void> {
  const target = clock.now() + Math.max(0, ms);
  await flush();
  for (;;) {
    const next = clock.nextTimerAt();
    const stepEnd = options.step === undefined ? target : Math.min(target, clock.now() + options.step);
    if (next === undefined || next > stepEnd) {
      if (clock.now() >= target) break;
      clock.advance(stepEnd - clock.now());
    } else {
      clock.advance(Math.max(0, next - clock.now()));
    }
    await flush();
    options.onStep?.();
  }
  options.onStep?.();
}

/**
 * Advances `clock` until `done()` holds, failing after `limit` virtual milliseconds: for
 * outcomes whose time is known only roughly (jittered backoff, lease expiry).
 */
export async function advanceUntil(
  clock: ManualClock,
  done: () => boolean,
  options: { limit: number; message: string; step?: number; onStep?: () => void },
): Promise<number> {
  const start = clock.now();
  const step = options.step ?? 100;
  await flush();
  while (!done()) {
    if (clock.now() - start >= options.limit) {
      throw new AssertionError({ message: `${options.message}: not within ${options.limit} ms of virtual time` });
    }
    await advance(clock, step, { onStep: options.onStep });
  }
  return clock.now() - start;
}
