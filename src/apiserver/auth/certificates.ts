/**
 * TLS material for the emulator's secure mode and for tests: a certificate authority, serving
 * certificates (SANs for 127.0.0.1, ::1 and localhost) and client certificates whose subject
 * carries the Kubernetes identity (CN = user, each O = a group), as kube-apiserver's x509
 * authenticator reads it.
 *
 * Why a small DER writer instead of an X.509 library: node:crypto already generates the keys,
 * signs, and exports the SubjectPublicKeyInfo; what is left is encoding one TBSCertificate with
 * five extensions. Measured on this machine (CA + serving certificate): `@peculiar/x509` is 21
 * packages and 6 MB, needs the global `reflect-metadata` polyfill, ~85 ms to import and ~18 ms
 * to generate; `node-forge` is 2 MB, RSA only, pure-JS signing, 280-550 ms to generate. This file
 * is ~2 ms per certificate and no dependency. Node's own `X509Certificate` (OpenSSL) and the Go
 * TLS stack of kubectl read what it writes; the tests check both.
 *
 * Keys are ECDSA P-256 and signatures ecdsa-with-SHA256, which Go, OpenSSL and every supported
 * Kubernetes client accept.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { isIP } from 'node:net';
import { KloopError } from '../../core/index.js';
import type { CertificateAndKey, CertificateAuthority, CertificateAuthorityOptions, IssueOptions } from '../types.js';

export type {
  CertificateAndKey,
  CertificateAuthority,
  CertificateAuthorityOptions,
  CertificateUsage,
  IssueOptions,
} from '../types.js';

const DAY_MS = 86_400_000;
const SKEW_MS = 60_000;

/**
 * Generates a self-signed certificate authority (basicConstraints CA, keyCertSign).
 *
 * @example
 * ```ts
 * import https from 'node:https';
 *
 * const ca = createCertificateAuthority();
 * const serving = issueServingCertificate(ca);                       // 127.0.0.1, ::1, localhost
 * const admin = issueClientCertificate(ca, 'admin', ['system:masters']);
 * https.createServer({ cert: serving.certPem, key: serving.keyPem, ca: ca.certPem, requestCert: true });
 * ```
 */
export function createCertificateAuthority(options: CertificateAuthorityOptions = {}): CertificateAuthority {
  const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const notBefore = options.notBefore ?? new Date(Date.now() - SKEW_MS);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 3650 * DAY_MS);
  const subject = encodeName(options.commonName ?? 'kloop-ca', []);
  const spki = keys.publicKey.export({ type: 'spki', format: 'der' });
  const keyId = keyIdentifier(spki);
  const extensions = [
    extension(OID.basicConstraints, true, seq(bool(true))),
    extension(OID.keyUsage, true, keyUsageBits(KEY_USAGE.digitalSignature | KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign)),
    extension(OID.subjectKeyIdentifier, false, octets(keyId)),
  ];
  const certPem = signCertificate({ subject, issuer: subject, spki, notBefore, notAfter, extensions }, keys.privateKey);
  const keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return {
    certPem,
    keyPem,
    issue: (issue) => issueCertificate(issue, { subject, keyId, privateKey: keys.privateKey }),
  };
}

/**
 * A certificate authority from an existing CA certificate and its private key (PEM; the key
 * PKCS#8 or SEC1, ECDSA P-256 as this writer signs ecdsa-with-SHA256), e.g. to run the emulator's
 * secure mode with the CA of a test fixture. The issued certificates name the CA's subject as
 * their issuer and its subject key identifier (or the key's, when the CA has none) as their
 * authority key identifier.
 *
 * @throws KloopError `KLOOP_CERTIFICATE_OPTIONS` when the certificate is not a CA, the key is not
 * ECDSA P-256, or the key does not belong to the certificate.
 */
export function loadCertificateAuthority(certPem: string, keyPem: string): CertificateAuthority {
  let cert: X509Certificate;
  let privateKey: KeyObject;
  try {
    cert = new X509Certificate(certPem);
    privateKey = createPrivateKey(keyPem);
  } catch (err) {
    throw new KloopError(
      'KLOOP_CERTIFICATE_OPTIONS',
      `the CA certificate or key does not parse: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (!cert.ca) throw new KloopError('KLOOP_CERTIFICATE_OPTIONS', 'the CA certificate is not a certificate authority');
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new KloopError('KLOOP_CERTIFICATE_OPTIONS', 'the CA key must be an ECDSA P-256 key');
  }
  if (!cert.checkPrivateKey(privateKey)) {
    throw new KloopError('KLOOP_CERTIFICATE_OPTIONS', 'the CA key does not belong to the CA certificate');
  }
  const { subject, subjectKeyId } = readSubject(cert.raw);
  const keyId = subjectKeyId ?? keyIdentifier(cert.publicKey.export({ type: 'spki', format: 'der' }));
  return {
    certPem: cert.toString(),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    issue: (issue) => issueCertificate(issue, { subject, keyId, privateKey }),
  };
}

/**
 * Issues a serving certificate for `hosts` (default `127.0.0.1`, `::1`, `localhost`): IP
 * addresses become IP SANs, anything else a DNS SAN. Usage `server`.
 */
export function issueServingCertificate(
  ca: CertificateAuthority,
  hosts: readonly string[] = ['127.0.0.1', '::1', 'localhost'],
  options: Omit<IssueOptions, 'commonName' | 'dnsNames' | 'ipAddresses' | 'usage'> = {},
): CertificateAndKey {
  return ca.issue({
    ...options,
    commonName: hosts.find((h) => isIP(h) === 0) ?? hosts[0] ?? 'kloop',
    dnsNames: hosts.filter((h) => isIP(h) === 0),
    ipAddresses: hosts.filter((h) => isIP(h) !== 0),
    usage: 'server',
  });
}

/** Issues a client certificate for Kubernetes user `user` in `groups` (subject CN and O). */
export function issueClientCertificate(
  ca: CertificateAuthority,
  user: string,
  groups: readonly string[] = [],
  options: Omit<IssueOptions, 'commonName' | 'organizations' | 'usage'> = {},
): CertificateAndKey {
  return ca.issue({ ...options, commonName: user, organizations: groups, usage: 'client' });
}

interface Issuer {
  subject: Buffer;
  keyId: Buffer;
  privateKey: KeyObject;
}

function issueCertificate(options: IssueOptions, issuer: Issuer): CertificateAndKey {
  if (!options.commonName) throw new KloopError('KLOOP_CERTIFICATE_OPTIONS', 'a certificate needs a commonName');
  const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const notBefore = options.notBefore ?? new Date(Date.now() - SKEW_MS);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 365 * DAY_MS);
  if (notAfter.getTime() <= notBefore.getTime())
    throw new KloopError('KLOOP_CERTIFICATE_OPTIONS', 'notAfter must be later than notBefore');
  const spki = keys.publicKey.export({ type: 'spki', format: 'der' });
  const usage = options.usage ?? 'client';
  const purposes =
    usage === 'server' ? [OID.serverAuth] : usage === 'client' ? [OID.clientAuth] : [OID.serverAuth, OID.clientAuth];
  const extensions = [
    extension(OID.basicConstraints, true, seq()),
    extension(OID.keyUsage, true, keyUsageBits(KEY_USAGE.digitalSignature)),
    extension(OID.extKeyUsage, false, seq(...purposes.map(oid))),
    extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, issuer.keyId))),
  ];
  const names = subjectAltNames(options.dnsNames ?? [], options.ipAddresses ?? []);
  if (names) extensions.push(extension(OID.subjectAltName, false, names));
  const subject = encodeName(options.commonName, options.organizations ?? []);
  const certPem = signCertificate(
    { subject, issuer: issuer.subject, spki, notBefore, notAfter, extensions },
    issuer.privateKey,
  );
  return { certPem, keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

interface Tbs {
  subject: Buffer;
  issuer: Buffer;
  spki: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}

function signCertificate(tbs: Tbs, signer: KeyObject): string {
  // RFC 5280 4.1.2.2: a positive integer of at most 20 octets; 16 random octets with the top
  // bit cleared stay positive without a leading zero.
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  serial[0] |= 0x01;
  const algorithm = seq(oid(OID.ecdsaWithSha256));
  const body = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // version v3
    integer(serial),
    algorithm,
    tbs.issuer,
    seq(time(tbs.notBefore), time(tbs.notAfter)),
    tbs.subject,
    tbs.spki,
    tlv(0xa3, seq(...tbs.extensions)),
  );
  const signature = sign('sha256', body, signer); // DER-encoded ECDSA signature
  const der = seq(body, algorithm, bitString(signature));
  return toPem('CERTIFICATE', der);
}

/** Subject or issuer: O values first, then CN, one attribute per RDN (Go's order). */
function encodeName(commonName: string, organizations: readonly string[]): Buffer {
  const rdn = (type: string, value: string) => tlv(0x31, seq(oid(type), tlv(0x0c, Buffer.from(value, 'utf8'))));
  return seq(...organizations.map((o) => rdn(OID.organization, o)), rdn(OID.commonName, commonName));
}

function subjectAltNames(dnsNames: readonly string[], ipAddresses: readonly string[]): Buffer | undefined {
  const names: Buffer[] = [];
  for (const name of dnsNames) {
    if (!/^[\x21-\x7e]+$/.test(name))
      throw new KloopError('KLOOP_CERTIFICATE_OPTIONS', `DNS name ${JSON.stringify(name)} is not printable ASCII`);
    names.push(tlv(0x82, Buffer.from(name, 'ascii')));
  }
  for (const address of ipAddresses) names.push(tlv(0x87, ipBytes(address)));
  return names.length === 0 ? undefined : seq(...names);
}

function ipBytes(address: string): Buffer {
  const family = isIP(address);
  if (family === 4) return Buffer.from(address.split('.').map(Number));
  if (family !== 6)
    throw new KloopError('KLOOP_CERTIFICATE_OPTIONS', `${JSON.stringify(address)} is not an IP address`);
  let text = address.replace(/%.*$/, '');
  // An embedded IPv4 tail (`::ffff:1.2.3.4`) becomes its two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(zeros).fill('0'), ...right];
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  return out;
}

const KEY_USAGE = { digitalSignature: 1 << 0, keyCertSign: 1 << 5, cRLSign: 1 << 6 } as const;

/** KeyUsage as a DER BIT STRING: bit 0 is the most significant bit of the first octet. */
function keyUsageBits(flags: number): Buffer {
  let highest = 0;
  for (let bit = 0; bit < 16; bit++) if (flags & (1 << bit)) highest = bit;
  const octetCount = Math.floor(highest / 8) + 1;
  const bytes = Buffer.alloc(octetCount);
  for (let bit = 0; bit <= highest; bit++) if (flags & (1 << bit)) bytes[bit >> 3] |= 0x80 >> (bit & 7);
  const unused = octetCount * 8 - highest - 1;
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes]));
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's contents. */
function keyIdentifier(spki: Buffer): Buffer {
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const point = key.export({ format: 'jwk' });
  const x = Buffer.from(point.x ?? '', 'base64url');
  const y = Buffer.from(point.y ?? '', 'base64url');
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from([4]), x, y]))
    .digest();
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
} as const;

// --- DER (X.690) reading: just enough to take the subject and key identifier of a CA --------

interface Tlv {
  tag: number;
  /** Offset of the contents. */
  start: number;
  /** Offset after the contents. */
  end: number;
  /** Offset of the tag byte. */
  at: number;
}

function readTlv(der: Buffer, at: number): Tlv {
  const tag = der[at];
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i];
    start += n;
  }
  if (start + length > der.length) throw new KloopError('KLOOP_CERTIFICATE_OPTIONS', 'truncated DER certificate');
  return { tag, start, end: start + length, at };
}

function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const child = readTlv(der, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** The raw subject Name and the subjectKeyIdentifier extension's value of a DER certificate. */
function readSubject(der: Buffer): { subject: Buffer; subjectKeyId?: Buffer } {
  const [tbs] = children(der, readTlv(der, 0));
  const fields = children(der, tbs);
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0; // explicit version
  const subjectTlv = fields[offset + 4];
  const subject = Buffer.from(der.subarray(subjectTlv.at, subjectTlv.end));
  const extensionsTlv = fields.find((f) => f.tag === 0xa3);
  if (!extensionsTlv) return { subject };
  const skiOid = oid(OID.subjectKeyIdentifier);
  for (const ext of children(der, children(der, extensionsTlv)[0])) {
    const parts = children(der, ext);
    if (!der.subarray(parts[0].at, parts[0].end).equals(skiOid)) continue;
    const value = parts[parts.length - 1]; // OCTET STRING wrapping an OCTET STRING
    const inner = readTlv(der, value.start);
    return { subject, subjectKeyId: Buffer.from(der.subarray(inner.start, inner.end)) };
  }
  return { subject };
}

// --- DER (X.690) encoding: definite lengths, minimal integers -------------------------------

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let header: Buffer;
  if (n < 0x80) header = Buffer.from([tag, n]);
  else {
    const len: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) len.unshift(v & 0xff);
    header = Buffer.from([tag, 0x80 | len.length, ...len]);
  }
  return Buffer.concat([header, content]);
}

function seq(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

function bool(value: boolean): Buffer {
  return tlv(0x01, Buffer.from([value ? 0xff : 0]));
}

function octets(value: Buffer): Buffer {
  return tlv(0x04, value);
}

function bitString(value: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), value]));
}

/** An unsigned big-endian integer: leading zeros dropped, one added back when the top bit is set. */
function integer(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  const trimmed = value.subarray(start);
  return tlv(0x02, trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [parts[0] * 40 + parts[1]];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2024-01-02T03:04:05.678Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(digits.slice(2), 'ascii'));
  return tlv(0x18, Buffer.from(digits, 'ascii'));
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
