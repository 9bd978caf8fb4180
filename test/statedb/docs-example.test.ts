// The full example of docs/statedb.md, run as written (through the public entry), so the
// tutorial cannot drift from the API.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { pendingStatus, type ReconcileStatus, StateDB, startReconciler } from '../../src/statedb/index.js';

interface Backend {
  id: string;
  service: string;
  ip: string;
  status: ReconcileStatus;
}

test('the docs/statedb.md example runs as documented', async () => {
  const db = new StateDB();
  const backends = db.table<Backend>('backends', {
    primary: (b) => b.id,
    indexes: { service: { key: (b) => b.service, unique: false } },
  });

  db.write([backends], (txn) => {
    txn.insert(backends, { id: 'b1', service: 'web', ip: '10.0.0.1', status: pendingStatus() });
    txn.insert(backends, { id: 'b2', service: 'web', ip: '10.0.0.2', status: pendingStatus() });
  });

  const snap = db.read();
  assert.equal(snap.get(backends, 'b1')?.ip, '10.0.0.1');
  assert.equal(snap.list(backends, 'service', 'web').length, 2);
  assert.equal(snap.prefix(backends, 'primary', 'b').length, 2);
  assert.deepEqual(
    snap.lowerBound(backends, 'primary', 'b2').map((b) => b.id),
    ['b2'],
  );

  const { items, watch } = snap.query(backends, 'service', 'web');
  assert.equal(items.length, 2);
  let fired = false;
  watch.onFire(() => {
    fired = true;
  });

  const ac = new AbortController();
  const seen: string[] = [];
  const follower = (async () => {
    for await (const batch of backends.changes({ signal: ac.signal })) {
      for (const { object, deleted } of batch) seen.push(`${deleted ? 'deleted' : 'upserted'} ${object.id}`);
    }
  })();

  const lb = new Map<string, string>();
  const reconciler = startReconciler({
    db,
    table: backends,
    getStatus: (b) => b.status,
    setStatus: (b, status) => ({ ...b, status }),
    ops: {
      update: async (b) => void lb.set(b.id, b.ip),
      delete: async (b) => void lb.delete(b.id),
      prune: async (desired) => {
        const keep = new Set(desired.map((b) => b.id));
        for (const id of lb.keys()) if (!keep.has(id)) lb.delete(id);
      },
    },
    retry: { minMs: 100, maxMs: 60_000 },
    pruneIntervalMs: 5 * 60_000,
  });

  for (let i = 0; i < 200 && lb.size < 2; i++) await tick();
  assert.deepEqual([...lb.keys()].sort(), ['b1', 'b2']);
  assert.equal(fired, true, 'the status writes changed the web backends');
  assert.equal(reconciler.health().level, 'ok');

  db.write([backends], (txn) => txn.delete(backends, 'b2'));
  for (let i = 0; i < 200 && lb.has('b2'); i++) await tick();
  assert.deepEqual([...lb.keys()], ['b1']);
  assert.ok(seen.includes('deleted b2'));
  assert.ok(seen.includes('upserted b1'));

  await reconciler.stop();
  ac.abort();
  await follower;
});
