/**
 * The StatefulSet, DaemonSet and Job controllers against upstream behaviour, on a manual clock:
 * StatefulSet ordinals created in order (OrderedReady), its labels and ControllerRevisions, a
 * rolling update from the highest ordinal and scale-down from the top; one DaemonSet Pod per
 * Node, pinned by node affinity; Job completion (`SuccessCriteriaMet` then `Complete`) and failure
 * after `backoffLimit` with the controller's back-off.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { APPS, BATCH, cond, NS, type Obj, type Sim, startSim } from './controllers-helpers.js';

function statefulSet(name: string, replicas: number, image: string): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
    },
  };
}

function job(name: string, extra: Record<string, unknown> = {}, podAnnotations: Record<string, string> = {}): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      template: {
        metadata: { annotations: podAnnotations },
        spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
      },
      ...extra,
    },
  };
}

describe('StatefulSet, DaemonSet and Job controllers', () => {
  let sim: Sim;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(() => sim.server.stop());

  const podNames = async (selector: string) =>
    (await sim.list(`${NS}/pods?labelSelector=${encodeURIComponent(selector)}`))
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => String(p.metadata.name))
      .sort();

  it('StatefulSet: ordinals one at a time (OrderedReady), with the real labels and a ControllerRevision', async () => {
    const created = statefulSet('db', 3, 'postgres:16');
    (created.spec as Obj).template.metadata.labels.tier = 'data';
    await sim.create(`${APPS}/statefulsets`, created);
    assert.deepEqual(await podNames('app=db'), ['db-0'], 'db-1 waits until db-0 is Running and Ready');
    const first = await sim.get(`${NS}/pods/db-0`);
    const [revision] = await sim.list(`${APPS}/controllerrevisions`);
    assert.equal(revision.revision, 1);
    assert.deepEqual(
      revision.metadata.labels,
      { app: 'db', tier: 'data', 'controller.kubernetes.io/hash': String(revision.metadata.name).slice('db-'.length) },
      'the template labels and the hash, as history.NewControllerRevision sets them',
    );
    assert.equal(revision.metadata.ownerReferences?.[0].kind, 'StatefulSet');
    assert.equal(first.metadata.labels?.['controller-revision-hash'], revision.metadata.name);
    assert.equal(first.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'db-0');
    assert.equal(first.metadata.labels?.['apps.kubernetes.io/pod-index'], '0');
    assert.equal(first.spec?.hostname, 'db-0');
    assert.equal(first.spec?.subdomain, 'db');
    await sim.advance(200);
    assert.deepEqual(await podNames('app=db'), ['db-0', 'db-1']);
    await sim.advance(200);
    assert.deepEqual(await podNames('app=db'), ['db-0', 'db-1', 'db-2']);
    await sim.advance(200);
    let set = await sim.get(`${APPS}/statefulsets/db`);
    assert.deepEqual(
      [
        set.status?.replicas,
        set.status?.readyReplicas,
        set.status?.currentReplicas,
        set.status?.updatedReplicas,
        set.status?.availableReplicas,
      ],
      [3, 3, 3, 3, 3],
    );
    assert.equal(set.status?.currentRevision, revision.metadata.name);
    assert.equal(set.status?.updateRevision, revision.metadata.name);
    assert.equal(set.status?.observedGeneration, 1);

    // Rolling update: the highest ordinal goes first, one at a time.
    await sim.patch(`${APPS}/statefulsets/db`, {
      spec: { template: { spec: { containers: [{ name: 'c', image: 'postgres:17' }] } } },
    });
    const pods = await sim.list(`${NS}/pods?labelSelector=app%3Ddb`);
    assert.deepEqual(
      pods.filter((p) => p.metadata.deletionTimestamp).map((p) => p.metadata.name),
      ['db-2'],
    );
    set = await sim.get(`${APPS}/statefulsets/db`);
    assert.notEqual(set.status?.updateRevision, set.status?.currentRevision);
    for (let i = 0; i < 20 && set.status?.updateRevision !== set.status?.currentRevision; i++) {
      await sim.advance(200);
      set = await sim.get(`${APPS}/statefulsets/db`);
    }
    assert.equal(set.status?.currentRevision, set.status?.updateRevision);
    assert.equal(set.status?.updatedReplicas, 3);
    const images = (await sim.list(`${NS}/pods?labelSelector=app%3Ddb`)).map((p) => p.spec?.containers[0].image);
    assert.deepEqual(images, ['postgres:17', 'postgres:17', 'postgres:17']);
    assert.equal((await sim.list(`${APPS}/controllerrevisions`)).length, 2);

    // Scale down: from the top.
    await sim.patch(`${APPS}/statefulsets/db`, { spec: { replicas: 1 } });
    const deleting = (await sim.list(`${NS}/pods?labelSelector=app%3Ddb`)).filter((p) => p.metadata.deletionTimestamp);
    assert.deepEqual(
      deleting.map((p) => p.metadata.name),
      ['db-2'],
      'one at a time, the highest first',
    );
    await sim.advance(2000);
    assert.deepEqual(await podNames('app=db'), ['db-0']);
  });

  it('DaemonSet: one Pod per Node, pinned by node affinity, with its status', async () => {
    await sim.create(`${APPS}/daemonsets`, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'fluentd' }] } },
      },
    });
    await sim.advance(500);
    const pods = await sim.list(`${NS}/pods?labelSelector=app%3Dagent`);
    assert.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), ['node-1', 'node-2', 'node-3']);
    for (const p of pods) {
      const term = p.spec?.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0];
      assert.deepEqual(term.matchFields, [{ key: 'metadata.name', operator: 'In', values: [p.spec?.nodeName] }]);
      assert.equal(p.metadata.labels?.['pod-template-generation'], '1');
      assert.ok(p.metadata.labels?.['controller-revision-hash']);
      assert.ok(p.spec?.tolerations.some((t: Obj) => t.key === 'node.kubernetes.io/unschedulable'));
    }
    const ds = await sim.get(`${APPS}/daemonsets/agent`);
    assert.deepEqual(
      {
        desired: ds.status?.desiredNumberScheduled,
        current: ds.status?.currentNumberScheduled,
        ready: ds.status?.numberReady,
        updated: ds.status?.updatedNumberScheduled,
        available: ds.status?.numberAvailable,
        misscheduled: ds.status?.numberMisscheduled,
        generation: ds.status?.observedGeneration,
      },
      { desired: 3, current: 3, ready: 3, updated: 3, available: 3, misscheduled: 0, generation: 1 },
    );
    assert.equal(ds.metadata.annotations?.['deprecated.daemonset.template.generation'], '1');
    // The template generation counts template changes only (the generation counts every spec change).
    await sim.patch(`${APPS}/daemonsets/agent`, { spec: { minReadySeconds: 0, revisionHistoryLimit: 5 } });
    await sim.patch(`${APPS}/daemonsets/agent`, {
      spec: { template: { spec: { containers: [{ name: 'c', image: 'fluentd:2' }] } } },
    });
    await sim.advance(5000);
    const updated = await sim.get(`${APPS}/daemonsets/agent`);
    assert.equal(updated.metadata.generation, 3);
    assert.equal(updated.metadata.annotations?.['deprecated.daemonset.template.generation'], '2');
    const rolled = (await sim.list(`${NS}/pods?labelSelector=app%3Dagent`)).filter(
      (p) => !p.metadata.deletionTimestamp,
    );
    assert.deepEqual(
      rolled.map((p) => [p.spec?.containers[0].image, p.metadata.labels?.['pod-template-generation']]),
      [
        ['fluentd:2', '2'],
        ['fluentd:2', '2'],
        ['fluentd:2', '2'],
      ],
    );
  });

  it('Job: Pods run to completion, then SuccessCriteriaMet and Complete with completionTime', async () => {
    const created = await sim.create(`${BATCH}/jobs`, job('once', { completions: 2, parallelism: 1 }));
    const uid = String(created.metadata.uid);
    assert.deepEqual(created.spec?.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    assert.equal(created.spec?.backoffLimit, 6);
    const [pod] = await sim.list(`${NS}/pods?labelSelector=job-name%3Donce`);
    assert.deepEqual(pod.metadata.finalizers, ['batch.kubernetes.io/job-tracking']);
    assert.equal(pod.metadata.labels?.['batch.kubernetes.io/job-name'], 'once');
    assert.equal(pod.metadata.labels?.['controller-uid'], uid);
    let j = await sim.get(`${BATCH}/jobs/once`);
    assert.equal(j.status?.active, 1);
    assert.ok(j.status?.startTime);
    await sim.advance(2000);
    j = await sim.get(`${BATCH}/jobs/once`);
    assert.equal(j.status?.succeeded, 2);
    assert.equal(j.status?.active, undefined);
    assert.deepEqual(
      j.status?.conditions.map((c: Obj) => [c.type, c.status, c.reason, c.message]),
      [
        ['SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
        ['Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
      ],
    );
    assert.ok(j.status?.completionTime);
    assert.deepEqual(j.status?.uncountedTerminatedPods, {});
    const pods = await sim.list(`${NS}/pods?labelSelector=job-name%3Donce`);
    assert.equal(pods.length, 2);
    for (const p of pods) {
      assert.equal(p.status?.phase, 'Succeeded');
      assert.equal(p.metadata.finalizers, undefined, 'counted Pods lose the tracking finalizer');
      assert.equal(p.status?.containerStatuses[0].state.terminated.reason, 'Completed');
    }
  });

  it('Job: fails after backoffLimit, replacing failed Pods after the back-off (10 s, 20 s)', async () => {
    await sim.create(`${BATCH}/jobs`, job('flaky', { backoffLimit: 2 }, { 'kloop.dev/outcome': 'exit:3' }));
    await sim.advance(1000);
    let j = await sim.get(`${BATCH}/jobs/flaky`);
    assert.equal(j.status?.failed, 1);
    assert.equal((await sim.list(`${NS}/pods?labelSelector=job-name%3Dflaky`)).length, 1, 'no replacement before 10 s');
    await sim.advance(10_000);
    j = await sim.get(`${BATCH}/jobs/flaky`);
    assert.equal(j.status?.failed, 2);
    await sim.advance(21_000);
    j = await sim.get(`${BATCH}/jobs/flaky`);
    assert.equal(j.status?.failed, 3);
    assert.deepEqual(
      j.status?.conditions.map((c: Obj) => [c.type, c.status, c.reason, c.message]),
      [
        ['FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
        ['Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
      ],
    );
    assert.equal(cond(j, 'Complete'), undefined);
    const pod = (await sim.list(`${NS}/pods?labelSelector=job-name%3Dflaky`))[0];
    assert.equal(pod.status?.phase, 'Failed');
    assert.equal(pod.status?.containerStatuses[0].state.terminated.exitCode, 3);
  });

  it('Job: without completions, a success starts no new Pod; the Job completes when the rest finish', async () => {
    await sim.api.post(`${BATCH}/jobs`, job('queue', { parallelism: 2 }));
    const [, slow] = (await sim.list(`${NS}/pods?labelSelector=job-name%3Dqueue`)).sort((a, b) =>
      String(a.metadata.name).localeCompare(String(b.metadata.name)),
    );
    await sim.api.patch(`${NS}/pods/${slow.metadata.name}`, {
      metadata: { annotations: { 'kloop.dev/run-ms': '5000' } },
    });
    await sim.advance(1000);
    let j = await sim.get(`${BATCH}/jobs/queue`);
    assert.equal(j.status?.succeeded, 1);
    assert.equal(j.status?.active, 1, 'the slow Pod still runs');
    assert.equal(
      (await sim.list(`${NS}/pods?labelSelector=job-name%3Dqueue`)).length,
      2,
      'no third Pod (wantActive = active)',
    );
    assert.equal(cond(j, 'Complete'), undefined);
    await sim.advance(5000);
    j = await sim.get(`${BATCH}/jobs/queue`);
    assert.equal(j.status?.succeeded, 2);
    assert.equal(cond(j, 'Complete')?.status, 'True');
  });

  it('Job: OnFailure container restarts reaching backoffLimit fail it (pastBackoffLimitOnFailure)', async () => {
    const onFailure = job('restarts', { backoffLimit: 2 }, { 'kloop.dev/outcome': 'exit:1' });
    (onFailure.spec as Obj).template.spec.restartPolicy = 'OnFailure';
    await sim.create(`${BATCH}/jobs`, onFailure);
    await sim.advance(1000);
    let j = await sim.get(`${BATCH}/jobs/restarts`);
    assert.equal(cond(j, 'FailureTarget'), undefined, 'one restart is under the limit of 2');
    // The second exit comes after the kubelet's 10 s back-off: 2 restarts >= backoffLimit 2.
    await sim.advance(11_000);
    j = await sim.get(`${BATCH}/jobs/restarts`);
    assert.equal(cond(j, 'FailureTarget')?.reason, 'BackoffLimitExceeded');
    assert.equal(cond(j, 'Failed')?.reason, 'BackoffLimitExceeded');
    assert.ok(j.status?.failed === undefined || j.status.failed <= 1, 'the restarts decided it, not failed Pods');
  });

  it("Job: the Job's own labels default to its template's, selector labels included (batch/v1 defaults)", async () => {
    const created = await sim.create(`${BATCH}/jobs`, job('labelled'));
    const uid = String(created.metadata.uid);
    assert.deepEqual(created.metadata.labels, {
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': 'labelled',
      'controller-uid': uid,
      'job-name': 'labelled',
    });
    const own = job('own');
    own.metadata.labels = { team: 'a' };
    assert.deepEqual((await sim.create(`${BATCH}/jobs`, own)).metadata.labels, { team: 'a' }, 'labels given stay');
  });

  it('Job: without a restartPolicy the template defaults to Always, which is refused', async () => {
    const bad = job('nopolicy');
    delete (bad.spec as Obj).template.spec.restartPolicy;
    const res = await sim.api.post(`${BATCH}/jobs`, bad);
    assert.equal(res.status, 422);
    assert.equal(
      (res.body as unknown as { message: string }).message,
      'Job.batch "nopolicy" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    );
  });

  it('Job: deleting a running Job removes its Pods (the tracking finalizer of orphans is lifted)', async () => {
    await sim.create(`${BATCH}/jobs`, job('gone', {}, { 'kloop.dev/run-ms': '600000' }));
    await sim.advance(1000);
    assert.equal((await sim.list(`${NS}/pods?labelSelector=job-name%3Dgone`)).length, 1);
    assert.equal((await sim.api.delete(`${BATCH}/jobs/gone`, { propagationPolicy: 'Background' })).status, 200);
    await sim.advance(2000);
    assert.deepEqual(await sim.list(`${NS}/pods?labelSelector=job-name%3Dgone`), [], 'no Pod stuck Terminating');
  });

  it('Job: a Pod deleted while it runs counts as failed at once and is replaced after the back-off', async () => {
    await sim.create(`${BATCH}/jobs`, job('evicted', {}, { 'kloop.dev/run-ms': '600000' }));
    await sim.advance(1000);
    const [first] = await sim.list(`${NS}/pods?labelSelector=job-name%3Devicted`);
    await sim.api.delete(`${NS}/pods/${first.metadata.name}`);
    await sim.advance(1000);
    let j = await sim.get(`${BATCH}/jobs/evicted`);
    assert.equal(j.status?.failed, 1);
    assert.equal(j.status?.succeeded, undefined, 'a stopped container is no success');
    assert.equal(cond(j, 'Complete'), undefined);
    await sim.advance(10_000);
    const now = await sim.list(`${NS}/pods?labelSelector=job-name%3Devicted`);
    assert.equal(now.length, 1);
    assert.notEqual(now[0].metadata.name, first.metadata.name);
    j = await sim.get(`${BATCH}/jobs/evicted`);
    assert.equal(j.status?.active, 1);
  });

  it('CronJob: a Job at each scheduled time, Forbid while one runs, history limits', async () => {
    const cj = await sim.create(`${BATCH}/cronjobs`, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick' },
      spec: {
        schedule: '* * * * *',
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 1,
        jobTemplate: {
          spec: {
            template: {
              metadata: { annotations: { 'kloop.dev/run-ms': '90000' } },
              spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
            },
          },
        },
      },
    });
    assert.equal(cj.spec?.concurrencyPolicy, 'Forbid');
    assert.equal((await sim.list(`${BATCH}/jobs`)).length, 0, 'nothing before the first minute');
    await sim.advance(60_000);
    let jobs = await sim.list(`${BATCH}/jobs`);
    assert.equal(jobs.length, 1);
    const first = jobs[0];
    assert.match(String(first.metadata.name), /^tick-\d+$/);
    assert.equal(first.metadata.ownerReferences?.[0].kind, 'CronJob');
    assert.ok(first.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']);
    let status = (await sim.get(`${BATCH}/cronjobs/tick`)).status;
    assert.equal(status?.active?.[0].name, first.metadata.name);
    assert.equal(
      status?.lastScheduleTime,
      first.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'],
    );
    // Forbid: the next minute comes while the first Job runs (90 s); its run waits, and starts
    // (late, as upstream: the missed time is still due) only once the first Job completed.
    for (let i = 0; i < 12; i++) {
      await sim.advance(10_000);
      status = (await sim.get(`${BATCH}/cronjobs/tick`)).status;
      assert.ok((status?.active ?? []).length <= 1, 'never two Jobs at once');
    }
    jobs = await sim.list(`${BATCH}/jobs`);
    const firstDone = jobs.find((j) => j.metadata.name === first.metadata.name);
    const second = jobs.find((j) => j.metadata.name !== first.metadata.name);
    assert.equal(cond(firstDone as Obj, 'Complete')?.status, 'True');
    assert.ok(second, 'the next run started');
    assert.ok(
      Date.parse(String(second.metadata.creationTimestamp)) >= Date.parse(String(firstDone?.status?.completionTime)),
      'after the first completed',
    );
    assert.ok(status?.lastSuccessfulTime);
    // successfulJobsHistoryLimit: 1: once the second completes, the first goes.
    await sim.advance(120_000);
    jobs = await sim.list(`${BATCH}/jobs`);
    assert.ok(!jobs.some((j) => j.metadata.name === first.metadata.name), 'the oldest finished Job was deleted');
    assert.equal(jobs.filter((j) => cond(j, 'Complete')?.status === 'True').length, 1);
  });

  it('Job: a restartPolicy other than Never or OnFailure is refused as upstream', async () => {
    const bad = job('bad');
    (bad.spec as Obj).template.spec.restartPolicy = 'Always';
    const res = await sim.api.post(`${BATCH}/jobs`, bad);
    assert.equal(res.status, 422);
    assert.equal(
      (res.body as unknown as { message: string }).message,
      'Job.batch "bad" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    );
  });
});
