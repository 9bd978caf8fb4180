// The manager's two listeners and their defaults, and authenticated metrics against a fake API
// server answering TokenReviews and SubjectAccessReviews (the secure emulator is the end-to-end
// check). Review caching runs on a ManualClock.
import assert from 'node:assert/strict';
import type http from 'node:http';
import https from 'node:https';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createCertificateAuthority, issueServingCertificate } from '../../src/apiserver/auth/certificates.js';
import { ManualClock } from '../../src/core/index.js';
import { Manager } from '../../src/manager/index.js';
import { ExpiringCache, metricsAuthorizer, type ReviewClient } from '../../src/manager/metrics-auth.js';
import { json, startServer, type TestServer } from '../client/helpers.js';

const nowhere = {
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'c', cluster: { server: 'http://127.0.0.1:1' } }],
  users: [{ name: 'u', user: {} }],
  contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
  'current-context': 'x',
};

function collect(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) }), lines };
}

describe('listeners', () => {
  it('by default: health and metrics on all interfaces, no debug listener at all', async () => {
    const mgr = new Manager({ kubeconfig: nowhere, logger: pino({ level: 'silent' }), http: { port: 0 } });
    try {
      assert.equal(mgr.httpUrl, undefined, 'nothing listens before start()');
      await mgr.start();
      assert.match(mgr.httpUrl!, /^http:\/\/127\.0\.0\.1:\d+$/, 'reachable from this process at loopback');
      assert.equal(mgr.debugUrl, undefined, 'debug is off unless asked for');
      assert.equal((await fetch(`${mgr.httpUrl}/healthz`)).status, 200);
      assert.equal((await fetch(`${mgr.httpUrl}/readyz`)).status, 200);
      assert.equal((await fetch(`${mgr.httpUrl}/metrics`)).status, 200);
      assert.equal((await fetch(`${mgr.httpUrl}/debug/kloop`)).status, 404, 'debug is not on this listener');
    } finally {
      await mgr.stop();
    }
  });

  it('health and metrics bind 0.0.0.0 (kubelet, Prometheus); debug binds 127.0.0.1 and serves only /debug/kloop', async () => {
    const { logger, lines } = collect();
    const mgr = new Manager({ kubeconfig: nowhere, logger, http: { port: 0 }, debug: {} });
    const listening = () =>
      lines.filter((l) => typeof l.msg === 'string' && (l.msg as string).endsWith('listening')).map((l) => l.url);
    try {
      await mgr.start();
      const health = new URL(mgr.httpUrl!);
      const debug = new URL(mgr.debugUrl!);
      assert.notEqual(health.port, debug.port, 'two listeners');
      assert.deepEqual(listening(), [mgr.httpUrl, mgr.debugUrl]);
      // The health listener answers on every local address, the debug one only on loopback.
      const { networkInterfaces } = await import('node:os');
      const external = Object.values(networkInterfaces())
        .flat()
        .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
      if (external !== undefined) {
        assert.equal((await fetch(`http://${external}:${health.port}/healthz`)).status, 200);
        await assert.rejects(
          fetch(`http://${external}:${debug.port}/debug/kloop`),
          'debug is not reachable off loopback',
        );
      }
      const doc = (await (await fetch(`${mgr.debugUrl}/debug/kloop`)).json()) as { started: boolean };
      assert.equal(doc.started, true);
      assert.equal((await fetch(`${mgr.debugUrl}/metrics`)).status, 404);
      assert.equal((await fetch(`${mgr.debugUrl}/healthz`)).status, 404);
      assert.ok(!lines.some((l) => l.level === 40), 'no warning for the defaults');
      await mgr.stop();
      await assert.rejects(fetch(`${mgr.httpUrl}/healthz`), 'the health listener is closed on stop');
      await assert.rejects(fetch(`${mgr.debugUrl}/debug/kloop`), 'and the debug listener');
    } finally {
      await mgr.stop();
    }
  });

  it('a debug listener beyond loopback is allowed but warned about; a taken port fails start() and leaves nothing', async () => {
    const { logger, lines } = collect();
    const mgr = new Manager({
      kubeconfig: nowhere,
      logger,
      http: { port: 0, host: '127.0.0.1' },
      debug: { host: '0.0.0.0' },
    });
    try {
      await mgr.start();
      assert.ok(lines.some((l) => l.level === 40 && /debug endpoint listens beyond loopback/.test(l.msg as string)));
      const taken = Number(new URL(mgr.debugUrl!).port);
      const second = new Manager({
        kubeconfig: nowhere,
        logger: pino({ level: 'silent' }),
        http: { port: 0, host: '127.0.0.1' },
        debug: { port: taken, host: '0.0.0.0' },
      });
      await assert.rejects(second.start(), /EADDRINUSE/);
      assert.equal(second.httpUrl, undefined, 'the health listener it had opened is closed again');
      await second.stop();
    } finally {
      await mgr.stop();
    }
  });
});

/** A fake API server: tokens `prom` (may get /metrics) and `alice` (may not); `forbidden` fails the review. */
async function reviewServer(): Promise<{ server: TestServer; reviews: () => string[] }> {
  const server = await startServer((req, res, body) => {
    const review = JSON.parse(body || '{}') as {
      spec?: { token?: string; user?: string; nonResourceAttributes?: { path: string; verb: string } };
    };
    if (req.url === '/apis/authentication.k8s.io/v1/tokenreviews') {
      const token = review.spec?.token;
      if (token === 'forbidden') {
        json(res, 403, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 403, reason: 'Forbidden' });
        return;
      }
      const users: Record<string, string> = { prom: 'system:serviceaccount:monitoring:prometheus', alice: 'alice' };
      const user = token ? users[token] : undefined;
      json(res, 201, {
        ...review,
        status: user ? { authenticated: true, user: { username: user, groups: ['system:authenticated'] } } : {},
      });
      return;
    }
    if (req.url === '/apis/authorization.k8s.io/v1/subjectaccessreviews') {
      const attrs = review.spec?.nonResourceAttributes;
      const allowed =
        review.spec?.user === 'system:serviceaccount:monitoring:prometheus' &&
        attrs?.path === '/metrics' &&
        attrs.verb === 'get';
      json(res, 201, { ...review, status: { allowed } });
      return;
    }
    json(res, 404, { kind: 'Status', code: 404 });
  });
  const reviews = () =>
    server.requests.map((r) => {
      const spec = (JSON.parse(r.body) as { spec: { token?: string; user?: string } }).spec;
      return r.url.includes('tokenreviews') ? `token ${spec.token}` : `access ${spec.user}`;
    });
  return { server, reviews };
}

describe('authenticated metrics', () => {
  it('TokenReview then SubjectAccessReview on /metrics; answers cached as controller-runtime caches them', async () => {
    const { server, reviews } = await reviewServer();
    const clock = new ManualClock();
    const mgr = new Manager({
      kubeconfig: server.kubeconfig({ token: 'operator-token' }),
      logger: pino({ level: 'silent' }),
      clock,
      http: { port: 0, host: '127.0.0.1', metricsAuth: true },
      // The fake server counts every review; the start-up RBAC check's own reviews are not this test's.
      rbacCheck: 'off',
    });
    const scrape = async (token?: string) => {
      const res = await fetch(`${mgr.httpUrl}/metrics`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
      return `${res.status} ${res.status === 200 ? 'metrics' : await res.text()}`;
    };
    try {
      await mgr.start();
      assert.equal(await scrape(), '401 Unauthorized', 'no token');
      assert.equal((await fetch(`${mgr.httpUrl}/healthz`)).status, 200, 'probes need no token');
      assert.deepEqual(reviews(), [], 'nothing asked without a token');
      assert.equal(await scrape('nobody'), '401 Unauthorized', 'a token the server does not know');
      assert.equal(await scrape('alice'), '403 Authorization denied for user alice');
      assert.equal(await scrape('prom'), '200 metrics');
      assert.deepEqual(reviews(), [
        'token nobody',
        'token alice',
        'access alice',
        'token prom',
        'access system:serviceaccount:monitoring:prometheus',
      ]);
      const sent = server.requests.find((r) => r.url.includes('subjectaccessreviews'))!;
      assert.equal(sent.headers.authorization, 'Bearer operator-token', 'the reviews go as the operator');
      assert.deepEqual(JSON.parse(sent.body).spec.nonResourceAttributes, { path: '/metrics', verb: 'get' });
      assert.deepEqual(JSON.parse(sent.body).spec.groups, ['system:authenticated']);

      // Cached: a token's review for a minute, an allow for five, a deny for thirty seconds.
      const before = reviews().length;
      assert.equal(await scrape('prom'), '200 metrics');
      assert.equal(await scrape('alice'), '403 Authorization denied for user alice');
      assert.equal(reviews().length, before, 'all from the cache');
      clock.advance(30_000);
      assert.equal(await scrape('alice'), '403 Authorization denied for user alice');
      assert.deepEqual(reviews().slice(before), ['access alice'], 'the deny expired; the token review did not');
      clock.advance(31_000);
      assert.equal(await scrape('prom'), '200 metrics');
      assert.deepEqual(reviews().slice(before + 1), ['token prom'], 'the token review expired; the allow did not');

      // A review the operator may not make is a 500, not a pass, and is not cached.
      assert.equal(await scrape('forbidden'), '500 Authentication or authorization failed');
      assert.equal(await scrape('forbidden'), '500 Authentication or authorization failed');
      assert.equal(reviews().filter((r) => r === 'token forbidden').length, 2);
    } finally {
      await mgr.stop();
      await server.close();
    }
  });

  it('over TLS with a given certificate', async () => {
    const { server } = await reviewServer();
    const ca = createCertificateAuthority();
    const serving = issueServingCertificate(ca);
    const mgr = new Manager({
      kubeconfig: server.kubeconfig({ token: 'operator-token' }),
      logger: pino({ level: 'silent' }),
      http: { port: 0, host: '127.0.0.1', metricsAuth: {}, tls: { cert: serving.certPem, key: serving.keyPem } },
    });
    try {
      await mgr.start();
      assert.match(mgr.httpUrl!, /^https:\/\/127\.0\.0\.1:\d+$/);
      const get = (path: string, token?: string) =>
        new Promise<number>((resolve, reject) => {
          const req = https.get(
            `${mgr.httpUrl}${path}`,
            { ca: ca.certPem, headers: token ? { Authorization: `Bearer ${token}` } : {} },
            (res: http.IncomingMessage) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
        });
      assert.equal(await get('/metrics', 'prom'), 200);
      assert.equal(await get('/metrics'), 401);
      assert.equal(await get('/readyz'), 200);
    } finally {
      await mgr.stop();
      await server.close();
    }
  });
});

describe('metrics review caching', () => {
  const request = (token: string) =>
    ({ headers: { authorization: `Bearer ${token}` }, method: 'GET' }) as unknown as http.IncomingMessage;

  it('a TokenReview answered with an error is not cached (an unknown token without one is)', async () => {
    const asked: string[] = [];
    const reviews: ReviewClient = {
      async reviewToken(token) {
        asked.push(token);
        // The API server sets status.error when its authenticators failed rather than said no;
        // controller-runtime's authenticator takes that for an error and does not cache it.
        return token === 'flaky' ? { authenticated: false, error: 'token lookup failed' } : { authenticated: false };
      },
      async reviewAccess() {
        return { allowed: true };
      },
    };
    const authorize = metricsAuthorizer(reviews, new ManualClock());
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await authorize(request('flaky'), '/metrics'), {
        ok: false,
        status: 401,
        message: 'Unauthorized',
      });
      assert.equal((await authorize(request('unknown'), '/metrics')).ok, false);
    }
    assert.deepEqual(asked, ['flaky', 'unknown', 'flaky'], 'the error asked again, the plain no cached');
  });

  it('expired reviews are dropped, not kept for ever; the cache is bounded', () => {
    const clock = new ManualClock();
    const cache = new ExpiringCache<boolean>(clock, 100);
    for (let i = 0; i < 50; i++) cache.set(`token-${i}`, true, 60_000);
    assert.equal(cache.size, 50);
    clock.advance(60_000);
    cache.set('fresh', true, 60_000);
    assert.equal(cache.size, 1, 'rotated tokens (each a new key) do not pile up');
    assert.equal(cache.get('token-1'), undefined);
    assert.equal(cache.get('fresh'), true);
    for (let i = 0; i < 500; i++) cache.set(`flood-${i}`, true, 60_000);
    assert.equal(cache.size, 100, 'a flood of distinct tokens within a TTL keeps the newest');
    assert.equal(cache.get('flood-499'), true);
    assert.equal(cache.get('flood-0'), undefined);
  });
});
