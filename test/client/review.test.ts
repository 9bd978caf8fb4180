// Regression tests from the second review of the client: each test is named after what it pins.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { KubeClient, WatchParseError } from '../../src/client/index.js';
import { ConfigMap } from '../../src/core/index.js';
import { InstantClock, json, startServer } from './helpers.js';

const silent = pino({ level: 'silent' });

describe('connection pool', () => {
  it('keep-alive reuses one socket for sequential requests; a watch aborted mid-stream does not poison the pool', async () => {
    const server = await startServer((req, res) => {
      if (req.url?.includes('watch=true')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(
          `${JSON.stringify({ type: 'ADDED', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w', resourceVersion: '2' } } })}\n`,
        );
        return; // held open until the client aborts
      }
      json(res, 200, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'a', namespace: 'team', resourceVersion: '1' },
      });
    });
    const client = KubeClient.fromKubeconfig(server.kubeconfig({ token: 'T' }), {
      logger: silent,
      registry: new Registry(),
      clock: new InstantClock(),
    });
    try {
      // Sequential reads: each waits for the previous response, so one pooled socket serves all.
      for (let i = 0; i < 5; i++) await client.get(ConfigMap, { namespace: 'team', name: 'a' });
      assert.equal(server.requests.length, 5);
      assert.equal(server.connections, 1, 'five sequential reads share one keep-alive socket');
      const ac = new AbortController();
      const seen: string[] = [];
      await client.watchStream(ConfigMap, { namespace: 'team', signal: ac.signal }, (ev) => {
        seen.push(ev.object.metadata.name as string);
        ac.abort();
      });
      assert.deepEqual(seen, ['w']);
      // The watch had the pooled socket; aborting it destroys that socket rather than returning a
      // half-read stream to the pool, so the next read opens exactly one new connection.
      const cm = await client.get(ConfigMap, { namespace: 'team', name: 'a' });
      assert.equal(cm.metadata.name, 'a');
      assert.equal(server.connections, 2);
      await client.get(ConfigMap, { namespace: 'team', name: 'a' });
      assert.equal(server.connections, 2, 'and that new socket is reused');
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('watch streams', () => {
  it('an oversized watch line is a malformed line (relist), not a connection error (endless rewatch)', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // The start of a line that never ends within the limit: the client must give up on it.
      res.write(`{"type":"ADDED","object":{"metadata":{"name":"${'x'.repeat(4096)}`);
    });
    const client = KubeClient.fromKubeconfig(server.kubeconfig({ token: 'T' }), {
      logger: silent,
      registry: new Registry(),
      clock: new InstantClock(),
      maxWatchLineBytes: 1024,
    });
    try {
      await assert.rejects(
        client.watchStream(ConfigMap, { namespace: 'team' }, () => {}),
        (err: unknown) =>
          err instanceof WatchParseError && err.code === 'KLOOP_WATCH_MALFORMED' && /1024 bytes/.test(err.message),
      );
    } finally {
      client.close();
      await server.close();
    }
  });

  it('an HTML error page on a watch with status 200 is a malformed line', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html>\n<body>502 Bad Gateway</body>\n</html>\n');
    });
    const client = KubeClient.fromKubeconfig(server.kubeconfig({ token: 'T' }), {
      logger: silent,
      registry: new Registry(),
      clock: new InstantClock(),
    });
    try {
      await assert.rejects(
        client.watchStream(ConfigMap, { namespace: 'team' }, () => {}),
        { code: 'KLOOP_WATCH_MALFORMED' },
      );
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('paged lists', () => {
  it('list() falls back to one full list when a continue token expires (410), as client-go pager does', async () => {
    const server = await startServer((req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      if (url.searchParams.get('continue')) {
        json(res, 410, {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'Expired',
          code: 410,
          message: 'continue too old',
        });
        return;
      }
      if (url.searchParams.get('limit')) {
        json(res, 200, {
          kind: 'ConfigMapList',
          apiVersion: 'v1',
          metadata: { resourceVersion: '7', continue: 'next' },
          items: [{ metadata: { name: 'a' } }],
        });
        return;
      }
      json(res, 200, {
        kind: 'ConfigMapList',
        apiVersion: 'v1',
        metadata: { resourceVersion: '9' },
        items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }],
      });
    });
    const client = KubeClient.fromKubeconfig(server.kubeconfig({ token: 'T' }), {
      logger: silent,
      registry: new Registry(),
      clock: new InstantClock(),
    });
    try {
      const list = await client.list(ConfigMap, { namespace: 'team' });
      assert.deepEqual(
        list.items.map((i) => i.metadata.name),
        ['a', 'b'],
        'no item twice, none lost',
      );
      assert.equal(list.metadata.resourceVersion, '9', 'the full list gives the resourceVersion');
      assert.deepEqual(
        server.requests.map((r) => r.url),
        [
          '/api/v1/namespaces/team/configmaps?limit=500',
          '/api/v1/namespaces/team/configmaps?limit=500&continue=next',
          '/api/v1/namespaces/team/configmaps',
        ],
      );
      // A caller that passed its own continue token owns it: the 410 is theirs to handle.
      await assert.rejects(client.list(ConfigMap, { namespace: 'team', continue: 'next' }), {
        code: 'KLOOP_API_ERROR',
      });
    } finally {
      client.close();
      await server.close();
    }
  });
});
