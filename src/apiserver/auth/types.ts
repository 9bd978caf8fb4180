/**
 * The public shapes of the emulator's secure mode: how to configure it (TLS material, static
 * tokens, service account token settings), who a request is (Kubernetes' `user.Info`), what the
 * audit record holds, and the RBAC rule shape shared by Roles, reviews and the audit.
 */
import type { CertificateAndKey, CertificateAuthority } from './certificates.js';

/**
 * Who a request is, as the API server's authenticators say (Go: `user.Info`). Every
 * authenticated user is also in `system:authenticated`; the anonymous user is `system:anonymous`
 * in `system:unauthenticated`.
 */
export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** A user named by a static bearer token (kube-apiserver's `--token-auth-file`). */
export interface StaticTokenUser {
  /** The bearer token (any printable string without spaces). */
  readonly token: string;
  readonly username: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
}

/**
 * Options of the secure mode (`startApiServer({ secure: { ... } })`). Everything is optional:
 * `secure: true` generates a CA, a serving certificate for 127.0.0.1, ::1 and localhost, and an
 * admin client certificate (CN `kloop-admin`, O `system:masters`) for the kubeconfig.
 */
export interface SecureOptions {
  /**
   * The certificate authority that signs the serving certificate and every client certificate
   * the emulator issues; client certificates must chain to it (unless `clientCa` says otherwise).
   * Default: a new ECDSA P-256 CA made at start. Make one with `createCertificateAuthority()`,
   * or load an existing one with `loadCertificateAuthority(certPem, keyPem)`.
   */
  readonly ca?: CertificateAuthority;
  /** The serving certificate and key. Default: issued by `ca` for `hosts`. */
  readonly serving?: CertificateAndKey;
  /** Names and addresses the serving certificate is issued for (default 127.0.0.1, ::1, localhost and `host`). */
  readonly hosts?: readonly string[];
  /** PEM bundle client certificates are verified against (kube-apiserver's `--client-ca-file`); default `ca`. */
  readonly clientCa?: string;
  /** Static bearer tokens (kube-apiserver's `--token-auth-file`). */
  readonly tokens?: readonly StaticTokenUser[];
  /**
   * Requests without credentials are `system:anonymous` (then usually refused by RBAC), as with
   * kube-apiserver's default `--anonymous-auth=true`. `false` answers them 401.
   */
  readonly anonymous?: boolean;
  /** Service account token issuer (`iss`); default `https://kubernetes.default.svc.cluster.local`. */
  readonly issuer?: string;
  /** The API audiences tokens must name (`--api-audiences`); default `[issuer]`. */
  readonly audiences?: readonly string[];
  /** The admin identity of `server.kubeconfig` (default user `kloop-admin`, group `system:masters`). */
  readonly admin?: { readonly username: string; readonly groups?: readonly string[] };
  /** Requests kept by `server.audit()` (default 10000; the oldest go first). */
  readonly auditLimit?: number;
}

/** One RBAC rule (rbac.authorization.k8s.io/v1 `PolicyRule`). */
export interface PolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

/** One request as `server.audit()` records it. */
export interface AuditEntry {
  /** Order of arrival, from 1. */
  readonly seq: number;
  /** The user the request was authorized as (the impersonated one, when impersonating). */
  readonly user: string;
  readonly groups: readonly string[];
  /** The authenticated user that impersonated `user`, if any. */
  readonly impersonatedBy?: string;
  /** Authorization verb: `get`, `list`, `watch`, `create`, ... (lower-case HTTP method for paths). */
  readonly verb: string;
  /** API group, '' for the core group (resource requests). */
  readonly apiGroup?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** The path of a non-resource request (`/version`, `/apis`). */
  readonly path?: string;
  /** HTTP status code of the answer (0 while none was sent yet, or when the connection closed first). */
  readonly code: number;
  /** True when authentication (401) or authorization (403) refused the request. */
  readonly denied: boolean;
  /** The authorizer's reason (`RBAC: allowed by ...`), when it gave one. */
  readonly reason?: string;
}

/** Which audit entries to return; every field optional. */
export interface AuditFilter {
  readonly user?: string;
  readonly verb?: string | readonly string[];
  /** `plural` or `plural.group`. */
  readonly resource?: string;
  readonly namespace?: string;
  readonly denied?: boolean;
  readonly code?: number;
}

/** The secure mode of a running emulator (`server.security`). */
export interface ServerSecurity {
  /** The CA certificate (PEM) clients verify the server with and client certificates chain to. */
  readonly caPem: string;
  /** The certificate authority, to issue more client certificates. */
  readonly ca: CertificateAuthority;
  /** The service account token issuer (`iss`). */
  readonly issuer: string;
  /** The API audiences. */
  readonly audiences: readonly string[];
  /** A client certificate for `username` in `groups` (CN and O), signed by the CA. */
  issueClientCertificate(username: string, groups?: readonly string[]): CertificateAndKey;
  /**
   * A service account token for `namespace/name`, as the TokenRequest API issues it (the
   * ServiceAccount must exist). Default lifetime one hour, audiences the API audiences.
   */
  createToken(
    namespace: string,
    name: string,
    options?: { expirationSeconds?: number; audiences?: readonly string[] },
  ): string;
}
