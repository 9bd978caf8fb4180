/**
 * The Lease calls of leader election and sharding, over a `KubeClient`: get (undefined on 404),
 * create, update (a PUT carrying the resourceVersion read, so a race answers 409) and a labelled
 * list, all on coordination.k8s.io/v1 Leases. Kept apart from the electors so those can be tested
 * against an in-memory store.
 */
import type { KubeClient } from '../client/index.js';
import { ApiError, Lease } from '../core/index.js';
import type { LeaseClient, LeaseObject } from './leader-election.js';
import type { ShardLeaseClient } from './sharding.js';

/** The subset of `KubeClient` the adapter calls (lets tests wrap or fault it). */
export type LeaseTransport = Pick<KubeClient, 'get' | 'create' | 'update' | 'list' | 'delete'>;

/**
 * Adapts a `KubeClient` to the `LeaseClient`/`ShardLeaseClient` interfaces.
 *
 * @example
 * ```ts
 * import { KubeClient, LeaderElector } from 'kloop';
 *
 * const leases = leaseClientFor(KubeClient.fromKubeconfig());
 * const elector = new LeaderElector(leases, { name: 'my-operator', namespace: 'kube-system' });
 * ```
 *
 * @remarks No retries here: the electors retry every `retryPeriod`, and a lost race (409) is
 * their normal signal. The client's own retry of idempotent GETs still applies.
 */
export function leaseClientFor(kube: LeaseTransport): ShardLeaseClient & LeaseClient {
  return {
    async get(namespace: string, name: string): Promise<LeaseObject | undefined> {
      try {
        return await kube.get<LeaseObject>(Lease, { namespace, name });
      } catch (err) {
        if (ApiError.isNotFound(err)) return undefined;
        throw err;
      }
    },
    create(lease: LeaseObject): Promise<LeaseObject> {
      return kube.create<LeaseObject>({ ...lease, apiVersion: Lease.apiVersion, kind: Lease.kind });
    },
    update(lease: LeaseObject): Promise<LeaseObject> {
      return kube.update<LeaseObject>({ ...lease, apiVersion: Lease.apiVersion, kind: Lease.kind });
    },
    async list(namespace: string, labelSelector: string): Promise<LeaseObject[]> {
      const list = await kube.list<LeaseObject>(Lease, { namespace, labelSelector });
      return list.items;
    },
    async delete(namespace: string, name: string, resourceVersion: string): Promise<void> {
      try {
        await kube.delete(Lease, { namespace, name }, { preconditions: { resourceVersion } });
      } catch (err) {
        if (!ApiError.isNotFound(err)) throw err;
      }
    },
  };
}
