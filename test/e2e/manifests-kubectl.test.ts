// `kloop manifests` output applied by kubectl 1.33 (`apply -k`, then `--dry-run=server`) to the
// secure emulator, for an operator whose rules need a ClusterRole and a Role: the ServiceAccount
// it makes then passes the manager's RBAC check at start. (The whole path from `npm pack` is
// deploy-operator.slow.test.ts.)
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { manifestFiles, parseManifestsArgs } from '../../src/cli/manifests/command.js';
import { type KubeClient, Manager, type ManagerOptions } from '../../src/index.js';
import * as operatorModule from '../fixtures/operator-module.js';
import { setup } from '../fixtures/operator-module.js';
import { clientOf, requestToken } from '../integration/secure-helpers.js';
import { runKubectl, sdkKubectl } from '../support/real-clients.js';

const kubectl = sdkKubectl('1.33');

/** The fixture's options with authenticated metrics, as a production operator serves them. */
const managerOptions: ManagerOptions = {
  ...operatorModule.managerOptions,
  http: { port: 8081, metricsAuth: true },
};

/** Binding a scraper's ServiceAccount to the metrics-reader role, as docs/guides/deploying-an-operator.md shows. */
const PROMETHEUS_BINDING = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: prometheus
  namespace: monitoring
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: cache-op-metrics-reader-prometheus
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cache-op-metrics-reader
subjects:
  - kind: ServiceAccount
    name: prometheus
    namespace: monitoring
`;

describe('kloop manifests applied with kubectl 1.33', {
  skip: kubectl === undefined ? 'no kubectl 1.33 here' : false,
}, () => {
  let server: ApiServer;
  let admin: KubeClient;
  let dir: string;
  let kubeconfig: string;
  before(async () => {
    server = await startApiServer({ secure: true });
    admin = clientOf(server.kubeconfig);
    dir = await mkdtemp(join(tmpdir(), 'kloop-manifests-kubectl-'));
    kubeconfig = join(dir, 'kubeconfig');
    await server.writeKubeconfig(kubeconfig);
    // A fresh cluster: the namespace the cache is scoped to (team-a) comes with the manifests.
    const files = await manifestFiles(
      { ...operatorModule, managerOptions },
      parseManifestsArgs(['test/fixtures/operator-module.ts']),
    );
    for (const [file, text] of files) {
      const path = join(dir, 'config', file);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
    }
  });
  after(async () => {
    admin.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies, applies again as a server dry run, and grants what the manager checks at start', async () => {
    const apply = await runKubectl(kubectl!, ['apply', '-k', join(dir, 'config')], { kubeconfig });
    assert.equal(apply.code, 0, apply.stderr);
    for (const line of [
      'namespace/cache-op-system created',
      'namespace/team-a created',
      'customresourcedefinition.apiextensions.k8s.io/caches.cache.example.com created',
      'serviceaccount/cache-op-controller-manager created',
      'role.rbac.authorization.k8s.io/cache-op-leader-election-role created',
      'role.rbac.authorization.k8s.io/cache-op-manager-role created',
      'clusterrole.rbac.authorization.k8s.io/cache-op-manager-role created',
      'clusterrole.rbac.authorization.k8s.io/cache-op-metrics-reader created',
      'rolebinding.rbac.authorization.k8s.io/cache-op-manager-rolebinding created',
      'clusterrolebinding.rbac.authorization.k8s.io/cache-op-manager-rolebinding created',
      'service/cache-op-metrics-service created',
      'deployment.apps/cache-op-controller-manager created',
    ]) {
      assert.ok(apply.stdout.includes(line), `${line} in:\n${apply.stdout}`);
    }
    const dry = await runKubectl(kubectl!, ['apply', '-k', join(dir, 'config'), '--dry-run=server'], { kubeconfig });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /clusterrole\.rbac\.authorization\.k8s\.io\/cache-op-manager-role unchanged \(server dry run\)/,
    );

    const token = await requestToken(admin, 'cache-op-system', 'cache-op-controller-manager');
    const previous = process.env.POD_NAMESPACE;
    process.env.POD_NAMESPACE = 'cache-op-system';
    const mgr = new Manager({
      ...managerOptions,
      http: { port: 0, metricsAuth: true },
      kubeconfig: server.kubeconfigFor({ token }),
    });
    if (previous === undefined) delete process.env.POD_NAMESPACE;
    else process.env.POD_NAMESPACE = previous;
    setup(mgr);
    try {
      await mgr.start();
      assert.deepEqual(
        mgr.readiness().checks.find((c) => c.name === 'rbac'),
        { name: 'rbac', ok: true, detail: 'every derived permission granted' },
      );
      // Prometheus scrapes with a token bound to the metrics-reader role; other tokens are refused.
      await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } });
      await writeFile(join(dir, 'prometheus.yaml'), PROMETHEUS_BINDING);
      const bind = await runKubectl(kubectl!, ['apply', '-f', join(dir, 'prometheus.yaml')], { kubeconfig });
      assert.equal(bind.code, 0, bind.stderr);
      const scrape = async (bearer: string) =>
        (await fetch(`${mgr.httpUrl}/metrics`, { headers: { authorization: `Bearer ${bearer}` } })).status;
      assert.equal(await scrape(await requestToken(admin, 'monitoring', 'prometheus')), 200);
      assert.equal(await scrape(token), 403, 'the operator itself may not read /metrics');
    } finally {
      await mgr.stop();
    }
    const user = 'system:serviceaccount:cache-op-system:cache-op-controller-manager';
    assert.deepEqual(
      server.audit({ user }).filter((e) => e.denied || e.code === 403),
      [],
    );
  });
});
