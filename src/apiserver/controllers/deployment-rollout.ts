/**
 * The arithmetic of a Deployment rollout, as pkg/controller/deployment/util/deployment_util.go and
 * rolling.go compute it: `maxSurge`/`maxUnavailable` resolved against `replicas` (surge rounds
 * up, unavailable down, both 0 means 1 unavailable), how far the new ReplicaSet may grow, how far
 * the old ones may shrink without going under the minimum available, and the status the
 * Deployment reports with its `Available` and `Progressing` conditions. Pure functions.
 */
import { isPlainObject, type KubeObject } from '../../core/index.js';
import { type Condition, conditionOf, num, specOf, statusOf } from './objects.js';

/** The Deployment's revision annotation (also on each ReplicaSet). */
export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';

/** `intstr.GetScaledValueFromIntOrPercent`. */
export function scaled(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const m = /^(\d+)%$/.exec(value);
    if (m) {
      const exact = (Number(m[1]) * total) / 100;
      return roundUp ? Math.ceil(exact) : Math.floor(exact);
    }
    const n = Number(value);
    if (Number.isInteger(n)) return n;
  }
  return 0;
}

/** `replicas`, `maxSurge` and `maxUnavailable` of a Deployment (Recreate: 0 and 0). */
export function rolloutLimits(d: KubeObject): { replicas: number; maxSurge: number; maxUnavailable: number } {
  const replicas = num(specOf(d).replicas, 1);
  const strategy = isPlainObject(specOf(d).strategy) ? (specOf(d).strategy as Record<string, unknown>) : {};
  if (strategy.type === 'Recreate') return { replicas, maxSurge: 0, maxUnavailable: 0 };
  const rolling = isPlainObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
  const maxSurge = scaled(rolling.maxSurge ?? '25%', replicas, true);
  let maxUnavailable = scaled(rolling.maxUnavailable ?? '25%', replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { replicas, maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

/** `spec.replicas` of a ReplicaSet. */
export function specReplicas(rs: KubeObject): number {
  return num(specOf(rs).replicas, 0);
}

/** A count from a ReplicaSet's status. */
export function statusCount(rs: KubeObject, field: string): number {
  return num(statusOf(rs)[field], 0);
}

/** The revision of a ReplicaSet (0 when unset or unreadable). */
export function revisionOf(obj: KubeObject): number {
  const n = Number(obj.metadata.annotations?.[REVISION]);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** `NewRSNewReplicas` for a rolling update: what the new ReplicaSet may grow to now. */
export function newReplicaSetReplicas(d: KubeObject, all: readonly KubeObject[], newReplicas: number): number {
  const { replicas, maxSurge } = rolloutLimits(d);
  const current = all.reduce((n, rs) => n + specReplicas(rs), 0);
  const maxTotal = replicas + maxSurge;
  if (current >= maxTotal) return newReplicas;
  return newReplicas + Math.max(0, Math.min(maxTotal - current, replicas - newReplicas));
}

/** `SetDeploymentCondition`: same status and reason: unchanged; else replaced and moved last. */
export function setCondition(list: Condition[], next: Condition): Condition[] {
  const current = list.find((c) => c.type === next.type);
  if (current && current.status === next.status && current.reason === next.reason) return list;
  const written = { ...next };
  if (current && current.status === next.status) written.lastTransitionTime = current.lastTransitionTime;
  return [...list.filter((c) => c.type !== next.type), written];
}

/** A new Deployment condition stamped `now` (both times, as `NewDeploymentCondition`). */
export function condition(
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
  now: string,
): Condition {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** The counts `calculateStatus` reports over all ReplicaSets and the new one. */
export interface DeploymentCounts {
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  unavailableReplicas: number;
}

/** `calculateStatus`'s counts. */
export function countsOf(all: readonly KubeObject[], newRS: KubeObject | undefined): DeploymentCounts {
  const sum = (field: string) => all.reduce((n, rs) => n + statusCount(rs, field), 0);
  const available = sum('availableReplicas');
  const total = all.reduce((n, rs) => n + specReplicas(rs), 0);
  return {
    replicas: sum('replicas'),
    updatedReplicas: newRS ? statusCount(newRS, 'replicas') : 0,
    readyReplicas: sum('readyReplicas'),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
}

/** `DeploymentComplete`. */
export function isComplete(d: KubeObject, counts: DeploymentCounts): boolean {
  const replicas = num(specOf(d).replicas, 1);
  return counts.updatedReplicas === replicas && counts.replicas === replicas && counts.availableReplicas === replicas;
}

/** `DeploymentProgressing`: any progress since the stored status. */
export function madeProgress(d: KubeObject, counts: DeploymentCounts): boolean {
  const old = statusOf(d);
  const oldUpdated = num(old.updatedReplicas, 0);
  const oldOld = num(old.replicas, 0) - oldUpdated;
  const newOld = counts.replicas - counts.updatedReplicas;
  return (
    counts.updatedReplicas > oldUpdated ||
    newOld < oldOld ||
    counts.readyReplicas > num(old.readyReplicas, 0) ||
    counts.availableReplicas > num(old.availableReplicas, 0)
  );
}

/**
 * When the Progressing condition (last updated at `lastUpdate`, ms) times out, or undefined when
 * the Deployment has no deadline.
 */
export function deadlineOf(d: KubeObject): number | undefined {
  const seconds = specOf(d).progressDeadlineSeconds;
  if (typeof seconds !== 'number') return undefined;
  const progressing = conditionOf(d, 'Progressing');
  const from = Date.parse(String(progressing?.lastUpdateTime ?? ''));
  return Number.isFinite(from) ? from + seconds * 1000 : undefined;
}

/** A template without the `pod-template-hash` label, to compare a ReplicaSet's with the Deployment's. */
export function withoutHash(template: unknown): unknown {
  if (!isPlainObject(template)) return template;
  const meta = isPlainObject(template.metadata) ? template.metadata : {};
  const labels = isPlainObject(meta.labels) ? { ...meta.labels } : undefined;
  if (labels) delete labels['pod-template-hash'];
  const metadata = { ...meta };
  if (labels && Object.keys(labels).length > 0) metadata.labels = labels;
  else delete metadata.labels;
  return { ...template, metadata };
}

/** A ReplicaSet as the scaling arithmetic sees it. */
export interface SizedReplicaSet {
  readonly key: string;
  readonly object: KubeObject;
}

function createdMs(rs: KubeObject): number {
  return Date.parse(String(rs.metadata.creationTimestamp ?? '')) || 0;
}

/** `ReplicaSetsByCreationTimestamp`: older first, then by name. */
export function byCreationTimestamp(a: KubeObject, b: KubeObject): number {
  return createdMs(a) - createdMs(b) || String(a.metadata.name).localeCompare(String(b.metadata.name));
}

/** `IsSaturated`: the new ReplicaSet runs all the replicas the Deployment wants, all available. */
export function isSaturated(d: KubeObject, rs: KubeObject | undefined): boolean {
  if (!rs) return false;
  const desired = Number(rs.metadata.annotations?.[DESIRED_REPLICAS]);
  const replicas = num(specOf(d).replicas, 1);
  return (
    Number.isInteger(desired) &&
    specReplicas(rs) === replicas &&
    desired === replicas &&
    statusCount(rs, 'availableReplicas') === replicas
  );
}

/** `getReplicaSetFraction`: how much of a scaling event one ReplicaSet takes (negative: gives). */
function replicaSetFraction(rs: KubeObject, d: KubeObject): number {
  const { replicas, maxSurge } = rolloutLimits(d);
  if (replicas === 0) return -specReplicas(rs);
  const maxNow = replicas + maxSurge;
  let maxBefore = Number(rs.metadata.annotations?.[MAX_REPLICAS]);
  if (!Number.isInteger(maxBefore) || maxBefore === 0) {
    // No readable annotation: the Deployment's current size stands in for it, as upstream.
    maxBefore = num(statusOf(d).replicas, 0);
    if (maxBefore === 0) return 0;
  }
  return Math.round((specReplicas(rs) * maxNow) / maxBefore) - specReplicas(rs);
}

/**
 * `DeploymentController.scale` (sync.go): the sizes the ReplicaSets take on a scaling event or
 * while the Deployment is paused. The one active (or newest) ReplicaSet takes all the replicas; a
 * saturated new one leaves the old ones nothing; otherwise a RollingUpdate Deployment spreads
 * `replicas + maxSurge - current` over its active ReplicaSets in proportion to their size, the
 * rounding leftover to the largest. Answers the new size of each ReplicaSet that changes size or
 * whose annotations the scale rewrites (key -> size).
 */
export function proportionalSizes(
  d: KubeObject,
  newRS: SizedReplicaSet | undefined,
  oldRSs: readonly SizedReplicaSet[],
): Map<string, number> {
  const out = new Map<string, number>();
  const replicas = num(specOf(d).replicas, 1);
  const all = [...(newRS ? [newRS] : []), ...oldRSs];
  const active = all.filter((rs) => specReplicas(rs.object) > 0);
  // FindActiveOrLatest
  if (active.length <= 1 && all.length > 0) {
    const newestOld = [...oldRSs].sort((a, b) => byCreationTimestamp(b.object, a.object))[0];
    const target = active[0] ?? newRS ?? newestOld;
    if (target) out.set(target.key, replicas);
    return out;
  }
  if (isSaturated(d, newRS?.object)) {
    for (const rs of oldRSs) if (specReplicas(rs.object) > 0) out.set(rs.key, 0);
    return out;
  }
  const strategy = specOf(d).strategy as { type?: string } | undefined;
  if (strategy?.type === 'Recreate') return out;
  const { maxSurge } = rolloutLimits(d);
  const current = active.reduce((n, rs) => n + specReplicas(rs.object), 0);
  const allowed = replicas > 0 ? replicas + maxSurge : 0;
  const toAdd = allowed - current;
  // Larger first; ties: newer first when growing (ReplicaSetsBySizeNewer), older first when shrinking.
  const ordered = [...active].sort(
    (a, b) =>
      specReplicas(b.object) - specReplicas(a.object) ||
      (toAdd > 0 ? byCreationTimestamp(b.object, a.object) : byCreationTimestamp(a.object, b.object)),
  );
  const sizes = new Map<string, number>();
  let added = 0;
  for (const rs of ordered) {
    let proportion = 0;
    if (toAdd !== 0 && added !== toAdd) {
      const fraction = replicaSetFraction(rs.object, d);
      const allowedNow = toAdd - added;
      proportion = toAdd > 0 ? Math.min(fraction, allowedNow) : Math.max(fraction, allowedNow);
    }
    sizes.set(rs.key, specReplicas(rs.object) + proportion);
    added += proportion;
  }
  if (toAdd !== 0 && ordered.length > 0) {
    const largest = ordered[0].key;
    sizes.set(largest, Math.max(0, (sizes.get(largest) ?? 0) + toAdd - added));
  }
  for (const [key, size] of sizes) out.set(key, size);
  return out;
}
