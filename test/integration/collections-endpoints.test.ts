// The endpoints example against the emulator over HTTP: Services + Pods -> an endpoints
// collection -> a controller writing one ConfigMap per Service with its ready pod IPs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endpointsCollection, endpointsController } from '../../examples/endpoints-collection.js';
import { startApiServer } from '../../src/apiserver/index.js';
import { KubeClient } from '../../src/client/index.js';
import { ConfigMap, type KubeObject, Pod } from '../../src/core/index.js';
import { Manager } from '../../src/manager/index.js';
import { eventually } from '../support/index.js';

function pod(
  name: string,
  labels: Record<string, string>,
  ip: string,
  isReady = true,
  namespace = 'default',
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, labels },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
    status: { podIP: ip, conditions: [{ type: 'Ready', status: isReady ? 'True' : 'False' }] },
  };
}

test('endpoints ConfigMaps follow pods and services through a collection', async () => {
  const server = await startApiServer();
  const mgr = new Manager({ kubeconfig: server.kubeconfig });
  const { endpoints, registry } = endpointsCollection(mgr);
  const admin = KubeClient.fromKubeconfig(server.kubeconfig);
  try {
    endpointsController(mgr, endpoints);
    await mgr.start();
    const ipsOf = (name: string, want: string) =>
      eventually(
        async () => {
          const cm = (await mgr.kube.get(ConfigMap, { namespace: 'default', name }).catch(() => undefined)) as
            | { data?: { ips?: string } }
            | undefined;
          assert.equal(cm?.data?.ips, want);
          return true;
        },
        { message: `${name} = ${want}` },
      );

    await admin.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: 'default', name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    await admin.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: 'default', name: 'api' },
      spec: { selector: { app: 'api' }, ports: [{ port: 80 }] },
    });
    await admin.create(pod('web-0', { app: 'web' }, '10.0.0.1'));
    await admin.create(pod('web-1', { app: 'web' }, '10.0.0.2'));
    await admin.create(pod('web-2', { app: 'web' }, '10.0.0.3', false)); // not ready
    await admin.create(pod('api-0', { app: 'api' }, '10.0.1.1'));
    await ipsOf('web-endpoints', '10.0.0.1,10.0.0.2');
    await ipsOf('api-endpoints', '10.0.1.1');

    // A pod moves from web to api: both ConfigMaps follow, and only those two outputs recompute.
    const calls = endpoints.describe().stats.transformCalls;
    const moved = (await mgr.kube.get(Pod, { namespace: 'default', name: 'web-1' })) as KubeObject;
    await admin.update({ ...moved, metadata: { ...moved.metadata, labels: { app: 'api' } } });
    await ipsOf('api-endpoints', '10.0.1.1,10.0.0.2');
    await ipsOf('web-endpoints', '10.0.0.1');
    assert.equal(endpoints.describe().stats.transformCalls - calls, 2);

    // A pod no Service selects recomputes nothing.
    const before = endpoints.describe().stats.transformCalls;
    await admin.create(pod('other', { app: 'other' }, '10.0.9.9'));
    await eventually(() => mgr.informer(Pod).get({ namespace: 'default', name: 'other' }), {
      message: 'the informer to see the other pod',
    });
    await registry.idle();
    assert.equal(endpoints.describe().stats.transformCalls, before);

    // The Service goes: its endpoints output goes, and the controller deletes the ConfigMap.
    await admin.delete({ apiVersion: 'v1', kind: 'Service' }, { namespace: 'default', name: 'web' });
    await eventually(
      () =>
        mgr.kube.get(ConfigMap, { namespace: 'default', name: 'web-endpoints' }).then(
          () => false,
          () => true,
        ),
      { message: 'web-endpoints deleted' },
    );
    assert.equal(endpoints.get('default/web'), undefined);
  } finally {
    admin.close();
    await mgr.stop();
    registry.close();
    await server.stop();
  }
});
