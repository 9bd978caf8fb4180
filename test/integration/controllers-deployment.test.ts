/**
 * The Deployment and ReplicaSet controllers against upstream behaviour, on a manual clock: names,
 * labels and annotations of the ReplicaSets they create, the status fields and condition reasons
 * `kubectl rollout status` and kstatus read, a rolling update stepped through without sleeping
 * (with `maxSurge`/`maxUnavailable` held at every step), Recreate, a rollback's revision history,
 * and the progress deadline.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { APPS, cond, deployment, NS, type Obj, type Sim, startSim } from './controllers-helpers.js';

describe('Deployment and ReplicaSet controllers', () => {
  let sim: Sim;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(() => sim.server.stop());

  const replicaSets = async (app: string) =>
    (await sim.list(`${APPS}/replicasets?labelSelector=app%3D${app}`)).sort(
      (a, b) =>
        Number(a.metadata.annotations?.['deployment.kubernetes.io/revision']) -
        Number(b.metadata.annotations?.['deployment.kubernetes.io/revision']),
    );
  const pods = (app: string) => sim.list(`${NS}/pods?labelSelector=app%3D${app}`);

  it('creates <name>-<hash> ReplicaSets with the real labels, annotations and owner, then reports Available', async () => {
    const d = await sim.create(`${APPS}/deployments`, deployment('web', 3, 'nginx:1.27'));
    assert.equal(d.spec?.strategy?.rollingUpdate?.maxSurge, '25%', 'defaults as the API server sets them');
    assert.equal(d.spec?.revisionHistoryLimit, 10);
    assert.equal(d.spec?.progressDeadlineSeconds, 600);
    const [rs] = await replicaSets('web');
    const hash = rs.metadata.labels?.['pod-template-hash'];
    assert.match(String(hash), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.deepEqual(rs.spec?.selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
    assert.equal(rs.spec?.template.metadata.labels['pod-template-hash'], hash);
    assert.deepEqual(rs.metadata.annotations, {
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
      'deployment.kubernetes.io/revision': '1',
    });
    assert.deepEqual(rs.metadata.ownerReferences, [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        uid: d.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const created = await pods('web');
    assert.equal(created.length, 3);
    for (const p of created) {
      assert.ok(String(p.metadata.name).startsWith(`web-${hash}-`));
      assert.equal(String(p.metadata.name).length, `web-${hash}-`.length + 5);
      assert.equal(p.metadata.ownerReferences?.[0].name, rs.metadata.name);
    }
    let status = (await sim.get(`${APPS}/deployments/web`)).status ?? {};
    assert.equal(cond({ metadata: {}, status }, 'Available')?.reason, 'MinimumReplicasUnavailable');
    await sim.advance(1000);
    const done = await sim.get(`${APPS}/deployments/web`);
    status = done.status ?? {};
    assert.equal(done.metadata.generation, 1, 'the revision annotation goes through /status: no generation bump');
    assert.equal(done.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.equal(status.observedGeneration, 1);
    assert.equal(status.replicas, 3);
    assert.equal(status.updatedReplicas, 3);
    assert.equal(status.readyReplicas, 3);
    assert.equal(status.availableReplicas, 3);
    assert.equal(status.unavailableReplicas, undefined, 'omitted when 0');
    assert.deepEqual(
      status.conditions.map((c: Obj) => [c.type, c.status, c.reason, c.message]),
      [
        ['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
        [
          'Progressing',
          'True',
          'NewReplicaSetAvailable',
          `ReplicaSet "${rs.metadata.name}" has successfully progressed.`,
        ],
      ],
    );
    for (const c of status.conditions) assert.ok(c.lastUpdateTime && c.lastTransitionTime);
    const rsNow = (await replicaSets('web'))[0];
    assert.deepEqual(
      {
        r: rsNow.status?.replicas,
        f: rsNow.status?.fullyLabeledReplicas,
        ready: rsNow.status?.readyReplicas,
        a: rsNow.status?.availableReplicas,
        g: rsNow.status?.observedGeneration,
      },
      { r: 3, f: 3, ready: 3, a: 3, g: 1 },
    );
  });

  it('steps a rolling update on the manual clock, never past maxSurge nor under the available minimum', async () => {
    await sim.create(
      `${APPS}/deployments`,
      deployment('roll', 4, 'nginx:1.27', {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      }),
    );
    await sim.advance(1000);
    const before = await sim.get(`${APPS}/deployments/roll`);
    assert.equal(before.status?.availableReplicas, 4);
    await sim.patch(`${APPS}/deployments/roll`, {
      spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.28' }] } } },
    });
    const seen: string[] = [];
    for (let step = 0; step < 20; step++) {
      const [oldRs, newRs] = await replicaSets('roll');
      assert.ok(newRs, 'a second ReplicaSet exists');
      const total = (oldRs.spec?.replicas ?? 0) + (newRs.spec?.replicas ?? 0);
      assert.ok(total <= 5, `at most replicas + maxSurge = 5 Pods wanted, got ${total}`);
      const available = (oldRs.status?.availableReplicas ?? 0) + (newRs.status?.availableReplicas ?? 0);
      assert.ok(available >= 3, `at least replicas - maxUnavailable = 3 available, got ${available}`);
      seen.push(`${oldRs.spec?.replicas}/${newRs.spec?.replicas}`);
      const d = await sim.get(`${APPS}/deployments/roll`);
      if (cond(d, 'Progressing')?.reason === 'NewReplicaSetAvailable' && d.status?.updatedReplicas === 4) break;
      await sim.advance(100);
    }
    const d = await sim.get(`${APPS}/deployments/roll`);
    assert.equal(cond(d, 'Progressing')?.reason, 'NewReplicaSetAvailable', `steps seen: ${seen.join(' ')}`);
    assert.equal(d.status?.replicas, 4);
    assert.equal(d.status?.updatedReplicas, 4);
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.ok(seen.length >= 3, `more than one step (seen ${seen.join(' ')})`);
    assert.equal(seen[0], '3/2', 'first step: new grows by the surge, old shrinks by maxUnavailable');
    const [oldRs, newRs] = await replicaSets('roll');
    assert.equal(oldRs.spec?.replicas, 0);
    assert.equal(newRs.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.equal((await pods('roll')).filter((p) => !p.metadata.deletionTimestamp).length, 4);
    await sim.advance(1000);
    assert.equal((await pods('roll')).length, 4, 'the old Pods are gone after the kubelet stopped them');
  });

  it('a rollback gives the old ReplicaSet the next revision and records its old one', async () => {
    await sim.create(`${APPS}/deployments`, deployment('back', 1, 'nginx:1.27'));
    await sim.advance(500);
    await sim.patch(`${APPS}/deployments/back`, {
      spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.28' }] } } },
    });
    await sim.advance(500);
    await sim.patch(`${APPS}/deployments/back`, {
      spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } },
    });
    await sim.advance(500);
    const all = await replicaSets('back');
    assert.equal(all.length, 2);
    const first = all.find((rs) => rs.spec?.template.spec.containers[0].image === 'nginx:1.27');
    assert.equal(first?.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
    assert.equal(first?.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(first?.spec?.replicas, 1);
    const d = await sim.get(`${APPS}/deployments/back`);
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
  });

  it('Recreate scales the old ReplicaSet to zero before the new one starts', async () => {
    await sim.create(`${APPS}/deployments`, deployment('rec', 2, 'nginx:1.27', { strategy: { type: 'Recreate' } }));
    await sim.advance(500);
    await sim.patch(`${APPS}/deployments/rec`, {
      spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.28' }] } } },
    });
    let [oldRs, newRs] = await replicaSets('rec');
    assert.equal(oldRs.spec?.replicas, 0);
    assert.equal(
      newRs.spec?.replicas,
      0,
      `the new one waits while old Pods are still terminating: ${JSON.stringify([oldRs, newRs].map((r) => [r.metadata.name, r.metadata.annotations, r.spec?.replicas]))}`,
    );
    await sim.advance(1000);
    [oldRs, newRs] = await replicaSets('rec');
    assert.equal(newRs.spec?.replicas, 2);
    assert.equal(cond(await sim.get(`${APPS}/deployments/rec`), 'Available')?.status, 'True');
  });

  it('reports ProgressDeadlineExceeded when the Pods never become ready', async () => {
    await sim.create(
      `${APPS}/deployments`,
      deployment('stuck', 1, 'nginx:1.27', {
        progressDeadlineSeconds: 10,
        template: {
          metadata: { labels: { app: 'stuck' }, annotations: { 'kloop.dev/outcome': 'never-ready' } },
          spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
        },
      }),
    );
    await sim.advance(5_000);
    assert.equal(cond(await sim.get(`${APPS}/deployments/stuck`), 'Progressing')?.status, 'True');
    await sim.advance(8_000);
    const d = await sim.get(`${APPS}/deployments/stuck`);
    assert.equal(cond(d, 'Progressing')?.reason, 'ProgressDeadlineExceeded');
    assert.equal(cond(d, 'Progressing')?.status, 'False');
    assert.match(String(cond(d, 'Progressing')?.message), /^ReplicaSet "stuck-\w+" has timed out progressing\.$/);
    assert.equal(cond(d, 'Available')?.reason, 'MinimumReplicasUnavailable');
  });

  it('an update that leaves defaulted fields out changes nothing (defaults come before the generation rule)', async () => {
    await sim.create(`${APPS}/deployments`, deployment('same', 1, 'nginx:1.27'));
    const created = await sim.get(`${APPS}/deployments/same`);
    const res = await sim.api.put<Obj>(`${APPS}/deployments/same`, {
      ...deployment('same', 1, 'nginx:1.27'),
      metadata: {
        name: 'same',
        resourceVersion: created.metadata.resourceVersion,
        annotations: created.metadata.annotations,
      },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.metadata.generation, 1);
    assert.equal(res.body.spec?.revisionHistoryLimit, 10);
  });

  it('ReplicaSets scale down the not-ready Pods first and adopt matching orphans', async () => {
    const rs = await sim.create(`${APPS}/replicasets`, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'plain' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'plain' } },
        template: { metadata: { labels: { app: 'plain' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    });
    await sim.advance(500);
    await sim.create(`${NS}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'orphan', labels: { app: 'plain' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    const orphan = await sim.get(`${NS}/pods/orphan`);
    assert.equal(orphan.metadata.ownerReferences?.[0].uid, rs.metadata.uid, 'adopted');
    const left = (await sim.list(`${NS}/pods?labelSelector=app%3Dplain`)).filter((p) => !p.metadata.deletionTimestamp);
    assert.equal(left.length, 2);
    assert.ok(
      left.every((p) => p.metadata.name !== 'orphan'),
      'the adopted Pod, not yet ready, went first',
    );
  });
  const sizes = async (app: string) => (await replicaSets(app)).map((rs) => `${rs.spec?.replicas}`).join('/');
  const neverReadyImage = (app: string, image: string) => ({
    spec: {
      template: {
        metadata: { labels: { app }, annotations: { 'kloop.dev/outcome': 'never-ready' } },
        spec: { containers: [{ name: 'c', image }] },
      },
    },
  });

  it('percentages resolve as upstream: 25% of 10 surges 3 (rounded up) and takes 2 away (rounded down)', async () => {
    await sim.create(`${APPS}/deployments`, deployment('pct', 10, 'nginx:1.27'));
    await sim.advance(1000);
    await sim.patch(`${APPS}/deployments/pct`, neverReadyImage('pct', 'nginx:1.28'));
    // replicas + ceil(2.5) = 13 Pods at most, replicas - floor(2.5) = 8 available at least.
    assert.equal(await sizes('pct'), '8/5', 'old 8 (10 - 2), new 5 (13 - 8); the new Pods never turn ready');
    await sim.advance(5000);
    assert.equal(await sizes('pct'), '8/5', 'and the rollout holds there');
  });

  it('scaling during a rollout spreads the new replicas over the ReplicaSets in proportion (upstream docs: 10 -> 15)', async () => {
    await sim.create(
      `${APPS}/deployments`,
      deployment('prop', 10, 'nginx:1.27', {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } },
      }),
    );
    await sim.advance(1000);
    await sim.patch(`${APPS}/deployments/prop`, neverReadyImage('prop', 'nginx:unresolvable'));
    assert.equal(await sizes('prop'), '8/5');
    await sim.patch(`${APPS}/deployments/prop`, { spec: { replicas: 15 } });
    await sim.advance(1000);
    assert.equal(await sizes('prop'), '11/7', '3 more for the old ReplicaSet, 2 for the new one');
    const [oldRs, newRs] = await replicaSets('prop');
    for (const rs of [oldRs, newRs]) {
      assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '15');
      assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '18');
    }
  });

  it('a paused Deployment holds its rollout where it is and scales in proportion', async () => {
    await sim.create(
      `${APPS}/deployments`,
      deployment('pause', 4, 'nginx:1.27', {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      }),
    );
    await sim.advance(1000);
    await sim.patch(`${APPS}/deployments/pause`, neverReadyImage('pause', 'nginx:1.28'));
    assert.equal(await sizes('pause'), '4/1');
    await sim.patch(`${APPS}/deployments/pause`, { spec: { paused: true } });
    await sim.advance(1000);
    assert.equal(await sizes('pause'), '4/1', 'no rollout step while paused');
    let d = await sim.get(`${APPS}/deployments/pause`);
    assert.deepEqual(
      [cond(d, 'Progressing')?.status, cond(d, 'Progressing')?.reason, cond(d, 'Progressing')?.message],
      ['Unknown', 'DeploymentPaused', 'Deployment is paused'],
    );
    await sim.patch(`${APPS}/deployments/pause`, { spec: { replicas: 8 } });
    await sim.advance(1000);
    // allowed 8 + 1 = 9 over max-replicas 5: old round(4 * 9 / 5) = 7, new round(1 * 9 / 5) = 2.
    assert.equal(await sizes('pause'), '7/2');
    await sim.patch(`${APPS}/deployments/pause`, { spec: { paused: false } });
    d = await sim.get(`${APPS}/deployments/pause`);
    assert.notEqual(cond(d, 'Progressing')?.reason, 'DeploymentPaused');
    assert.equal(await sizes('pause'), '7/2', 'the new Pods never turn ready: nothing more to take away');
  });

  it('maxSurge and maxUnavailable both 0, or maxUnavailable over 100%, are refused as upstream', async () => {
    const zero = await sim.api.post(
      `${APPS}/deployments`,
      deployment('zero', 2, 'nginx:1.27', {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } },
      }),
    );
    assert.equal(zero.status, 422);
    assert.equal(
      (zero.body as unknown as { message: string }).message,
      'Deployment.apps "zero" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
    );
    const percent = await sim.api.post(
      `${APPS}/deployments`,
      deployment('pct0', 2, 'nginx:1.27', {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '0%', maxUnavailable: '0%' } },
      }),
    );
    assert.equal(percent.status, 422, 'percentages that are zero count as zero');
    const over = await sim.api.post(
      `${APPS}/deployments`,
      deployment('over', 2, 'nginx:1.27', {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '200%' } },
      }),
    );
    assert.equal(over.status, 422);
    assert.match(
      (over.body as unknown as { message: string }).message,
      /maxUnavailable: Invalid value: intstr.IntOrString\{Type:1, IntVal:0, StrVal:"200%"\}: must not be greater than 100%$/,
    );
    const recreate = await sim.api.post(
      `${APPS}/deployments`,
      deployment('rec2', 2, 'nginx:1.27', { strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }),
    );
    assert.equal(recreate.status, 422);
    assert.equal(
      (recreate.body as unknown as { message: string }).message,
      'Deployment.apps "rec2" is invalid: spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is \'Recreate\'',
    );
    const oneSurge = await sim.api.post(
      `${APPS}/deployments`,
      deployment('ok', 1, 'nginx:1.27', {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      }),
    );
    assert.equal(oneSurge.status, 201);
  });

  it("the Deployment's minReadySeconds and annotations reach its current ReplicaSet", async () => {
    await sim.create(`${APPS}/deployments`, deployment('mrs', 1, 'nginx:1.27'));
    await sim.patch(`${APPS}/deployments/mrs`, {
      metadata: { annotations: { team: 'web' } },
      spec: { minReadySeconds: 30 },
    });
    const [rs] = await replicaSets('mrs');
    assert.equal(rs.spec?.minReadySeconds, 30);
    assert.equal(rs.metadata.annotations?.team, 'web');
    await sim.advance(1000);
    let d = await sim.get(`${APPS}/deployments/mrs`);
    assert.equal(d.status?.availableReplicas, undefined, 'Ready, not yet available for 30 s');
    await sim.advance(30_000);
    d = await sim.get(`${APPS}/deployments/mrs`);
    assert.equal(d.status?.availableReplicas, 1);
  });

  it('keeps revisionHistoryLimit old ReplicaSets once the rollout completes', async () => {
    await sim.create(`${APPS}/deployments`, deployment('hist', 1, 'nginx:1', { revisionHistoryLimit: 1 }));
    for (const image of ['nginx:2', 'nginx:3', 'nginx:4']) {
      await sim.advance(1000);
      await sim.patch(`${APPS}/deployments/hist`, {
        spec: { template: { spec: { containers: [{ name: 'c', image }] } } },
      });
    }
    await sim.advance(2000);
    const left = await replicaSets('hist');
    assert.deepEqual(
      left.map((rs) => rs.spec?.template.spec.containers[0].image),
      ['nginx:3', 'nginx:4'],
    );
  });

  it('Pods of a long-named ReplicaSet keep 58 characters of "<rs>-" and 5 generated ones (SimpleNameGenerator)', async () => {
    const name = `a${'b'.repeat(59)}`;
    await sim.create(`${APPS}/deployments`, deployment(name, 1, 'nginx:1.27'));
    const [rs] = await replicaSets(name);
    const [pod] = await pods(name);
    assert.equal(String(pod.metadata.name).length, 63);
    assert.equal(String(pod.metadata.name).slice(0, 58), String(rs.metadata.name).slice(0, 58));
    assert.match(String(pod.metadata.name).slice(58), /^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('scale-down takes the Pod with the lowest controller.kubernetes.io/pod-deletion-cost first', async () => {
    await sim.create(`${APPS}/replicasets`, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'cost' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'cost' } },
        template: { metadata: { labels: { app: 'cost' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    });
    await sim.advance(1000);
    const names = (await pods('cost')).map((p) => String(p.metadata.name)).sort();
    await sim.patch(`${NS}/pods/${names[0]}`, {
      metadata: { annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-100' } },
    });
    await sim.patch(`${APPS}/replicasets/cost`, { spec: { replicas: 2 } });
    const deleting = (await pods('cost')).filter((p) => p.metadata.deletionTimestamp).map((p) => p.metadata.name);
    assert.deepEqual(deleting, [names[0]]);
  });

  const plainReplicaSet = (name: string, replicas: number): Obj => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    },
  });

  it('a Pod relabelled out of the selector is released (no owner) and replaced (ClaimPods)', async () => {
    await sim.create(`${APPS}/replicasets`, plainReplicaSet('claim', 1));
    const [pod] = await pods('claim');
    await sim.patch(`${NS}/pods/${pod.metadata.name}`, { metadata: { labels: { app: 'elsewhere' } } });
    const released = await sim.get(`${NS}/pods/${pod.metadata.name}`);
    assert.equal(released.metadata.ownerReferences, undefined);
    assert.equal(released.metadata.deletionTimestamp, undefined, 'released, not deleted');
    assert.equal((await pods('claim')).length, 1, 'a replacement matches the selector');
  });

  it('deleting a ReplicaSet with --cascade=orphan leaves its Pods running, without an owner', async () => {
    await sim.create(`${APPS}/replicasets`, plainReplicaSet('orphaned', 2));
    await sim.advance(500);
    const res = await sim.api.delete(`${APPS}/replicasets/orphaned`, { propagationPolicy: 'Orphan' });
    assert.equal(res.status, 200);
    await sim.advance(2000);
    const left = await pods('orphaned');
    assert.equal(left.length, 2);
    for (const p of left) {
      assert.equal(p.metadata.deletionTimestamp, undefined);
      assert.equal(p.metadata.ownerReferences, undefined);
    }
  });
});
