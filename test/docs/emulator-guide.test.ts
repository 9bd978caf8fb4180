/**
 * The guide `docs/guides/testing-on-the-emulator.md`: each of its TypeScript blocks is a piece of
 * this file, verbatim, so the guide's code compiles (tsc checks this file) and runs (these tests).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ConfigMap, Deployment, defineResource, type Manager, ManualClock, MissingTypeError, Pod, Type } from 'kloop';
import { type ApiServer, startApiServer } from 'kloop/apiserver';
import {
  assertNoDenials,
  deniedRequests,
  eventually,
  podOutcome,
  recordWrites,
  startEmulator,
  startManager,
  type TestEmulator,
} from 'kloop/testing';

const GUIDE = 'docs/guides/testing-on-the-emulator.md';

describe('the emulator guide', () => {
  it("has only code blocks that are this file's code", () => {
    const guide = readFileSync(GUIDE, 'utf8');
    const self = readFileSync(new URL(import.meta.url), 'utf8');
    const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.ok(blocks.length >= 4, 'the guide has its examples');
    for (const block of blocks) {
      for (const line of block.split('\n')) {
        if (line.trim() === '' || line.trim().startsWith('//')) continue;
        assert.ok(self.includes(line.trim()), `guide line not in ${import.meta.url}: ${line}`);
      }
    }
  });
});

describe('guide: a Deployment becomes ready on a manual clock', () => {
  // guide:start manual-clock
  const clock = new ManualClock();
  let server: ApiServer;
  before(async () => {
    server = await startApiServer({ controllers: true, clock });
  });
  after(() => server.stop());

  it('rolls out', async () => {
    await fetch(`${server.url}/apis/apps/v1/namespaces/default/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...Deployment,
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
        },
      }),
    });
    await server.controllers.advance(1000); // scheduled, started, Ready: no sleep
    const res = await fetch(`${server.url}/apis/apps/v1/namespaces/default/deployments/web`);
    const web = (await res.json()) as { status: { availableReplicas: number } };
    assert.equal(web.status.availableReplicas, 2);
  });
  // guide:end
});

describe('guide: scripted outcomes and Node failures', () => {
  let server: ApiServer;
  after(() => server.stop());

  it('crash-loops the Pods a rule selects and fails a Node', async () => {
    server = await startApiServer({
      controllers: true,
      clock: new ManualClock(),
      simulation: {
        nodes: 2,
        podRules: [
          { labelSelector: 'app=db', outcome: 'crash-loop' },
          { namespace: 'slow', readyDelayMs: 30_000 },
        ],
      },
    });
    const pod = {
      ...Pod,
      metadata: { name: 'job-like', annotations: { 'kloop.dev/outcome': 'exit:1' } },
      spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
    };
    await fetch(`${server.url}/api/v1/namespaces/default/pods`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(pod),
    });
    await server.controllers.advance(1000);
    const failed = (await (await fetch(`${server.url}/api/v1/namespaces/default/pods/job-like`)).json()) as {
      status: { phase: string };
    };
    assert.equal(failed.status.phase, 'Failed');

    server.controllers.setNodeReady('node-2', false); // tainted now, its Pods NotReady after the grace
    await server.controllers.advance(5_000);
    server.controllers.setNodeReady('node-2', true);
    assert.deepEqual(server.controllers.nodeNames(), ['node-1', 'node-2']);
  });
});

describe("guide: the operator's writes, apart from the cluster's", () => {
  it('counts both', async () => {
    const server = await startApiServer({ controllers: true });
    try {
      // guide:start stats
      server.resetStats();
      // ... the operator under test runs, the cluster reacts ...
      const stats = server.stats();
      const operatorWrites = stats.count({ verb: ['create', 'update', 'patch', 'delete'] });
      const clusterPodWrites = stats.controllers.count({ resource: 'pods' });
      const kubeletStatusWrites = stats.controllers.count({ controller: 'kubelet', subresource: 'status' });
      // guide:end
      assert.equal(operatorWrites, 0);
      assert.ok(clusterPodWrites >= 0 && kubeletStatusWrites >= 0);
    } finally {
      await server.stop();
    }
  });
});

describe('guide: the testing kit', () => {
  // guide:start kit
  const Greeting = defineResource({
    group: 'example.com',
    version: 'v1',
    kind: 'Greeting',
    spec: Type.Object({ message: Type.String() }),
  });

  // The operator under test: one ConfigMap per Greeting.
  function greetings(mgr: Manager) {
    mgr
      .controller('greeting')
      .for(Greeting)
      .owns(ConfigMap)
      .reconcile(async (req, ctx) => {
        const greeting = await ctx.client.get(Greeting, req.key);
        if (!greeting) return;
        const name = `${req.key.name}-greeting`;
        const data = { message: greeting.spec.message };
        await ctx.client.apply({ ...ConfigMap, metadata: { ...req.key, name }, data }, { fieldManager: 'greeting' });
      });
  }

  let emulator: TestEmulator;
  before(async () => {
    emulator = await startEmulator({ resources: [Greeting], controllers: true, clock: new ManualClock() });
  });
  after(() => emulator.stop());

  it('writes one ConfigMap per Greeting, once', async () => {
    const mgr = await startManager(emulator, greetings);
    try {
      const writes = recordWrites(mgr);
      const hello = { ...Greeting, metadata: { namespace: 'default', name: 'hello' }, spec: { message: 'hi' } };
      await emulator.client.create(hello);
      const key = { namespace: 'default', name: 'hello-greeting' };
      await eventually(() => emulator.client.get(ConfigMap, key).catch(() => undefined), { message: 'the ConfigMap' });
      await writes.expect({ controller: 'greeting', type: ConfigMap, kind: 'apply', count: 1, maxBytes: 1000 });
    } finally {
      await mgr.stop();
    }
  });
  // guide:end

  it('waits for a condition, with the cluster on the manual clock', async () => {
    await emulator.client.create({
      ...Deployment,
      metadata: { namespace: 'default', name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' }, annotations: podOutcome('ready', { readyDelayMs: 5_000 }) },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
        },
      },
    });
    // guide:start condition
    const web = await emulator.waitForCondition({ ...Deployment, namespace: 'default', name: 'web' }, 'Available');
    // guide:end
    assert.equal(web.status?.availableReplicas, 1);
  });

  it('fails fast on a missing CRD', async () => {
    // guide:start missing
    const bare = await startEmulator(); // no Greeting CRD
    await assert.rejects(startManager(bare, greetings), MissingTypeError); // is its CRD installed?
    await bare.stop();
    // guide:end
  });

  it('names what RBAC refused', async () => {
    // guide:start rbac
    const secure = await startEmulator({ secure: true, resources: [Greeting] });
    const reads = {
      verbs: ['get', 'list', 'watch'],
      apiGroups: ['example.com', ''],
      resources: ['greetings', 'configmaps'],
    };
    const kubeconfig = await secure.serviceAccount('ops', 'greeter', { rules: [reads] });
    await assert.rejects(startManager(kubeconfig, greetings), /patch core\/configmaps cluster-wide/);
    // As system:serviceaccount:ops:greeter; without rbacCheck: 'off' this start fails, naming
    // `patch core/configmaps cluster-wide`.
    const mgr = await startManager(kubeconfig, greetings, { rbacCheck: 'off' });
    const hello = { ...Greeting, metadata: { namespace: 'default', name: 'hello' }, spec: { message: 'hi' } };
    await secure.client.create(hello);
    const user = 'system:serviceaccount:ops:greeter';
    await eventually(() => deniedRequests(secure, { user }).length > 0, { message: 'a refusal' });
    assert.throws(() => assertNoDenials(secure, { user }), /403 .* patch configmaps default\/hello-greeting/);
    await mgr.stop();
    await secure.stop();
    // guide:end
  });
});
