/**
 * kube-controller-manager's Deployment controller (pkg/controller/deployment): one ReplicaSet per
 * Pod template, named `<deployment>-<pod-template-hash>`, labelled and selected by that hash,
 * annotated with `deployment.kubernetes.io/revision` (the highest + 1; a template rolled back to
 * gets a new revision and `revision-history`), `desired-replicas` and `max-replicas`.
 *
 * RollingUpdate grows the new ReplicaSet within `replicas + maxSurge` Pods and shrinks the old
 * ones (unhealthy Pods first, then oldest ReplicaSet first) while at least
 * `replicas - maxUnavailable` stay available; Recreate scales the old ones to 0 and starts the
 * new one once their Pods are gone. Status: `observedGeneration`, `replicas`, `updatedReplicas`,
 * `readyReplicas`, `availableReplicas`, `unavailableReplicas`, and the conditions `Available`
 * (`MinimumReplicasAvailable` / `MinimumReplicasUnavailable`) and `Progressing`
 * (`NewReplicaSetCreated`, `FoundNewReplicaSet`, `ReplicaSetUpdated`, `NewReplicaSetAvailable`,
 * `ProgressDeadlineExceeded` after `progressDeadlineSeconds` without progress,
 * `DeploymentPaused` / `DeploymentResumed`), each set as `SetDeploymentCondition` sets it.
 * Old ReplicaSets past `revisionHistoryLimit` are deleted once a rollout completes.
 *
 * A paused Deployment takes no rollout step, and a change of `replicas` while several
 * ReplicaSets are active (a scaling event) is spread over them in proportion to their size
 * (`dc.scale`), as upstream; the current ReplicaSet follows the Deployment's annotations and
 * `minReadySeconds`.
 *
 * Not done: adoption of orphan ReplicaSets, hash collisions beyond a bumped `collisionCount`,
 * `terminatingReplicas` (alpha in 1.33), the status-only sync of a Deployment being deleted.
 */
import { Deployment, deepEqual, type KubeObject, Pod, ReplicaSet } from '../../core/index.js';
import type { StoredObject } from '../storage/store.js';
import {
  condition,
  countsOf,
  DESIRED_REPLICAS,
  type DeploymentCounts,
  deadlineOf,
  isComplete,
  MAX_REPLICAS,
  madeProgress,
  newReplicaSetReplicas,
  proportionalSizes,
  REVISION,
  REVISION_HISTORY,
  revisionOf,
  rolloutLimits,
  setCondition,
  specReplicas,
  statusCount,
  withoutHash,
} from './deployment-rollout.js';
import {
  type Condition,
  clone,
  conditionOf,
  conditionsOf,
  controllerKey,
  controllerRef,
  isControlledBy,
  isFinished,
  KCM,
  num,
  ownerReferenceTo,
  specOf,
  statusOf,
  templateHash,
} from './objects.js';
import { type ControllerRuntime, copyOf } from './runtime.js';
import type { BuiltinController } from './types.js';

/** `skipCopyAnnotation`: Deployment annotations its ReplicaSets do not take. */
const SKIPPED_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);

/** `HasProgressDeadline`. */
function hasProgressDeadline(d: KubeObject): boolean {
  const s = specOf(d).progressDeadlineSeconds;
  return typeof s === 'number' && s !== 2147483647;
}

/** The counts of the stored status, for `DeploymentComplete(d, &d.Status)`. */
function storedCounts(d: KubeObject): DeploymentCounts {
  const s = statusOf(d);
  return {
    replicas: num(s.replicas, 0),
    updatedReplicas: num(s.updatedReplicas, 0),
    readyReplicas: num(s.readyReplicas, 0),
    availableReplicas: num(s.availableReplicas, 0),
    unavailableReplicas: num(s.unavailableReplicas, 0),
  };
}

function byCreation(a: StoredObject, b: StoredObject): number {
  const ta = Date.parse(String(a.object.metadata.creationTimestamp ?? '')) || 0;
  const tb = Date.parse(String(b.object.metadata.creationTimestamp ?? '')) || 0;
  return ta - tb || a.rv - b.rv;
}

/** Runs Deployments. */
export class DeploymentController implements BuiltinController {
  readonly name = 'deployment' as const;

  constructor(private readonly rt: ControllerRuntime) {
    rt.watch(Deployment, (e) => {
      if (e.type !== 'DELETED') rt.enqueue(this.name, e.key);
    });
    rt.watch(ReplicaSet, (e) => {
      const owner = controllerKey(e.object.object, Deployment);
      if (owner) rt.enqueue(this.name, owner);
    });
    // A Recreate rollout waits for the old Pods to be gone (deletePod in the upstream controller).
    rt.watch(Pod, (e) => {
      if (e.type !== 'DELETED') return;
      const rsKey = controllerKey(e.object.object, ReplicaSet);
      const rs = rsKey === undefined ? undefined : rt.getByKey(ReplicaSet, rsKey);
      const owner = rs && controllerKey(rs.object, Deployment);
      if (owner) rt.enqueue(this.name, owner);
    });
  }

  sync(key: string): void {
    const stored = this.rt.getByKey(Deployment, key);
    if (!stored || stored.object.metadata.deletionTimestamp !== undefined) return;
    const d = stored.object;
    let all = this.replicaSets(d);
    const template = specOf(d).template;
    let newRS = all.find((rs) => deepEqual(withoutHash(specOf(rs.object).template), withoutHash(template)));
    const old = () => all.filter((rs) => rs !== newRS).sort(byCreation);
    const paused = specOf(d).paused === true;
    const now = this.rt.timestamp();
    let conditions = this.pausedConditions(d, now);
    let revision = d.metadata.annotations?.[REVISION];
    const maxOldRevision = Math.max(0, ...old().map((rs) => revisionOf(rs.object)));
    if (newRS) {
      newRS = this.syncNewReplicaSet(d, newRS, maxOldRevision + 1) ?? newRS;
      all = all.map((rs) => (rs.key === newRS?.key ? newRS : rs));
      revision = newRS.object.metadata.annotations?.[REVISION] ?? revision;
    }

    if (paused || this.isScalingEvent(d, all)) {
      // dc.sync: no rollout step, only the scale (proportional across the active ReplicaSets).
      all = this.scaleProportionally(d, newRS, all);
      newRS = all.find((rs) => rs.key === newRS?.key) ?? newRS;
      this.writeStatus(stored, all, newRS, conditions, revision, false);
      if (paused) this.cleanup(d, all);
      return;
    }

    if (newRS) {
      if (!conditionOf(d, 'Progressing') && hasProgressDeadline(d)) {
        conditions = setCondition(
          conditions,
          condition(
            'Progressing',
            'True',
            'FoundNewReplicaSet',
            `Found new replica set "${newRS.object.metadata.name}"`,
            now,
          ),
        );
      }
    } else {
      const created = this.createReplicaSet(stored, all, maxOldRevision + 1);
      if (!created) return;
      newRS = created;
      all = [...all, created];
      revision = newRS.object.metadata.annotations?.[REVISION] ?? revision;
      if (hasProgressDeadline(d)) {
        conditions = setCondition(
          conditions,
          condition(
            'Progressing',
            'True',
            'NewReplicaSetCreated',
            `Created new replica set "${created.object.metadata.name}"`,
            now,
          ),
        );
      }
    }
    all = this.rollout(d, newRS, all);
    newRS = all.find((rs) => rs.key === newRS?.key) ?? newRS;
    // cleanupDeployment runs once the stored status says the rollout is complete.
    if (isComplete(d, storedCounts(d)) && num(statusOf(d).observedGeneration, 0) >= num(d.metadata.generation, 0)) {
      this.cleanup(d, all);
    }
    this.writeStatus(stored, all, newRS, conditions, revision, true);
  }

  /**
   * `checkPausedConditions`: pausing sets Progressing Unknown `DeploymentPaused`, resuming
   * `DeploymentResumed`, unless the Deployment has no deadline or already timed out.
   */
  private pausedConditions(d: KubeObject, now: string): Condition[] {
    const conditions = conditionsOf(d);
    if (!hasProgressDeadline(d)) return conditions;
    const progressing = conditionOf(d, 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') return conditions;
    const pausedNoted = progressing?.reason === 'DeploymentPaused';
    if (specOf(d).paused === true && !pausedNoted) {
      return setCondition(
        conditions,
        condition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', now),
      );
    }
    if (specOf(d).paused !== true && pausedNoted) {
      return setCondition(
        conditions,
        condition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed', now),
      );
    }
    return conditions;
  }

  /** `isScalingEvent`: an active ReplicaSet was sized for another `replicas` than the Deployment's. */
  private isScalingEvent(d: KubeObject, all: readonly StoredObject[]): boolean {
    const replicas = num(specOf(d).replicas, 1);
    return all.some((rs) => {
      if (specReplicas(rs.object) === 0) return false;
      const desired = rs.object.metadata.annotations?.[DESIRED_REPLICAS];
      return desired !== undefined && Number(desired) !== replicas;
    });
  }

  /** Applies {@link proportionalSizes}; answers the ReplicaSets as they are afterwards. */
  private scaleProportionally(d: KubeObject, newRS: StoredObject | undefined, all: StoredObject[]): StoredObject[] {
    const olds = all.filter((rs) => rs.key !== newRS?.key);
    const sizes = proportionalSizes(d, newRS, olds);
    return all.map((rs) => {
      const size = sizes.get(rs.key);
      return size === undefined ? rs : (this.scale(d, rs, size) ?? rs);
    });
  }

  private replicaSets(d: KubeObject): StoredObject[] {
    return this.rt.list(ReplicaSet, d.metadata.namespace).filter((rs) => isControlledBy(rs.object, d));
  }

  /**
   * `getNewReplicaSet` for an existing new ReplicaSet (`SetNewReplicaSetAnnotations`): it takes
   * the Deployment's annotations (not the revision, replica or last-applied ones), the next
   * revision when an older one came back (a rollback, remembered in `revision-history`), and the
   * Deployment's `minReadySeconds`.
   */
  private syncNewReplicaSet(d: KubeObject, rs: StoredObject, revision: number): StoredObject | undefined {
    const next = copyOf(rs);
    const annotations: Record<string, string> = { ...(next.metadata.annotations ?? {}) };
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {}))
      if (!SKIPPED_ANNOTATIONS.has(k)) annotations[k] = v;
    const current = revisionOf(rs.object);
    if (current < revision) {
      annotations[REVISION] = String(revision);
      if (current > 0) {
        const history = annotations[REVISION_HISTORY];
        annotations[REVISION_HISTORY] = history ? `${history},${current}` : String(current);
      }
    }
    next.metadata.annotations = annotations;
    const minReady = specOf(d).minReadySeconds;
    const spec = { ...specOf(next) };
    if (typeof minReady === 'number' && minReady !== 0) spec.minReadySeconds = minReady;
    else delete spec.minReadySeconds;
    next.spec = spec;
    return this.rt.update(this.name, KCM, ReplicaSet, rs, next);
  }

  private createReplicaSet(stored: StoredObject, all: StoredObject[], revision: number): StoredObject | undefined {
    const d = stored.object;
    const collisions = num(statusOf(d).collisionCount, 0);
    const template = clone(specOf(d).template ?? {}) as { metadata?: KubeObject['metadata'] };
    const hash = templateHash(template, collisions);
    const name = `${String(d.metadata.name)}-${hash}`;
    if (this.rt.get(ReplicaSet, d.metadata.namespace, name)) {
      // Same name, other template: `collisionCount` goes up and the next sync hashes anew.
      const next = copyOf(stored);
      next.status = { ...statusOf(d), collisionCount: collisions + 1 };
      this.rt.update(this.name, KCM, Deployment, stored, next, 'status');
      return undefined;
    }
    const labels = { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash };
    template.metadata = { ...(template.metadata ?? {}), labels };
    const selector = clone((specOf(d).selector ?? {}) as Record<string, unknown>);
    selector.matchLabels = { ...((selector.matchLabels as Record<string, string>) ?? {}), 'pod-template-hash': hash };
    const { replicas, maxSurge } = rolloutLimits(d);
    const recreate = (specOf(d).strategy as { type?: string } | undefined)?.type === 'Recreate';
    const hasOldPods = all.some((rs) => specReplicas(rs.object) > 0 || statusCount(rs.object, 'replicas') > 0);
    const start = recreate
      ? hasOldPods
        ? 0
        : replicas
      : newReplicaSetReplicas(
          d,
          all.map((rs) => rs.object),
          0,
        );
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {}))
      if (!SKIPPED_ANNOTATIONS.has(k)) annotations[k] = v;
    annotations[DESIRED_REPLICAS] = String(replicas);
    annotations[MAX_REPLICAS] = String(replicas + maxSurge);
    annotations[REVISION] = String(revision);
    const minReady = specOf(d).minReadySeconds;
    const rs: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata.namespace,
        labels,
        annotations,
        ownerReferences: [ownerReferenceTo(d, Deployment)],
      },
      spec: {
        replicas: start,
        ...(typeof minReady === 'number' ? { minReadySeconds: minReady } : {}),
        selector,
        template,
      },
    };
    return this.rt.create(this.name, KCM, ReplicaSet, rs);
  }

  /** Scales the ReplicaSets one rollout step; answers them as they are afterwards. */
  private rollout(d: KubeObject, newRS: StoredObject, all: StoredObject[]): StoredObject[] {
    const { replicas, maxUnavailable } = rolloutLimits(d);
    const byKey = new Map(all.map((rs) => [rs.key, rs]));
    const set = (rs: StoredObject, n: number) => {
      const scaled = this.scale(d, rs, n);
      if (scaled) byKey.set(rs.key, scaled);
    };
    const olds = () => [...byKey.values()].filter((rs) => rs.key !== newRS.key).sort(byCreation);
    const current = () => byKey.get(newRS.key) ?? newRS;
    const recreate = (specOf(d).strategy as { type?: string } | undefined)?.type === 'Recreate';
    if (recreate) {
      for (const rs of olds()) set(rs, 0);
      // oldPodsRunning: a terminating Pod of an old ReplicaSet still holds the new one back.
      const oldUids = new Set(olds().map((rs) => String(rs.object.metadata.uid)));
      const oldPodsLeft =
        olds().some((rs) => statusCount(rs.object, 'replicas') > 0) ||
        this.rt
          .list(Pod, d.metadata.namespace)
          .some((p) => !isFinished(p.object) && oldUids.has(String(controllerRef(p.object)?.uid)));
      if (!oldPodsLeft) set(current(), replicas);
      return [...byKey.values()];
    }
    // reconcileNewReplicaSet
    const newCount = specReplicas(current().object);
    if (newCount > replicas) set(current(), replicas);
    else if (newCount < replicas) {
      set(
        current(),
        newReplicaSetReplicas(
          d,
          [...byKey.values()].map((rs) => rs.object),
          newCount,
        ),
      );
    }
    // reconcileOldReplicaSets
    const oldCount = olds().reduce((n, rs) => n + specReplicas(rs.object), 0);
    if (oldCount > 0) {
      const allCount = [...byKey.values()].reduce((n, rs) => n + specReplicas(rs.object), 0);
      const minAvailable = replicas - maxUnavailable;
      const newUnavailable = specReplicas(current().object) - statusCount(current().object, 'availableReplicas');
      const maxScaledDown = allCount - minAvailable - newUnavailable;
      if (maxScaledDown > 0) {
        // cleanupUnhealthyReplicas: unavailable old Pods go first, they cost no availability.
        let cleaned = 0;
        for (const rs of olds()) {
          if (cleaned >= maxScaledDown) break;
          const size = specReplicas(rs.object);
          const unhealthy = size - statusCount(rs.object, 'availableReplicas');
          if (size === 0 || unhealthy <= 0) continue;
          const down = Math.min(maxScaledDown - cleaned, unhealthy);
          set(rs, size - down);
          cleaned += down;
        }
        // scaleDownOldReplicaSetsForRollingUpdate: then available ones, down to the minimum.
        const available = [...byKey.values()].reduce((n, rs) => n + statusCount(rs.object, 'availableReplicas'), 0);
        let budget = Math.min(available - minAvailable, maxScaledDown - cleaned);
        for (const rs of olds()) {
          if (budget <= 0) break;
          const size = specReplicas(rs.object);
          if (size === 0) continue;
          const down = Math.min(size, budget);
          set(rs, size - down);
          budget -= down;
        }
      }
    }
    return [...byKey.values()];
  }

  /** Sets a ReplicaSet's replicas (and its replica annotations); undefined when nothing changed. */
  private scale(d: KubeObject, rs: StoredObject, replicas: number): StoredObject | undefined {
    const { replicas: desired, maxSurge } = rolloutLimits(d);
    const annotations = rs.object.metadata.annotations ?? {};
    if (
      specReplicas(rs.object) === replicas &&
      annotations[DESIRED_REPLICAS] === String(desired) &&
      annotations[MAX_REPLICAS] === String(desired + maxSurge)
    ) {
      return undefined;
    }
    const next = copyOf(rs);
    next.spec = { ...specOf(next), replicas };
    next.metadata.annotations = {
      ...annotations,
      [DESIRED_REPLICAS]: String(desired),
      [MAX_REPLICAS]: String(desired + maxSurge),
    };
    return this.rt.update(this.name, KCM, ReplicaSet, rs, next);
  }

  private writeStatus(
    stored: StoredObject,
    all: StoredObject[],
    newRS: StoredObject | undefined,
    startConditions: ReturnType<typeof conditionsOf>,
    revision: string | undefined,
    estimateProgress: boolean,
  ): void {
    const d = stored.object;
    const now = this.rt.timestamp();
    const counts = countsOf(
      all.map((rs) => rs.object),
      newRS?.object,
    );
    const { replicas, maxUnavailable } = rolloutLimits(d);
    let conditions = startConditions;
    conditions = setCondition(
      conditions,
      counts.availableReplicas >= replicas - maxUnavailable
        ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now)
        : condition(
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
            now,
          ),
    );
    const progressing = conditions.find((c) => c.type === 'Progressing');
    const rsName = newRS ? String(newRS.object.metadata.name) : undefined;
    let recheckAt: number | undefined;
    // syncRolloutStatus estimates progress; a paused Deployment or a scaling event only reports.
    if (estimateProgress && !hasProgressDeadline(d)) {
      conditions = conditions.filter((c) => c.type !== 'Progressing');
    } else if (estimateProgress) {
      const done = counts.replicas === counts.updatedReplicas && progressing?.reason === 'NewReplicaSetAvailable';
      if (!done) {
        const probe = { ...d, status: { ...statusOf(d), conditions } };
        if (isComplete(d, counts)) {
          conditions = setCondition(
            conditions,
            condition(
              'Progressing',
              'True',
              'NewReplicaSetAvailable',
              rsName
                ? `ReplicaSet "${rsName}" has successfully progressed.`
                : `Deployment "${d.metadata.name}" has successfully progressed.`,
              now,
            ),
          );
        } else if (madeProgress(d, counts)) {
          const c = condition(
            'Progressing',
            'True',
            'ReplicaSetUpdated',
            rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${d.metadata.name}" is progressing.`,
            now,
          );
          const before = conditions.find((x) => x.type === 'Progressing');
          if (before?.status === 'True') c.lastTransitionTime = before.lastTransitionTime;
          conditions = [...conditions.filter((x) => x.type !== 'Progressing'), c];
        } else {
          const deadline = deadlineOf(probe);
          const timedOut =
            progressing?.reason === 'ProgressDeadlineExceeded' || (deadline !== undefined && deadline < this.rt.now());
          if (timedOut) {
            conditions = setCondition(
              conditions,
              condition(
                'Progressing',
                'False',
                'ProgressDeadlineExceeded',
                rsName
                  ? `ReplicaSet "${rsName}" has timed out progressing.`
                  : `Deployment "${d.metadata.name}" has timed out progressing.`,
                now,
              ),
            );
          } else if (deadline !== undefined) recheckAt = deadline + 1000;
        }
      }
    }
    const status: Record<string, unknown> = {
      observedGeneration: d.metadata.generation,
      replicas: counts.replicas,
      updatedReplicas: counts.updatedReplicas,
      readyReplicas: counts.readyReplicas,
      availableReplicas: counts.availableReplicas,
      unavailableReplicas: counts.unavailableReplicas,
      conditions,
    };
    for (const f of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'])
      if (status[f] === 0) delete status[f];
    const collisions = statusOf(d).collisionCount;
    if (typeof collisions === 'number') status.collisionCount = collisions;
    const annotations = { ...(d.metadata.annotations ?? {}) };
    if (revision !== undefined) annotations[REVISION] = revision;
    this.rt.updateStatusAndAnnotations(this.name, KCM, Deployment, stored, status, annotations);
    if (recheckAt !== undefined) this.rt.after(this.name, stored.key, recheckAt - this.rt.now());
  }

  /**
   * `cleanupDeployment`: of the old ReplicaSets not being deleted, the oldest revisions beyond
   * `revisionHistoryLimit` go, each only once it is scaled to zero, has no Pods and was observed.
   */
  private cleanup(d: KubeObject, all: StoredObject[]): void {
    const limit = specOf(d).revisionHistoryLimit;
    if (typeof limit !== 'number') return;
    const template = specOf(d).template;
    const olds = all
      .filter((rs) => !deepEqual(withoutHash(specOf(rs.object).template), withoutHash(template)))
      .filter((rs) => rs.object.metadata.deletionTimestamp === undefined)
      .sort((a, b) => revisionOf(a.object) - revisionOf(b.object) || byCreation(a, b));
    for (const rs of olds.slice(0, Math.max(0, olds.length - limit))) {
      const empty =
        specReplicas(rs.object) === 0 &&
        statusCount(rs.object, 'replicas') === 0 &&
        num(statusOf(rs.object).observedGeneration, 0) >= num(rs.object.metadata.generation, 0);
      if (empty) this.rt.delete(this.name, KCM, ReplicaSet, rs);
    }
  }
}
