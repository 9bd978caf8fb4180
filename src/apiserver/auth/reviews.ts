/**
 * The authentication and authorization review APIs, which answer questions instead of storing
 * objects (pkg/registry/authentication and pkg/registry/authorization): TokenReview ("who is this
 * token?"), SelfSubjectReview ("who am I?", `kubectl auth whoami`), SubjectAccessReview and
 * LocalSubjectAccessReview ("may this user do this?"), SelfSubjectAccessReview ("may I?",
 * `kubectl auth can-i`) and SelfSubjectRulesReview ("what may I do here?", `kubectl auth can-i
 * --list`). Each is a POST that answers 201 with the request object and its `status` filled in.
 */
import type { JsonObject } from '../../core/index.js';
import { badRequest, type StatusError, statusError } from '../errors/status-errors.js';
import type { PolicyRule, UserInfo } from '../types.js';
import type { Attributes, RequestAttributes, ResourceAttributes } from './attributes.js';
import type { RequestAuthenticator } from './authenticate.js';
import { aggregate, type RbacAuthorizer } from './rbac.js';

/** A review kind served at `POST /apis/{group}/v1/[namespaces/{ns}/]{resource}`. */
export interface ReviewKind {
  readonly group: 'authentication.k8s.io' | 'authorization.k8s.io';
  readonly kind: string;
  readonly resource: string;
  readonly namespaced: boolean;
}

const REVIEWS: readonly ReviewKind[] = [
  { group: 'authentication.k8s.io', kind: 'TokenReview', resource: 'tokenreviews', namespaced: false },
  { group: 'authentication.k8s.io', kind: 'SelfSubjectReview', resource: 'selfsubjectreviews', namespaced: false },
  { group: 'authorization.k8s.io', kind: 'SubjectAccessReview', resource: 'subjectaccessreviews', namespaced: false },
  {
    group: 'authorization.k8s.io',
    kind: 'SelfSubjectAccessReview',
    resource: 'selfsubjectaccessreviews',
    namespaced: false,
  },
  {
    group: 'authorization.k8s.io',
    kind: 'SelfSubjectRulesReview',
    resource: 'selfsubjectrulesreviews',
    namespaced: false,
  },
  {
    group: 'authorization.k8s.io',
    kind: 'LocalSubjectAccessReview',
    resource: 'localsubjectaccessreviews',
    namespaced: true,
  },
];

/** The review a resource request addresses, if it addresses one (any verb; only create is served). */
export function reviewKindOf(attrs: ResourceAttributes): ReviewKind | undefined {
  if (attrs.apiVersion !== 'v1' || attrs.subresource !== '' || attrs.name !== '') return undefined;
  const kind = REVIEWS.find((r) => r.group === attrs.apiGroup && r.resource === attrs.resource);
  if (!kind) return undefined;
  return kind.namespaced === (attrs.namespace !== '') ? kind : undefined;
}

/** What the review handlers need. */
export interface ReviewContext {
  /** The requesting user (after impersonation). */
  readonly user: UserInfo;
  /** The namespace of the URL (LocalSubjectAccessReview). */
  readonly namespace: string;
  readonly authorizer: RbacAuthorizer;
  readonly authenticator: RequestAuthenticator;
}

function invalidReview(kind: ReviewKind, field: string, detail: string): StatusError {
  const qualified = `${kind.kind}.${kind.group}`;
  return statusError('Invalid', `${qualified} "" is invalid: ${field}: ${detail}`, {
    group: kind.group,
    kind: kind.kind,
    causes: [
      {
        reason: detail.startsWith('Required value') ? 'FieldValueRequired' : 'FieldValueInvalid',
        message: detail,
        field,
      },
    ],
  });
}

function objectField(obj: JsonObject, key: string): JsonObject | undefined {
  const v = obj[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined;
}

function stringField(obj: JsonObject | undefined, key: string): string {
  const v = obj?.[key];
  return typeof v === 'string' ? v : '';
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function userInfoJson(user: UserInfo): JsonObject {
  const out: JsonObject = { username: user.username };
  if (user.uid !== undefined && user.uid !== '') out.uid = user.uid;
  out.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length > 0) {
    out.extra = Object.fromEntries(Object.entries(user.extra).map(([k, v]) => [k, [...v]]));
  }
  return out;
}

/** Answers a review: the request object with its `status`. */
export function serveReview(kind: ReviewKind, body: JsonObject, ctx: ReviewContext): JsonObject {
  const spec = objectField(body, 'spec') ?? {};
  const metadata = objectField(body, 'metadata') ?? {};
  const answer = (status: JsonObject, specOut: JsonObject = spec): JsonObject => ({
    kind: kind.kind,
    apiVersion: `${kind.group}/v1`,
    metadata: { ...metadata, creationTimestamp: null },
    spec: specOut,
    status,
  });
  switch (kind.kind) {
    case 'TokenReview':
      return answer(tokenReview(spec, ctx));
    case 'SelfSubjectReview':
      return {
        kind: kind.kind,
        apiVersion: `${kind.group}/v1`,
        metadata: { ...metadata, creationTimestamp: null },
        status: { userInfo: userInfoJson(ctx.user) },
      };
    case 'SelfSubjectRulesReview':
      return answer(rulesReview(stringField(spec, 'namespace'), ctx));
    default: {
      const attrs = accessReviewAttributes(kind, spec, ctx);
      const decision = ctx.authorizer.authorize(attrs);
      const status: JsonObject = { allowed: decision.allowed };
      if (decision.reason !== '') status.reason = decision.reason;
      const out = answer(status);
      if (kind.namespaced) (out.metadata as JsonObject).namespace = ctx.namespace;
      return out;
    }
  }
}

function tokenReview(spec: JsonObject, ctx: ReviewContext): JsonObject {
  const token = stringField(spec, 'token');
  if (token === '') throw badRequest('token is required for TokenReview in authentication');
  const requested = stringList(spec.audiences);
  const found = ctx.authenticator.authenticateToken(token, requested.length > 0 ? requested : undefined);
  if ('error' in found) return { user: {}, error: found.error };
  const status: JsonObject = { authenticated: true, user: userInfoJson(found.identity.user) };
  status.audiences = [...found.identity.audiences];
  return status;
}

/** The user and attributes a (Local/Self)SubjectAccessReview asks about, validated as the real server does. */
function accessReviewAttributes(kind: ReviewKind, spec: JsonObject, ctx: ReviewContext): Attributes {
  const resource = objectField(spec, 'resourceAttributes');
  const nonResource = objectField(spec, 'nonResourceAttributes');
  if (kind.namespaced && nonResource) {
    throw invalidReview(kind, 'spec.nonResourceAttributes', `Invalid value: "": disallowed on this kind of request`);
  }
  if (!resource && !nonResource) {
    throw invalidReview(
      kind,
      'spec.resourceAttributes',
      'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  }
  if (resource && nonResource) {
    throw invalidReview(
      kind,
      'spec.nonResourceAttributes',
      'Invalid value: "": cannot be specified in combination with resourceAttributes',
    );
  }
  let user = ctx.user;
  if (kind.kind !== 'SelfSubjectAccessReview') {
    const username = stringField(spec, 'user');
    const groups = stringList(spec.groups);
    if (username === '' && groups.length === 0) {
      throw invalidReview(kind, 'spec.user', 'Invalid value: "": at least one of user or group must be specified');
    }
    const extraRaw = objectField(spec, 'extra') ?? {};
    const extra = Object.fromEntries(Object.entries(extraRaw).map(([k, v]) => [k, stringList(v)]));
    user = { username, groups, extra, ...(stringField(spec, 'uid') !== '' ? { uid: stringField(spec, 'uid') } : {}) };
  }
  let request: RequestAttributes;
  if (resource) {
    const namespace = stringField(resource, 'namespace');
    if (kind.namespaced && namespace !== ctx.namespace) {
      throw badRequest(`spec.resourceAttributes.namespace must match namespace: ${ctx.namespace}`);
    }
    request = {
      kind: 'resource',
      verb: stringField(resource, 'verb'),
      apiGroup: stringField(resource, 'group'),
      apiVersion: stringField(resource, 'version'),
      resource: stringField(resource, 'resource'),
      subresource: stringField(resource, 'subresource'),
      namespace,
      name: stringField(resource, 'name'),
    };
  } else {
    request = { kind: 'path', verb: stringField(nonResource, 'verb'), path: stringField(nonResource, 'path') };
  }
  return { ...request, user };
}

/**
 * SelfSubjectRulesReview: the user's RBAC rules in `namespace`, split into resource and
 * non-resource rules. The privileged `system:masters` group answers no rules of its own (it is
 * no rule resolver upstream); its members see what the `cluster-admin` binding grants them.
 */
function rulesReview(namespace: string, ctx: ReviewContext): JsonObject {
  const resourceRules: JsonObject[] = [];
  const nonResourceRules: JsonObject[] = [];
  const add = (rule: PolicyRule) => {
    if ((rule.resources ?? []).length > 0) {
      const r: JsonObject = {
        verbs: [...rule.verbs],
        apiGroups: [...(rule.apiGroups ?? [])],
        resources: [...(rule.resources ?? [])],
      };
      if ((rule.resourceNames ?? []).length > 0) r.resourceNames = [...(rule.resourceNames ?? [])];
      resourceRules.push(r);
    }
    if ((rule.nonResourceURLs ?? []).length > 0) {
      nonResourceRules.push({ verbs: [...rule.verbs], nonResourceURLs: [...(rule.nonResourceURLs ?? [])] });
    }
  };
  const { rules, errors } = ctx.authorizer.rulesFor(ctx.user, namespace);
  for (const rule of rules) add(rule);
  const status: JsonObject = { resourceRules, nonResourceRules, incomplete: false };
  if (errors.length > 0) status.evaluationError = aggregate(errors);
  return status;
}
