// Test doubles for the cache: a virtual clock and a scripted ListerWatcher.

import type { ListerWatcher, ListPageRequest, WatchRequest } from '../../src/cache/index.js';
import type { CancelTimer, Clock } from '../../src/core/clock.js';
import type { KubeList, KubeObject, WatchEvent } from '../../src/core/index.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** Virtual time: timers fire only when the test advances the clock. */
export class FakeClock implements Clock {
  #now = 0;
  #timers: Timer[] = [];
  #next = 1;

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): CancelTimer {
    const t = { id: this.#next++, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(t);
    return () => {
      this.#timers = this.#timers.filter((each) => each !== t);
    };
  }

  /** Pending timers. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Delay until the next timer, or undefined. */
  nextDelay(): number | undefined {
    if (this.#timers.length === 0) return undefined;
    return Math.min(...this.#timers.map((t) => t.at)) - this.#now;
  }

  /** Moves time forward, firing due timers in order, letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await flush();
      const due = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.fn();
    }
    this.#now = target;
    await flush();
  }
}

/** Lets pending promise callbacks and I/O callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** A watch the test drives. */
export class FakeWatch<T extends KubeObject = KubeObject> {
  readonly request: WatchRequest;
  readonly #onEvent: (ev: WatchEvent<T>) => void;
  #resolve!: () => void;
  #reject!: (err: unknown) => void;
  readonly done: Promise<void>;
  closed = false;

  constructor(request: WatchRequest, onEvent: (ev: WatchEvent<T>) => void) {
    this.request = request;
    this.#onEvent = onEvent;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    request.signal.addEventListener('abort', () => this.fail(request.signal.reason ?? new Error('aborted')), {
      once: true,
    });
  }

  /** Delivers an event; a throw from the handler ends the watch with it, like the client. */
  emit(type: WatchEvent['type'], object: T | Record<string, unknown>): void {
    if (this.closed) throw new Error('watch is closed');
    try {
      this.#onEvent({ type, object: object as T });
    } catch (err) {
      this.fail(err);
    }
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.#resolve();
  }

  fail(err: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.#reject(err);
  }
}

type ListAnswer<T extends KubeObject> = KubeList<T> | Error | ((req: ListPageRequest) => KubeList<T> | Error);
type WatchAnswer = Error | undefined;

/** A ListerWatcher answering from queues the test fills. */
export class FakeListerWatcher<T extends KubeObject = KubeObject> implements ListerWatcher<T> {
  readonly lists: ListAnswer<T>[] = [];
  readonly listRequests: ListPageRequest[] = [];
  readonly watches: FakeWatch<T>[] = [];
  /** Errors to answer the next watch requests with (undefined: open a FakeWatch). */
  readonly watchAnswers: WatchAnswer[] = [];
  #waiters: Array<() => void> = [];

  async listPage(req: ListPageRequest): Promise<KubeList<T>> {
    this.listRequests.push(req);
    const answer = this.lists.shift();
    if (answer === undefined) throw new Error('no list answer scripted');
    const value = typeof answer === 'function' ? answer(req) : answer;
    if (value instanceof Error) throw value;
    return structuredClone(value);
  }

  watch(req: WatchRequest, onEvent: (ev: WatchEvent<T>) => void): Promise<void> {
    const answer = this.watchAnswers.shift();
    if (answer instanceof Error) return Promise.reject(answer);
    const w = new FakeWatch<T>(req, onEvent);
    this.watches.push(w);
    for (const wake of this.#waiters.splice(0)) wake();
    return w.done;
  }

  /** The latest watch, once it is open. */
  async watchNumber(n: number, clock?: FakeClock): Promise<FakeWatch<T>> {
    for (let i = 0; i < 200 && this.watches.length < n; i++) {
      await flush();
      if (clock && this.watches.length < n) await clock.advance(0);
    }
    if (this.watches.length < n) throw new Error(`watch #${n} never opened (have ${this.watches.length})`);
    return this.watches[n - 1];
  }
}

/** A ConfigMap-ish object. */
export function cm(
  name: string,
  rv: string,
  extra: Partial<KubeObject['metadata']> = {},
  data: Record<string, string> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { namespace: 'default', name, resourceVersion: rv, ...extra },
    data,
  };
}

/** A list page. */
export function page<T extends KubeObject>(items: T[], rv: string, cont?: string): KubeList<T> {
  return { apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: rv, continue: cont }, items };
}

/**
 * A FakeListerWatcher that also answers the reflector's resourceVersion probe: with
 * `serverRevision`, or the next of `probeAnswers` when any is queued.
 */
export class ProbingListerWatcher<T extends KubeObject = KubeObject> extends FakeListerWatcher<T> {
  serverRevision: string | undefined = undefined;
  readonly probeAnswers: Array<string | undefined | Error> = [];
  probes = 0;

  async currentResourceVersion(signal: AbortSignal): Promise<string | undefined> {
    this.probes++;
    if (signal.aborted) throw signal.reason;
    const answer = this.probeAnswers.length > 0 ? this.probeAnswers.shift() : this.serverRevision;
    if (answer instanceof Error) throw answer;
    return answer;
  }
}
