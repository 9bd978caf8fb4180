/**
 * Checks on incoming objects before any rule runs: apiVersion and kind fit the endpoint, the
 * namespace fits the URL (the object's own rules are `built-ins.ts`'s). Each failure is the Status the real server answers
 * (400 for a body that does not fit the request, 422 for an invalid object). Decoding the body
 * into an object is the codec's (`codec/object-body.ts`).
 */
import type { KubeObject } from '../../core/index.js';
import { protobufMessageForKind } from '../codec/protobuf-schema.js';
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

/** Where kube-apiserver's legacy scheme is created, as its "no kind is registered" errors name it. */
const LEGACY_SCHEME = 'pkg/api/legacyscheme/scheme.go:30';

/** Groups whose kinds kube-apiserver decodes with another scheme (apiextensions, the aggregator). */
const OTHER_SCHEMES = new Set(['apiextensions.k8s.io', 'apiregistration.k8s.io']);

/** The Go package of a group's internal types (`k8s.io/kubernetes/pkg/apis/<package>`). */
function internalPackage(group: string): string {
  if (group === '' || group === 'events.k8s.io') return 'core';
  if (group === 'rbac.authorization.k8s.io') return 'rbac';
  if (group === 'internal.apiserver.k8s.io') return 'apiserverinternal';
  return group.split('.')[0];
}

/**
 * {@link checkTypeMeta} for a create or update body of a built-in kind, worded as the API server's
 * decoder fails (`handlers/rest.go` `transformDecodeError`): a kind the legacy scheme does not
 * know is `pod in version "v1" cannot be handled as a Pod: no kind "pod" is registered for
 * version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"`; a known kind of another type
 * decodes and then has no conversion to the endpoint's internal type (`converting (v1.Secret) to
 * (core.ConfigMap): unknown conversion`); the endpoint's kind in another registered version
 * converts and is then refused for its apiVersion.
 */
export function checkBodyTypeMeta(obj: KubeObject, served: ServedType): void {
  const { apiVersion, kind, group } = served.type;
  if (served.custom || OTHER_SCHEMES.has(group)) {
    checkTypeMeta(obj, served);
    return;
  }
  if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = apiVersion;
  if (obj.kind === undefined || obj.kind === '') obj.kind = kind;
  const bodyApiVersion = String(obj.apiVersion);
  const bodyKind = String(obj.kind);
  if (bodyApiVersion === apiVersion && bodyKind === kind) return;
  const bodyVersion = bodyApiVersion.slice(bodyApiVersion.indexOf('/') + 1);
  const cannot = (why: string) =>
    badRequest(`${bodyKind} in version ${JSON.stringify(bodyVersion)} cannot be handled as a ${kind}: ${why}`);
  if (protobufMessageForKind(bodyApiVersion, bodyKind) === undefined) {
    throw cannot(
      `no kind ${JSON.stringify(bodyKind)} is registered for version ${JSON.stringify(bodyApiVersion)} in scheme ${JSON.stringify(LEGACY_SCHEME)}`,
    );
  }
  if (bodyKind !== kind) {
    throw cannot(`converting (${bodyVersion}.${bodyKind}) to (${internalPackage(group)}.${kind}): unknown conversion`);
  }
  checkTypeMeta(obj, served);
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
