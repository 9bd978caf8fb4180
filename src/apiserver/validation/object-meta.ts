/**
 * `metadata` validation of every kind, as `k8s.io/apimachinery/pkg/api/validation/objectmeta.go`
 * (`ValidateObjectMetaAccessor`, `ValidateObjectMetaAccessorUpdate`) and
 * `pkg/apis/meta/v1/validation` (`ValidateLabels`, `ValidateLabelSelector`) write it for 1.33:
 * name (or generateName) by the kind's name rule, namespace, labels, annotation keys, owner
 * references and finalizers, with the annotations' total size where `ValidateAnnotations` checks it.
 */
import { isPlainObject } from '../../core/index.js';
import { annotationsTooLarge, MAX_ANNOTATIONS_BYTES } from '../limits/object-size.js';
import { type FieldErrors, GoSyntax, goQuote } from './field-errors.js';
import { isDns1123Label, isQualifiedName, isValidLabelValue, type NameRule } from './names.js';

/** How a kind's metadata is checked. */
export interface MetaRules {
  /** The kind's name rule (`ValidateNameFunc`). */
  readonly name: NameRule;
  /** Namespaced kinds need a namespace; cluster-scoped ones may not have one. */
  readonly namespaced: boolean;
}

/** `ValidateLabels`: each key a qualified name, each value a label value; errors on the map's path. */
export function validateLabels(labels: unknown, path: string, errs: FieldErrors): void {
  if (!isPlainObject(labels)) return;
  for (const [key, value] of Object.entries(labels)) {
    for (const msg of isQualifiedName(key)) errs.invalid(path, key, msg);
    for (const msg of isValidLabelValue(String(value))) errs.invalid(path, String(value), msg);
  }
}

/**
 * `ValidateAnnotations`: keys are qualified names, case ignored; then the total size of keys and
 * values, at most `TotalAnnotationSizeLimitB` (a limit of `limits/object-size.ts`), reported right
 * after the keys as upstream appends it.
 */
export function validateAnnotations(annotations: unknown, path: string, errs: FieldErrors): void {
  if (!isPlainObject(annotations)) return;
  for (const key of Object.keys(annotations)) {
    for (const msg of isQualifiedName(key.toLowerCase())) errs.invalid(path, key, msg);
  }
  if (annotationsTooLarge(annotations)) errs.tooLong(path, MAX_ANNOTATIONS_BYTES);
}

/** Go's `%#v` of a `metav1.OwnerReference` (pointers print as an address, which varies upstream). */
function goOwnerReference(ref: Record<string, unknown>): string {
  const pointer = (v: unknown) => (v === undefined || v === null ? '(*bool)(nil)' : '(*bool)(0xc000000000)');
  const str = (v: unknown) => goQuote(typeof v === 'string' ? v : '');
  return `v1.OwnerReference{APIVersion:${str(ref.apiVersion)}, Kind:${str(ref.kind)}, Name:${str(ref.name)}, UID:${str(ref.uid)}, Controller:${pointer(ref.controller)}, BlockOwnerDeletion:${pointer(ref.blockOwnerDeletion)}}`;
}

/** `ValidateOwnerReferences`: version, kind, name and uid set; Events never own; one controller. */
export function validateOwnerReferences(refs: unknown, path: string, errs: FieldErrors): void {
  if (!Array.isArray(refs)) return;
  let firstController = '';
  for (const raw of refs) {
    const ref = isPlainObject(raw) ? raw : {};
    const apiVersion = typeof ref.apiVersion === 'string' ? ref.apiVersion : '';
    const kind = typeof ref.kind === 'string' ? ref.kind : '';
    // `schema.ParseGroupVersion`: "v1" is a version, "g/v" a group and version, more slashes neither.
    const parts = apiVersion.split('/');
    const version = parts.length === 1 ? parts[0] : parts.length === 2 ? parts[1] : '';
    const group = parts.length === 2 ? parts[0] : '';
    if (version === '') errs.invalid(`${path}.apiVersion`, apiVersion, 'version must not be empty');
    if (kind === '') errs.invalid(`${path}.kind`, kind, 'must not be empty');
    if (typeof ref.name !== 'string' || ref.name === '') errs.invalid(`${path}.name`, '', 'must not be empty');
    if (typeof ref.uid !== 'string' || ref.uid === '') errs.invalid(`${path}.uid`, '', 'must not be empty');
    if (group === '' && version === 'v1' && kind === 'Event') {
      errs.invalid(path, new GoSyntax(goOwnerReference(ref)), '/v1, Kind=Event is disallowed from being an owner');
    }
    if (ref.controller === true) {
      const current = `${kind}/${String(ref.name ?? '')}`;
      if (firstController !== '') {
        const list = `[]v1.OwnerReference{${refs.map((r) => goOwnerReference(isPlainObject(r) ? r : {})).join(', ')}}`;
        errs.invalid(
          path,
          new GoSyntax(list),
          `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
        );
      } else firstController = current;
    }
  }
}

/** `ValidateFinalizers`: qualified names; `orphan` and `foregroundDeletion` not both. */
export function validateFinalizers(finalizers: unknown, path: string, errs: FieldErrors): void {
  if (!Array.isArray(finalizers)) return;
  for (const f of finalizers) for (const msg of isQualifiedName(String(f))) errs.invalid(path, String(f), msg);
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.invalid(
      path,
      new GoSyntax(`[]string{${finalizers.map((f) => goQuote(String(f))).join(', ')}}`),
      'finalizer orphan and foregroundDeletion cannot be both set',
    );
  }
}

/** `ValidateObjectMetaAccessor` for a create. */
export function validateObjectMeta(meta: Record<string, unknown>, rules: MetaRules, errs: FieldErrors): void {
  const generateName = typeof meta.generateName === 'string' ? meta.generateName : '';
  if (generateName !== '') {
    for (const msg of rules.name(generateName, true)) errs.invalid('metadata.generateName', generateName, msg);
  }
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (name === '') errs.required('metadata.name', 'name or generateName is required');
  else for (const msg of rules.name(name, false)) errs.invalid('metadata.name', name, msg);
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
  if (rules.namespaced) {
    if (namespace === '') errs.required('metadata.namespace');
    else for (const msg of isDns1123Label(namespace)) errs.invalid('metadata.namespace', namespace, msg);
  } else if (namespace !== '') {
    errs.forbidden('metadata.namespace', 'not allowed on this type');
  }
  if (typeof meta.generation === 'number' && meta.generation < 0) {
    errs.invalid('metadata.generation', meta.generation, 'must be greater than or equal to 0');
  }
  validateLabels(meta.labels, 'metadata.labels', errs);
  validateAnnotations(meta.annotations, 'metadata.annotations', errs);
  validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences', errs);
  validateFinalizers(meta.finalizers, 'metadata.finalizers', errs);
}

/**
 * `ValidateObjectMetaAccessorUpdate`, for what the write path does not already settle (it keeps
 * uid, creationTimestamp and deletion fields, and refuses new finalizers on a deleting object):
 * labels, annotations and owner references of the new object. Finalizers are checked only by
 * the kinds whose update runs their whole create validation again (`withFinalizers`).
 */
export function validateObjectMetaUpdate(
  meta: Record<string, unknown>,
  errs: FieldErrors,
  withFinalizers = false,
): void {
  validateLabels(meta.labels, 'metadata.labels', errs);
  validateAnnotations(meta.annotations, 'metadata.annotations', errs);
  validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences', errs);
  if (withFinalizers) validateFinalizers(meta.finalizers, 'metadata.finalizers', errs);
}

/**
 * `ValidateLabelSelector` (strict about values, as the workloads ask): matchLabels as labels, each
 * expression's operator, values and key.
 */
export function validateLabelSelector(selector: unknown, path: string, errs: FieldErrors): void {
  if (!isPlainObject(selector)) return;
  validateLabels(selector.matchLabels, `${path}.matchLabels`, errs);
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  expressions.forEach((raw, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    const expr = isPlainObject(raw) ? raw : {};
    const values = Array.isArray(expr.values) ? expr.values : [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'");
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          errs.forbidden(`${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
        }
        break;
      default:
        errs.invalid(`${at}.operator`, String(expr.operator ?? ''), 'not a valid selector operator');
    }
    for (const msg of isQualifiedName(String(expr.key ?? ''))) errs.invalid(`${at}.key`, String(expr.key ?? ''), msg);
    values.forEach((v, j) => {
      for (const msg of isValidLabelValue(String(v))) errs.invalid(`${at}.values[${j}]`, String(v), msg);
    });
  });
}
