/**
 * Validation of a whole CustomResourceDefinition as apiextensions.k8s.io/v1 does on create
 * (`ValidateCustomResourceDefinition`): name, group, names, scope, versions, each version's schema
 * ({@link checkStructural}), subresources, printer columns, selectable fields and conversion. The
 * emulator answers a CRD with these errors with 422; `defineResource` throws them at definition.
 */
import { deepEqual } from '../core/index.js';
import { resolveFieldPath } from './cel/rules.js';
import {
  childPath,
  duplicateError,
  type FieldError,
  indexPath,
  invalidError,
  notSupportedError,
  requiredError,
  tooManyError,
} from './field-errors.js';
import { JsonPathError, parseJsonPath } from './jsonpath.js';
import { checkStructural } from './schema-admission.js';
import type { CrdVersion, CustomResourceDefinitionObject, JSONSchemaProps } from './types.js';

const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];

function dns1035(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(value)) errs.push(DNS1035_MSG);
  return errs;
}

function dns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(value))
    errs.push(DNS1123_SUBDOMAIN_MSG);
  return errs;
}

function simpleJsonPath(value: string, path: string): FieldError[] {
  if (value.length === 0) return [invalidError(path, value, 'must not be empty')];
  if (value[0] !== '.') return [invalidError(path, value, 'must be a simple json path starting with .')];
  return [];
}

function names(crd: CustomResourceDefinitionObject, out: FieldError[]): void {
  const n = crd.spec.names;
  const at = 'spec.names';
  if (n.plural === '') out.push(requiredError(childPath(at, 'plural'), ''));
  if (n.kind === '') out.push(requiredError(childPath(at, 'kind'), ''));
  if (n.listKind === '') out.push(requiredError(childPath(at, 'listKind'), ''));
  const plain: [string, string | undefined][] = [
    ['plural', n.plural],
    ['singular', n.singular],
  ];
  for (const [key, value] of plain) {
    if (value !== undefined && value !== '' && dns1035(value).length > 0)
      out.push(invalidError(childPath(at, key), value, dns1035(value).join(',')));
  }
  for (const [key, value] of [
    ['kind', n.kind],
    ['listKind', n.listKind],
  ] as const) {
    if (value !== undefined && value !== '' && dns1035(value.toLowerCase()).length > 0) {
      out.push(
        invalidError(
          childPath(at, key),
          value,
          `may have mixed case, but should otherwise match: ${dns1035(value.toLowerCase()).join(',')}`,
        ),
      );
    }
  }
  for (const [i, s] of (n.shortNames ?? []).entries()) {
    if (dns1035(s).length > 0)
      out.push(invalidError(indexPath(childPath(at, 'shortNames'), i), s, dns1035(s).join(',')));
  }
  if (n.kind !== '' && n.kind === n.listKind)
    out.push(invalidError(childPath(at, 'listKind'), n.listKind, 'kind and listKind may not be the same'));
  for (const [i, c] of (n.categories ?? []).entries()) {
    if (dns1035(c).length > 0)
      out.push(invalidError(indexPath(childPath(at, 'categories'), i), c, dns1035(c).join(',')));
  }
}

function selectableFields(version: CrdVersion, at: string, out: FieldError[]): void {
  const fields = version.selectableFields ?? [];
  const schema = version.schema?.openAPIV3Schema;
  const unique = new Set<string>();
  for (const [i, f] of fields.entries()) {
    const p = childPath(indexPath(at, i), 'jsonPath');
    if (f.jsonPath === '') {
      out.push(requiredError(p, ''));
      continue;
    }
    let normalized: string;
    let target: JSONSchemaProps | undefined;
    try {
      if (f.jsonPath.includes('[')) throw new Error('array notation is not allowed');
      normalized = resolveFieldPath(f.jsonPath, schema ?? {});
      target = f.jsonPath
        .replace(/^\./, '')
        .split('.')
        .reduce<JSONSchemaProps | undefined>((s, name) => s?.properties?.[name], schema);
    } catch (err) {
      out.push(invalidError(p, f.jsonPath, `is an invalid path: ${(err as Error).message}`));
      continue;
    }
    if (normalized.split('.')[0] === 'metadata')
      out.push(invalidError(p, f.jsonPath, 'must not point to fields in metadata'));
    if (!['string', 'boolean', 'integer'].includes(target?.type ?? '')) {
      out.push(
        invalidError(
          p,
          f.jsonPath,
          'must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.',
        ),
      );
    }
    if (unique.has(normalized)) out.push(duplicateError(p, f.jsonPath));
    unique.add(normalized);
  }
  if (unique.size > 8) out.push(tooManyError(at, unique.size, 8));
}

function version(v: CrdVersion, i: number, out: FieldError[], unchangedSchema: boolean): void {
  const at = indexPath('spec.versions', i);
  if (dns1035(v.name).length > 0) out.push(invalidError(childPath(at, 'name'), v.name, dns1035(v.name).join(',')));
  const schema = v.schema?.openAPIV3Schema;
  if (schema === undefined)
    out.push(requiredError(childPath(childPath(at, 'schema'), 'openAPIV3Schema'), 'schemas are required'));
  else
    out.push(
      ...checkStructural(schema, {
        path: childPath(at, 'schema'),
        statusSubresource: v.subresources?.status !== undefined,
        suppressPerExpressionCost: unchangedSchema,
      }),
    );
  const scale = v.subresources?.scale;
  if (scale !== undefined) {
    const sr = childPath(childPath(at, 'subresources'), 'scale');
    const spec = simpleJsonPath(scale.specReplicasPath, childPath(sr, 'specReplicasPath'));
    out.push(...spec);
    if (spec.length === 0 && !scale.specReplicasPath.startsWith('.spec.')) {
      out.push(
        invalidError(childPath(sr, 'specReplicasPath'), scale.specReplicasPath, 'should be a json path under .spec'),
      );
    }
    const status = simpleJsonPath(scale.statusReplicasPath, childPath(sr, 'statusReplicasPath'));
    out.push(...status);
    if (status.length === 0 && !scale.statusReplicasPath.startsWith('.status.')) {
      out.push(
        invalidError(
          childPath(sr, 'statusReplicasPath'),
          scale.statusReplicasPath,
          'should be a json path under .status',
        ),
      );
    }
    if (scale.labelSelectorPath !== undefined && scale.labelSelectorPath !== '') {
      const sel = simpleJsonPath(scale.labelSelectorPath, childPath(sr, 'labelSelectorPath'));
      out.push(...sel);
      if (
        sel.length === 0 &&
        !scale.labelSelectorPath.startsWith('.spec.') &&
        !scale.labelSelectorPath.startsWith('.status.')
      ) {
        out.push(
          invalidError(
            childPath(sr, 'labelSelectorPath'),
            scale.labelSelectorPath,
            'should be a json path under either .spec or .status',
          ),
        );
      }
    }
  }
  for (const [j, col] of (v.additionalPrinterColumns ?? []).entries()) {
    const cp = indexPath(childPath(at, 'additionalPrinterColumns'), j);
    if (col.name === '') out.push(requiredError(childPath(cp, 'name'), ''));
    if (!COLUMN_TYPES.includes(col.type))
      out.push(invalidError(childPath(cp, 'type'), col.type, `must be one of ${COLUMN_TYPES.join(',')}`));
    if (col.format !== undefined && !COLUMN_FORMATS.includes(col.format)) {
      out.push(invalidError(childPath(cp, 'format'), col.format, `must be one of ${COLUMN_FORMATS.join(',')}`));
    }
    if (col.jsonPath === '') out.push(requiredError(childPath(cp, 'JSONPath'), ''));
    else {
      const errs = simpleJsonPath(col.jsonPath, childPath(cp, 'JSONPath'));
      out.push(...errs);
      if (errs.length === 0) {
        try {
          parseJsonPath(`{${col.jsonPath}}`);
        } catch (err) {
          if (err instanceof JsonPathError)
            out.push(invalidError(childPath(cp, 'JSONPath'), col.jsonPath, err.message));
        }
      }
    }
  }
  selectableFields(v, childPath(at, 'selectableFields'), out);
}

/** Whether `old` has a version of this name with a deep-equal schema (`findVersionsWithUnchangedSchemas`). */
function schemaUnchanged(v: CrdVersion, old: CustomResourceDefinitionObject): boolean {
  const before = old.spec.versions.find((o) => o.name === v.name);
  return before !== undefined && deepEqual(before.schema, v.schema);
}

/**
 * Every error the API server reports for creating this CustomResourceDefinition (the subset of
 * `ValidateCustomResourceDefinition` that concerns a CRD's own content), or for updating `old`
 * to it: then a version whose schema the update leaves unchanged is spared the per-expression
 * CEL cost limit (`ValidateCustomResourceDefinitionUpdate`), so raising an estimate (a newer
 * server, a costlier library) never makes a stored CRD un-updatable; the total limit still
 * applies. Empty when valid.
 *
 * @example
 * ```ts
 * import type { CustomResourceDefinitionObject } from 'kloop';
 * declare const crd: CustomResourceDefinitionObject;
 *
 * const errors = validateCustomResourceDefinition(crd);
 * for (const e of errors) console.log(e.field, e.detail);
 * ```
 */
export function validateCustomResourceDefinition(
  crd: CustomResourceDefinitionObject,
  old?: CustomResourceDefinitionObject,
): FieldError[] {
  const out: FieldError[] = [];
  const { spec } = crd;
  const expected = `${spec.names.plural}.${spec.group}`;
  if (crd.metadata.name !== expected)
    out.push(invalidError('metadata.name', crd.metadata.name, 'must be spec.names.plural+"."+spec.group'));
  if (spec.group === '') out.push(requiredError('spec.group', ''));
  else {
    const errs = dns1123Subdomain(spec.group);
    if (errs.length > 0) out.push(invalidError('spec.group', spec.group, errs.join(',')));
    else if (spec.group.split('.').length < 2)
      out.push(invalidError('spec.group', spec.group, 'should be a domain with at least one dot'));
  }
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    out.push(notSupportedError('spec.scope', spec.scope, ['Cluster', 'Namespaced']));
  if (spec.versions.length === 0)
    out.push(requiredError('spec.versions', 'must have exactly one version marked as storage version'));
  const storage = spec.versions.filter((v) => v.storage).length;
  if (spec.versions.length > 0 && storage !== 1) {
    out.push(invalidError('spec.versions', spec.versions, 'must have exactly one version marked as storage version'));
  }
  const seen = new Set<string>();
  for (const [i, v] of spec.versions.entries()) {
    if (seen.has(v.name)) out.push(duplicateError(indexPath('spec.versions', i), v.name));
    seen.add(v.name);
  }
  if (spec.versions.length > 0 && !spec.versions.some((v) => v.served)) {
    out.push(invalidError('spec.versions', spec.versions, 'must have at least one version marked as served'));
  }
  names(crd, out);
  spec.versions.forEach((v, i) => {
    version(v, i, out, old !== undefined && schemaUnchanged(v, old));
  });
  const strategy = spec.conversion?.strategy;
  if (strategy !== undefined && strategy !== 'None' && strategy !== 'Webhook') {
    out.push(notSupportedError('spec.conversion.strategy', strategy, ['None', 'Webhook']));
  }
  if (strategy === 'Webhook' && spec.conversion?.webhook?.clientConfig === undefined) {
    out.push(requiredError('spec.conversion.webhook.clientConfig', 'required when strategy is set to Webhook'));
  }
  return out;
}
