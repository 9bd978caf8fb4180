/**
 * The work queue between event handlers and reconcile workers (client-go's
 * `util/workqueue`, with the priority queue of controller-runtime's `designs/priorityqueue.md`).
 *
 * Guarantees:
 * - a key is never handed to two workers at once (client-go's `processing` set);
 * - an add while the key is in flight is deferred until `done` (client-go's `dirty` set);
 * - adds of a pending key fold into one entry whose trigger log accumulates (bounded);
 * - a delayed add moves a key's ready time only earlier: the earliest wins (kube-rs' scheduler);
 * - low-priority adds (initial list, resync) are handed out after normal ones, but never starve:
 *   after `lowPriorityEvery` normal hand-outs in a row while a low key is ready, one low key goes;
 * - `shutdown()` stops hand-outs at once and resolves when the in-flight keys are done.
 */

import { type CancelTimer, type Clock, keyString, type ObjectKey, systemClock } from '../core/index.js';
import { defaultRateLimiter, type RateLimiter } from './rate-limiter.js';
import { DEFAULT_MAX_TRIGGERS, TriggerLog } from './triggers.js';
import type { Trigger, TriggerCount } from './types.js';

/** Hand-out order: `normal` keys go before `low` ones (bounded, see `lowPriorityEvery`). */
export type Priority = 'normal' | 'low';

/** Options of one add. */
export interface AddOptions {
  /** `low` for initial-list and resync adds. A normal add of the same key promotes it. */
  priority?: Priority;
  /** Milliseconds before the key may be handed out. The earliest pending time wins. */
  after?: number;
}

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  clock?: Clock;
  /** Retry delays for {@link WorkQueue.addRateLimited}. Default: {@link defaultRateLimiter}. */
  rateLimiter?: RateLimiter;
  /** Triggers kept in full per pending key; the rest are counted. Default 16. */
  maxTriggers?: number;
  /** Told about adds, retries and latencies; the controller turns these into metrics. */
  observer?: QueueObserver;
  /**
   * At most this many normal keys in a row are handed out while a low-priority key is ready;
   * then one low key goes. Keeps a saturated controller from never reaching its initial list or
   * resync (controller-runtime's priority queue lets low items wait forever). Default 10.
   */
  lowPriorityEvery?: number;
}

/** Hooks for metrics. All optional; called synchronously. */
export interface QueueObserver {
  added?(priority: Priority): void;
  retried?(): void;
  /** Seconds between becoming ready and being handed out. */
  queued?(seconds: number): void;
  /** Seconds between hand-out and `done`. */
  worked?(seconds: number): void;
}

/** A key handed to a worker. Give it back with {@link WorkQueue.done}. */
export interface QueueItem {
  readonly key: ObjectKey;
  readonly id: string;
  readonly triggers: Trigger[];
  readonly triggerCounts: TriggerCount[];
  readonly totalTriggers: number;
  readonly priority: Priority;
  /** Clock time of the hand-out. */
  readonly startedAt: number;
}

interface Entry {
  key: ObjectKey;
  id: string;
  log: TriggerLog;
  priority: Priority;
  readyAt: number;
  /** When the entry entered a ready set, for queue latency. */
  readySince: number;
  /** Bumped whenever the entry's heap slot goes stale. */
  version: number;
  ready: boolean;
}

interface HeapSlot {
  at: number;
  id: string;
  version: number;
}

/**
 * A deduplicating, delaying, rate-limited, two-priority work queue of object keys.
 *
 * @example
 * ```ts
 * import type { ObjectKey } from 'kloop';
 *
 * declare function reconcile(key: ObjectKey): Promise<void>;
 * const queue = new WorkQueue();
 * queue.add({ namespace: 'default', name: 'cfg' }, { source: 'for:v1/ConfigMap', event: 'added' });
 * const item = await queue.get();
 * if (item) {
 *   try { await reconcile(item.key); queue.forget(item.key); }
 *   catch { queue.addRateLimited(item.key, { source: 'retry', event: 'retry' }); }
 *   finally { queue.done(item); }
 * }
 * ```
 */
export class WorkQueue {
  readonly #clock: Clock;
  readonly #rateLimiter: RateLimiter;
  readonly #maxTriggers: number;
  readonly #observer: QueueObserver;
  readonly #lowPriorityEvery: number;
  /** Normal hand-outs in a row while a low key was ready. */
  #normalStreak = 0;
  /** Keys not in flight, waiting or ready, and the deferred entries of in-flight keys. */
  readonly #pending = new Map<string, Entry>();
  readonly #inFlight = new Map<string, QueueItem>();
  // Sets iterate in insertion order: FIFO with O(1) removal on promotion.
  readonly #readyNormal = new Set<string>();
  readonly #readyLow = new Set<string>();
  readonly #heap: HeapSlot[] = [];
  #timer: CancelTimer | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  readonly #waiters: Array<(item: QueueItem | undefined) => void> = [];
  #shuttingDown = false;
  #drained: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;

  constructor(options: WorkQueueOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#rateLimiter = options.rateLimiter ?? defaultRateLimiter(this.#clock);
    this.#maxTriggers = options.maxTriggers ?? DEFAULT_MAX_TRIGGERS;
    this.#observer = options.observer ?? {};
    this.#lowPriorityEvery = Math.max(1, options.lowPriorityEvery ?? 10);
  }

  /** Keys ready to hand out now (client-go's `Len`). */
  get depth(): number {
    return this.#readyNormal.size + this.#readyLow.size;
  }

  /** Keys waiting for a delay or for their in-flight run to finish. */
  get waiting(): number {
    return this.#pending.size - this.depth;
  }

  /** Keys handed out and not yet done. */
  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** The keys in flight with their triggers, for debug output. */
  inFlight(): QueueItem[] {
    return [...this.#inFlight.values()];
  }

  /** Milliseconds the longest in-flight key has run (controller-runtime's longest_running_processor). */
  longestRunningMs(): number {
    const now = this.#clock.now();
    let longest = 0;
    for (const item of this.#inFlight.values()) longest = Math.max(longest, now - item.startedAt);
    return longest;
  }

  /** Whether `key` is pending (ready, waiting or deferred). */
  isPending(key: ObjectKey): boolean {
    return this.#pending.has(keyString(key));
  }

  /** Whether `key` is in flight. */
  isInFlight(key: ObjectKey): boolean {
    return this.#inFlight.has(keyString(key));
  }

  /**
   * Queues `key`, folding `trigger` into its pending entry. Ignored after {@link shutdown}.
   */
  add(key: ObjectKey, trigger?: Trigger, options: AddOptions = {}): void {
    if (this.#shuttingDown) return;
    const id = keyString(key);
    const now = this.#clock.now();
    const priority = options.priority ?? 'normal';
    const readyAt = now + Math.max(0, options.after ?? 0);
    let entry = this.#pending.get(id);
    let moved = true;
    if (entry === undefined) {
      entry = {
        key: { ...key },
        id,
        log: new TriggerLog(this.#maxTriggers),
        priority,
        readyAt,
        readySince: now,
        version: 0,
        ready: false,
      };
      this.#pending.set(id, entry);
    } else {
      if (priority === 'normal' && entry.priority === 'low') {
        entry.priority = 'normal';
        if (entry.ready) {
          this.#readyLow.delete(id);
          this.#readyNormal.add(id);
        }
      }
      moved = readyAt < entry.readyAt;
      if (moved) entry.readyAt = readyAt;
    }
    if (trigger) entry.log.add(trigger);
    this.#observer.added?.(priority);
    if (moved && !entry.ready && !this.#inFlight.has(id)) this.#place(entry, now);
    this.#dispatch();
  }

  /** `add` with a delay in milliseconds. */
  addAfter(key: ObjectKey, delayMs: number, trigger?: Trigger, priority: Priority = 'normal'): void {
    this.add(key, trigger, { after: delayMs, priority });
  }

  /**
   * Queues `key` after the rate limiter's delay for it (one more failure counted).
   *
   * @remarks The delay is max(per-key exponential backoff, global token bucket) by default;
   * {@link forget} resets the key's backoff after a success.
   */
  addRateLimited(key: ObjectKey, trigger?: Trigger): number {
    if (this.#shuttingDown) return 0;
    const delay = this.#rateLimiter.when(keyString(key));
    this.#observer.retried?.();
    this.add(key, trigger, { after: delay });
    return delay;
  }

  /** Resets the backoff of `key` (call after a successful reconcile). */
  forget(key: ObjectKey): void {
    this.#rateLimiter.forget(keyString(key));
  }

  /** Failures of `key` since it was last forgotten. */
  retries(key: ObjectKey): number {
    return this.#rateLimiter.retries(keyString(key));
  }

  /** Takes a ready key now, or returns undefined. */
  tryGet(): QueueItem | undefined {
    if (this.#shuttingDown) return undefined;
    return this.#take();
  }

  /** Waits for a ready key. Resolves undefined once the queue shuts down. */
  get(): Promise<QueueItem | undefined> {
    const item = this.tryGet();
    if (item !== undefined || this.#shuttingDown) return Promise.resolve(item);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Gives a handed-out key back. If it was added meanwhile, it becomes pending again (ready at
   * once unless its adds were delayed).
   */
  done(item: QueueItem): void {
    if (this.#inFlight.get(item.id) !== item) return;
    this.#inFlight.delete(item.id);
    const now = this.#clock.now();
    this.#observer.worked?.((now - item.startedAt) / 1000);
    const entry = this.#pending.get(item.id);
    if (this.#shuttingDown) {
      if (this.#inFlight.size === 0) this.#resolveDrained?.();
      return;
    }
    if (entry !== undefined) this.#place(entry, now);
    this.#dispatch();
  }

  /**
   * Stops handing out keys (waiting `get`s resolve undefined; pending keys are dropped) and
   * resolves once every in-flight key is done.
   */
  shutdown(): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      this.#timer?.();
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      this.#pending.clear();
      this.#readyNormal.clear();
      this.#readyLow.clear();
      this.#heap.length = 0;
      for (const waiter of this.#waiters.splice(0)) waiter(undefined);
      this.#drained = new Promise((resolve) => {
        this.#resolveDrained = resolve;
      });
      if (this.#inFlight.size === 0) this.#resolveDrained?.();
    }
    return this.#drained ?? Promise.resolve();
  }

  #place(entry: Entry, now: number): void {
    if (entry.readyAt <= now) {
      entry.ready = true;
      entry.version++;
      entry.readySince = now;
      (entry.priority === 'normal' ? this.#readyNormal : this.#readyLow).add(entry.id);
      return;
    }
    entry.version++;
    this.#push({ at: entry.readyAt, id: entry.id, version: entry.version });
    this.#arm();
  }

  #take(): QueueItem | undefined {
    const lowWaits = this.#readyLow.size > 0;
    const lowTurn = lowWaits && (this.#readyNormal.size === 0 || this.#normalStreak >= this.#lowPriorityEvery);
    const from = lowTurn ? this.#readyLow : this.#readyNormal;
    let id: string | undefined;
    for (const first of from) {
      id = first;
      break;
    }
    if (id === undefined) return undefined;
    this.#normalStreak = lowTurn || !lowWaits ? 0 : this.#normalStreak + 1;
    from.delete(id);
    const entry = this.#pending.get(id)!;
    this.#pending.delete(id);
    const now = this.#clock.now();
    this.#observer.queued?.((now - entry.readySince) / 1000);
    const snapshot = entry.log.snapshot();
    const item: QueueItem = {
      key: entry.key,
      id,
      triggers: snapshot.triggers,
      triggerCounts: snapshot.triggerCounts,
      totalTriggers: snapshot.totalTriggers,
      priority: entry.priority,
      startedAt: now,
    };
    this.#inFlight.set(id, item);
    return item;
  }

  #dispatch(): void {
    while (this.#waiters.length > 0) {
      const item = this.#take();
      if (item === undefined) return;
      this.#waiters.shift()!(item);
    }
  }

  #arm(): void {
    const top = this.#heap[0];
    if (top === undefined || top.at >= this.#timerAt) return;
    this.#timer?.();
    this.#timerAt = top.at;
    this.#timer = this.#clock.setTimer(() => this.#fire(), top.at - this.#clock.now());
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || top.at > now) break;
      this.#pop();
      const entry = this.#pending.get(top.id);
      // Stale slots: the entry was handed out, made ready, or moved earlier since.
      if (entry === undefined || entry.version !== top.version || entry.ready || this.#inFlight.has(top.id)) continue;
      this.#place(entry, now);
    }
    this.#arm();
    this.#dispatch();
  }

  #push(slot: HeapSlot): void {
    const heap = this.#heap;
    heap.push(slot);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].at <= heap[i].at) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < heap.length && heap[l].at < heap[smallest].at) smallest = l;
      if (r < heap.length && heap[r].at < heap[smallest].at) smallest = r;
      if (smallest === i) break;
      [heap[smallest], heap[i]] = [heap[i], heap[smallest]];
      i = smallest;
    }
  }
}
