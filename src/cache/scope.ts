/**
 * Cache scoping (controller-runtime's `cache.Options`): which namespaces, selectors and transform
 * the informers of a type get, and how a consumer's own informer options combine with them.
 *
 * - Namespaces: the scope's, or those of `defaultNamespaces`. A consumer may narrow to one of them
 *   (`{ namespace: 'team-a' }`); asking for another, or for an object in another, is a
 *   `CacheScopeError`: a second, wider informer would need the list/watch permission the scope
 *   exists to avoid, and would hold what the operator chose not to hold.
 * - Selectors: the scope's and the consumer's both apply (joined with `,`: both must match).
 * - Transform: the scope's runs first, then the consumer's.
 * - Cluster-scoped types ignore namespaces, as in controller-runtime.
 */
import { KloopError, type KubeObject, parseFieldSelector, parseLabelSelector, type TypeRef } from '../core/index.js';
import type { CacheOptions, CacheTypeOptions, InformerOptions } from './types.js';

/**
 * A read outside the cache's scope: an informer for a namespace the scope does not hold, or a
 * `get`/`list` of a key in such a namespace. Not retryable: widen the scope (`cache.byType` or
 * `cache.defaultNamespaces`) or read with `mgr.kube`, which asks the server.
 */
export class CacheScopeError extends KloopError {
  constructor(message: string) {
    super('KLOOP_OUTSIDE_CACHE_SCOPE', message);
  }
}

/** What the factory makes for one request: member informers' options and the namespaces. */
export interface ScopedRequest<T extends KubeObject> {
  /** Namespaces to hold, one informer each; undefined: no namespace scope (as `options` says). */
  namespaces: readonly string[] | undefined;
  /** The informer options, without `namespace` when `namespaces` is set. */
  options: InformerOptions<T>;
}

/**
 * Selectors a cache scope puts on a type. Under them the cache holds only matching objects: an
 * object that stops matching leaves it (its informer hears a delete) yet still exists.
 */
export interface ScopeSelectors {
  labelSelector?: string;
  fieldSelector?: string;
}

/** Checks the options once, at construction: a typo must not surface at the first read. */
export function validateCacheOptions(cache: CacheOptions | undefined): void {
  if (cache === undefined) return;
  const invalid = (message: string) => new KloopError('KLOOP_INVALID_OPTIONS', `cache: ${message}`);
  const checkNamespaces = (where: string, namespaces: readonly string[] | undefined) => {
    if (namespaces === undefined) return;
    if (namespaces.length === 0) throw invalid(`${where}: namespaces is empty; leave it out to cache every namespace`);
    for (const ns of namespaces) if (typeof ns !== 'string' || ns === '') throw invalid(`${where}: empty namespace`);
  };
  const checkSelectors = (where: string, label: string | undefined, field: string | undefined) => {
    try {
      if (label !== undefined) parseLabelSelector(label);
      if (field !== undefined) parseFieldSelector(field);
    } catch (err) {
      throw invalid(`${where}: ${(err as Error).message}`);
    }
  };
  checkNamespaces('defaultNamespaces', cache.defaultNamespaces);
  checkSelectors('defaults', cache.defaultLabelSelector, cache.defaultFieldSelector);
  const seen = new Set<string>();
  for (const entry of cache.byType ?? []) {
    const id = typeId(entry.type);
    if (seen.has(id)) throw invalid(`byType lists ${id} twice`);
    seen.add(id);
    checkNamespaces(`byType ${id}`, entry.namespaces);
    checkSelectors(`byType ${id}`, entry.labelSelector, entry.fieldSelector);
  }
}

/**
 * The informers a request for `type` with `requested` options is served by, under `cache`.
 * `namespaced` is the type's scope when known (false: cluster-scoped, namespaces ignored).
 * Throws `CacheScopeError` for a namespace outside the scope.
 */
export function scopeRequest<T extends KubeObject>(
  cache: CacheOptions | undefined,
  type: TypeRef,
  requested: InformerOptions<T>,
  namespaced: boolean | undefined,
): ScopedRequest<T> {
  if (cache === undefined) return { namespaces: undefined, options: requested };
  const own = byType(cache, type);
  const scopeNamespaces = namespaced === false ? undefined : (own?.namespaces ?? cache.defaultNamespaces);
  const label = own?.labelSelector ?? cache.defaultLabelSelector;
  const field = own?.fieldSelector ?? cache.defaultFieldSelector;
  const transform = (own?.transform ?? cache.defaultTransform) as ((obj: T) => T) | undefined;
  const options: InformerOptions<T> = {
    ...requested,
    labelSelector: both(label, requested.labelSelector),
    fieldSelector: both(field, requested.fieldSelector),
    transform: composed(transform, requested.transform),
  };
  if (scopeNamespaces === undefined) return { namespaces: undefined, options };
  const { namespace, ...rest } = options;
  if (namespace === undefined || namespace === '') return { namespaces: unique(scopeNamespaces), options: rest };
  if (!scopeNamespaces.includes(namespace)) throw outsideScope(type, namespace, scopeNamespaces);
  return { namespaces: [namespace], options: rest };
}

/** The label and field selectors `cache` puts on every informer of `type`; undefined when none. */
export function scopeSelectors(cache: CacheOptions | undefined, type: TypeRef): ScopeSelectors | undefined {
  if (cache === undefined) return undefined;
  const own = byType(cache, type);
  const labelSelector = own?.labelSelector ?? cache.defaultLabelSelector;
  const fieldSelector = own?.fieldSelector ?? cache.defaultFieldSelector;
  if (!labelSelector && !fieldSelector) return undefined;
  const out: ScopeSelectors = {};
  if (labelSelector) out.labelSelector = labelSelector;
  if (fieldSelector) out.fieldSelector = fieldSelector;
  return out;
}

/** The error for a read of `namespace` when only `namespaces` are cached. */
export function outsideScope(type: TypeRef, namespace: string, namespaces: readonly string[]): CacheScopeError {
  return new CacheScopeError(
    `${typeId(type)} in namespace ${namespace} is outside the cache's scope (namespaces ${namespaces.join(', ')}): ` +
      'add the namespace to cache.byType or cache.defaultNamespaces, or read it with mgr.kube',
  );
}

function byType(cache: CacheOptions, type: TypeRef): CacheTypeOptions | undefined {
  return cache.byType?.find((e) => e.type.apiVersion === type.apiVersion && e.type.kind === type.kind);
}

/** Both selectors must match: Kubernetes selectors AND their comma-separated requirements. */
function both(scope: string | undefined, requested: string | undefined): string | undefined {
  if (!scope) return requested || undefined;
  if (!requested || requested === scope) return scope;
  return `${scope},${requested}`;
}

const compositions = new WeakMap<object, WeakMap<object, (obj: never) => unknown>>();

/** The scope's transform, then the requested one; the same pair gives the same function (informers share by identity). */
function composed<T>(
  first: ((obj: T) => T) | undefined,
  second: ((obj: T) => T) | undefined,
): ((obj: T) => T) | undefined {
  if (first === undefined) return second;
  if (second === undefined || second === first) return first;
  let bySecond = compositions.get(first);
  if (bySecond === undefined) {
    bySecond = new WeakMap();
    compositions.set(first, bySecond);
  }
  let fn = bySecond.get(second) as ((obj: T) => T) | undefined;
  if (fn === undefined) {
    fn = (obj: T) => second(first(obj));
    bySecond.set(second, fn as (obj: never) => unknown);
  }
  return fn;
}

function unique(namespaces: readonly string[]): string[] {
  return [...new Set(namespaces)];
}

function typeId(type: TypeRef): string {
  return `${type.apiVersion}/${type.kind}`;
}
