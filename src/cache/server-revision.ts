/**
 * Telling a server that went back in time from one that is merely quiet. A watch from a
 * resourceVersion the server has not reached yet is accepted and waits in silence (upstream
 * answers only LIST and GET with a too-new resourceVersion, by a 504), so an informer watching a
 * server restored from an older etcd snapshot, or restarted empty on the same address, would
 * keep its deleted objects and miss new ones for as long as it runs. client-go has the same blind
 * spot (etcd restore runbooks restart every client). kloop asks the server for its current
 * resourceVersion with a cheap consistent list (`limit=1`, no resourceVersion) and compares.
 */
import type { Logger } from 'pino';
import { ApiError, type Clock, compareResourceVersions, type Status, sleep } from '../core/index.js';

/** What one comparison found. */
export interface RevisionComparison {
  /** `behind`: the server is below the informer; `current`: at or above; `unordered`: cannot tell. */
  state: 'behind' | 'current' | 'unordered';
  /** The server's resourceVersion, when it gave one. */
  server?: string;
}

/** Options of a {@link ServerRevisionCheck}. */
export interface ServerRevisionCheckOptions {
  /** Reads the server's current resourceVersion (a consistent `limit=1` list). */
  probe: (signal: AbortSignal) => Promise<string | undefined>;
  clock: Clock;
  logger: Logger;
  resource: string;
  /** Wait between the first "behind" answer and the one that confirms it (ms). */
  confirmMs: number;
}

/**
 * Compares the server's current resourceVersion with the informer's.
 *
 * @remarks False positives are worse than a late detection: a wrong "went back" replaces a good
 * store with an older state. So:
 * - resourceVersions are compared as integers only where both parse as such (etcd revisions;
 *   guaranteed comparable since Kubernetes 1.34). A server whose resourceVersions are not
 *   integers (or that answers the probe without one) turns the check off for good: nothing can
 *   be concluded, and nothing is asked again.
 * - a server below the informer must say so twice, `confirmMs` apart. A consistent list never
 *   lags on a real API server (it is an etcd quorum read, or a cache read that first waits for
 *   the current etcd revision), but a caching proxy or an aggregated server may serve a list
 *   that lags for a moment; a lag passes, a server that went back stays behind.
 * - a probe the server refuses (a 4xx other than 429) turns the check off rather than blocking
 *   the watch; a 429 or 5xx skips this check (the watch may still work on a loaded server);
 *   transport errors are thrown to the caller, which backs off (the watch would fail too).
 */
export class ServerRevisionCheck {
  readonly #o: ServerRevisionCheckOptions;
  #usable = true;

  constructor(options: ServerRevisionCheckOptions) {
    this.#o = options;
  }

  /** False once the server showed it cannot be checked (non-integer resourceVersions, refusals). */
  get usable(): boolean {
    return this.#usable;
  }

  /**
   * True when the server is below `ours()` twice in a row, `confirmMs` apart (`ours` is read each
   * time: the informer may move on meanwhile). Throws what the probe throws, except refusals.
   */
  async wentBack(ours: () => string | undefined, signal: AbortSignal): Promise<RevisionComparison | undefined> {
    const first = await this.compare(ours(), signal);
    if (first.state !== 'behind') return undefined;
    await sleep(this.#o.clock, this.#o.confirmMs, signal);
    const second = await this.compare(ours(), signal);
    return second.state === 'behind' ? second : undefined;
  }

  /** One probe, compared with `ours`. */
  async compare(ours: string | undefined, signal: AbortSignal): Promise<RevisionComparison> {
    if (!this.#usable || ours === undefined || ours === '') return { state: 'unordered' };
    let server: string | undefined;
    try {
      server = await this.#o.probe(signal);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.statusCode >= 400 && err.statusCode < 500 && err.statusCode !== 429) {
        this.#disable({ err }, 'the server refused the resourceVersion probe');
      } else {
        // An overloaded server (429, 5xx after the client's retries) may still serve the watch:
        // do not hold it back for a check that can wait for the next occasion.
        this.#o.logger.debug({ resource: this.#o.resource, err }, 'kloop: resourceVersion probe failed');
      }
      return { state: 'unordered' };
    }
    // "0" means "any version" in a request and is no revision in an answer.
    const order = server && server !== '0' ? compareResourceVersions(server, ours) : undefined;
    if (order === undefined) {
      this.#disable({ resourceVersion: ours, serverResourceVersion: server }, 'resourceVersions are not integers');
      return server ? { state: 'unordered', server } : { state: 'unordered' };
    }
    return { state: order < 0 ? 'behind' : 'current', ...(server ? { server } : {}) };
  }

  #disable(fields: Record<string, unknown>, why: string): void {
    this.#usable = false;
    this.#o.logger.info(
      { resource: this.#o.resource, ...fields },
      `kloop: ${why}; not checking whether the server goes back in time`,
    );
  }
}

const TOO_LARGE = 'Too large resource version';

/**
 * True for the server's "I have not reached that resourceVersion yet": a Status with the cause
 * `ResourceVersionTooLarge`, or a 504 Timeout whose cause or message says "Too large resource
 * version" (older servers), as client-go's `isTooLargeResourceVersionError` reads it.
 */
export function isTooLargeResourceVersion(status: Status | undefined): boolean {
  if (!status) return false;
  const causes = status.details?.causes ?? [];
  if (causes.some((c) => c.reason === 'ResourceVersionTooLarge')) return true;
  if (status.reason !== 'Timeout' && status.code !== 504) return false;
  return causes.some((c) => c.message === TOO_LARGE) || (status.message ?? '').includes(TOO_LARGE);
}
