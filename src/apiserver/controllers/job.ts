/**
 * kube-controller-manager's Job controller (pkg/controller/job), non-indexed completions: Pods
 * from the template (`generateName: <job>-`, the selector labels the API server added, the
 * `batch.kubernetes.io/job-tracking` finalizer, a controller reference), at most `parallelism`
 * at once, until `completions` succeeded. Finished Pods are counted into `succeeded`/`failed`
 * and lose the tracking finalizer. Success: `SuccessCriteriaMet` then `Complete` (reason
 * `CompletionsReached`, "Reached expected number of succeeded pods") with `completionTime`;
 * failure once failures exceed `backoffLimit` (restarts of `OnFailure` Pods count):
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
      const owner = controllerKey(e.object.object, Job);
      if (owner) rt.enqueue(this.name, owner);
    });
  }

  sync(key: string): void {
    const stored = this.rt.getByKey(Job, key);
    if (!stored) return;
    const job = stored.object;
    const pods = this.rt.list(Pod, job.metadata.namespace).filter((p) => isControlledBy(p.object, job));
    const finishedAlready = isTrue(job, 'Complete') || isTrue(job, 'Failed');
    const status: Record<string, unknown> = { ...statusOf(job) };
    let succeeded = num(status.succeeded, 0);
    let failed = num(status.failed, 0);
    const counted: StoredObject[] = [];
    for (const pod of pods) {
      const phase = phaseOf(pod.object);
      const tracked = (pod.object.metadata.finalizers ?? []).includes(TRACKING_FINALIZER);
      if (!tracked || (phase !== 'Succeeded' && phase !== 'Failed')) continue;
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
      const restarts =
        spec.template && specOf(spec.template as KubeObject).restartPolicy === 'OnFailure'
          ? active.reduce((n, p) => n + this.restarts(p.object), 0)
          : 0;
      const deadline = spec.activeDeadlineSeconds;
      const started = Date.parse(String(status.startTime ?? ''));
      const successMet =
        isTrue(job, 'SuccessCriteriaMet') ||
        (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0);
      if (isTrue(job, 'FailureTarget')) {
        // Failing: wait for the Pods to go.
      } else if (successMet) {
        set(jobCondition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', now));
      } else if (failed + restarts > num(spec.backoffLimit, 6)) {
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
        const want = completions === undefined ? parallelism : Math.min(parallelism, completions - succeeded);
        const missing = want - active.length;
        if (missing > 0) active = [...active, ...this.createPods(stored, missing, failed)];
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
      if (!fresh) continue;
      const copy = copyOf(fresh);
      copy.metadata.finalizers = (copy.metadata.finalizers ?? []).filter((f) => f !== TRACKING_FINALIZER);
      if (copy.metadata.finalizers.length === 0) delete copy.metadata.finalizers;
      this.rt.update(this.name, KCM, Pod, fresh, copy);
    }
  }

  private restarts(pod: KubeObject): number {
    const list = statusOf(pod).containerStatuses;
    return Array.isArray(list)
      ? list.reduce((n: number, c: { restartCount?: number }) => n + num(c?.restartCount, 0), 0)
      : 0;
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
