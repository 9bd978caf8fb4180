/**
 * The website example tested as a user tests an operator, with `kloop/testing` only: an emulator
 * with the built-in controllers on a manual clock, the manager fixture, waiting on conditions,
 * scripted Pods, assertions on writes, and, in secure mode, on RBAC refusals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ClusterRole,
  Deployment,
  Manager,
  ManualClock,
  MissingTypeError,
  Pod,
  RbacMissingError,
  Role,
  RoleBinding,
  Service,
} from 'kloop';
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
import { Website, websiteController } from '../../examples/website.js';

const READS = ['get', 'list', 'watch'];

describe('the website operator on the emulator', () => {
  let emulator: TestEmulator;
  before(async () => {
    emulator = await startEmulator({
      controllers: true,
      clock: new ManualClock(),
      resources: [Website],
      simulation: { podRules: [{ labelSelector: 'app=broken', outcome: 'never-ready' }] },
    });
  });
  after(() => emulator.stop());

  it('turns a Website Ready once its Pods run, applying each owned object once', async () => {
    const mgr = await startManager(emulator, (m) => websiteController(m), { resources: [Website] });
    try {
      const writes = recordWrites(mgr);
      await emulator.client.create({
        ...Website,
        metadata: { namespace: 'default', name: 'blog' },
        spec: { image: 'nginx:1.27', replicas: 2 },
      });
      const site = await emulator.waitForCondition({ ...Website, namespace: 'default', name: 'blog' }, 'Ready');
      assert.equal(site.status?.readyReplicas, 2);
      // The cluster's many status writes to the Deployment re-trigger the reconcile; the applies
      // find nothing to change and send nothing.
      await writes.expect({ type: Deployment, kind: 'apply', count: 1 });
      await writes.expect({ type: Service, kind: 'apply', count: 1 });
      await writes.expect({ type: Website, kind: 'status', atMost: 3 });
      assert.ok((await writes.bytes({ controller: 'website' })) > 0);
      await assert.rejects(writes.expect({ type: Deployment, count: 0 }), /expected 0 writes, found 1\n.*apply/);
    } finally {
      await mgr.stop();
    }
  });

  it('stays not Available while scripted Pods never turn Ready', async () => {
    const mgr = await startManager(emulator, (m) => websiteController(m), { resources: [Website] });
    try {
      await emulator.client.create({
        ...Website,
        metadata: { namespace: 'default', name: 'broken' },
        spec: { image: 'nginx:1.27', replicas: 1 },
      });
      await emulator.waitForCondition({ ...Deployment, namespace: 'default', name: 'broken' }, 'Available', {
        status: 'False',
        reason: 'MinimumReplicasUnavailable',
      });
      const site = await emulator.waitForCondition({ ...Website, namespace: 'default', name: 'broken' }, 'Ready', {
        status: 'False',
        reason: 'Progressing',
      });
      assert.equal(site.status?.readyReplicas ?? 0, 0);
    } finally {
      await mgr.stop();
    }
  });

  it('scripts one Pod with annotations', async () => {
    await emulator.client.create({
      ...Pod,
      metadata: { namespace: 'default', name: 'migrate', annotations: podOutcome('exit:3', { runMs: 500 }) },
      spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
    });
    const failed = await eventually(
      async () => {
        await emulator.server.controllers.advance(100);
        const pod = await emulator.client.get(Pod, { namespace: 'default', name: 'migrate' });
        return pod.status?.phase === 'Failed' ? pod : undefined;
      },
      { message: 'the Pod to fail' },
    );
    assert.equal(failed.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 3);
  });

  it('fails start() at once, naming the resource, when a CRD is missing', async () => {
    const bare = await startEmulator();
    try {
      await assert.rejects(
        startManager(bare, (m) => websiteController(m)),
        (err: unknown) =>
          err instanceof MissingTypeError &&
          /no resource Website\.kloop\.dev: is its CRD installed\?/.test(err.message),
      );
    } finally {
      await bare.stop();
    }
  });
});

describe('the website operator under RBAC', () => {
  let emulator: TestEmulator;
  before(async () => {
    emulator = await startEmulator({ secure: true, controllers: true, resources: [Website] });
  });
  after(() => emulator.stop());

  const readEverything = {
    verbs: READS,
    apiGroups: ['kloop.dev', 'apps', ''],
    resources: ['websites', 'deployments', 'services'],
  };
  const writeStatus = { verbs: ['get', 'patch', 'update'], apiGroups: ['kloop.dev'], resources: ['websites/status'] };

  it('fails the start naming what the rules lack, before anything is refused', async () => {
    const kubeconfig = await emulator.serviceAccount('ops', 'checked', { rules: [readEverything, writeStatus] });
    await assert.rejects(
      startManager(kubeconfig, (m) => websiteController(m), { resources: [Website] }),
      (err: Error) => err instanceof RbacMissingError && /patch apps\/deployments cluster-wide/.test(err.message),
    );
    assert.deepEqual(deniedRequests(emulator, { user: 'system:serviceaccount:ops:checked' }), []);
  });

  it('names each request RBAC refused', async () => {
    const kubeconfig = await emulator.serviceAccount('ops', 'reader', { rules: [readEverything, writeStatus] });
    // Without the check at start, to see what the server refuses as the operator runs.
    const mgr = await startManager(kubeconfig, (m) => websiteController(m), { resources: [Website], rbacCheck: 'off' });
    try {
      await emulator.client.create({
        ...Website,
        metadata: { namespace: 'default', name: 'denied' },
        spec: { image: 'nginx:1.27' },
      });
      const user = 'system:serviceaccount:ops:reader';
      await eventually(() => deniedRequests(emulator, { user, resource: 'deployments.apps' }).length > 0, {
        message: 'the apply of the Deployment to be refused',
      });
      assert.throws(
        () => assertNoDenials(emulator, { user }),
        /403 system:serviceaccount:ops:reader patch deployments\.apps default\/denied/,
      );
    } finally {
      await mgr.stop();
    }
  });

  it('reproduces a namespace-scoped operator’s Roles, in namespaces made for them', async () => {
    const scoped = { resources: [Website], cache: { defaultNamespaces: ['shop'] } };
    const declared = new Manager({ kubeconfig: emulator.kubeconfig, ...scoped });
    websiteController(declared);
    const { clusterRules, namespaceRules } = declared.rbacRules();
    await declared.stop();
    assert.deepEqual(
      namespaceRules.map((r) => r.namespace),
      ['shop'],
    );
    // Cluster-wide rules alone leave the Role out: the start names what is missing in `shop`.
    const unscoped = await emulator.serviceAccount('ops', 'unscoped', { rules: clusterRules });
    await assert.rejects(
      startManager(unscoped, (m) => websiteController(m), scoped),
      (err: Error) =>
        err instanceof RbacMissingError && /list kloop\.dev\/websites in namespace shop/.test(err.message),
    );
    const kubeconfig = await emulator.serviceAccount('ops', 'scoped', { rules: clusterRules, namespaceRules });
    const role = await emulator.client.get(Role, { namespace: 'shop', name: 'ops-scoped' });
    assert.deepEqual(role.rules, namespaceRules[0]!.rules);
    const binding = await emulator.client.get(RoleBinding, { namespace: 'shop', name: 'ops-scoped' });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', namespace: 'ops', name: 'scoped' }]);
    const mgr = await startManager(kubeconfig, (m) => websiteController(m), scoped);
    try {
      await emulator.client.create({
        ...Website,
        metadata: { namespace: 'shop', name: 'scoped' },
        spec: { image: 'nginx:1.27' },
      });
      await emulator.waitForCondition({ ...Website, namespace: 'shop', name: 'scoped' }, 'Ready');
      assertNoDenials(emulator, { user: 'system:serviceaccount:ops:scoped' });
    } finally {
      await mgr.stop();
    }
  });

  it('passes with the rules derived from its declarations', async () => {
    // The rules kloop manifests would write, from a manager that is only declared, never started.
    const declared = new Manager({ kubeconfig: emulator.kubeconfig, resources: [Website] });
    websiteController(declared);
    const { clusterRules, namespaceRules } = declared.rbacRules();
    await declared.stop();
    assert.deepEqual(namespaceRules, [], 'an unscoped cache: every rule is cluster-wide');
    const kubeconfig = await emulator.serviceAccount('ops', 'operator', { rules: clusterRules });
    const mgr = await startManager(kubeconfig, (m) => websiteController(m), { resources: [Website] });
    try {
      await emulator.client.create({
        ...Website,
        metadata: { namespace: 'default', name: 'allowed' },
        spec: { image: 'nginx:1.27' },
      });
      await emulator.waitForCondition({ ...Website, namespace: 'default', name: 'allowed' }, 'Ready');
      assertNoDenials(emulator, { user: 'system:serviceaccount:ops:operator' });
    } finally {
      await mgr.stop();
    }
  });

  it('granting a service account again replaces its rules', async () => {
    // A test that grants the derived rules, then all but one to see start() fail, must not keep
    // the first grant's rules: the second call used to find the roles present and change nothing.
    await emulator.serviceAccount('ops', 'regranted', {
      rules: [readEverything, writeStatus],
      namespaceRules: [{ namespace: 'shop', rules: [readEverything, writeStatus] }],
    });
    await emulator.serviceAccount('ops', 'regranted', {
      rules: [readEverything],
      namespaceRules: [{ namespace: 'shop', rules: [writeStatus] }],
    });
    const clusterRole = await emulator.client.get(ClusterRole, { name: 'ops-regranted' });
    assert.deepEqual(clusterRole.rules, [readEverything]);
    const role = await emulator.client.get(Role, { namespace: 'shop', name: 'ops-regranted' });
    assert.deepEqual(role.rules, [writeStatus]);
  });
});
