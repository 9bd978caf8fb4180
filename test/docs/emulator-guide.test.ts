/**
 * The guide `docs/guides/testing-on-the-emulator.md`: each of its TypeScript blocks is a piece of
 * this file, verbatim, so the guide's code compiles (tsc checks this file) and runs (these tests).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Deployment, ManualClock, Pod } from 'kloop';
import { type ApiServer, startApiServer } from 'kloop/apiserver';

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
