/**
 * Links between reconciles, from the debug record alone. A write's record carries the object
 * (`type`, `key`) and the resourceVersion the server answered with; the watch event of that write
 * carries the same object and version, and so does every trigger made from it. So a trigger
 * `(object, resourceVersion)` equal to a write's was caused by that write, and the reconcile it
 * folded into was set off by the reconcile that wrote. Following these links both ways gives the
 * trail: what caused this reconcile, and what its writes caused in turn.
 *
 * An object's timeline gathers, by time, the reconciles of its key (by the controllers whose
 * `for` type it is), the writes to it, and the events of it that reached a controller.
 */
import type { ManagerDescription, ReconcileRecord, RecordedWrite, Trigger } from './types.js';

/** `apiVersion/kind namespace/name`: how the page names an object. */
export type ObjectId = string;

export function objectIdOfWrite(w: RecordedWrite): ObjectId {
  return `${w.type} ${w.key}`;
}

export function objectIdOfTrigger(t: Trigger): ObjectId | undefined {
  const o = t.object;
  if (o === undefined || o.apiVersion === undefined || o.kind === undefined) return undefined;
  return `${o.apiVersion}/${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

/** A write and the reconcile that made it. */
export interface WriteRef {
  record: ReconcileRecord;
  write: RecordedWrite;
  index: number;
}

/** A trigger and the reconcile it folded into. */
export interface TriggerRef {
  record: ReconcileRecord;
  trigger: Trigger;
}

/** One entry of an object's timeline. */
export type TimelineEntry =
  | { at: string; kind: 'reconcile'; record: ReconcileRecord }
  | { at: string; kind: 'write'; record: ReconcileRecord; write: RecordedWrite }
  | { at: string; kind: 'event'; record: ReconcileRecord; trigger: Trigger };

/** The indexes of one set of records. */
export interface Provenance {
  byId: Map<string, ReconcileRecord>;
  /** The write that produced `object@resourceVersion`. */
  writeOf(t: Trigger): WriteRef | undefined;
  /** The triggers (and their reconciles) that the write's event became. */
  causedBy(w: RecordedWrite): TriggerRef[];
  /** Every object seen in the records, with how often. */
  objects: Map<ObjectId, number>;
  timeline(object: ObjectId): TimelineEntry[];
}

/** The `for` type (`apiVersion/kind`) of each controller, from the debug document. */
export function forTypes(state: ManagerDescription | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of state?.controllers ?? []) {
    const source = c.sources.find((s) => s.kind === 'for')?.source;
    if (source !== undefined) out.set(c.name, source.slice('for:'.length));
  }
  return out;
}

export function buildProvenance(records: readonly ReconcileRecord[], types: Map<string, string>): Provenance {
  const byId = new Map<string, ReconcileRecord>();
  const writes = new Map<string, WriteRef>();
  const caused = new Map<string, TriggerRef[]>();
  const objects = new Map<ObjectId, number>();
  const timelines = new Map<ObjectId, TimelineEntry[]>();
  const note = (id: ObjectId, entry: TimelineEntry) => {
    objects.set(id, (objects.get(id) ?? 0) + 1);
    let list = timelines.get(id);
    if (!list) timelines.set(id, (list = []));
    list.push(entry);
  };
  for (const record of records) {
    byId.set(record.reconcileID, record);
    const type = types.get(record.controller);
    if (type !== undefined) note(`${type} ${record.key}`, { at: record.startedAt, kind: 'reconcile', record });
    record.writes.forEach((write, index) => {
      const id = objectIdOfWrite(write);
      if (write.resourceVersion !== undefined) writes.set(`${id}@${write.resourceVersion}`, { record, write, index });
      note(id, { at: record.startedAt, kind: 'write', record, write });
    });
    for (const trigger of record.triggers) {
      const id = objectIdOfTrigger(trigger);
      if (id === undefined) continue;
      if (trigger.resourceVersion !== undefined) {
        const at = `${id}@${trigger.resourceVersion}`;
        let list = caused.get(at);
        if (!list) caused.set(at, (list = []));
        list.push({ record, trigger });
      }
      note(id, { at: record.startedAt, kind: 'event', record, trigger });
    }
  }
  return {
    byId,
    objects,
    writeOf(t) {
      const id = objectIdOfTrigger(t);
      return id === undefined || t.resourceVersion === undefined ? undefined : writes.get(`${id}@${t.resourceVersion}`);
    },
    causedBy(w) {
      return w.resourceVersion === undefined ? [] : (caused.get(`${objectIdOfWrite(w)}@${w.resourceVersion}`) ?? []);
    },
    timeline(object) {
      const order = { event: 0, reconcile: 1, write: 2 } as const;
      return (timelines.get(object) ?? [])
        .slice()
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : order[a.kind] - order[b.kind]));
    },
  };
}
