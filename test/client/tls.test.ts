// The client against local HTTPS servers with generated certificates: CA trust, client
// certificate authentication, tls-server-name, insecure-skip-tls-verify, and proxies.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServingCertificate,
} from '../../src/apiserver/auth/certificates.js';
import { KubeClient, KubeconfigError, TransportError } from '../../src/client/index.js';
import { ConfigMap } from '../../src/core/index.js';
import { InstantClock } from './helpers.js';
import {
  b64,
  kubeconfigFor,
  makePki,
  type Pki,
  type SecureServer,
  startConnectProxy,
  startHttpsServer,
  startSocksProxy,
  tempDir,
} from './secure-helpers.js';

const silent = pino({ level: 'silent' });
const clientFor = (kubeconfig: Record<string, unknown>) =>
  KubeClient.fromKubeconfig(kubeconfig, {
    logger: silent,
    registry: new Registry(),
    clock: new InstantClock(),
    maxRetries: 0,
  });

describe('TLS against a local HTTPS server', () => {
  let pki: Pki;
  let server: SecureServer;
  before(async () => {
    pki = makePki();
    server = await startHttpsServer(pki.serving, { clientCa: pki.ca.certPem });
  });
  after(() => server.close());

  it('trusts the server through certificate-authority-data and sends the client certificate', async () => {
    const client = clientFor(
      kubeconfigFor(
        { server: server.url, 'certificate-authority-data': b64(pki.ca.certPem) },
        { 'client-certificate-data': b64(pki.admin.certPem), 'client-key-data': b64(pki.admin.keyPem) },
      ),
    );
    try {
      const cm = await client.get(ConfigMap, { namespace: 'default', name: 'a' });
      assert.equal(cm.metadata.name, 'a');
      const seen = server.requests.at(-1);
      assert.deepEqual(seen?.user, { cn: 'admin', groups: ['system:masters'] }, 'the server read CN and O');
      assert.equal(seen?.headers.authorization, undefined);
    } finally {
      client.close();
    }
  });

  it('reads the CA and client certificate from files relative to the kubeconfig', async () => {
    const { dir, cleanup } = tempDir('kloop-tls-files-');
    try {
      writeFileSync(join(dir, 'ca.crt'), pki.ca.certPem);
      const alice = issueClientCertificate(pki.ca, 'alice', ['dev', 'ops']);
      writeFileSync(join(dir, 'alice.crt'), alice.certPem);
      writeFileSync(join(dir, 'alice.key'), alice.keyPem);
      const file = join(dir, 'config');
      writeFileSync(
        file,
        JSON.stringify(
          kubeconfigFor(
            { server: server.url, 'certificate-authority': 'ca.crt' },
            { 'client-certificate': 'alice.crt', 'client-key': 'alice.key' },
          ),
        ),
      );
      const fromFile = KubeClient.fromKubeconfig(file, { logger: silent, registry: new Registry() });
      try {
        await fromFile.get(ConfigMap, { namespace: 'default', name: 'b' });
        assert.deepEqual(server.requests.at(-1)?.user, { cn: 'alice', groups: ['dev', 'ops'] });
      } finally {
        fromFile.close();
      }
    } finally {
      cleanup();
    }
  });

  it('a server signed by another CA fails with a TLS error naming the kubeconfig fields', async () => {
    const other = createCertificateAuthority({ commonName: 'other-ca' });
    const client = clientFor(kubeconfigFor({ server: server.url, 'certificate-authority-data': b64(other.certPem) }));
    try {
      await assert.rejects(
        client.get(ConfigMap, { namespace: 'default', name: 'a' }),
        (err: unknown) =>
          err instanceof TransportError &&
          err.code === 'KLOOP_CONNECTION_ERROR' &&
          /^GET \/api\/v1\/namespaces\/default\/configmaps\/a: TLS: /.test(err.message) &&
          err.message.includes('certificate-authority(-data)'),
      );
    } finally {
      client.close();
    }
  });

  it("without a CA the system's roots are used, and the message says so", async () => {
    const client = clientFor(kubeconfigFor({ server: server.url }));
    try {
      await assert.rejects(client.get(ConfigMap, { namespace: 'default', name: 'a' }), /system's CAs were used/);
    } finally {
      client.close();
    }
  });

  it('insecure-skip-tls-verify without a CA connects to any certificate', async () => {
    const client = clientFor(kubeconfigFor({ server: server.url, 'insecure-skip-tls-verify': true }));
    try {
      assert.equal((await client.get(ConfigMap, { namespace: 'default', name: 'i' })).metadata.name, 'i');
    } finally {
      client.close();
    }
  });

  it('insecure-skip-tls-verify together with a CA is refused, as kubectl does', () => {
    assert.throws(
      () =>
        clientFor(
          kubeconfigFor({
            server: server.url,
            'insecure-skip-tls-verify': true,
            'certificate-authority-data': b64(pki.ca.certPem),
          }),
        ),
      (err: unknown) =>
        err instanceof KubeconfigError &&
        err.field === 'clusters[c].cluster.insecure-skip-tls-verify' &&
        err.message.endsWith('specifying a root certificates file with the insecure flag is not allowed'),
    );
  });
});

describe('tls-server-name', () => {
  it('verifies the certificate against tls-server-name instead of the URL host', async () => {
    const ca = createCertificateAuthority();
    // A certificate for a name only: connecting to 127.0.0.1 must send and check that name.
    const serving = issueServingCertificate(ca, ['api.internal.example']);
    const server = await startHttpsServer(serving);
    const withName = clientFor(
      kubeconfigFor({
        server: server.url,
        'certificate-authority-data': b64(ca.certPem),
        'tls-server-name': 'api.internal.example',
      }),
    );
    const without = clientFor(kubeconfigFor({ server: server.url, 'certificate-authority-data': b64(ca.certPem) }));
    try {
      assert.equal((await withName.get(ConfigMap, { namespace: 'default', name: 'n' })).metadata.name, 'n');
      await assert.rejects(
        without.get(ConfigMap, { namespace: 'default', name: 'n' }),
        (err: unknown) =>
          err instanceof TransportError &&
          err.message.includes('ERR_TLS_CERT_ALTNAME_INVALID') &&
          err.message.includes('tls-server-name'),
      );
    } finally {
      withName.close();
      without.close();
      await server.close();
    }
  });
});

describe('the serving certificate covers IPv6 loopback', () => {
  it('connects to https://[::1] with the generated certificate', async (t) => {
    const pki = makePki();
    let server: SecureServer;
    try {
      server = await startHttpsServer(pki.serving, { host: '::1' });
    } catch {
      t.skip('no IPv6 loopback on this machine');
      return;
    }
    const client = clientFor(kubeconfigFor({ server: server.url, 'certificate-authority-data': b64(pki.ca.certPem) }));
    try {
      assert.equal((await client.get(ConfigMap, { namespace: 'default', name: 'v6' })).metadata.name, 'v6');
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('proxy-url', () => {
  let pki: Pki;
  let server: SecureServer;
  before(async () => {
    pki = makePki();
    server = await startHttpsServer(pki.serving);
  });
  after(() => server.close());

  it('tunnels through an HTTP proxy with CONNECT, TLS end to end, credentials from the URL', async () => {
    const auth = `Basic ${b64('me:s3cret')}`;
    const proxy = await startConnectProxy({ requireAuth: auth });
    const proxyUrl = new URL(proxy.url);
    proxyUrl.username = 'me';
    proxyUrl.password = 's3cret';
    const client = clientFor(
      kubeconfigFor({
        server: server.url,
        'certificate-authority-data': b64(pki.ca.certPem),
        'proxy-url': proxyUrl.href,
      }),
    );
    try {
      await client.get(ConfigMap, { namespace: 'default', name: 'p1' });
      await client.get(ConfigMap, { namespace: 'default', name: 'p2' });
      assert.deepEqual(proxy.targets, [`127.0.0.1:${server.port}`], 'one tunnel, kept alive for both requests');
      assert.deepEqual(proxy.credentials, [auth]);
    } finally {
      client.close();
      await proxy.close();
    }
  });

  it('a proxy that refuses is a clear error without the proxy password', async () => {
    const proxy = await startConnectProxy({ requireAuth: 'Basic nope' });
    const proxyUrl = new URL(proxy.url);
    proxyUrl.username = 'me';
    proxyUrl.password = 'hunter2';
    const client = clientFor(
      kubeconfigFor({
        server: server.url,
        'certificate-authority-data': b64(pki.ca.certPem),
        'proxy-url': proxyUrl.href,
      }),
    );
    try {
      await assert.rejects(
        client.get(ConfigMap, { namespace: 'default', name: 'p' }),
        (err: unknown) =>
          err instanceof TransportError &&
          /refused CONNECT .*407/.test(err.message) &&
          !err.message.includes('hunter2'),
      );
    } finally {
      client.close();
      await proxy.close();
    }
  });

  it('tunnels through a SOCKS5 proxy, with and without username/password', async () => {
    for (const users of [undefined, { me: 'pw' }]) {
      const proxy = await startSocksProxy({ users });
      const proxyUrl = new URL(proxy.url);
      if (users) {
        proxyUrl.username = 'me';
        proxyUrl.password = 'pw';
      }
      const client = clientFor(
        kubeconfigFor({
          server: server.url,
          'certificate-authority-data': b64(pki.ca.certPem),
          'proxy-url': proxyUrl.href,
        }),
      );
      try {
        assert.equal((await client.get(ConfigMap, { namespace: 'default', name: 's' })).metadata.name, 's');
        assert.deepEqual(proxy.targets, [`127.0.0.1:${server.port}`]);
        assert.deepEqual(proxy.credentials, users ? ['me:pw'] : []);
      } finally {
        client.close();
        await proxy.close();
      }
    }
  });

  it('a plain-HTTP cluster goes through the proxy too', async () => {
    const http = await import('node:http');
    const plain = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' } }));
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const port = (plain.address() as import('node:net').AddressInfo).port;
    const proxy = await startConnectProxy();
    const client = clientFor(kubeconfigFor({ server: `http://127.0.0.1:${port}`, 'proxy-url': proxy.url }));
    try {
      assert.equal((await client.get(ConfigMap, { namespace: 'default', name: 'plain' })).metadata.name, 'plain');
      assert.deepEqual(proxy.targets, [`127.0.0.1:${port}`]);
    } finally {
      client.close();
      await proxy.close();
      plain.closeAllConnections();
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });

  it('an unsupported proxy scheme is a kubeconfig error', () => {
    assert.throws(
      () => clientFor(kubeconfigFor({ server: server.url, 'proxy-url': 'socks4://127.0.0.1:1' })),
      (err: unknown) =>
        err instanceof KubeconfigError && err.field === 'clusters[c].cluster.proxy-url' && /socks4/.test(err.message),
    );
  });
});
