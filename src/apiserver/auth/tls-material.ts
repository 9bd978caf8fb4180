/**
 * The TLS material of the secure mode: the CA (given or made at start), the serving certificate
 * (given, or issued for 127.0.0.1, ::1, localhost and the bound host), the bundle client
 * certificates are verified against, and the admin client certificate the emulator's kubeconfig
 * carries inline.
 */
import { isIP } from 'node:net';
import type { SecureOptions } from '../types.js';
import {
  type CertificateAndKey,
  type CertificateAuthority,
  createCertificateAuthority,
  issueClientCertificate,
  issueServingCertificate,
} from './certificates.js';
import { SYSTEM_MASTERS } from './user.js';

/** The admin user of the emulator's kubeconfig. */
export const DEFAULT_ADMIN = { username: 'kloop-admin', groups: [SYSTEM_MASTERS] } as const;

/** Everything the HTTPS listener and the kubeconfig need. */
export interface TlsMaterial {
  readonly ca: CertificateAuthority;
  readonly serving: CertificateAndKey;
  /** PEM bundle client certificates must chain to. */
  readonly clientCa: string;
  /** The kubeconfig's client certificate. */
  readonly admin: CertificateAndKey;
}

/** Resolves the TLS material of `options` for a server bound to `host`. */
export function tlsMaterial(options: SecureOptions, host: string): TlsMaterial {
  const ca = options.ca ?? createCertificateAuthority({ commonName: 'kloop-ca' });
  const hosts = [
    ...new Set([...(options.hosts ?? ['127.0.0.1', '::1', 'localhost']), ...(isWildcard(host) ? [] : [host])]),
  ];
  const serving = options.serving ?? issueServingCertificate(ca, hosts);
  const admin = options.admin ?? DEFAULT_ADMIN;
  return {
    ca,
    serving,
    clientCa: options.clientCa ?? ca.certPem,
    admin: issueClientCertificate(ca, admin.username, admin.groups ?? []),
  };
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || (isIP(host) === 0 && host.includes('*'));
}
