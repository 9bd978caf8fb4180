/**
 * The dashboard's live feed. Once a second (`intervalMs`, on the manager's clock) the hub reads
 * the manager's metrics and debug document and keeps a bounded time series (the last
 * `historySize` points), so a page opened late still sees the last minutes. Pages subscribe with
 * server-sent events: one stream per page, a `snapshot` when it connects (history, totals, state,
 * the debug records) and a `tick` per interval with the new point, the totals and state when they
 * changed, and the reconciles recorded since the previous tick. No page polls; the work per tick
 * is the same for one page or ten. A page that does not keep up gets no backlog: ticks are dropped
 * while its socket is full and a fresh snapshot follows when it drains; one that stays full for
 * `stuckAfterMs` is cut off.
 *
 * Everything sent passes through the manager's redaction (the same as `/debug/kloop`).
 */
import type { ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { ReconcileRecord } from '../../controller/index.js';
import type { CancelTimer, Clock } from '../../core/index.js';
import type { ManagerDescription } from '../debug-document.js';
import {
  type DashboardSample,
  type MetricsTotals,
  readTotals,
  samplePoint,
  type WriteTotals,
} from './metrics-reader.js';

/** Average size of the cached objects of one resource: the whole-object estimate of a write. */
export interface ObjectSize {
  /** `apiVersion/kind`. */
  type: string;
  /** Plural, as metrics label it. */
  resource: string;
  /** Mean JSON size in bytes of the objects sampled. */
  bytes: number;
}

/** What the hub reads from the manager. */
export interface DashboardSources {
  registry: Registry;
  /** The debug document without records (`describe({ limit: 0 })`), already redacted. */
  state: () => ManagerDescription;
  /** Each controller's debug record, oldest first (redacted by the hub before it is sent). */
  records: () => ReadonlyArray<{ controller: string; records: readonly ReconcileRecord[] }>;
  /** The manager's redaction: Secret-shaped objects and cached Secret values masked. */
  redact: <T>(value: T) => T;
  /** Mean cached object sizes by resource. */
  objectSizes: () => ObjectSize[];
  clock: Clock;
  /** Wall time of the points, ms since the epoch. */
  wallClock: () => number;
  /** Told of a reading that failed (it is skipped; the next interval tries again). */
  onError?: (err: unknown) => void;
}

/** Tunables of the dashboard feed. */
export interface DashboardOptions {
  /** Time between two points, ms. Default 1000. */
  intervalMs?: number;
  /** Points kept. Default 300 (five minutes at one a second). */
  historySize?: number;
  /** Pages connected at once; more get 503. Default 16. */
  maxClients?: number;
  /**
   * A page whose socket has not drained for this long (ms, on the manager's clock) is cut off,
   * freeing its place; EventSource reconnects and starts again from a snapshot. Default 30000.
   */
  stuckAfterMs?: number;
}

/** A write total with the estimate of whole-object updates for the same writes. */
export interface WriteTotalsWithEstimate extends WriteTotals {
  /**
   * What whole-object updates would have sent for these writes: every write sent (creates,
   * patches, applies; not deletes and Events) and every write skipped, each at the mean size of
   * the cached objects of the resource. An estimate, as `kloop demo`'s summary gives it.
   */
  wholeObjectBytes: number;
}

/** Totals as the page gets them. */
export interface DashboardTotals extends Omit<MetricsTotals, 'writes'> {
  writes: WriteTotalsWithEstimate[];
  objectSizes: ObjectSize[];
}

/** The first message of a stream. */
export interface DashboardSnapshot {
  intervalMs: number;
  series: DashboardSample[];
  totals: DashboardTotals;
  state: ManagerDescription;
  records: ReconcileRecord[];
}

/** A message per interval. */
export interface DashboardTick {
  sample: DashboardSample;
  /** Present when changed since the previous tick. */
  totals?: DashboardTotals;
  /** Present when changed since the previous tick. */
  state?: ManagerDescription;
  /** Reconciles recorded since the previous tick. */
  records: ReconcileRecord[];
}

interface Client {
  res: ServerResponse;
  /** The socket's buffer is over its mark: ticks are dropped until it drains. */
  blocked: boolean;
  /** When it became blocked (the hub's clock). */
  blockedAt: number;
  /** A tick was dropped: the page needs a snapshot once the buffer drains. */
  missed: boolean;
}

/** Keeps the time series and feeds every connected page. */
export class DashboardHub {
  readonly intervalMs: number;
  readonly #sources: DashboardSources;
  readonly #historySize: number;
  readonly #maxClients: number;
  readonly #stuckAfterMs: number;
  readonly #series: DashboardSample[] = [];
  readonly #clients = new Set<Client>();
  readonly #lastRecord = new Map<string, string>();
  #previous: MetricsTotals | undefined;
  #previousAt = 0;
  #totals: DashboardTotals | undefined;
  #totalsJson = '';
  #state: ManagerDescription | undefined;
  #stateJson = '';
  #cancel: CancelTimer | undefined;
  #running = false;
  #ticking: Promise<void> | undefined;

  constructor(sources: DashboardSources, options: DashboardOptions = {}) {
    this.#sources = sources;
    this.intervalMs = Math.max(50, options.intervalMs ?? 1000);
    this.#historySize = Math.max(1, options.historySize ?? 300);
    this.#maxClients = Math.max(1, options.maxClients ?? 16);
    this.#stuckAfterMs = Math.max(this.intervalMs, options.stuckAfterMs ?? 30_000);
  }

  /** Pages connected now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** The points kept, oldest first. */
  get series(): readonly DashboardSample[] {
    return this.#series;
  }

  /** Takes the first reading and starts the interval. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.tick();
  }

  /** Stops the interval and ends every stream. */
  close(): void {
    this.#running = false;
    this.#cancel?.();
    for (const client of this.#clients) client.res.end();
    this.#clients.clear();
  }

  /**
   * Takes one reading now and sends it to every page (the interval calls it; tests call it to
   * step the feed). Readings never overlap: a call during one waits for it.
   */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    this.#cancel?.();
    try {
      const tick = await this.#read();
      const payload = `event: tick\ndata: ${JSON.stringify(tick)}\n\n`;
      const now = this.#sources.clock.now();
      for (const client of this.#clients) {
        if (client.blocked && now - client.blockedAt >= this.#stuckAfterMs) {
          // A page that reads nothing holds its place and its socket's buffer for good otherwise.
          this.#clients.delete(client);
          client.res.destroy();
          continue;
        }
        this.#send(client, payload);
      }
    } catch (err) {
      // A reading that fails (a debug section JSON cannot carry, a describe that throws) must not
      // end the feed, nor reject into the timer: nothing would catch it.
      this.#sources.onError?.(err);
    } finally {
      if (this.#running) this.#cancel = this.#sources.clock.setTimer(() => void this.tick(), this.intervalMs);
    }
  }

  /**
   * Starts a stream on `res`: a `snapshot`, then a `tick` per interval, until the page goes away
   * or the hub closes. Answers 503 when `maxClients` pages are connected.
   */
  connect(res: ServerResponse): void {
    if (this.#clients.size >= this.#maxClients) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5' });
      res.end(`too many dashboard pages open (${this.#maxClients})`);
      return;
    }
    // Made before the headers: a snapshot that cannot be made answers 500, not a broken stream.
    const snapshot = this.#snapshotMessage();
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
    });
    const client: Client = { res, blocked: false, blockedAt: 0, missed: false };
    this.#clients.add(client);
    res.on('close', () => this.#clients.delete(client));
    res.on('drain', () => {
      client.blocked = false;
      if (!client.missed) return;
      client.missed = false;
      try {
        this.#send(client, this.#snapshotMessage());
      } catch (err) {
        // Thrown here it would be an uncaught exception: the page reconnects instead.
        this.#sources.onError?.(err);
        this.#clients.delete(client);
        res.destroy();
      }
    });
    // Tells EventSource to reconnect after 2 s if the stream breaks.
    this.#send(client, `retry: 2000\n${snapshot}`);
  }

  /** The snapshot a page starts from. */
  snapshot(): DashboardSnapshot {
    return {
      intervalMs: this.intervalMs,
      series: [...this.#series],
      totals: this.#totals ?? { controllers: {}, writes: [], informers: [], leader: {}, objectSizes: [] },
      state: this.#state ?? this.#sources.state(),
      records: this.#sources.redact(
        this.#sources
          .records()
          .flatMap((c) => c.records)
          .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0)),
      ),
    };
  }

  #snapshotMessage(): string {
    return `event: snapshot\ndata: ${JSON.stringify(this.snapshot())}\n\n`;
  }

  #send(client: Client, message: string): void {
    if (client.res.writableEnded) return;
    if (client.blocked) {
      // A page that does not keep up gets a fresh snapshot when it does, not a backlog.
      client.missed = true;
      return;
    }
    if (!client.res.write(message)) {
      client.blocked = true;
      client.blockedAt = this.#sources.clock.now();
    }
  }

  async #read(): Promise<DashboardTick> {
    const state = this.#sources.state();
    // First what can fail, so a failed reading changes nothing.
    const stateJson = JSON.stringify(state);
    const inFlight: Record<string, number> = {};
    for (const c of state.controllers) inFlight[c.name] = c.queue.inFlight.length;
    const metrics = await readTotals(this.#sources.registry);
    const now = this.#sources.clock.now();
    const t = this.#sources.wallClock();
    const intervalMs = this.#previous === undefined ? this.intervalMs : Math.max(1, now - this.#previousAt);
    // The first point has no reading before it: what the counters hold already (a registry shared
    // with an earlier manager) did not happen in its interval, so it counts nothing.
    const sample = samplePoint(metrics, this.#previous ?? metrics, inFlight, t, intervalMs);
    this.#previous = metrics;
    this.#previousAt = now;
    this.#series.push(sample);
    if (this.#series.length > this.#historySize) this.#series.splice(0, this.#series.length - this.#historySize);

    const tick: DashboardTick = { sample, records: this.#newRecords() };
    const totals = withEstimates(metrics, this.#sources.objectSizes());
    const totalsJson = JSON.stringify(totals);
    if (totalsJson !== this.#totalsJson) {
      this.#totals = totals;
      this.#totalsJson = totalsJson;
      tick.totals = totals;
    }
    if (stateJson !== this.#stateJson) {
      this.#state = state;
      this.#stateJson = stateJson;
      tick.state = state;
    }
    return tick;
  }

  /** Records after the last one seen per controller (all of them when the ring moved past it). */
  #newRecords(): ReconcileRecord[] {
    const fresh: ReconcileRecord[] = [];
    for (const { controller, records } of this.#sources.records()) {
      const last = this.#lastRecord.get(controller);
      let from = 0;
      if (last !== undefined) {
        for (let i = records.length - 1; i >= 0; i--) {
          if (records[i]!.reconcileID === last) {
            from = i + 1;
            break;
          }
        }
      }
      for (let i = from; i < records.length; i++) fresh.push(records[i]!);
      if (records.length > 0) this.#lastRecord.set(controller, records[records.length - 1]!.reconcileID);
    }
    fresh.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
    return this.#sources.redact(fresh);
  }
}

/** Adds the whole-object estimate to each write total (see {@link WriteTotalsWithEstimate}). */
export function withEstimates(metrics: MetricsTotals, sizes: ObjectSize[]): DashboardTotals {
  const size = new Map(sizes.map((s) => [s.resource, s.bytes]));
  return {
    ...metrics,
    objectSizes: sizes,
    writes: metrics.writes.map((w) => {
      let writes = 0;
      for (const [kind, n] of Object.entries(w.sent)) if (kind !== 'event' && kind !== 'delete') writes += n;
      for (const n of Object.values(w.skipped)) writes += n;
      return { ...w, wholeObjectBytes: Math.round(writes * (size.get(w.resource) ?? 0)) };
    }),
  };
}
