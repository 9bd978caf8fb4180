/**
 * The reflector: keeps a store equal to the server's collection, forever. List (streamed or
 * paginated), replace the store atomically, watch from the list's resourceVersion, and recover
 * from every failure (client-go's `tools/cache/reflector.go`, kube-runtime's `watcher`), a
 * server that went back in time included (`server-revision.ts`).
 */
import type { Logger } from 'pino';
import { Backoff } from '../client/index.js';
import {
  ApiError,
  type CancelTimer,
  type Clock,
  KloopError,
  type KubeList,
  type KubeObject,
  keyString,
  type Status,
  sleep,
  type WatchEvent,
} from '../core/index.js';
import type { InformerMetrics } from './metrics.js';
import { isTooLargeResourceVersion, type RevisionComparison, ServerRevisionCheck } from './server-revision.js';

/** One page request of a paginated list. */
export interface ListPageRequest {
  limit: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan';
  signal: AbortSignal;
  /**
   * Call with the page's continue token as soon as it is known, before the page is parsed (a
   * lister-watcher that cannot tell early never calls it): the reflector asks for the next page
   * meanwhile.
   */
  onContinue?: (token: string | undefined) => void;
}

/** One watch request. */
export interface WatchRequest {
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan';
  sendInitialEvents?: boolean;
  allowWatchBookmarks: boolean;
  timeoutSeconds: number;
  signal: AbortSignal;
}

/**
 * What the reflector needs from the server: pages of a list and a watch that calls `onEvent`
 * synchronously and resolves when the stream ends. `KubeClient` provides it; tests fake it.
 * A throw from `onEvent` must end the watch with that error.
 */
export interface ListerWatcher<T extends KubeObject = KubeObject> {
  listPage(request: ListPageRequest): Promise<KubeList<T>>;
  watch(request: WatchRequest, onEvent: (event: WatchEvent<T>) => void): Promise<void>;
  /**
   * The server's current resourceVersion, read cheaply and consistently (a `limit=1` list
   * without resourceVersion), with the one object that list returned when it returns one.
   * Optional: without it the reflector cannot tell that the server went back in time.
   */
  currentResourceVersion?(signal: AbortSignal): Promise<string | undefined | ServerRevision>;
}

/** What the server answered to a probe of its current state. */
export interface ServerRevision {
  /** The resourceVersion of the server's (consistent) list. */
  resourceVersion: string | undefined;
  /** One object that list held (the first in key order), compared with the store's copy. */
  sample?: KubeObject;
}

/** Where the reflector puts what it learns; the informer implements it. */
export interface ReflectorSink<T extends KubeObject = KubeObject> {
  /** Turns a wire object into the stored one (called once per object, as pages arrive). */
  prepare(obj: T): T;
  /**
   * Replaces the whole store with `items` (prepared), atomically, at `resourceVersion`. An
   * object a server sent twice in a streaming list's initial state (never seen from a real
   * server) is in `items` twice: the later one is the object's state.
   */
  replace(items: T[], resourceVersion: string): void;
  /** Applies one watch event; the object is not prepared yet. */
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void;
  /** The collection reached `resourceVersion` with no change to report. */
  bookmark(resourceVersion: string): void;
  /**
   * Whether the store holds exactly `obj` (a wire object: same key, uid and resourceVersion):
   * `false` when it holds another object under that key or none, `undefined` when it cannot tell
   * (the object is outside the informer's selectors, or uids or resourceVersions are missing).
   * Optional: it lets the reflector see a server whose history is not the store's even when its
   * resourceVersion is not below the store's.
   */
  holds?(obj: T): boolean | undefined;
}

/** Options of a `Reflector`. */
export interface ReflectorOptions {
  /** Resource name for logs and metrics (`configmaps`). */
  resource: string;
  clock: Clock;
  logger: Logger;
  metrics?: InformerMetrics;
  random?: () => number;
  /** Page size of paginated lists (500). */
  pageSize?: number;
  /** Use `sendInitialEvents` streaming lists: `auto` tries and falls back (default). */
  streamingList?: 'auto' | boolean;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A connection that stayed up this long resets the backoff (default 60 s). */
  healthyMs?: number;
  /** A watch silent this long (no event, no bookmark) is reconnected, within twice that (default 150 s). */
  watchdogMs?: number;
  /** Server-side watch timeout range in seconds (default 300..600, randomised per watch). */
  minTimeoutSeconds?: number;
  maxTimeoutSeconds?: number;
  /**
   * How often to check, while watching, that the server did not go back in time (default
   * 300 000 ms, plus up to 10% jitter; 0 turns the periodic check off). The check also runs
   * before every watch reconnect that follows a failure or a stream that ended early.
   */
  resourceVersionCheckMs?: number;
  /** Wait before the probe that confirms a server below the informer (default 2000 ms). */
  resourceVersionConfirmMs?: number;
}

const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

/** A watch whose server ended it before this share of its timeout ended early (a restart, a failover). */
const EARLY_END = 0.9;

class WatchdogFired extends Error {}
class StreamingUnsupported extends Error {}
/** The periodic check found the server below the store: the watch is cut to relist. */
class ServerWentBack extends Error {}

/**
 * Runs list/watch until `stop()`.
 *
 * @remarks
 * Recovery, in the order client-go applies it:
 * - 410 Gone/Expired (on a watch, or as an ERROR event, or on a list page): relist at once.
 * - Any other ERROR event, or a malformed watch line: reported, then relist after backoff.
 * - Connection errors, 5xx, exhausted 429s: reconnect the watch (or redo the list) after a
 *   backoff of 0.8 s doubling to 30 s with jitter, reset once a connection stayed healthy for
 *   `healthyMs`.
 * - A stream silent for `watchdogMs` is closed and reopened from the last resourceVersion.
 * - A stream the server ends (its `timeoutSeconds`, randomised 5-10 min) is reopened at once.
 * - Streaming lists that the server refuses (400/422) or ignores fall back to paginated lists.
 * - 504 `ResourceVersionTooLarge` (the server has not reached the resourceVersion asked for):
 *   relist after backoff, with a consistent read (relists never name a resourceVersion).
 * - Better than client-go: a server that went back in time (an etcd restore, a server restarted
 *   empty on the same address) is found by comparing its current resourceVersion with the
 *   store's, before reconnecting a watch that failed or ended early and every
 *   `resourceVersionCheckMs` while watching; the reflector then relists and replaces the store
 *   (deletes for what vanished). See `ServerRevisionCheck` for how false alarms are avoided.
 */
export class Reflector<T extends KubeObject = KubeObject> {
  readonly #lw: ListerWatcher<T>;
  readonly #sink: ReflectorSink<T>;
  readonly #o: Required<Omit<ReflectorOptions, 'metrics'>> & { metrics?: InformerMetrics };
  readonly #backoff: Backoff;
  readonly #stop = new AbortController();
  #streaming: boolean | 'auto';
  #running: Promise<void> | undefined;
  #rv: string | undefined;
  #watches = 0;
  /** Set when a streaming list delivered its initial state during the current attempt. */
  #listedInAttempt = false;
  readonly #revisionCheck: ServerRevisionCheck | undefined;
  /** Check the server's resourceVersion before the next watch (it failed or ended early). */
  #checkBeforeWatch = false;
  /** The attempt of the watch open over a synced store, if any (what the periodic check cuts). */
  #watching: AbortController | undefined;
  #cancelPeriodicCheck: CancelTimer | undefined;
  #periodicCheck: Promise<void> | undefined;

  constructor(lw: ListerWatcher<T>, sink: ReflectorSink<T>, options: ReflectorOptions) {
    this.#lw = lw;
    this.#sink = sink;
    this.#o = {
      random: Math.random,
      pageSize: 500,
      streamingList: 'auto',
      initialBackoffMs: 800,
      maxBackoffMs: 30_000,
      healthyMs: 60_000,
      watchdogMs: 150_000,
      minTimeoutSeconds: 300,
      maxTimeoutSeconds: 600,
      resourceVersionCheckMs: 300_000,
      resourceVersionConfirmMs: 2000,
      ...options,
    };
    const probe = lw.currentResourceVersion?.bind(lw);
    const holds = sink.holds?.bind(sink) as ((obj: KubeObject) => boolean | undefined) | undefined;
    this.#revisionCheck = probe
      ? new ServerRevisionCheck({
          probe,
          holds,
          clock: this.#o.clock,
          logger: this.#o.logger,
          resource: this.#o.resource,
          confirmMs: this.#o.resourceVersionConfirmMs,
        })
      : undefined;
    this.#streaming = this.#o.streamingList;
    this.#backoff = new Backoff({
      initialMs: this.#o.initialBackoffMs,
      maxMs: this.#o.maxBackoffMs,
      random: this.#o.random,
    });
  }

  /** The resourceVersion the store is at (last list, event or bookmark). */
  get resourceVersion(): string | undefined {
    return this.#rv;
  }

  /** Watch streams opened so far (for tests and debug). */
  get watchCount(): number {
    return this.#watches;
  }

  /** Whether streaming lists are in use (`auto` until the server answered). */
  get streamingList(): boolean | 'auto' {
    return this.#streaming;
  }

  /** Starts the loop (idempotent). */
  start(): void {
    if (this.#running || this.#stop.signal.aborted) return;
    this.#running = this.#run();
    this.#armPeriodicCheck();
  }

  /** Stops the loop, aborts the request in flight and clears every timer; resolves when done. */
  async stop(): Promise<void> {
    this.#stop.abort(new KloopError('KLOOP_INFORMER_STOPPED', 'informer stopped'));
    this.#cancelPeriodicCheck?.();
    await this.#running;
    await this.#periodicCheck;
  }

  async #run(): Promise<void> {
    let needList = true;
    let reason = 'initial';
    const stop = this.#stop.signal;
    while (!stop.aborted) {
      const attempt = new AbortController();
      const onStop = (): void => attempt.abort(stop.reason);
      stop.addEventListener('abort', onStop, { once: true });
      const connectedAt = this.#o.clock.now();
      let wait = 0;
      this.#listedInAttempt = false;
      try {
        if (needList) {
          this.#o.metrics?.relists.inc({ resource: this.#o.resource, reason });
          if (this.#streaming !== false) {
            try {
              const timeoutSeconds = this.#timeoutSeconds();
              await this.#watchOnce(attempt, true, timeoutSeconds);
              this.#streaming = true;
              needList = false;
              this.#resetIfHealthy(connectedAt);
              this.#checkBeforeWatch = this.#endedEarly(connectedAt, timeoutSeconds);
              this.#restarted('timeout');
              continue;
            } catch (err) {
              if (!(err instanceof StreamingUnsupported) && !isRefusal(err)) throw err;
              this.#o.logger.info(
                { resource: this.#o.resource },
                'kloop: streaming list not supported, using paginated lists',
              );
              this.#streaming = false;
            }
          }
          await this.#list(attempt.signal);
          needList = false;
        } else if (this.#checkBeforeWatch && this.#revisionCheck?.usable) {
          // The watch failed or ended early: the server may have been restarted or restored
          // meanwhile, and a watch from a resourceVersion it has not reached would wait forever.
          const behind = await this.#revisionCheck.wentBack(() => this.#rv, attempt.signal);
          this.#checkBeforeWatch = false;
          if (behind) {
            this.#reportWentBack(behind);
            needList = true;
            reason = 'resource_version_went_back';
            continue;
          }
        }
        this.#checkBeforeWatch = false;
        const timeoutSeconds = this.#timeoutSeconds();
        const watchStarted = this.#o.clock.now();
        const events = await this.#watchOnce(attempt, false, timeoutSeconds);
        // A stream the server ended on its timeout after a healthy while resets the backoff too,
        // or waits stay long after an old burst of errors (client-go resets on quiet time).
        this.#resetIfHealthy(connectedAt);
        // A server that ends watches at once would make this loop spin: back off when a watch
        // brought nothing and lasted under a second.
        if (events === 0 && this.#o.clock.now() - connectedAt < 1000) wait = this.#backoff.next();
        this.#checkBeforeWatch = this.#endedEarly(watchStarted, timeoutSeconds);
        this.#restarted('timeout');
      } catch (err) {
        if (stop.aborted) break;
        if (this.#listedInAttempt) needList = false;
        this.#resetIfHealthy(connectedAt);
        if (err instanceof WatchdogFired) {
          this.#o.logger.warn({ resource: this.#o.resource }, 'kloop: watch silent too long, reconnecting');
          this.#restarted('watchdog');
          // A server that went back in time is silent too: its watch waits for a future revision.
          this.#checkBeforeWatch = true;
        } else if (err instanceof ServerWentBack) {
          needList = true;
          reason = 'resource_version_went_back';
        } else if (ApiError.isGone(err)) {
          needList = true;
          reason = 'expired';
          this.#o.logger.debug({ resource: this.#o.resource }, 'kloop: resourceVersion expired, relisting');
        } else if (err instanceof KloopError && err.code === 'KLOOP_WATCH_MALFORMED') {
          needList = true;
          reason = 'malformed';
          this.#o.logger.error({ resource: this.#o.resource, err }, 'kloop: malformed watch line, relisting');
          wait = this.#backoff.next();
        } else if (isTooLargeResourceVersion(statusOf(err))) {
          // The server has not reached the resourceVersion asked for (client-go relists with a
          // consistent read on this answer; so does this reflector: relists name none).
          needList = true;
          reason = 'too_large_resource_version';
          this.#o.logger.warn(
            { resource: this.#o.resource, resourceVersion: this.#rv, status: statusOf(err) },
            'kloop: the server has not reached the resourceVersion asked for (504 ResourceVersionTooLarge), relisting',
          );
          wait = this.#backoff.next();
        } else if (err instanceof WatchErrorEvent) {
          needList = true;
          reason = 'error';
          this.#o.logger.warn(
            { resource: this.#o.resource, status: err.status },
            'kloop: watch ERROR event, relisting',
          );
          wait = this.#backoff.next();
        } else {
          this.#o.logger.warn(
            { resource: this.#o.resource, err },
            needList ? 'kloop: list failed, retrying' : 'kloop: watch failed, reconnecting',
          );
          if (!needList) {
            this.#restarted('error');
            this.#checkBeforeWatch = true;
          } else reason = 'error';
          wait = this.#backoff.next();
        }
      } finally {
        stop.removeEventListener('abort', onStop);
        attempt.abort();
      }
      if (wait > 0) {
        try {
          await sleep(this.#o.clock, wait, stop);
        } catch {
          break;
        }
      }
    }
  }

  /** A connection that stayed up `healthyMs` ends the current run of failures. */
  #resetIfHealthy(connectedAt: number): void {
    if (this.#o.clock.now() - connectedAt >= this.#o.healthyMs) this.#backoff.reset();
  }

  #restarted(reason: string): void {
    this.#o.metrics?.watchRestarts.inc({ resource: this.#o.resource, reason });
  }

  /** The server-side timeout of the next watch, drawn between the min and max. */
  #timeoutSeconds(): number {
    const o = this.#o;
    const span = Math.max(0, o.maxTimeoutSeconds - o.minTimeoutSeconds);
    return Math.floor(o.minTimeoutSeconds + o.random() * span);
  }

  /** True when a stream the server ended cleanly lasted well under the timeout it was given. */
  #endedEarly(startedAt: number, timeoutSeconds: number): boolean {
    return this.#o.clock.now() - startedAt < timeoutSeconds * 1000 * EARLY_END;
  }

  #reportWentBack(found: RevisionComparison): void {
    const { server, differs } = found;
    const fields = { resource: this.#o.resource, resourceVersion: this.#rv, serverResourceVersion: server };
    if (differs === undefined) {
      this.#o.logger.warn(
        fields,
        `kloop: the server went back in time (its resourceVersion ${server} is below ${this.#rv}, an etcd restore or a restart?), relisting and replacing the store`,
      );
      return;
    }
    this.#o.logger.warn(
      { ...fields, object: differs.key, uid: differs.uid, objectResourceVersion: differs.resourceVersion },
      `kloop: the server went back in time and on (at resourceVersion ${server}, not below ${this.#rv}, it holds ${differs.key} at resourceVersion ${differs.resourceVersion} with uid ${differs.uid}, which the store does not; an etcd restore or a restart?), relisting and replacing the store`,
    );
  }

  /** Arms the next periodic check of the server's resourceVersion (jittered so informers spread out). */
  #armPeriodicCheck(): void {
    const period = this.#o.resourceVersionCheckMs;
    if (period <= 0 || !this.#revisionCheck?.usable || this.#stop.signal.aborted) return;
    const delay = period * (1 + 0.1 * this.#o.random());
    this.#cancelPeriodicCheck = this.#o.clock.setTimer(() => {
      this.#cancelPeriodicCheck = undefined;
      this.#periodicCheck = this.#checkWhileWatching().finally(() => {
        this.#periodicCheck = undefined;
        this.#armPeriodicCheck();
      });
    }, delay);
  }

  /** While a watch is open over a synced store: cut it when the server went back in time. */
  async #checkWhileWatching(): Promise<void> {
    const watching = this.#watching;
    const check = this.#revisionCheck;
    if (!watching || !check) return;
    try {
      const behind = await check.wentBack(() => this.#rv, watching.signal);
      if (behind && this.#watching === watching && !watching.signal.aborted) {
        this.#reportWentBack(behind);
        watching.abort(new ServerWentBack('the server went back in time'));
      }
    } catch (err) {
      // The watch reports its own failures; a probe that fails is tried again next period.
      if (!watching.signal.aborted) {
        this.#o.logger.debug({ resource: this.#o.resource, err }, 'kloop: resourceVersion check failed');
      }
    }
  }

  /**
   * Paginated list into a fresh array of prepared objects, then one atomic replace.
   *
   * @remarks Pages are asked for one ahead: when a page announces its continue token before it
   * is parsed (`ListPageRequest.onContinue`), the next page is requested at once, so the server
   * serves page N+1 while page N is read and parsed instead of both waiting on each other. Never
   * more than one page ahead, so at most two pages are in memory beside the objects.
   */
  async #list(signal: AbortSignal): Promise<void> {
    const items: T[] = [];
    let listRv: string | undefined;
    // Aborted when the list ends, so a page asked for ahead of a failure is not left running.
    const ahead = new AbortController();
    const onAbort = (): void => ahead.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let current: PageRequest<T> | undefined;
    const ask = (token: string | undefined): PageRequest<T> => {
      const request: PageRequest<T> = { token, page: undefined as unknown as Promise<KubeList<T>> };
      request.page = this.#lw.listPage({
        limit: this.#o.pageSize,
        continue: token,
        signal: ahead.signal,
        onContinue: (next) => {
          if (!next || request.announced !== undefined) return;
          request.announced = next;
          // Only the page being waited for starts the next one: one page ahead at most.
          if (request === current) request.next = ask(next);
        },
      });
      // Awaited in order below; one abandoned by an earlier failure must not be unhandled.
      request.page.catch(() => {});
      return request;
    };
    try {
      current = ask(undefined);
      for (;;) {
        const page = await current.page;
        // A page already in hand when stop() aborted must not reach the store or the handlers.
        if (signal.aborted) throw signal.reason;
        listRv ??= page.metadata?.resourceVersion;
        for (const item of page.items) items.push(this.#sink.prepare(item));
        const token = page.metadata?.continue || undefined;
        if (!token) break;
        // The page asked for ahead is used only if it was asked with this very token.
        const next: PageRequest<T> = current.next?.token === token ? current.next : ask(token);
        current = next;
        if (next.announced !== undefined && next.next === undefined) next.next = ask(next.announced);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      ahead.abort();
    }
    const rv = listRv ?? '';
    this.#sink.replace(items, rv);
    this.#rv = rv;
  }

  /**
   * One watch stream. With `initial`, it is a streaming list: events up to the
   * `initial-events-end` bookmark fill a fresh store that replaces the old one at once.
   * Resolves with the number of events when the server ends the stream.
   */
  async #watchOnce(attempt: AbortController, initial: boolean, timeoutSeconds: number): Promise<number> {
    // stop() may have come from a handler during the list that just ended: open nothing more.
    if (attempt.signal.aborted) throw attempt.signal.reason;
    const o = this.#o;
    if (!initial) this.#watching = attempt;
    let collecting: InitialState<T> | undefined = initial
      ? new InitialState((obj: T) => this.#sink.prepare(obj))
      : undefined;
    let events = 0;
    let fired = false;
    let cancelTimer: CancelTimer | undefined;
    // Re-arming a timer (or even reading the clock) per event costs more than a tenth of parsing
    // it at 100k events/s: one timer checks every watchdogMs whether any event arrived since its
    // last look, so a silent stream is closed after watchdogMs to twice that.
    let seen = 0;
    const check = (): void => {
      if (events === seen) {
        cancelTimer = undefined;
        fired = true;
        attempt.abort(new WatchdogFired('watchdog'));
        return;
      }
      seen = events;
      cancelTimer = o.clock.setTimer(check, o.watchdogMs);
    };
    cancelTimer = o.clock.setTimer(check, o.watchdogMs);
    this.#watches++;
    const request: WatchRequest = initial
      ? {
          sendInitialEvents: true,
          resourceVersionMatch: 'NotOlderThan',
          resourceVersion: '',
          allowWatchBookmarks: true,
          timeoutSeconds,
          signal: attempt.signal,
        }
      : { resourceVersion: this.#rv, allowWatchBookmarks: true, timeoutSeconds, signal: attempt.signal };
    // A handler may stop the informer in the middle of a chunk: the chunk's other lines must be
    // dropped. A flag set once by the abort is cheaper per event than the signal's getter.
    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
    };
    attempt.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.#lw.watch(request, (ev) => {
        if (aborted) return;
        events++;
        const obj = ev.object;
        if (ev.type === 'ERROR') throw new WatchErrorEvent(obj as unknown as Status);
        const rv = obj.metadata?.resourceVersion;
        if (collecting) {
          if (ev.type === 'BOOKMARK') {
            if (obj.metadata?.annotations?.[INITIAL_EVENTS_END] !== 'true') {
              throw new StreamingUnsupported('bookmark without initial-events-end during a streaming list');
            }
            const items = collecting.items();
            collecting = undefined;
            this.#sink.replace(items, rv ?? '');
            this.#rv = rv;
            this.#listedInAttempt = true;
            this.#streaming = true;
            this.#watching = attempt;
            return;
          }
          collecting.add(ev.type, obj);
          return;
        }
        if (ev.type === 'BOOKMARK') {
          if (rv) {
            this.#rv = rv;
            this.#sink.bookmark(rv);
          }
          return;
        }
        this.#sink.apply(ev.type, obj);
        if (rv) this.#rv = rv;
      });
    } catch (err) {
      if (fired) throw new WatchdogFired('watchdog');
      if (attempt.signal.reason instanceof ServerWentBack) throw attempt.signal.reason;
      if (err instanceof WatchErrorEvent && err.status?.code === 410) {
        throw new ApiError(err.status);
      }
      throw err;
    } finally {
      cancelTimer?.();
      attempt.signal.removeEventListener('abort', onAbort);
      if (this.#watching === attempt) this.#watching = undefined;
    }
    if (fired) throw new WatchdogFired('watchdog');
    // A client that sees its signal abort ends the watch quietly: the cut must still relist.
    if (attempt.signal.reason instanceof ServerWentBack) throw attempt.signal.reason;
    if (collecting) throw new StreamingUnsupported('streaming list ended before its initial-events-end bookmark');
    return events;
  }
}

/** A page of a paginated list, asked for (maybe ahead of its turn). */
interface PageRequest<T extends KubeObject> {
  readonly token: string | undefined;
  page: Promise<KubeList<T>>;
  /** The next page's token, once this page announced it. */
  announced?: string;
  /** The next page, once asked for. */
  next?: PageRequest<T>;
}

/**
 * The state a streaming list delivers before its `initial-events-end` bookmark, prepared, in the
 * order it came.
 *
 * @remarks The server sends it as ADDED events of distinct objects, so it is kept as a plain
 * array: no key string and no map entry per object, which at 100k objects cost a tenth of the
 * sync. An event that needs keys (a MODIFIED or DELETED, which a server may send before the
 * bookmark) turns it into a map by key from then on, as client-go's temporary store is; a
 * repeated ADDED stays in the array twice and the sink keeps the later one.
 */
class InitialState<T extends KubeObject> {
  #items: T[] = [];
  #byKey: Map<string, T> | undefined;
  readonly #prepare: (obj: T) => T;

  constructor(prepare: (obj: T) => T) {
    this.#prepare = prepare;
  }

  add(type: 'ADDED' | 'MODIFIED' | 'DELETED', wire: T): void {
    let byKey = this.#byKey;
    if (byKey === undefined) {
      if (type === 'ADDED') {
        this.#items.push(this.#prepare(wire));
        return;
      }
      byKey = new Map();
      for (const item of this.#items) byKey.set(keyString(item.metadata), item);
      this.#items = [];
      this.#byKey = byKey;
    }
    const key = keyString(wire.metadata);
    if (type === 'DELETED') byKey.delete(key);
    else byKey.set(key, this.#prepare(wire));
  }

  /** The objects, for `ReflectorSink.replace`. */
  items(): T[] {
    return this.#byKey === undefined ? this.#items : [...this.#byKey.values()];
  }
}

/** A watch ERROR event that is not 410: the server's Status is kept. */
export class WatchErrorEvent extends KloopError {
  readonly status: Status;
  constructor(status: Status) {
    super(
      'KLOOP_WATCH_ERROR_EVENT',
      `watch ERROR event: ${status?.code} ${status?.reason ?? ''} ${status?.message ?? ''}`.trim(),
    );
    this.name = 'WatchErrorEvent';
    this.status = status;
  }
}

/** The Status a failure carries, if it came from the server. */
function statusOf(err: unknown): Status | undefined {
  return err instanceof ApiError || err instanceof WatchErrorEvent ? err.status : undefined;
}

/** The server refused a streaming list: 400/422 (or 415/406 from older proxies). */
function isRefusal(err: unknown): boolean {
  return err instanceof ApiError && [400, 403, 406, 415, 422].includes(err.statusCode);
}
