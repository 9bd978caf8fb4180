// Test doubles for the cache: a scripted ListerWatcher; time is core's ManualClock, moved by the
// shared `advance()` of test/support.

import type { ListerWatcher, ListPageRequest, WatchRequest } from '../../src/cache/index.js';
import type { ManualClock } from '../../src/core/clock.js';
import type { KubeList, KubeObject, WatchEvent } from '../../src/core/index.js';
import { advance, flush } from '../support/index.js';

export { flush };

/** Milliseconds until the clock's next timer, or undefined when none is set. */
export function nextDelay(clock: ManualClock): number | undefined {
  const at = clock.nextTimerAt();
  return at === undefined ? undefined : at - clock.now();
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
  async watchNumber(n: number, clock?: ManualClock): Promise<FakeWatch<T>> {
    for (let i = 0; i < 200 && this.watches.length < n; i++) {
      await flush();
      if (clock && this.watches.length < n) await advance(clock, 0);
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
