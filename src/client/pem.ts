/**
 * Checks TLS material the way kubectl does before it connects: `-data` fields must be base64,
 * CA bundles must hold at least one certificate that parses, a client key must parse and match
 * its certificate. client-node passed a bad CA on to Node, which then ignored it silently in
 * some versions; kubectl refuses the kubeconfig ("unable to load root certificates").
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { invalid, type Origin } from './kubeconfig-error.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes a kubeconfig `-data` field. Go's JSON decoder of `[]byte` takes standard base64 and
 * skips line breaks; anything else is an error (Node's decoder would silently drop it).
 */
export function decodeBase64(value: string, origin: Origin): Buffer {
  const text = value.replace(/[\r\n]/g, '');
  if (text.length % 4 !== 0 || !BASE64.test(text)) invalid(origin, 'is not valid base64');
  return Buffer.from(text, 'base64');
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Parses a PEM bundle of certificates (a CA, or a client certificate chain). */
export function parseCertificates(pem: Buffer | string, origin: Origin): X509Certificate[] {
  const text = typeof pem === 'string' ? pem : pem.toString('latin1');
  const blocks = text.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) invalid(origin, 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      return invalid(origin, `certificate ${i + 1} of ${blocks.length} does not parse`);
    }
  });
}

/** Parses a PEM private key (PKCS#1, PKCS#8 or SEC1). The key itself never reaches a message. */
export function parsePrivateKey(pem: Buffer | string, origin: Origin): KeyObject {
  const text = typeof pem === 'string' ? pem : pem.toString('latin1');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) invalid(origin, 'holds no PEM private key');
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text) || /Proc-Type: 4,ENCRYPTED/.test(text))
    invalid(origin, 'is encrypted; kubeconfig keys must not be');
  try {
    return createPrivateKey(text);
  } catch {
    return invalid(origin, 'is not a private key that parses');
  }
}

/** Checks that `key` belongs to the first certificate of `chain` (Go: "private key does not match public key"). */
export function checkKeyPair(chain: X509Certificate[], key: KeyObject, origin: Origin): void {
  if (!chain[0].checkPrivateKey(key)) invalid(origin, 'does not match the client certificate');
}
