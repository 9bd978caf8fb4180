/**
 * URL parsing: turns a request path into what it names (a resource collection, object or
 * subresource; a discovery document; a health, version or OpenAPI endpoint). Pure: the server
 * decides whether the named resource exists.
 *
 * The path is read as kube-apiserver reads it (`request/requestinfo.go` `splitPath` over Go's
 * decoded `URL.Path`): percent escapes decoded first (so `%2F` separates segments, as in Go),
 * trailing slashes trimmed (a path that starts with two slashes names nothing), then split on
 * `/`. Dot segments are never resolved: `..`
 * or `%2E%2E` in the name position is the name `..`, which the server refuses with a 400, never
 * a way to another resource.
 *
 * The one ambiguity of the Kubernetes URL space is `/api/v1/namespaces/{ns}/{x}`: the real server
 * reads `status` and `finalize` as subresources of the namespace and anything else as a resource
 * inside it. This parser does the same.
 */

import { parseGoQuery } from './query.js';

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
  /** For `openapi-v3`: the document path after `/openapi/v3/` (`apis/apps/v1`); absent for the index. */
  document?: string;
}

/** What a request path names; `malformed` is a path with a bad percent escape (Go answers 400). */
export type Target = ResourceTarget | DiscoveryTarget | FixedTarget | { kind: 'unknown' } | { kind: 'malformed' };

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** A request's path and query as sent, before any decoding. */
export interface RequestTarget {
  /** The raw path: percent escapes and dot segments as the client wrote them. */
  readonly path: string;
  readonly query: URLSearchParams;
}

/**
 * The path and query of a request, as sent (`req.url` is the raw request target). The server
 * routes this path and the secure mode's gate authorizes the same one; the query is read as
 * Go's `url.ParseQuery` reads it ({@link parseGoQuery}).
 *
 * @example
 * ```ts
 * const { path, query } = splitRequestTarget('/api/v1/namespaces/a/configmaps/%2E%2E?watch=1');
 * // path: '/api/v1/namespaces/a/configmaps/%2E%2E' (no dot-segment resolution), query: watch=1
 * ```
 */
export function splitRequestTarget(url: string): RequestTarget {
  let target = url;
  // An absolute-form target (`GET http://host/api`): the path part.
  if (!target.startsWith('/')) {
    const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(target);
    target = m ? target.slice(m[0].length) || '/' : `/${target}`;
  }
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  const q = target.indexOf('?');
  return q === -1
    ? { path: target, query: new URLSearchParams() }
    : { path: target.slice(0, q), query: parseGoQuery(target.slice(q + 1)) };
}

/**
 * Decodes percent escapes as Go's `url.PathUnescape` does for a path: `%XX` becomes that byte
 * (`%2F` a slash), `+` stays, and the bytes are read as UTF-8. Undefined for a bad escape.
 */
export function decodePath(raw: string): string | undefined {
  if (!raw.includes('%')) return raw;
  if (/%(?![0-9a-fA-F]{2})/.test(raw)) return undefined;
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of raw.matchAll(/%[0-9a-fA-F]{2}/g)) {
    if (m.index > last) parts.push(Buffer.from(raw.slice(last, m.index), 'utf8'));
    parts.push(Buffer.from([Number.parseInt(m[0].slice(1), 16)]));
    last = m.index + 3;
  }
  parts.push(Buffer.from(raw.slice(last), 'utf8'));
  return Buffer.concat(parts).toString('utf8');
}

/**
 * Parses a request path (without the query), as sent: pass the raw request target's path, not
 * a URL parser's normalised `pathname` (which resolves `..` and `%2E%2E`).
 *
 * @example
 * ```ts
 * parsePath('/apis/apps/v1/namespaces/default/deployments/web/status');
 * // { kind: 'resource', group: 'apps', version: 'v1', namespace: 'default',
 * //   plural: 'deployments', name: 'web', subresource: 'status' }
 * parsePath('/api/v1/namespaces/victim/configmaps/%2E%2E');
 * // { kind: 'resource', group: '', version: 'v1', namespace: 'victim', plural: 'configmaps', name: '..' }
 * ```
 */
export function parsePath(rawPath: string): Target {
  const decoded = decodePath(rawPath);
  if (decoded === undefined) return { kind: 'malformed' };
  // The server routes by prefix on the decoded path (`/api/v1`, `/apis/...`, `/version`):
  // `//api/v1/...` (or `/%2Fapi/...`) misses every one of them. Trailing slashes are trimmed
  // (go-restful's TrimRightSlashEnabled).
  if (decoded.startsWith('//')) return { kind: 'unknown' };
  const trimmed = decoded.replace(/^\/+|\/+$/g, '');
  const segments = trimmed === '' ? [] : trimmed.split('/');
  const [first, ...rest] = segments;
  switch (first) {
    case 'version':
    case 'healthz':
    case 'readyz':
    case 'livez':
      // `/healthz/ping`, `/readyz/etcd` and friends answer like the root check.
      return { kind: 'fixed', name: first };
    case 'openapi':
      // Exact routes, no trimming: `/openapi/v2` and `/openapi/v3` are exact paths of the
      // server's mux and `/openapi/v3/<rest>` is looked up as written (kube-aggregator
      // `handleGroupVersion`), so `/openapi/v3/apis/apps/v1/` names no document.
      if (decoded === '/openapi/v2') return { kind: 'fixed', name: 'openapi-v2' };
      if (decoded === '/openapi/v3') return { kind: 'fixed', name: 'openapi-v3' };
      if (decoded.startsWith('/openapi/v3/')) {
        return { kind: 'fixed', name: 'openapi-v3', document: decoded.slice('/openapi/v3/'.length) };
      }
      return { kind: 'unknown' };
    case 'api':
    case 'apis':
      // An empty segment (`namespaces//configmaps`) names nothing here (upstream routing reads
      // it as an empty namespace or name and fails later, never as another resource).
      if (rest.includes('')) return { kind: 'unknown' };
      return first === 'api' ? parseCore(rest) : parseGroups(rest);
    default:
      return { kind: 'unknown' };
  }
}

function parseCore(rest: string[]): Target {
  if (rest.length === 0) return { kind: 'discovery', level: 'api' };
  if (rest.length === 1) return { kind: 'discovery', level: 'groupVersion', group: '', version: rest[0] };
  return parseResource('', rest[0], rest.slice(1));
}

function parseGroups(rest: string[]): Target {
  if (rest.length === 0) return { kind: 'discovery', level: 'apis' };
  if (rest.length === 1) return { kind: 'discovery', level: 'group', group: rest[0] };
  if (rest.length === 2) return { kind: 'discovery', level: 'groupVersion', group: rest[0], version: rest[1] };
  return parseResource(rest[0], rest[1], rest.slice(2));
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
