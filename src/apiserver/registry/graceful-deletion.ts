/**
 * Graceful pod deletion (`pkg/registry/core/pod/strategy.go`, `CheckGracefulDelete`). The real
 * server gives a scheduled, running pod a grace period: DELETE sets `deletionTimestamp` to now +
 * grace and `deletionGracePeriodSeconds` to the grace, and the pod stays until its kubelet has
 * stopped the containers and deletes it again with grace 0. The emulator has no kubelet, so it
 * stands in for one: when the grace period ends it makes that final grace-0 deletion itself
 * (finalizers still hold the pod).
 *
 * The grace is the real pod strategy's: `DeleteOptions.gracePeriodSeconds`, else the pod's
 * `spec.terminationGracePeriodSeconds`, else 30; 0 for a pod that was never scheduled (no
 * `spec.nodeName`) or has finished (phase Succeeded or Failed); a negative value means 1.
 * Every other kind is deleted at once, as in Kubernetes.
 */
import { isPlainObject, type KubeObject } from '../../core/index.js';
import type { ServedType } from '../served/served-types.js';

/** The default `terminationGracePeriodSeconds` of a pod. */
export const DEFAULT_POD_GRACE_SECONDS = 30;

function isPod(served: ServedType): boolean {
  return served.type.group === '' && served.type.plural === 'pods';
}

/**
 * The grace period (seconds) a DELETE of `obj` gets; 0 means "now".
 *
 * @example
 * ```ts
 * import type { KubeObject } from 'kloop';
 *
 * declare const podsType: Parameters<typeof podGracePeriod>[0]; // core/v1 pods as served
 * declare const pod: KubeObject;
 * podGracePeriod(podsType, { ...pod, spec: { nodeName: 'n1' } }, undefined); // 30
 * podGracePeriod(podsType, { ...pod, spec: {} }, 10); // 0: never scheduled
 * ```
 */
export function podGracePeriod(served: ServedType, obj: KubeObject, requested: number | undefined): number {
  if (!isPod(served)) return 0;
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const status = isPlainObject(obj.status) ? obj.status : {};
  let period = requested;
  if (period === undefined) {
    const own = spec.terminationGracePeriodSeconds;
    period = typeof own === 'number' && Number.isFinite(own) ? own : DEFAULT_POD_GRACE_SECONDS;
  }
  if (typeof spec.nodeName !== 'string' || spec.nodeName === '') return 0;
  if (status.phase === 'Succeeded' || status.phase === 'Failed') return 0;
  return period < 0 ? 1 : Math.floor(period);
}

/** The grace a deleting object still has (`deletionGracePeriodSeconds`), 0 when none. */
export function pendingGrace(obj: KubeObject): number {
  if (obj.metadata.deletionTimestamp === undefined) return 0;
  const grace = obj.metadata.deletionGracePeriodSeconds;
  return typeof grace === 'number' && grace > 0 ? grace : 0;
}

/**
 * `current` in graceful deletion with `grace` seconds from `now` (a copy). The deletion
 * timestamp is kept to second precision, as the real one.
 */
export function startGracefulDeletion(current: KubeObject, grace: number, now: number = Date.now()): KubeObject {
  const next = JSON.parse(JSON.stringify(current)) as KubeObject;
  const at = Math.floor(now / 1000) * 1000 + grace * 1000;
  next.metadata.deletionTimestamp = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  next.metadata.deletionGracePeriodSeconds = grace;
  const generation = next.metadata.generation;
  if (typeof generation === 'number' && generation > 0 && current.metadata.deletionTimestamp === undefined) {
    next.metadata.generation = generation + 1;
  }
  return next;
}
