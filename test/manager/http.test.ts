import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { startHttpEndpoints } from '../../src/manager/http.js';

test('metrics, health, readiness and debug answer; readiness follows its checks', async () => {
  const registry = new Registry();
  const counter = new Counter({ name: 'kloop_test_total', help: 'a test counter', registers: [registry] });
  counter.inc(3);
  let synced = false;
  const http = await startHttpEndpoints({
    registry,
    readiness: () => ({
      ready: synced,
      checks: [{ name: 'informer v1/ConfigMap', ok: synced, detail: synced ? 'synced' : 'listing' }],
    }),
    debug: () => ({ controllers: [{ name: 'mirror', queueDepth: 0 }] }),
  });
  try {
    const metrics = await fetch(`${http.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^kloop_test_total 3$/m);

    assert.equal((await fetch(`${http.url}/healthz`)).status, 200);
    const notReady = await fetch(`${http.url}/readyz?verbose`);
    assert.equal(notReady.status, 503);
    assert.match(await notReady.text(), /\[-\]informer v1\/ConfigMap failed: listing/);
    synced = true;
    const ready = await fetch(`${http.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(await ready.text(), 'ok');

    const debug = await fetch(`${http.url}/debug/kloop`);
    assert.equal(debug.headers.get('content-type'), 'application/json');
    assert.deepEqual(await debug.json(), { controllers: [{ name: 'mirror', queueDepth: 0 }] });

    assert.equal((await fetch(`${http.url}/nope`)).status, 404);
    assert.equal((await fetch(`${http.url}/metrics`, { method: 'POST' })).status, 405);
  } finally {
    await http.close();
  }
});

test('a failing debug provider answers 500 and the server keeps serving', async () => {
  const http = await startHttpEndpoints({
    registry: new Registry(),
    readiness: () => ({ ready: true, checks: [] }),
    debug: () => {
      throw new Error('boom');
    },
  });
  try {
    const res = await fetch(`${http.url}/debug/kloop`);
    assert.equal(res.status, 500);
    assert.match(await res.text(), /boom/);
    assert.equal((await fetch(`${http.url}/healthz`)).status, 200);
  } finally {
    await http.close();
  }
});
