/**
 * The website example on the emulator with its built-in controllers: nobody writes a status by
 * hand, yet the Website turns `Ready=True` because the cluster runs the Deployment's Pods. The
 * cluster's many writes (ReplicaSets, Pods, Deployment status) reach the operator as events, and
 * its own writes stay what they are without a cluster: one apply per owned object, a status write
 * only when readiness changes, nothing in steady state.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { installWebsiteCrd, Website, type WebsiteObject, websiteController } from '../../examples/website.js';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { KubeClient } from '../../src/client/index.js';
import { Manager } from '../../src/manager/index.js';
import { eventually } from '../support/index.js';

const WRITES = ['create', 'update', 'patch', 'delete'];

describe('website example on a cluster that runs its Pods', () => {
  let server: ApiServer;
  let mgr: Manager;
  let admin: KubeClient;
  before(async () => {
    server = await startApiServer({ controllers: true });
    admin = KubeClient.fromKubeconfig(server.kubeconfig);
    mgr = new Manager({ kubeconfig: server.kubeconfig, drainTimeoutMs: 2000, logger: pino({ level: 'silent' }) });
    await installWebsiteCrd(mgr);
    websiteController(mgr);
    await mgr.start();
  });
  after(async () => {
    admin.close();
    await mgr.stop();
    await server.stop();
  });

  /** Both sides idle: the cluster's controllers settled and the operator's queues empty. */
  const quiet = async () => {
    const idle = () => mgr.controllers().every((c) => c.queue.depth === 0 && c.queue.inFlightCount === 0);
    for (let i = 0; i < 3; i++) {
      await server.controllers.settle();
      await eventually(idle, { timeout: 10_000, message: 'the operator idle' });
    }
  };

  const ready = async () => {
    const site = await mgr.kube.get<WebsiteObject>(Website, { namespace: 'default', name: 'blog' });
    return site.status?.conditions?.find((c) => c.type === 'Ready');
  };

  it("reaches Ready=True with no status written by hand, and the operator's writes stay its own", async () => {
    await admin.create({
      ...Website,
      metadata: { namespace: 'default', name: 'blog' },
      spec: { image: 'nginx:1.27', replicas: 2, port: 80 },
    });
    await eventually(async () => (await ready())?.status === 'True', {
      timeout: 10_000,
      message: 'Website Ready=True',
    });
    const condition = await ready();
    assert.deepEqual([condition?.reason, condition?.message], ['Available', '2/2 replicas ready']);
    await quiet();
    const stats = server.stats();
    // The operator applied its Deployment and Service once each; the cluster did the rest.
    assert.equal(stats.count({ verb: WRITES, resource: 'deployments.apps' }), 1);
    assert.equal(stats.count({ verb: WRITES, resource: 'services' }), 1);
    assert.equal(stats.count({ verb: WRITES, resource: 'pods' }), 0, 'no Pod status by hand');
    assert.equal(stats.count({ verb: WRITES, resource: 'deployments.apps', subresource: 'status' }), 0);
    assert.ok(
      stats.controllers.count({ controller: 'deployment', resource: 'deployments.apps', subresource: 'status' }) >= 2,
    );
    assert.ok(stats.controllers.count({ controller: 'kubelet' }) >= 4);
    const websiteStatusWrites = stats.count({ verb: WRITES, resource: 'websites.kloop.dev', subresource: 'status' });
    assert.ok(
      websiteStatusWrites >= 2 && websiteStatusWrites <= 4,
      `status written on readiness changes only (${websiteStatusWrites})`,
    );

    // Steady state: a resync of the Website reconciles again and writes nothing.
    const before = server.stats().count({ verb: WRITES });
    mgr.controllers()[0].enqueue({ namespace: 'default', name: 'blog' }, { source: 'resync', event: 'resync' });
    await quiet();
    assert.equal(server.stats().count({ verb: WRITES }), before, 'no write in steady state');

    // A Pod dies: the cluster replaces it, the Deployment dips and recovers; the operator follows
    // with status writes only, never re-applying what did not change.
    const [victim] = (
      await mgr.kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'default', labelSelector: 'app=blog' })
    ).items;
    await admin.delete({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'default', name: String(victim.metadata.name) });
    await eventually(
      async () => {
        const list = await mgr.kube.list(
          { apiVersion: 'v1', kind: 'Pod' },
          { namespace: 'default', labelSelector: 'app=blog' },
        );
        return list.items.length === 2 && !list.items.some((p) => p.metadata.name === victim.metadata.name);
      },
      { timeout: 10_000, message: 'the Pod replaced' },
    );
    await eventually(async () => (await ready())?.status === 'True', { timeout: 10_000, message: 'Ready again' });
    await quiet();
    const after = server.stats();
    assert.equal(
      after.count({ verb: WRITES, resource: 'deployments.apps' }),
      1,
      'the Deployment was not applied again',
    );
    assert.equal(after.count({ verb: WRITES, resource: 'services' }), 1);
  });
});
