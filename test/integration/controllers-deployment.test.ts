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
});
