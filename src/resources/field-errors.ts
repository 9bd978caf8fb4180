/**
 * Field errors as the API server reports them (Go: apimachinery `util/validation/field`), and the
 * 422 `Status` they are assembled into (`apierrors.NewInvalid`). Texts are those of Kubernetes
 * 1.33: `spec.size: Invalid value: 50: spec.size in body should be less than or equal to 10`.
 */
import { makeStatus, type Status, type StatusCause } from '../core/index.js';
import { goNumber, goQuote, goSyntax } from './go-format.js';

/** The machine-readable kind of a field error; equals the `type` of the `Status` cause. */
export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

/** Marks a bad value that is not printed (Go: `omitValue`). */
export const OMIT_VALUE: unique symbol = Symbol('omit value');

/**
 * One validation failure (Go: `*field.Error`). `field` is the rendered path: `spec.ports[1]`,
 * `<nil>` for a nil path.
 */
export interface FieldError {
  readonly type: FieldErrorType;
  readonly field: string;
  readonly badValue: unknown;
  readonly detail: string;
}

/** A field path as Go renders it, or `null` for a nil path (printed `<nil>`). */
export type FieldPath = string | null;

/** `path.Child(name)`: `spec` + `size` -> `spec.size`. */
export function childPath(path: FieldPath, name: string): string {
  return path === null ? name : `${path}.${name}`;
}

/** `path.Index(i)` and `path.Key(k)`: `spec.ports` + 1 -> `spec.ports[1]`. */
export function indexPath(path: FieldPath, index: number | string): string {
  return `${path ?? ''}[${index}]`;
}

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

function make(type: FieldErrorType, path: FieldPath, badValue: unknown, detail: string): FieldError {
  return { type, field: path ?? '<nil>', badValue, detail };
}

/** `field.Required`: `spec.size: Required value`. */
export function requiredError(path: FieldPath, detail = ''): FieldError {
  return make('FieldValueRequired', path, '', detail);
}

/** `field.Invalid`: `spec.size: Invalid value: 50: <detail>`. */
export function invalidError(path: FieldPath, value: unknown, detail: string): FieldError {
  return make('FieldValueInvalid', path, value, detail);
}

/** `field.TypeInvalid`: rendered like Invalid, typed FieldValueTypeInvalid. */
export function typeInvalidError(path: FieldPath, value: unknown, detail: string): FieldError {
  return make('FieldValueTypeInvalid', path, value, detail);
}

/** `field.NotSupported`: `Unsupported value: "x": supported values: "a", "b"`. */
export function notSupportedError(path: FieldPath, value: unknown, supported: readonly string[]): FieldError {
  const detail = supported.length > 0 ? `supported values: ${supported.map((v) => goQuote(v)).join(', ')}` : '';
  return make('FieldValueNotSupported', path, value, detail);
}

/** `field.Forbidden`: `spec.x: Forbidden: <detail>`. */
export function forbiddenError(path: FieldPath, detail: string): FieldError {
  return make('FieldValueForbidden', path, '', detail);
}

/** `field.Duplicate`: `spec.tags[2]: Duplicate value: "a"`. */
export function duplicateError(path: FieldPath, value: unknown): FieldError {
  return make('FieldValueDuplicate', path, value, '');
}

/** `field.TooLong` (1.33 wording: always "bytes", though runes are counted). */
export function tooLongError(path: FieldPath, maxLength: number): FieldError {
  const detail = maxLength >= 0 ? `may not be more than ${maxLength} bytes` : 'value is too long';
  return make('FieldValueTooLong', path, '<value omitted>', detail);
}

/** `field.TooMany` (1.33 wording: always "items"). */
export function tooManyError(path: FieldPath, actual: number, max: number): FieldError {
  const detail = max >= 0 ? `must have at most ${max} items` : 'has too many items';
  return make('FieldValueTooMany', path, actual >= 0 ? actual : OMIT_VALUE, detail);
}

/** `field.InternalError`: `spec: Internal error: <detail>`. */
export function internalError(path: FieldPath, detail: string): FieldError {
  return make('InternalError', path, null, detail);
}

/** Go's `%v`/`%q`/`%#v` choice for a bad value (1.33 `ErrorBody`); null prints as `"null"`. */
function renderValue(value: unknown): string {
  if (value === null || value === undefined) return '"null"';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return goSyntax(value);
}

/** The error without its field (Go: `ErrorBody`), the `message` of a `Status` cause. */
export function fieldErrorBody(error: FieldError): string {
  let body: string;
  switch (error.type) {
    case 'FieldValueRequired':
    case 'FieldValueForbidden':
    case 'FieldValueTooLong':
    case 'InternalError':
      body = TYPE_TEXT[error.type];
      break;
    default:
      body =
        error.badValue === OMIT_VALUE
          ? TYPE_TEXT[error.type]
          : `${TYPE_TEXT[error.type]}: ${renderValue(error.badValue)}`;
  }
  return error.detail.length > 0 ? `${body}: ${error.detail}` : body;
}

/** The whole error (Go: `Error()`): `spec.size: Invalid value: 50: ...`. */
export function fieldErrorString(error: FieldError): string {
  return `${error.field}: ${fieldErrorBody(error)}`;
}

/**
 * The aggregate message of a list (Go: `ErrorList.ToAggregate().Error()`): one error alone,
 * several as `[e1, e2]`, duplicates removed, order kept.
 */
export function aggregateFieldErrors(errors: readonly FieldError[]): string {
  const seen = new Set<string>();
  for (const error of errors) seen.add(fieldErrorString(error));
  const messages = [...seen];
  return messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
}

/** The object a 422 is about: `{ group, kind, name }` (core kinds have group `''`). */
export interface InvalidTarget {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
}

/**
 * The 422 `Status` the API server answers an invalid object with (Go: `apierrors.NewInvalid`):
 * message `Memcached.cache.example.com "x" is invalid: <errors>`, reason `Invalid`, details
 * `{ name, group, kind, causes }` with one cause per error (duplicates kept, as upstream).
 *
 * @example
 * ```ts
 * declare const errors: FieldError[];
 *
 * invalidStatus({ group: 'cache.example.com', kind: 'Memcached', name: 'x' }, errors);
 * ```
 */
export function invalidStatus(target: InvalidTarget, errors: readonly FieldError[]): Status {
  const qualified = target.group === '' ? target.kind : `${target.kind}.${target.group}`;
  const message =
    errors.length === 0
      ? `${qualified} ${goQuote(target.name)} is invalid`
      : `${qualified} ${goQuote(target.name)} is invalid: ${aggregateFieldErrors(errors)}`;
  const causes: StatusCause[] = errors.map((error) => ({
    reason: error.type,
    message: fieldErrorBody(error),
    field: error.field,
  }));
  const details: { name: string; group?: string; kind: string; causes: StatusCause[] } = {
    name: target.name,
    kind: target.kind,
    causes,
  };
  if (target.group !== '') details.group = target.group;
  return makeStatus(422, 'Invalid', message, details);
}
