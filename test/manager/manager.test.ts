import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Manager, ManagerError, REDACTED } from '../../src/manager/index.js';
import { StateDB } from '../../src/statedb/index.js';

const kubeconfig = {
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'c', cluster: { server: 'http://127.0.0.1:1' } }],
  users: [{ name: 'u', user: {} }],
  contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
  'current-context': 'x',
};

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

test('mgr.kube reads only: no write verb in its type or at run time, and nothing to reach one through', async () => {
  const mgr = new Manager({ kubeconfig });
  // @ts-expect-error mgr.kube has no create: writes go through mgr.client (fenced, attributed)
  assert.equal(mgr.kube.create, undefined);
  // @ts-expect-error nor patch, update or delete
  assert.equal(mgr.kube.patch ?? mgr.kube.update ?? mgr.kube.delete, undefined);
  assert.deepEqual(Object.keys(mgr.kube).sort(), ['get', 'list', 'watch']);
  assert.ok(Object.isFrozen(mgr.kube), 'nothing can be added to it either');
  await mgr.stop();
});
