/**
 * kube-controller-manager's StatefulSet controller (pkg/controller/statefulset): Pods
 * `<set>-0` ... `<set>-(n-1)` with `hostname` and `subdomain` (the governing Service), labels
 * `controller-revision-hash` (the revision's name), `statefulset.kubernetes.io/pod-name` and
 * `apps.kubernetes.io/pod-index`. With `OrderedReady` (the default) Pod i+1 is created only once
 * Pod i is Running and Ready, scale-down removes the highest ordinal first and one at a time, and
 * a RollingUpdate replaces Pods from the highest ordinal down to `partition`, one at a time,
 * each when all others are Running and Ready; `Parallel` creates and deletes without waiting.
 * Revisions are ControllerRevisions (`revisions.ts`). Status: `observedGeneration`, `replicas`,
 * `readyReplicas`, `currentReplicas`, `updatedReplicas`, `availableReplicas`,
 * `currentRevision`, `updateRevision`, `collisionCount`.
 *
 * Not done: `volumeClaimTemplates` (no PersistentVolumeClaims are created), `maxUnavailable`
 * of rolling updates (alpha), `ordinals.start`.
 */
import { type KubeObject, Pod, StatefulSet } from '../../core/index.js';
import type { StoredObject } from '../storage/store.js';
import {
  availableAt,
  controllerKey,
  isControlledBy,
  isReady,
  isTerminating,
  KCM,
  num,
  phaseOf,
  specOf,
  statusOf,
} from './objects.js';
import { podFromTemplate } from './replicaset.js';
import { ensureRevision, pruneRevisions, type Revision, revisionByName } from './revisions.js';
import { type ControllerRuntime, copyOf } from './runtime.js';
import type { BuiltinController } from './types.js';

const REVISION_LABEL = 'controller-revision-hash';

function ordinalOf(set: KubeObject, pod: KubeObject): number | undefined {
  const prefix = `${String(set.metadata.name)}-`;
  const name = String(pod.metadata.name);
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

function runningAndReady(pod: KubeObject): boolean {
  return phaseOf(pod) === 'Running' && isReady(pod) && !isTerminating(pod);
}

/** Runs StatefulSets. */
export class StatefulSetController implements BuiltinController {
  readonly name = 'statefulset' as const;

  constructor(private readonly rt: ControllerRuntime) {
    rt.watch(StatefulSet, (e) => {
      if (e.type !== 'DELETED') rt.enqueue(this.name, e.key);
    });
    rt.watch(Pod, (e) => {
      const owner = controllerKey(e.object.object, StatefulSet);
      if (owner) rt.enqueue(this.name, owner);
    });
  }

  sync(key: string): void {
    const stored = this.rt.getByKey(StatefulSet, key);
    if (!stored || stored.object.metadata.deletionTimestamp !== undefined) return;
    const set = stored.object;
    const update = ensureRevision(this.rt, this.name, set, StatefulSet);
    if (!update) return;
    const currentName =
      typeof statusOf(set).currentRevision === 'string' ? String(statusOf(set).currentRevision) : update.name;
    const current = revisionByName(this.rt, set, currentName) ?? update;
    const replicas = num(specOf(set).replicas, 1);
    const ordered = specOf(set).podManagementPolicy !== 'Parallel';
    const strategy = (specOf(set).updateStrategy ?? {}) as { type?: string; rollingUpdate?: { partition?: number } };
    const partition = num(strategy.rollingUpdate?.partition, 0);
    const pods = new Map<number, StoredObject>();
    const condemned: { ordinal: number; pod: StoredObject }[] = [];
    for (const pod of this.rt.list(Pod, set.metadata.namespace)) {
      if (!isControlledBy(pod.object, set)) continue;
      const ordinal = ordinalOf(set, pod.object);
      if (ordinal === undefined) continue;
      if (ordinal < replicas) pods.set(ordinal, pod);
      else condemned.push({ ordinal, pod });
    }
    let blocked = false;
    for (let i = 0; i < replicas && !blocked; i++) {
      const pod = pods.get(i);
      if (!pod) {
        const revision = strategy.type !== 'OnDelete' && i < partition ? current : update;
        const created = this.createPod(set, i, revision);
        if (created) pods.set(i, created);
        if (ordered) blocked = true;
        continue;
      }
      if (phaseOf(pod.object) === 'Failed' || phaseOf(pod.object) === 'Succeeded') {
        // A finished Pod is replaced: deleted now, created again on a later sync.
        if (!isTerminating(pod.object)) this.rt.delete(this.name, KCM, Pod, pod);
        if (ordered) blocked = true;
        continue;
      }
      if (ordered && !runningAndReady(pod.object)) blocked = true;
    }
    // Scale down: the highest ordinal first; in order, one at a time and only when all is ready.
    condemned.sort((a, b) => b.ordinal - a.ordinal);
    for (const { pod } of condemned) {
      if (isTerminating(pod.object)) {
        if (ordered) break;
        continue;
      }
      if (ordered && blocked) break;
      this.rt.delete(this.name, KCM, Pod, pod);
      if (ordered) break;
    }
    // Rolling update: from the highest ordinal down to the partition, one Pod at a time.
    if (strategy.type !== 'OnDelete' && condemned.length === 0) {
      const all = [...pods.values()];
      const allReady = all.length === replicas && all.every((p) => runningAndReady(p.object));
      if (allReady || !ordered) {
        for (let i = replicas - 1; i >= partition; i--) {
          const pod = pods.get(i);
          if (!pod || pod.object.metadata.labels?.[REVISION_LABEL] === update.name) continue;
          if (!isTerminating(pod.object)) this.rt.delete(this.name, KCM, Pod, pod);
          break;
        }
      }
    }
    pruneRevisions(this.rt, this.name, set, [current.name, update.name]);
    this.writeStatus(stored, current, update);
  }

  private createPod(set: KubeObject, ordinal: number, revision: Revision): StoredObject | undefined {
    const name = `${String(set.metadata.name)}-${ordinal}`;
    const pod = podFromTemplate(set, StatefulSet, revision.template, { name });
    pod.metadata.labels = {
      ...(pod.metadata.labels ?? {}),
      [REVISION_LABEL]: revision.name,
      'statefulset.kubernetes.io/pod-name': name,
      'apps.kubernetes.io/pod-index': String(ordinal),
    };
    const spec = pod.spec as Record<string, unknown>;
    spec.hostname = name;
    const serviceName = specOf(set).serviceName;
    if (typeof serviceName === 'string' && serviceName !== '') spec.subdomain = serviceName;
    return this.rt.create(this.name, KCM, Pod, pod);
  }

  private writeStatus(stored: StoredObject, current: Revision, update: Revision): void {
    const set = stored.object;
    const minReady = num(specOf(set).minReadySeconds, 0);
    const now = this.rt.now();
    let replicas = 0;
    let ready = 0;
    let available = 0;
    let currentReplicas = 0;
    let updated = 0;
    let nextAvailable: number | undefined;
    for (const pod of this.rt.list(Pod, set.metadata.namespace)) {
      if (!isControlledBy(pod.object, set) || ordinalOf(set, pod.object) === undefined) continue;
      replicas++;
      if (runningAndReady(pod.object)) {
        ready++;
        const at = availableAt(pod.object, minReady);
        if (at !== undefined && at <= now) available++;
        else if (at !== undefined) nextAvailable = Math.min(nextAvailable ?? at, at);
      }
      if (isTerminating(pod.object)) continue;
      const revision = pod.object.metadata.labels?.[REVISION_LABEL];
      if (revision === current.name) currentReplicas++;
      if (revision === update.name) updated++;
    }
    if (nextAvailable !== undefined) this.rt.after(this.name, stored.key, nextAvailable - now);
    const status: Record<string, unknown> = {
      observedGeneration: set.metadata.generation,
      replicas,
      readyReplicas: ready,
      currentReplicas,
      updatedReplicas: updated,
      currentRevision: current.name,
      updateRevision: update.name,
      collisionCount: num(statusOf(set).collisionCount, 0),
      availableReplicas: available,
    };
    // completeRollingUpdate: once every Pod runs the update revision, it becomes the current one.
    const strategy = (specOf(set).updateStrategy ?? {}) as { type?: string };
    if (strategy.type !== 'OnDelete' && updated === replicas && ready === replicas) {
      status.currentRevision = update.name;
      status.currentReplicas = updated;
    }
    for (const f of ['readyReplicas', 'currentReplicas', 'updatedReplicas']) if (status[f] === 0) delete status[f];
    const next = copyOf(stored);
    next.status = status;
    this.rt.update(this.name, KCM, StatefulSet, stored, next, 'status');
  }
}
