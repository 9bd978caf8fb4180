/**
 * Field errors as the real API server writes them (`k8s.io/apimachinery/pkg/util/validation/field`,
 * `errors.go`, 1.33): each becomes one `StatusCause` whose `reason` is the error type
 * (`FieldValueInvalid`, `FieldValueRequired`, ...), whose `field` is the path and whose `message` is
 * `ErrorBody()`: the type's text, the bad value rendered the way Go's `fmt` prints it, then the
 * detail. Validation rules collect them in a {@link FieldErrors} list; the write path turns a
 * non-empty list into the 422 `<Kind>.<group> "<name>" is invalid: ...`.
 */
import type { StatusCause } from '../../core/index.js';
import { goQuote } from '../../resources/index.js';

/**
 * A bad value as `ErrorBody` prints it: strings quoted (`%q`), numbers and booleans plain (`%v`),
 * null as `null`. Values Go prints with `%#v` (structs, maps, slices) are passed already rendered
 * as a {@link GoSyntax}. A nil value prints as `"null"`, quoted, as `ErrorBody` writes it.
 */
export type BadValue = string | number | boolean | null | undefined | GoSyntax;

/** A value already rendered as Go's `%#v` prints it (e.g. `map[string]string{"app":"web"}`). */
export class GoSyntax {
  constructor(readonly text: string) {}
}

/** Go's `%q` of a string (`strconv.Quote`), the one the CRD validation renders with. */
export { goQuote };

function renderValue(value: BadValue): string {
  // `ErrorBody` turns a nil value (or nil pointer) into the string "null", then quotes it.
  if (value === null || value === undefined) return '"null"';
  if (value instanceof GoSyntax) return value.text;
  if (typeof value === 'string') return goQuote(value);
  return String(value);
}

/** A field error list under construction, in the order upstream appends them. */
export class FieldErrors {
  readonly causes: StatusCause[] = [];

  get length(): number {
    return this.causes.length;
  }

  private push(reason: string, field: string, message: string): void {
    this.causes.push({ reason, message, field });
  }

  /** `field.Required`: `Required value[: detail]`. */
  required(field: string, detail = ''): void {
    this.push('FieldValueRequired', field, detail === '' ? 'Required value' : `Required value: ${detail}`);
  }

  /** `field.Invalid`: `Invalid value: <value>[: detail]`. */
  invalid(field: string, value: BadValue, detail: string): void {
    const body = `Invalid value: ${renderValue(value)}`;
    this.push('FieldValueInvalid', field, detail === '' ? body : `${body}: ${detail}`);
  }

  /** `field.NotSupported`: `Unsupported value: <value>: supported values: "a", "b"`. */
  notSupported(field: string, value: BadValue, valid: readonly string[]): void {
    const body = `Unsupported value: ${renderValue(value)}`;
    const detail = valid.length === 0 ? '' : `: supported values: ${valid.map(goQuote).join(', ')}`;
    this.push('FieldValueNotSupported', field, body + detail);
  }

  /** `field.Duplicate`: `Duplicate value: <value>`. */
  duplicate(field: string, value: BadValue): void {
    this.push('FieldValueDuplicate', field, `Duplicate value: ${renderValue(value)}`);
  }

  /** `field.NotFound`: `Not found: <value>`. */
  notFound(field: string, value: BadValue): void {
    this.push('FieldValueNotFound', field, `Not found: ${renderValue(value)}`);
  }

  /** `field.Forbidden`: `Forbidden: detail`. */
  forbidden(field: string, detail: string): void {
    this.push('FieldValueForbidden', field, detail === '' ? 'Forbidden' : `Forbidden: ${detail}`);
  }

  /** `field.TooLong` (1.32+ text): `Too long: may not be more than N bytes`. */
  tooLong(field: string, max: number): void {
    this.push('FieldValueTooLong', field, `Too long: may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}`);
  }

  /** Appends causes from another list or rule. */
  add(causes: readonly StatusCause[]): void {
    this.causes.push(...causes);
  }
}

/** `field.Path.Key`: `data[key]` (keys are written as they are, unquoted). */
export function keyPath(path: string, key: string): string {
  return `${path}[${key}]`;
}

/** Go's `%#v` of a `map[string]string` (keys sorted, as fmt prints maps); nil as `map[string]string(nil)`. */
export function goStringMap(map: unknown): GoSyntax {
  if (map === undefined || map === null || typeof map !== 'object') return new GoSyntax('map[string]string(nil)');
  const entries = Object.entries(map as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new GoSyntax(
    `map[string]string{${entries.map(([k, v]) => `${goQuote(k)}:${goQuote(String(v))}`).join(', ')}}`,
  );
}

/** Go's `%#v` of a `[]string`; nil as `[]string(nil)`. */
export function goStringSlice(list: unknown): GoSyntax {
  if (!Array.isArray(list)) return new GoSyntax('[]string(nil)');
  return new GoSyntax(`[]string{${list.map((v) => goQuote(String(v))).join(', ')}}`);
}

/** Go's `%#v` of a `metav1.LabelSelector` (what field errors on `spec.selector` print). */
export function goLabelSelector(selector: unknown): GoSyntax {
  const s = (selector ?? {}) as { matchLabels?: unknown; matchExpressions?: unknown };
  const expressions = Array.isArray(s.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${s.matchExpressions
        .map((e: { key?: unknown; operator?: unknown; values?: unknown }) => {
          return `v1.LabelSelectorRequirement{Key:${goQuote(String(e?.key ?? ''))}, Operator:${goQuote(String(e?.operator ?? ''))}, Values:${goStringSlice(e?.values).text}}`;
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoSyntax(
    `v1.LabelSelector{MatchLabels:${goStringMap(s.matchLabels).text}, MatchExpressions:${expressions}}`,
  );
}
