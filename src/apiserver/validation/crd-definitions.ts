/**
 * Admission of CustomResourceDefinitions (apiextensions-apiserver's
 * `pkg/apis/apiextensions/validation` and the CRD strategy): the server's defaults
 * (`names.singular`, `names.listKind`, `conversion: {strategy: None}`), then the validation
 * apiextensions.k8s.io/v1 does with its messages (structural schemas, defaults, extensions, rules,
 * names, printer columns, selectable fields; `validateCustomResourceDefinition` of the resources
 * module), and on update what an established CRD may not change. A body whose fields JSON could
 * not decode into the Go type is a 400, as from the real decoder.
 */
import { isPlainObject, type KubeObject } from '../../core/index.js';
import {
  type CrdConversion,
  type CrdNames,
  type CrdVersion,
  type CustomResourceDefinitionObject,
  type FieldError,
  invalidStatus,
  validateCustomResourceDefinition,
} from '../../resources/index.js';
import { badRequest, StatusError } from '../errors/status-errors.js';

const CANNOT_HANDLE = 'CustomResourceDefinition in version "v1" cannot be handled as a CustomResourceDefinition';

/** What `json.Unmarshal` says of a value that does not fit a field of the CRD type. */
function undecodable(field: string, value: unknown, goType: string): StatusError {
  const jsonType = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return badRequest(
    `${CANNOT_HANDLE}: json: cannot unmarshal ${jsonType} into Go struct field ${field} of type ${goType}`,
  );
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * The CRD in the typed form the validator reads, with the server's defaults filled in on the
 * object itself, as the real server's decoding and `SetDefaults` do before validation.
 */
function decodeCrd(obj: KubeObject): CustomResourceDefinitionObject {
  if (obj.spec === undefined || obj.spec === null) obj.spec = {};
  if (!isPlainObject(obj.spec)) {
    throw undecodable('CustomResourceDefinition.spec', obj.spec, 'v1.CustomResourceDefinitionSpec');
  }
  const s = obj.spec;
  if (s.names === undefined || s.names === null) s.names = {};
  if (!isPlainObject(s.names)) {
    throw undecodable('CustomResourceDefinitionSpec.spec.names', s.names, 'v1.CustomResourceDefinitionNames');
  }
  if (s.versions === undefined || s.versions === null) s.versions = [];
  if (!Array.isArray(s.versions) || !s.versions.every(isPlainObject)) {
    throw undecodable('CustomResourceDefinitionSpec.spec.versions', s.versions, '[]v1.CustomResourceDefinitionVersion');
  }
  for (const v of s.versions as Record<string, unknown>[]) {
    const schema = v.schema;
    if (schema === undefined) continue;
    if (!isPlainObject(schema) || (schema.openAPIV3Schema !== undefined && !isPlainObject(schema.openAPIV3Schema))) {
      throw undecodable('CustomResourceDefinitionVersion.spec.versions.schema', schema, 'v1.CustomResourceValidation');
    }
  }
  if (s.conversion === undefined || s.conversion === null) s.conversion = { strategy: 'None' };
  const names = s.names as Record<string, unknown>;
  const kind = text(names.kind);
  if (names.singular === undefined || names.singular === '') names.singular = kind.toLowerCase();
  if (names.listKind === undefined || names.listKind === '') names.listKind = `${kind}List`;
  const crdNames = { ...names, plural: text(names.plural), kind, listKind: text(names.listKind) } as CrdNames;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: text(obj.metadata.name) },
    spec: {
      group: text(s.group),
      scope: s.scope as CustomResourceDefinitionObject['spec']['scope'],
      names: crdNames,
      versions: (s.versions as Record<string, unknown>[]).map(
        (v) => ({ ...v, name: text(v.name), served: v.served === true, storage: v.storage === true }) as CrdVersion,
      ),
      ...(isPlainObject(s.conversion) ? { conversion: s.conversion as unknown as CrdConversion } : {}),
    },
  };
}

/** The 422 of a CRD the server refuses. */
function invalidCrd(obj: KubeObject, errors: readonly FieldError[]): StatusError {
  const name = text(obj.metadata.name);
  return new StatusError(
    invalidStatus({ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', name }, errors),
  );
}

/**
 * Validates a CRD as apiextensions.k8s.io/v1 does on create and update (`current`: the stored
 * CRD an update replaces), after filling in its defaults (on `obj`). Throws the 422 (or the
 * decoder's 400).
 */
export function validateCrd(obj: KubeObject, current?: KubeObject): void {
  const crd = decodeCrd(obj);
  let errors: FieldError[];
  try {
    const old = current === undefined ? undefined : decodeCrd(structuredClone(current));
    errors = validateCustomResourceDefinition(crd, old);
  } catch (err) {
    // A value of the wrong JSON type deep inside a schema: the Go decoder refuses the body.
    throw badRequest(`${CANNOT_HANDLE}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (errors.length > 0) throw invalidCrd(obj, errors);
}

function invalidValue(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, badValue: value, detail };
}

/**
 * What an update of an established CRD may not do: change its group, plural or scope (`field is
 * immutable`), or drop a version objects were stored in (`status.storedVersions[0]: Invalid
 * value: "v1": must appear in spec.versions`). Source: apiextensions validation.go
 * (`ValidateCustomResourceDefinitionUpdate`).
 */
export function validateCrdUpdate(next: KubeObject, current: KubeObject): void {
  const a = isPlainObject(next.spec) ? next.spec : {};
  const b = isPlainObject(current.spec) ? current.spec : {};
  const plural = (s: Record<string, unknown>) => (isPlainObject(s.names) ? s.names.plural : undefined);
  const errors: FieldError[] = [];
  const immutable = (field: string, now: unknown, was: unknown) => {
    if (now !== was) errors.push(invalidValue(field, now, 'field is immutable'));
  };
  immutable('spec.group', a.group, b.group);
  immutable('spec.names.plural', plural(a), plural(b));
  immutable('spec.scope', a.scope, b.scope);
  const storedVersions =
    isPlainObject(current.status) && Array.isArray(current.status.storedVersions) ? current.status.storedVersions : [];
  const versions = Array.isArray(a.versions) ? a.versions.filter(isPlainObject) : [];
  const names = new Set(versions.map((v) => v.name));
  storedVersions.forEach((v, i) => {
    if (!names.has(v)) errors.push(invalidValue(`status.storedVersions[${i}]`, v, 'must appear in spec.versions'));
  });
  if (errors.length > 0) throw invalidCrd(next, errors);
}
