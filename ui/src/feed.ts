/**
 * The page's one connection: an EventSource on `/ui/events`. The first message (`snapshot`) fills
 * the store; each `tick` adds a point, replaces totals and state when sent, and adds the new
 * reconciles (by ID, so a record sent twice counts once). The store keeps a bounded history in
 * the browser and tells subscribers after each message. EventSource reconnects by itself after
 * a broken stream, the feed after a refusal (which EventSource gives up on); the server then sends
 * a fresh snapshot.
 */
import type { DashboardSnapshot, DashboardTick, DashboardTotals } from '../../src/manager/dashboard/hub.js';
import type { DashboardSample } from '../../src/manager/dashboard/metrics-reader.js';
import type { ManagerDescription, ReconcileRecord } from './types.js';

/** Points kept in the page (at one a second: 15 minutes). */
const MAX_POINTS = 900;
/** Reconciles kept in the page: the trail can follow writes to reconciles older than the server's rings. */
const MAX_RECORDS = 5000;

/** Wait before connecting again after the server refused the stream (its 503 says 5 s). */
const RETRY_MS = 5000;

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

export interface FeedState {
  connection: ConnectionState;
  intervalMs: number;
  series: DashboardSample[];
  totals: DashboardTotals | undefined;
  state: ManagerDescription | undefined;
  /** Every reconcile received, oldest first. */
  records: ReconcileRecord[];
  /** Bumped on every change, for memoisation. */
  version: number;
}

type Listener = (state: FeedState) => void;

export class Feed {
  state: FeedState = {
    connection: 'connecting',
    intervalMs: 1000,
    series: [],
    totals: undefined,
    state: undefined,
    records: [],
    version: 0,
  };
  readonly #listeners = new Set<Listener>();
  readonly #ids = new Set<string>();
  #source: EventSource | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  connect(url = '/ui/events'): void {
    this.#closed = false;
    const source = new EventSource(url);
    this.#source = source;
    source.addEventListener('snapshot', (e) => this.#snapshot(JSON.parse((e as MessageEvent).data)));
    source.addEventListener('tick', (e) => this.#tick(JSON.parse((e as MessageEvent).data)));
    source.addEventListener('error', () => {
      if (this.state.connection !== 'reconnecting') this.#update({ connection: 'reconnecting' });
      // EventSource retries a broken stream by itself, but gives up for good on an answer other
      // than 200 (503: too many pages open; 500): try again later, as the 503's Retry-After asks.
      if (source.readyState === EventSource.CLOSED && !this.#closed) {
        clearTimeout(this.#retry);
        this.#retry = setTimeout(() => {
          if (!this.#closed) this.connect(url);
        }, RETRY_MS);
      }
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#source?.close();
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #snapshot(s: DashboardSnapshot): void {
    this.#ids.clear();
    const records: ReconcileRecord[] = [];
    this.#add(records, s.records);
    this.#update({
      connection: 'live',
      intervalMs: s.intervalMs,
      series: s.series.slice(-MAX_POINTS),
      totals: s.totals,
      state: s.state,
      records,
    });
  }

  #tick(t: DashboardTick): void {
    const series = this.state.series.concat([t.sample]);
    if (series.length > MAX_POINTS) series.splice(0, series.length - MAX_POINTS);
    const records = t.records.length > 0 ? this.state.records.slice() : this.state.records;
    this.#add(records, t.records);
    this.#update({
      connection: 'live',
      series,
      totals: t.totals ?? this.state.totals,
      state: t.state ?? this.state.state,
      records,
    });
  }

  #add(into: ReconcileRecord[], records: readonly ReconcileRecord[]): void {
    for (const r of records) {
      if (this.#ids.has(r.reconcileID)) continue;
      this.#ids.add(r.reconcileID);
      into.push(r);
    }
    if (into.length > MAX_RECORDS) {
      for (const r of into.splice(0, into.length - MAX_RECORDS)) this.#ids.delete(r.reconcileID);
    }
  }

  #update(patch: Partial<FeedState>): void {
    this.state = { ...this.state, ...patch, version: this.state.version + 1 };
    for (const listener of this.#listeners) listener(this.state);
  }
}
