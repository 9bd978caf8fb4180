/**
 * Value validation against an `openAPIV3Schema`, keyword by keyword as kube-openapi's
 * `validate.SchemaValidator` does for the API server (type incl. nullable, enum, format, bounds,
 * multipleOf, lengths in runes, pattern, item and property counts, uniqueItems, required,
 * additionalProperties, allOf/anyOf/oneOf/not, int-or-string), then converted to field errors as
 * apiextensions' `kubeOpenAPIResultToFieldErrors` does. Validator order, message texts, the
 * "best failing alternative" of anyOf/oneOf and message de-duplication follow the Go code, so the
 * errors match the server's. With an old value, ratcheting drops errors on unchanged values.
 */
import { additionalOf, Correlation, itemsOf } from './correlation.js';
import {
  childPath,
  type FieldError,
  type FieldPath,
  invalidError,
  notSupportedError,
  requiredError,
  tooLongError,
  tooManyError,
  typeInvalidError,
} from './field-errors.js';
import { formatChecker } from './formats.js';
import { goFloat, goNumber, goQuote, goValue } from './go-format.js';
import { compileGoRegex } from './regex.js';
import type { JSONSchemaProps } from './types.js';

type Code =
  | 'type'
  | 'required'
  | 'tooLong'
  | 'tooShort'
  | 'pattern'
  | 'enum'
  | 'multipleOf'
  | 'max'
  | 'min'
  | 'unique'
  | 'maxItems'
  | 'minItems'
  | 'tooFewProperties'
  | 'tooManyProperties'
  | 'unallowedProperty'
  | 'multipleOfPositive';

/** One kube-openapi error: a `Validation` (with a code and a name) or a composite message. */
interface Issue {
  readonly code: Code | 'composite';
  readonly name: string;
  readonly message: string;
  readonly value?: unknown;
  readonly valid?: number;
  readonly values?: readonly unknown[];
}

/** kube-openapi's `Result`: errors de-duplicated by message, and the match count anyOf ranks by. */
class Result {
  errors: Issue[] = [];
  warnings: Issue[] = [];
  matchCount = 0;

  add(issue: Issue): void {
    if (!this.errors.some((e) => e.message === issue.message)) this.errors.push(issue);
  }

  merge(other: Result | undefined): this {
    if (other === undefined) return this;
    for (const e of other.errors) this.add(e);
    for (const w of other.warnings) if (!this.warnings.some((x) => x.message === w.message)) this.warnings.push(w);
    this.matchCount += other.matchCount;
    return this;
  }

  get valid(): boolean {
    return this.errors.length === 0;
  }
}

const IN = 'body';

function kindOf(data: unknown): 'null' | 'string' | 'bool' | 'int' | 'float' | 'slice' | 'map' {
  if (data === null || data === undefined) return 'null';
  if (typeof data === 'string') return 'string';
  if (typeof data === 'boolean') return 'bool';
  if (typeof data === 'number') return Number.isInteger(data) && Math.abs(data) < 2 ** 63 ? 'int' : 'float';
  if (Array.isArray(data)) return 'slice';
  return 'map';
}

/** The JSON-schema type name and Go format of a decoded value (kube-openapi `schemaInfoForType`). */
function schemaInfo(data: unknown): [string, string] {
  switch (kindOf(data)) {
    case 'bool':
      return ['boolean', ''];
    case 'string':
      return ['string', ''];
    case 'int':
      return ['integer', 'int64'];
    case 'float':
      return ['number', 'float64'];
    case 'slice':
      return ['array', ''];
    default:
      return ['object', ''];
  }
}

function typesOf(schema: JSONSchemaProps): string[] {
  if (schema['x-kubernetes-int-or-string'] === true) return ['integer', 'string'];
  return schema.type === undefined || schema.type === '' ? [] : [schema.type];
}

function at(path: string): string {
  return path;
}

function msg(path: string, text: string): string {
  return `${path} in ${IN} ${text}`;
}

/** A format only counts when the API server honours it (others are stripped before validating). */
function effectiveFormat(schema: JSONSchemaProps): string {
  return formatChecker(schema.format) === undefined ? '' : (schema.format ?? '');
}

function validateType(schema: JSONSchemaProps, data: unknown, path: string): Result | undefined {
  const types = typesOf(schema);
  const format = effectiveFormat(schema);
  if (types.length === 0 && format === '') return undefined;
  const result = new Result();
  result.matchCount++;
  const typeName = types.join(',');
  const fail = (expected: string, got: string): Result => {
    const r = new Result();
    r.add({
      code: 'type',
      name: path,
      value: got,
      message: `${msg(path, `must be of type ${expected}`)}: ${goQuote(got)}`,
    });
    return r;
  };
  if (data === null || data === undefined) {
    if (types.length > 0 && !types.includes('null') && schema.nullable !== true) return fail(typeName, 'null');
    return result;
  }
  const kind = kindOf(data);
  const [schType, goFormat] = schemaInfo(data);
  const isIntFloat = schType === 'integer' && types.includes('number');
  if (kind !== 'string' && kind !== 'slice' && format !== '' && !(types.includes(schType) || isIntFloat)) {
    return fail(format, goFormat);
  }
  if (
    !(types.includes('number') || types.includes('integer')) &&
    format !== '' &&
    (kind === 'string' || kind === 'slice')
  ) {
    return result;
  }
  if (!(types.includes(schType) || isIntFloat)) return fail(typeName, schType);
  return result;
}

function validateString(schema: JSONSchemaProps, data: string, path: string): Result | undefined {
  const r = new Result();
  const runes = schema.maxLength !== undefined || schema.minLength !== undefined ? [...data].length : 0;
  if (schema.maxLength !== undefined && runes > schema.maxLength) {
    r.add({
      code: 'tooLong',
      name: path,
      value: data,
      valid: schema.maxLength,
      message: msg(path, `should be at most ${schema.maxLength} chars long`),
    });
    return r;
  }
  if (schema.minLength !== undefined && runes < schema.minLength) {
    r.add({
      code: 'tooShort',
      name: path,
      value: data,
      message: msg(path, `should be at least ${schema.minLength} chars long`),
    });
    return r;
  }
  if (schema.pattern !== undefined && schema.pattern !== '') {
    let matched: boolean;
    let shown = schema.pattern;
    try {
      matched = compileGoRegex(schema.pattern).test(data);
    } catch (err) {
      matched = false;
      shown = `${schema.pattern}, but pattern is invalid: ${(err as Error).message}`;
    }
    if (!matched) {
      r.add({ code: 'pattern', name: path, value: data, message: msg(path, `should match '${shown}'`) });
      return r;
    }
  }
  return undefined;
}

function validateFormat(schema: JSONSchemaProps, data: string, path: string): Result | undefined {
  const check = formatChecker(schema.format);
  if (check === undefined || check(data)) return undefined;
  const r = new Result();
  r.add({
    code: 'type',
    name: path,
    value: data,
    message: `${msg(path, `must be of type ${schema.format}`)}: ${goQuote(data)}`,
  });
  return r;
}

function validateNumber(schema: JSONSchemaProps, data: number, path: string): Result {
  const r = new Result();
  const isInt = kindOf(data) === 'int';
  // Integer values are compared with int64(bound) and print the truncated bound, as kube-openapi does.
  const bound = (b: number): string => (isInt ? goNumber(Math.trunc(b)) : goFloat(b));
  const cmp = (b: number): number => (isInt ? Math.trunc(b) : b);
  if (schema.multipleOf !== undefined) {
    const factor = isInt ? Math.trunc(schema.multipleOf) : schema.multipleOf;
    if (factor <= 0) {
      r.add({
        code: 'multipleOfPositive',
        name: path,
        value: factor,
        message: `factor MultipleOf declared for ${path} must be positive: ${isInt ? goNumber(factor) : goFloat(factor)}`,
      });
    } else {
      const mult = isInt ? data / factor : factor < 1 ? (1 / factor) * data : data / factor;
      if (!Number.isInteger(mult) || Math.abs(mult) > 2 ** 53) {
        r.add({
          code: 'multipleOf',
          name: path,
          value: data,
          message: msg(path, `should be a multiple of ${bound(factor)}`),
        });
      }
    }
  }
  if (schema.minimum !== undefined) {
    const min = cmp(schema.minimum);
    const exclusive = schema.exclusiveMinimum === true;
    if ((!exclusive && data < min) || (exclusive && data <= min)) {
      const text = exclusive
        ? `should be greater than ${bound(schema.minimum)}`
        : `should be greater than or equal to ${bound(schema.minimum)}`;
      r.add({ code: 'min', name: path, value: data, message: msg(path, text) });
    }
  }
  if (schema.maximum !== undefined) {
    const max = cmp(schema.maximum);
    const exclusive = schema.exclusiveMaximum === true;
    if ((!exclusive && data > max) || (exclusive && data >= max)) {
      const text = exclusive
        ? `should be less than ${bound(schema.maximum)}`
        : `should be less than or equal to ${bound(schema.maximum)}`;
      r.add({ code: 'max', name: path, value: data, message: msg(path, text) });
    }
  }
  r.matchCount++;
  return r;
}

/** Go's reflect-based enum comparison, including its int-to-string rune conversion. */
function enumMatches(data: unknown, allowed: unknown): boolean {
  if (typeof allowed === 'string' && typeof data === 'number' && kindOf(data) === 'int') {
    const rune = data >= 0 && data <= 0x10ffff && !(data >= 0xd800 && data <= 0xdfff) ? data : 0xfffd;
    return String.fromCodePoint(rune) === allowed;
  }
  if (typeof data === 'number' && typeof allowed === 'number') return data === allowed;
  return deepJsonEqual(data, allowed);
}

function deepJsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepJsonEqual(x, b[i]));
  if (
    typeof a === 'object' &&
    typeof b === 'object' &&
    a !== null &&
    b !== null &&
    !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every(
        (k) =>
          Object.hasOwn(b, k) && deepJsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
      )
    );
  }
  return false;
}

function validateEnum(schema: JSONSchemaProps, data: unknown, path: string): Result | undefined {
  const allowed = schema.enum;
  if (allowed === undefined || allowed.length === 0) return undefined;
  if (data !== null && data !== undefined && allowed.some((v) => v !== null && enumMatches(data, v))) return undefined;
  const r = new Result();
  r.add({
    code: 'enum',
    name: path,
    value: data,
    values: allowed,
    message: msg(path, `should be one of ${goValue(allowed)}`),
  });
  return r;
}

/** What a field or item is validated with: a fresh validator, or a ratcheting one when correlated. */
type Descend = (schema: JSONSchemaProps, data: unknown, path: string, corr: Correlation | undefined) => Result;

function validateSlice(
  schema: JSONSchemaProps,
  data: unknown[],
  path: string,
  corr: Correlation | undefined,
  descend: Descend,
): Result {
  const r = new Result();
  const items = itemsOf(schema);
  if (items !== undefined) {
    for (let i = 0; i < data.length; i++) r.merge(descend(items, data[i], `${path}[${i}]`, corr?.index(i)));
  }
  if (schema.minItems !== undefined && data.length < schema.minItems) {
    r.add({
      code: 'minItems',
      name: path,
      value: data.length,
      valid: schema.minItems,
      message: msg(path, `should have at least ${schema.minItems} items`),
    });
  }
  if (schema.maxItems !== undefined && data.length > schema.maxItems) {
    r.add({
      code: 'maxItems',
      name: path,
      value: data.length,
      valid: schema.maxItems,
      message: msg(path, `should have at most ${schema.maxItems} items`),
    });
  }
  if (schema.uniqueItems === true) {
    const seen: unknown[] = [];
    for (const item of data) {
      if (seen.some((s) => deepJsonEqual(s, item))) {
        r.add({ code: 'unique', name: path, message: msg(path, "shouldn't contain duplicates") });
        break;
      }
      seen.push(item);
    }
  }
  r.matchCount++;
  return r;
}

function validateObject(
  schema: JSONSchemaProps,
  data: Record<string, unknown>,
  path: string,
  corr: Correlation | undefined,
  descend: Descend,
): Result {
  const r = new Result();
  const keys = Object.keys(data);
  if (schema.minProperties !== undefined && keys.length < schema.minProperties) {
    r.add({
      code: 'tooFewProperties',
      name: path,
      value: keys.length,
      valid: schema.minProperties,
      message: msg(path, `should have at least ${schema.minProperties} properties`),
    });
  }
  if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) {
    r.add({
      code: 'tooManyProperties',
      name: path,
      value: keys.length,
      valid: schema.maxProperties,
      message: msg(path, `should have at most ${schema.maxProperties} properties`),
    });
  }
  const properties = schema.properties ?? {};
  if (schema.additionalProperties === false) {
    for (const key of keys) {
      if (!Object.hasOwn(properties, key))
        r.add({
          code: 'unallowedProperty',
          name: path,
          value: key,
          message: `${path}.${key} in ${IN} is a forbidden property`,
        });
    }
  } else {
    const extra = additionalOf(schema);
    if (extra !== undefined) {
      for (const key of keys) {
        if (!Object.hasOwn(properties, key)) r.merge(descend(extra, data[key], `${path}.${key}`, corr?.key(key)));
      }
    }
  }
  for (const [name, sub] of Object.entries(properties)) {
    if (Object.hasOwn(data, name))
      r.merge(descend(sub, data[name], path === '' ? name : `${path}.${name}`, corr?.key(name)));
  }
  for (const name of schema.required ?? []) {
    if (!Object.hasOwn(data, name))
      r.add({ code: 'required', name: `${path}.${name}`, message: msg(`${path}.${name}`, 'is required') });
  }
  return r;
}

function validateCombinators(
  schema: JSONSchemaProps,
  data: unknown,
  path: string,
  corr: Correlation | undefined,
  descend: Descend,
): Result {
  const main = new Result();
  if (
    schema.anyOf === undefined &&
    schema.oneOf === undefined &&
    schema.allOf === undefined &&
    schema.not === undefined
  ) {
    main.matchCount++;
    return main;
  }
  const quoted = goQuote(path);
  if (schema.anyOf !== undefined && schema.anyOf.length > 0) {
    let best: Result | undefined;
    let first: Result | undefined;
    let succeeded = false;
    for (const alt of schema.anyOf) {
      const res = node(alt, data, path, corr, descend);
      if (res.valid) {
        best = undefined;
        succeeded = true;
        first ??= res;
        break;
      }
      if (best === undefined || res.matchCount > best.matchCount) best = res;
    }
    if (!succeeded)
      main.add({ code: 'composite', name: path, message: `${quoted} must validate at least one schema (anyOf)` });
    main.merge(best ?? first);
  }
  if (schema.oneOf !== undefined && schema.oneOf.length > 0) {
    let best: Result | undefined;
    let first: Result | undefined;
    let validated = 0;
    for (const alt of schema.oneOf) {
      const res = node(alt, data, path, corr, descend);
      if (res.valid) {
        validated++;
        best = undefined;
        first ??= res;
        continue;
      }
      if (validated === 0 && (best === undefined || res.matchCount > best.matchCount)) best = res;
    }
    if (validated !== 1) {
      const detail = validated === 0 ? 'Found none valid' : `Found ${validated} valid alternatives`;
      main.add({
        code: 'composite',
        name: path,
        message: `${quoted} must validate one and only one schema (oneOf). ${detail}`,
      });
      main.merge(best);
    } else {
      main.merge(first);
    }
  }
  if (schema.allOf !== undefined && schema.allOf.length > 0) {
    let validated = 0;
    for (const alt of schema.allOf) {
      const res = node(alt, data, path, corr, descend);
      if (res.valid) validated++;
      main.merge(res);
    }
    if (validated !== schema.allOf.length) {
      const detail = validated === 0 ? '. None validated' : '';
      main.add({ code: 'composite', name: path, message: `${quoted} must validate all the schemas (allOf)${detail}` });
    }
  }
  if (schema.not !== undefined && node(schema.not, data, path, corr, descend).valid) {
    main.add({ code: 'composite', name: path, message: `${quoted} must not validate the schema (not)` });
  }
  main.matchCount++;
  return main;
}

/** kube-openapi `SchemaValidator.Validate`: every applicable validator, in Go's order. */
function node(
  schema: JSONSchemaProps,
  data: unknown,
  path: string,
  corr: Correlation | undefined,
  descend: Descend,
): Result {
  const result = new Result();
  if (data === null || data === undefined) {
    result.merge(validateType(schema, data, path));
    result.merge(validateEnum(schema, data, path));
    return result;
  }
  const kind = kindOf(data);
  const step = (r: Result | undefined): void => {
    result.merge(r);
    result.matchCount++;
  };
  if (typesOf(schema).length > 0 || effectiveFormat(schema) !== '') step(validateType(schema, data, path));
  step(validateCombinators(schema, data, path, corr, descend));
  if (kind === 'string') step(validateString(schema, data as string, path));
  if (kind === 'string' && formatChecker(schema.format) !== undefined)
    step(validateFormat(schema, data as string, path));
  if (kind === 'int' || kind === 'float') step(validateNumber(schema, data as number, path));
  if (kind === 'slice') step(validateSlice(schema, data as unknown[], path, corr, descend));
  step(validateEnum(schema, data, path));
  if (kind === 'map') step(validateObject(schema, data as Record<string, unknown>, path, corr, descend));
  result.matchCount++;
  return result;
}

/** A plain validator for a field or item (no old value to ratchet against). */
const plain: Descend = (schema, data, path) => node(schema, data, path, undefined, plain);

/** The ratcheting validator (apiextensions `ratchetingValueValidator`) for a correlated value. */
function ratcheting(rootPath: string): Descend {
  const descend: Descend = (schema, data, path, corr) => {
    if (corr === undefined || (rootPath === '' && (path === 'apiVersion' || path === 'kind'))) {
      return node(schema, data, path, undefined, descend);
    }
    const res = node(schema, data, path, corr, descend);
    if (res.valid || !corr.unchanged()) return res;
    const ratcheted = new Result();
    ratcheted.warnings = [...res.warnings, ...res.errors];
    ratcheted.matchCount = res.matchCount;
    return ratcheted;
  };
  return descend;
}

/** A field error from one kube-openapi issue (apiextensions `kubeOpenAPIResultToFieldErrors`). */
function toFieldError(base: FieldPath, issue: Issue): FieldError {
  if (issue.code === 'composite') return invalidError(base, '', issue.message);
  const path = issue.name.length > 0 && issue.name !== '.' ? childPath(base, issue.name.replace(/^\./, '')) : base;
  switch (issue.code) {
    case 'required':
      return requiredError(path);
    case 'enum':
      return notSupportedError(
        path,
        issue.value,
        (issue.values ?? []).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
      );
    case 'tooLong':
      return tooLongError(path, issue.valid ?? -1);
    case 'maxItems':
    case 'tooManyProperties':
      return tooManyError(path, (issue.value as number) ?? -1, issue.valid ?? -1);
    case 'type':
      return typeInvalidError(path, issue.value ?? '', issue.message);
    default:
      return invalidError(path, issue.value ?? '', issue.message);
  }
}

/** Options of {@link validateAgainstSchema}. */
export interface SchemaValidationOptions {
  /** Where the value sits in the object: `null` for the whole object, `'status'` for `/status`. */
  readonly path?: FieldPath;
  /** The previous value: errors on values the update left unchanged are dropped (ratcheting). */
  readonly oldValue?: unknown;
  /** Whether an old value takes part (an update); `oldValue` may legitimately be undefined. */
  readonly update?: boolean;
}

/**
 * Validates a value against an `openAPIV3Schema` (no pruning, defaulting, list-type or CEL: those
 * are separate steps). Returns the field errors the API server would report, in its order.
 *
 * @example
 * ```ts
 * import type { JSONSchemaProps } from 'kloop';
 * declare const schema: JSONSchemaProps;
 *
 * validateAgainstSchema(schema, { spec: { size: 50 } });
 * // [{ type: 'FieldValueInvalid', field: 'spec.size', badValue: 50,
 * //    detail: 'spec.size in body should be less than or equal to 10' }]
 * ```
 */
export function validateAgainstSchema(
  schema: JSONSchemaProps,
  value: unknown,
  options: SchemaValidationOptions = {},
): FieldError[] {
  const base = options.path ?? null;
  let result: Result;
  if (options.update === true) {
    const corr = new Correlation(value, options.oldValue, schema);
    result = ratcheting('')(schema, value, '', corr);
  } else {
    result = node(schema, value, at(''), undefined, plain);
  }
  return result.errors.map((issue) => toFieldError(base, issue));
}
