/**
 * Leader election on a coordination.k8s.io/v1 Lease, the way client-go's `leaderelection` does it,
 * with one addition: fencing. `canWrite()` is true only while the last successful renewal is
 * younger than the renew deadline, so a paused or partitioned leader stops writing before any
 * other candidate may take over (others wait a whole lease duration after the record last changed).
 */

import {
  ApiError,
  type CancelTimer,
  type Clock,
  KloopError,
  type KubeObject,
  sleep,
  systemClock,
  WriteFencedError,
} from '../core/index.js';
import { defaultIdentity } from './identity.js';

/** `spec` of a coordination.k8s.io/v1 Lease. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface LeaseObject extends KubeObject {
  spec?: LeaseSpec;
}

/** The three calls leader election makes; `leaseClientFor(client)` adapts a `KubeClient`. */
export interface LeaseClient {
  /** The Lease, or undefined when it does not exist. */
  get(namespace: string, name: string): Promise<LeaseObject | undefined>;
  /** Fails with an `ApiError` 409 AlreadyExists when someone created it first. */
  create(lease: LeaseObject): Promise<LeaseObject>;
  /** A PUT with the Lease's resourceVersion: fails with an `ApiError` 409 Conflict on a race. */
  update(lease: LeaseObject): Promise<LeaseObject>;
}

export interface LeaderElectionOptions {
  /** Lease name. */
  name: string;
  namespace: string;
  /** This candidate's identity; default `$POD_NAME` (else the host name) + a unique suffix (`defaultIdentity`). */
  identity?: string;
  /** How long a lease is valid without renewal, ms (default 15 000). */
  leaseDuration?: number;
  /** The leader gives up when it could not renew for this long, ms (default 10 000). */
  renewDeadline?: number;
  /** Time between attempts, ms (default 2 000). */
  retryPeriod?: number;
  clock?: Clock;
  /** Wall time for the Lease's acquireTime/renewTime (default `() => new Date()`). */
  wallClock?: () => Date;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes (including to this candidate). */
  onNewLeader?: (identity: string) => void;
  /** Errors other than lost races (network, server) are reported here. */
  onError?: (err: unknown) => void;
}

/** `metav1.MicroTime` format: `2006-01-02T15:04:05.000000Z`. */
export function microTime(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000Z`;
}

/**
 * One candidate in a leader election.
 *
 * @example
 * ```ts
 * import { KubeClient, leaseClientFor } from 'kloop';
 *
 * const client = KubeClient.fromKubeconfig();
 * const elector = new LeaderElector(leaseClientFor(client), { name: 'my-operator', namespace: 'default' });
 * const controller = new AbortController();
 * void elector.run(controller.signal);
 * await elector.leading; // resolves when this process leads
 * if (elector.canWrite()) console.log('leading with a fresh lease: writes are allowed');
 * ```
 *
 * @remarks
 * Recovery: errors while acquiring are retried every `retryPeriod`. A leader that cannot renew
 * within `renewDeadline` steps down (`onStoppedLeading`) and goes back to acquiring. On `stop` the
 * lease is released (holder emptied) so the next candidate takes over at once.
 */
export class LeaderElector {
  readonly identity: string;
  readonly #client: LeaseClient;
  readonly #opts: Required<
    Omit<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading' | 'onNewLeader' | 'onError' | 'identity'>
  > &
    LeaderElectionOptions;
  readonly #clock: Clock;
  #observed: LeaseObject | undefined;
  #observedAt = 0;
  #lastRenewSentAt = Number.NEGATIVE_INFINITY;
  #leading = false;
  #leader: string | undefined;
  #leadingWaiters: Array<() => void> = [];
  /** Aborted when the current right to write ends (see `fenceSignal`). */
  #term: AbortController | undefined;
  #termTimer: CancelTimer | undefined;

  constructor(client: LeaseClient, options: LeaderElectionOptions) {
    const leaseDuration = options.leaseDuration ?? 15_000;
    const renewDeadline = options.renewDeadline ?? 10_000;
    const retryPeriod = options.retryPeriod ?? 2_000;
    if (!(leaseDuration > renewDeadline)) {
      throw new KloopError('KLOOP_INVALID_OPTIONS', 'leaderElection: leaseDuration must be greater than renewDeadline');
    }
    if (!(renewDeadline > retryPeriod)) {
      throw new KloopError('KLOOP_INVALID_OPTIONS', 'leaderElection: renewDeadline must be greater than retryPeriod');
    }
    this.#client = client;
    this.#clock = options.clock ?? systemClock;
    this.identity = options.identity ?? defaultIdentity();
    this.#opts = {
      ...options,
      leaseDuration,
      renewDeadline,
      retryPeriod,
      clock: this.#clock,
      wallClock: options.wallClock ?? (() => new Date()),
    };
  }

  /** The identity of the current holder as last observed. */
  get leader(): string | undefined {
    return this.#leader;
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Fencing: true only while this candidate leads and its last successful renewal was sent less
   * than `renewDeadline` ago. Others may take over only `leaseDuration` after they last saw the
   * record change, so the difference is the margin for a slow request or clock drift.
   */
  canWrite(): boolean {
    return this.#leading && this.#clock.now() - this.#lastRenewSentAt < this.#opts.renewDeadline;
  }

  /**
   * An AbortSignal that aborts the moment `canWrite()` turns false (renew deadline passed, or
   * stepped down); already aborted when it is false now. Pass it to a write so that retries of
   * that write (a 429's `Retry-After` wait, a slow connection) stop at the deadline too: checking
   * `canWrite()` only before the first attempt would let a retry leave the process later.
   */
  fenceSignal(): AbortSignal {
    if (!this.canWrite() || this.#term === undefined || this.#term.signal.aborted)
      return AbortSignal.abort(new WriteFencedError());
    return this.#term.signal;
  }

  /** Resolves when this candidate next becomes (or already is) the leader. */
  get leading(): Promise<void> {
    if (this.#leading) return Promise.resolve();
    return new Promise((resolve) => this.#leadingWaiters.push(resolve));
  }

  /**
   * Campaigns until `signal` aborts: acquire, then renew every `retryPeriod`; step down when a
   * renewal has not succeeded for `renewDeadline`, then campaign again. Releases the lease on abort.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.#acquire(signal);
      if (signal.aborted) break;
      await this.#renewUntilLost(signal);
    }
    if (this.#leading) {
      // Fence first: nothing of ours may be in the air once the holder is emptied.
      this.#endFence();
      await this.#release();
      this.#stepDown();
    }
    this.#endFence();
  }

  async #acquire(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (await this.#tryAcquireOrRenew()) {
        this.#leading = true;
        this.#opts.onStartedLeading?.();
        for (const resolve of this.#leadingWaiters.splice(0)) resolve();
        return;
      }
      // An abort ends the wait early.
      await sleep(this.#clock, this.#jittered(this.#opts.retryPeriod), signal).catch(() => {});
    }
  }

  async #renewUntilLost(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.#clock, this.#opts.retryPeriod, signal).catch(() => {}); // an abort ends the wait early
      if (signal.aborted) return;
      const renewed = await this.#tryAcquireOrRenew();
      if (!renewed && this.#clock.now() - this.#lastRenewSentAt >= this.#opts.renewDeadline) {
        this.#stepDown();
        return;
      }
      if (!renewed && this.#leader !== undefined && this.#leader !== this.identity) {
        // Someone else holds the lease (our record was replaced): we lost it outright.
        this.#stepDown();
        return;
      }
    }
  }

  /** After a successful acquire or renewal: the right to write lasts until sentAt + renewDeadline. */
  #armFence(sentAt: number): void {
    this.#termTimer?.();
    if (this.#term === undefined || this.#term.signal.aborted) this.#term = new AbortController();
    const term = this.#term;
    this.#termTimer = this.#clock.setTimer(
      () => term.abort(new WriteFencedError()),
      sentAt + this.#opts.renewDeadline - this.#clock.now(),
    );
  }

  #endFence(): void {
    this.#termTimer?.();
    this.#termTimer = undefined;
    this.#term?.abort(new WriteFencedError());
    this.#term = undefined;
  }

  #stepDown(): void {
    this.#endFence();
    if (!this.#leading) return;
    this.#leading = false;
    this.#lastRenewSentAt = Number.NEGATIVE_INFINITY;
    this.#opts.onStoppedLeading?.();
  }

  /** One attempt; true when this candidate holds the lease afterwards. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const sentAt = this.#clock.now();
    const now = microTime(this.#opts.wallClock());
    const { name, namespace, leaseDuration } = this.#opts;
    try {
      const current = await this.#client.get(namespace, name);
      if (current === undefined) {
        const created = await this.#client.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: {
            holderIdentity: this.identity,
            leaseDurationSeconds: Math.ceil(leaseDuration / 1000),
            acquireTime: now,
            renewTime: now,
            leaseTransitions: 0,
          },
        });
        this.#observe(created, sentAt);
        this.#lastRenewSentAt = sentAt;
        this.#armFence(sentAt);
        return true;
      }
      this.#observe(current, this.#clock.now());
      const spec = current.spec ?? {};
      const holder = spec.holderIdentity ?? '';
      const heldByOther = holder !== '' && holder !== this.identity;
      // Expiry is judged by the holder's own leaseDurationSeconds, as client-go does: its fence
      // (renewDeadline) is safe only against that duration, which may differ from ours.
      const holderDuration =
        (spec.leaseDurationSeconds ?? 0) > 0 ? (spec.leaseDurationSeconds ?? 0) * 1000 : leaseDuration;
      if (heldByOther && this.#clock.now() - this.#observedAt < holderDuration) return false;
      const transitions = spec.leaseTransitions ?? 0;
      const updated = await this.#client.update({
        ...current,
        spec: {
          ...spec,
          holderIdentity: this.identity,
          leaseDurationSeconds: Math.ceil(leaseDuration / 1000),
          acquireTime: holder === this.identity ? (spec.acquireTime ?? now) : now,
          renewTime: now,
          leaseTransitions: holder === this.identity ? transitions : transitions + 1,
        },
      });
      this.#observe(updated, sentAt);
      this.#lastRenewSentAt = sentAt;
      this.#armFence(sentAt);
      return true;
    } catch (err) {
      if (!(err instanceof ApiError && (ApiError.isConflict(err) || ApiError.isAlreadyExists(err)))) {
        this.#opts.onError?.(err);
      }
      return false;
    }
  }

  /** Records the lease; the observation time moves only when the record itself changed. */
  #observe(lease: LeaseObject, at: number): void {
    const before = this.#observed?.spec;
    const after = lease.spec ?? {};
    const changed =
      before === undefined ||
      before.holderIdentity !== after.holderIdentity ||
      before.renewTime !== after.renewTime ||
      before.acquireTime !== after.acquireTime ||
      before.leaseTransitions !== after.leaseTransitions;
    this.#observed = lease;
    if (changed) this.#observedAt = at;
    const holder = after.holderIdentity ?? '';
    if (holder !== '' && holder !== this.#leader) {
      this.#leader = holder;
      this.#opts.onNewLeader?.(holder);
    }
  }

  /** Empties the holder so the next candidate need not wait for the lease to expire. */
  async #release(): Promise<void> {
    const observed = this.#observed;
    if (observed === undefined || observed.spec?.holderIdentity !== this.identity) return;
    try {
      const now = microTime(this.#opts.wallClock());
      const released = await this.#client.update({
        ...observed,
        spec: { ...observed.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
      });
      this.#observe(released, this.#clock.now());
    } catch (err) {
      this.#opts.onError?.(err);
    }
  }

  #jittered(ms: number): number {
    return ms * (1 + Math.random() * 0.2);
  }
}
