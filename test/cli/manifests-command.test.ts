// `kloop manifests MODULE`: the kustomize tree from an operator module, built without a cluster
// (the kubectl half is test/e2e/manifests-kubectl.test.ts).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import {
  buildManifests,
  manifestFiles,
  manifestsCommand,
  parseManifestsArgs,
} from '../../src/cli/manifests/command.js';
import { gracePeriodSeconds } from '../../src/cli/manifests/objects.js';
import type { KloopError, ManagerOptions } from '../../src/index.js';
import * as operatorModule from '../fixtures/operator-module.js';
import { Cache } from '../fixtures/operator-module.js';

const MODULE = 'test/fixtures/operator-module.ts';

type Doc = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } };

function docs(text: string | undefined): Doc[] {
  assert.ok(text !== undefined, 'file written');
  return yaml.loadAll(text) as Doc[];
}

describe('kloop manifests', () => {
  it('parses its arguments and says what is wrong', () => {
    assert.deepEqual(parseManifestsArgs(['m.js']), {
      module: 'm.js',
      out: 'config',
      replicas: 1,
      watchedNamespaces: true,
    });
    assert.deepEqual(
      parseManifestsArgs(['m.js', '--name', 'op', '--namespace', 'ops', '--image', 'r/op:1', '--out', 'o']),
      {
        module: 'm.js',
        out: 'o',
        replicas: 1,
        watchedNamespaces: true,
        name: 'op',
        namespace: 'ops',
        image: 'r/op:1',
      },
    );
    assert.throws(() => parseManifestsArgs([]), /a MODULE is required/);
    assert.throws(() => parseManifestsArgs(['m.js', '--name', 'Op_1']), /not a valid DNS label/);
    assert.throws(() => parseManifestsArgs(['m.js', '--replicas', 'two']), /--replicas/);
    assert.equal(parseManifestsArgs(['m.js', '--no-watched-namespaces']).watchedNamespaces, false);
  });

  it('writes a kustomize tree: CRDs, RBAC derived from the controllers, the Deployment and Service', async () => {
    const files = await buildManifests(parseManifestsArgs([MODULE]));
    assert.deepEqual([...files.keys()].sort(), [
      'crd/caches.cache.example.com.yaml',
      'crd/kustomization.yaml',
      'kustomization.yaml',
      'manager/kustomization.yaml',
      'manager/manager.yaml',
      'manager/metrics_service.yaml',
      'manager/namespace.yaml',
      'rbac/kustomization.yaml',
      'rbac/leader_election_role.yaml',
      'rbac/leader_election_role_binding.yaml',
      'rbac/role.yaml',
      'rbac/role_binding.yaml',
      'rbac/service_account.yaml',
    ]);
    assert.deepEqual(yaml.load(files.get('kustomization.yaml')!), {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['crd', 'rbac', 'manager'],
    });
    assert.deepEqual(docs(files.get('crd/caches.cache.example.com.yaml')), [JSON.parse(JSON.stringify(Cache.crd()))]);

    const roles = docs(files.get('rbac/role.yaml'));
    assert.deepEqual(
      roles.map((r) => `${r.kind} ${r.metadata.namespace ?? ''}/${r.metadata.name}`),
      ['ClusterRole /cache-op-manager-role', 'Role team-a/cache-op-manager-role'],
    );
    assert.deepEqual(roles[0]!.rules, [
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
      {
        apiGroups: ['apps'],
        resources: ['deployments'],
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      },
      { apiGroups: ['cache.example.com'], resources: ['caches'], verbs: ['get', 'list', 'patch', 'update', 'watch'] },
      { apiGroups: ['cache.example.com'], resources: ['caches/finalizers'], verbs: ['update'] },
      { apiGroups: ['cache.example.com'], resources: ['caches/status'], verbs: ['patch', 'update'] },
    ]);
    // The declared rule, in the namespace it names.
    assert.deepEqual(roles[1]!.rules, [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }]);
    const bindings = docs(files.get('rbac/role_binding.yaml'));
    for (const b of bindings) {
      assert.deepEqual(b.subjects, [
        { kind: 'ServiceAccount', name: 'cache-op-controller-manager', namespace: 'cache-op-system' },
      ]);
    }
    const [leader] = docs(files.get('rbac/leader_election_role.yaml'));
    assert.equal(leader?.metadata.namespace, 'cache-op-system');
    assert.deepEqual(leader?.rules, [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'get', 'update'] },
    ]);

    const [deployment] = docs(files.get('manager/manager.yaml'));
    const pod = (deployment as unknown as { spec: { template: { spec: Record<string, unknown> } } }).spec.template.spec;
    assert.equal(pod.serviceAccountName, 'cache-op-controller-manager');
    assert.equal(pod.terminationGracePeriodSeconds, 50, 'the 40 s drain and 10 s to release the Lease and exit');
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const container = (pod.containers as Record<string, unknown>[])[0]!;
    assert.equal(container.image, 'cache-op:latest');
    // A `:latest` image defaults to Always: an image loaded into the nodes (kind load) would not run.
    assert.equal(container.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(
      (container.env as { name: string }[]).map((e) => e.name),
      ['POD_NAME', 'POD_NAMESPACE', 'NODE_ENV'],
    );
    assert.deepEqual(container.ports, [{ name: 'http', containerPort: 8081, protocol: 'TCP' }]);
    assert.equal((container.livenessProbe as { httpGet: { path: string } }).httpGet.path, '/healthz');
    assert.equal((container.readinessProbe as { httpGet: { path: string } }).httpGet.path, '/readyz');
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    const [service] = docs(files.get('manager/metrics_service.yaml'));
    assert.deepEqual((service as unknown as { spec: { ports: unknown } }).spec.ports, [
      { name: 'http-metrics', port: 8081, targetPort: 'http', protocol: 'TCP' },
    ]);
    assert.equal(gracePeriodSeconds(20_000), 30, 'the defaults fit kubelet’s default grace period');
  });

  it('writes a Namespace for each namespace it grants in besides its own, unless told not to', async () => {
    const watching = (namespaces: string[], leaseNamespace?: string) => ({
      ...operatorModule,
      managerOptions: {
        ...operatorModule.managerOptions,
        cache: { defaultNamespaces: namespaces },
        leaderElection: { name: 'cache-op', ...(leaseNamespace ? { namespace: leaseNamespace } : {}) },
      } satisfies ManagerOptions,
    });
    const files = await manifestFiles(operatorModule, parseManifestsArgs([MODULE]));
    // The operator's own first (kubebuilder's config/manager), then the one its Role is in.
    assert.deepEqual(
      docs(files.get('manager/namespace.yaml')).map((n) => [n.kind, n.metadata.name]),
      [
        ['Namespace', 'cache-op-system'],
        ['Namespace', 'team-a'],
      ],
    );
    // A namespace the operator does not own carries none of its labels.
    assert.deepEqual(docs(files.get('manager/namespace.yaml'))[1], {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-a' },
    });
    // Namespaces every cluster has are not written; the Lease's namespace is.
    const scoped = await manifestFiles(
      watching(['default', 'kube-system', 'team-b', 'cache-op-system'], 'leases'),
      parseManifestsArgs([MODULE]),
    );
    assert.deepEqual(
      docs(scoped.get('manager/namespace.yaml')).map((n) => n.metadata.name),
      ['cache-op-system', 'leases', 'team-a', 'team-b'],
    );
    // Off: only the operator's own, and the output names those that must exist first.
    const notes: string[] = [];
    const without = await manifestFiles(
      watching(['team-b']),
      parseManifestsArgs([MODULE, '--no-watched-namespaces']),
      (note) => notes.push(note),
    );
    assert.deepEqual(
      docs(without.get('manager/namespace.yaml')).map((n) => n.metadata.name),
      ['cache-op-system'],
    );
    assert.deepEqual(notes, [
      'not written (--no-watched-namespaces): the namespaces team-a, team-b must exist before kubectl apply',
    ]);
  });

  it('writes a metrics-reader ClusterRole for Prometheus when /metrics asks for a token', async () => {
    const plain = await manifestFiles(operatorModule, parseManifestsArgs([MODULE]));
    assert.equal(plain.has('rbac/metrics_reader_role.yaml'), false, 'open /metrics needs no role to scrape it');
    for (const metricsAuth of [true, { audiences: ['metrics'] }]) {
      const files = await manifestFiles(
        { ...operatorModule, managerOptions: { ...operatorModule.managerOptions, http: { port: 8443, metricsAuth } } },
        parseManifestsArgs([MODULE]),
      );
      assert.deepEqual(docs(files.get('rbac/metrics_reader_role.yaml')), [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: {
            name: 'cache-op-metrics-reader',
            labels: { 'app.kubernetes.io/name': 'cache-op', 'app.kubernetes.io/managed-by': 'kloop' },
          },
          rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
        },
      ]);
      // Bound to no one: the scraper's ServiceAccount is the user's to bind.
      assert.ok(
        (yaml.load(files.get('rbac/kustomization.yaml')!) as { resources: string[] }).resources.includes(
          'metrics_reader_role.yaml',
        ),
      );
      assert.doesNotMatch(files.get('rbac/role_binding.yaml')!, /metrics-reader/);
    }
  });

  it('refuses a health listener on loopback, where kubelet’s probes of the Pod IP cannot reach it', async () => {
    const listening = (http: ManagerOptions['http']) => ({
      ...operatorModule,
      managerOptions: { ...operatorModule.managerOptions, http },
    });
    // Every spelling Node's listen() binds to loopback: IPv6 with zeros written out or the mapped
    // IPv4 in hex, IPv4 shorthand, octal and 32-bit forms, any case, a fully-qualified localhost.
    const spellings = [
      '0::1',
      '0:0::1',
      '::ffff:7f00:1',
      '127.1',
      '0177.0.0.1',
      '2130706433',
      'LOCALHOST',
      'localhost.',
    ];
    for (const host of ['127.0.0.1', '127.0.0.53', '::1', 'localhost', '::ffff:127.0.0.1', ...spellings]) {
      await assert.rejects(
        manifestFiles(listening({ port: 8081, host }), parseManifestsArgs([MODULE])),
        (err: KloopError) => {
          assert.equal(err.code, 'KLOOP_MANIFESTS_UNDEPLOYABLE', host);
          assert.match(err.message, new RegExp(`http\\.host is "${host.replace(/\./g, '\\.')}"`));
          assert.match(err.message, /probes/);
          return true;
        },
      );
    }
    for (const host of ['0.0.0.0', '::', '10.1.2.3', '::ffff:10.0.0.1', 'fe80::1', 'localhost.example.com']) {
      const files = await manifestFiles(listening({ port: 8081, host }), parseManifestsArgs([MODULE]));
      assert.match(files.get('manager/manager.yaml')!, /livenessProbe/, host);
    }
    // No port: no probes and no Service are written, so a loopback listener harms nothing.
    const none = await manifestFiles(listening({ port: 0, host: '127.0.0.1' }), parseManifestsArgs([MODULE]));
    assert.doesNotMatch(none.get('manager/manager.yaml')!, /Probe/);
  });

  it('writes the files under --out and names a module with nothing to set up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kloop-manifests-'));
    try {
      let out = '';
      const code = await manifestsCommand([MODULE, '--out', dir, '--name', 'cache', '--image', 'r/cache:1'], {
        out: (t) => (out += t),
      });
      assert.equal(code, 0);
      assert.match(out, /kustomization\.yaml/);
      const manager = await readFile(join(dir, 'manager', 'manager.yaml'), 'utf8');
      assert.match(manager, /image: r\/cache:1/);
      assert.match(manager, /namespace: cache-system/);
      await assert.rejects(
        buildManifests(parseManifestsArgs(['test/fixtures/probe-resource.ts'])),
        /exports no setup\(mgr\) function/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
