/**
 * The TokenRequest API: `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token` with an
 * `authentication.k8s.io/v1 TokenRequest` body answers 201 with `status.token` (a signed JWT) and
 * `status.expirationTimestamp`, the spec echoed with its defaults (audiences: the API audiences;
 * expirationSeconds: 3600). This is what `kubectl create token NAME` sends
 * (pkg/registry/core/serviceaccount/storage/token.go, pkg/apis/authentication/validation).
 */
import { type JsonObject, type KubeObject, keyString } from '../../core/index.js';
import { badRequest, conflict, notFound, type StatusError, statusError } from '../errors/status-errors.js';
import type { Storage } from '../storage/store.js';
import type { BoundObject, ServiceAccountTokens, TokenLookup } from './service-account-tokens.js';

/** Shortest lifetime a TokenRequest may ask for. */
const MIN_EXPIRATION_SECONDS = 600;
/** Longest (2^32 seconds). */
const MAX_EXPIRATION_SECONDS = 2 ** 32;
const DEFAULT_EXPIRATION_SECONDS = 3600;

const STORE_IDS: Record<BoundObject['kind'] | 'ServiceAccount', string> = {
  ServiceAccount: '/serviceaccounts',
  Pod: '/pods',
  Secret: '/secrets',
  Node: '/nodes',
};

/** Looks the objects tokens name up in the emulator's storage. */
export function storageTokenLookup(storage: Storage): TokenLookup {
  return {
    serviceAccount: (namespace, name) =>
      storage.resource(STORE_IDS.ServiceAccount).get(keyString({ namespace, name }))?.object,
    object: (kind, namespace, name) =>
      storage.resource(STORE_IDS[kind]).get(keyString({ namespace: kind === 'Node' ? undefined : namespace, name }))
        ?.object,
  };
}

function invalidTokenRequest(field: string, value: string, detail: string): StatusError {
  const message = `Invalid value: ${value}: ${detail}`;
  return statusError('Invalid', `TokenRequest.authentication.k8s.io "" is invalid: ${field}: ${message}`, {
    group: 'authentication.k8s.io',
    kind: 'TokenRequest',
    causes: [{ reason: 'FieldValueInvalid', message, field }],
  });
}

/** Serves a TokenRequest for ServiceAccount `namespace/name`; returns the answer object. */
export function serveTokenRequest(
  body: JsonObject,
  namespace: string,
  name: string,
  tokens: ServiceAccountTokens,
  lookup: TokenLookup,
): JsonObject {
  const spec = (
    body.spec !== null && typeof body.spec === 'object' && !Array.isArray(body.spec) ? body.spec : {}
  ) as JsonObject;
  const metadata = (body.metadata !== null && typeof body.metadata === 'object' ? body.metadata : {}) as JsonObject;
  if (typeof metadata.name === 'string' && metadata.name !== '' && metadata.name !== name) {
    throw badRequest(`the name of the object (${metadata.name}) does not match the name on the URL (${name})`);
  }
  const rawSeconds = spec.expirationSeconds;
  const expirationSeconds =
    typeof rawSeconds === 'number' && rawSeconds !== 0 ? rawSeconds : DEFAULT_EXPIRATION_SECONDS;
  if (expirationSeconds < MIN_EXPIRATION_SECONDS) {
    throw invalidTokenRequest(
      'spec.expirationSeconds',
      String(expirationSeconds),
      'may not specify a duration less than 10 minutes',
    );
  }
  if (expirationSeconds > MAX_EXPIRATION_SECONDS) {
    throw invalidTokenRequest(
      'spec.expirationSeconds',
      String(expirationSeconds),
      'may not specify a duration larger than 2^32 seconds',
    );
  }
  const requestedAudiences = Array.isArray(spec.audiences)
    ? spec.audiences.filter((a): a is string => typeof a === 'string')
    : [];
  const audiences = requestedAudiences.length > 0 ? requestedAudiences : [...tokens.apiAudiences];
  const sa = lookup.serviceAccount(namespace, name);
  if (!sa) throw notFound({ group: '', plural: 'serviceaccounts' }, name);
  const bound = boundObjectOf(spec.boundObjectRef, namespace, name, lookup);
  const { token, expiresAt } = tokens.issue({
    namespace,
    name,
    uid: String(sa.metadata.uid),
    audiences,
    expirationSeconds,
    ...(bound ? { bound } : {}),
  });
  const specOut: JsonObject = { audiences, expirationSeconds };
  if (spec.boundObjectRef !== undefined && spec.boundObjectRef !== null) {
    specOut.boundObjectRef = { ...(spec.boundObjectRef as JsonObject), ...(bound ? { uid: bound.uid } : {}) };
  } else specOut.boundObjectRef = null;
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: specOut,
    status: { token, expirationTimestamp: new Date(expiresAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
  };
}

/** The object a token is to be bound to, checked as the real server checks it. */
function boundObjectOf(
  raw: unknown,
  namespace: string,
  serviceAccount: string,
  lookup: TokenLookup,
): BoundObject | undefined {
  if (raw === undefined || raw === null || typeof raw !== 'object') return undefined;
  const ref = raw as Record<string, unknown>;
  const kind = typeof ref.kind === 'string' ? ref.kind : '';
  const apiVersion = typeof ref.apiVersion === 'string' ? ref.apiVersion : '';
  const name = typeof ref.name === 'string' ? ref.name : '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (group !== '' || (kind !== 'Pod' && kind !== 'Secret' && kind !== 'Node')) {
    const gvk = apiVersion.includes('/') ? `${apiVersion}, Kind=${kind}` : `/${apiVersion}, Kind=${kind}`;
    throw badRequest(`cannot bind token to object of type ${gvk}`);
  }
  const obj: KubeObject | undefined = lookup.object(kind, namespace, name);
  const plural = `${kind.toLowerCase()}s`;
  if (!obj) throw notFound({ group: '', plural }, name);
  if (kind === 'Pod') {
    const podSa = (obj as { spec?: { serviceAccountName?: string } }).spec?.serviceAccountName || 'default';
    if (podSa !== serviceAccount) {
      throw badRequest(
        `cannot bind token for serviceaccount ${JSON.stringify(serviceAccount)} to pod running with different serviceaccount name.`,
      );
    }
  }
  const uid = String(obj.metadata.uid);
  if (typeof ref.uid === 'string' && ref.uid !== '' && ref.uid !== uid) {
    throw conflict(
      { group: '', plural: kind },
      name,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
  return { kind, name, uid };
}
