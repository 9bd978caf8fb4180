// What the client refuses to send and how it reads what comes back: names and namespaces that
// are not path segments (nothing reaches the server), Retry-After values on the manual clock,
// and error bodies cut down to a readable message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { InvalidPathSegmentError, KubeClient, retryAfterMs, toApiError } from '../../src/client/index.js';
import { ApiError, ConfigMap, type KubeObject, ManualClock, makeStatus } from '../../src/core/index.js';
import { json, type Route, startServer, type TestServer } from './helpers.js';

const silent = pino({ level: 'silent' });

async function withClient(
  route: Route,
  fn: (server: TestServer, client: KubeClient, clock: ManualClock) => Promise<void>,
  options: { maxThrottleRetries?: number; maxRetries?: number } = {},
): Promise<void> {
  const server = await startServer(route);
  const clock = new ManualClock();
  const client = KubeClient.fromKubeconfig(server.kubeconfig({ token: 't' }), {
    logger: silent,
    registry: new Registry(),
    clock,
    ...options,
  });
  try {
    await fn(server, client, clock);
  } finally {
    client.close();
    await server.close();
  }
}

describe('names and namespaces are checked before anything is sent', () => {
  const refused: Array<[string, (c: KubeClient) => Promise<unknown>, string]> = [
    [
      'delete name ..',
      (c) => c.delete(ConfigMap, { namespace: 'victim', name: '..' }),
      `invalid resource name "..": [may not be '..']`,
    ],
    [
      'get name .',
      (c) => c.get(ConfigMap, { namespace: 'n', name: '.' }),
      `invalid resource name ".": [may not be '.']`,
    ],
    [
      'get name with /',
      (c) => c.get(ConfigMap, { namespace: 'n', name: 'a/b' }),
      `invalid resource name "a/b": [may not contain '/']`,
    ],
    [
      'get name with / and %',
      (c) => c.get(ConfigMap, { namespace: 'n', name: 'a/%2e' }),
      `invalid resource name "a/%2e": [may not contain '/' may not contain '%']`,
    ],
    ['delete empty name', (c) => c.delete(ConfigMap, { namespace: 'n', name: '' }), 'resource name may not be empty'],
    [
      'delete without a name',
      (c) => c.delete(ConfigMap, { namespace: 'n' } as unknown as { name: string }),
      'resource name may not be empty',
    ],
    [
      'patch name ..',
      (c) => c.patch({ type: ConfigMap, key: { namespace: 'n', name: '..' } }, {}),
      `invalid resource name ".."`,
    ],
    [
      'get namespace ..',
      (c) => c.get(ConfigMap, { namespace: '..', name: 'a' }),
      `invalid namespace "..": [may not be '..']`,
    ],
    [
      'list namespace with %',
      (c) => c.list(ConfigMap, { namespace: '%2e%2e' }),
      `invalid namespace "%2e%2e": [may not contain '%']`,
    ],
    [
      'watch namespace with /',
      (c) => c.watchStream(ConfigMap, { namespace: 'a/b' }, () => {}),
      `invalid namespace "a/b"`,
    ],
    [
      'create in namespace ..',
      (c) => c.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: '..', name: 'a' } } as KubeObject),
      `invalid namespace ".."`,
    ],
    [
      'update named ..',
      (c) => c.update({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'n', name: '..' } } as KubeObject),
      `invalid resource name ".."`,
    ],
    [
      'apply named ..',
      (c) => c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'victim', name: '..' } }),
      `invalid resource name ".."`,
    ],
    [
      'updateStatus named a/b',
      (c) => c.updateStatus({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'n', name: 'a/b' } } as KubeObject),
      `invalid resource name "a/b"`,
    ],
    [
      'watch iterator in namespace ..',
      async (c) => {
        for await (const _ of c.watch(ConfigMap, { namespace: '..' })) break;
      },
      `invalid namespace ".."`,
    ],
    [
      'listPage namespace .',
      (c) => c.listPage(ConfigMap, { namespace: '.' }),
      `invalid namespace ".": [may not be '.']`,
    ],
    [
      'delete named %2e%2e in a cluster-scoped type',
      (c) => c.delete({ apiVersion: 'v1', kind: 'Namespace' }, { name: '%2e%2e' }),
      `invalid resource name "%2e%2e": [may not contain '%']`,
    ],
    [
      'get subresource ..',
      (c) => c.get(ConfigMap, { namespace: 'n', name: 'a' }, { subresource: '..' }),
      `invalid subresource ".."`,
    ],
  ];

  it('a table of names the client refuses: a recording server sees nothing', async () => {
    await withClient(
      (_req, res) => json(res, 200, {}),
      async (server, client) => {
        for (const [what, call, message] of refused) {
          await assert.rejects(
            call(client),
            (err: unknown) =>
              err instanceof InvalidPathSegmentError &&
              err.code === 'KLOOP_INVALID_NAME' &&
              err.message.startsWith(message),
            what,
          );
        }
        assert.deepEqual(server.requests, [], 'no request reached the server');
      },
    );
  });

  it('ordinary names, dots inside names and colons are sent', async () => {
    await withClient(
      (_req, res) => json(res, 200, { kind: 'ConfigMap', metadata: { name: 'x' } }),
      async (server, client) => {
        await client.get(ConfigMap, { namespace: 'kube-system', name: 'a.b..c' });
        await client.get(
          { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
          { name: 'system:basic-user' },
        );
        assert.deepEqual(
          server.requests.map((r) => r.url),
          [
            '/api/v1/namespaces/kube-system/configmaps/a.b..c',
            '/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Abasic-user',
          ],
        );
      },
    );
  });
});

/** Waits (without time passing) until the client sets its next timer, and returns its delay. */
async function nextWait(clock: ManualClock): Promise<number> {
  for (let i = 0; i < 10_000 && clock.pendingTimers() === 0; i++) await new Promise((r) => setImmediate(r));
  const at = clock.nextTimerAt();
  assert.ok(at !== undefined, 'the client set a timer');
  return at - clock.now();
}

const throttled = (retryAfter: string | undefined): Route => {
  let first = true;
  return (_req, res) => {
    if (first) {
      first = false;
      const headers: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': retryAfter };
      json(res, 429, makeStatus(429, 'TooManyRequests', 'slow down'), headers);
      return;
    }
    json(res, 200, { kind: 'ConfigMap', metadata: { name: 'a' } });
  };
};

describe('Retry-After on the manual clock', () => {
  const honoured: Array<[string, number]> = [
    ['3', 3000],
    ['0', 0],
    ['60', 60_000],
    ['600', 60_000], // capped at maxRetryAfterSeconds
    [' 2 ', 2000],
  ];
  for (const [header, expected] of honoured) {
    it(`429 with Retry-After "${header}" waits ${expected} ms`, async () => {
      await withClient(throttled(header), async (server, client, clock) => {
        const pending = client.get(ConfigMap, { namespace: 'n', name: 'a' });
        const wait = await nextWait(clock);
        assert.equal(wait, expected);
        clock.advance(wait);
        assert.equal((await pending).metadata.name, 'a');
        assert.equal(server.requests.length, 2);
      });
    });
  }

  // Treated as absent: the throttle backoff applies (1 s, jitter up to +50%).
  for (const header of ['-5', 'abc', '1.5', '1e3', '99999999999', '', undefined]) {
    it(`429 with Retry-After ${JSON.stringify(header)} backs off instead`, async () => {
      await withClient(throttled(header), async (_server, client, clock) => {
        const pending = client.get(ConfigMap, { namespace: 'n', name: 'a' });
        const wait = await nextWait(clock);
        assert.ok(wait >= 1000 && wait <= 1500, `waited ${wait}`);
        clock.advance(wait);
        await pending;
      });
    });
  }

  it('Retry-After: -5 on every answer is no tight loop: the waits grow, and the 429 surfaces after the bound', async () => {
    await withClient(
      (_req, res) => json(res, 429, makeStatus(429, 'TooManyRequests', 'slow down'), { 'Retry-After': '-5' }),
      async (server, client, clock) => {
        const pending = client.get(ConfigMap, { namespace: 'n', name: 'a' });
        const outcome = pending.then(
          () => undefined,
          (err: unknown) => err,
        );
        const waits: number[] = [];
        for (let i = 0; i < 3; i++) {
          const wait = await nextWait(clock);
          waits.push(wait);
          clock.advance(wait);
        }
        const err = await outcome;
        assert.ok(err instanceof ApiError && err.statusCode === 429, String(err));
        assert.equal(server.requests.length, 4);
        assert.ok(waits[0] >= 1000 && waits[1] >= 2000 && waits[2] >= 4000, `waits ${waits}`);
      },
      { maxThrottleRetries: 3 },
    );
  });

  it('a 503 on a read with an absurd Retry-After uses the read backoff', async () => {
    let first = true;
    await withClient(
      (_req, res) => {
        if (first) {
          first = false;
          json(res, 503, makeStatus(503, 'ServiceUnavailable', 'busy'), { 'Retry-After': '-1' });
          return;
        }
        json(res, 200, { kind: 'ConfigMap', metadata: { name: 'a' } });
      },
      async (_server, client, clock) => {
        const pending = client.get(ConfigMap, { namespace: 'n', name: 'a' });
        const wait = await nextWait(clock);
        assert.ok(wait >= 100 && wait <= 150, `waited ${wait}`);
        clock.advance(wait);
        await pending;
      },
    );
  });

  it('retryAfterMs: seconds, HTTP dates, and what is treated as absent', () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    assert.equal(retryAfterMs('7', 60, now), 7000);
    assert.equal(retryAfterMs(['4', '9'], 60, now), 4000, 'the first of repeated headers');
    assert.equal(retryAfterMs('Wed, 21 Oct 2026 07:28:10 GMT', 60, now), 10_000);
    assert.equal(retryAfterMs('Wed, 21 Oct 2026 07:27:00 GMT', 60, now), 0, 'a date in the past: now');
    assert.equal(retryAfterMs('Wed, 21 Oct 2026 09:28:00 GMT', 60, now), 60_000, 'capped');
    assert.equal(retryAfterMs('Thu, 22 Oct 2026 07:28:01 GMT', 60, now), undefined, 'more than a day: absurd');
    for (const bad of [undefined, '', '-5', 'soon', 'NaN', 'Infinity', '1.5', '0x10', 'Wed, 99 Foo 2026'])
      assert.equal(retryAfterMs(bad, 60, now), undefined, String(bad));
  });
});

describe('error bodies in messages', () => {
  it('a 200 KB HTML page is cut to 2048 characters in the message', async () => {
    const page = `<html><body>${'<p>Bad gateway</p>'.repeat(12_000)}</body></html>`;
    await withClient(
      (_req, res) => {
        res.writeHead(502, { 'Content-Type': 'text/html' });
        res.end(page);
      },
      async (_server, client) => {
        await assert.rejects(
          client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'n', name: 'a' } }),
          (err: unknown) => {
            assert.ok(err instanceof ApiError);
            assert.equal(err.statusCode, 502);
            assert.equal(err.reason, 'InternalError');
            assert.ok(err.message.length < 2200, `message of ${err.message.length} characters`);
            assert.ok(err.message.startsWith('<html><body><p>Bad gateway</p>'));
            assert.ok(err.message.endsWith(`... (${Buffer.byteLength(page)} bytes, truncated)`));
            return true;
          },
        );
      },
    );
  });

  it('a Status body is kept untouched, however long its message', () => {
    const status = makeStatus(422, 'Invalid', `ConfigMap "a" is invalid: ${'x'.repeat(5000)}`, {
      name: 'a',
      kind: 'configmaps',
      causes: [{ reason: 'FieldValueInvalid', message: 'bad', field: 'data' }],
    });
    const err = toApiError(422, Buffer.from(JSON.stringify(status)));
    assert.deepEqual(err.status, status);
    assert.equal(err.message, status.message);
  });

  it('a short plain-text body is the message as it is', () => {
    assert.equal(toApiError(403, Buffer.from('forbidden: no\n')).message, 'forbidden: no');
    assert.equal(toApiError(500, Buffer.alloc(0)).message, 'the server responded with HTTP 500');
  });
});
