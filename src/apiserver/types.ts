/**
 * The emulator's public interfaces: how to start it, what it hands back, the built-in
 * controllers' settings, and the fault injection surface tests use to prove clients survive a
 * misbehaving server.
 */
import type { Clock } from '../core/index.js';
import type { Resource } from '../resources/index.js';

/** Options of `startApiServer`. */
export interface ApiServerOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /**
   * Events kept per resource for watch resumes and continue pages (default 10000). Older
   * revisions answer 410 Expired, like a compacted etcd.
   */
  historyLimit?: number;
  /** How often watches with `allowWatchBookmarks=true` get a BOOKMARK (default 60000 ms). */
  bookmarkIntervalMs?: number;
  /**
   * Largest accepted request body (default 3 MiB, the API server's `--max-request-bytes`);
   * larger is a 413.
   */
  maxBodyBytes?: number;
  /**
   * Connection limits (header size, header, body and idle timeouts), by default those of
   * kube-apiserver's HTTP server; tests shorten the timeouts instead of waiting for them.
   */
  connections?: ConnectionLimits;
  /**
   * How long a GET or LIST at a resourceVersion the server has not reached waits for a write to
   * reach it before answering 504 `Timeout` (cause `ResourceVersionTooLarge`); default 3000 ms,
   * the real watch cache's wait. Tests shorten it.
   */
  resourceVersionWaitMs?: number;
  /** Random source for fault rates and generated names (default `Math.random`). */
  random?: () => number;
  /**
   * How long the garbage collector waits before deleting an object whose owner references all
   * point at owners that do not exist (default 1000 ms). The real collector checks the owner
   * with a live read before deleting; the wait gives a test that fakes owner references time to
   * see the object before it goes.
   */
  absentOwnerGraceMs?: number;
  /**
   * Serve streaming lists (`watch` with `sendInitialEvents=true`, the WatchList feature; default
   * true, as Kubernetes 1.34+ and a 1.33 server with `--feature-gates=WatchList=true` do). With
   * false, such a watch is a 422, as on a 1.33 server with default gates, and clients (client-go
   * 1.35 informers, kubectl 1.35 `wait` and `rollout status`, helm 4.1 `--wait`) fall back to
   * list and watch.
   */
  watchList?: boolean;
  /**
   * Custom resources defined with `defineResource` to install at start: their CRDs are created
   * and their conversion functions run in-process, so every version is served (objects are
   * stored in the storage version and converted on each read, write and watch).
   */
  resources?: readonly Resource[];
  /**
   * Serve HTTPS with authentication and RBAC, as a real cluster does (see `docs/apiserver.md`,
   * "Secure mode"). `true` generates the CA and certificates; an object says what to use.
   * Default: plain HTTP, every request allowed.
   */
  secure?: boolean | SecureOptions;
  /**
   * The built-in controllers to run: `true` for all of them, a list of names for some, `false`
   * or absent for none (the default, like envtest: no Pods, Nodes or ServiceAccounts appear on
   * their own). `kloop apiserver` and `npm start` run all of them.
   */
  controllers?: boolean | readonly ControllerName[];
  /**
   * The clock every timer of the emulator runs on: the controllers and simulated kubelet,
   * graceful deletion, the garbage collector's grace, watch bookmarks and timeouts, injected
   * latency, token lifetimes in secure mode. Creation and deletion timestamps and those the controllers write follow it
   * (managedFields times and CRD conditions still take the wall clock). Default: the wall clock. Pass a
   * `ManualClock` and step it with {@link ClusterControllers.advance} to test without sleeping.
   */
  clock?: Clock;
  /** What the simulated cluster looks like and how its Pods behave (with `controllers`). */
  simulation?: SimulationOptions;
}

/**
 * The HTTP server's connection limits; each defaults to kube-apiserver's. Timeouts run on the
 * wall clock (they are Node's own socket timers), not on {@link ApiServerOptions.clock}.
 *
 * @example
 * ```ts
 * import { startApiServer } from 'kloop/apiserver';
 *
 * // A test that checks how a slow client is cut off, in milliseconds instead of a minute.
 * const server = await startApiServer({ connections: { requestTimeoutMs: 200, headersTimeoutMs: 100 } });
 * await server.stop();
 * ```
 */
export interface ConnectionLimits {
  /**
   * Most bytes of request line and headers (default 1 MiB, Go's `MaxHeaderBytes` as the API
   * server sets it). More is Go's plain-text `431 Request Header Fields Too Large`.
   */
  maxHeaderBytes?: number;
  /**
   * How long the request headers may take to arrive (default 32000 ms, `ReadHeaderTimeout`);
   * past it the connection closes without an answer.
   */
  headersTimeoutMs?: number;
  /**
   * How long the whole request, body included, may take to arrive (default 60000 ms, the API
   * server's request timeout). A body still arriving then gets a 504 `Timeout` Status and the
   * connection closes. Responses (watches) are not limited by it.
   */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open (default 90000 ms, `IdleTimeout`). */
  idleTimeoutMs?: number;
}

/**
 * A built-in controller of the emulated cluster. `nodes`: the simulated Nodes and their kubelets'
 * Node status; `node-lifecycle`: NotReady Nodes taint and their Pods follow; `scheduler`: binds
 * Pods to Nodes; `kubelet`: runs Pods (phases, conditions, container statuses, scripted
 * outcomes, graceful deletion); `service`: ClusterIP and NodePort allocation and the `kubernetes`
 * Service; `defaults`: the API server's defaulting and admission-added Pod fields for the
 * workload kinds; the rest are kube-controller-manager's controllers of the same name.
 */
export type ControllerName =
  | 'nodes'
  | 'node-lifecycle'
  | 'scheduler'
  | 'kubelet'
  | 'defaults'
  | 'replicaset'
  | 'deployment'
  | 'statefulset'
  | 'daemonset'
  | 'job'
  | 'cronjob'
  | 'service'
  | 'endpointslice'
  | 'endpoints'
  | 'serviceaccount'
  | 'root-ca-cert-publisher';

/**
 * What the simulated kubelet makes of a Pod (kwok's stages, as a word):
 * - `ready` (default): containers start, then the Pod turns Ready; Job Pods run to completion.
 * - `never-ready`: containers run but never pass readiness (`Ready=False`, `ContainersNotReady`).
 * - `crash-loop`: each container exits with code 1 after it started and is restarted with the
 *   kubelet's back-off (10 s doubling to 5 min), `CrashLoopBackOff`, `restartCount` growing.
 * - `image-pull-error`: `ErrImagePull`, then `ImagePullBackOff`; the Pod stays Pending.
 * - `complete`: containers exit 0 after running (`Succeeded` unless `restartPolicy: Always`).
 * - `exit:N`: containers exit with code N after running (N = 0 is `complete`).
 * - `ignore-sigterm`: as `ready`, but on deletion the containers are killed only when the whole
 *   grace period has passed.
 */
export type PodOutcome =
  | 'ready'
  | 'never-ready'
  | 'crash-loop'
  | 'image-pull-error'
  | 'complete'
  | 'ignore-sigterm'
  | `exit:${number}`;

/**
 * A rule choosing how matching Pods behave. Every given condition must hold; the first matching
 * rule wins; the Pod's `kloop.dev/outcome` annotation wins over every rule.
 */
export interface PodRule {
  /** Only Pods in this namespace. */
  namespace?: string;
  /** Only Pods whose labels match this selector (`app=web,tier!=db`). */
  labelSelector?: string;
  /** Only Pods whose name starts with this. */
  namePrefix?: string;
  outcome?: PodOutcome;
  /** Scheduled -> running, for matching Pods. */
  startDelayMs?: number;
  /** Running -> Ready, for matching Pods. */
  readyDelayMs?: number;
  /** How long containers that exit run first. */
  runMs?: number;
}

/** Options of the simulated cluster (see {@link ApiServerOptions.simulation}). */
export interface SimulationOptions {
  /** How many Nodes (`node-1`...), or their names. Default 3. */
  nodes?: number | readonly string[];
  /** Scheduled -> containers running (default 100 ms). */
  startDelayMs?: number;
  /** Running -> Ready (default 100 ms). */
  readyDelayMs?: number;
  /** How long containers that exit run (Job Pods, `exit:N`, `crash-loop`; default 100 ms). */
  runMs?: number;
  /**
   * Pod deletion requested -> the kubelet stops its containers and removes it (default 300 ms,
   * as a kubelet whose containers stop at SIGTERM; `ignore-sigterm` Pods take the full grace).
   */
  deletionDelayMs?: number;
  /** A Node turned NotReady -> its Pods turn NotReady (default 5000 ms). */
  nodeNotReadyGraceMs?: number;
  /** Scripted Pod outcomes (first match wins). */
  podRules?: readonly PodRule[];
  /** Service CIDR (default `10.96.0.0/12`, kubeadm's; the `kubernetes` Service gets the first IP). */
  serviceCidr?: string;
  /** PEM bundle published as `kube-root-ca.crt` (default: the emulator's own CA certificate). */
  caBundle?: string;
}

/** The built-in controllers of a running emulator. */
export interface ClusterControllers {
  /** The controllers running (empty when none). */
  readonly names: readonly ControllerName[];
  /** Resolves once no controller has work queued or in progress (timers still pending are not work). */
  settle(): Promise<void>;
  /**
   * With a `ManualClock`: moves time forward by `ms`, timer by timer, letting the controllers
   * finish what each timer started before the next one fires. Throws with any other clock.
   */
  advance(ms: number): Promise<void>;
  /** The simulated Nodes' names. */
  nodeNames(): string[];
  /**
   * Makes a simulated Node's kubelet report NotReady (`false`) or Ready again (`true`). A NotReady
   * Node gets the `node.kubernetes.io/not-ready` taints at once; its Pods turn NotReady after
   * `nodeNotReadyGraceMs`; nothing new is scheduled there.
   */
  setNodeReady(name: string, ready: boolean): void;
}

/** Writes the built-in controllers made, by controller, manager, verb and resource. */
export interface ControllerWriteCount {
  controller: ControllerName;
  /** The field manager recorded in managedFields (`kube-controller-manager`, `kubelet`, ...). */
  manager: string;
  verb: 'create' | 'update' | 'delete';
  /** Plural (`pods`). */
  resource: string;
  /** API group, '' for the core group. */
  group: string;
  subresource?: string;
  count: number;
}

/** Which controller writes to add up; every field optional. `resource` is `plural` or `plural.group`. */
export interface ControllerWriteFilter {
  controller?: ControllerName | readonly ControllerName[];
  verb?: string | readonly string[];
  resource?: string;
  subresource?: string;
}

/** The credentials of a kubeconfig user entry the emulator writes. */
export interface KubeconfigUser {
  token?: string;
  /** Base64 of the client certificate PEM. */
  'client-certificate-data'?: string;
  /** Base64 of the client key PEM. */
  'client-key-data'?: string;
}

/** The `users`/`clusters`/`contexts` document kubectl and client libraries read. */
export interface Kubeconfig {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: {
    name: string;
    cluster: { server: string; 'insecure-skip-tls-verify'?: boolean; 'certificate-authority-data'?: string };
  }[];
  users: { name: string; user: KubeconfigUser }[];
  contexts: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  'current-context': string;
  preferences: Record<string, never>;
}

/** Whose credentials {@link ApiServer.kubeconfigFor} writes: a bearer token, or a client certificate issued for a user. */
export type KubeconfigIdentity = { token: string } | { username: string; groups?: readonly string[] };

/** A running emulator. */
export interface ApiServer {
  /** `http://127.0.0.1:PORT`, or `https://...` in secure mode. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /**
   * A kubeconfig pointing at it (plain object, as kubectl reads it). In secure mode it is
   * self-contained: the CA and the admin's client certificate and key inline (`*-data`).
   */
  readonly kubeconfig: Kubeconfig;
  /**
   * The secure mode's CA, token issuer and helpers (client certificates, service account
   * tokens); undefined on plain HTTP.
   */
  readonly security: ServerSecurity | undefined;
  /**
   * A kubeconfig for this server with other credentials (secure mode): a bearer token, or a
   * client certificate issued for `username` in `groups`.
   */
  kubeconfigFor(identity: KubeconfigIdentity): Kubeconfig;
  /**
   * The requests seen in secure mode (bounded), with user, verb, resource, namespace, name,
   * code and whether they were refused; `[]` on plain HTTP.
   */
  audit(filter?: AuditFilter): AuditEntry[];
  /** Writes {@link ApiServer.kubeconfig} to `path` (JSON, which kubectl reads as YAML). */
  writeKubeconfig(path: string): Promise<void>;
  /** Fault injection, settable while running. */
  readonly faults: Faults;
  /** The built-in controllers: settle, step a manual clock, fail a Node. */
  readonly controllers: ClusterControllers;
  /** Request counters since start (or the last {@link ApiServer.resetStats}). */
  stats(): ApiServerStats;
  /** Zeroes the request counters. */
  resetStats(): void;
  /** Closes every watch and connection and stops listening. Idempotent. */
  stop(): Promise<void>;
}

/** Requests counted by verb, resource, subresource and code (see {@link ApiServer.stats}). */
export interface RequestCount {
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`; the HTTP method (`GET`) for non-resource paths. */
  verb: string;
  /** Plural (`configmaps`), '' for non-resource paths. */
  resource: string;
  /** API group, '' for the core group. */
  group: string;
  subresource?: string;
  /** Non-resource path kind: `discovery`, `version`, `healthz`, `readyz`, `livez`, `openapi-v2`, `openapi-v3`, `unknown`. */
  path?: string;
  /** HTTP status code of the response. */
  code: number;
  count: number;
  /** Request bytes: request line, headers and body. */
  bytesIn: number;
  /** Bytes written, headers included (for watches: the whole stream). */
  bytesOut: number;
}

/** Which counts to add up; every field optional. `resource` is `plural` or `plural.group`. */
export interface RequestCountFilter {
  verb?: string | readonly string[];
  resource?: string;
  subresource?: string;
  code?: number;
}

/**
 * A snapshot of the request counters.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict';
 * import { startApiServer } from 'kloop/apiserver';
 *
 * declare function reconcileEverything(): Promise<void>; // the code under test
 * const server = await startApiServer();
 * server.resetStats();
 * await reconcileEverything();
 * assert.equal(server.stats().count({ verb: ['create', 'update', 'patch'], resource: 'configmaps' }), 0);
 * ```
 */
export interface ApiServerStats {
  requests: RequestCount[];
  /** Watches open at the time of the snapshot. */
  openWatches: number;
  /**
   * The cluster's own writes (built-in controllers), never counted in {@link requests}: requests
   * are what clients (the operator under test) sent; these are what the cluster did.
   */
  controllers: {
    writes: ControllerWriteCount[];
    count(filter?: ControllerWriteFilter): number;
  };
  /** Number of requests matching `filter`. */
  count(filter?: RequestCountFilter): number;
  bytesIn(filter?: RequestCountFilter): number;
  bytesOut(filter?: RequestCountFilter): number;
}

/** The verbs of Kubernetes authorization and audit, as faults scope them. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/**
 * Which requests a fault hits. `verb` and `resource` both default to "any". `resource` is the
 * plural (`configmaps`), optionally qualified by group (`deployments.apps`).
 */
export interface FaultScope {
  verb?: Verb | readonly Verb[];
  resource?: string;
}

/** An active fault; `clear()` removes it (idempotent). */
export interface FaultHandle {
  clear(): void;
  /** False once cleared. */
  readonly active: boolean;
}

/** Options of {@link Faults.errors}. */
export interface ErrorFaultOptions extends FaultScope {
  /** Fraction of matching requests that fail, 0..1. */
  rate: number;
  code: 429 | 500 | 503;
  /** Sent as `Retry-After` and `details.retryAfterSeconds` (429 default 1). */
  retryAfterSeconds?: number;
}

/** Options of {@link Faults.conflicts}: either a rate or a number of conflicts. */
export interface ConflictFaultOptions {
  /** Fraction of matching writes that answer 409 Conflict. */
  rate?: number;
  /** Answer 409 to the next `count` matching writes, then stop. */
  count?: number;
  /** Default: update and patch. */
  verb?: Verb | readonly Verb[];
  resource?: string;
}

/**
 * Fault injection. Every method takes effect at once for new requests (and open watches where it
 * says so) and returns a handle to clear it; {@link Faults.clear} removes everything.
 *
 * @example
 * ```ts
 * import { startApiServer } from 'kloop/apiserver';
 *
 * const server = await startApiServer();
 * const slow = server.faults.latency({ ms: 200, verb: 'list' });
 * server.faults.errors({ rate: 0.5, code: 429, retryAfterSeconds: 1, resource: 'configmaps' });
 * server.faults.compact(); // the next resume from an older resourceVersion gets 410
 * slow.clear();
 * server.faults.clear();
 * ```
 */
export interface Faults {
  /** Delays matching requests by `ms` before they are served. */
  latency(options: { ms: number } & FaultScope): FaultHandle;
  /** Fails a fraction of matching requests with 429 (with Retry-After), 500 or 503. */
  errors(options: ErrorFaultOptions): FaultHandle;
  /** Cuts every open watch (of `resource`) now (connection reset); the handle reports how many. */
  dropWatches(options?: { resource?: string }): FaultHandle & { readonly dropped: number };
  /** Ends each watch (open now or later) of `resource` cleanly after it has sent `n` more events. */
  dropWatchesAfter(n: number, options?: { resource?: string }): FaultHandle;
  /** Makes open and new watches of `resource` silent: no events, no bookmarks, never closed. */
  stallWatches(options?: { resource?: string }): FaultHandle;
  /** Drops the event history: any watch resume or continue token older than now gets 410. */
  compact(): FaultHandle;
  /** Answers 409 Conflict to matching updates and patches. */
  conflicts(options: ConflictFaultOptions): FaultHandle;
  /** Removes every active fault. */
  clear(): void;
}

// --- Secure mode: TLS material, identities, RBAC rules, audit --------------------------------

/** PEM-encoded certificate and its private key (PKCS#8). */
export interface CertificateAndKey {
  /** `-----BEGIN CERTIFICATE-----` ... */
  readonly certPem: string;
  /** `-----BEGIN PRIVATE KEY-----` ... (PKCS#8, ECDSA P-256). */
  readonly keyPem: string;
}

/** What a certificate is for: TLS server, TLS client, or both. */
export type CertificateUsage = 'server' | 'client' | 'both';

/** Options of {@link CertificateAuthority.issue}. */
export interface IssueOptions {
  /** Subject CN: the user name of a client certificate, any name for a serving one. */
  readonly commonName: string;
  /** Subject O values: the groups of a client certificate (e.g. `system:masters`). */
  readonly organizations?: readonly string[];
  /** DNS subject alternative names (serving certificates). */
  readonly dnsNames?: readonly string[];
  /** IP subject alternative names, v4 or v6 (serving certificates). */
  readonly ipAddresses?: readonly string[];
  /** Extended key usage; default `client`. */
  readonly usage?: CertificateUsage;
  /** Start of validity; default one minute ago (tolerates small clock skew). */
  readonly notBefore?: Date;
  /** End of validity; default one year after `notBefore`. */
  readonly notAfter?: Date;
}

/** A certificate authority that can issue certificates. */
export interface CertificateAuthority extends CertificateAndKey {
  /** Issues a certificate signed by this authority. */
  issue(options: IssueOptions): CertificateAndKey;
}

/** Options of {@link createCertificateAuthority}. */
export interface CertificateAuthorityOptions {
  /** Subject CN; default `kloop-ca`. */
  readonly commonName?: string;
  readonly notBefore?: Date;
  /** Default ten years after `notBefore`. */
  readonly notAfter?: Date;
}

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
  /** The user the request was authorized as (the impersonated one, when impersonating); '' when authentication failed. */
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
