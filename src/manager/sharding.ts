/**
 * Sharding on Leases: replicas of one operator split the keys between them.
 *
 * Keys map to a fixed number of shards by a stable hash. Every shard is a Lease held by one
 * replica at a time, acquired and renewed exactly like a leader election (so a shard has one
 * fenced holder). Replicas announce themselves with membership Leases; each replica computes the
 * same assignment of shards to live members by rendezvous hashing and campaigns only for the shards
 * assigned to it. A shard that moves away is first drained (no new keys handed out, in-flight
 * reconciles finish), then released, so the new holder starts only after the old one stopped.
 * A replica that dies simply stops renewing: its shards become free after the lease duration.
 * See docs/sharding.md.
 */

import {
  ApiError,
  type Clock,
  KloopError,
  keyString,
  type ObjectKey,
  sleep,
  systemClock,
  WriteFencedError,
} from '../core/index.js';
import { defaultIdentity } from './identity.js';
import { LeaderElector, type LeaseClient, type LeaseObject, microTime } from './leader-election.js';

/** What sharding needs beyond leader election: listing and removing membership Leases. */
export interface ShardLeaseClient extends LeaseClient {
  list(namespace: string, labelSelector: string): Promise<LeaseObject[]>;
  /**
   * Deletes the Lease only if it still has `resourceVersion` (a precondition: a member that just
   * renewed is never removed). Resolves when it is gone or was already gone; a lost race rejects
   * with the API server's 409.
   */
  delete(namespace: string, name: string, resourceVersion: string): Promise<void>;
}

/** A membership Lease unchanged for this many lease durations belongs to a dead replica. */
const REAP_AFTER_LEASE_DURATIONS = 4;

export interface ShardingOptions {
  /** Base name: shard Leases are `<name>-shard-<i>`, membership Leases `<name>-member-<identity>`. */
  name: string;
  namespace: string;
  /** Number of shards (default 16). Every replica must use the same number. */
  shards?: number;
  /** This replica's identity; default `$POD_NAME` (else the host name) + a unique suffix (`defaultIdentity`). */
  identity?: string;
  leaseDuration?: number;
  renewDeadline?: number;
  retryPeriod?: number;
  clock?: Clock;
  /** Called before a shard is released; resolve once no reconcile of its keys runs. */
  drain?: (shard: number) => Promise<void>;
  /** Called when this replica starts holding a shard (enqueue its keys). */
  onShardGained?: (shard: number) => void;
  /** Called when this replica stops holding a shard. */
  onShardLost?: (shard: number) => void;
  onError?: (err: unknown) => void;
}

const MEMBER_LABEL = 'kloop.dev/sharding-member-of';
/** On membership Leases: the replica's shard count, so replicas that disagree can tell. */
const SHARDS_ANNOTATION = 'kloop.dev/shards';

/**
 * Live replicas declare different shard counts. Shard `i` of 16 and shard `i` of 8 cover different
 * keys under the same Lease name, so such replicas could reconcile one key at once: every replica
 * that sees the mismatch gives its shards back and takes none until it is gone.
 */
export class ShardCountMismatchError extends KloopError {
  constructor(message: string) {
    super('KLOOP_SHARD_COUNT_MISMATCH', message);
  }
}

/**
 * FNV-1a, 32 bits, then murmur3's finaliser so that strings differing in their last character
 * (`a#1`, `a#2`) spread over all bits. Stable across processes and Node versions.
 */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** The shard of a key: namespace/name hashed onto `shards` buckets. */
export function shardOf(key: ObjectKey, shards: number): number {
  return stableHash(keyString(key)) % shards;
}

/**
 * Rendezvous (highest random weight) assignment of shards to members: every replica computing it
 * from the same member list gets the same answer, and a member joining or leaving moves only the
 * shards it wins or held.
 */
export function assignShards(members: readonly string[], shards: number): Map<number, string> {
  const assignment = new Map<number, string>();
  for (let shard = 0; shard < shards; shard++) {
    let best: string | undefined;
    let bestWeight = -1;
    for (const member of members) {
      const weight = stableHash(`${member}#${shard}`);
      if (weight > bestWeight || (weight === bestWeight && best !== undefined && member < best)) {
        best = member;
        bestWeight = weight;
      }
    }
    if (best !== undefined) assignment.set(shard, best);
  }
  return assignment;
}

interface HeldShard {
  elector: LeaderElector;
  stop: AbortController;
  run: Promise<void>;
  releasing: boolean;
}

/**
 * One replica's view of the shards.
 *
 * @example
 * ```ts
 * import { KubeClient, leaseClientFor } from 'kloop';
 *
 * const stop = new AbortController();
 * const sharder = new Sharder(leaseClientFor(KubeClient.fromKubeconfig()), { name: 'mirror', namespace: 'kloop' });
 * void sharder.run(stop.signal);
 * if (sharder.owns({ namespace: 'a', name: 'b' })) console.log('this replica reconciles a/b');
 * ```
 *
 * @remarks
 * Recovery: membership and shard Leases are renewed every `retryPeriod`; a replica that cannot
 * renew a shard within `renewDeadline` stops owning it (fencing) before another may take it.
 */
export class Sharder {
  readonly identity: string;
  readonly shards: number;
  readonly #client: ShardLeaseClient;
  readonly #opts: ShardingOptions & { leaseDuration: number; renewDeadline: number; retryPeriod: number };
  readonly #clock: Clock;
  readonly #held = new Map<number, HeldShard>();
  /** membership lease name -> [renewTime last seen, local time it last changed] */
  readonly #memberSeen = new Map<string, { renewTime: string | undefined; holder: string | undefined; at: number }>();
  #members: string[] = [];
  /** Live members whose declared shard count differs from ours (sorted `identity=count`). */
  #mismatched: string[] = [];

  constructor(client: ShardLeaseClient, options: ShardingOptions) {
    this.shards = options.shards ?? 16;
    if (!Number.isInteger(this.shards) || this.shards < 1 || this.shards > 4096) {
      throw new KloopError(
        'KLOOP_INVALID_OPTIONS',
        `sharding: shards must be an integer in 1..4096, got ${options.shards}`,
      );
    }
    this.#client = client;
    this.#clock = options.clock ?? systemClock;
    this.identity = options.identity ?? defaultIdentity();
    this.#opts = {
      ...options,
      leaseDuration: options.leaseDuration ?? 15_000,
      renewDeadline: options.renewDeadline ?? 10_000,
      retryPeriod: options.retryPeriod ?? 2_000,
    };
  }

  /** Live members as last computed, sorted. */
  get members(): readonly string[] {
    return this.#members;
  }

  /** Live members declaring a shard count other than ours (`identity=count`); non-empty means no shard is held. */
  get mismatchedMembers(): readonly string[] {
    return this.#mismatched;
  }

  /** Shards this replica holds and may write for right now. */
  heldShards(): number[] {
    return [...this.#held.entries()].filter(([, h]) => !h.releasing && h.elector.canWrite()).map(([s]) => s);
  }

  /**
   * True while a reconcile of `key` that already runs may write: this replica holds the key's
   * shard and is within its renew deadline, draining included (unlike `owns`, which turns false
   * as soon as the shard starts moving away so that no new reconcile starts).
   */
  mayWrite(key: ObjectKey): boolean {
    return this.#held.get(shardOf(key, this.shards))?.elector.canWrite() ?? false;
  }

  /** The key's shard's fence (`LeaderElector.fenceSignal`); aborted when the shard is not held. */
  fenceSignal(key: ObjectKey): AbortSignal {
    return (
      this.#held.get(shardOf(key, this.shards))?.elector.fenceSignal() ?? AbortSignal.abort(new WriteFencedError())
    );
  }

  /** True when this replica may reconcile `key` now: it holds the key's shard, fenced. */
  owns(key: ObjectKey): boolean {
    const held = this.#held.get(shardOf(key, this.shards));
    return held !== undefined && !held.releasing && held.elector.canWrite();
  }

  /** Heartbeats membership and rebalances every `retryPeriod` until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#heartbeat();
        await this.#rebalance();
      } catch (err) {
        this.#opts.onError?.(err);
      }
      await sleep(this.#clock, this.#opts.retryPeriod, signal).catch(() => {}); // an abort ends the wait early
    }
    await Promise.all([...this.#held.keys()].map((shard) => this.#release(shard)));
    await this.#leave();
  }

  #memberLeaseName(): string {
    return `${this.#opts.name}-member-${this.identity}`
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-')
      .slice(0, 253);
  }

  async #heartbeat(): Promise<void> {
    const { namespace, name } = this.#opts;
    const leaseName = this.#memberLeaseName();
    const now = microTime(new Date());
    const spec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.#opts.leaseDuration / 1000),
      renewTime: now,
    };
    const annotations = { [SHARDS_ANNOTATION]: String(this.shards) };
    const current = await this.#client.get(namespace, leaseName);
    if (current === undefined) {
      await this.#client.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: leaseName, namespace, labels: { [MEMBER_LABEL]: name }, annotations },
        spec: { ...spec, acquireTime: now },
      });
    } else {
      const metadata = { ...current.metadata, annotations: { ...current.metadata.annotations, ...annotations } };
      await this.#client.update({ ...current, metadata, spec: { ...current.spec, ...spec } });
    }
    const all = await this.#client.list(namespace, `${MEMBER_LABEL}=${name}`);
    const at = this.#clock.now();
    const live: string[] = [];
    const mismatched: string[] = [];
    const listed = new Set<string>();
    for (const lease of all) {
      const leaseKey = lease.metadata.name ?? '';
      listed.add(leaseKey);
      const holder = lease.spec?.holderIdentity;
      const seen = this.#memberSeen.get(leaseKey);
      if (seen === undefined || seen.renewTime !== lease.spec?.renewTime || seen.holder !== holder) {
        this.#memberSeen.set(leaseKey, { renewTime: lease.spec?.renewTime, holder, at });
      }
      const lastChange = this.#memberSeen.get(leaseKey)!.at;
      if (holder !== this.identity && at - lastChange >= REAP_AFTER_LEASE_DURATIONS * this.#opts.leaseDuration) {
        // A replica that died (or left before deletes existed) leaves its Lease behind: remove it,
        // guarded by its resourceVersion so a replica that came back and renewed keeps it.
        this.#reap(lease);
        continue;
      }
      if (!holder) continue;
      if (holder === this.identity || at - lastChange < this.#opts.leaseDuration) {
        live.push(holder);
        // A member without the annotation predates it: nothing to compare.
        const declared = lease.metadata.annotations?.[SHARDS_ANNOTATION];
        if (declared !== undefined && declared !== String(this.shards)) mismatched.push(`${holder}=${declared}`);
      }
    }
    for (const leaseKey of this.#memberSeen.keys()) if (!listed.has(leaseKey)) this.#memberSeen.delete(leaseKey);
    this.#members = [...new Set(live)].sort();
    mismatched.sort();
    if (mismatched.join(',') !== this.#mismatched.join(',') && mismatched.length > 0) {
      this.#opts.onError?.(
        new ShardCountMismatchError(
          `sharding ${name}: this replica has ${this.shards} shards but live members declare otherwise (${mismatched.join(', ')}); holding no shards until they agree`,
        ),
      );
    }
    this.#mismatched = mismatched;
  }

  async #rebalance(): Promise<void> {
    if (this.#mismatched.length > 0) {
      await Promise.all([...this.#held.keys()].map((shard) => this.#release(shard)));
      return;
    }
    const assignment = assignShards(this.#members, this.shards);
    const tasks: Promise<void>[] = [];
    for (let shard = 0; shard < this.shards; shard++) {
      const mine = assignment.get(shard) === this.identity;
      const held = this.#held.get(shard);
      if (mine && held === undefined) this.#campaign(shard);
      else if (!mine && held !== undefined && !held.releasing) tasks.push(this.#release(shard));
    }
    await Promise.all(tasks);
  }

  #campaign(shard: number): void {
    const stop = new AbortController();
    const elector = new LeaderElector(this.#client, {
      name: `${this.#opts.name}-shard-${shard}`,
      namespace: this.#opts.namespace,
      identity: this.identity,
      leaseDuration: this.#opts.leaseDuration,
      renewDeadline: this.#opts.renewDeadline,
      retryPeriod: this.#opts.retryPeriod,
      clock: this.#clock,
      onStartedLeading: () => this.#opts.onShardGained?.(shard),
      onStoppedLeading: () => this.#opts.onShardLost?.(shard),
      onError: this.#opts.onError,
    });
    const run = elector.run(stop.signal);
    this.#held.set(shard, { elector, stop, run, releasing: false });
  }

  /** Drains the shard's in-flight work, then gives its Lease back. */
  async #release(shard: number): Promise<void> {
    const held = this.#held.get(shard);
    if (held === undefined || held.releasing) return;
    held.releasing = true;
    if (held.elector.isLeader()) {
      try {
        await this.#opts.drain?.(shard);
      } catch (err) {
        this.#opts.onError?.(err);
      }
    }
    held.stop.abort();
    await held.run;
    this.#held.delete(shard);
  }

  /** Deletes this replica's membership Lease, so leaving replicas leave nothing behind. */
  async #leave(): Promise<void> {
    try {
      const current = await this.#client.get(this.#opts.namespace, this.#memberLeaseName());
      if (current?.metadata.resourceVersion !== undefined) {
        await this.#client.delete(this.#opts.namespace, current.metadata.name!, current.metadata.resourceVersion);
      }
    } catch (err) {
      this.#opts.onError?.(err);
    }
  }

  #reap(lease: LeaseObject): void {
    const { name, resourceVersion } = lease.metadata;
    if (name === undefined || resourceVersion === undefined) return;
    this.#client.delete(this.#opts.namespace, name, resourceVersion).then(
      () => this.#memberSeen.delete(name),
      (err: unknown) => {
        if (!ApiError.isConflict(err)) this.#opts.onError?.(err);
      },
    );
  }
}
