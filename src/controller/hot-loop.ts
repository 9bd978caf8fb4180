/**
 * Hot-loop detection: a key whose reconciles keep writing the same fields of an object and are
 * then triggered by the event of that very write. The usual causes: a status timestamp set on
 * every pass, a map rebuilt in a different order, a defaulted field the controller keeps
 * removing. Each lap costs a write and a reconcile forever; controller-runtime and kube-rs leave
 * it to the user to notice. kloop logs it once per key, with the fields, and counts it.
 */
import type { ObjectKey } from '../core/types.js';
import type { Trigger, WriteReport } from './types.js';

/** What the detector reports when a key crosses the threshold. */
export interface HotLoopReport {
  key: ObjectKey;
  /** `apiVersion/kind namespace/name`. */
  objects: string[];
  fields: string[];
  laps: number;
}

interface KeyState {
  signature: string;
  written: Set<string>;
  laps: number;
  reported: boolean;
}

function objectId(type: string | undefined, namespace: string | undefined, name: string): string {
  return `${type ?? ''} ${namespace ? `${namespace}/` : ''}${name}`;
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
   */
  observe(id: string, key: ObjectKey, triggers: readonly Trigger[], writes: readonly WriteReport[]): HotLoopReport | undefined {
    const previous = this.#keys.get(id);
    const patches = writes.filter((w) => w.kind !== 'create' && w.kind !== 'delete' && w.kind !== 'event');
    if (patches.length === 0) {
      // A pass that writes nothing ends any loop; forget the key to keep memory bounded.
      this.#keys.delete(id);
      return undefined;
    }
    const written = new Set(patches.map((w) => objectId(w.type, w.key.namespace, w.key.name)));
    const fields = [...new Set(patches.flatMap((w) => w.fields.map((f) => `${w.type}:${f}`)))].sort();
    const signature = fields.join('|');
    const selfTriggered =
      previous !== undefined &&
      triggers.some(
        (t) =>
          t.object !== undefined &&
          t.event === 'updated' &&
          previous.written.has(
            objectId(t.object.apiVersion && t.object.kind ? `${t.object.apiVersion}/${t.object.kind}` : undefined, t.object.namespace, t.object.name),
          ),
      );
    const laps = selfTriggered && previous.signature === signature ? previous.laps + 1 : 0;
    const state: KeyState = { signature, written, laps, reported: previous?.reported === true && laps > 0 };
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
