import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { KubeClient, TransportError, WatchParseError } from '../../src/client/index.js';
import type { KubeObject, WatchEvent } from '../../src/core/index.js';
import { ApiError, ConfigMap, makeStatus } from '../../src/core/index.js';
import { InstantClock, json, type Route, startServer, type TestServer } from './helpers.js';

const silent = pino({ level: 'silent' });

async function withServer(
  route: Route,
  fn: (s: TestServer, client: KubeClient, clock: InstantClock, registry: Registry) => Promise<void>,
) {
  const server = await startServer(route);
  const clock = new InstantClock();
  const registry = new Registry();
  const client = KubeClient.fromKubeconfig(server.kubeconfig({ token: 'T0K' }), { logger: silent, registry, clock });
  try {
    await fn(server, client, clock, registry);
  } finally {
    client.close();
    await server.close();
  }
}

describe('KubeClient verbs over HTTP', () => {
  it('sends the bearer token, builds URLs, and parses objects', async () => {
    await withServer(
      (_req, res) =>
        json(res, 200, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'team' } }),
      async (server, client) => {
        const got = await client.get(ConfigMap, { name: 'a' });
        assert.equal(got.metadata.name, 'a');
        assert.equal(server.requests[0].url, '/api/v1/namespaces/team/configmaps/a');
        assert.equal(server.requests[0].headers.authorization, 'Bearer T0K');
        await client.get(
          { apiVersion: 'apps/v1', kind: 'Deployment' },
          { namespace: 'x', name: 'd' },
          { subresource: 'scale' },
        );
        assert.equal(server.requests[1].url, '/apis/apps/v1/namespaces/x/deployments/d/scale');
      },
    );
  });

  it('writes with the right method, content type and query', async () => {
    await withServer(
      (_req, res, body) => json(res, 200, JSON.parse(body || '{}')),
      async (server, client) => {
        const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'n' } };
        await client.create(obj, { dryRun: true, fieldManager: 'me' });
        await client.update(obj);
        await client.updateStatus(obj);
        await client.patch(obj, [{ op: 'add', path: '/data', value: {} }], { type: 'json' });
        await client.patch({ type: ConfigMap, key: { namespace: 'n', name: 'a' } }, { data: { a: '1' } });
        await client.patch(obj, { metadata: { labels: { a: 'b' } } }, { type: 'strategic' });
        await client.apply(obj, { force: true, fieldManager: 'ctl' });
        await client.delete(
          ConfigMap,
          { namespace: 'n', name: 'a' },
          { propagationPolicy: 'Foreground', preconditions: { uid: 'u1' } },
        );
        const seen = server.requests.map((r) => [r.method, r.url, r.headers['content-type']]);
        assert.deepEqual(seen, [
          ['POST', '/api/v1/namespaces/n/configmaps?dryRun=All&fieldManager=me', 'application/json'],
          ['PUT', '/api/v1/namespaces/n/configmaps/a', 'application/json'],
          ['PUT', '/api/v1/namespaces/n/configmaps/a/status', 'application/json'],
          ['PATCH', '/api/v1/namespaces/n/configmaps/a', 'application/json-patch+json'],
          ['PATCH', '/api/v1/namespaces/n/configmaps/a', 'application/merge-patch+json'],
          ['PATCH', '/api/v1/namespaces/n/configmaps/a', 'application/strategic-merge-patch+json'],
          ['PATCH', '/api/v1/namespaces/n/configmaps/a?fieldManager=ctl&force=true', 'application/apply-patch+yaml'],
          ['DELETE', '/api/v1/namespaces/n/configmaps/a', 'application/json'],
        ]);
        assert.deepEqual(JSON.parse(server.requests[7].body), {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          propagationPolicy: 'Foreground',
          preconditions: { uid: 'u1' },
        });
      },
    );
  });

  it('surfaces failures as ApiError with the Status untouched', async () => {
    const status = {
      ...makeStatus(422, 'Invalid', 'bad', { causes: [{ reason: 'FieldValueInvalid', field: 'data' }] }),
    };
    await withServer(
      (_req, res) => json(res, 422, status),
      async (_server, client) => {
        await assert.rejects(client.get(ConfigMap, { name: 'a' }), (err: unknown) => {
          assert.ok(err instanceof ApiError);
          assert.deepEqual(err.status, status);
          assert.equal(err.causes[0].field, 'data');
          return true;
        });
      },
    );
  });

  it('turns a non-Status error body into a Status', async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('404 page not found');
      },
      async (_server, client) => {
        await assert.rejects(
          client.get(ConfigMap, { name: 'a' }),
          (err: unknown) => ApiError.isNotFound(err) && err.status.message === '404 page not found',
        );
      },
    );
  });

  it('retries reads on 5xx with bounded backoff, never writes', async () => {
    let n = 0;
    await withServer(
      (req, res) => {
        n++;
        if (req.method === 'GET' && n < 3) return json(res, 503, makeStatus(503, 'ServiceUnavailable', 'busy'));
        if (req.method === 'POST') return json(res, 500, makeStatus(500, 'InternalError', 'oops'));
        json(res, 200, { metadata: { name: 'a' } });
      },
      async (server, client, clock, registry) => {
        await client.get(ConfigMap, { name: 'a' });
        assert.equal(server.requests.length, 3);
        assert.equal(clock.waits.length, 2);
        await assert.rejects(client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } }), {
          code: 'KLOOP_API_ERROR',
        });
        assert.equal(server.requests.length, 4, 'a write is sent once');
        const m = await registry.getSingleMetric('kloop_client_requests_total')?.get();
        const codes = m?.values.map((v) => `${v.labels.verb}:${v.labels.code}:${v.value}`).sort();
        assert.deepEqual(codes, ['create:500:1', 'get:200:1', 'get:503:2']);
      },
    );
  });

  it('gives up after maxRetries', async () => {
    await withServer(
      (_req, res) => json(res, 500, makeStatus(500, 'InternalError', 'down')),
      async (server, client) => {
        await assert.rejects(
          client.get(ConfigMap, { name: 'a' }),
          (err: unknown) => err instanceof ApiError && err.statusCode === 500,
        );
        assert.equal(server.requests.length, 6);
      },
    );
  });

  it('honours Retry-After on 429 for every verb', async () => {
    let n = 0;
    await withServer(
      (_req, res) => {
        n++;
        if (n === 1)
          return json(res, 429, makeStatus(429, 'TooManyRequests', 'slow down', { retryAfterSeconds: 3 }), {
            'Retry-After': '3',
          });
        json(res, 201, { metadata: { name: 'a' } });
      },
      async (server, client, clock) => {
        await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } });
        assert.equal(server.requests.length, 2);
        assert.deepEqual(clock.waits, [3000]);
      },
    );
  });

  it('retries reads on connection errors', async () => {
    let n = 0;
    await withServer(
      (req, res) => {
        n++;
        if (n === 1) {
          req.socket.destroy();
          return;
        }
        json(res, 200, { metadata: { name: 'a' } });
      },
      async (_server, client) => {
        const got = await client.get(ConfigMap, { name: 'a' });
        assert.equal(got.metadata.name, 'a');
      },
    );
  });

  it('lists every page, following continue with limit 500', async () => {
    await withServer(
      (req, res) => {
        const url = new URL(req.url ?? '', 'http://x');
        const cont = url.searchParams.get('continue');
        const items = cont ? [{ metadata: { name: 'b' } }] : [{ metadata: { name: 'a' } }];
        json(res, 200, {
          kind: 'ConfigMapList',
          apiVersion: 'v1',
          metadata: { resourceVersion: '7', continue: cont ? '' : 'next' },
          items,
        });
      },
      async (server, client) => {
        const list = await client.list(ConfigMap, { labelSelector: 'a=b' });
        assert.deepEqual(
          list.items.map((i) => i.metadata.name),
          ['a', 'b'],
        );
        assert.equal(list.metadata.resourceVersion, '7');
        assert.deepEqual(
          server.requests.map((r) => r.url),
          [
            '/api/v1/configmaps?labelSelector=a%3Db&limit=500',
            '/api/v1/configmaps?labelSelector=a%3Db&limit=500&continue=next',
          ],
        );
      },
    );
  });

  it('resolves custom types by discovery, cached, refreshed on a miss', async () => {
    await withServer(
      (req, res) => {
        if (req.url === '/apis/example.com/v1') {
          return json(res, 200, {
            kind: 'APIResourceList',
            groupVersion: 'example.com/v1',
            resources: [
              { name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', verbs: ['get'] },
              { name: 'widgets/status', singularName: '', namespaced: true, kind: 'Widget', verbs: ['get'] },
            ],
          });
        }
        json(res, 200, { metadata: { name: 'w' } });
      },
      async (server, client) => {
        const rt = await client.resolve({ apiVersion: 'example.com/v1', kind: 'Widget' });
        assert.equal(rt.plural, 'widgets');
        assert.deepEqual(rt.subresources, ['status']);
        await client.get({ apiVersion: 'example.com/v1', kind: 'Widget' }, { namespace: 'n', name: 'w' });
        assert.equal(server.requests.filter((r) => r.url === '/apis/example.com/v1').length, 1, 'cached');
        await assert.rejects(client.resolve({ apiVersion: 'example.com/v1', kind: 'Gadget' }), {
          code: 'KLOOP_UNKNOWN_TYPE',
        });
      },
    );
  });

  it('watches: lines split in odd chunks, multi-byte characters split, abort ends the iterator', async () => {
    const events = [
      { type: 'ADDED', object: { metadata: { name: 'é€𝄞', resourceVersion: '1' } } },
      { type: 'MODIFIED', object: { metadata: { name: 'b', resourceVersion: '2' }, data: { x: '雪'.repeat(1000) } } },
    ];
    const bytes = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    await withServer(
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        let i = 0;
        const step = 7;
        const send = () => {
          if (i >= bytes.length) return; // stay open, like a watch
          res.write(bytes.subarray(i, i + step));
          i += step;
          setImmediate(send);
        };
        send();
      },
      async (server, client) => {
        const ac = new AbortController();
        const got: WatchEvent[] = [];
        for await (const ev of client.watch(ConfigMap, {
          namespace: 'n',
          resourceVersion: '0',
          allowWatchBookmarks: true,
          signal: ac.signal,
        })) {
          got.push(ev);
          if (got.length === 2) ac.abort();
        }
        assert.deepEqual(got, events);
        assert.equal(
          server.requests[0].url,
          '/api/v1/namespaces/n/configmaps?watch=true&resourceVersion=0&allowWatchBookmarks=true',
        );
      },
    );
  });

  it('watchStream rejects on a malformed line and closes the stream', async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"ADD');
        res.write('ED",garbage\n');
      },
      async (_server, client) => {
        const got: string[] = [];
        await assert.rejects(
          client.watchStream(ConfigMap, {}, (ev) => got.push(ev.type)),
          (err: unknown) => err instanceof WatchParseError,
        );
        assert.deepEqual(got, ['ADDED']);
      },
    );
  });

  it('watchStream rejects with a TransportError when the connection drops', async () => {
    await withServer(
      (req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n');
        setImmediate(() => req.socket.destroy());
      },
      async (_server, client) => {
        await assert.rejects(
          client.watchStream(ConfigMap, {}, () => {}),
          (err: unknown) => err instanceof TransportError,
        );
      },
    );
  });

  it('asks for PartialObjectMetadata and falls back on 406', async () => {
    await withServer(
      (req, res) => {
        if (String(req.headers.accept).includes('as=PartialObjectMetadataList'))
          return json(res, 406, makeStatus(406, 'NotAcceptable', 'no'));
        json(res, 200, { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] });
      },
      async (server, client) => {
        await client.listPage(ConfigMap, { metadataOnly: true });
        assert.equal(server.requests.length, 2);
        assert.equal(server.requests[1].headers.accept, 'application/json');
      },
    );
  });
});
