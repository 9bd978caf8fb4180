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
import {
  ApiError,
  type Clock,
  compareResourceVersions,
  type KubeObject,
  keyString,
  type Status,
  sleep,
} from '../core/index.js';

/** What one comparison found. */
export interface RevisionComparison {
  /**
   * `behind`: the server is below the informer; `diverged`: at or above it, but holding an object
   * last written at or below the informer's resourceVersion that the store does not hold (another
   * history: the server went back and on past the informer); `current`: at or above, nothing
   * seen against it; `unordered`: cannot tell.
   */
  state: 'behind' | 'diverged' | 'current' | 'unordered';
  /** The server's resourceVersion, when it gave one. */
  server?: string;
  /** For `diverged`: the object the server holds and the store does not. */
  differs?: { key: string; uid: string | undefined; resourceVersion: string };
}

/** Options of a {@link ServerRevisionCheck}. */
export interface ServerRevisionCheckOptions {
  /**
   * Reads the server's current resourceVersion (a consistent `limit=1` list), with the object
   * that list returned when it returned one.
   */
  probe: (
    signal: AbortSignal,
  ) => Promise<string | undefined | { resourceVersion: string | undefined; sample?: KubeObject }>;
  /** Whether the store holds exactly this object (see `ReflectorSink.holds`). */
  holds?: (obj: KubeObject) => boolean | undefined;
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
 * - a server at or above the informer has gone back and on when the object its probe returned was
 *   last written at or below the informer's resourceVersion and the store, not past the server's
 *   resourceVersion, does not hold it as it is (another uid or resourceVersion, or none): in one
 *   history the store would hold it. Objects outside the informer's selectors say nothing.
 * - a server below the informer (or gone back and on) must say so twice, `confirmMs` apart. A
 *   consistent list never lags on a real API server (it is an etcd quorum read, or a cache read
 *   that first waits for the current etcd revision), but a caching proxy or an aggregated server
 *   may serve a list that lags for a moment; a lag passes, a server that went back stays behind.
 * - a probe whose form the server refuses (400, 405, 406, 415, 422: this server cannot answer
 *   it) turns the check off rather than blocking the watch. One it refuses for now (401, 403:
 *   RBAC not granted yet, or revoked; 404: the type is gone for a while; any other 4xx), or
 *   cannot serve (429, 5xx), skips this check only: the watch goes on, and the next occasion asks
 *   again, since permissions and types come back. The first refusal of a run is logged, not each.
 *   Transport errors are thrown to the caller, which backs off (the watch would fail too).
 */
export class ServerRevisionCheck {
  readonly #o: ServerRevisionCheckOptions;
  #usable = true;
  /** The probe was refused last time (its refusals are logged once a run). */
  #refused = false;

  constructor(options: ServerRevisionCheckOptions) {
    this.#o = options;
  }

  /** False once the server showed it cannot be checked (non-integer resourceVersions, a probe it cannot answer). */
  get usable(): boolean {
    return this.#usable;
  }

  /**
   * The comparison that found the server below `ours()` (or gone back and on) twice in a row,
   * `confirmMs` apart; undefined when it is not (`ours` is read each time: the informer may move
   * on meanwhile). Throws what the probe throws, except refusals.
   */
  async wentBack(ours: () => string | undefined, signal: AbortSignal): Promise<RevisionComparison | undefined> {
    const first = await this.compare(ours, signal);
    if (!wentBack(first)) return undefined;
    await sleep(this.#o.clock, this.#o.confirmMs, signal);
    const second = await this.compare(ours, signal);
    return wentBack(second) ? second : undefined;
  }

  /** One probe, compared with `ours()` (read before the probe and, for the sample, after it). */
  async compare(ours: () => string | undefined, signal: AbortSignal): Promise<RevisionComparison> {
    const before = ours();
    if (!this.#usable || before === undefined || before === '') return { state: 'unordered' };
    let server: string | undefined;
    let sample: KubeObject | undefined;
    try {
      const answer = await this.#o.probe(signal);
      if (typeof answer === 'object' && answer !== null) {
        server = answer.resourceVersion;
        sample = answer.sample;
      } else server = answer;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (CANNOT_ANSWER.has(err.statusCode)) {
        this.#disable({ err }, 'the server refused the resourceVersion probe');
      } else if (err.statusCode >= 400 && err.statusCode < 500 && err.statusCode !== 429) {
        const level = this.#refused ? 'debug' : 'info';
        this.#refused = true;
        this.#o.logger[level](
          { resource: this.#o.resource, err },
          'kloop: the server refused the resourceVersion probe; asking again next time',
        );
      } else {
        // An overloaded server (429, 5xx after the client's retries) may still serve the watch:
        // do not hold it back for a check that can wait for the next occasion.
        this.#o.logger.debug({ resource: this.#o.resource, err }, 'kloop: resourceVersion probe failed');
      }
      return { state: 'unordered' };
    }
    this.#refused = false;
    // "0" means "any version" in a request and is no revision in an answer.
    const order = server && server !== '0' ? compareResourceVersions(server, before) : undefined;
    if (order === undefined || server === undefined) {
      this.#disable({ resourceVersion: before, serverResourceVersion: server }, 'resourceVersions are not integers');
      return server ? { state: 'unordered', server } : { state: 'unordered' };
    }
    if (order < 0) return { state: 'behind', server };
    const differs = sample ? this.#differs(sample, before, ours(), server) : undefined;
    return differs ? { state: 'diverged', server, differs } : { state: 'current', server };
  }

  /**
   * The sample, when it proves another history: last written at or below `before`, so a store
   * at `now` (not past the server's `server`) must hold it as it is, and it does not.
   */
  #differs(sample: KubeObject, before: string, now: string | undefined, server: string): RevisionComparison['differs'] {
    const written = sample.metadata?.resourceVersion;
    if (!written || this.#o.holds === undefined || now === undefined) return undefined;
    const old = compareResourceVersions(written, before);
    const storeNotPast = compareResourceVersions(now, server);
    if (old === undefined || old > 0 || storeNotPast === undefined || storeNotPast > 0) return undefined;
    if (this.#o.holds(sample) !== false) return undefined;
    return { key: keyString(sample.metadata), uid: sample.metadata.uid, resourceVersion: written };
  }

  #disable(fields: Record<string, unknown>, why: string): void {
    this.#usable = false;
    this.#o.logger.info(
      { resource: this.#o.resource, ...fields },
      `kloop: ${why}; not checking whether the server goes back in time`,
    );
  }
}

/** Refusals of the probe's form: this server will never answer it. */
const CANNOT_ANSWER = new Set([400, 405, 406, 415, 422]);

function wentBack(found: RevisionComparison): boolean {
  return found.state === 'behind' || found.state === 'diverged';
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
