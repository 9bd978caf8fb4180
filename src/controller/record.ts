/**
 * The debug record: per controller, a bounded ring of the last reconciles, each with its start
 * time, duration, reconcile ID (the `reconcileID` of every log line of that reconcile, so a
 * record joins to its logs), result, the triggers folded into it and the writes it made with
 * their changed field paths. `/debug/kloop` shows it, filtered by controller, key and result;
 * `mgr.reconciles(filter)` returns it to code (a dashboard, a test).
 *
 * The ring holds references to what the reconcile already built (its triggers, its write
 * reports), so recording costs one small object per reconcile and no copy; values are never
 * recorded, only names and field paths, and output passes through the manager's redaction.
 */
import type { Trigger, TriggerCount } from './types.js';

/** Records kept per controller by default. */
export const DEFAULT_RECORD_SIZE = 100;

/**
 * How a reconcile ended, as metrics (`kloop_reconcile_total{result}`), logs and the record name it:
 * returned nothing (`success`) or `{ requeueAfter }` (`requeue_after`), threw (`error`), threw a
 * `TerminalError` (`terminal_error`), hit a 409 (`conflict`), or passed its timeout (`timeout`).
 */
export type ReconcileOutcome = 'success' | 'requeue_after' | 'error' | 'conflict' | 'terminal_error' | 'timeout';

/** A write a reconcile made, as the record shows it. */
export interface RecordedWrite {
  /** `apiVersion/kind` of the object written. */
  type: string;
  /** `namespace/name` (or `name`) of the object written. */
  key: string;
  /** create, patch, status, apply, delete, event, or a `direct` verb or subresource. */
  kind: string;
  /** Top-level fields the write changed. */
  fields: string[];
  /** The same at a useful depth (`spec.replicas`), bounded; absent for creates and deletes. */
  changedPaths?: string[];
  /**
   * The resourceVersion the server answered with (a delete has one when the server answered with
   * the object, as it does while finalizers hold it; not when it answered a `Status`).
   */
  resourceVersion?: string;
  /**
   * Request body bytes sent (0 for a delete). The watch event of this write carries
   * `resourceVersion`: a later trigger with the same object and version is the event this write
   * caused, which is how a provenance trail follows a write to the reconciles it set off.
   */
  bytes?: number;
}

/** A write a reconcile asked for that the cached client did not send: nothing would change. */
export interface RecordedSkip {
  /** `apiVersion/kind` of the object. */
  type: string;
  /** `namespace/name` (or `name`). */
  key: string;
  /** The verb asked for: patch, status, apply, mutate, delete. */
  kind: string;
  /** `unchanged` (the cache already holds it), `absent` (delete of a missing object), `deleting`. */
  reason: string;
}

/**
 * One finished reconcile. The shape `/debug/kloop` and `mgr.reconciles()` return; a dashboard may
 * rely on it (fields are only ever added).
 */
export interface ReconcileRecord {
  /** The reconcile ID: the `reconcileID` field of every log line of this reconcile. */
  reconcileID: string;
  controller: string;
  /** The key reconciled, `namespace/name` (or `name`). */
  key: string;
  /** Wall time the reconcile started, ISO 8601. */
  startedAt: string;
  /** How long it ran, ms (on the controller's clock). */
  durationMs: number;
  result: ReconcileOutcome;
  /** The delay it asked for (`requeue_after`), ms. */
  requeueAfterMs?: number;
  /**
   * The error's message (`error`, `terminal_error`, `conflict`, `timeout`), with secret values
   * masked when recorded (the manager's mask) and again on output.
   */
  error?: string;
  /** Failures of this key before this reconcile (0 on a first try). */
  retries: number;
  /** The first triggers folded into this reconcile, in full. */
  triggers: readonly Trigger[];
  /** Every trigger counted by source and event. */
  triggerCounts: readonly TriggerCount[];
  totalTriggers: number;
  /** The writes it sent, in order. */
  writes: RecordedWrite[];
  /** The writes it asked for that were not sent (nothing would change), in order; absent when none. */
  skipped?: RecordedSkip[];
}

/** Which records to return; every field left out matches all. */
export interface ReconcileRecordFilter {
  controller?: string;
  /** `namespace/name` (or `name` for cluster-scoped objects), exact. */
  key?: string;
  /** One outcome, or several: `['error', 'timeout']`. */
  result?: ReconcileOutcome | readonly ReconcileOutcome[];
  /** At most this many, the newest. */
  limit?: number;
}

/**
 * A fixed-size ring of records, oldest overwritten first.
 *
 * @example
 * ```ts
 * const ring = new ReconcileRing(2);
 * // ring.push(record) three times: the first is gone, list() returns the last two, oldest first.
 * ring.list({ result: 'error' });
 * ```
 */
export class ReconcileRing {
  readonly capacity: number;
  readonly #slots: Array<ReconcileRecord | undefined>;
  #next = 0;
  #count = 0;

  constructor(capacity = DEFAULT_RECORD_SIZE) {
    this.capacity = Math.max(0, Math.floor(capacity));
    this.#slots = new Array(this.capacity);
  }

  /** Records held now. */
  get size(): number {
    return this.#count;
  }

  push(record: ReconcileRecord): void {
    if (this.capacity === 0) return;
    this.#slots[this.#next] = record;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#count < this.capacity) this.#count++;
  }

  /** The records matching `filter`, oldest first. */
  list(filter: ReconcileRecordFilter = {}): ReconcileRecord[] {
    const out: ReconcileRecord[] = [];
    const start = (this.#next - this.#count + this.capacity) % Math.max(1, this.capacity);
    for (let i = 0; i < this.#count; i++) {
      const record = this.#slots[(start + i) % this.capacity]!;
      if (matches(record, filter)) out.push(record);
    }
    return filter.limit !== undefined && out.length > filter.limit ? out.slice(out.length - filter.limit) : out;
  }
}

/** True when `record` passes `filter`. */
export function matches(record: ReconcileRecord, filter: ReconcileRecordFilter): boolean {
  if (filter.controller !== undefined && record.controller !== filter.controller) return false;
  if (filter.key !== undefined && record.key !== filter.key) return false;
  const result = filter.result;
  if (result !== undefined) {
    if (typeof result === 'string' ? record.result !== result : !result.includes(record.result)) return false;
  }
  return true;
}
