/**
 * RBAC from declarations: the permissions a manager needs, derived from what it was told to do,
 * as controller-gen derives them from `+kubebuilder:rbac` markers (but without markers to keep in
 * step with the code). The manager knows
 *
 * - every type it reads: each controller's `for`, `owns` and `watches` kinds and every informer
 *   asked of it (`get`, `list`, `watch`), within the cache's scope: a type cached in some
 *   namespaces is granted by a Role in each, else by the ClusterRole;
 * - what its controllers write: the `for` kind (`update`, `patch`: finalizers and annotations),
 *   its `status` subresource (`update`, `patch`) when it has one, its `finalizers` subresource
 *   (`update`: the API server requires it to set `blockOwnerDeletion` on owned objects) and every
 *   owned kind (`create`, `update`, `patch`, `delete`);
 * - Events (core `events`: `create`, `patch`) where its controllers reconcile;
 * - the Leases of leader election (`get`, `create`, `update`) or sharding (also `list`, `delete`)
 *   in their namespace, in a Role of their own as kubebuilder's `leader-election-role`;
 * - the TokenReviews and SubjectAccessReviews of authenticated metrics (`http.metricsAuth`);
 * - and the rules declared with `.rbac(...)` on a controller or `rbac` on the manager, for what
 *   the builder cannot see.
 *
 * Each permission is kept with the reason it is needed, so the check at start
 * (`rbac-check.ts`) can name what is missing and why.
 */
import type { CacheOptions } from '../cache/index.js';
import type { ControllerPermissions, RbacRule } from '../controller/index.js';
import { BUILTIN_RESOURCE_TYPES, parseApiVersion, type TypeRef } from '../core/index.js';
import { ManagerError } from './errors.js';

/** One verb on one resource (or subresource) of a group, cluster-wide or in one namespace. */
export interface RbacPermission {
  group: string;
  /** Plural resource name, e.g. `deployments`. */
  resource: string;
  subresource?: string;
  verb: string;
  /** The namespace of the Role granting it; absent: the ClusterRole. */
  namespace?: string;
  resourceName?: string;
  /** Why the manager needs it, e.g. `controller memcached: owns apps/v1/Deployment`. */
  reason: string;
}

/** A rule of a Role or ClusterRole, as the API writes it. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/**
 * The rules a manager needs (`mgr.rbacRules()`), grouped as the manifests grant them: one
 * ClusterRole, one Role per namespace the cache is scoped to, and the leader-election Role.
 */
export interface DerivedRbac {
  /** Rules of the ClusterRole (cluster-wide reads and writes). */
  clusterRules: PolicyRule[];
  /** Rules of a Role in each namespace, by namespace, sorted. */
  namespaceRules: { namespace: string; rules: PolicyRule[] }[];
  /** The Lease rules of leader election or sharding, in their namespace. */
  leaderElection?: { namespace: string; rules: PolicyRule[] };
  /** Every permission one by one, with its reason: what the check at start asks about. */
  permissions: RbacPermission[];
}

/** What the derivation reads from a manager. */
export interface RbacSources {
  controllers: readonly ControllerPermissions[];
  /** Types read through `mgr.informer(type)` or the cached client before start. */
  informerTypes?: readonly TypeRef[];
  cache?: CacheOptions;
  /** Resource types the manager knows beyond the built-ins (`options.resources`). */
  resources?: readonly TypeRef[];
  /** Namespace of the leader-election Lease, when electing. */
  leaderElection?: { namespace: string };
  /** Namespace of the shard Leases, when sharding. */
  sharding?: { namespace: string };
  /** Rules declared on the manager (`options.rbac`). */
  rbac?: readonly RbacRule[];
  /**
   * `/metrics` authenticates scrapes with the manager's own connection (`http.metricsAuth`
   * without `reviews`): it sends TokenReviews and SubjectAccessReviews.
   */
  metricsAuth?: boolean;
}

const READ = ['get', 'list', 'watch'] as const;
const OWN = ['create', 'update', 'patch', 'delete'] as const;

/** Plural and scope of a type: carried by defined resources, known for built-ins, else guessed. */
interface TypeFacts {
  group: string;
  plural: string;
  namespaced: boolean;
  hasStatus: boolean;
}

function factsOf(type: TypeRef, known: readonly TypeRef[]): TypeFacts {
  const group = parseApiVersion(type.apiVersion).group;
  const candidates = [
    type,
    ...known.filter((k) => sameKind(k, type)),
    ...BUILTIN_RESOURCE_TYPES.filter((b) => sameKind(b, type)),
  ];
  for (const candidate of candidates) {
    const c = candidate as Partial<{ plural: string; namespaced: boolean; subresources: readonly string[] }>;
    if (typeof c.plural === 'string' && typeof c.namespaced === 'boolean') {
      return {
        group,
        plural: c.plural,
        namespaced: c.namespaced,
        hasStatus: c.subresources?.includes('status') ?? false,
      };
    }
  }
  // Unknown to this process: the plural as kubebuilder guesses it (its markers need it spelled).
  return { group, plural: guessPlural(type.kind), namespaced: true, hasStatus: false };
}

function sameKind(a: TypeRef, b: TypeRef): boolean {
  return a.kind === b.kind && parseApiVersion(a.apiVersion).group === parseApiVersion(b.apiVersion).group;
}

/** English plural as the API machinery's `UnsafeGuessKindToResource` makes it. */
export function guessPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y') && !/[aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** The namespaces `cache` holds for a namespaced `type`; undefined: every namespace. */
function scopeNamespaces(cache: CacheOptions | undefined, type: TypeRef): readonly string[] | undefined {
  if (cache === undefined) return undefined;
  const own = cache.byType?.find((e) => e.type.apiVersion === type.apiVersion && e.type.kind === type.kind);
  return own?.namespaces ?? cache.defaultNamespaces;
}

/**
 * The permissions and rules a manager with these declarations needs.
 *
 * @example
 * ```ts
 * import { ConfigMap, deriveRbac, Secret } from 'kloop';
 *
 * const rbac = deriveRbac({
 *   controllers: [{ controller: 'mirror', sources: [{ kind: 'for', type: ConfigMap }, { kind: 'owns', type: Secret }], rbac: [] }],
 *   cache: { defaultNamespaces: ['team-a'] },
 * });
 * rbac.namespaceRules[0]?.namespace; // 'team-a'
 * ```
 */
export function deriveRbac(sources: RbacSources): DerivedRbac {
  const known = sources.resources ?? [];
  const permissions: RbacPermission[] = [];
  const add = (type: TypeRef, verbs: readonly string[], reason: string, subresource?: string) => {
    const facts = factsOf(type, known);
    const namespaces = facts.namespaced ? scopeNamespaces(sources.cache, type) : undefined;
    for (const namespace of namespaces ?? [undefined]) {
      for (const verb of verbs) {
        const p: RbacPermission = { group: facts.group, resource: facts.plural, verb, reason };
        if (subresource !== undefined) p.subresource = subresource;
        if (namespace !== undefined) p.namespace = namespace;
        permissions.push(p);
      }
    }
    return facts;
  };
  const eventNamespaces = new Set<string | undefined>();
  for (const c of sources.controllers) {
    for (const source of c.sources) {
      const id = `${source.type.apiVersion}/${source.type.kind}`;
      const reason = `controller ${c.controller}: ${source.kind} ${id}`;
      if (source.kind === 'watches') {
        add(source.type, READ, reason);
      } else if (source.kind === 'owns') {
        add(source.type, [...READ, ...OWN], reason);
      } else {
        const facts = add(source.type, [...READ, 'update', 'patch'], reason);
        if (facts.hasStatus) add(source.type, ['update', 'patch'], `${reason} (status writes)`, 'status');
        add(source.type, ['update'], `${reason} (finalizers, blockOwnerDeletion)`, 'finalizers');
        const namespaces = facts.namespaced ? scopeNamespaces(sources.cache, source.type) : undefined;
        for (const ns of namespaces ?? [undefined]) eventNamespaces.add(ns);
      }
    }
    for (const rule of c.rbac) permissions.push(...expand(rule, `controller ${c.controller}: declared rbac`));
  }
  for (const type of sources.informerTypes ?? []) add(type, READ, `informer ${type.apiVersion}/${type.kind}`);
  // Events go to the namespace of the object reconciled; cluster-wide when any controller is.
  const eventScopes = eventNamespaces.has(undefined) ? [undefined] : [...eventNamespaces];
  for (const namespace of eventScopes) {
    for (const verb of ['create', 'patch']) {
      const p: RbacPermission = { group: '', resource: 'events', verb, reason: 'controllers record Events' };
      if (namespace !== undefined) p.namespace = namespace;
      permissions.push(p);
    }
  }
  for (const rule of sources.rbac ?? []) permissions.push(...expand(rule, 'manager: declared rbac'));
  if (sources.metricsAuth) {
    const reason = 'authenticated metrics (http.metricsAuth)';
    permissions.push(
      { group: 'authentication.k8s.io', resource: 'tokenreviews', verb: 'create', reason },
      { group: 'authorization.k8s.io', resource: 'subjectaccessreviews', verb: 'create', reason },
    );
  }
  const leasePermissions: RbacPermission[] = [];
  const lease = (namespace: string, verbs: readonly string[], reason: string) => {
    for (const verb of verbs)
      leasePermissions.push({ group: 'coordination.k8s.io', resource: 'leases', verb, namespace, reason });
  };
  if (sources.leaderElection) lease(sources.leaderElection.namespace, ['get', 'create', 'update'], 'leader election');
  if (sources.sharding) lease(sources.sharding.namespace, ['get', 'list', 'create', 'update', 'delete'], 'sharding');
  const all = dedupe([...permissions, ...leasePermissions]);
  const byNamespace = new Map<string, RbacPermission[]>();
  const cluster: RbacPermission[] = [];
  for (const p of dedupe(permissions)) {
    if (p.namespace === undefined) cluster.push(p);
    else byNamespace.set(p.namespace, [...(byNamespace.get(p.namespace) ?? []), p]);
  }
  const derived: DerivedRbac = {
    clusterRules: toRules(cluster),
    namespaceRules: [...byNamespace.keys()].sort().map((namespace) => ({
      namespace,
      rules: toRules(byNamespace.get(namespace) ?? []),
    })),
    permissions: all,
  };
  const leaseNamespace = sources.leaderElection?.namespace ?? sources.sharding?.namespace;
  if (leaseNamespace !== undefined)
    derived.leaderElection = { namespace: leaseNamespace, rules: toRules(leasePermissions) };
  return derived;
}

/**
 * Verbs whose requests carry no object name, so a rule limited to `resourceNames` never matches
 * them (RBAC's documented limit), while a review that names the object says allowed.
 */
const UNNAMED_VERBS = ['create', 'deletecollection'];

/** A declared rule as single permissions (one per group, resource, verb, name and namespace). */
function expand(rule: RbacRule, reason: string): RbacPermission[] {
  if (rule.resourceNames !== undefined && rule.resourceNames.length > 0) {
    for (const verb of rule.verbs.filter((v) => UNNAMED_VERBS.includes(v))) {
      const what = `${verb} ${rule.apiGroups.map((g) => g || 'core').join(',')}/${rule.resources.join(',')}`;
      throw new ManagerError(
        `${reason.replace(': declared rbac', '')}: rbac: ${what} cannot be limited to resourceNames ` +
          `(${rule.resourceNames.join(', ')}): a ${verb} request carries no name, so RBAC never matches it; ` +
          `declare ${verb} in a rule of its own, without resourceNames`,
      );
    }
  }
  const out: RbacPermission[] = [];
  for (const namespace of rule.namespaces ?? [undefined]) {
    for (const group of rule.apiGroups) {
      for (const full of rule.resources) {
        const [resource = full, subresource] = full.split('/');
        for (const verb of rule.verbs) {
          for (const resourceName of rule.resourceNames ?? [undefined]) {
            const p: RbacPermission = { group, resource, verb, reason };
            if (subresource !== undefined) p.subresource = subresource;
            if (namespace !== undefined) p.namespace = namespace;
            if (resourceName !== undefined) p.resourceName = resourceName;
            out.push(p);
          }
        }
      }
    }
  }
  return out;
}

function permissionId(p: RbacPermission): string {
  return [p.namespace ?? '', p.group, p.resource, p.subresource ?? '', p.resourceName ?? '', p.verb].join('\u0000');
}

/** Each permission once (the first reason wins). */
function dedupe(permissions: readonly RbacPermission[]): RbacPermission[] {
  const seen = new Map<string, RbacPermission>();
  for (const p of permissions) if (!seen.has(permissionId(p))) seen.set(permissionId(p), p);
  return [...seen.values()];
}

/**
 * Permissions as rules, grouped as controller-gen groups them: one rule per API group and set of
 * verbs (and resource names), resources sorted, rules sorted by group then resources.
 */
export function toRules(permissions: readonly RbacPermission[]): PolicyRule[] {
  const verbs = new Map<string, { group: string; resource: string; name?: string; verbs: Set<string> }>();
  for (const p of permissions) {
    const resource = p.subresource ? `${p.resource}/${p.subresource}` : p.resource;
    const id = `${p.group}\u0000${resource}\u0000${p.resourceName ?? ''}`;
    let entry = verbs.get(id);
    if (!entry) {
      entry = { group: p.group, resource, verbs: new Set() };
      if (p.resourceName !== undefined) entry.name = p.resourceName;
      verbs.set(id, entry);
    }
    entry.verbs.add(p.verb);
  }
  const rules = new Map<string, PolicyRule>();
  for (const entry of verbs.values()) {
    const sortedVerbs = [...entry.verbs].sort();
    const id = `${entry.group}\u0000${sortedVerbs.join(',')}\u0000${entry.name ?? ''}`;
    const rule = rules.get(id);
    if (rule) rule.resources.push(entry.resource);
    else {
      const created: PolicyRule = { apiGroups: [entry.group], resources: [entry.resource], verbs: sortedVerbs };
      if (entry.name !== undefined) created.resourceNames = [entry.name];
      rules.set(id, created);
    }
  }
  for (const rule of rules.values()) rule.resources.sort();
  return [...rules.values()].sort((a, b) => {
    const ga = a.apiGroups[0] ?? '';
    const gb = b.apiGroups[0] ?? '';
    if (ga !== gb) return ga < gb ? -1 : 1;
    const ra = a.resources.join(',');
    const rb = b.resources.join(',');
    return ra < rb ? -1 : ra > rb ? 1 : 0;
  });
}

/** A permission as a person reads it: `list apps/deployments in namespace default`. */
export function describePermission(p: RbacPermission): string {
  const resource = `${p.group === '' ? 'core' : p.group}/${p.resource}${p.subresource ? `/${p.subresource}` : ''}`;
  const name = p.resourceName ? ` named ${p.resourceName}` : '';
  const where = p.namespace === undefined ? 'cluster-wide' : `in namespace ${p.namespace}`;
  return `${p.verb} ${resource}${name} ${where} (${p.reason})`;
}
