/**
 * Request authentication as kube-apiserver's chain does it (apiserver/pkg/authentication and
 * pkg/kubeapiserver/authenticator): a client certificate first (CN = user, each O = a group; it
 * must chain to the client CA and allow client authentication), then a bearer token (static
 * tokens, then service account tokens). Every authenticated user is added to
 * `system:authenticated`.
 *
 * Credentials that are present but wrong are an error, never anonymous: a certificate that does
 * not verify, or an `Authorization: Bearer` token nobody recognises, is a 401 even when anonymous
 * requests are allowed (the chain fails on error before the anonymous authenticator is asked).
 * No credentials at all make the anonymous user, or a 401 with anonymous requests off.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { StaticTokenUser, UserInfo } from '../types.js';
import type { ServiceAccountTokens, TokenIdentity } from './service-account-tokens.js';
import { ANONYMOUS_USER, withAuthenticatedGroup } from './user.js';

/** The result of authenticating one request. */
export type Authentication =
  | { readonly kind: 'user'; readonly user: UserInfo }
  | { readonly kind: 'unauthorized'; readonly error: string };

const CLIENT_AUTH_EKU = '1.3.6.1.5.5.7.3.2';
const ANY_EKU = '2.5.29.37.0';

type CertificateResult = { user: UserInfo } | { error: string } | undefined;

/** Authenticates requests by client certificate, bearer token, or not at all (anonymous). */
export class RequestAuthenticator {
  private readonly staticTokens = new Map<string, UserInfo>();
  /** A TLS connection's client certificate never changes: check it once per socket. */
  private readonly certificates = new WeakMap<object, CertificateResult>();

  constructor(
    tokens: readonly StaticTokenUser[],
    private readonly serviceAccounts: ServiceAccountTokens,
    private readonly anonymous: boolean,
  ) {
    for (const t of tokens) {
      this.staticTokens.set(t.token, {
        username: t.username,
        groups: [...(t.groups ?? [])],
        ...(t.uid !== undefined ? { uid: t.uid } : {}),
      });
    }
  }

  /** Who `req` is. */
  authenticate(req: IncomingMessage): Authentication {
    const errors: string[] = [];
    const cert = this.certificateOf(req.socket as TLSSocket);
    if (cert && 'user' in cert) return { kind: 'user', user: withAuthenticatedGroup(cert.user) };
    if (cert) errors.push(cert.error);
    const token = bearerToken(req.headers.authorization);
    if (token !== undefined) {
      const found = this.authenticateToken(token);
      if ('identity' in found) return { kind: 'user', user: found.identity.user };
      errors.push(found.error);
    }
    if (errors.length > 0) return { kind: 'unauthorized', error: errors.join(', ') };
    if (this.anonymous) return { kind: 'user', user: ANONYMOUS_USER };
    return { kind: 'unauthorized', error: 'no credentials' };
  }

  /**
   * Who `token` is (static tokens, then service account tokens), with `system:authenticated`
   * added; `audiences` as TokenReview asks (default the API audiences).
   */
  authenticateToken(token: string, audiences?: readonly string[]): { identity: TokenIdentity } | { error: string } {
    const apiAudiences = this.serviceAccounts.apiAudiences;
    const known = this.staticTokens.get(token);
    if (known) {
      // Static tokens are audience-agnostic: they are good for the API audiences only.
      const wanted = audiences ?? apiAudiences;
      const accepted = wanted.filter((a) => apiAudiences.includes(a));
      if (accepted.length === 0) return { error: 'token audiences are invalid for the target audiences' };
      return { identity: { user: withAuthenticatedGroup(known), audiences: accepted } };
    }
    const checked = this.serviceAccounts.check(token, audiences);
    if (checked.kind === 'valid') {
      return { identity: { ...checked.identity, user: withAuthenticatedGroup(checked.identity.user) } };
    }
    return { error: checked.kind === 'invalid' ? checked.error : 'invalid bearer token' };
  }

  private certificateOf(socket: TLSSocket): CertificateResult {
    if (typeof socket.getPeerCertificate !== 'function') return undefined;
    if (this.certificates.has(socket)) return this.certificates.get(socket);
    const result = verifyClientCertificate(socket);
    this.certificates.set(socket, result);
    return result;
  }
}

/** The identity of a TLS connection's client certificate, an error, or undefined when there is none. */
function verifyClientCertificate(socket: TLSSocket): CertificateResult {
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  if (!socket.authorized) {
    const reason = String(socket.authorizationError ?? 'unknown');
    return { error: `verifying certificate ${cert.serialNumber} failed: x509: ${reason}` };
  }
  const eku = cert.ext_key_usage;
  if (eku !== undefined && !eku.includes(CLIENT_AUTH_EKU) && !eku.includes(ANY_EKU)) {
    return { error: 'x509: certificate specifies an incompatible key usage' };
  }
  const subject = cert.subject as unknown as Record<string, string | string[] | undefined>;
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const [username] = list(subject.CN);
  if (!username) return { error: 'x509: the client certificate has no common name' };
  return { user: { username, groups: list(subject.O) } };
}

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined when there is none (other
 * schemes, such as Basic, are not for this authenticator; an empty token is no token).
 */
export function bearerToken(header: string | undefined): string | undefined {
  const value = (header ?? '').trim();
  if (value === '') return undefined;
  const parts = value.split(' ');
  if (parts.length < 2 || parts[0].toLowerCase() !== 'bearer') return undefined;
  return parts[1] === '' ? undefined : parts[1];
}
