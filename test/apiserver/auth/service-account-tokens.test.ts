// ServiceAccount tokens as kube-apiserver checks them (pkg/serviceaccount/jwt.go and claims.go):
// forged, re-signed and malformed tokens, the audience, the times with their minute of leeway,
// and the ServiceAccount and bound objects, including those being deleted gracefully.
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  type BoundObject,
  ServiceAccountTokens,
  type TokenCheck,
  type TokenLookup,
} from '../../../src/apiserver/auth/service-account-tokens.js';
import type { KubeObject } from '../../../src/core/index.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const START = Date.parse('2025-01-01T00:00:00Z');

const object = (kind: string, name: string, uid: string, deletionTimestamp?: string): KubeObject =>
  ({
    apiVersion: 'v1',
    kind,
    metadata: { namespace: 'ns', name, uid, ...(deletionTimestamp ? { deletionTimestamp } : {}) },
  }) as KubeObject;

/** Tokens over a table of objects, on a clock the test moves. */
function setup() {
  const objects = new Map<string, KubeObject>([
    ['ServiceAccount/robot', object('ServiceAccount', 'robot', 'sa-1')],
    ['Pod/web', object('Pod', 'web', 'pod-1')],
    ['Secret/s', object('Secret', 's', 'secret-1')],
  ]);
  const lookup: TokenLookup = {
    serviceAccount: (_ns, name) => objects.get(`ServiceAccount/${name}`),
    object: (kind, _ns, name) => objects.get(`${kind}/${name}`),
  };
  const clock = { now: START };
  const tokens = new ServiceAccountTokens(ISSUER, [ISSUER], lookup, () => clock.now);
  const issue = (bound?: BoundObject, expirationSeconds = 3600) =>
    tokens.issue({ namespace: 'ns', name: 'robot', uid: 'sa-1', audiences: [ISSUER], expirationSeconds, bound }).token;
  return { objects, clock, tokens, issue };
}

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const partsOf = (token: string) => token.split('.');
const claimsOf = (token: string) => JSON.parse(Buffer.from(partsOf(token)[1], 'base64url').toString('utf8'));
const errorOf = (check: TokenCheck) => (check.kind === 'invalid' ? check.error : check.kind);
const seconds = (s: number) => s * 1000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('service account tokens: forgeries', () => {
  it('a token it signed is valid, with the ServiceAccount user', () => {
    const { tokens, issue } = setup();
    const check = tokens.check(issue());
    assert.equal(check.kind, 'valid');
    if (check.kind === 'valid') assert.equal(check.identity.user.username, 'system:serviceaccount:ns:robot');
  });

  it('alg none with no signature is refused', () => {
    const { tokens, issue } = setup();
    const [, payload] = partsOf(issue());
    assert.equal(
      errorOf(tokens.check(`${b64({ alg: 'none' })}.${payload}.`)),
      'invalid bearer token, square/go-jose: error in cryptographic primitive',
    );
  });

  it('HS256 keyed with the public key (algorithm confusion) is refused', () => {
    const { tokens, issue } = setup();
    const [, payload] = partsOf(issue());
    const header = b64({ alg: 'HS256' });
    for (const secret of ['', ISSUER, 'public-key']) {
      const mac = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
      assert.equal(tokens.check(`${header}.${payload}.${mac}`).kind, 'invalid');
    }
  });

  it('claims changed after signing, or signed by another key, are refused', () => {
    const { tokens, issue } = setup();
    const [header, payload, signature] = partsOf(issue());
    const claims = claimsOf(issue());
    claims['kubernetes.io'].serviceaccount.name = 'admin';
    assert.equal(tokens.check(`${header}.${b64(claims)}.${signature}`).kind, 'invalid');
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const forged = sign('sha256', Buffer.from(`${header}.${payload}`), {
      key: other.privateKey,
      dsaEncoding: 'ieee-p1363',
    }).toString('base64url');
    assert.equal(tokens.check(`${header}.${payload}.${forged}`).kind, 'invalid');
  });

  it('a header or claims that are JSON but no object are an invalid token, never a crash', () => {
    const { tokens, issue } = setup();
    const [header, payload, signature] = partsOf(issue());
    for (const bad of ['null', '5', '"x"', '[]']) {
      assert.notEqual(tokens.check(`${b64(bad)}.${payload}.${signature}`).kind, 'valid', `header ${bad}`);
      assert.notEqual(tokens.check(`${header}.${b64(bad)}.${signature}`).kind, 'valid', `claims ${bad}`);
    }
  });

  it('another issuer, or no JWT at all, is not its token', () => {
    const { tokens, issue } = setup();
    const claims = claimsOf(issue());
    claims.iss = 'https://elsewhere';
    const [header, , signature] = partsOf(issue());
    assert.equal(tokens.check(`${header}.${b64(claims)}.${signature}`).kind, 'unknown');
    assert.equal(tokens.check('not-a-jwt').kind, 'unknown');
    assert.equal(tokens.check('a.b.c').kind, 'unknown');
  });
});

describe('service account tokens: audiences and times', () => {
  it('the audience is checked before the times, as jwt.go checks it', () => {
    const { tokens, clock, issue } = setup();
    const token = issue(undefined, 600);
    clock.now += seconds(3600);
    assert.equal(
      errorOf(tokens.check(token, ['vault'])),
      `token audiences ["${ISSUER}"] is invalid for the target audiences ["vault"]`,
    );
    assert.equal(errorOf(tokens.check(token)), 'service account token has expired');
  });

  it('expiry has a minute of leeway', () => {
    const { tokens, clock, issue } = setup();
    const token = issue(undefined, 600);
    clock.now += seconds(660);
    assert.equal(tokens.check(token).kind, 'valid');
    clock.now += seconds(1);
    assert.equal(errorOf(tokens.check(token)), 'service account token has expired');
  });

  it('a token from the future (nbf, iat) is refused past the leeway', () => {
    const { tokens, clock, issue } = setup();
    const token = issue();
    clock.now -= seconds(60);
    assert.equal(tokens.check(token).kind, 'valid');
    clock.now -= seconds(1);
    assert.equal(errorOf(tokens.check(token)), 'service account token is not valid yet');
  });
});

describe('service account tokens: what they are bound to', () => {
  it('a deleted ServiceAccount, or one recreated with another uid, revokes its tokens', () => {
    const { tokens, objects, issue } = setup();
    const token = issue();
    objects.set('ServiceAccount/robot', object('ServiceAccount', 'robot', 'sa-2'));
    assert.equal(errorOf(tokens.check(token)), 'service account UID (sa-2) does not match claim (sa-1)');
    objects.delete('ServiceAccount/robot');
    assert.equal(errorOf(tokens.check(token)), 'serviceaccounts "robot" not found');
  });

  it('a ServiceAccount being deleted keeps its tokens for the minute of leeway', () => {
    const { tokens, objects, clock, issue } = setup();
    const token = issue();
    objects.set('ServiceAccount/robot', object('ServiceAccount', 'robot', 'sa-1', iso(clock.now)));
    clock.now += seconds(60);
    assert.equal(tokens.check(token).kind, 'valid');
    clock.now += seconds(1);
    assert.equal(errorOf(tokens.check(token)), 'service account ns/robot has been deleted');
  });

  it('a Pod-bound token lives while the Pod terminates gracefully, and a minute past its deletion time', () => {
    const { tokens, objects, clock, issue } = setup();
    const token = issue({ kind: 'Pod', name: 'web', uid: 'pod-1' });
    const check = tokens.check(token);
    assert.equal(check.kind, 'valid');
    if (check.kind === 'valid') {
      assert.deepEqual(check.identity.user.extra?.['authentication.kubernetes.io/pod-name'], ['web']);
      assert.deepEqual(check.identity.user.extra?.['authentication.kubernetes.io/pod-uid'], ['pod-1']);
    }
    // kubectl delete pod: deletionTimestamp = now + the 30 s grace period.
    objects.set('Pod/web', object('Pod', 'web', 'pod-1', iso(clock.now + seconds(30))));
    assert.equal(tokens.check(token).kind, 'valid');
    clock.now += seconds(90);
    assert.equal(tokens.check(token).kind, 'valid');
    clock.now += seconds(1);
    assert.equal(errorOf(tokens.check(token)), 'service account token has been invalidated');
  });

  it('a Pod or Secret gone, or another one of the same name, invalidates the token', () => {
    const { tokens, objects, issue } = setup();
    const podToken = issue({ kind: 'Pod', name: 'web', uid: 'pod-1' });
    const secretToken = issue({ kind: 'Secret', name: 's', uid: 'secret-1' });
    objects.set('Pod/web', object('Pod', 'web', 'pod-2'));
    assert.equal(
      errorOf(tokens.check(podToken)),
      'pod UID (pod-2) does not match service account pod ref claim (pod-1)',
    );
    objects.delete('Pod/web');
    assert.equal(errorOf(tokens.check(podToken)), 'service account token has been invalidated');
    objects.set('Secret/s', object('Secret', 's', 'secret-2'));
    assert.equal(
      errorOf(tokens.check(secretToken)),
      'secret UID (secret-2) does not match service account secret ref claim (secret-1)',
    );
    objects.delete('Secret/s');
    assert.equal(errorOf(tokens.check(secretToken)), 'service account token has been invalidated');
  });
});
