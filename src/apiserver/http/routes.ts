/**
 * URL parsing: turns a request path into what it names (a resource collection, object or
 * subresource; a discovery document; a health or version endpoint). Pure: the server decides
 * whether the named resource exists.
 *
 * The one ambiguity of the Kubernetes URL space is `/api/v1/namespaces/{ns}/{x}`: the real server
 * reads `status` and `finalize` as subresources of the namespace and anything else as a resource
 * inside it. This parser does the same.
 */

/** A path under `/api/v1` or `/apis/{group}/{version}` that names resources. */
export interface ResourceTarget {
  kind: 'resource';
  group: string;
  version: string;
  /** The namespace of a namespaced path (`/namespaces/{ns}/...`). */
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
  /** The deprecated `/watch/` path prefix was used. */
  watchPrefix?: boolean;
}

/** A discovery document. */
export interface DiscoveryTarget {
  kind: 'discovery';
  /** `api` = /api, `apis` = /apis, `group` = /apis/g, `groupVersion` = /api/v1 or /apis/g/v. */
  level: 'api' | 'apis' | 'group' | 'groupVersion';
  group?: string;
  version?: string;
}

/** Fixed endpoints. */
export interface FixedTarget {
  kind: 'fixed';
  name: 'version' | 'healthz' | 'readyz' | 'livez' | 'openapi-v2' | 'openapi-v3';
}

/** What a request path names. */
export type Target = ResourceTarget | DiscoveryTarget | FixedTarget | { kind: 'unknown' };

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/**
 * Whether `?watch` asks for a watch, read as the API server reads a boolean query parameter
 * (apimachinery `Convert_Slice_string_To_bool`): absent is false, `0` and `false` (any case)
 * are false, anything else is true, the empty string (`?watch=`) included. The router and the
 * authorizer both read it here: were they to differ, a user allowed only to watch would be
 * served a list.
 */
export function watchRequested(query: URLSearchParams): boolean {
  const value = query.get('watch');
  if (value === null) return false;
  return !(value === '0' || value.toLowerCase() === 'false');
}

/**
 * Parses a request path (without the query).
 *
 * @example
 * ```ts
 * parsePath('/apis/apps/v1/namespaces/default/deployments/web/status');
 * // { kind: 'resource', group: 'apps', version: 'v1', namespace: 'default',
 * //   plural: 'deployments', name: 'web', subresource: 'status' }
 * ```
 */
export function parsePath(pathname: string): Target {
  let segments: string[];
  try {
    segments = pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return { kind: 'unknown' };
  }
  const [first, ...rest] = segments;
  switch (first) {
    case 'version':
    case 'healthz':
    case 'readyz':
    case 'livez':
      // `/healthz/ping`, `/readyz/etcd` and friends answer like the root check.
      return { kind: 'fixed', name: first };
    case 'openapi':
      if (rest.length === 1 && rest[0] === 'v2') return { kind: 'fixed', name: 'openapi-v2' };
      if (rest[0] === 'v3') return { kind: 'fixed', name: 'openapi-v3' };
      return { kind: 'unknown' };
    case 'api':
      if (rest.length === 0) return { kind: 'discovery', level: 'api' };
      if (rest.length === 1) return { kind: 'discovery', level: 'groupVersion', group: '', version: rest[0] };
      return parseResource('', rest[0], rest.slice(1));
    case 'apis':
      if (rest.length === 0) return { kind: 'discovery', level: 'apis' };
      if (rest.length === 1) return { kind: 'discovery', level: 'group', group: rest[0] };
      if (rest.length === 2) return { kind: 'discovery', level: 'groupVersion', group: rest[0], version: rest[1] };
      return parseResource(rest[0], rest[1], rest.slice(2));
    default:
      return { kind: 'unknown' };
  }
}

function parseResource(group: string, version: string, parts: string[]): Target {
  let watchPrefix = false;
  if (parts[0] === 'watch') {
    watchPrefix = true;
    parts = parts.slice(1);
  }
  const base: ResourceTarget = { kind: 'resource', group, version, plural: '' };
  if (watchPrefix) base.watchPrefix = true;
  if (parts.length === 0) return { kind: 'unknown' };
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    const ns = parts[1];
    // `/api/v1/namespaces/{ns}/status` is the namespace's subresource, not a resource "status".
    if (group === '' && parts.length === 3 && NAMESPACE_SUBRESOURCES.has(parts[2])) {
      return { ...base, plural: 'namespaces', name: ns, subresource: parts[2] };
    }
    const inner = parts.slice(2);
    if (inner.length > 3) return { kind: 'unknown' };
    return withParts({ ...base, namespace: ns }, inner);
  }
  if (parts.length > 3) return { kind: 'unknown' };
  return withParts(base, parts);
}

function withParts(base: ResourceTarget, parts: string[]): Target {
  const [plural, name, subresource] = parts;
  if (!plural) return { kind: 'unknown' };
  const target: ResourceTarget = { ...base, plural };
  if (name !== undefined) target.name = name;
  if (subresource !== undefined) target.subresource = subresource;
  return target;
}
