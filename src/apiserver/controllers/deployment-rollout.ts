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
