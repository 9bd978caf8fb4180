/**
 * Time as kloop sees it: queues, rate limiters, reconcilers, leases and StateDB timers all wait
 * through a {@link Clock}, so tests drive backoff and delayed requeues in virtual time (kube-rs
 * tests its scheduler with paused time; undici uses fake timers) instead of sleeping.
 */

/** Cancels a timer set through a {@link Clock}. Calling it twice, or after it fired, is harmless. */
export type CancelTimer = () => void;

/**
 * A source of time and timers.
 *
 * @example
 * ```ts
 * import { WorkQueue } from 'kloop';
 *
 * const clock = new ManualClock();
 * const queue = new WorkQueue({ clock });
 * queue.addAfter({ name: 'a' }, 1000);
 * clock.advance(1000); // the key is ready now, without waiting a second
 * queue.tryGet(); // { key: { name: 'a' }, ... }
 * ```
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin; only differences matter. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimer(fn: () => void, ms: number): CancelTimer;
}

/** The wall clock: `performance.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(handle);
  },
};

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. Timers fire in time order (ties in the order they were
 * set) during {@link ManualClock.advance}.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * let fired = false;
 * clock.setTimer(() => { fired = true; }, 50);
 * clock.advance(49); // fired === false
 * clock.advance(1);  // fired === true
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: ManualTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): CancelTimer {
    const timer: ManualTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Timers not yet fired nor cancelled. */
  pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** The time of the next live timer, if any. */
  nextTimerAt(): number | undefined {
    let next: number | undefined;
    for (const t of this.#timers) if (!t.cancelled && (next === undefined || t.at < next)) next = t.at;
    return next;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.#now + Math.max(0, ms);
    for (;;) {
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      let due: ManualTimer | undefined;
      for (const t of this.#timers) {
        if (t.at <= target && (due === undefined || t.at < due.at || (t.at === due.at && t.seq < due.seq))) due = t;
      }
      if (due === undefined) break;
      due.cancelled = true;
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#now = target;
  }
}

/**
 * Waits `ms` on `clock`. Rejects with the signal's reason when `signal` aborts first, and clears
 * the timer then, so nothing is left behind.
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * await sleep(systemClock, 800, stop.signal).catch(() => {}); // a backoff step that ends early on stop
 * ```
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const onAbort = (): void => {
      cancel();
      reject(signal?.reason ?? new Error('aborted'));
    };
    const cancel = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
