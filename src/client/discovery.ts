/**
 * Resource type resolution: built-ins are known statically; anything else (custom resources,
 * aggregated APIs) is learnt from legacy discovery (`/api/v1`, `/apis/<group>/<version>`),
 * cached per group-version, and fetched again when a lookup misses.
 */

import { type ResourceType, ResourceTypeRegistry, UnknownTypeError } from '../core/index.js';
import type { TypeLike } from './types.js';

interface APIResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
}

interface APIResourceList {
  groupVersion?: string;
  resources?: APIResource[];
}

/** Fetches a discovery document; resolves `undefined` on 404. */
export type DiscoveryFetch = (path: string, signal?: AbortSignal) => Promise<unknown>;

/**
 * Maps `{ apiVersion, kind }` to a `ResourceType`, asking the server when the type is not a
 * built-in or was not seen yet.
 *
 * @example
 * ```ts
 * import { KubeClient } from 'kloop';
 *
 * const client = KubeClient.fromKubeconfig();
 * const rt = await client.discovery.resolve({ apiVersion: 'example.com/v1', kind: 'Widget' });
 * rt.plural; // 'widgets'
 * ```
 */
export class Discovery {
  /** Every type known so far (built-ins plus what discovery returned). */
  readonly registry: ResourceTypeRegistry;
  readonly #fetch: DiscoveryFetch;
  readonly #minRefreshMs: number;
  readonly #now: () => number;
  readonly #fetchedAt = new Map<string, number>();
  readonly #inflight = new Map<string, Promise<void>>();

  constructor(fetch: DiscoveryFetch, options: { minRefreshMs?: number; now?: () => number } = {}) {
    this.#fetch = fetch;
    this.#minRefreshMs = options.minRefreshMs ?? 1000;
    this.#now = options.now ?? Date.now;
    this.registry = new ResourceTypeRegistry();
  }

  /** Resolves a type, refreshing its group-version from the server on a miss. */
  async resolve(type: TypeLike, signal?: AbortSignal): Promise<ResourceType> {
    if (isResourceType(type)) return type;
    const known = this.registry.byTypeRef(type);
    if (known) return known;
    const groupVersion = type.apiVersion;
    const last = this.#fetchedAt.get(groupVersion);
    if (last === undefined || this.#now() - last >= this.#minRefreshMs) await this.refresh(groupVersion, signal);
    const found = this.registry.byTypeRef(type);
    if (found) return found;
    // A CRD being created may appear later: the next call asks again (at most once per minRefreshMs).
    throw new UnknownTypeError(`the server has no resource of kind "${type.kind}" in "${type.apiVersion}"`);
  }

  /** Fetches one group-version's resources again; concurrent callers share one request. */
  refresh(groupVersion: string, signal?: AbortSignal): Promise<void> {
    let p = this.#inflight.get(groupVersion);
    if (!p) {
      p = this.#load(groupVersion, signal).finally(() => this.#inflight.delete(groupVersion));
      this.#inflight.set(groupVersion, p);
    }
    return p;
  }

  async #load(groupVersion: string, signal?: AbortSignal): Promise<void> {
    const path = groupVersion.includes('/') ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
    const doc = (await this.#fetch(path, signal)) as APIResourceList | undefined;
    this.#fetchedAt.set(groupVersion, this.#now());
    if (!doc || !Array.isArray(doc.resources)) return;
    const [group, version] = groupVersion.includes('/') ? groupVersion.split('/', 2) : ['', groupVersion];
    const subresources = new Map<string, string[]>();
    for (const r of doc.resources) {
      const slash = r.name.indexOf('/');
      if (slash === -1) continue;
      const parent = r.name.slice(0, slash);
      const list = subresources.get(parent) ?? [];
      list.push(r.name.slice(slash + 1));
      subresources.set(parent, list);
    }
    for (const r of doc.resources) {
      if (r.name.includes('/')) continue;
      const rt: ResourceType = {
        apiVersion: groupVersion,
        kind: r.kind,
        group,
        version,
        plural: r.name,
        singular: r.singularName || r.kind.toLowerCase(),
        namespaced: r.namespaced,
        subresources: subresources.get(r.name) ?? [],
        shortNames: r.shortNames,
        categories: r.categories,
        listKind: `${r.kind}List`,
      };
      const existing = this.registry.byTypeRef(rt);
      // Built-ins keep their static facts (listKind, categories); discovery only adds.
      if (existing && existing.plural === rt.plural) continue;
      this.registry.add(rt);
    }
  }
}

/** True when `type` already carries what URLs need (plural and scope). */
export function isResourceType(type: TypeLike): type is ResourceType {
  return typeof (type as ResourceType).plural === 'string' && typeof (type as ResourceType).namespaced === 'boolean';
}
