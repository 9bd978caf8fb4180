// Authenticated metrics end to end: a Manager running as its ServiceAccount asks the secure
// emulator (TokenReview, then SubjectAccessReview) who a scraper is and whether it may get
// /metrics. Tokens come from the TokenRequest API, permissions from RBAC, as in a cluster.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { type KubeClient, Manager, RbacMissingError } from '../../src/index.js';
import { bindingObject, clientOf, requestToken, roleObject, serviceAccount } from './secure-helpers.js';

/** What an operator needs to authenticate its metrics (the controller-runtime kubebuilder role). */
const METRICS_AUTH_RULES = [
  { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'] },
  { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'] },
];

describe('authenticated metrics against the secure emulator', () => {
  let server: ApiServer;
  let admin: KubeClient;
  before(async () => {
    server = await startApiServer({ secure: true });
    admin = clientOf(server.kubeconfig);
    for (const name of ['kloop-system', 'monitoring'])
      await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    for (const [namespace, name] of [
      ['kloop-system', 'operator'],
      ['kloop-system', 'unreviewed'],
      ['monitoring', 'prometheus'],
      ['monitoring', 'stranger'],
    ])
      await admin.create(serviceAccount(namespace, name));
    await admin.create(roleObject('metrics-auth', METRICS_AUTH_RULES));
    await admin.create(
      bindingObject('metrics-auth', { kind: 'ClusterRole', name: 'metrics-auth' }, [
        { kind: 'ServiceAccount', name: 'operator', namespace: 'kloop-system' },
      ]),
    );
    await admin.create(roleObject('metrics-reader', [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]));
    await admin.create(
      bindingObject('prometheus-reads-metrics', { kind: 'ClusterRole', name: 'metrics-reader' }, [
        { kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' },
      ]),
    );
  });
  after(async () => {
    admin.close();
    await server.stop();
  });

  /** A manager with no controllers, authenticated as `serviceAccount`, its metrics behind auth. */
  const startManager = async (serviceAccountName: string, rbacCheck?: 'warn'): Promise<Manager> => {
    const token = await requestToken(admin, 'kloop-system', serviceAccountName);
    const mgr = new Manager({
      kubeconfig: server.kubeconfigFor({ token }),
      logger: pino({ level: 'silent' }),
      http: { port: 0, host: '127.0.0.1', metricsAuth: true },
      ...(rbacCheck ? { rbacCheck } : {}),
    });
    await mgr.start();
    return mgr;
  };
  const scrape = async (mgr: Manager, token?: string): Promise<string> => {
    const res = await fetch(`${mgr.httpUrl}/metrics`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
    const body = await res.text();
    return `${res.status} ${res.status === 200 ? (body.includes('# TYPE') ? 'metrics' : body.slice(0, 40)) : body}`;
  };

  it('200 for prometheus, 403 for a ServiceAccount without the binding, 401 for a bad or no token', async () => {
    const mgr = await startManager('operator');
    try {
      const prometheus = await requestToken(admin, 'monitoring', 'prometheus');
      const stranger = await requestToken(admin, 'monitoring', 'stranger');
      assert.equal(await scrape(mgr, prometheus), '200 metrics');
      assert.equal(
        await scrape(mgr, stranger),
        '403 Authorization denied for user system:serviceaccount:monitoring:stranger',
      );
      assert.equal(await scrape(mgr, 'not-a-token'), '401 Unauthorized');
      assert.equal(await scrape(mgr, `${prometheus.slice(0, -4)}AAAA`), '401 Unauthorized', 'a forged signature');
      assert.equal(await scrape(mgr), '401 Unauthorized');
      assert.equal((await fetch(`${mgr.httpUrl}/healthz`)).status, 200, 'probes need no token');
      // The reviews went to the API server as the operator, and were allowed by its role.
      const reviews = server.audit({ user: 'system:serviceaccount:kloop-system:operator', verb: 'create' });
      assert.ok(reviews.some((e) => e.resource === 'tokenreviews' && e.code === 201));
      assert.ok(reviews.some((e) => e.resource === 'subjectaccessreviews' && e.code === 201));
      assert.deepEqual(
        server.audit({ user: 'system:serviceaccount:kloop-system:operator', denied: true }),
        [],
        'the operator needed no more than its review role',
      );
    } finally {
      await mgr.stop();
    }
  });

  it('an operator whose ServiceAccount may not create reviews fails its start naming them', async () => {
    await assert.rejects(
      startManager('unreviewed'),
      (err: Error) =>
        err instanceof RbacMissingError &&
        /create authentication\.k8s\.io\/tokenreviews cluster-wide/.test(err.message) &&
        /create authorization\.k8s\.io\/subjectaccessreviews cluster-wide/.test(err.message),
    );
  });

  it('started anyway (rbacCheck warn), it answers 500, and the API server saw a 403', async () => {
    const mgr = await startManager('unreviewed', 'warn');
    try {
      const prometheus = await requestToken(admin, 'monitoring', 'prometheus');
      assert.equal(await scrape(mgr, prometheus), '500 Authentication or authorization failed');
      const refused = server.audit({ user: 'system:serviceaccount:kloop-system:unreviewed', denied: true });
      assert.equal(refused[0]?.resource, 'tokenreviews');
      assert.equal(refused[0]?.code, 403);
    } finally {
      await mgr.stop();
    }
  });
});
