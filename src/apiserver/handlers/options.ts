/**
 * The options kinds of requests (`CreateOptions`, `UpdateOptions`, `PatchOptions`,
 * `DeleteOptions`, `ListOptions`), read from the query as the API server reads them and
 * validated with its field errors (apimachinery `apis/meta/v1/validation`,
 * `apis/meta/internalversion/validation`). A failed validation is one 422 Invalid of kind
 * `<Kind>.meta.k8s.io` listing every error, as `errors.NewInvalid` builds it.
 */
import type { StatusCause } from '../../core/index.js';
import { badRequest, type StatusError, statusError } from '../errors/status-errors.js';
import { GoParseError } from '../http/query.js';
import { goQuote } from '../validation/field-errors.js';

/** A field error as apimachinery's `field.Error` renders it (`ErrorBody`). */
export interface OptionsFieldError {
  field: string;
  type: 'Forbidden' | 'NotSupported' | 'Invalid' | 'Required' | 'TooLong';
  /** The body after the field: `Forbidden: ...`, `Unsupported value: "x": supported values: ...`. */
  body: string;
}

const CAUSE_TYPES: Record<OptionsFieldError['type'], string> = {
  Forbidden: 'FieldValueForbidden',
  NotSupported: 'FieldValueNotSupported',
  Invalid: 'FieldValueInvalid',
  Required: 'FieldValueRequired',
  TooLong: 'FieldValueTooLong',
};

/** `field.Forbidden(path, detail)`. */
export function forbiddenField(field: string, detail: string): OptionsFieldError {
  return { field, type: 'Forbidden', body: `Forbidden: ${detail}` };
}

/** `field.NotSupported(path, value, supported)` with a rendered value (`"x"`, `[]string{"x"}`). */
export function notSupportedField(
  field: string,
  renderedValue: string,
  supported: readonly string[],
): OptionsFieldError {
  const list = supported.map((s) => JSON.stringify(s)).join(', ');
  return { field, type: 'NotSupported', body: `Unsupported value: ${renderedValue}: supported values: ${list}` };
}

/** `field.Invalid(path, value, detail)` with a rendered value. */
export function invalidField(field: string, renderedValue: string, detail: string): OptionsFieldError {
  return { field, type: 'Invalid', body: `Invalid value: ${renderedValue}: ${detail}` };
}

/** The 422 of invalid options: `DeleteOptions.meta.k8s.io "" is invalid: ...`. */
export function invalidOptions(kind: string, errors: readonly OptionsFieldError[]): StatusError {
  const parts = errors.map((e) => `${e.field}: ${e.body}`);
  const text = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  const causes: StatusCause[] = errors.map((e) => ({ reason: CAUSE_TYPES[e.type], message: e.body, field: e.field }));
  return statusError('Invalid', `${kind}.meta.k8s.io "" is invalid: ${text}`, {
    group: 'meta.k8s.io',
    kind,
    causes,
  });
}

/** Go's `%#v` of a `[]string`: `[]string{"a", "b"}`. */
export function goStringSlice(values: readonly string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

/** `ValidateDryRun`: every value must be `All`. */
export function dryRunErrors(values: readonly string[]): OptionsFieldError[] {
  if (values.every((v) => v === 'All')) return [];
  return [notSupportedField('dryRun', goStringSlice(values), ['All'])];
}

/** How unknown fields of a write are treated (`fieldValidation`, default Warn). */
export type FieldValidationDirective = 'Ignore' | 'Warn' | 'Strict';

/** The options of a create, update or patch, read from the query. */
export interface WriteOptions {
  dryRun: boolean;
  fieldValidation: FieldValidationDirective;
  /** `fieldManager`, when given. */
  fieldManager?: string;
}

/** Longest `fieldManager` (`FieldManagerMaxLength`). */
const FIELD_MANAGER_MAX = 128;

/** Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/**
 * One error per character `unicode.IsPrint` refuses (`ValidateFieldManager`), at its byte offset
 * as Go's `range` over a string counts it.
 */
function unprintableFieldManager(fieldManager: string): OptionsFieldError[] {
  const errors: OptionsFieldError[] = [];
  let offset = 0;
  for (const char of fieldManager) {
    if (!PRINTABLE.test(char)) {
      const code = (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
      errors.push(
        invalidField('fieldManager', goQuote(fieldManager), `invalid character U+${code} (at position ${offset})`),
      );
    }
    offset += Buffer.byteLength(char, 'utf8');
  }
  return errors;
}

/**
 * Reads and validates `dryRun`, `fieldValidation` and `fieldManager` of a write
 * (`ValidateCreateOptions` and friends); a 422 listing every error otherwise.
 */
export function writeOptions(
  query: URLSearchParams,
  kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions',
): WriteOptions {
  const errors: OptionsFieldError[] = [];
  const fieldManager = query.get('fieldManager') ?? '';
  if (Buffer.byteLength(fieldManager, 'utf8') > FIELD_MANAGER_MAX) {
    errors.push({
      field: 'fieldManager',
      type: 'TooLong',
      body: `Too long: may not be more than ${FIELD_MANAGER_MAX} bytes`,
    });
  }
  errors.push(...unprintableFieldManager(fieldManager));
  const dryRun = query.getAll('dryRun');
  errors.push(...dryRunErrors(dryRun));
  const validation = query.get('fieldValidation') ?? '';
  if (validation !== '' && validation !== 'Ignore' && validation !== 'Warn' && validation !== 'Strict') {
    errors.push(notSupportedField('fieldValidation', JSON.stringify(validation), ['', 'Ignore', 'Strict', 'Warn']));
  }
  if (errors.length > 0) throw invalidOptions(kind, errors);
  const out: WriteOptions = {
    dryRun: dryRun.length > 0,
    fieldValidation: validation === '' ? 'Warn' : (validation as FieldValidationDirective),
  };
  if (fieldManager !== '') out.fieldManager = fieldManager;
  return out;
}

/** Runs a query parse; a Go parse error becomes the 400 the API server answers with its text. */
export function parseQuery<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof GoParseError) throw badRequest(err.message);
    throw err;
  }
}
