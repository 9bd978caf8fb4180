/**
 * Kubernetes Events about objects, aggregated: the first occurrence of (object, type, reason,
 * message) creates a core/v1 Event; repeats only bump its `count` and `lastTimestamp`, and at
 * most one patch per aggregation window leaves the process (client-go's EventCorrelator and
 * kube-rs' recorder series do the same so a failing loop cannot flood the API server).
 */
import { randomBytes } from 'node:crypto';
import { ApiError, type Clock, type KubeObject, type ObjectKey, type TypeRef } from '../core/index.js';
import type { EventRecorderApi } from './types.js';

/** The core/v1 Event type. */
const EventType: TypeRef = { apiVersion: 'v1', kind: 'Event' };

/** What the recorder needs from the client: create and patch, attributed like any write. */
export interface EventSink {
  createEvent(event: KubeObject): Promise<KubeObject>;
  patchEvent(key: ObjectKey, patch: Record<string, unknown>): Promise<KubeObject>;
}

interface Series {
  key: ObjectKey;
  count: number;
  /** Count the server has. */
  sent: number;
  lastSentAt: number;
  pending: Promise<void> | undefined;
}

/** Options of {@link EventRecorder}. */
export interface EventRecorderOptions {
  /** `source.component` and `reportingComponent`. Default `kloop`. */
  component?: string;
  /** Milliseconds within which repeats are folded into one patch. Default 10 000. */
  windowMs?: number;
  /** Series remembered (least recently used dropped). Default 4096. */
  maxSeries?: number;
  clock: Clock;
}

/**
 * Records Events with aggregation of repeats.
 *
 * @remarks Event writes are best effort: a failure is swallowed (and counted by the client's
 * request metrics); an Event is never a reason to fail a reconcile.
 *
 * @example
 * ```ts
 * import type { KubeObject, ReconcileContext } from 'kloop';
 *
 * declare const ctx: ReconcileContext;
 * declare const website: KubeObject;
 * await ctx.client.events.record(website, { type: 'Normal', reason: 'Deployed', message: 'deployment created' });
 * ```
 */
export class EventRecorder implements EventRecorderApi {
  readonly #sink: EventSink;
  readonly #component: string;
  readonly #windowMs: number;
  readonly #maxSeries: number;
  readonly #clock: Clock;
  readonly #series = new Map<string, Series>();

  constructor(sink: EventSink, options: EventRecorderOptions) {
    this.#sink = sink;
    this.#component = options.component ?? 'kloop';
    this.#windowMs = options.windowMs ?? 10_000;
    this.#maxSeries = options.maxSeries ?? 4096;
    this.#clock = options.clock;
  }

  /** Series held now (tests). */
  get seriesCount(): number {
    return this.#series.size;
  }

  /**
   * Records one occurrence. `sink` overrides the recorder's own for this call, so views of one
   * client (one per reconcile) share the series while each write is attributed to its reconcile.
   */
  async record(
    object: KubeObject,
    event: { type?: 'Normal' | 'Warning'; reason: string; message: string; action?: string },
    sink: EventSink = this.#sink,
  ): Promise<void> {
    const type = event.type ?? 'Normal';
    // The uid names one object; without it (an object not created yet) kind and namespace must
    // tell apart objects that share a name.
    const subject =
      object.metadata.uid ??
      `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    const id = [subject, type, event.reason, event.message].join('\u0000');
    const now = this.#clock.now();
    const series = this.#series.get(id);
    if (series) {
      // Keep recently used series at the end of the map's order (LRU).
      this.#series.delete(id);
      this.#series.set(id, series);
      series.count++;
      if (series.pending || now - series.lastSentAt < this.#windowMs) return;
      series.pending = this.#flush(id, series, now, sink).finally(() => {
        series.pending = undefined;
      });
      return series.pending;
    }
    const timestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const namespace = object.metadata.namespace ?? 'default';
    const name = `${object.metadata.name ?? 'object'}.${randomBytes(8).toString('hex')}`;
    const created: Series = { key: { namespace, name }, count: 1, sent: 0, lastSentAt: now, pending: undefined };
    this.#series.set(id, created);
    if (this.#series.size > this.#maxSeries) this.#series.delete(this.#series.keys().next().value as string);
    const body: KubeObject = {
      apiVersion: EventType.apiVersion,
      kind: EventType.kind,
      metadata: { namespace, name },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        namespace: object.metadata.namespace,
        name: object.metadata.name,
        uid: object.metadata.uid,
        resourceVersion: object.metadata.resourceVersion,
      },
      type,
      reason: event.reason,
      message: event.message,
      action: event.action,
      count: 1,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      source: { component: this.#component },
      reportingComponent: this.#component,
      reportingInstance: this.#component,
    };
    try {
      await sink.createEvent(body);
      created.sent = 1;
    } catch {
      this.#series.delete(id);
    }
  }

  async #flush(id: string, series: Series, now: number, sink: EventSink): Promise<void> {
    if (series.count === series.sent) return;
    const count = series.count;
    try {
      await sink.patchEvent(series.key, {
        count,
        lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      });
      series.sent = count;
      series.lastSentAt = now;
    } catch (err) {
      // The API server deletes Events after their TTL (1 h by default): start a new series so
      // the next repeat creates one, instead of patching a missing Event forever.
      if (ApiError.isNotFound(err)) this.#series.delete(id);
      // Otherwise best effort: the next repeat after the window tries again.
      series.lastSentAt = now;
    }
  }
}

export { EventType };
