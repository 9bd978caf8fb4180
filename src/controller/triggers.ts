/**
 * Provenance: the events folded into one reconcile. controller-runtime's queue deduplicates keys
 * and so forgets why a key was queued (the maintainers declined to keep it, issues #1997 and
 * #1186); kube-rs keeps only the first reason. kloop keeps a bounded log per pending key: the first
 * few triggers in full plus a count per (source, event) of all of them, so a burst of a thousand
 * updates still accounts for every event without holding a thousand objects.
 */
import { changedTopLevelPaths, type KubeObject, type TypeRef } from '../core/index.js';
import { changedFieldPaths } from './field-paths.js';
import type { ObjectRef, Trigger, TriggerCount, TriggerEvent } from './types.js';

/** How many triggers a pending key keeps in full by default; the rest are only counted. */
export const DEFAULT_MAX_TRIGGERS = 16;

/**
 * The bounded trigger log of one pending key. Not exported from the package: the queue owns it
 * and hands out {@link TriggerSnapshot}s.
 */
export class TriggerLog {
  readonly #max: number;
  readonly #kept: Trigger[] = [];
  readonly #counts = new Map<string, TriggerCount>();
  #total = 0;

  constructor(max = DEFAULT_MAX_TRIGGERS) {
    this.#max = max;
  }

  get total(): number {
    return this.#total;
  }

  add(trigger: Trigger): void {
    this.#total++;
    if (this.#kept.length < this.#max) this.#kept.push(trigger);
    const id = `${trigger.source}\u0000${trigger.event}`;
    const count = this.#counts.get(id);
    if (count) count.count++;
    else this.#counts.set(id, { source: trigger.source, event: trigger.event, count: 1 });
  }

  snapshot(): TriggerSnapshot {
    return {
      triggers: [...this.#kept],
      triggerCounts: [...this.#counts.values()].map((c) => ({ ...c })),
      totalTriggers: this.#total,
    };
  }
}

/** What a request carries about its provenance. */
export interface TriggerSnapshot {
  /** The first triggers in full, in arrival order. */
  triggers: Trigger[];
  /** Every trigger counted by source and event, including those not kept in full. */
  triggerCounts: TriggerCount[];
  /** All triggers folded into the request. */
  totalTriggers: number;
}

/**
 * The source label of a resource type: `'for:v1/ConfigMap'`, `'owns:apps/v1/Deployment'`.
 *
 * @example
 * ```ts
 * sourceLabel('for', { apiVersion: 'v1', kind: 'ConfigMap' }); // 'for:v1/ConfigMap'
 * ```
 */
export function sourceLabel(role: 'for' | 'owns' | 'watches', type: TypeRef | string): string {
  return typeof type === 'string' ? `${role}:${type}` : `${role}:${type.apiVersion}/${type.kind}`;
}

/** A reference to an object, for provenance: enough to find it, nothing of its content. */
export function objectRef(object: KubeObject, type?: TypeRef): ObjectRef {
  const ref: ObjectRef = { name: object.metadata.name ?? '' };
  const apiVersion = object.apiVersion ?? type?.apiVersion;
  const kind = object.kind ?? type?.kind;
  if (apiVersion !== undefined) ref.apiVersion = apiVersion;
  if (kind !== undefined) ref.kind = kind;
  if (object.metadata.namespace !== undefined) ref.namespace = object.metadata.namespace;
  if (object.metadata.uid !== undefined) ref.uid = object.metadata.uid;
  return ref;
}

/**
 * The top-level field paths that differ between two versions of an object (`spec`, `status`,
 * `data`, `metadata.labels`...), as core's `changedTopLevelPaths` reports them; empty without an
 * old version. resourceVersion and managedFields never count: they change on every write.
 */
export function changedPaths(oldObject: KubeObject | undefined, object: KubeObject): string[] {
  return oldObject === undefined ? [] : changedTopLevelPaths(oldObject, object);
}

/**
 * The changes of one update, computed once however many sources and controllers see it: the
 * informer hands every handler the same two objects.
 */
const changesOfUpdate = new WeakMap<KubeObject, { old: KubeObject; changed: string[]; changedPaths: string[] }>();

function changesOf(
  oldObject: KubeObject | undefined,
  object: KubeObject,
): { changed: string[]; changedPaths: string[] } {
  if (oldObject === undefined) return { changed: [], changedPaths: [] };
  const known = changesOfUpdate.get(object);
  if (known !== undefined && known.old === oldObject) return known;
  const computed = {
    old: oldObject,
    changed: changedTopLevelPaths(oldObject, object),
    changedPaths: changedFieldPaths(oldObject, object),
  };
  changesOfUpdate.set(object, computed);
  return computed;
}

/** Builds a trigger for an informer event seen by a source. */
export function eventTrigger(
  source: string,
  event: TriggerEvent,
  object: KubeObject,
  oldObject: KubeObject | undefined,
  type: TypeRef | undefined,
): Trigger {
  const trigger: Trigger = { source, event, object: objectRef(object, type) };
  const rv = object.metadata.resourceVersion;
  if (rv !== undefined) trigger.resourceVersion = rv;
  if (event === 'updated') {
    const { changed, changedPaths } = changesOf(oldObject, object);
    trigger.changed = [...changed];
    trigger.changedPaths = [...changedPaths];
  }
  return trigger;
}
