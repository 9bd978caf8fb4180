/**
 * What a request asks to do, in the terms authorization speaks (Go: `authorizer.Attributes`,
 * built by apiserver/pkg/endpoints/request/requestinfo.go): a resource request (verb, API group,
 * version, resource, subresource, namespace, name) or a non-resource request (verb and path).
 *
 * The rules copied from `RequestInfoFactory`: only `/api/v1/...` and `/apis/{group}/{version}/...`
 * paths with a resource are resource requests (discovery documents are paths); the verb comes
 * from the method (`GET` on a collection is `list`, or `watch` with `?watch` or the `/watch/`
 * prefix; `DELETE` on a collection is `deletecollection`); a list or watch whose field selector
 * pins `metadata.name` is about that name (so `resourceNames` rules can allow it); the name of a
 * namespace is also its namespace (`GET /api/v1/namespaces/foo` is in namespace `foo`).
 *
 * The path is the one the router serves: the raw request path, percent escapes decoded then split
 * on `/` as Go's `splitPath` splits the decoded `URL.Path`, dot segments never resolved. A
 * request is authorized for exactly what it reaches.
 */

import { parseFieldSelector } from '../../core/index.js';
import { queryBool } from '../http/query.js';
import { decodePath } from '../http/routes.js';
import type { UserInfo } from '../types.js';

/** A resource request. */
export interface ResourceAttributes {
  readonly kind: 'resource';
  readonly verb: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
}

/** A request for a path that names no resource. */
export interface NonResourceAttributes {
  readonly kind: 'path';
  readonly verb: string;
  readonly path: string;
}

/** What is asked, without who asks. */
export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

/** What is asked and who asks. */
export type Attributes = RequestAttributes & { readonly user: UserInfo };

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** The verb of a resource request method, before list/watch/deletecollection are told apart. */
const METHOD_VERBS: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/**
 * The authorization attributes of `method` on the raw request path `rawPath` with `query` (Go:
 * `NewRequestInfo`).
 */
export function requestAttributes(method: string, rawPath: string, query: URLSearchParams): RequestAttributes {
  const decoded = decodePath(rawPath);
  const nonResource: NonResourceAttributes = { kind: 'path', verb: method.toLowerCase(), path: decoded ?? rawPath };
  // A bad escape: the router answers 400 to it; as a path it matches no rule but `*`.
  if (decoded === undefined) return nonResource;
  const trimmed = decoded.replace(/^\/+|\/+$/g, '');
  const parts = trimmed === '' ? [] : trimmed.split('/');
  const verbOfMethod = METHOD_VERBS[method];
  if (verbOfMethod === undefined || parts.length === 0) return nonResource;
  let apiGroup = '';
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length < 3) return nonResource;
    rest = parts.slice(1);
  } else if (parts[0] === 'apis') {
    if (parts.length < 4) return nonResource;
    apiGroup = parts[1];
    rest = parts.slice(2);
  } else {
    return nonResource;
  }
  const apiVersion = rest[0];
  let current = rest.slice(1);
  let verb = verbOfMethod;
  // The deprecated `/watch/` prefix.
  if (current[0] === 'watch') {
    verb = verb === 'get' ? 'watch' : verb;
    current = current.slice(1);
  }
  let namespace = '';
  if (current[0] === 'namespaces') {
    if (current.length > 1) {
      namespace = current[1];
      if (current.length > 2 && !NAMESPACE_SUBRESOURCES.has(current[2])) current = current.slice(2);
    }
  }
  const resource = current[0] ?? '';
  let name = current[1] ?? '';
  const subresource = current.length >= 3 ? current[2] : '';
  if (current.length === 0) return nonResource;
  if (name === '' && verb === 'get') {
    verb = queryBool(query, 'watch') ? 'watch' : 'list';
    const pinned = nameFromFieldSelector(query.get('fieldSelector'));
    if (pinned !== undefined) name = pinned;
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';
  return { kind: 'resource', verb, apiGroup, apiVersion, resource, subresource, namespace, name };
}

/**
 * The name a field selector requires exactly (Go: `RequiresExactMatch("metadata.name")`, the
 * first such term), read by the parser the list and watch handlers filter with, so the name
 * authorized is the name served; none when the selector does not parse or the name is no path
 * segment.
 */
function nameFromFieldSelector(selector: string | null): string | undefined {
  if (!selector) return undefined;
  let found: string | undefined;
  try {
    found = parseFieldSelector(selector).requirements.find(
      (r) => r.field === 'metadata.name' && r.operator === '=',
    )?.value;
  } catch {
    return undefined;
  }
  if (found === undefined || found === '' || found === '.' || found === '..' || /[/%]/.test(found)) return undefined;
  return found;
}

/** `pods`, `pods/log`: the resource as rules and messages name it. */
export function combinedResource(a: ResourceAttributes): string {
  return a.subresource === '' ? a.resource : `${a.resource}/${a.subresource}`;
}
