import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeList, Status } from '../../src/core/index.js';
import { type Api, configMap, startTestServer, WatchStream } from '../apiserver/helpers.js';

const CM = '/api/v1/namespaces/default/configmaps';

describe('apiserver fault injection', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer());
    await api.post(CM, configMap('f', { a: '0' }));
  });
  afterEach(() => server.faults.clear());
  after(() => server.stop());

  it('latency delays matching requests only, until cleared', async () => {
    // Told by order, not by how long an undelayed request took (a busy machine makes any request
    // slow): a request in scope, sent first, is overtaken by one out of scope sent after it.
    const finishOrder = async (first: string, second: string): Promise<string[]> => {
      const order: string[] = [];
      const a = api.get(first).then(() => order.push(first));
      const b = api.get(second).then(() => order.push(second));
      await Promise.all([a, b]);
      return order;
    };
    const fault = server.faults.latency({ ms: 1000, verb: 'list', resource: 'configmaps' });
    const t = performance.now();
    assert.deepEqual(await finishOrder(CM, `${CM}/f`), [`${CM}/f`, CM], 'the list is delayed, a get is not');
    assert.ok(performance.now() - t >= 990, 'by the latency asked for');
    fault.clear();
    assert.equal(fault.active, false);
    const SECRETS = '/api/v1/namespaces/default/secrets';
    server.faults.latency({ ms: 1000, verb: 'list', resource: 'secrets' });
    assert.deepEqual(await finishOrder(SECRETS, CM), [CM, SECRETS], 'cleared: the list of ConfigMaps goes through');
  });

  it('errors: 429 with Retry-After, 500, 503, scoped by verb and resource', async () => {
    server.faults.errors({ rate: 1, code: 429, retryAfterSeconds: 3, verb: 'get', resource: 'configmaps' });
    const res = await api.get<Status>(`${CM}/f`);
    assert.equal(res.status, 429);
    assert.equal(res.body.reason, 'TooManyRequests');
    assert.equal(res.body.details?.retryAfterSeconds, 3);
    assert.equal(res.headers.get('retry-after'), '3');
    assert.equal((await api.get(CM)).status, 200, 'list is not in scope');
    assert.equal((await api.get('/api/v1/namespaces/default')).status, 200, 'namespaces are not in scope');
    server.faults.clear();
    const five = server.faults.errors({ rate: 1, code: 500, resource: 'configmaps' });
    assert.equal((await api.get(CM)).status, 500);
    five.clear();
    server.faults.errors({ rate: 1, code: 503 });
    const unavailable = await api.get<Status>(CM);
    assert.equal(unavailable.status, 503);
    assert.equal(unavailable.body.reason, 'ServiceUnavailable');
    server.faults.clear();
    server.faults.errors({ rate: 0, code: 500 });
    assert.equal((await api.get(CM)).status, 200, 'rate 0 never fires');
  });

  it('conflicts: a counted number of 409s on updates, then success', async () => {
    server.faults.conflicts({ count: 2, resource: 'configmaps' });
    const a = await api.patch<Status>(`${CM}/f`, { data: { a: '1' } });
    const b = await api.patch<Status>(`${CM}/f`, { data: { a: '1' } });
    const c = await api.patch(`${CM}/f`, { data: { a: '1' } });
    assert.equal(a.status, 409);
    assert.equal(a.body.reason, 'Conflict');
    assert.equal(b.status, 409);
    assert.equal(c.status, 200);
    server.faults.conflicts({ rate: 1, verb: 'update' });
    const got = await api.get(`${CM}/f`);
    assert.equal((await api.put(`${CM}/f`, got.body)).status, 409);
    assert.equal((await api.patch(`${CM}/f`, { data: { a: '2' } })).status, 200, 'patch is not in scope');
  });

  it('dropWatches closes every open watch now', async () => {
    const w1 = await WatchStream.open(server, `${CM}?watch=1`);
    const w2 = await WatchStream.open(server, '/api/v1/namespaces?watch=1');
    await w1.take(1);
    await w2.take(4);
    const dropped = server.faults.dropWatches({ resource: 'configmaps' });
    assert.equal(dropped.dropped, 1);
    assert.ok(await w1.waitEnd());
    assert.equal(w2.ended, false, 'other resources keep their watches');
    assert.equal(server.faults.dropWatches().dropped, 1);
    assert.ok(await w2.waitEnd());
  });

  it('dropWatchesAfter closes each watch after n more events', async () => {
    const w = await WatchStream.open(server, `${CM}?watch=1&resourceVersion=0&fieldSelector=metadata.name%3Df`);
    await w.take(1);
    server.faults.dropWatchesAfter(2, { resource: 'configmaps' });
    for (let i = 0; i < 4; i++) await api.patch(`${CM}/f`, { data: { n: String(i) } });
    const events = await w.take(4, 2000);
    assert.equal(events.length, 2);
    assert.ok(await w.waitEnd());
  });

  it('stallWatches keeps streams open but silent; clearing it spares only watches opened later', async () => {
    const w = await WatchStream.open(server, `${CM}?watch=1&fieldSelector=metadata.name%3Df&allowWatchBookmarks=true`);
    await w.take(1);
    const stall = server.faults.stallWatches({ resource: 'configmaps' });
    await api.patch(`${CM}/f`, { data: { stalled: 'yes' } });
    stall.clear();
    // A watch opened after the patch answered, and seen to start: the server wrote the patch's
    // event to the stalled watch's socket, were it not silent, before it answered the patch, so by
    // now it would have arrived. No waiting for nothing to happen.
    const fresh = await WatchStream.open(server, `${CM}?watch=1&fieldSelector=metadata.name%3Df`);
    const [initial] = await fresh.take(1);
    assert.ok(initial);
    assert.equal(initial.type, 'ADDED');
    assert.equal((initial.object as { data?: Record<string, string> }).data?.stalled, 'yes');
    assert.deepEqual(await w.take(0), [], 'the stalled watch got nothing');
    assert.equal(w.ended, false, 'and is still open');
    fresh.close();
    w.close();
  });

  it('compact makes the next resume and continue get 410', async () => {
    const list = await api.get<KubeList>(`${CM}?limit=1`);
    const rv = list.body.metadata.resourceVersion;
    await api.post(CM, configMap(`after-${rv}`));
    server.faults.compact();
    const w = await WatchStream.open(server, `${CM}?watch=1&resourceVersion=${rv}`);
    const [event] = await w.take(1);
    assert.equal(event.type, 'ERROR');
    assert.equal(event.object.code, 410);
    // Resuming from now is fine.
    const now = await api.get<KubeList>(CM);
    const fresh = await WatchStream.open(server, `${CM}?watch=1&resourceVersion=${now.body.metadata.resourceVersion}`);
    await api.patch(`${CM}/f`, { data: { fresh: '1' } });
    const [modified] = await fresh.take(1);
    assert.equal(modified.type, 'MODIFIED');
    fresh.close();
  });
});
