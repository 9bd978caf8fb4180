/**
 * kube-controller-manager's Job controller (pkg/controller/job), non-indexed completions: Pods
 * from the template (`generateName: <job>-`, the selector labels the API server added, the
 * `batch.kubernetes.io/job-tracking` finalizer, a controller reference), at most `parallelism`
 * at once, until `completions` succeeded. Finished Pods are counted into `succeeded`/`failed`
 * and lose the tracking finalizer; a Pod being deleted before it succeeded counts as failed at
 * once, and an orphan Pod (its Job deleted) loses the finalizer too. Success: `SuccessCriteriaMet` then `Complete` (reason
 * `CompletionsReached`, "Reached expected number of succeeded pods") with `completionTime`;
 * failure once failures exceed `backoffLimit` or the restarts of `OnFailure` Pods reach it:
 * `FailureTarget` then, when no Pod is left running, `Failed` (`BackoffLimitExceeded`, "Job has
 * reached the specified backoff limit"); `activeDeadlineSeconds` fails it with
 * `DeadlineExceeded`. A failed Pod is replaced after the controller's back-off (10 s doubling,
 * at most 6 min). Status: `startTime`, `active`, `ready`, `terminating`, `succeeded`, `failed`,
 * `uncountedTerminatedPods`, `completionTime`, `conditions`. `suspend` deletes the active Pods
 * and sets `Suspended`.
 *
 * Not done: `Indexed` completion mode, `podFailurePolicy`, `successPolicy`,
 * `backoffLimitPerIndex`, `ttlSecondsAfterFinished` (the TTL controller).
 */
import { Job, type KubeObject, Pod } from '../../core/index.js';
import type { StoredObject } from '../storage/store.js';
import {
  type Condition,
  conditionOf,
  conditionsOf,
  controllerKey,
  controllerRef,
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
import { type ControllerRuntime, copyOf } from './runtime.js';
import type { BuiltinController } from './types.js';

/** The finalizer that keeps a Job Pod until the Job counted it. */
export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 360_000;

function jobCondition(type: string, reason: string, message: string, now: string): Condition {
  return { type, status: 'True', lastProbeTime: now, lastTransitionTime: now, reason, message };
}

/** Queue keys of orphan Pods to release (a space never occurs in a name). */
const ORPHAN_POD = 'orphan-pod ';

function hasTrackingFinalizer(pod: KubeObject): boolean {
  return (pod.metadata.finalizers ?? []).includes(TRACKING_FINALIZER);
}

function isTrue(job: KubeObject, type: string): boolean {
  return conditionOf(job, type)?.status === 'True';
}

/** Runs Jobs. */
export class JobController implements BuiltinController {
  readonly name = 'job' as const;
  /** Job uid -> clock time of the last Pod failure seen (the replacement back-off runs from it). */
  private readonly lastFailure = new Map<string, number>();

  constructor(private readonly rt: ControllerRuntime) {
    rt.watch(Job, (e) => {
      if (e.type !== 'DELETED') rt.enqueue(this.name, e.key);
      else this.lastFailure.delete(String(e.object.object.metadata.uid));
    });
    rt.watch(Pod, (e) => {
      const pod = e.object.object;
      const owner = controllerKey(pod, Job);
      if (owner) rt.enqueue(this.name, owner);
      if (e.type !== 'DELETED' && hasTrackingFinalizer(pod) && this.isOrphan(pod)) {
        rt.enqueue(this.name, `${ORPHAN_POD}${e.key}`);
      }
    });
  }

  /** True for a Pod whose Job is gone (or that no Job controls): nobody else lifts its finalizer. */
  private isOrphan(pod: KubeObject): boolean {
    const ref = controllerRef(pod);
    if (!ref) return true;
    if (ref.kind !== 'Job' || ref.apiVersion !== Job.apiVersion) return false;
    const job = this.rt.get(Job, pod.metadata.namespace, ref.name);
    return job === undefined || job.object.metadata.uid !== ref.uid;
  }

  /** Lifts the tracking finalizer of an orphan Pod, as the Job controller's orphan handling does. */
  private releaseOrphan(podKey: string): void {
    const pod = this.rt.getByKey(Pod, podKey);
    if (!pod || !hasTrackingFinalizer(pod.object) || !this.isOrphan(pod.object)) return;
    this.removeFinalizer(pod);
  }

  private removeFinalizer(pod: StoredObject): void {
    const copy = copyOf(pod);
    copy.metadata.finalizers = (copy.metadata.finalizers ?? []).filter((f) => f !== TRACKING_FINALIZER);
    if (copy.metadata.finalizers.length === 0) delete copy.metadata.finalizers;
    this.rt.update(this.name, KCM, Pod, pod, copy);
  }

  sync(key: string): void {
    if (key.startsWith(ORPHAN_POD)) {
      this.releaseOrphan(key.slice(ORPHAN_POD.length));
      return;
    }
    const stored = this.rt.getByKey(Job, key);
    if (!stored) return;
    const job = stored.object;
    const pods = this.rt.list(Pod, job.metadata.namespace).filter((p) => isControlledBy(p.object, job));
    const finishedAlready = isTrue(job, 'Complete') || isTrue(job, 'Failed');
    const status: Record<string, unknown> = { ...statusOf(job) };
    let succeeded = num(status.succeeded, 0);
    let failed = num(status.failed, 0);
    const counted: StoredObject[] = [];
    // Terminating Pods count as failed at once (so orphans and deleted Pods do), unless only
    // failed Pods are to be replaced (podReplacementPolicy: Failed).
    const terminatingFails = specOf(job).podReplacementPolicy !== 'Failed';
    for (const pod of pods) {
      const phase = phaseOf(pod.object);
      if (!hasTrackingFinalizer(pod.object)) continue;
      const failedNow = phase === 'Failed' || (terminatingFails && phase !== 'Succeeded' && isTerminating(pod.object));
      if (phase !== 'Succeeded' && !failedNow) continue;
      if (phase === 'Succeeded') succeeded++;
      else {
        failed++;
        this.lastFailure.set(String(job.metadata.uid), this.rt.cluster.clock.now());
      }
      counted.push(pod);
    }
    const now = this.rt.timestamp();
    const spec = specOf(job);
    const live = pods.filter((p) => phaseOf(p.object) !== 'Succeeded' && phaseOf(p.object) !== 'Failed');
    let active = live.filter((p) => !isTerminating(p.object));
    const suspended = spec.suspend === true;
    let conditions = conditionsOf(job);
    const set = (c: Condition) => {
      if (!conditions.some((x) => x.type === c.type && x.status === 'True'))
        conditions = [...conditions.filter((x) => x.type !== c.type), c];
    };
    if (!finishedAlready) {
      if (status.startTime === undefined && !suspended) status.startTime = now;
      const completions = typeof spec.completions === 'number' ? spec.completions : undefined;
      const parallelism = num(spec.parallelism, 1);
      const deadline = spec.activeDeadlineSeconds;
      const started = Date.parse(String(status.startTime ?? ''));
      const successMet =
        isTrue(job, 'SuccessCriteriaMet') ||
        (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0);
      if (isTrue(job, 'FailureTarget')) {
        // Failing: wait for the Pods to go.
      } else if (successMet) {
        set(jobCondition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', now));
      } else if (failed > num(spec.backoffLimit, 6) || this.pastBackoffLimitOnFailure(job, pods)) {
        set(jobCondition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now));
      } else if (
        typeof deadline === 'number' &&
        Number.isFinite(started) &&
        started + deadline * 1000 <= this.rt.now()
      ) {
        set(jobCondition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline', now));
      } else if (suspended) {
        set({ ...jobCondition('Suspended', 'JobSuspended', 'Job suspended', now) });
        for (const p of active) this.rt.delete(this.name, KCM, Pod, p);
        active = [];
      } else {
        if (typeof deadline === 'number' && Number.isFinite(started)) {
          this.rt.after(this.name, key, started + deadline * 1000 - this.rt.now());
        }
        if (conditionOf(job, 'Suspended')?.status === 'True') {
          conditions = conditions.map((c) =>
            c.type === 'Suspended'
              ? { ...c, status: 'False', reason: 'JobResumed', message: 'Job resumed', lastTransitionTime: now }
              : c,
          );
        }
        // Without completions, the first success ends the starting: what runs, runs to its end.
        const want =
          completions === undefined
            ? succeeded > 0
              ? active.length
              : parallelism
            : Math.min(parallelism, completions - succeeded);
        const missing = want - active.length;
        // A Job being deleted starts nothing more (its Pods go with it).
        if (missing > 0 && job.metadata.deletionTimestamp === undefined) {
          active = [...active, ...this.createPods(stored, missing, failed)];
        }
      }
      const target = conditions.find(
        (c) => (c.type === 'SuccessCriteriaMet' || c.type === 'FailureTarget') && c.status === 'True',
      );
      if (target) {
        // The outcome is decided: the rest of the Pods go, and once none is left the Job ends.
        for (const p of active) this.rt.delete(this.name, KCM, Pod, p);
        active = [];
        if (live.every((p) => this.rt.getByKey(Pod, p.key) === undefined)) {
          if (target.type === 'SuccessCriteriaMet') {
            set(jobCondition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', now));
            status.completionTime = now;
          } else {
            set(jobCondition('Failed', String(target.reason), String(target.message), now));
          }
        }
      }
    }
    status.active = active.length;
    status.ready = active.filter((p) => isReady(p.object)).length;
    status.terminating = live.filter((p) => isTerminating(p.object) && this.rt.getByKey(Pod, p.key)).length;
    status.succeeded = succeeded;
    status.failed = failed;
    status.uncountedTerminatedPods = {};
    if (conditions.length > 0) status.conditions = conditions;
    for (const f of ['active', 'succeeded', 'failed']) if (status[f] === 0) delete status[f];
    const next = copyOf(stored);
    next.status = status;
    this.rt.update(this.name, KCM, Job, stored, next, 'status');
    // Counted Pods lose the tracking finalizer only after the count is stored.
    for (const pod of counted) {
      const fresh = this.rt.getByKey(Pod, pod.key);
      if (fresh) this.removeFinalizer(fresh);
    }
  }

  /**
   * `pastBackoffLimitOnFailure`: with `restartPolicy: OnFailure` the container restarts of the
   * Pending and Running Pods count against `backoffLimit` (any restart when it is 0).
   */
  private pastBackoffLimitOnFailure(job: KubeObject, pods: readonly StoredObject[]): boolean {
    const template = specOf(job).template as KubeObject | undefined;
    if (specOf(template).restartPolicy !== 'OnFailure') return false;
    let restarts = 0;
    for (const pod of pods) {
      const phase = phaseOf(pod.object);
      if (phase !== 'Running' && phase !== 'Pending') continue;
      for (const field of ['initContainerStatuses', 'containerStatuses']) {
        const list = statusOf(pod.object)[field];
        if (Array.isArray(list))
          for (const c of list) restarts += num((c as { restartCount?: unknown })?.restartCount, 0);
      }
    }
    const limit = num(specOf(job).backoffLimit, 6);
    return limit === 0 ? restarts > 0 : restarts >= limit;
  }

  /** Creates up to `count` Pods, unless the failure back-off is still running. */
  private createPods(stored: StoredObject, count: number, failed: number): StoredObject[] {
    const job = stored.object;
    const last = this.lastFailure.get(String(job.metadata.uid));
    if (failed > 0 && last !== undefined) {
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** (failed - 1));
      const wait = last + delay - this.rt.cluster.clock.now();
      if (wait > 0) {
        this.rt.after(this.name, stored.key, wait);
        return [];
      }
    }
    const template = (specOf(job).template ?? {}) as Record<string, unknown>;
    const out: StoredObject[] = [];
    for (let i = 0; i < count; i++) {
      const pod = podFromTemplate(job, Job, template, { generateName: `${String(job.metadata.name)}-` });
      pod.metadata.finalizers = [...(pod.metadata.finalizers ?? []), TRACKING_FINALIZER];
      const created = this.rt.create(this.name, KCM, Pod, pod);
      if (created) out.push(created);
    }
    return out;
  }
}
