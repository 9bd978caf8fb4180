/**
 * The Lease calls of leader election and sharding, over a `KubeClient`: get (undefined on 404),
 * create, update (a PUT carrying the resourceVersion read, so a race answers 409) and a labelled
 * list, all on coordination.k8s.io/v1 Leases. Kept apart from the electors so those can be tested
 * against an in-memory store.
 */
import type { KubeClient } from '../client/index.js';
import { ApiError } from '../core/errors.js';
import type { TypeRef } from '../core/types.js';
import type { Lease, LeaseClient } from './leader-election.js';
import type { ShardLeaseClient } from './sharding.js';

/** `coordination.k8s.io/v1` `Lease`. */
export const LeaseType: TypeRef = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' };

/** The subset of `KubeClient` the adapter calls (lets tests wrap or fault it). */
export type LeaseTransport = Pick<KubeClient, 'get' | 'create' | 'update' | 'list'>;

/**
 * Adapts a `KubeClient` to the `LeaseClient`/`ShardLeaseClient` interfaces.
 *
 * @example
 * ```ts
 * const elector = new LeaderElector(leaseClientFor(mgr.kube), { name: 'my-operator', namespace: 'kube-system' });
 * ```
 *
 * @remarks No retries here: the electors retry every `retryPeriod`, and a lost race (409) is
 * their normal signal. The client's own retry of idempotent GETs still applies.
 */
export function leaseClientFor(kube: LeaseTransport): ShardLeaseClient & LeaseClient {
  return {
    async get(namespace: string, name: string): Promise<Lease | undefined> {
      try {
        return await kube.get<Lease>(LeaseType, { namespace, name });
      } catch (err) {
        if (ApiError.isNotFound(err)) return undefined;
        throw err;
      }
    },
    create(lease: Lease): Promise<Lease> {
      return kube.create<Lease>({ ...lease, apiVersion: LeaseType.apiVersion, kind: LeaseType.kind });
    },
    update(lease: Lease): Promise<Lease> {
      return kube.update<Lease>({ ...lease, apiVersion: LeaseType.apiVersion, kind: LeaseType.kind });
    },
    async list(namespace: string, labelSelector: string): Promise<Lease[]> {
      const list = await kube.list<Lease>(LeaseType, { namespace, labelSelector });
      return list.items;
    },
  };
}
