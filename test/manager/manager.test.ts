import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WriteFencedError } from '../../src/controller/cached-client.js';
import type { CachedClientApi } from '../../src/controller/types.js';
import { fencedClient, Manager, ManagerError, REDACTED } from '../../src/manager/index.js';
import { StateDB } from '../../src/statedb/index.js';

const kubeconfig = {
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'c', cluster: { server: 'http://127.0.0.1:1' } }],
  users: [{ name: 'u', user: {} }],
  contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
  'current-context': 'x',
};

function recordingClient(calls: string[]): CachedClientApi {
  const record =
    (name: string) =>
    async (..._args: unknown[]) => {
      calls.push(name);
      return { object: undefined, sent: true };
    };
  return {
    get: async () => {
      calls.push('get');
      return undefined;
    },
    list: async () => {
      calls.push('list');
      return [];
    },
    create: record('create'),
    patch: record('patch'),
    mutate: record('mutate'),
    mutateStatus: record('mutateStatus'),
    apply: record('apply'),
    delete: async () => {
      calls.push('delete');
      return true;
    },
    ensureFinalizer: record('ensureFinalizer'),
    removeFinalizer: record('removeFinalizer'),
    events: { record: () => calls.push('event') },
  } as unknown as CachedClientApi;
}

test('fencedClient passes reads and allowed writes through, refuses writes once fenced', async () => {
  const calls: string[] = [];
  let allowed = true;
  const client = fencedClient(recordingClient(calls), () => allowed);
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'a', name: 'b' } };
  await client.get(cm, { namespace: 'a', name: 'b' });
  await client.patch(cm, cm);
  client.events.record(cm, { type: 'Normal', reason: 'R', message: 'm' });
  allowed = false;
  await client.list(cm);
  await assert.rejects(client.patch(cm, cm), WriteFencedError);
  await assert.rejects(
    client.apply(cm, { fieldManager: 'x' }),
    (err: unknown) => (err as WriteFencedError).code === 'KLOOP_WRITE_FENCED',
  );
  await assert.rejects(client.delete(cm, { namespace: 'a', name: 'b' }), WriteFencedError);
  assert.throws(() => client.events.record(cm, { type: 'Normal', reason: 'R', message: 'm' }), WriteFencedError);
  assert.deepEqual(calls, ['get', 'patch', 'event', 'list']);
});

test('leaderElection and sharding are exclusive', () => {
  assert.throws(
    () =>
      new Manager({
        kubeconfig,
        leaderElection: { name: 'a' },
        sharding: { name: 'b' },
      }),
    ManagerError,
  );
});

test('debug sections: added sections show (StateDB), Secrets in them are redacted, a throwing one reports its error', async () => {
  const mgr = new Manager({ kubeconfig });
  const db = new StateDB();
  mgr.addDebugSection('statedb', () => db.describe());
  mgr.addDebugSection('objects', () => [{ kind: 'Secret', metadata: { name: 's' }, data: { token: 'c2VjcmV0' } }]);
  mgr.addDebugSection('broken', () => {
    throw new Error('boom');
  });
  const doc = mgr.describe();
  assert.equal(doc.started, false);
  assert.ok(doc.statedb !== undefined);
  assert.deepEqual((doc.objects as Array<{ data: unknown }>)[0]!.data, { token: REDACTED });
  assert.deepEqual(doc.broken, { error: 'boom' });
  assert.equal(mgr.canWrite(), true, 'no leader election: always allowed');
  assert.equal(mgr.readiness().ready, false, 'not started');
  await mgr.stop();
  assert.equal(await mgr.done, 'stopped');
});
