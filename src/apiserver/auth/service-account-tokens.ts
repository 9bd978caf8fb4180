/**
 * Service account tokens: signed JWTs as kube-apiserver issues them through the TokenRequest API
 * and checks them on every request (pkg/serviceaccount/jwt.go and claims.go).
 *
 * A token is ES256-signed (ECDSA P-256, SHA-256, signature as r||s) with a key made at start;
 * `kid` is the base64url SHA-256 of the public key's DER. Claims: `iss`, `sub`
 * (`system:serviceaccount:ns:name`), `aud`, `exp`, `iat`, `nbf`, `jti`, and `kubernetes.io`
 * with the namespace, the ServiceAccount's name and uid, and the bound Pod, Secret or Node.
 *
 * A token is good while its signature and issuer check out, its audiences meet the API
 * audiences, it has not expired (one minute of leeway, as go-jose allows), its ServiceAccount
 * still exists with the same uid, and the object it is bound to still exists with the same uid.
 * So deleting the ServiceAccount (or the bound Pod) revokes its tokens: at once when it goes, or
 * a minute past its deletion time while it terminates gracefully, as claims.go does.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import type { KubeObject } from '../../core/index.js';
import type { UserInfo } from '../types.js';
import { goQuotedList } from './rules.js';
import { serviceAccountGroups, serviceAccountUsername } from './user.js';

/** Leeway on `exp`, `nbf` and `iat` (go-jose's `DefaultLeeway`). */
const LEEWAY_SECONDS = 60;

/** The object a token is bound to. */
export interface BoundObject {
  readonly kind: 'Pod' | 'Secret' | 'Node';
  readonly name: string;
  readonly uid: string;
}

/** Where tokens look up the objects they name. */
export interface TokenLookup {
  serviceAccount(namespace: string, name: string): KubeObject | undefined;
  /** A Pod or Secret in `namespace`, or a Node (namespace ignored). */
  object(kind: BoundObject['kind'], namespace: string, name: string): KubeObject | undefined;
}

/** What the TokenRequest asks for, after defaulting. */
export interface TokenGrant {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly audiences: readonly string[];
  readonly expirationSeconds: number;
  readonly bound?: BoundObject;
}

/** Who a valid token is, and for which audiences. */
export interface TokenIdentity {
  readonly user: UserInfo;
  readonly audiences: readonly string[];
}

/** The outcome of checking a token: not one of ours (another authenticator may know it), valid, or invalid. */
export type TokenCheck =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'valid'; readonly identity: TokenIdentity }
  | { readonly kind: 'invalid'; readonly error: string };

interface Claims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
    secret?: { name: string; uid: string };
    node?: { name: string; uid: string };
  };
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** What claims.go answers for a token whose bound Pod, Secret or Node is gone or being deleted. */
const INVALIDATED = 'service account token has been invalidated';

/** A base64url JSON object, or undefined for anything else (a token part an attacker wrote). */
function jsonObjectOf(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Issues and checks service account tokens with one signing key. */
export class ServiceAccountTokens {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly keyId: string;

  constructor(
    readonly issuer: string,
    readonly apiAudiences: readonly string[],
    private readonly lookup: TokenLookup,
    /** Wall-clock milliseconds. */
    private readonly now: () => number,
  ) {
    const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.privateKey = keys.privateKey;
    this.publicKey = keys.publicKey;
    this.keyId = b64url(
      createHash('sha256')
        .update(keys.publicKey.export({ type: 'spki', format: 'der' }))
        .digest(),
    );
  }

  /** Signs a token for `grant`; returns it with its expiry (epoch seconds). */
  issue(grant: TokenGrant): { token: string; expiresAt: number } {
    const iat = Math.floor(this.now() / 1000);
    const claims: Claims = {
      aud: [...grant.audiences],
      exp: iat + grant.expirationSeconds,
      iat,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': { namespace: grant.namespace, serviceaccount: { name: grant.name, uid: grant.uid } },
      nbf: iat,
      sub: serviceAccountUsername(grant.namespace, grant.name),
    };
    if (grant.bound) {
      const ref = { name: grant.bound.name, uid: grant.bound.uid };
      if (grant.bound.kind === 'Pod') claims['kubernetes.io'].pod = ref;
      else if (grant.bound.kind === 'Secret') claims['kubernetes.io'].secret = ref;
      else claims['kubernetes.io'].node = ref;
    }
    const header = b64url(JSON.stringify({ alg: 'ES256', kid: this.keyId }));
    const payload = b64url(JSON.stringify(claims));
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), {
      key: this.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return { token: `${header}.${payload}.${b64url(signature)}`, expiresAt: claims.exp };
  }

  /**
   * Checks `token`. `audiences` are those the caller accepts (default: the API audiences); a
   * token none of whose audiences is among them is invalid.
   */
  check(token: string, audiences: readonly string[] = this.apiAudiences): TokenCheck {
    const parts = token.split('.');
    if (parts.length !== 3) return { kind: 'unknown' };
    const header = jsonObjectOf(parts[0]);
    const claims = jsonObjectOf(parts[1]) as Partial<Claims> | undefined;
    if (!header || !claims || claims.iss !== this.issuer) return { kind: 'unknown' };
    const signed = verify(
      'sha256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      { key: this.publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(parts[2], 'base64url'),
    );
    if (header.alg !== 'ES256' || !signed)
      return { kind: 'invalid', error: 'invalid bearer token, square/go-jose: error in cryptographic primitive' };
    // Signed by this key: the claims are ours. jwt.go checks the audience, then claims.go the
    // times (go-jose: nbf, then exp, each with a minute of leeway) and the objects named.
    const tokenAudiences = Array.isArray(claims.aud) ? claims.aud : [];
    const accepted = tokenAudiences.filter((a) => audiences.includes(a));
    if (accepted.length === 0) {
      return {
        kind: 'invalid',
        error: `token audiences ${goQuotedList(tokenAudiences)} is invalid for the target audiences ${goQuotedList(audiences)}`,
      };
    }
    const nowMs = this.now();
    const now = Math.floor(nowMs / 1000);
    if (typeof claims.nbf === 'number' && now < claims.nbf - LEEWAY_SECONDS) {
      return { kind: 'invalid', error: 'service account token is not valid yet' };
    }
    if (typeof claims.exp !== 'number' || now > claims.exp + LEEWAY_SECONDS) {
      return { kind: 'invalid', error: 'service account token has expired' };
    }
    const k8s = claims['kubernetes.io'];
    if (!k8s || typeof k8s.namespace !== 'string' || !k8s.serviceaccount) {
      return { kind: 'invalid', error: 'service account token claims are malformed' };
    }
    // Objects being deleted keep their tokens until a minute past their deletion time: a Pod
    // terminating gracefully still talks to the API server (claims.go `invalidIfDeletedBefore`).
    const deleted = (obj: KubeObject) => {
      const at = obj.metadata.deletionTimestamp;
      return typeof at === 'string' && Date.parse(at) < nowMs - LEEWAY_SECONDS * 1000;
    };
    const { namespace } = k8s;
    const { name, uid } = k8s.serviceaccount;
    const sa = this.lookup.serviceAccount(namespace, name);
    if (!sa) return { kind: 'invalid', error: `serviceaccounts ${JSON.stringify(name)} not found` };
    if (sa.metadata.uid !== uid) {
      return {
        kind: 'invalid',
        error: `service account UID (${String(sa.metadata.uid)}) does not match claim (${uid})`,
      };
    }
    if (deleted(sa)) return { kind: 'invalid', error: `service account ${namespace}/${name} has been deleted` };
    const extra: Record<string, string[]> = { 'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`] };
    for (const kind of ['Secret', 'Pod', 'Node'] as const) {
      const key = kind.toLowerCase() as 'pod' | 'secret' | 'node';
      const ref = k8s[key];
      if (!ref) continue;
      const obj = this.lookup.object(kind, namespace, ref.name);
      if (!obj) return { kind: 'invalid', error: INVALIDATED };
      if (obj.metadata.uid !== ref.uid) {
        return {
          kind: 'invalid',
          error: `${key} UID (${String(obj.metadata.uid)}) does not match service account ${key} ref claim (${ref.uid})`,
        };
      }
      if (deleted(obj)) return { kind: 'invalid', error: INVALIDATED };
      if (kind !== 'Secret') {
        extra[`authentication.kubernetes.io/${key}-name`] = [ref.name];
        extra[`authentication.kubernetes.io/${key}-uid`] = [ref.uid];
      }
    }
    return {
      kind: 'valid',
      identity: {
        user: {
          username: serviceAccountUsername(namespace, name),
          uid,
          groups: serviceAccountGroups(namespace),
          extra,
        },
        audiences: accepted,
      },
    };
  }
}
