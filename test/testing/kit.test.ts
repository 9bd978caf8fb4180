// The edges of `kloop/testing`: what its waits and assertions say when they fail, that a stale
// condition does not count, that a reset forgets earlier writes, and that the helpers needing the
// secure mode refuse to pass trivially without it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigMap, CustomResourceDefinition, defineResource, KloopError, type KubeObject, Type } from 'kloop';
import {
  assertNoDenials,
  eventually,
  installResources,
  podOutcome,
  recordWrites,
  startEmulator,
  startManager,
  type TestEmulator,
  waitForCondition,
} from 'kloop/testing';

const Gadget = defineResource({
  group: 'kit.example.com',
  version: 'v1',
  kind: 'Gadget',
  spec: Type.Object({ size: Type.Integer() }),
  status: Type.Object({
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(
      Type.Array(
        Type.Object({
          type: Type.String(),
          status: Type.String(),
          reason: Type.Optional(Type.String()),
          observedGeneration: Type.Optional(Type.Integer()),
        }),
      ),
    ),
  }),
});

describe('kloop/testing at its edges', () => {
  let emulator: TestEmulator;
  before(async () => {
    emulator = await startEmulator();
  });
  after(() => emulator.stop());

  it('installs CRDs from definitions at run time, twice without harm, and waits until they are served', async () => {
    await installResources(emulator.client, [Gadget]);
    await emulator.install(Gadget);
    const crd = await emulator.client.get(CustomResourceDefinition, { name: 'gadgets.kit.example.com' });
    assert.equal(crd.spec.names.kind, 'Gadget');
    const list = await emulator.client.list(Gadget, { namespace: 'default' });
    assert.deepEqual(list.items, []);
  });

  it('waitForCondition ignores a condition written for an older generation, and says what it saw', async () => {
    const key = { namespace: 'default', name: 'stale' };
    const created: KubeObject = await emulator.client.create({ ...Gadget, metadata: key, spec: { size: 1 } });
    await emulator.client.patch(
      { type: Gadget, key },
      { status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True', observedGeneration: 1 }] } },
      { subresource: 'status' },
    );
    const ready = await waitForCondition(emulator.client, { ...Gadget, ...key }, 'Ready');
    assert.equal(ready.metadata.uid, created.metadata.uid);
    // A spec change makes generation 2: the condition is stale until the status catches up.
    await emulator.client.patch({ type: Gadget, key }, { spec: { size: 2 } });
    await assert.rejects(
      waitForCondition(emulator.client, { ...Gadget, ...key }, 'Ready', { timeout: 200 }),
      /Gadget default\/stale to have Ready=True: not within 200 ms .*last seen: Ready=True, status\.observedGeneration 1 < generation 2/s,
    );
    await assert.rejects(
      waitForCondition(emulator.client, { ...ConfigMap, namespace: 'default', name: 'absent' }, 'Ready', {
        timeout: 100,
      }),
      /last seen: the object does not exist/,
    );
  });

  it('recordWrites counts from its last reset, and lists the writes when an expectation fails', async () => {
    const mgr = await startManager(emulator, (m) => {
      m.controller('copier')
        .for(ConfigMap)
        .reconcile(async (req, ctx) => {
          if (req.key.name.endsWith('-copy')) return;
          const copy = { ...ConfigMap, metadata: { namespace: req.key.namespace, name: `${req.key.name}-copy` } };
          await ctx.client.apply({ ...copy, data: { from: req.key.name } }, { fieldManager: 'copier' });
        });
    });
    try {
      const writes = recordWrites(mgr);
      await emulator.client.create({ ...ConfigMap, metadata: { namespace: 'default', name: 'one' } });
      await eventually(() => writes.count({ controller: 'copier' }) === 1, { message: 'the first copy' });
      assert.ok((await writes.bytes({ controller: 'copier' })) > 0);
      await writes.reset();
      assert.equal(writes.count(), 0);
      assert.equal(await writes.bytes({ controller: 'copier' }), 0);
      await emulator.client.create({ ...ConfigMap, metadata: { namespace: 'default', name: 'two' } });
      await eventually(() => writes.count({ key: 'default/two-copy' }) === 1, { message: 'the second copy' });
      await writes.expect({ controller: 'copier', type: ConfigMap, kind: 'apply', count: 1 });
      await assert.rejects(
        writes.expect({ controller: 'copier', count: 2 }),
        /expected 2 writes, found 1\n {2}copier: apply v1\/ConfigMap default\/two-copy/,
      );
      await assert.rejects(writes.expect({ maxBytes: 1 }), /expected at most 1 bytes written, found \d+/);
    } finally {
      await mgr.stop();
    }
  });

  it('refuses RBAC assertions and service accounts without the secure mode', async () => {
    const misuse = (pattern: RegExp) => (err: unknown) =>
      err instanceof KloopError && err.code === 'KLOOP_TESTING_USAGE' && pattern.test(err.message);
    assert.throws(() => assertNoDenials(emulator), misuse(/assertNoDenials\(\) needs the secure mode/));
    await assert.rejects(emulator.serviceAccount('ops', 'x'), misuse(/serviceAccount\(\) needs the secure mode/));
  });

  it('podOutcome writes the annotations the simulated kubelet reads', () => {
    assert.deepEqual(podOutcome('crash-loop', { startDelayMs: 1, readyDelayMs: 2, runMs: 3 }), {
      'kloop.dev/outcome': 'crash-loop',
      'kloop.dev/start-delay-ms': '1',
      'kloop.dev/ready-delay-ms': '2',
      'kloop.dev/run-ms': '3',
    });
    assert.deepEqual(podOutcome('ready'), { 'kloop.dev/outcome': 'ready' });
  });
});
