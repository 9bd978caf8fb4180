/**
 * Checks on incoming objects before any rule runs: apiVersion and kind fit the endpoint, the
 * namespace fits the URL, the name is valid. Each failure is the Status the real server answers
 * (400 for a body that does not fit the request, 422 for an invalid object). Decoding the body
 * into an object is the codec's (`codec/object-body.ts`).
 */
import type { KubeObject, StatusCause } from '../../core/index.js';
import { protobufMessageForKind } from '../codec/protobuf-schema.js';
import { badRequest, invalid } from '../errors/status-errors.js';
import { refOf, type ServedType } from '../served/served-types.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

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

/** Validates `metadata.name` (present, a DNS subdomain; a DNS label for namespaces). */
export function validateName(obj: KubeObject, served: ServedType): void {
  const name = obj.metadata.name;
  const causes: StatusCause[] = [];
  if (typeof name !== 'string' || name === '') {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
      field: 'metadata.name',
    });
  } else if (served.type.group === 'rbac.authorization.k8s.io') {
    // RBAC names are path segments (`ValidateRBACName`): `system:discovery` is a valid name.
    const problem = pathSegmentProblem(name);
    if (problem !== undefined) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}": ${problem}`,
        field: 'metadata.name',
      });
    }
  } else {
    const label = served.type.plural === 'namespaces';
    const ok = label
      ? DNS1123_LABEL.test(name) && name.length <= 63
      : DNS1123_SUBDOMAIN.test(name) && name.length <= 253;
    if (!ok) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}": ${label ? LABEL_MSG : SUBDOMAIN_MSG}`,
        field: 'metadata.name',
      });
    }
  }
  const labels = obj.metadata.labels;
  if (labels !== undefined && labels !== null) {
    if (typeof labels !== 'object' || Array.isArray(labels)) {
      causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: must be a map', field: 'metadata.labels' });
    } else {
      for (const [k, v] of Object.entries(labels)) {
        if (typeof v !== 'string') {
          causes.push({
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${JSON.stringify(v)}: must be a string`,
            field: `metadata.labels.${k}`,
          });
        }
      }
    }
  }
  if (causes.length > 0) throw invalid(refOf(served), typeof name === 'string' ? name : '', causes);
}

/** Why `name` is not a valid path segment (apimachinery `IsValidPathSegmentName`), or undefined. */
function pathSegmentProblem(name: string): string | undefined {
  if (name === '.' || name === '..') return `may not be '${name}'`;
  for (const c of ['/', '%']) if (name.includes(c)) return `may not contain '${c}'`;
  return undefined;
}
