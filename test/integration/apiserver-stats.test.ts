import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import { type Api, configMap, startTestServer, WatchStream } from '../apiserver/helpers.js';
import { eventually } from '../support/index.js';

const CM = '/api/v1/namespaces/default/configmaps';

describe('apiserver stats()', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer());
  });
  after(() => server.stop());

  it('counts requests per verb, resource, subresource and code, with bytes', async () => {
    server.resetStats();
    await api.post(CM, configMap('s1'));
    await api.post(CM, configMap('s1'));
    await api.patch(`${CM}/s1`, { data: { a: '1' } });
    await api.get(`${CM}/s1`);
    await api.get(CM);
    await api.post('/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } } } },
    });
    await api.patch('/apis/apps/v1/namespaces/default/deployments/d/status', { status: { replicas: 1 } });
    await api.get('/apis');
    await eventually(() => server.stats().count() >= 8, { message: 'eight requests counted' });
    const stats = server.stats();
    assert.equal(stats.count({ verb: 'create', resource: 'configmaps' }), 2);
    assert.equal(stats.count({ verb: 'create', resource: 'configmaps', code: 409 }), 1);
    assert.equal(stats.count({ verb: ['create', 'update', 'patch'], resource: 'configmaps' }), 3);
    assert.equal(stats.count({ verb: 'get' }), 1);
    assert.equal(stats.count({ verb: 'list' }), 1);
    assert.equal(stats.count({ resource: 'deployments.apps' }), 2);
    assert.equal(stats.count({ resource: 'deployments', subresource: 'status' }), 1);
    assert.ok(stats.requests.some((r) => r.path === 'discovery'));
    assert.ok(stats.bytesIn({ verb: 'create' }) > 0);
    assert.ok(stats.bytesOut({ verb: 'list' }) > 0);
    server.resetStats();
    assert.equal(server.stats().count(), 0);
  });

  it('counts open watches and records a watch when it ends', async () => {
    server.resetStats();
    const w = await WatchStream.open(server, `${CM}?watch=1`);
    await w.take(1);
    assert.equal(server.stats().openWatches, 1);
    w.close();
    await eventually(() => server.stats().count({ verb: 'watch' }) === 1, { message: 'the closed watch counted' });
    assert.equal(server.stats().count({ verb: 'watch', resource: 'configmaps' }), 1);
    assert.equal(server.stats().openWatches, 0);
  });
});
