/**
 * Resource types the server does not serve (yet): a custom resource whose CRD is not installed,
 * an API group turned off. An informer of such a type cannot list; rather than fail every
 * reflector attempt with the same error, its list waits here, asking discovery again every
 * `pollMs`, and says what is wrong once per `reportEveryMs` with the fix ("no resource
 * Memcached.cache.example.com: is its CRD installed?"). The manager shows the waiting types in
 * `/readyz` and can fail `start()` on them (`cacheSyncTimeoutMs`).
 */
import type { Logger } from 'pino';
import {
  type Clock,
  parseApiVersion,
  type ResourceType,
  sleep,
  type TypeRef,
  UnknownTypeError,
} from '../core/index.js';

/** How often a missing type is looked up again, ms. */
export const DEFAULT_MISSING_TYPE_POLL_MS = 5_000;
/** How often a type still missing is reported again, ms. */
export const DEFAULT_MISSING_TYPE_REPORT_MS = 60_000;

/** A type some informer waits for. */
export interface MissingType {
  type: TypeRef;
  /** When it was first found missing (the clock's time). */
  since: number;
  /** What is wrong and how to fix it. */
  message: string;
}

/** Options of {@link TypeWaiter}. */
export interface TypeWaiterOptions {
  clock: Clock;
  logger: Logger;
  /** Default {@link DEFAULT_MISSING_TYPE_POLL_MS}. */
  pollMs?: number;
  /** Default {@link DEFAULT_MISSING_TYPE_REPORT_MS}. */
  reportEveryMs?: number;
}

/**
 * The message for a type the server has no resource of, with the likely fix:
 * `no resource Memcached.cache.example.com: is its CRD installed?`.
 *
 * @example
 * ```ts
 * missingTypeMessage({ apiVersion: 'cache.example.com/v1alpha1', kind: 'Memcached' });
 * // 'no resource Memcached.cache.example.com: is its CRD installed?'
 * ```
 */
export function missingTypeMessage(type: TypeRef): string {
  const { group } = parseApiVersion(type.apiVersion);
  // Kubernetes' own groups are the core group and those ending in k8s.io; the rest are CRDs
  // (or aggregated APIs, rarer).
  const builtIn = group === '' || group === 'k8s.io' || group.endsWith('.k8s.io') || !group.includes('.');
  const name = group === '' ? `${type.kind} (${type.apiVersion})` : `${type.kind}.${group}`;
  return builtIn
    ? `no resource ${name}: is the API ${type.apiVersion} enabled on this server?`
    : `no resource ${name}: is its CRD installed?`;
}

/**
 * Resolves types through discovery, waiting while the server has none of the type.
 *
 * @remarks Recovery: only "no such resource" is waited out (polled every `pollMs`); any other
 * error of discovery (connection, 403) is thrown to the caller, whose own backoff retries it.
 */
export class TypeWaiter {
  readonly #resolve: (type: TypeRef, signal?: AbortSignal) => Promise<ResourceType>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #pollMs: number;
  readonly #reportEveryMs: number;
  readonly #missing = new Map<string, MissingType & { reportedAt: number; waiters: number }>();

  constructor(resolve: (type: TypeRef, signal?: AbortSignal) => Promise<ResourceType>, options: TypeWaiterOptions) {
    this.#resolve = resolve;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#pollMs = options.pollMs ?? DEFAULT_MISSING_TYPE_POLL_MS;
    this.#reportEveryMs = options.reportEveryMs ?? DEFAULT_MISSING_TYPE_REPORT_MS;
  }

  /** Types waited for now, oldest first. */
  missing(): MissingType[] {
    return [...this.#missing.values()]
      .filter((m) => m.waiters > 0)
      .map(({ type, since, message }) => ({ type, since, message }));
  }

  /** The message for `type` while it is waited for, else undefined. */
  missingMessage(type: TypeRef): string | undefined {
    const m = this.#missing.get(typeId(type));
    return m && m.waiters > 0 ? m.message : undefined;
  }

  /**
   * The resource type of `type`, once the server serves it. Rejects with `signal`'s reason when
   * aborted, and with discovery's error when that is not "no such resource".
   */
  async waitFor(type: TypeRef, signal?: AbortSignal): Promise<ResourceType> {
    let counted = false;
    const id = typeId(type);
    try {
      for (;;) {
        if (signal?.aborted) throw signal.reason;
        try {
          const found = await this.#resolve(type, signal);
          const was = this.#missing.get(id);
          if (was !== undefined) {
            this.#missing.delete(id);
            this.#logger.info({ type: `${type.apiVersion}/${type.kind}` }, 'kloop: resource type now served');
          }
          return found;
        } catch (err) {
          if (!(err instanceof UnknownTypeError)) throw err;
        }
        const entry = this.#note(type, id);
        if (!counted) {
          entry.waiters++;
          counted = true;
        }
        await sleep(this.#clock, this.#pollMs, signal);
      }
    } finally {
      const entry = this.#missing.get(id);
      if (counted && entry !== undefined) entry.waiters--;
    }
  }

  /** Records `type` as missing and reports it, at most once per `reportEveryMs`. */
  #note(type: TypeRef, id: string): MissingType & { reportedAt: number; waiters: number } {
    const now = this.#clock.now();
    let entry = this.#missing.get(id);
    if (entry === undefined) {
      entry = { type, since: now, message: missingTypeMessage(type), reportedAt: now, waiters: 0 };
      this.#missing.set(id, entry);
      this.#report(entry, now);
    } else if (now - entry.reportedAt >= this.#reportEveryMs) {
      entry.reportedAt = now;
      this.#report(entry, now);
    }
    return entry;
  }

  #report(entry: MissingType, now: number): void {
    this.#logger.error(
      {
        type: `${entry.type.apiVersion}/${entry.type.kind}`,
        waitingMs: Math.round(now - entry.since),
        err: new MissingTypeError(entry.type),
      },
      entry.message,
    );
  }
}

/** A resource type the server does not serve; raised by `start()` when it cannot wait longer. */
export class MissingTypeError extends UnknownTypeError {
  readonly type: TypeRef;
  constructor(type: TypeRef) {
    super(missingTypeMessage(type));
    this.type = { apiVersion: type.apiVersion, kind: type.kind };
  }
}

function typeId(type: TypeRef): string {
  return `${type.apiVersion}/${type.kind}`;
}
