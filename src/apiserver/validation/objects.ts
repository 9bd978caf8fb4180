/**
 * Checks on incoming objects before any rule runs: apiVersion and kind fit the endpoint, the
 * namespace fits the URL (the object's own rules are `built-ins.ts`'s). Each failure is the Status the real server answers
 * (400 for a body that does not fit the request, 422 for an invalid object). Decoding the body
 * into an object is the codec's (`codec/object-body.ts`).
 */
import type { KubeObject } from '../../core/index.js';
import { badRequest } from '../errors/status-errors.js';
import type { ServedType } from '../served/served-types.js';

/**
 * Fills a missing apiVersion/kind from the endpoint (the real decoder defaults them) and
 * rejects ones that differ (400).
 */
export function checkTypeMeta(obj: KubeObject, served: ServedType): void {
  const apiVersion = served.type.apiVersion;
  const kind = served.type.kind;
  if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = apiVersion;
  if (obj.kind === undefined || obj.kind === '') obj.kind = kind;
  if (obj.apiVersion !== apiVersion) {
    throw badRequest(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`,
    );
  }
  if (obj.kind !== kind) {
    throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${kind})`);
  }
}

/** Sets the namespace from the URL; a different one in the body is a 400. Cluster-scoped: none. */
export function checkNamespace(obj: KubeObject, served: ServedType, urlNamespace: string | undefined): void {
  if (!served.type.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  const ns = obj.metadata.namespace;
  if (ns !== undefined && ns !== '' && urlNamespace !== undefined && ns !== urlNamespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (urlNamespace === undefined) {
    throw badRequest('the server could not find the requested resource: a namespaced resource needs a namespace');
  }
  obj.metadata.namespace = urlNamespace;
}
