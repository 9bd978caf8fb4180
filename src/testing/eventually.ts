/**
 * The one way a test waits for something that happens in real time: an emulator over HTTP, a
 * child process, a socket. It retries a check until it passes or the deadline comes, then fails
 * with what was awaited and why the last attempt failed.
 *
 * Whatever is about time itself (backoff, requeueAfter, leases, delays, timeouts) does not wait
 * here: it runs on a `ManualClock` moved by `advance()` from `./clock.ts`.
 */
import { AssertionError } from 'node:assert';

/** How long and how often {@link eventually} retries. */
export interface EventuallyOptions {
  /** What is awaited, in words: the error starts with it. */
  message: string;
  /** Real milliseconds before giving up. Default 10 000 (the machine may be busy). */
  timeout?: number;
  /** Real milliseconds between attempts. Default 10. */
  interval?: number;
}

/**
 * Refuses, at compile time, a check that returns nothing (`void`): its `undefined` would never
 * pass. The error names the property it asks for.
 */
type ReturnsSomething<T> = 0 extends 1 & T // `any` (a parsed JSON body, say) may hold anything
  ? unknown
  : // biome-ignore lint/suspicious/noConfusingVoidType: `void` is what a check with no return gives: the case refused.
    [T] extends [void]
    ? { 'a check must return a value (end it with `return true`)': never }
    : unknown;

/**
 * Calls `check` until it returns a truthy value without throwing, and resolves to that value.
 * A falsy value or a throw (an `assert` inside `check`, say) means "not yet"; past the timeout
 * it rejects with an `AssertionError` carrying `message`, the attempt count and the last failure
 * (also as `cause`).
 *
 * `check` must return something: a check written as assertions ends with `return true`. A
 * `void` check does not compile, as its `undefined` would never pass.
 *
 * @example
 * ```ts
 * import { type KubeClient, Secret } from 'kloop';
 *
 * declare const client: KubeClient;
 * const key = { namespace: 'default', name: 'copy' };
 * const secret = await eventually(() => client.get(Secret, key).catch(() => undefined), {
 *   message: 'the controller to write the Secret',
 * });
 * ```
 */
export async function eventually<T>(
  check: () => T | PromiseLike<T>,
  options: EventuallyOptions & ReturnsSomething<T>,
): Promise<NonNullable<T>> {
  const timeout = options.timeout ?? 10_000;
  const interval = options.interval ?? 10;
  const deadline = performance.now() + timeout;
  let attempts = 0;
  let last: unknown;
  for (;;) {
    attempts++;
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = `returned ${String(value)}`;
    } catch (err) {
      last = err;
    }
    if (performance.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  const why = last instanceof Error ? `${last.name}: ${last.message}` : String(last);
  const error = new AssertionError({
    message: `${options.message}: not within ${timeout} ms (${attempts} attempts); last attempt ${why}`,
  });
  if (last instanceof Error) error.cause = last;
  throw error;
}
