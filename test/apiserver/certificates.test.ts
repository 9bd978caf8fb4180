// The certificate generator, checked by OpenSSL through Node's X509Certificate and a real TLS
// handshake: chains, SANs, subjects (CN user, O groups), key usages, validity.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServingCertificate,
} from '../../src/apiserver/auth/certificates.js';

describe('generated certificates', () => {
  it('a CA signs serving and client certificates that verify against it', () => {
    const ca = createCertificateAuthority({ commonName: 'test-ca' });
    const caCert = new X509Certificate(ca.certPem);
    assert.equal(caCert.ca, true);
    assert.equal(caCert.subject, 'CN=test-ca');
    assert.ok(caCert.verify(caCert.publicKey), 'self-signed');
    const serving = new X509Certificate(issueServingCertificate(ca).certPem);
    assert.equal(serving.ca, false);
    assert.ok(serving.verify(caCert.publicKey));
    assert.ok(serving.checkIssued(caCert));
    assert.equal(serving.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(serving.checkIP('::1'), '::1');
    assert.equal(serving.checkHost('localhost'), 'localhost');
    assert.equal(serving.checkHost('example.com'), undefined);
    assert.deepEqual(serving.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth');
    const client = new X509Certificate(issueClientCertificate(ca, 'jane', ['dev', 'system:masters']).certPem);
    assert.ok(client.verify(caCert.publicKey));
    assert.equal(client.subject, 'O=dev\nO=system:masters\nCN=jane');
    assert.deepEqual(client.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'clientAuth');
    assert.equal(client.subjectAltName, undefined);
  });

  it('other SANs: names, IPv4, IPv6 forms; validity as asked', () => {
    const ca = createCertificateAuthority();
    const notBefore = new Date('2020-01-01T00:00:00Z');
    const notAfter = new Date('2060-06-01T00:00:00Z'); // GeneralizedTime from 2050
    const cert = new X509Certificate(
      ca.issue({
        commonName: 'api',
        dnsNames: ['kubernetes.default.svc', 'api.example'],
        ipAddresses: ['10.96.0.1', 'fd00::10', '::ffff:10.0.0.1'],
        usage: 'both',
        notBefore,
        notAfter,
      }).certPem,
    );
    assert.equal(
      cert.subjectAltName,
      'DNS:kubernetes.default.svc, DNS:api.example, IP Address:10.96.0.1, IP Address:FD00:0:0:0:0:0:0:10, IP Address:0:0:0:0:0:FFFF:A00:1',
    );
    assert.equal(new Date(cert.validFrom).toISOString(), notBefore.toISOString());
    assert.equal(new Date(cert.validTo).toISOString(), notAfter.toISOString());
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  it('bad options are errors', () => {
    const ca = createCertificateAuthority();
    assert.throws(() => ca.issue({ commonName: '' }), { code: 'KLOOP_CERTIFICATE_OPTIONS' });
    assert.throws(() => ca.issue({ commonName: 'x', ipAddresses: ['300.1.1.1'] }), /not an IP address/);
    assert.throws(
      () => ca.issue({ commonName: 'x', notBefore: new Date(2000, 1), notAfter: new Date(1999, 1) }),
      /notAfter must be later/,
    );
  });

  it('a TLS handshake with them: the server verifies the client, the client the server', async () => {
    const ca = createCertificateAuthority();
    const serving = issueServingCertificate(ca);
    const client = issueClientCertificate(ca, 'u', ['g1', 'g2']);
    const server = https.createServer(
      { cert: serving.certPem, key: serving.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        res.end(JSON.stringify(peer.subject));
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get(
            {
              host: '127.0.0.1',
              port,
              path: '/',
              ca: ca.certPem,
              cert: client.certPem,
              key: client.keyPem,
              agent: false,
            },
            (res) => {
              let text = '';
              res.on('data', (c: Buffer) => {
                text += c;
              });
              res.on('end', () => resolve(text));
            },
          )
          .on('error', reject);
      });
      assert.deepEqual(JSON.parse(body), { O: ['g1', 'g2'], CN: 'u' });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
