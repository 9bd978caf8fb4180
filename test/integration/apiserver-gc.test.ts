import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import { type KubeObject, ManualClock, type OwnerReference, type Status } from '../../src/core/index.js';
import { type Api, configMap, startTestServer, WatchStream } from '../apiserver/helpers.js';
import { eventually } from '../support/index.js';

const CM = '/api/v1/namespaces/default/configmaps';

function ref(owner: KubeObject, extra: Partial<OwnerReference> = {}): OwnerReference {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: String(owner.metadata.name),
    uid: String(owner.metadata.uid),
    ...extra,
  };
}

describe('apiserver garbage collection', () => {
  let server: ApiServer;
  let api: Api;
  const make = async (name: string, owners: OwnerReference[] = []) =>
    (
      await api.post(CM, {
        ...configMap(name),
        metadata: { name, ...(owners.length ? { ownerReferences: owners } : {}) },
      })
    ).body;
  const exists = async (name: string) => (await api.get(`${CM}/${name}`)).status === 200;
  before(async () => {
    ({ server, api } = await startTestServer({ absentOwnerGraceMs: 20 }));
  });
  after(() => server.stop());

  it('Background: the owner goes at once, then its dependents, down a chain', async () => {
    const owner = await make('bg-owner');
    const child = await make('bg-child', [ref(owner, { controller: true })]);
    await make('bg-grandchild', [ref(child)]);
    const res = await api.delete(`${CM}/bg-owner`, { propagationPolicy: 'Background' });
    assert.equal(res.status, 200);
    assert.equal(await exists('bg-owner'), false);
    await eventually(async () => !(await exists('bg-child')) && !(await exists('bg-grandchild')), {
      message: 'bg-child and bg-grandchild gone',
    });
  });

  it('a dependent with another live owner only loses the dangling reference', async () => {
    const a = await make('two-a');
    const b = await make('two-b');
    await make('two-dep', [ref(a), ref(b)]);
    await api.delete(`${CM}/two-a`);
    await eventually(
      async () => {
        const got = (await api.get<KubeObject>(`${CM}/two-dep`)).body;
        return got.metadata.ownerReferences?.length === 1;
      },
      { message: 'two-dep keeps one owner reference' },
    );
    const got = (await api.get<KubeObject>(`${CM}/two-dep`)).body;
    assert.equal(got.metadata.ownerReferences?.[0].name, 'two-b');
  });

  it('Foreground: the owner waits with foregroundDeletion until blocking dependents are gone', async () => {
    const owner = await make('fg-owner');
    await make('fg-blocker', [ref(owner, { blockOwnerDeletion: true })]);
    // A finalizer on the dependent holds the whole chain.
    await api.patch(`${CM}/fg-blocker`, { metadata: { finalizers: ['test/hold'] } });
    const res = await api.delete<KubeObject>(`${CM}/fg-owner`, { propagationPolicy: 'Foreground' });
    assert.equal(res.status, 200);
    assert.ok(res.body.metadata.finalizers?.includes('foregroundDeletion'));
    await eventually(
      async () => Boolean((await api.get<KubeObject>(`${CM}/fg-blocker`)).body.metadata.deletionTimestamp),
      { message: 'fg-blocker marked for deletion' },
    );
    assert.equal(await exists('fg-owner'), true, 'the owner waits for its blocking dependent');
    await api.patch(`${CM}/fg-blocker`, { metadata: { finalizers: null } });
    await eventually(async () => !(await exists('fg-blocker')) && !(await exists('fg-owner')), {
      message: 'fg-blocker and fg-owner gone',
    });
  });

  it('Orphan: dependents lose the reference and stay', async () => {
    const owner = await make('or-owner');
    await make('or-dep', [ref(owner)]);
    const res = await api.delete<KubeObject>(`${CM}/or-owner?propagationPolicy=Orphan`);
    assert.equal(res.status, 200);
    await eventually(async () => !(await exists('or-owner')), { message: 'or-owner gone' });
    const dep = (await api.get<KubeObject>(`${CM}/or-dep`)).body;
    assert.equal(dep.metadata.ownerReferences, undefined);
  });

  it('validates owner references: one controller at most, required fields', async () => {
    const a = await make('val-a');
    const b = await make('val-b');
    const two = await api.post<Status>(CM, {
      ...configMap('val-dep'),
      metadata: { name: 'val-dep', ownerReferences: [ref(a, { controller: true }), ref(b, { controller: true })] },
    });
    assert.equal(two.status, 422);
    assert.match(String(two.body.message), /Only one reference can have Controller set to true/);
    const missing = await api.post<Status>(CM, {
      ...configMap('val-dep'),
      metadata: { name: 'val-dep', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x' }] },
    });
    assert.equal(missing.status, 422);
  });

  it('chains in Foreground: the grandchild goes first, then the child, then the owner', async () => {
    const owner = await make('fgc-owner');
    const child = await make('fgc-child', [ref(owner, { blockOwnerDeletion: true })]);
    await make('fgc-grandchild', [ref(child, { blockOwnerDeletion: true })]);
    const watch = await WatchStream.open(
      server,
      `${CM}?watch=1&resourceVersion=${String(child.metadata.resourceVersion)}`,
    );
    try {
      await api.delete(`${CM}/fgc-owner`, { propagationPolicy: 'Foreground' });
      await eventually(async () => !(await exists('fgc-owner')), { message: 'fgc-owner gone' });
      const deleted: string[] = [];
      const deadline = Date.now() + 5000;
      while (deleted.length < 3 && Date.now() < deadline) {
        for (const e of await watch.take(1)) if (e.type === 'DELETED') deleted.push(String(e.object.metadata.name));
      }
      assert.deepEqual(deleted, ['fgc-grandchild', 'fgc-child', 'fgc-owner']);
    } finally {
      watch.close();
    }
  });

  it('a dependent whose owner never existed is collected after the grace', async () => {
    // On a manual clock: "still there right after the write" once raced a 20 ms real-time grace.
    const clock = new ManualClock();
    const { server: timed, api: client } = await startTestServer({ absentOwnerGraceMs: 1000, clock });
    try {
      const ghost = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'never-was',
        uid: '4f2c0d5e-0000-4000-8000-000000000000',
      };
      const body = { ...configMap('absent-dep'), metadata: { name: 'absent-dep', ownerReferences: [ghost] } };
      assert.equal((await client.post(CM, body)).status, 201);
      await timed.controllers.advance(999);
      assert.equal((await client.get(`${CM}/absent-dep`)).status, 200, 'still there until the grace ends');
      await timed.controllers.advance(1);
      assert.equal((await client.get(`${CM}/absent-dep`)).status, 404, 'collected when it ends');
    } finally {
      await timed.stop();
    }
  });

  it('a dependent created after its owner was deleted (a stale uid) is collected', async () => {
    const owner = await make('stale-owner');
    await api.delete(`${CM}/stale-owner`);
    await make('stale-owner', []); // same name, new uid: still not the owner referenced
    await make('stale-dep', [ref(owner)]);
    await eventually(async () => !(await exists('stale-dep')), { message: 'stale-dep gone' });
    assert.equal(await exists('stale-owner'), true);
  });

  it('a dependent with one live and one absent owner loses only the dangling reference', async () => {
    const live = await make('half-live');
    const ghost = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'half-ghost',
      uid: '4f2c0d5e-0000-4000-8000-000000000001',
    };
    await make('half-dep', [ref(live), ghost]);
    await eventually(
      async () => (await api.get<KubeObject>(`${CM}/half-dep`)).body.metadata.ownerReferences?.length === 1,
      { message: 'half-dep keeps one owner reference' },
    );
    const dep = (await api.get<KubeObject>(`${CM}/half-dep`)).body;
    assert.equal(dep.metadata.ownerReferences?.[0].name, 'half-live');
  });

  it('a reference to a kind the server does not serve is left alone', async () => {
    const unknown = {
      apiVersion: 'example.com/v1',
      kind: 'Gadget',
      name: 'g',
      uid: '4f2c0d5e-0000-4000-8000-000000000002',
    };
    await make('unknown-kind-dep', [unknown]);
    // Wait past the grace (20 ms here) on a condition: an object written later is processed later.
    const probe = { apiVersion: 'v1', kind: 'ConfigMap', name: 'nobody', uid: '4f2c0d5e-0000-4000-8000-000000000003' };
    await make('unknown-kind-probe', [probe]);
    await eventually(async () => !(await exists('unknown-kind-probe')), { message: 'unknown-kind-probe gone' });
    assert.equal(await exists('unknown-kind-dep'), true);
  });

  it('DeleteCollection deletes what the selector matches', async () => {
    await api.post(CM, configMap('dc-1', {}, { batch: 'x' }));
    await api.post(CM, configMap('dc-2', {}, { batch: 'x' }));
    await api.post(CM, configMap('dc-3', {}, { batch: 'y' }));
    const res = await api.delete<{ items: KubeObject[] }>(`${CM}?labelSelector=batch%3Dx`);
    assert.equal(res.status, 200);
    assert.equal(res.body.items.length, 2);
    assert.equal(await exists('dc-1'), false);
    assert.equal(await exists('dc-3'), true);
  });
});
