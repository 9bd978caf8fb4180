/**
 * Checks of embedded resources (`x-kubernetes-embedded-resource: true`), as apiextensions'
 * `schema/objectmeta` validation does: `apiVersion` and `kind` present and well-formed, and the
 * embedded `metadata` valid (name, generateName, namespace, labels, annotation keys). The
 * top-level object's own metadata is the API server's generic ObjectMeta validation, not this.
 */
import { validateLabelKey, validateLabelValue } from '../core/index.js';
import { additionalOf, itemsOf, propertyOf } from './correlation.js';
import {
  childPath,
  type FieldError,
  type FieldPath,
  indexPath,
  invalidError,
  requiredError,
  tooLongError,
} from './field-errors.js';
import type { JSONSchemaProps } from './types.js';

const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const TOTAL_ANNOTATION_SIZE = 256 * 1024;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dns1035Errors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(value)) errs.push(DNS1035_MSG);
  return errs;
}

/** `path.ValidatePathSegmentName` (a name usable as a URL path segment). */
function pathSegmentErrors(name: string, prefix: boolean): string[] {
  const errs: string[] = [];
  if (!prefix && (name === '.' || name === '..')) errs.push(`may not be '${name}'`);
  if (name.includes('/')) errs.push("may not contain '/'");
  if (name.includes('%')) errs.push("may not contain '%'");
  return errs;
}

function validateMetadata(path: string, meta: unknown): FieldError[] {
  if (!isObject(meta)) return [invalidError(path, meta, 'must be an object')];
  const errs: FieldError[] = [];
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const generateName = str(meta.generateName);
  if (generateName !== '') {
    for (const m of pathSegmentErrors(generateName, true))
      errs.push(invalidError(childPath(path, 'generateName'), generateName, m));
  }
  const name = str(meta.name) === '' ? 'fakename' : str(meta.name);
  for (const m of pathSegmentErrors(name, false)) errs.push(invalidError(childPath(path, 'name'), name, m));
  const namespace = str(meta.namespace);
  if (namespace !== '') {
    if (namespace.length > 63)
      errs.push(invalidError(childPath(path, 'namespace'), namespace, 'must be no more than 63 characters'));
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) {
      errs.push(invalidError(childPath(path, 'namespace'), namespace, DNS1123_LABEL_MSG));
    }
  }
  if (isObject(meta.labels)) {
    const labelsPath = childPath(path, 'labels');
    for (const [k, v] of Object.entries(meta.labels)) {
      const keyErr = validateLabelKey(k);
      if (keyErr !== undefined) errs.push(invalidError(labelsPath, k, keyErr));
      const valueErr = validateLabelValue(String(v));
      if (valueErr !== undefined) errs.push(invalidError(labelsPath, v, valueErr));
    }
  }
  if (isObject(meta.annotations)) {
    const annotationsPath = childPath(path, 'annotations');
    let total = 0;
    for (const [k, v] of Object.entries(meta.annotations)) {
      const keyErr = validateLabelKey(k.toLowerCase());
      if (keyErr !== undefined) errs.push(invalidError(annotationsPath, k, keyErr));
      total += k.length + String(v).length;
    }
    if (total > TOTAL_ANNOTATION_SIZE) errs.push(tooLongError(annotationsPath, TOTAL_ANNOTATION_SIZE));
  }
  return errs;
}

function validateEmbedded(path: FieldPath, x: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  if (!Object.hasOwn(x, 'apiVersion')) errs.push(requiredError(childPath(path, 'apiVersion'), 'must not be empty'));
  if (!Object.hasOwn(x, 'kind')) errs.push(requiredError(childPath(path, 'kind'), 'must not be empty'));
  for (const [k, v] of Object.entries(x)) {
    if (k === 'apiVersion') {
      const p = childPath(path, 'apiVersion');
      if (typeof v !== 'string') errs.push(invalidError(p, v, 'must be a string'));
      else if (v === '') errs.push(invalidError(p, v, 'must not be empty'));
      else if (v.split('/').length > 2) errs.push(invalidError(p, v, `unexpected GroupVersion string: ${v}`));
    } else if (k === 'kind') {
      const p = childPath(path, 'kind');
      if (typeof v !== 'string') errs.push(invalidError(p, v, 'must be a string'));
      else if (v === '') errs.push(invalidError(p, v, 'must not be empty'));
      else {
        const problems = dns1035Errors(v.toLowerCase());
        if (problems.length > 0) {
          errs.push(invalidError(p, v, `may have mixed case, but should otherwise match: ${problems.join(',')}`));
        }
      }
    } else if (k === 'metadata') {
      errs.push(...validateMetadata(childPath(path, 'metadata'), v));
    }
  }
  return errs;
}

function walk(path: FieldPath, x: unknown, s: JSONSchemaProps | undefined, out: FieldError[]): void {
  if (s === undefined) return;
  if (isObject(x)) {
    if (s['x-kubernetes-embedded-resource'] === true) out.push(...validateEmbedded(path, x));
    const extra = additionalOf(s);
    for (const [k, v] of Object.entries(x)) {
      const prop = propertyOf(s, k);
      if (prop !== undefined) walk(childPath(path, k), v, prop, out);
      else if (extra !== undefined) walk(indexPath(path, k), v, extra, out);
    }
  } else if (Array.isArray(x)) {
    const items = itemsOf(s);
    for (const [i, v] of x.entries()) walk(indexPath(path, i), v, items, out);
  }
}

/**
 * Validates the embedded resources inside an object (not the object's own metadata).
 *
 * @example
 * ```ts
 * import type { JSONSchemaProps } from 'kloop';
 * declare const schema: JSONSchemaProps;
 *
 * validateEmbeddedResources(schema, { spec: { template: { kind: 'Pod' } } });
 * // [`spec.template.apiVersion: Required value: must not be empty`]
 * ```
 */
export function validateEmbeddedResources(
  schema: JSONSchemaProps,
  object: unknown,
  path: FieldPath = null,
): FieldError[] {
  const out: FieldError[] = [];
  walk(path, object, schema, out);
  return out;
}
