/**
 * The custom resource validation pipeline of the API server (apiextensions `customresource`
 * strategy and validator), built once per CRD version and shared by the emulator and client-side
 * validation: type meta, the OpenAPI schema (ratcheted on update), the scale subresource's paths,
 * embedded resources, list-type uniqueness, then CEL rules, which are skipped (with upstream's
 * notice) when an earlier error makes the object unfit for them. Pruning and defaulting are
 * separate steps the caller runs first, as the server does while decoding.
 *
 * Not here (the caller's part): validation of the object's own `metadata` (name, labels, ...),
 * which the server does for every kind.
 */
import { compileRuleValidator, type RuleValidator } from './cel/rules.js';
import { propertyOf } from './correlation.js';
import { applyDefaults } from './defaulting.js';
import { validateEmbeddedResources } from './embedded.js';
import { childPath, type FieldError, invalidError } from './field-errors.js';
import { goValue } from './go-format.js';
import { validateListTypes } from './list-type.js';
import { pruneUnknownFields } from './pruning.js';
import { validateAgainstSchema } from './schema-validator.js';
import type { JSONSchemaProps, ScaleSubresource } from './types.js';

/** What a validator is built from: one served version of a custom resource. */
export interface ValidatorSource {
  /** `group/version` of the version validated (`apiVersion` must equal it). */
  readonly apiVersion: string;
  readonly kind: string;
  /** The version's `openAPIV3Schema`. */
  readonly schema: JSONSchemaProps;
  /** The scale subresource, when enabled: its paths are checked on every write. */
  readonly scale?: ScaleSubresource;
}

/** Errors and warnings of one validation. */
export interface ValidationResult {
  readonly errors: FieldError[];
  /** Ratcheted rule failures and similar, as the server returns them in `Warning` headers. */
  readonly warnings: string[];
}

/** Validation of one custom resource version (see the module overview). */
export interface ObjectValidator {
  readonly source: ValidatorSource;
  /** Removes undeclared fields in place; returns their paths (for `fieldValidation`). */
  prune(object: unknown): string[];
  /** Applies schema defaults in place. */
  applyDefaults(object: unknown): void;
  /** Validation of a create. */
  validateCreate(object: unknown): ValidationResult;
  /** Validation of an update of the main resource (ratcheting against `oldObject`). */
  validateUpdate(object: unknown, oldObject: unknown): ValidationResult;
  /** Validation of a `/status` update: the status schema, list types and rules. */
  validateStatusUpdate(object: unknown, oldObject: unknown): ValidationResult;
}

const BLOCKING = new Set([
  'FieldValueNotSupported',
  'FieldValueRequired',
  'FieldValueTooLong',
  'FieldValueTooMany',
  'FieldValueTypeInvalid',
]);

/** Upstream's `hasBlockingErr`: CEL does not run over values with these errors. */
function blockingNotice(errors: readonly FieldError[]): FieldError | undefined {
  if (!errors.some((e) => BLOCKING.has(e.type))) return undefined;
  return invalidError(
    null,
    null,
    'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
  );
}

function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  if (Array.isArray(value)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** `unstructured.NestedInt64`/`NestedString`: the value at a dotted path, or Go's accessor error. */
function nested(object: unknown, dotted: string, want: 'int64' | 'string'): { value: unknown; error?: string } {
  const fields = dotted.replace(/^\./, '').split('.');
  let current: unknown = object;
  for (let i = 0; i < fields.length; i++) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) {
      const at = `.${fields.slice(0, i).join('.')}`;
      return {
        value: want === 'int64' ? 0 : '',
        error: `${at} accessor error: ${goValue(current)} is of the type ${goTypeName(current)}, expected map[string]interface{}`,
      };
    }
    const map = current as Record<string, unknown>;
    if (!Object.hasOwn(map, fields[i])) return { value: want === 'int64' ? 0 : '' };
    current = map[fields[i]];
  }
  const ok = want === 'string' ? typeof current === 'string' : typeof current === 'number' && Number.isInteger(current);
  if (!ok) {
    return {
      value: want === 'int64' ? 0 : '',
      error: `.${fields.join('.')} accessor error: ${goValue(current)} is of the type ${goTypeName(current)}, expected ${want}`,
    };
  }
  return { value: current };
}

function replicasErrors(object: unknown, path: string): FieldError[] {
  const { value, error } = nested(object, path, 'int64');
  if (error !== undefined) return [invalidError(path, value, error)];
  const n = value as number;
  if (n < 0) return [invalidError(path, n, 'should be a non-negative integer')];
  if (n > 2147483647) return [invalidError(path, n, 'should be less than or equal to 2147483647')];
  return [];
}

function scaleStatusErrors(object: unknown, scale: ScaleSubresource | undefined): FieldError[] {
  if (scale === undefined) return [];
  const errs = replicasErrors(object, scale.statusReplicasPath);
  if (scale.labelSelectorPath !== undefined) {
    const { value, error } = nested(object, scale.labelSelectorPath, 'string');
    if (error !== undefined) errs.push(invalidError(scale.labelSelectorPath, value, error));
  }
  return errs;
}

function typeMetaErrors(object: unknown, source: ValidatorSource): FieldError[] {
  const obj = (typeof object === 'object' && object !== null ? object : {}) as Record<string, unknown>;
  const errs: FieldError[] = [];
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  if (kind !== source.kind) errs.push(invalidError('kind', kind, `must be ${source.kind}`));
  if (apiVersion !== source.apiVersion)
    errs.push(invalidError('apiVersion', apiVersion, `must be ${source.apiVersion}`));
  return errs;
}

/**
 * Builds the validator of one custom resource version. Rules are compiled here, once.
 *
 * @example
 * ```ts
 * import type { JSONSchemaProps } from 'kloop';
 * declare const schema: JSONSchemaProps;
 * declare function invalidStatus(target: object, errors: readonly object[]): object;
 * declare const obj: object;
 *
 * const v = compileObjectValidator({ apiVersion: 'cache.example.com/v1', kind: 'Memcached', schema });
 * v.prune(obj);
 * v.applyDefaults(obj);
 * const { errors } = v.validateCreate(obj);
 * if (errors.length > 0) console.log(invalidStatus({ group: 'cache.example.com', kind: 'Memcached', name: 'x' }, errors));
 * ```
 */
export function compileObjectValidator(source: ValidatorSource): ObjectValidator {
  const { schema, scale } = source;
  const rules: RuleValidator = compileRuleValidator(schema, true);
  const statusSchema = propertyOf(schema, 'status');

  const finish = (errors: FieldError[], run: () => { errors: FieldError[]; warnings: string[] }): ValidationResult => {
    // Upstream builds a CEL validator only for schemas with rules; without one there is no notice.
    if (rules.empty) return { errors, warnings: [] };
    const notice = blockingNotice(errors);
    if (notice !== undefined) return { errors: [...errors, notice], warnings: [] };
    const ruleResult = run();
    return { errors: [...errors, ...ruleResult.errors], warnings: ruleResult.warnings };
  };

  return {
    source,
    prune: (object) => pruneUnknownFields(object, schema, true),
    applyDefaults: (object) => applyDefaults(object, schema),
    validateCreate(object) {
      const meta = typeMetaErrors(object, source);
      if (meta.length > 0) return { errors: meta, warnings: [] };
      const errors = [
        ...validateAgainstSchema(schema, object),
        ...(scale === undefined ? [] : replicasErrors(object, scale.specReplicasPath)),
        ...scaleStatusErrors(object, scale),
        ...validateEmbeddedResources(schema, object),
        ...validateListTypes(schema, object),
      ];
      return finish(errors, () => rules.validate(object));
    },
    validateUpdate(object, oldObject) {
      const meta = typeMetaErrors(object, source);
      if (meta.length > 0) return { errors: meta, warnings: [] };
      const errors = [
        ...validateAgainstSchema(schema, object, { update: true, oldValue: oldObject }),
        ...(scale === undefined ? [] : replicasErrors(object, scale.specReplicasPath)),
        ...scaleStatusErrors(object, scale),
        ...validateEmbeddedResources(schema, object),
        ...validateListTypes(schema, object, { update: true, oldObject }),
      ];
      return finish(errors, () => rules.validate(object, { update: true, oldObject }));
    },
    validateStatusUpdate(object, oldObject) {
      const meta = typeMetaErrors(object, source);
      if (meta.length > 0) return { errors: meta, warnings: [] };
      const errors: FieldError[] = [];
      const obj = object as Record<string, unknown>;
      const old = (oldObject ?? {}) as Record<string, unknown>;
      if (statusSchema !== undefined && Object.hasOwn(obj, 'status')) {
        errors.push(
          ...validateAgainstSchema(statusSchema, obj.status, {
            path: childPath(null, 'status'),
            update: true,
            oldValue: Object.hasOwn(old, 'status') ? old.status : undefined,
          }),
        );
      }
      errors.push(...scaleStatusErrors(object, scale));
      errors.push(...validateListTypes(schema, object, { update: true, oldObject }));
      return finish(errors, () => rules.validate(object, { update: true, oldObject }));
    },
  };
}
