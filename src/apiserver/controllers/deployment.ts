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
 * Not done: proportional scaling of several ReplicaSets when `replicas` changes mid-rollout (the
 * rolling step converges instead), adoption of orphan ReplicaSets, hash collisions beyond a
 * bumped `collisionCount`.
 */
import { Deployment, deepEqual, type KubeObject, Pod, ReplicaSet } from '../../core/index.js';
import type { StoredObject } from '../storage/store.js';
import {
  condition,
  countsOf,
  DESIRED_REPLICAS,
  deadlineOf,
  isComplete,
  MAX_REPLICAS,
  madeProgress,
  newReplicaSetReplicas,
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

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

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
    let conditions = conditionsOf(d);
    const now = this.rt.timestamp();
    let revision = d.metadata.annotations?.[REVISION];

    if (!paused) {
      const maxOldRevision = Math.max(0, ...old().map((rs) => revisionOf(rs.object)));
      if (newRS) {
        newRS = this.bumpRevision(newRS, maxOldRevision + 1) ?? newRS;
        if (!conditionOf(d, 'Progressing') && typeof specOf(d).progressDeadlineSeconds === 'number') {
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
        if (typeof specOf(d).progressDeadlineSeconds === 'number') {
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
      revision = newRS.object.metadata.annotations?.[REVISION] ?? revision;
      all = this.rollout(d, newRS, all);
      newRS = all.find((rs) => rs.key === newRS?.key) ?? newRS;
    } else if (newRS) {
      // Paused: scaling still applies to the current ReplicaSet (no new rollout starts).
      newRS = this.scale(d, newRS, num(specOf(d).replicas, 1)) ?? newRS;
      all = all.map((rs) => (rs.key === newRS?.key ? newRS : rs));
    }
    this.writeStatus(stored, all, newRS, conditions, revision, paused);
  }

  private replicaSets(d: KubeObject): StoredObject[] {
    return this.rt.list(ReplicaSet, d.metadata.namespace).filter((rs) => isControlledBy(rs.object, d));
  }

  /** A template that comes back (a rollback) takes the next revision and remembers its old one. */
  private bumpRevision(rs: StoredObject, revision: number): StoredObject | undefined {
    const current = revisionOf(rs.object);
    if (current >= revision) return rs;
    const next = copyOf(rs);
    const annotations: Record<string, string> = { ...(next.metadata.annotations ?? {}), [REVISION]: String(revision) };
    if (current > 0) {
      const history = annotations[REVISION_HISTORY];
      annotations[REVISION_HISTORY] = history ? `${history},${current}` : String(current);
    }
    next.metadata.annotations = annotations;
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
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
      if (k !== LAST_APPLIED && k !== REVISION && k !== REVISION_HISTORY) annotations[k] = v;
    }
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
    paused: boolean,
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
    if (paused) {
      if (progressing?.reason !== 'DeploymentPaused') {
        conditions = setCondition(
          conditions,
          condition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', now),
        );
      }
    } else if (typeof specOf(d).progressDeadlineSeconds === 'number') {
      if (progressing?.reason === 'DeploymentPaused') {
        conditions = setCondition(
          conditions,
          condition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed', now),
        );
      }
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
    this.cleanup(d, all);
  }

  /** Deletes old, empty ReplicaSets beyond `revisionHistoryLimit`. */
  private cleanup(d: KubeObject, all: StoredObject[]): void {
    const limit = specOf(d).revisionHistoryLimit;
    if (typeof limit !== 'number') return;
    const template = specOf(d).template;
    const olds = all
      .filter((rs) => !deepEqual(withoutHash(specOf(rs.object).template), withoutHash(template)))
      .filter(
        (rs) =>
          specReplicas(rs.object) === 0 &&
          statusCount(rs.object, 'replicas') === 0 &&
          num(statusOf(rs.object).observedGeneration, 0) >= num(rs.object.metadata.generation, 0) &&
          rs.object.metadata.deletionTimestamp === undefined,
      )
      .sort(byCreation);
    for (const rs of olds.slice(0, Math.max(0, olds.length - limit))) this.rt.delete(this.name, KCM, ReplicaSet, rs);
  }
}
