/**
 * Hot-loop detection: a key whose reconciles keep writing the same fields of an object and are
 * then triggered by the event of that very write. The usual causes: a status timestamp set on
 * every pass, a map rebuilt in a different order, a defaulted field the controller keeps
 * removing. Each lap costs a write and a reconcile forever; controller-runtime and kube-rs leave
 * it to the user to notice. kloop logs it once per key, with the fields, and counts it.
 */
import { keyString, type ObjectKey } from '../core/index.js';
import type { Trigger, WriteReport } from './types.js';

/** What the detector reports when a key crosses the threshold. */
export interface HotLoopReport {
  key: ObjectKey;
  /** `apiVersion/kind namespace/name`. */
  objects: string[];
  fields: string[];
  laps: number;
}

/** A hot loop as the controller keeps it for debug output (`controller.hotLoops()`). */
export interface HotLoopRecord {
  /** The key reconciled, `namespace/name` (or `name`). */
  key: string;
  /** `apiVersion/kind namespace/name` of each object written. */
  objects: string[];
  fields: string[];
  laps: number;
  /** Wall time it was found, ISO 8601. */
  detectedAt: string;
  /** The reconcile whose pass crossed the threshold (its record joins to it). */
  reconcileID: string;
}

/** Hot loops a controller keeps for debug output; the oldest goes first. */
export const MAX_HOT_LOOP_RECORDS = 20;

interface KeyState {
  signature: string;
  written: Set<string>;
  /** `object@resourceVersion` of each write the server answered with a version. */
  versions: Set<string>;
  laps: number;
  reported: boolean;
}

function objectId(type: string | undefined, key: ObjectKey): string {
  return `${type ?? ''} ${keyString(key)}`;
}

/**
 * Tracks, per key, consecutive reconciles that were triggered by the key's own previous write
 * and wrote the same fields again.
 */
export class HotLoopDetector {
  readonly #threshold: number;
  readonly #keys = new Map<string, KeyState>();

  /** @param threshold consecutive self-triggered identical writes that make a hot loop (default 5). */
  constructor(threshold = 5) {
    this.#threshold = threshold;
  }

  /**
   * Records one finished reconcile of `id`. Returns a report the first time the key crosses
   * the threshold, undefined otherwise.
   *
   * A lap is a reconcile whose every trigger is the update event of an object the previous pass
   * of this key wrote (at the version that write produced, when known) and that writes the same
   * fields again. A reconcile that also folds in anything else (another object's change, a
   * requeue, triggers counted but not kept) is not a lap: a controller that writes status once
   * per outside change (a Deployment rolling out replica by replica) must not be flagged.
   *
   * @param totalTriggers every trigger folded into the request; more than `triggers.length`
   * means some are unknown, so the pass cannot be shown to be self-triggered.
   */
  observe(
    id: string,
    key: ObjectKey,
    triggers: readonly Trigger[],
    writes: readonly WriteReport[],
    totalTriggers = triggers.length,
  ): HotLoopReport | undefined {
    const previous = this.#keys.get(id);
    const patches = writes.filter((w) => w.kind !== 'create' && w.kind !== 'delete' && w.kind !== 'event');
    if (patches.length === 0) {
      // A pass that writes nothing ends any loop; forget the key to keep memory bounded.
      this.#keys.delete(id);
      return undefined;
    }
    const written = new Set(patches.map((w) => objectId(w.type, w.key)));
    const versions = new Set(
      patches.flatMap((w) =>
        w.resourceVersion === undefined ? [] : [`${objectId(w.type, w.key)}@${w.resourceVersion}`],
      ),
    );
    const fields = [...new Set(patches.flatMap((w) => w.fields.map((f) => `${w.type}:${f}`)))].sort();
    const signature = fields.join('|');
    const selfTriggered =
      previous !== undefined &&
      triggers.length > 0 &&
      totalTriggers <= triggers.length &&
      triggers.every((t) => ownEvent(t, previous));
    const laps = selfTriggered && previous.signature === signature ? previous.laps + 1 : 0;
    const state: KeyState = { signature, written, versions, laps, reported: previous?.reported === true && laps > 0 };
    this.#keys.set(id, state);
    if (laps >= this.#threshold && !state.reported) {
      state.reported = true;
      return {
        key,
        objects: [...written],
        fields: [...new Set(patches.flatMap((w) => w.fields))].sort(),
        laps,
      };
    }
    return undefined;
  }

  /** Drops the state of a key (deleted object). */
  forget(id: string): void {
    this.#keys.delete(id);
  }
}

/** Whether `trigger` is the watch event of a write the previous pass made. */
function ownEvent(trigger: Trigger, previous: KeyState): boolean {
  const ref = trigger.object;
  if (ref === undefined || trigger.event !== 'updated') return false;
  const object = objectId(ref.apiVersion && ref.kind ? `${ref.apiVersion}/${ref.kind}` : undefined, ref);
  if (!previous.written.has(object)) return false;
  // Without versions on both sides (a fake client, a source without resourceVersions) the
  // object alone must do.
  if (trigger.resourceVersion === undefined || previous.versions.size === 0) return true;
  return previous.versions.has(`${object}@${trigger.resourceVersion}`);
}
