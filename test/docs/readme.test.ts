// The README's controller, run against the emulator: the snippet there is this code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigMap, KubeClient, type KubeObject, labelSelector, Manager, Secret } from 'kloop';
import { startApiServer } from 'kloop/apiserver';

interface ConfigMapObject extends KubeObject {
  data?: Record<string, string>;
}

test('the README controller mirrors a labelled ConfigMap and then sends nothing', async () => {
  const server = await startApiServer({ port: 0 });
  const mgr = new Manager({ kubeconfig: server.kubeconfig });
  // The test plays the user (kubectl) with its own client: the manager's `kube` only reads.
  const admin = KubeClient.fromKubeconfig(server.kubeconfig);
  let reconciles = 0;
  try {
    mgr
      .controller('mirror')
      .for(ConfigMap, { predicates: [labelSelector('mirror=true')] })
      .owns(Secret)
      .reconcile(async (req, ctx) => {
        const cm = await ctx.client.get<ConfigMapObject>(ConfigMap, req.key);
        reconciles++;
        if (!cm) return;
        ctx.log.info({ triggers: req.triggers.length }, 'reconciling');
        const data = Object.fromEntries(Object.entries(cm.data ?? {}).map(([k, v]) => [k, btoa(v)]));
        await ctx.client.apply(
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { namespace: req.key.namespace, name: `${req.key.name}-copy` },
            data,
          },
          { fieldManager: 'mirror' },
        );
      });
    await mgr.start();
    await admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'default', name: 'a', labels: { mirror: 'true' } },
      data: { k: 'v' },
    });
    let secret: { data?: Record<string, string> } | undefined;
    for (let i = 0; i < 200 && !secret; i++) {
      secret = await admin
        .get<{ metadata: Record<string, unknown>; data?: Record<string, string> }>(Secret, {
          namespace: 'default',
          name: 'a-copy',
        })
        .catch(() => undefined);
      if (!secret) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(secret?.data?.k, Buffer.from('v').toString('base64'));

    // A change the controller does not care about reconciles again, and no write is sent.
    const before = reconciles;
    const writes = () => server.stats().count({ verb: ['create', 'update', 'patch', 'delete'], resource: 'secrets' });
    const writesBefore = writes();
    await admin.patch(
      { type: ConfigMap, key: { namespace: 'default', name: 'a' } },
      { metadata: { annotations: { note: 'x' } } },
      { type: 'merge' },
    );
    for (let i = 0; i < 200 && reconciles === before; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(reconciles > before, 'reconciled again');
    assert.equal(writes(), writesBefore, 'no write for a no-op reconcile');
  } finally {
    admin.close();
    await mgr.stop();
    await server.stop();
  }
});
