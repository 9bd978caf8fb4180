/**
 * Status conditions (`metav1.Condition`) set without no-op writes.
 *
 * The usual mistake is to stamp `lastTransitionTime: now` on every reconcile: the status then
 * differs each pass, the cached client has a real change to send, and its own watch event
 * triggers the next pass (a hot loop). Kubernetes defines `lastTransitionTime` as the time the
 * condition last changed *status*; apimachinery's `meta.SetStatusCondition` keeps it otherwise,
 * and so does {@link setCondition}: a pass that finds the same condition returns the very same
 * array, so `mutateStatus` sees no change and sends nothing.
 */

/** A status condition as `metav1.Condition` defines it. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** RFC 3339, seconds precision: when `status` last changed. */
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** What a caller sets: everything but the transition time, which {@link setCondition} manages. */
export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'> & { lastTransitionTime?: string };

/** Seconds-precision RFC 3339, as the API server stores `metav1.Time`. */
function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * Sets condition `next.type` in `conditions`, keeping `lastTransitionTime` unless the status
 * flips (then `next.lastTransitionTime`, or now). Returns `conditions` itself when nothing
 * changed, else a new array (the input is never modified); order is kept, a new type is appended.
 *
 * @example
 * ```ts
 * import type { KubeObject, ReconcileContext, Request } from 'kloop';
 *
 * declare const ctx: ReconcileContext;
 * declare const req: Request;
 * const Website = { apiVersion: 'example.com/v1', kind: 'Website' };
 * interface WebsiteObject extends KubeObject {
 *   status?: { conditions?: Condition[] };
 * }
 *
 * await ctx.client.mutateStatus<WebsiteObject>(Website, req.key, (d) => {
 *   d.status = { ...d.status, conditions: setCondition(d.status?.conditions, {
 *     type: 'Ready', status: 'True', reason: 'Available', message: '2/2 replicas ready',
 *   }) };
 * }); // sends nothing when Ready was already True with that reason and message
 * ```
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: ConditionUpdate,
  now: () => string = nowRfc3339,
): Condition[] {
  const list = conditions ?? [];
  const i = list.findIndex((c) => c.type === next.type);
  const previous = i >= 0 ? list[i] : undefined;
  const lastTransitionTime =
    previous !== undefined && previous.status === next.status
      ? previous.lastTransitionTime
      : (next.lastTransitionTime ?? now());
  const condition: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    lastTransitionTime,
  };
  if (next.observedGeneration !== undefined) condition.observedGeneration = next.observedGeneration;
  if (previous !== undefined && sameCondition(previous, condition)) return list as Condition[];
  const out = [...list];
  if (i >= 0) out[i] = condition;
  else out.push(condition);
  return out;
}

/** Removes condition `type`; returns `conditions` itself when it was absent. */
export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  const list = conditions ?? [];
  return list.some((c) => c.type === type) ? list.filter((c) => c.type !== type) : (list as Condition[]);
}

/** The condition of `type`, if set. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True when condition `type` is set with status `True`. */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

function sameCondition(a: Condition, b: Condition): boolean {
  return (
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.lastTransitionTime === b.lastTransitionTime &&
    a.observedGeneration === b.observedGeneration
  );
}
