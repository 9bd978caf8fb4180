/**
 * The emulator's public interfaces: how to start it, what it hands back, and the fault injection
 * surface tests use to prove clients survive a misbehaving server.
 */
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
  /** Largest accepted request body (default 3 MiB, etcd's request limit); larger is a 413. */
  maxBodyBytes?: number;
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
   * Custom resources defined with `defineResource` to install at start: their CRDs are created
   * and their conversion functions run in-process, so every version is served (objects are
   * stored in the storage version and converted on each read, write and watch).
   */
  resources?: readonly Resource[];
}

/** The `users`/`clusters`/`contexts` document kubectl and client libraries read. */
export interface Kubeconfig {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: { name: string; cluster: { server: string; 'insecure-skip-tls-verify'?: boolean } }[];
  users: { name: string; user: Record<string, never> }[];
  contexts: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  'current-context': string;
  preferences: Record<string, never>;
}

/** A running emulator. */
export interface ApiServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** A kubeconfig pointing at it (plain object, as kubectl reads it). */
  readonly kubeconfig: Kubeconfig;
  /** Writes {@link ApiServer.kubeconfig} to `path` (JSON, which kubectl reads as YAML). */
  writeKubeconfig(path: string): Promise<void>;
  /** Fault injection, settable while running. */
  readonly faults: Faults;
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
