// Client-side validation: a write of a defined resource is checked before it is sent, and fails
// with exactly the message the API server gives for the same object (checked by sending it
// anyway); opt-out per client and per write.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { ApiError, defineResource, K8s, KubeClient, Manager, Type, ValidationError } from '../../src/index.js';
import { eventually } from '../support/index.js';

const Memcached = defineResource({
  group: 'cache.kloop.dev',
  version: 'v1',
  kind: 'Memcached',
  spec: Type.Object({
    size: Type.Integer({ minimum: 1, maximum: 10, default: 1 }),
    image: Type.String(),
    tier: Type.Optional(K8s.Rules(Type.String(), [{ rule: 'self == oldSelf', message: 'tier is immutable' }])),
  }),
  status: Type.Object({ readyReplicas: Type.Optional(Type.Integer({ minimum: 0 })) }),
});

const key = { namespace: 'default', name: 'mc' };
const TOO_BIG =
  'Memcached.cache.kloop.dev "mc" is invalid: spec.size: Invalid value: 50: spec.size in body should be less than or equal to 10';

/** A Memcached with any spec: the tests send objects the types would refuse too. */
function memcached(spec: Record<string, unknown>, name = 'mc'): typeof Memcached.Object {
  return {
    apiVersion: 'cache.kloop.dev/v1',
    kind: 'Memcached',
    metadata: { namespace: 'default', name },
    spec: spec as (typeof Memcached.Object)['spec'],
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('the write was not refused');
}

describe('client-side validation of defined resources', () => {
  let server: ApiServer;
  let creates: () => number;
  before(async () => {
    server = await startApiServer({ resources: [Memcached] });
    creates = () => server.stats().count({ verb: 'create', resource: 'memcacheds' });
  });
  after(() => server.stop());

  it('KubeClient: refused before sending, with the message the server gives; opt-out per write and per client', async () => {
    const client = KubeClient.fromKubeconfig(server.kubeconfig, { resources: [Memcached] });
    const unchecked = KubeClient.fromKubeconfig(server.kubeconfig, { validate: false });
    try {
      const before = creates();
      const local = await rejection(client.create(memcached({ size: 50, image: 'memcached:1.6' })));
      assert.ok(local instanceof ValidationError);
      assert.equal(local.code, 'KLOOP_VALIDATION_FAILED');
      assert.equal(local.message, TOO_BIG);
      assert.equal(local.reason, 'Invalid');
      assert.deepEqual(local.causes, [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 50: spec.size in body should be less than or equal to 10',
          field: 'spec.size',
        },
      ]);
      assert.equal(creates(), before, 'nothing was sent');

      const remote = await rejection(
        client.create(memcached({ size: 50, image: 'memcached:1.6' }), { validate: false }),
      );
      assert.ok(remote instanceof ApiError);
      assert.equal(remote.message, local.message, 'the server says the same');
      assert.deepEqual(remote.status, local.status, 'the same Status, causes included');
      assert.equal(creates(), before + 1);
      const byClient = await rejection(unchecked.create(memcached({ size: 50, image: 'x' })));
      assert.ok(byClient instanceof ApiError, 'a client with validate: false leaves it to the server');

      // Defaults count as the server applies them: size may be left out.
      const created = await client.create(memcached({ image: 'memcached:1.6', tier: 'gold' }));
      assert.equal((created.spec as { size: number }).size, 1);
      // Updates: a transition rule compares with nothing here (no current object): accepted by
      // the client, refused by the server, with the same text a cached client would give.
      const changed = await rejection(
        client.update({ ...created, spec: { ...(created.spec as object), tier: 'silver' } }),
      );
      assert.ok(changed instanceof ApiError);
      assert.equal(
        changed.message,
        'Memcached.cache.kloop.dev "mc" is invalid: spec.tier: Invalid value: "string": tier is immutable',
      );
    } finally {
      client.close();
      unchecked.close();
    }
  });

  it('a client learns a defined resource from any call given it as the type', async () => {
    const client = KubeClient.fromKubeconfig(server.kubeconfig);
    try {
      const accepted = await rejection(client.create(memcached({ size: 50, image: 'x' }, 'learn')));
      assert.ok(accepted instanceof ApiError, 'unknown to the client yet: the server refuses it');
      await client.list(Memcached, { namespace: 'default' });
      const local = await rejection(client.create(memcached({ size: 50, image: 'x' }, 'learn')));
      assert.ok(local instanceof ValidationError, 'known now: refused before sending');
    } finally {
      client.close();
    }
  });

  it('the cached client: create, mutate (ratcheted against the cache), mutateStatus and apply; opt-out per write', async () => {
    const mgr = new Manager({ kubeconfig: server.kubeconfig, resources: [Memcached] });
    try {
      await mgr.start();
      const before = creates();
      const local = await rejection(mgr.client.create(Memcached, memcached({ size: 50, image: 'x' }, 'cc')));
      assert.ok(local instanceof ValidationError);
      assert.match(local.message, /^Memcached\.cache\.kloop\.dev "cc" is invalid: spec\.size: Invalid value: 50/);
      assert.equal(creates(), before);

      const mutated = await rejection(
        mgr.client.mutate(Memcached, key, (d) => {
          d.spec.tier = 'bronze';
        }),
      );
      assert.ok(mutated instanceof ValidationError, 'the transition rule sees the cached object as oldSelf');
      assert.equal(
        mutated.message,
        'Memcached.cache.kloop.dev "mc" is invalid: spec.tier: Invalid value: "string": tier is immutable',
      );

      const status = await rejection(
        mgr.client.mutateStatus(Memcached, key, (d) => {
          d.status = { readyReplicas: -1 };
        }),
      );
      assert.ok(status instanceof ValidationError);
      assert.equal(
        status.message,
        'Memcached.cache.kloop.dev "mc" is invalid: status.readyReplicas: Invalid value: -1: readyReplicas in body should be greater than or equal to 0',
      );

      // An apply configuration may leave out required fields (others may own them), not break types.
      const partial = await mgr.client.apply(memcached({ size: 3 }), { fieldManager: 'sizer', force: true });
      assert.equal(partial.sent, true);
      const applied = await rejection(
        mgr.client.apply(memcached({ size: 'three' }), { fieldManager: 'sizer', force: true }),
      );
      assert.ok(applied instanceof ValidationError);

      const remote = await rejection(
        mgr.client.mutate(
          Memcached,
          key,
          (d) => {
            d.spec.size = 50;
          },
          { validate: false },
        ),
      );
      assert.ok(remote instanceof ApiError, 'opted out: the server refuses it');
      assert.equal(remote.message, TOO_BIG);
    } finally {
      await mgr.stop();
    }
  });

  it('an apply outside the cache scope is validated too, with no cached object to ratchet against', async () => {
    const admin = KubeClient.fromKubeconfig(server.kubeconfig);
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'elsewhere' } });
    const mgr = new Manager({
      kubeconfig: server.kubeconfig,
      resources: [Memcached],
      cache: { defaultNamespaces: ['default'] },
    });
    const patches = () => server.stats().count({ verb: 'patch', resource: 'memcacheds' });
    const outside = (spec: Record<string, unknown>) => {
      const object = memcached(spec, 'far');
      return { ...object, metadata: { ...object.metadata, namespace: 'elsewhere' } };
    };
    try {
      await mgr.start();
      const before = patches();
      const refused = await rejection(mgr.client.apply(outside({ size: 50 }), { fieldManager: 'far', force: true }));
      assert.ok(refused instanceof ValidationError, 'refused before sending, though the cache cannot read it');
      assert.equal(
        refused.message,
        'Memcached.cache.kloop.dev "far" is invalid: spec.size: Invalid value: 50: spec.size in body should be less than or equal to 10',
      );
      assert.equal(patches(), before, 'nothing was sent');

      const sent = await mgr.client.apply(outside({ size: 2, image: 'x', tier: 'gold' }), {
        fieldManager: 'far',
        force: true,
      });
      assert.equal(sent.sent, true);
      assert.equal(sent.object?.spec.size, 2);
      // The transition rule has no old object here; the server has one and refuses the change.
      const changed = await rejection(
        mgr.client.apply(outside({ size: 2, image: 'x', tier: 'bronze' }), { fieldManager: 'far', force: true }),
      );
      assert.ok(changed instanceof ApiError && !(changed instanceof ValidationError), 'left to the server');
      assert.equal(
        changed.message,
        'Memcached.cache.kloop.dev "far" is invalid: spec.tier: Invalid value: "string": tier is immutable',
      );
      assert.equal(patches(), before + 2);
      assert.equal(await mgr.client.delete(Memcached, { namespace: 'elsewhere', name: 'far' }), true);
    } finally {
      await mgr.stop();
      admin.close();
    }
  });

  it("a reconcile's refused write shows in the debug record with the server's message, nothing sent", async () => {
    const admin = KubeClient.fromKubeconfig(server.kubeconfig);
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'recorded' } });
    const mgr = new Manager({ kubeconfig: server.kubeconfig, cache: { defaultNamespaces: ['recorded'] } });
    mgr
      .controller('grow')
      .for(Memcached)
      .reconcile(async (req, ctx) => {
        await ctx.client.mutate(Memcached, req.key, (d) => {
          d.spec.size = d.spec.size * 10;
        });
      });
    const patches = () => server.stats().count({ verb: 'patch', resource: 'memcacheds' });
    try {
      await mgr.start();
      const before = patches();
      const object = memcached({ size: 5, image: 'x' }, 'grown');
      await admin.create({ ...object, metadata: { ...object.metadata, namespace: 'recorded' } });
      const failed = await eventually(() => mgr.reconciles({ controller: 'grow', result: 'error' }).at(0), {
        message: 'the reconcile to fail',
      });
      assert.equal(failed.key, 'recorded/grown');
      assert.equal(
        failed.error,
        'Memcached.cache.kloop.dev "grown" is invalid: spec.size: Invalid value: 50: spec.size in body should be less than or equal to 10',
      );
      assert.deepEqual(failed.writes, []);
      assert.equal(patches(), before, 'nothing was sent');
    } finally {
      await mgr.stop();
      admin.close();
    }
  });
});
