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
 */
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

/** The authorization attributes of `method` on `pathname` with `query` (Go: `NewRequestInfo`). */
export function requestAttributes(method: string, pathname: string, query: URLSearchParams): RequestAttributes {
  const nonResource: NonResourceAttributes = { kind: 'path', verb: method.toLowerCase(), path: pathname };
  let parts: string[];
  try {
    parts = pathname
      .split('/')
      .filter((p) => p !== '')
      .map((p) => decodeURIComponent(p));
  } catch {
    return nonResource;
  }
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
    verb = isWatch(query) ? 'watch' : 'list';
    const pinned = nameFromFieldSelector(query.get('fieldSelector'));
    if (pinned !== undefined) name = pinned;
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';
  return { kind: 'resource', verb, apiGroup, apiVersion, resource, subresource, namespace, name };
}

/** `?watch=` as the API server parses it: present and not `false`/`0`. */
function isWatch(query: URLSearchParams): boolean {
  const values = query.getAll('watch');
  if (values.length === 0) return false;
  const v = values[0].toLowerCase();
  return v !== 'false' && v !== '0';
}

/** The name a field selector requires exactly (`metadata.name=x` or `metadata.name==x`), if valid as a path segment. */
function nameFromFieldSelector(selector: string | null): string | undefined {
  if (!selector) return undefined;
  let found: string | undefined;
  for (const term of selector.split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*(.*?)\s*$/.exec(term);
    if (m && !term.includes('!=')) found = m[1];
  }
  if (found === undefined || found === '' || found === '.' || found === '..' || /[/%]/.test(found)) return undefined;
  return found;
}

/** `pods`, `pods/log`: the resource as rules and messages name it. */
export function combinedResource(a: ResourceAttributes): string {
  return a.subresource === '' ? a.resource : `${a.resource}/${a.subresource}`;
}
