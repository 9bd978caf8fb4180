/**
 * The secure mode's request gate, in kube-apiserver's filter order: authentication (401 when
 * credentials are present but wrong), impersonation (each part checked with the `impersonate`
 * verb), authorization (RBAC with `system:masters` in front; 403 with the real message), the
 * audit record, and then either the authentication/authorization APIs served here (reviews,
 * TokenRequest) or the rest of the emulator, run as the request's user so that RBAC writes can
 * be checked for escalation, and a server-side apply that creates its object for `create`.
 *
 * It also makes the cluster what a fresh secure cluster is: the bootstrap ClusterRoles and
 * ClusterRoleBindings, and the ClusterRole aggregation controller.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JsonObject, KubeObject } from '../../core/index.js';
import { type Encoding, negotiate, statusEncoding } from '../codec/negotiation.js';
import { parseObjectBody } from '../codec/object-body.js';
import {
  forbidden,
  methodNotAllowed,
  notAcceptable,
  notFound,
  StatusError,
  toStatus,
} from '../errors/status-errors.js';
import { mediaType, readBody, sendEncoded, sendStatus } from '../http/io.js';
import type { RequestTarget } from '../http/routes.js';
import type { Cluster } from '../registry/cluster.js';
import type { ServedType } from '../served/served-types.js';
import type { AuditEntry, AuditFilter, CertificateAndKey, SecureOptions, ServerSecurity, UserInfo } from '../types.js';
import { startClusterRoleAggregation } from './aggregation.js';
import { type Attributes, type RequestAttributes, requestAttributes } from './attributes.js';
import { AuditLog, DEFAULT_AUDIT_LIMIT } from './audit.js';
import { RequestAuthenticator } from './authenticate.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from './bootstrap-policy.js';
import { issueClientCertificate } from './certificates.js';
import { EscalationCheck } from './escalation.js';
import { impersonationOf } from './impersonation.js';
import { RbacAuthorizer, storageRbacSource } from './rbac.js';
import { forbiddenError, unauthorizedStatus } from './refusals.js';
import { reviewKindOf, serveReview } from './reviews.js';
import { ServiceAccountTokens, type TokenLookup } from './service-account-tokens.js';
import { type TlsMaterial, tlsMaterial } from './tls-material.js';
import { serveTokenRequest, storageTokenLookup } from './token-request.js';

/** The default service account token issuer, as kubeadm and kind configure it. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** What the HTTP server asks of a request gate. */
export interface RequestGate {
  /**
   * Serves `req` itself (a refusal, an auth API) or calls `next` as the request's user. `target`
   * is the raw path and query the server routes.
   */
  serve(req: IncomingMessage, res: ServerResponse, target: RequestTarget, next: () => Promise<void>): Promise<void>;
}

/** Settings of {@link Security} that come from the server rather than from `SecureOptions`. */
export interface SecuritySettings {
  /** Interface the server binds (a SAN of the generated serving certificate). */
  readonly host: string;
  /** Wall-clock milliseconds (token lifetimes). */
  readonly now: () => number;
  /** Largest request body read. */
  readonly maxBodyBytes: number;
}

/** The secure mode of one emulator. */
export class Security implements RequestGate {
  readonly tls: TlsMaterial;
  readonly audit: AuditLog;
  readonly authorizer: RbacAuthorizer;
  readonly authenticator: RequestAuthenticator;
  readonly tokens: ServiceAccountTokens;
  private readonly lookup: TokenLookup;
  private readonly escalation: EscalationCheck;
  /** The user of the request being served, for checks deep in the write path. */
  private readonly requestUser = new AsyncLocalStorage<UserInfo>();
  private readonly stopAggregation: () => void;

  constructor(
    private readonly cluster: Cluster,
    options: SecureOptions,
    private readonly settings: SecuritySettings,
  ) {
    this.tls = tlsMaterial(options, settings.host);
    this.audit = new AuditLog(options.auditLimit ?? DEFAULT_AUDIT_LIMIT);
    this.authorizer = new RbacAuthorizer(storageRbacSource(cluster.storage));
    this.lookup = storageTokenLookup(cluster.storage);
    const issuer = options.issuer ?? DEFAULT_ISSUER;
    this.tokens = new ServiceAccountTokens(issuer, options.audiences ?? [issuer], this.lookup, settings.now);
    this.authenticator = new RequestAuthenticator(options.tokens ?? [], this.tokens, options.anonymous ?? true);
    this.escalation = new EscalationCheck(this.authorizer);
    this.bootstrap();
    this.stopAggregation = startClusterRoleAggregation(cluster);
    cluster.admission.push((served, obj, old, options) => {
      // Only a request's own writes name a verb; the cluster's reactions (which may run in a
      // request's async context, deferred from its write) are not the user's to answer for.
      if (options.verb === undefined) return;
      const user = this.requestUser.getStore();
      if (!user) return;
      this.escalation.check(served, obj, old, user);
      // A server-side apply of an object that does not exist creates it: the real server asks
      // for `create` as well as the request's `patch` (handlers/rest.go `withAuthorization`).
      if (old === undefined && options.verb === 'patch') this.authorizeCreate(served, obj, user);
    });
  }

  /** The public face of the secure mode (`server.security`). */
  publicView(): ServerSecurity {
    return {
      caPem: this.tls.ca.certPem,
      ca: this.tls.ca,
      issuer: this.tokens.issuer,
      audiences: this.tokens.apiAudiences,
      issueClientCertificate: (username, groups = []): CertificateAndKey =>
        issueClientCertificate(this.tls.ca, username, groups),
      createToken: (namespace, name, options = {}) => {
        const sa = this.lookup.serviceAccount(namespace, name);
        if (!sa) throw notFound({ group: '', plural: 'serviceaccounts' }, name);
        return this.tokens.issue({
          namespace,
          name,
          uid: String(sa.metadata.uid),
          audiences: options.audiences ?? this.tokens.apiAudiences,
          expirationSeconds: options.expirationSeconds ?? 3600,
        }).token;
      },
    };
  }

  /** Audit entries matching `filter`. */
  auditEntries(filter?: AuditFilter): AuditEntry[] {
    return this.audit.list(filter);
  }

  /** Stops the aggregation controller. */
  stop(): void {
    this.stopAggregation();
  }

  async serve(
    req: IncomingMessage,
    res: ServerResponse,
    target: RequestTarget,
    next: () => Promise<void>,
  ): Promise<void> {
    const requested = requestAttributes(req.method ?? 'GET', target.path, target.query);
    const authn = this.authenticator.authenticate(req);
    if (authn.kind === 'unauthorized') {
      this.recordAudit(res, requested, undefined, undefined, true, '');
      return refuse(req, res, new StatusError(unauthorizedStatus()));
    }
    let user = authn.user;
    let impersonatedBy: string | undefined;
    let impersonation: ReturnType<typeof impersonationOf>;
    try {
      impersonation = impersonationOf(req.headersDistinct as Record<string, string[] | undefined>);
    } catch (err) {
      this.recordAudit(res, requested, user, undefined, true, '');
      return refuse(req, res, err);
    }
    if (impersonation) {
      for (const check of impersonation.checks) {
        const attrs: Attributes = { kind: 'resource', ...check, user };
        const decision = this.authorizer.authorize(attrs);
        if (!decision.allowed) {
          this.recordAudit(res, requested, user, undefined, true, decision.reason);
          return refuse(req, res, forbiddenError(attrs, decision.reason));
        }
      }
      impersonatedBy = user.username;
      user = impersonation.user;
    }
    const attrs: Attributes = { ...requested, user };
    const decision = this.authorizer.authorize(attrs);
    this.recordAudit(res, requested, user, impersonatedBy, !decision.allowed, decision.reason);
    if (!decision.allowed) return refuse(req, res, forbiddenError(attrs, decision.reason));
    if (attrs.kind === 'resource') {
      const review = reviewKindOf(attrs);
      const tokenRequest =
        attrs.apiGroup === '' &&
        attrs.resource === 'serviceaccounts' &&
        attrs.subresource === 'token' &&
        attrs.name !== '' &&
        attrs.namespace !== '';
      if (review || tokenRequest) {
        try {
          if (attrs.verb !== 'create') throw methodNotAllowed();
          // Answered in the encoding Accept asks for, protobuf included (every kind here has one).
          const answerIn = negotiate(req.headers.accept, { protobuf: true });
          if (answerIn?.kind !== 'object') throw notAcceptable();
          if (review) {
            const body = await this.readObject(req, { apiVersion: `${review.group}/v1`, kind: review.kind });
            const answer = serveReview(review, body, {
              user,
              namespace: attrs.namespace,
              authorizer: this.authorizer,
              authenticator: this.authenticator,
            });
            sendAnswer(res, answerIn.encoding, answer);
          } else {
            const body = await this.readObject(req, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest' });
            const answer = serveTokenRequest(body, attrs.namespace, attrs.name, this.tokens, this.lookup);
            sendAnswer(res, answerIn.encoding, answer);
          }
        } catch (err) {
          return refuse(req, res, err);
        }
        return;
      }
    }
    await this.requestUser.run(user, next);
  }

  /** Refuses a create the user may not make, with the 403 the patch handler's authorization check writes. */
  private authorizeCreate(served: ServedType, obj: KubeObject, user: UserInfo): void {
    const { group, version, plural, namespaced } = served.type;
    const name = String(obj.metadata.name ?? '');
    const decision = this.authorizer.authorize({
      kind: 'resource',
      user,
      verb: 'create',
      apiGroup: group,
      apiVersion: version,
      resource: plural,
      subresource: '',
      namespace: namespaced ? String(obj.metadata.namespace ?? '') : '',
      name,
    });
    if (!decision.allowed) throw forbidden({ group, plural }, name, decision.reason);
  }

  /** Reads the request body as the endpoint's object, by its Content-Type (JSON, YAML or protobuf). */
  private async readObject(req: IncomingMessage, endpoint: { apiVersion: string; kind: string }): Promise<JsonObject> {
    const body = await readBody(req, this.settings.maxBodyBytes);
    const type = mediaType(req.headers['content-type']);
    return parseObjectBody(body, type, { ...endpoint, custom: false }) as unknown as JsonObject;
  }

  private recordAudit(
    res: ServerResponse,
    requested: RequestAttributes,
    user: UserInfo | undefined,
    impersonatedBy: string | undefined,
    denied: boolean,
    reason: string,
  ): void {
    const what =
      requested.kind === 'resource'
        ? {
            apiGroup: requested.apiGroup,
            resource: requested.resource,
            ...(requested.subresource !== '' ? { subresource: requested.subresource } : {}),
            ...(requested.namespace !== '' ? { namespace: requested.namespace } : {}),
            ...(requested.name !== '' ? { name: requested.name } : {}),
          }
        : { path: requested.path };
    this.audit.record(
      {
        user: user?.username ?? '',
        groups: user?.groups ?? [],
        ...(impersonatedBy !== undefined ? { impersonatedBy } : {}),
        verb: requested.verb,
        ...what,
        denied,
        ...(reason !== '' ? { reason } : {}),
      },
      res,
    );
  }

  /** Creates the bootstrap ClusterRoles and ClusterRoleBindings a fresh cluster has. */
  private bootstrap(): void {
    const create = (resource: string, objects: KubeObject[]) => {
      const served = this.cluster.types.byResource('rbac.authorization.k8s.io', 'v1', resource);
      if (!served) return;
      for (const obj of objects) this.cluster.create(served, obj);
    };
    create('clusterroles', bootstrapClusterRoles());
    create('clusterrolebindings', bootstrapClusterRoleBindings());
  }
}

/**
 * Answers a refusal (a StatusError, or anything else as a 500) in the encoding Accept asks for
 * (`responsewriters.ErrorNegotiated`), draining the unread body.
 */
function refuse(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  req.resume();
  sendStatus(res, err instanceof StatusError ? err.status : toStatus(err), statusEncoding(req.headers.accept));
}

/** A review's or TokenRequest's answer: 201 Created in `encoding`. */
function sendAnswer(res: ServerResponse, encoding: Encoding, answer: JsonObject): void {
  sendEncoded(res, 201, encoding, JSON.stringify(answer), answer);
}
