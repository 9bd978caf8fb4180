// Authenticated metrics end to end, on the secure emulator: the manager runs as a ServiceAccount
// allowed only to create TokenReviews and SubjectAccessReviews; a scraper's ServiceAccount token
// bound to `get /metrics` scrapes, one without the binding is refused with 403, a token the server
// does not know with 401, and the probes need none. As controller-runtime's
// `filters.WithAuthenticationAndAuthorization` does it, against the real review APIs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import type { KubeClient } from '../../src/client/index.js';
import { Manager } from '../../src/manager/index.js';
import { bindingObject, clientOf, requestToken, roleObject, serviceAccount } from './secure-helpers.js';

let server: ApiServer;
let admin: KubeClient;

before(async () => {
  server = await startApiServer({ secure: {} });
  admin = clientOf(server.kubeconfig);
  for (const name of ['kloop-system', 'monitoring'])
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await admin.create(serviceAccount('kloop-system', 'operator'));
  await admin.create(serviceAccount('monitoring', 'prometheus'));
  await admin.create(serviceAccount('monitoring', 'nosy'));
  await admin.create(
    roleObject('metrics-auth', [
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]),
  );
  await admin.create(
    bindingObject('metrics-auth', { kind: 'ClusterRole', name: 'metrics-auth' }, [
      { kind: 'ServiceAccount', name: 'operator', namespace: 'kloop-system' },
    ]),
  );
  await admin.create(roleObject('metrics-reader', [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]));
  await admin.create(
    bindingObject('metrics-reader', { kind: 'ClusterRole', name: 'metrics-reader' }, [
      { kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' },
    ]),
  );
});
after(async () => {
  admin.close();
  await server.stop();
});

test('metricsAuth on the secure emulator: a bound scraper gets metrics, others 403 or 401, probes stay open', async () => {
  const operator = await requestToken(admin, 'kloop-system', 'operator');
  const prometheus = await requestToken(admin, 'monitoring', 'prometheus');
  const nosy = await requestToken(admin, 'monitoring', 'nosy');
  const lines: string[] = [];
  const mgr = new Manager({
    kubeconfig: server.kubeconfigFor({ token: operator }),
    logger: pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) }),
    http: { port: 0, host: '127.0.0.1', metricsAuth: true },
  });
  const scrape = async (token?: string) => {
    const res = await fetch(`${mgr.httpUrl}/metrics`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
    return `${res.status} ${res.status === 200 ? 'metrics' : await res.text()}`;
  };
  try {
    await mgr.start();
    assert.equal(await scrape(prometheus), '200 metrics');
    assert.equal(await scrape(nosy), '403 Authorization denied for user system:serviceaccount:monitoring:nosy');
    assert.equal(await scrape('not-a-token'), '401 Unauthorized');
    assert.equal(await scrape(), '401 Unauthorized');
    assert.equal((await fetch(`${mgr.httpUrl}/readyz`)).status, 200);
    const reviews = server
      .audit()
      .filter((e) => e.resource === 'tokenreviews' || e.resource === 'subjectaccessreviews');
    assert.ok(reviews.length >= 3, 'the reviews went to the API server');
    assert.ok(
      reviews.every((e) => e.user === 'system:serviceaccount:kloop-system:operator' && !e.denied && e.code === 201),
      'as the operator, allowed by its two rules',
    );
    for (const token of [operator, prometheus, nosy, 'not-a-token'])
      assert.ok(!lines.some((l) => l.includes(token)), 'no token in any log line');
  } finally {
    await mgr.stop();
  }
});
