// A CA given as PEM (loadCertificateAuthority) signs what the emulator issues, and the secure
// mode runs on given TLS material: its kubeconfig names that CA and kloop's client verifies it.
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServingCertificate,
  loadCertificateAuthority,
  startApiServer,
} from '../../../src/apiserver/index.js';
import { Namespace } from '../../../src/index.js';
import { clientOf, whoami } from '../../integration/secure-helpers.js';

describe('a given certificate authority', () => {
  it('issues certificates that chain to it', () => {
    const original = createCertificateAuthority({ commonName: 'fixture-ca' });
    const loaded = loadCertificateAuthority(original.certPem, original.keyPem);
    const caCert = new X509Certificate(loaded.certPem);
    const client = new X509Certificate(issueClientCertificate(loaded, 'jane', ['devs']).certPem);
    // OpenSSL's issuer check compares the authority key identifier with the CA's too.
    assert.ok(client.checkIssued(caCert));
    assert.ok(client.verify(caCert.publicKey));
    assert.equal(client.issuer, 'CN=fixture-ca');
    assert.equal(client.subject, 'O=devs\nCN=jane');
    const serving = new X509Certificate(issueServingCertificate(loaded, ['api.test']).certPem);
    assert.ok(serving.checkIssued(caCert));
    assert.equal(serving.checkHost('api.test'), 'api.test');
  });

  it('refuses what cannot sign: a leaf, a foreign key, an RSA key', () => {
    const ca = createCertificateAuthority();
    const leaf = issueClientCertificate(ca, 'x');
    assert.throws(() => loadCertificateAuthority(leaf.certPem, leaf.keyPem), /not a certificate authority/);
    const other = createCertificateAuthority();
    assert.throws(() => loadCertificateAuthority(ca.certPem, other.keyPem), /does not belong to the CA certificate/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    assert.throws(() => loadCertificateAuthority(ca.certPem, String(rsa)), /ECDSA P-256/);
    assert.throws(
      () => loadCertificateAuthority('not a pem', ca.keyPem),
      (err: Error & { code?: string }) => err.code === 'KLOOP_CERTIFICATE_OPTIONS',
    );
  });

  it('runs the secure emulator on a given CA and serving certificate', async () => {
    const ca = loadCertificateAuthority(...pems(createCertificateAuthority({ commonName: 'given' })));
    const serving = issueServingCertificate(ca, ['127.0.0.1']);
    const server = await startApiServer({ secure: { ca, serving } });
    const client = clientOf(server.kubeconfig);
    try {
      const data = server.kubeconfig.clusters[0].cluster['certificate-authority-data'] ?? '';
      assert.equal(new X509Certificate(Buffer.from(data, 'base64')).subject, 'CN=given');
      assert.equal(server.security?.caPem, ca.certPem);
      assert.equal((await client.list(Namespace)).items.length, 4);
      assert.equal((await whoami(client)).username, 'kloop-admin');
    } finally {
      client.close();
      await server.stop();
    }
  });
});

function pems(ca: { certPem: string; keyPem: string }): [string, string] {
  return [ca.certPem, ca.keyPem];
}
