// The secure emulator's authentication with kloop's own client: HTTPS with a self-contained
// kubeconfig, client certificates, static tokens, ServiceAccount tokens from the TokenRequest API,
// an exec plugin script, in-cluster files, anonymous requests; and the failures: a wrong CA, a
// certificate from another CA, an expired token, a revoked ServiceAccount, a bad token, each with
// the real server's answer. Also TokenReview, TokenRequest validation and the audit record.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  type ApiServer,
  createCertificateAuthority,
  issueClientCertificate,
  startApiServer,
} from '../../src/apiserver/index.js';
import {
  ApiError,
  ConfigMap,
  inClusterConfig,
  KubeClient,
  type KubeObject,
  ManualClock,
  Namespace,
  Pod,
  ServiceAccount,
} from '../../src/index.js';
import { call, caOf, clientOf, requestToken, scratch, serviceAccount, whoami } from './secure-helpers.js';

const UNAUTHORIZED = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Unauthorized',
  reason: 'Unauthorized',
  code: 401,
};

async function status401(client: KubeClient): Promise<void> {
  const res = await call(client, 'GET', '/api/v1/namespaces/default/configmaps');
  assert.equal(res.status, 401);
  assert.deepEqual(res.body, UNAUTHORIZED);
}

describe('secure emulator: authentication', () => {
  const clock = new ManualClock();
  let server: ApiServer;
  let admin: KubeClient;
  const clients: KubeClient[] = [];
  const track = (c: KubeClient) => {
    clients.push(c);
    return c;
  };
  before(async () => {
    server = await startApiServer({
      secure: { tokens: [{ token: 'static-bob', username: 'bob', uid: 'u-42', groups: ['ops'] }] },
      clock,
    });
    admin = track(clientOf(server.kubeconfig));
    await admin.create(serviceAccount('default', 'robot'));
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  it('serves HTTPS with a kubeconfig that carries the CA and the admin credentials inline', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const { cluster } = server.kubeconfig.clusters[0];
    assert.equal(cluster.server, server.url);
    assert.equal(cluster['insecure-skip-tls-verify'], undefined);
    assert.match(caOf(server), /^-----BEGIN CERTIFICATE-----/);
    const { user } = server.kubeconfig.users[0];
    assert.ok(user['client-certificate-data'] && user['client-key-data']);
    assert.equal((await admin.list(Namespace)).items.length, 4);
    assert.deepEqual(await whoami(admin), {
      username: 'kloop-admin',
      groups: ['system:masters', 'system:authenticated'],
    });
  });

  it('client certificates: CN is the user, each O a group', async () => {
    const jane = track(clientOf(server.kubeconfigFor({ username: 'jane', groups: ['devs', 'qa'] })));
    assert.deepEqual(await whoami(jane), { username: 'jane', groups: ['devs', 'qa', 'system:authenticated'] });
  });

  it('static bearer tokens', async () => {
    const bob = track(clientOf(server.kubeconfigFor({ token: 'static-bob' })));
    assert.deepEqual(await whoami(bob), { username: 'bob', uid: 'u-42', groups: ['ops', 'system:authenticated'] });
  });

  it('ServiceAccount tokens from the TokenRequest API', async () => {
    const token = await requestToken(admin, 'default', 'robot');
    const robot = track(clientOf(server.kubeconfigFor({ token })));
    const me = await whoami(robot);
    assert.equal(me.username, 'system:serviceaccount:default:robot');
    assert.deepEqual(me.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    const sa = await admin.get(ServiceAccount, { namespace: 'default', name: 'robot' });
    assert.equal(me.uid, sa.metadata.uid);
    assert.match(me.extra?.['authentication.kubernetes.io/credential-id']?.[0] ?? '', /^JTI=[0-9a-f-]{36}$/);
    const [header, claims] = token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    assert.equal(header.alg, 'ES256');
    assert.equal(claims.iss, 'https://kubernetes.default.svc.cluster.local');
    assert.deepEqual(claims.aud, ['https://kubernetes.default.svc.cluster.local']);
    assert.equal(claims.exp - claims.iat, 3600);
    assert.deepEqual(claims['kubernetes.io'].serviceaccount, { name: 'robot', uid: sa.metadata.uid });
  });

  it('an exec credential plugin written as a script: a token, then a client certificate', async () => {
    const tmp = scratch('kloop-exec-');
    try {
      const token = await requestToken(admin, 'default', 'robot');
      const plugin = tmp.path('token-plugin.sh');
      const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token } };
      writeFileSync(plugin, `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify(credential)}\nEOF\n`);
      chmodSync(plugin, 0o755);
      const exec = (command: string) => ({
        ...server.kubeconfig,
        users: [
          {
            name: 'kloop',
            user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command, interactiveMode: 'Never' } },
          },
        ],
      });
      const viaToken = track(clientOf(exec(plugin)));
      assert.equal((await whoami(viaToken)).username, 'system:serviceaccount:default:robot');
      const cert = server.security?.issueClientCertificate('plugin-user', ['plugins']);
      const certPlugin = tmp.path('cert-plugin.sh');
      const certCredential = {
        apiVersion: 'client.authentication.k8s.io/v1',
        kind: 'ExecCredential',
        status: { clientCertificateData: cert?.certPem, clientKeyData: cert?.keyPem },
      };
      writeFileSync(certPlugin, `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify(certCredential)}\nEOF\n`);
      chmodSync(certPlugin, 0o755);
      const viaCert = track(clientOf(exec(certPlugin)));
      assert.deepEqual(await whoami(viaCert), { username: 'plugin-user', groups: ['plugins', 'system:authenticated'] });
    } finally {
      tmp.cleanup();
    }
  });

  it('in-cluster files laid out in a folder: token, ca.crt and namespace', async () => {
    const tmp = scratch('kloop-sa-');
    try {
      writeFileSync(tmp.path('token'), await requestToken(admin, 'default', 'robot'));
      writeFileSync(tmp.path('ca.crt'), caOf(server));
      writeFileSync(tmp.path('namespace'), 'default');
      const resolved = inClusterConfig({
        serviceAccountDir: tmp.dir,
        env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(server.port) },
      });
      const pod = track(new KubeClient(resolved, { maxRetries: 0 }));
      assert.equal(pod.namespace, 'default');
      assert.equal((await whoami(pod)).username, 'system:serviceaccount:default:robot');
    } finally {
      tmp.cleanup();
    }
  });

  it('no credentials: system:anonymous, allowed /version and refused the rest', async () => {
    const anonymous = track(clientOf({ ...server.kubeconfig, users: [{ name: 'kloop', user: {} }] }));
    assert.equal((await call(anonymous, 'GET', '/version')).status, 200);
    const api = await call(anonymous, 'GET', '/api');
    assert.equal(api.status, 403);
    assert.deepEqual(api.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'forbidden: User "system:anonymous" cannot get path "/api"',
      reason: 'Forbidden',
      details: {},
      code: 403,
    });
    const review = await call(anonymous, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {});
    assert.equal(review.status, 403);
  });

  it('a wrong CA: the client refuses the server certificate', async () => {
    const other = createCertificateAuthority({ commonName: 'someone-else' });
    const kc = structuredClone(server.kubeconfig);
    kc.clusters[0].cluster['certificate-authority-data'] = Buffer.from(other.certPem).toString('base64');
    const client = track(clientOf(kc));
    await assert.rejects(client.list(ConfigMap), (err: Error & { code?: string; cause?: { code?: string } }) => {
      assert.equal(err.code, 'KLOOP_CONNECTION_ERROR');
      assert.match(
        String(err.cause?.code),
        /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/,
      );
      return true;
    });
  });

  it('a client certificate from another CA is a 401, not a handshake failure', async () => {
    const other = createCertificateAuthority();
    const cert = issueClientCertificate(other, 'mallory', ['system:masters']);
    const kc = structuredClone(server.kubeconfig);
    kc.users[0].user = {
      'client-certificate-data': Buffer.from(cert.certPem).toString('base64'),
      'client-key-data': Buffer.from(cert.keyPem).toString('base64'),
    };
    await status401(track(clientOf(kc)));
  });

  it('a client certificate of the right CA but for servers only, or expired, is a 401', async () => {
    const ca = server.security?.ca;
    assert.ok(ca);
    const asUser = (cert: { certPem: string; keyPem: string }) => {
      const kc = structuredClone(server.kubeconfig);
      kc.users[0].user = {
        'client-certificate-data': Buffer.from(cert.certPem).toString('base64'),
        'client-key-data': Buffer.from(cert.keyPem).toString('base64'),
      };
      return track(clientOf(kc));
    };
    // x509 verification asks for ExtKeyUsageClientAuth: a serving certificate does not have it.
    await status401(asUser(ca.issue({ commonName: 'mallory', organizations: ['system:masters'], usage: 'server' })));
    const expired = issueClientCertificate(ca, 'mallory', ['system:masters'], {
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2021-01-01T00:00:00Z'),
    });
    await status401(asUser(expired));
    const fine = issueClientCertificate(ca, 'mallory', ['ops']);
    assert.deepEqual(await whoami(asUser(fine)), { username: 'mallory', groups: ['ops', 'system:authenticated'] });
  });

  it('an unknown bearer token is a 401 and the client error says Unauthorized', async () => {
    const client = track(clientOf(server.kubeconfigFor({ token: 'made-up' })));
    await status401(client);
    await assert.rejects(client.get(ConfigMap, { namespace: 'default', name: 'x' }), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.statusCode, 401);
      assert.equal(err.message, 'Unauthorized');
      return true;
    });
  });

  it('an expired token is a 401 (after the minute of leeway)', async () => {
    const token = await requestToken(admin, 'default', 'robot', { expirationSeconds: 600 });
    const client = track(clientOf(server.kubeconfigFor({ token })));
    assert.equal((await whoami(client)).username, 'system:serviceaccount:default:robot');
    clock.advance(600_000 + 60_000);
    assert.equal((await whoami(client)).username, 'system:serviceaccount:default:robot', 'within the leeway');
    clock.advance(1000);
    await status401(client);
    const review = await call<{ status: Record<string, unknown> }>(
      admin,
      'POST',
      '/apis/authentication.k8s.io/v1/tokenreviews',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token },
      },
    );
    assert.equal(review.status, 201);
    assert.deepEqual(review.body.status, { user: {}, error: 'service account token has expired' });
  });

  it('deleting the ServiceAccount revokes its tokens, also when one of the same name comes back', async () => {
    await admin.create(serviceAccount('default', 'temp'));
    const token = await requestToken(admin, 'default', 'temp');
    const client = track(clientOf(server.kubeconfigFor({ token })));
    assert.equal((await whoami(client)).username, 'system:serviceaccount:default:temp');
    await admin.delete(ServiceAccount, { namespace: 'default', name: 'temp' });
    await status401(client);
    await admin.create(serviceAccount('default', 'temp'));
    await status401(client);
  });

  it('tokens bound to a Pod live as long as the Pod', async () => {
    const pod = await admin.create<KubeObject>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace: 'default', name: 'worker' },
      spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'busybox' }] },
    });
    const token = await requestToken(admin, 'default', 'robot', {
      boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'worker' },
    });
    const client = track(clientOf(server.kubeconfigFor({ token })));
    const me = await whoami(client);
    assert.deepEqual(me.extra?.['authentication.kubernetes.io/pod-name'], ['worker']);
    assert.deepEqual(me.extra?.['authentication.kubernetes.io/pod-uid'], [pod.metadata.uid]);
    await admin.delete(Pod, { namespace: 'default', name: 'worker' });
    await status401(client);
    const wrongKind = await call(admin, 'POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', {
      spec: { boundObjectRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'x' } },
    });
    assert.equal(wrongKind.status, 400);
    assert.equal(
      (wrongKind.body as { message: string }).message,
      'cannot bind token to object of type /v1, Kind=ConfigMap',
    );
  });

  it('TokenRequest validation and errors', async () => {
    const short = await call<{ message: string; details: unknown }>(
      admin,
      'POST',
      '/api/v1/namespaces/default/serviceaccounts/robot/token',
      {
        spec: { expirationSeconds: 60 },
      },
    );
    assert.equal(short.status, 422);
    assert.equal(
      short.body.message,
      'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    );
    const missing = await call<{ message: string }>(
      admin,
      'POST',
      '/api/v1/namespaces/default/serviceaccounts/nobody/token',
      {},
    );
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'serviceaccounts "nobody" not found');
    const get = await call(admin, 'GET', '/api/v1/namespaces/default/serviceaccounts/robot/token');
    assert.equal(get.status, 405);
    const withAudience = await call<{ spec: { audiences: string[] }; status: { expirationTimestamp: string } }>(
      admin,
      'POST',
      '/api/v1/namespaces/default/serviceaccounts/robot/token',
      { spec: { audiences: ['vault'], expirationSeconds: 7200 } },
    );
    assert.equal(withAudience.status, 201);
    assert.deepEqual(withAudience.body.spec.audiences, ['vault']);
    assert.match(withAudience.body.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('TokenReview: who a token is, for which audiences', async () => {
    const token = await requestToken(admin, 'default', 'robot', { audiences: ['vault', 'api'] });
    const review = (spec: unknown) =>
      call<{ status: Record<string, unknown> }>(admin, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec,
      });
    const ok = await review({ token, audiences: ['vault'] });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.status.authenticated, true);
    assert.deepEqual(ok.body.status.audiences, ['vault']);
    assert.equal((ok.body.status.user as { username: string }).username, 'system:serviceaccount:default:robot');
    // Not for the API: the token names other audiences.
    const forApi = await review({ token });
    assert.match(
      String(forApi.body.status.error),
      /^token audiences \["vault" "api"\] is invalid for the target audiences/,
    );
    const client = track(clientOf(server.kubeconfigFor({ token })));
    await status401(client);
    const empty = await review({ token: '' });
    assert.equal(empty.status, 400);
  });

  it('server.audit() records who did what and how it ended, bounded', async () => {
    const bounded = await startApiServer({ secure: { auditLimit: 3 } });
    const client = clientOf(bounded.kubeconfig);
    try {
      for (const name of ['a', 'b', 'c', 'd']) {
        await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default', name } });
      }
      await client.get(ConfigMap, { namespace: 'default', name: 'a' });
      const entries = bounded.audit();
      assert.equal(entries.length, 3);
      assert.deepEqual(entries.at(-1), {
        seq: entries.at(-1)?.seq,
        user: 'kloop-admin',
        groups: ['system:masters', 'system:authenticated'],
        verb: 'get',
        apiGroup: '',
        resource: 'configmaps',
        namespace: 'default',
        name: 'a',
        code: 200,
        denied: false,
      });
      assert.equal(bounded.audit({ verb: 'create' }).length, 2);
    } finally {
      client.close();
      await bounded.stop();
    }
    const bobAudit = server.audit({ user: 'bob' });
    assert.ok(bobAudit.length > 0);
    const refused = server.audit({ denied: true });
    assert.ok(refused.some((e) => e.code === 401 && e.user === ''));
    assert.ok(refused.some((e) => e.code === 403 && e.user === 'system:anonymous' && e.path === '/api'));
  });

  it('anonymous requests can be turned off: then they are 401', async () => {
    const closed = await startApiServer({ secure: { anonymous: false } });
    const client = clientOf({ ...closed.kubeconfig, users: [{ name: 'kloop', user: {} }] });
    try {
      await status401(client);
    } finally {
      client.close();
      await closed.stop();
    }
  });
});
