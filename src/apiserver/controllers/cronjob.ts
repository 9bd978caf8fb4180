/**
 * kube-controller-manager's CronJob controller (pkg/controller/cronjob, v2): at each scheduled
 * time (`cron-schedule.ts`, UTC) a Job `<cronjob>-<minutes since the epoch>` from
 * `jobTemplate`, annotated `batch.kubernetes.io/cronjob-scheduled-timestamp` and owned by the
 * CronJob. A time missed while the cluster was away runs once (the latest one), unless older than
 * `startingDeadlineSeconds`; `concurrencyPolicy` Forbid skips while a Job runs and Replace deletes
 * it first; `suspend` stops new Jobs. Finished Jobs past `successfulJobsHistoryLimit` and
 * `failedJobsHistoryLimit` are deleted. Status: `active` (references), `lastScheduleTime`,
 * `lastSuccessfulTime`.
 *
 * Not done: `spec.timeZone` (schedules are UTC), the `UnparseableSchedule` and missed-schedule
 * Events.
 */
import { CronJob, isPlainObject, Job, type KubeObject } from '../../core/index.js';
import type { StoredObject } from '../storage/store.js';
import { nextRun, parseCron } from './cron-schedule.js';
import {
  clone,
  conditionOf,
  controllerKey,
  isControlledBy,
  KCM,
  num,
  ownerReferenceTo,
  specOf,
  statusOf,
} from './objects.js';
import { type ControllerRuntime, copyOf, timestampOf } from './runtime.js';
import type { BuiltinController } from './types.js';

const SCHEDULED_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

function finished(job: KubeObject): 'Complete' | 'Failed' | undefined {
  if (conditionOf(job, 'Complete')?.status === 'True') return 'Complete';
  if (conditionOf(job, 'Failed')?.status === 'True') return 'Failed';
  return undefined;
}

function startedAt(job: StoredObject): number {
  return Date.parse(String(job.object.metadata.creationTimestamp ?? '')) || 0;
}

/** Runs CronJobs. */
export class CronJobController implements BuiltinController {
  readonly name = 'cronjob' as const;

  constructor(private readonly rt: ControllerRuntime) {
    rt.watch(CronJob, (e) => {
      if (e.type !== 'DELETED') rt.enqueue(this.name, e.key);
    });
    rt.watch(Job, (e) => {
      const owner = controllerKey(e.object.object, CronJob);
      if (owner) rt.enqueue(this.name, owner);
    });
  }

  sync(key: string): void {
    const stored = this.rt.getByKey(CronJob, key);
    if (!stored || stored.object.metadata.deletionTimestamp !== undefined) return;
    const cj = stored.object;
    const spec = specOf(cj);
    let schedule: ReturnType<typeof parseCron>;
    try {
      schedule = parseCron(String(spec.schedule ?? ''));
    } catch {
      return;
    }
    let jobs = this.rt.list(Job, cj.metadata.namespace).filter((j) => isControlledBy(j.object, cj));
    jobs = this.pruneHistory(cj, jobs);
    const status: Record<string, unknown> = { ...statusOf(cj) };
    const now = this.rt.now();
    let active = jobs.filter((j) => !finished(j.object) && j.object.metadata.deletionTimestamp === undefined);
    const succeeded = jobs
      .filter((j) => finished(j.object) === 'Complete')
      .map((j) => Date.parse(String(statusOf(j.object).completionTime ?? '')))
      .filter(Number.isFinite);
    if (succeeded.length > 0) status.lastSuccessfulTime = timestampOf(Math.max(...succeeded));
    const last = Date.parse(String(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '')) || now;
    if (spec.suspend !== true) {
      // The latest scheduled time that has come (earlier missed ones are skipped, as upstream).
      let due: number | undefined;
      for (
        let t = nextRun(schedule, last), n = 0;
        t !== undefined && t <= now && n < 100_000;
        t = nextRun(schedule, t), n++
      ) {
        due = t;
      }
      const deadline = spec.startingDeadlineSeconds;
      const tooLate = due !== undefined && typeof deadline === 'number' && now - due > deadline * 1000;
      const policy = spec.concurrencyPolicy ?? 'Allow';
      if (due !== undefined && !tooLate && !(policy === 'Forbid' && active.length > 0)) {
        if (policy === 'Replace') {
          for (const j of active) this.rt.delete(this.name, KCM, Job, j);
          active = [];
        }
        const created = this.createJob(cj, due);
        if (created) active = [...active, created];
        status.lastScheduleTime = timestampOf(due);
      }
      const next = nextRun(schedule, Math.max(now, due ?? 0));
      if (next !== undefined) this.rt.after(this.name, key, next - now);
    }
    const refs = active.map((j) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      name: j.object.metadata.name,
      namespace: j.object.metadata.namespace,
      uid: j.object.metadata.uid,
      resourceVersion: j.object.metadata.resourceVersion,
    }));
    if (refs.length > 0) status.active = refs;
    else delete status.active;
    const next = copyOf(stored);
    next.status = status;
    this.rt.update(this.name, KCM, CronJob, stored, next, 'status');
  }

  private createJob(cj: KubeObject, scheduled: number): StoredObject | undefined {
    const name = `${String(cj.metadata.name)}-${Math.floor(scheduled / 60_000)}`;
    const existing = this.rt.get(Job, cj.metadata.namespace, name);
    if (existing) return isControlledBy(existing.object, cj) ? existing : undefined;
    const template = isPlainObject(specOf(cj).jobTemplate) ? (specOf(cj).jobTemplate as Record<string, unknown>) : {};
    const meta = (template.metadata ?? {}) as KubeObject['metadata'];
    return this.rt.create(this.name, KCM, Job, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata.namespace,
        ...(meta.labels ? { labels: { ...meta.labels } } : {}),
        annotations: { ...(meta.annotations ?? {}), [SCHEDULED_ANNOTATION]: timestampOf(scheduled) },
        ownerReferences: [ownerReferenceTo(cj, CronJob)],
      },
      spec: clone(template.spec ?? {}),
    });
  }

  /** Deletes finished Jobs past the history limits, oldest first; answers the Jobs kept. */
  private pruneHistory(cj: KubeObject, jobs: StoredObject[]): StoredObject[] {
    const gone = new Set<string>();
    for (const [kind, limitField, fallback] of [
      ['Complete', 'successfulJobsHistoryLimit', 3],
      ['Failed', 'failedJobsHistoryLimit', 1],
    ] as const) {
      const done = jobs.filter((j) => finished(j.object) === kind).sort((a, b) => startedAt(a) - startedAt(b));
      const limit = num(specOf(cj)[limitField], fallback);
      for (const j of done.slice(0, Math.max(0, done.length - limit))) {
        if (this.rt.delete(this.name, KCM, Job, j)) gone.add(j.key);
      }
    }
    return jobs.filter((j) => !gone.has(j.key));
  }
}
