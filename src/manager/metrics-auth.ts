/**
 * Authenticated metrics, as controller-runtime's `filters.WithAuthenticationAndAuthorization`:
 * a scrape of `/metrics` must carry a bearer token; the API server says who it belongs to
 * (TokenReview) and whether that user may `get` the non-resource URL `/metrics`
 * (SubjectAccessReview). Answers are cached as controller-runtime caches them: a token's review
 * for a minute, an allow for five minutes, a deny for thirty seconds, on the manager's clock.
 *
 * The operator's service account needs `create` on `tokenreviews.authentication.k8s.io` and
 * `subjectaccessreviews.authorization.k8s.io`; the scraper needs
 * `{ nonResourceURLs: ['/metrics'], verbs: ['get'] }`. Tokens are only as safe as the connection:
 * serve the endpoints over TLS (`http.tls`) when metrics are authenticated.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { KubeClient } from '../client/index.js';
import type { Clock } from '../core/index.js';

/** Who a token belongs to (`TokenReview.status.user`). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** The two reviews, as the API server answers them; `reviewClientFor(kube)` sends them. */
export interface ReviewClient {
  /** `TokenReview.status`: authenticated with a user, or not (with the server's reason). */
  reviewToken(
    token: string,
    audiences?: readonly string[],
  ): Promise<{ authenticated: boolean; user?: UserInfo; error?: string }>;
  /** `SubjectAccessReview.status` for a non-resource URL. */
  reviewAccess(user: UserInfo, path: string, verb: string): Promise<{ allowed: boolean; reason?: string }>;
}

/** Options of authenticated metrics (`http.metricsAuth`). */
export interface MetricsAuthOptions {
  /** Sends the reviews; default: the manager's cluster connection. */
  reviews?: ReviewClient;
  /** Audiences the token must be meant for; default none (the API server's own). */
  audiences?: readonly string[];
  /** How long a token's review is kept, ms. Default 60 000. */
  tokenTtlMs?: number;
  /** How long an allow is kept, ms. Default 300 000. */
  allowTtlMs?: number;
  /** How long a deny is kept, ms. Default 30 000. */
  denyTtlMs?: number;
}

/** What the endpoints do with a request to a protected path. */
export type AuthDecision = { ok: true; user: string } | { ok: false; status: 401 | 403 | 500; message: string };

/** Decides requests to protected paths. */
export type RequestAuthorizer = (req: IncomingMessage, path: string) => Promise<AuthDecision>;

/** Entries kept per review cache at most: a flood of distinct tokens keeps the newest. */
const MAX_CACHED_REVIEWS = 10_000;

/**
 * A map whose entries expire on `clock` (k8s.io/apiserver's expiring cache, as the review caches
 * of controller-runtime's filter use): expired entries are dropped by a sweep at most once per
 * shortest TTL, so keys never asked again (rotated tokens) do not pile up, and at most
 * `maxEntries` are kept, oldest dropped first.
 */
export class ExpiringCache<T> {
  readonly #clock: Clock;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, { value: T; until: number }>();
  #nextSweep = Number.NEGATIVE_INFINITY;

  constructor(clock: Clock, maxEntries = MAX_CACHED_REVIEWS) {
    this.#clock = clock;
    this.#maxEntries = Math.max(1, maxEntries);
  }

  /** Entries held now (some may have expired since the last sweep). */
  get size(): number {
    return this.#entries.size;
  }

  /** The value while it is fresh. */
  get(key: string): T | undefined {
    const hit = this.#entries.get(key);
    if (hit === undefined) return undefined;
    if (hit.until > this.#clock.now()) return hit.value;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, value: T, ttlMs: number): void {
    const now = this.#clock.now();
    if (now >= this.#nextSweep) {
      for (const [k, e] of this.#entries) if (e.until <= now) this.#entries.delete(k);
      this.#nextSweep = now + ttlMs;
    } else {
      this.#nextSweep = Math.min(this.#nextSweep, now + ttlMs);
    }
    // Re-inserted at the end: the Map's order is the order of last writes, oldest first.
    this.#entries.delete(key);
    this.#entries.set(key, { value, until: now + ttlMs });
    for (const k of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(k);
    }
  }
}

/**
 * The authorizer of authenticated metrics: bearer token -> TokenReview -> SubjectAccessReview.
 *
 * @example
 * ```ts
 * import { KubeClient } from 'kloop';
 *
 * const kube = KubeClient.fromKubeconfig();
 * const authorize = metricsAuthorizer(reviewClientFor(kube), kube.clock);
 * ```
 *
 * @remarks A review that fails (connection, 5xx after the client's retries) answers 500 and is not
 * cached, so the next scrape asks again, as controller-runtime's filter does; so is a TokenReview
 * whose status reports an error (answered 401). Expired answers are swept, and each cache keeps at
 * most 10 000 entries.
 */
export function metricsAuthorizer(
  reviews: ReviewClient,
  clock: Clock,
  options: Omit<MetricsAuthOptions, 'reviews'> = {},
): RequestAuthorizer {
  const tokenTtl = options.tokenTtlMs ?? 60_000;
  const allowTtl = options.allowTtlMs ?? 300_000;
  const denyTtl = options.denyTtlMs ?? 30_000;
  // Keyed by a hash: the cache must not become a store of tokens.
  const tokens = new ExpiringCache<{ authenticated: boolean; user?: UserInfo; error?: string }>(clock);
  const access = new ExpiringCache<{ allowed: boolean; reason?: string }>(clock);
  return async (req, path) => {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (match === null) return { ok: false, status: 401, message: 'Unauthorized' };
    const tokenKey = createHash('sha256').update(match[1]!).digest('hex');
    let review = tokens.get(tokenKey);
    try {
      if (review === undefined) {
        review = await reviews.reviewToken(match[1]!, options.audiences);
        // An error (the server's authenticators failed rather than said no) is not an answer:
        // controller-runtime's authenticator does not cache it, and asks again next time.
        if (review.error === undefined || review.authenticated) tokens.set(tokenKey, review, tokenTtl);
      }
      if (!review.authenticated || review.user === undefined)
        return { ok: false, status: 401, message: 'Unauthorized' };
      const user = review.user;
      const verb = (req.method ?? 'GET').toLowerCase();
      const accessKey = JSON.stringify([user.username, user.uid, user.groups, user.extra, path, verb]);
      let decision = access.get(accessKey);
      if (decision === undefined) {
        decision = await reviews.reviewAccess(user, path, verb);
        access.set(accessKey, decision, decision.allowed ? allowTtl : denyTtl);
      }
      if (!decision.allowed)
        return { ok: false, status: 403, message: `Authorization denied for user ${user.username}` };
      return { ok: true, user: user.username };
    } catch {
      return { ok: false, status: 500, message: 'Authentication or authorization failed' };
    }
  };
}

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  error?: string;
}

interface SubjectAccessReviewStatus {
  allowed?: boolean;
  denied?: boolean;
  reason?: string;
}

/** The reviews over a `KubeClient` (POSTs to the review APIs, retried as reads: they change nothing). */
export function reviewClientFor(kube: KubeClient): ReviewClient {
  const post = async <S>(path: string, body: unknown): Promise<S | undefined> => {
    const res = await kube.raw(
      { method: 'POST', path, body: JSON.stringify(body), contentType: 'application/json' },
      true,
    );
    const text = res.body.toString('utf8');
    if (res.status < 200 || res.status >= 300) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
    return (JSON.parse(text) as { status?: S }).status;
  };
  return {
    async reviewToken(token, audiences) {
      const status = await post<TokenReviewStatus>('/apis/authentication.k8s.io/v1/tokenreviews', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: audiences && audiences.length > 0 ? { token, audiences: [...audiences] } : { token },
      });
      const username = status?.user?.username;
      if (status?.authenticated !== true || !username)
        return status?.error ? { authenticated: false, error: status.error } : { authenticated: false };
      const user: UserInfo = { username };
      if (status.user?.uid) user.uid = status.user.uid;
      if (status.user?.groups) user.groups = status.user.groups;
      if (status.user?.extra) user.extra = status.user.extra;
      return { authenticated: true, user };
    },
    async reviewAccess(user, path, verb) {
      const status = await post<SubjectAccessReviewStatus>('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          uid: user.uid,
          groups: user.groups,
          extra: user.extra,
          nonResourceAttributes: { path, verb },
        },
      });
      return { allowed: status?.allowed === true && status.denied !== true, reason: status?.reason };
    },
  };
}
