// The RBAC check at start, on the secure emulator: a ServiceAccount granted exactly what the
// manager derives starts and reconciles with no request refused; one rule less and start() fails
// naming it; in 'warn' mode it starts and /readyz names it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Type } from 'typebox';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { type DeploymentFacts, rbacObjects } from '../../src/cli/manifests/objects.js';
import {
  ConfigMap,
  defineResource,
  type KubeClient,
  type KubeObject,
  Manager,
  type ManagerOptions,
  RbacMissingError,
} from '../../src/index.js';
import { eventually } from '../support/index.js';
import { clientOf, requestToken, serviceAccount } from './secure-helpers.js';

const Note = defineResource({
  group: 'notes.example.com',
  version: 'v1',
  kind: 'Note',
  spec: Type.Object({ text: Type.String() }),
  status: Type.Object({ seen: Type.Optional(Type.Boolean()) }),
});

const OPTIONS: ManagerOptions = {
  leaderElection: { name: 'notes', namespace: 'notes-system' },
  cache: { defaultNamespaces: ['team-a'] },
  informerOptions: { reflector: { streamingList: false } },
};
const FACTS: DeploymentFacts = {
  name: 'notes',
  namespace: 'notes-system',
  image: 'notes',
  drainTimeoutMs: 1000,
  replicas: 1,
};
const USER = 'system:serviceaccount:notes-system:notes-controller-manager';

function setup(mgr: Manager): void {
  mgr
    .controller('notes')
    .for(Note)
    .owns(ConfigMap)
    .reconcile(async (req, ctx) => {
      const note = await ctx.client.get(Note, req.key);
      if (!note) return;
      await ctx.client.apply(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            namespace: req.key.namespace,
            name: req.key.name,
            ownerReferences: [
              {
                apiVersion: Note.apiVersion,
                kind: Note.kind,
                name: req.key.name,
                uid: note.metadata.uid!,
                controller: true,
              },
            ],
          },
          data: { text: note.spec.text },
        },
        { fieldManager: 'notes', force: true },
      );
      await ctx.client.mutateStatus(Note, req.key, (d) => {
        d.status = { seen: true };
      });
    });
}

describe('the RBAC check at start', () => {
  let server: ApiServer;
  let admin: KubeClient;
  let kubeconfig: object;
  let roles: KubeObject[];
  before(async () => {
    server = await startApiServer({ secure: true });
    admin = clientOf(server.kubeconfig);
    for (const name of ['notes-system', 'team-a'])
      await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await admin.create(Note.crd() as unknown as KubeObject);
    await admin.create(serviceAccount('notes-system', 'notes-controller-manager'));
    // The Roles as kloop manifests writes them, from an offline manager with the same setup.
    const offline = new Manager({ ...OPTIONS, kubeconfig: server.kubeconfig });
    setup(offline);
    const objects = rbacObjects(offline.rbacRules(), FACTS);
    await offline.stop();
    roles = objects.roles;
    for (const o of [...objects.roles, ...objects.bindings]) await admin.create(o);
    kubeconfig = server.kubeconfigFor({ token: await requestToken(admin, 'notes-system', 'notes-controller-manager') });
  });
  after(async () => {
    admin.close();
    await server.stop();
  });

  it('starts with exactly the derived rules and reconciles with no request refused', async () => {
    const mgr = new Manager({ ...OPTIONS, kubeconfig, http: { port: 0 } });
    setup(mgr);
    await mgr.start();
    try {
      await mgr.elected;
      await admin.create({
        apiVersion: Note.apiVersion,
        kind: Note.kind,
        metadata: { namespace: 'team-a', name: 'n1' },
        spec: { text: 'hi' },
      } as KubeObject);
      await eventually(async () => (await admin.get(Note, { namespace: 'team-a', name: 'n1' })).status?.seen === true, {
        message: 'the Note to be seen',
      });
      const rbac = mgr.readiness().checks.find((c) => c.name === 'rbac');
      assert.deepEqual(rbac, { name: 'rbac', ok: true, detail: 'every derived permission granted' });
    } finally {
      await mgr.stop();
    }
    const reviews = server.audit({ user: USER }).filter((e) => e.resource === 'selfsubjectaccessreviews');
    assert.ok(reviews.length > 10, `one review per permission, got ${reviews.length}`);
    assert.deepEqual(
      server.audit({ user: USER }).filter((e) => e.denied || e.code === 403),
      [],
    );
  });

  it('fails to start naming the rule taken away, and in warn mode reports it in /readyz', async () => {
    const role = roles.find((r) => r.kind === 'Role' && r.metadata.namespace === 'team-a')!;
    const rules = (role as unknown as { rules: { resources: string[] }[] }).rules.filter(
      (r) => !r.resources.includes('notes/status'),
    );
    const current = await admin.get<KubeObject>(
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
      { namespace: 'team-a', name: 'notes-manager-role' },
    );
    await admin.update({ ...current, rules } as KubeObject);
    const mgr = new Manager({ ...OPTIONS, kubeconfig });
    setup(mgr);
    const err = await mgr.start().then(
      () => assert.fail('start() must fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RbacMissingError, String(err));
    assert.equal(err.code, 'KLOOP_RBAC_MISSING');
    assert.deepEqual(
      err.missing.map((p) => `${p.verb} ${p.resource}/${p.subresource} ${p.namespace}`),
      ['update notes/status team-a', 'patch notes/status team-a'],
    );
    assert.match(
      err.message,
      /update notes\.example\.com\/notes\/status in namespace team-a \(controller notes: for notes\.example\.com\/v1\/Note \(status writes\)\)/,
    );
    assert.equal(await mgr.done, 'stopped');

    const warned = new Manager({ ...OPTIONS, kubeconfig, rbacCheck: 'warn' });
    setup(warned);
    await warned.start();
    try {
      const check = warned.readiness().checks.find((c) => c.name === 'rbac');
      assert.equal(check?.ok, false);
      assert.match(check?.detail ?? '', /patch notes\.example\.com\/notes\/status in namespace team-a/);
      assert.equal(warned.readiness().ready, false);
    } finally {
      await warned.stop();
    }
  });
});
