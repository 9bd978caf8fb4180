/**
 * `cacheSyncTimeoutMs` (controller-runtime's `CacheSyncTimeout`): how long `start()` waits for the
 * caches its controllers need before it gives up, stops what it started and rejects with what was
 * missing. Off by default in a deployment (a replica waiting for its CRD is reported in `/readyz`
 * and the logs, and recovers once the CRD is installed); on in tests, where a forgotten CRD should
 * fail the test at once with the fix rather than hang until the test's own timeout.
 */
import type { MissingType } from '../cache/index.js';
import { type Clock, KloopError } from '../core/index.js';

/** `start()` gave up waiting for the caches; the message says which and why. Not retryable as is. */
export class CacheSyncTimeoutError extends KloopError {
  /** Types the server does not serve, with the fix. */
  readonly missingTypes: readonly MissingType[];
  /** Informers that had not synced (`apiVersion/kind`, with their namespace when scoped). */
  readonly unsynced: readonly string[];

  constructor(timeoutMs: number, missingTypes: readonly MissingType[], unsynced: readonly string[]) {
    const reasons = [
      ...missingTypes.map((m) => m.message),
      ...(unsynced.length > 0 ? [`not synced: ${unsynced.join(', ')}`] : []),
    ];
    super(
      'KLOOP_CACHE_SYNC_TIMEOUT',
      `caches did not sync within ${timeoutMs} ms${reasons.length > 0 ? `: ${reasons.join('; ')}` : ''}`,
    );
    this.missingTypes = missingTypes;
    this.unsynced = unsynced;
  }
}

/** `run`, or a `CacheSyncTimeoutError` from `explain()` once `timeoutMs` passed on `clock`. */
export async function withSyncTimeout<T>(
  run: Promise<T>,
  timeoutMs: number | undefined,
  clock: Clock,
  explain: () => { missingTypes: MissingType[]; unsynced: string[] },
): Promise<T> {
  if (timeoutMs === undefined) return run;
  let cancel: (() => void) | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    cancel = clock.setTimer(() => {
      const { missingTypes, unsynced } = explain();
      reject(new CacheSyncTimeoutError(timeoutMs, missingTypes, unsynced));
    }, timeoutMs);
  });
  try {
    return await Promise.race([run, timeout]);
  } finally {
    cancel?.();
    run.catch(() => {});
  }
}
