/**
 * Virtual time for tests: core's `ManualClock`, moved by {@link advance}, which fires each timer
 * in time order and lets the promise chains it starts run before the next one is due, so code
 * that sets a new timer after an `await` is followed exactly, as under kube-rs' paused time.
 * Nothing here waits in real time.
 */
import { AssertionError } from 'node:assert';
import type { ManualClock } from '../core/index.js';

/**
 * Lets every pending promise continuation run: resolves after the microtask queue is empty and
 * a few event-loop turns passed (some code hops through `setImmediate`).
 */
export async function flush(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Options of {@link advance}. */
export interface AdvanceOptions {
  /** Move in steps of at most this many milliseconds, calling `onStep` after each. */
  step?: number;
  /** Called after each step (or once, at the end, without `step`): check invariants here. */
  onStep?: () => void;
}

/**
 * Moves `clock` forward by `ms`, firing the timers that fall due on the way one due time at a
 * time and flushing after each, so a timer set by a continuation of an earlier one fires too when
 * it falls within `ms`. `advance(clock, 0)` fires what is due now.
 */
export async function advance(clock: ManualClock, ms: number, options: AdvanceOptions = {}): Promise<void> {
  const target = clock.now() + Math.max(0, ms);
  await flush();
  do {
    const stepEnd = options.step === undefined ? target : Math.min(target, clock.now() + options.step);
    for (;;) {
      const next = clock.nextTimerAt();
      if (next === undefined || next > stepEnd) break;
      clock.advance(Math.max(0, next - clock.now()));
      await flush();
    }
    clock.advance(stepEnd - clock.now());
    options.onStep?.();
  } while (clock.now() < target);
}

/** Options of {@link advanceUntil}. */
export interface AdvanceUntilOptions {
  /** What is awaited, in words: the error starts with it. */
  message: string;
  /** Virtual milliseconds per round (default 100); 0 only flushes and fires what is due now. */
  step?: number;
  /** Virtual milliseconds before giving up (default 60 000); with `step` 0, 100 rounds. */
  limit?: number;
  /** Called after each step: check invariants here. */
  onStep?: () => void;
}

/**
 * Advances `clock` round by round until `done()` holds and returns the virtual milliseconds that
 * took: for outcomes whose time is known only roughly (jittered backoff, lease expiry). Fails
 * with an `AssertionError` past the limit.
 */
export async function advanceUntil(
  clock: ManualClock,
  done: () => boolean,
  options: AdvanceUntilOptions,
): Promise<number> {
  const start = clock.now();
  const step = options.step ?? 100;
  const limit = options.limit ?? 60_000;
  const rounds = step > 0 ? Math.ceil(limit / step) : 100;
  await flush();
  for (let round = 0; !done(); round++) {
    if (round >= rounds) {
      throw new AssertionError({
        message: `${options.message}: not within ${step > 0 ? `${limit} ms of virtual time` : `${rounds} rounds`}`,
      });
    }
    await advance(clock, step, { step, onStep: options.onStep });
  }
  return clock.now() - start;
}
