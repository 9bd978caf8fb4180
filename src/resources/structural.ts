/**
 * Structural schemas (Go: apiextensions `pkg/apiserver/schema`: `NewStructural`, `validation.go`,
 * `complete.go`). A schema is structural when every field has a type (or is int-or-string or
 * preserve-unknown-fields), logic inside `allOf`/`anyOf`/`oneOf`/`not` only constrains values and
 * never declares types, defaults or extensions, every field such logic names is declared, and the
 * root is an object whose `metadata` says nothing beyond name and generateName. apiextensions.k8s.io/v1
 * refuses any other schema; these are its checks and messages.
 */
import { deepEqual } from '../core/index.js';
import {
  childPath,
  type FieldError,
  fieldErrorString,
  forbiddenError,
  indexPath,
  invalidError,
  requiredError,
} from './field-errors.js';
import { compileGoRegex, RegexSyntaxError } from './regex.js';
import type { JSONSchemaProps } from './types.js';

type Level = 'root' | 'item' | 'field';

const UNSUPPORTED: [keyof JSONSchemaProps, string][] = [
  ['id', 'id'],
  ['$schema', 'schema'],
  ['$ref', '$ref'],
  ['patternProperties', 'patternProperties'],
  ['dependencies', 'dependencies'],
  ['additionalItems', 'additionalItems'],
  ['definitions', 'definitions'],
];

/** `NewStructural`'s refusal of a schema it cannot represent, or undefined. */
export function structuralConversionError(schema: JSONSchemaProps | undefined): string | undefined {
  if (schema === undefined) return undefined;
  for (const [key, name] of UNSUPPORTED) {
    if (schema[key] !== undefined) return `OpenAPIV3Schema '${name}' is not supported`;
  }
  if (Array.isArray(schema.items)) return "OpenAPIV3Schema 'items' must be a schema, but is an array";
  if (schema['x-kubernetes-preserve-unknown-fields'] === false) {
    return "internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined";
  }
  const children: (JSONSchemaProps | undefined)[] = [
    Array.isArray(schema.items) ? undefined : schema.items,
    typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined,
    schema.not,
    ...Object.values(schema.properties ?? {}),
    ...(schema.allOf ?? []),
    ...(schema.anyOf ?? []),
    ...(schema.oneOf ?? []),
  ];
  for (const child of children) {
    const err = structuralConversionError(child);
    if (err !== undefined) return err;
  }
  return undefined;
}

function isIntOrStringAnyOf(anyOf: readonly JSONSchemaProps[] | undefined): boolean {
  return (
    anyOf !== undefined &&
    anyOf.length === 2 &&
    deepEqual(anyOf[0], { type: 'integer' }) &&
    deepEqual(anyOf[1], { type: 'string' })
  );
}

function checkMetadata(s: JSONSchemaProps, check: boolean, level: Level, path: string, out: FieldError[]): void {
  if (check && s.type !== 'object') out.push(invalidError(childPath(path, 'type'), s.type ?? '', 'must be object'));
  if (level !== 'root') return;
  const props = Object.keys(s.properties ?? {});
  const onlyNames = props.length > 0 && props.every((p) => p === 'name' || p === 'generateName');
  const rest: Record<string, unknown> = { ...s };
  delete rest.type;
  delete rest.default;
  if (onlyNames) delete rest.properties;
  for (const key of Object.keys(rest)) if (rest[key] === undefined) delete rest[key];
  if (Object.keys(rest).length > 0) {
    out.push(
      forbiddenError(
        path,
        'must not specify anything other than name and generateName, but metadata is implicitly specified',
      ),
    );
  }
}

function invariants(s: JSONSchemaProps | undefined, level: Level, path: string, out: FieldError[]): void {
  if (s === undefined) return;
  const items = Array.isArray(s.items) ? undefined : s.items;
  if (s.type === 'array' && items === undefined) out.push(requiredError(childPath(path, 'items'), 'must be specified'));
  invariants(items, 'item', childPath(path, 'items'), out);
  for (const [k, v] of Object.entries(s.properties ?? {}))
    invariants(v, 'field', indexPath(childPath(path, 'properties'), k), out);
  if (s.additionalProperties !== undefined) {
    if (level === 'root')
      out.push(forbiddenError(childPath(path, 'additionalProperties'), 'must not be used at the root'));
    if (typeof s.additionalProperties === 'object')
      invariants(s.additionalProperties, 'field', childPath(path, 'additionalProperties'), out);
  }
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  if (intOrString && preserve) {
    out.push(
      invalidError(
        childPath(path, 'x-kubernetes-preserve-unknown-fields'),
        true,
        'must be false if x-kubernetes-int-or-string is true',
      ),
    );
  }
  if (intOrString && embedded) {
    out.push(
      invalidError(
        childPath(path, 'x-kubernetes-embedded-resource'),
        true,
        'must be false if x-kubernetes-int-or-string is true',
      ),
    );
  }
  valueValidation(s, isIntOrStringAnyOf(s.anyOf), isIntOrStringAnyOf(s.allOf?.[0]?.anyOf), level, path, out);
  const type = s.type ?? '';
  if (embedded && type !== 'object') {
    const detail = 'must be object if x-kubernetes-embedded-resource is true';
    out.push(
      type === ''
        ? requiredError(childPath(path, 'type'), detail)
        : invalidError(childPath(path, 'type'), type, detail),
    );
  } else if (type === '' && !intOrString && !preserve) {
    const where =
      level === 'root' ? 'at the root' : level === 'item' ? 'for specified array items' : 'for specified object fields';
    out.push(requiredError(childPath(path, 'type'), `must not be empty ${where}`));
  }
  if (embedded && s.additionalProperties !== undefined) {
    out.push(
      forbiddenError(
        childPath(path, 'additionalProperties'),
        'must not be used if x-kubernetes-embedded-resource is set',
      ),
    );
  }
  if (level === 'root' && type !== '' && type !== 'object')
    out.push(invalidError(childPath(path, 'type'), type, 'must be object at the root'));
  const metaCheck = level === 'root' || embedded;
  const props = s.properties ?? {};
  for (const name of ['kind', 'apiVersion']) {
    if (metaCheck && Object.hasOwn(props, name) && props[name].type !== 'string') {
      out.push(
        invalidError(
          childPath(indexPath(childPath(path, 'properties'), name), 'type'),
          props[name].type ?? '',
          'must be string',
        ),
      );
    }
  }
  if (Object.hasOwn(props, 'metadata'))
    checkMetadata(props.metadata, metaCheck, level, indexPath(childPath(path, 'properties'), 'metadata'), out);
  if (embedded && !preserve && Object.keys(props).length === 0) {
    out.push(
      requiredError(
        childPath(path, 'properties'),
        'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields',
      ),
    );
  }
}

function valueValidation(
  s: JSONSchemaProps,
  skipAnyOf: boolean,
  skipFirstAllOfAnyOf: boolean,
  level: Level,
  path: string,
  out: FieldError[],
): void {
  if (!skipAnyOf)
    for (const [i, v] of (s.anyOf ?? []).entries())
      nested(v, false, level, indexPath(childPath(path, 'anyOf'), i), out);
  for (const [i, v] of (s.allOf ?? []).entries())
    nested(v, skipFirstAllOfAnyOf && i === 0, level, indexPath(childPath(path, 'allOf'), i), out);
  for (const [i, v] of (s.oneOf ?? []).entries()) nested(v, false, level, indexPath(childPath(path, 'oneOf'), i), out);
  if (s.not !== undefined) nested(s.not, false, level, childPath(path, 'not'), out);
  if (s.pattern !== undefined && s.pattern !== '') {
    try {
      compileGoRegex(s.pattern);
    } catch (err) {
      if (err instanceof RegexSyntaxError) {
        out.push(
          invalidError(
            childPath(path, 'pattern'),
            s.pattern,
            `must be a valid regular expression, but isn't: ${err.message}`,
          ),
        );
      }
    }
  }
}

const NESTED_FORBIDDEN: [keyof JSONSchemaProps, string, (v: unknown) => boolean][] = [
  ['type', 'must be empty to be structural', (v) => v !== undefined && v !== ''],
  ['additionalProperties', 'must be undefined to be structural', (v) => v !== undefined],
  ['default', 'must be undefined to be structural', (v) => v !== undefined && v !== null],
  ['title', 'must be empty to be structural', (v) => v !== undefined && v !== ''],
  ['description', 'must be empty to be structural', (v) => v !== undefined && v !== ''],
  ['nullable', 'must be false to be structural', (v) => v === true],
  ['x-kubernetes-preserve-unknown-fields', 'must be false to be structural', (v) => v === true],
  ['x-kubernetes-embedded-resource', 'must be false to be structural', (v) => v === true],
  ['x-kubernetes-int-or-string', 'must be false to be structural', (v) => v === true],
  ['x-kubernetes-list-map-keys', 'must be empty to be structural', (v) => Array.isArray(v) && v.length > 0],
  ['x-kubernetes-list-type', 'must be undefined to be structural', (v) => v !== undefined],
  ['x-kubernetes-map-type', 'must be undefined to be structural', (v) => v !== undefined],
  ['x-kubernetes-validations', 'must be empty to be structural', (v) => Array.isArray(v) && v.length > 0],
];

function nested(v: JSONSchemaProps, skipAnyOf: boolean, level: Level, path: string, out: FieldError[]): void {
  valueValidation(v, skipAnyOf, false, level, path, out);
  if (v.items !== undefined && !Array.isArray(v.items)) nested(v.items, false, level, childPath(path, 'items'), out);
  for (const [k, sub] of Object.entries(v.properties ?? {}))
    nested(sub, false, 'field', indexPath(childPath(path, 'properties'), k), out);
  for (const [key, detail, present] of NESTED_FORBIDDEN) {
    if (key === 'additionalProperties' && v.additionalProperties === undefined) continue;
    if (present(v[key])) out.push(forbiddenError(childPath(path, key), detail));
  }
  if (v.properties !== undefined && Object.hasOwn(v.properties, 'metadata')) {
    out.push(
      forbiddenError(indexPath(childPath(path, 'properties'), 'metadata'), 'must not be specified in a nested context'),
    );
  }
}

/** complete.go: every field value validation names must exist in the structure. */
function completeness(
  v: JSONSchemaProps,
  s: JSONSchemaProps | undefined,
  sPath: string,
  vPath: string,
  out: FieldError[],
): void {
  const combinators: [JSONSchemaProps | undefined, string][] = [
    [v.not, childPath(vPath, 'not')],
    ...(v.allOf ?? []).map((x, i): [JSONSchemaProps, string] => [x, indexPath(childPath(vPath, 'allOf'), i)]),
    ...(v.anyOf ?? []).map((x, i): [JSONSchemaProps, string] => [x, indexPath(childPath(vPath, 'anyOf'), i)]),
    ...(v.oneOf ?? []).map((x, i): [JSONSchemaProps, string] => [x, indexPath(childPath(vPath, 'oneOf'), i)]),
  ];
  for (const [n, p] of combinators) if (n !== undefined) nestedCompleteness(n, s, sPath, p, out);
}

function nestedCompleteness(
  v: JSONSchemaProps,
  s: JSONSchemaProps | undefined,
  sPath: string,
  vPath: string,
  out: FieldError[],
): void {
  if (s === undefined) {
    out.push(requiredError(sPath, `because it is defined in ${vPath}`));
    return;
  }
  completeness(v, s, sPath, vPath, out);
  if (v.items !== undefined && !Array.isArray(v.items)) {
    const sItems = Array.isArray(s.items) ? undefined : s.items;
    nestedCompleteness(v.items, sItems, childPath(sPath, 'items'), childPath(vPath, 'items'), out);
  }
  for (const [k, vField] of Object.entries(v.properties ?? {})) {
    const sField = s.properties !== undefined && Object.hasOwn(s.properties, k) ? s.properties[k] : undefined;
    const sp = indexPath(childPath(sPath, 'properties'), k);
    const vp = indexPath(childPath(vPath, 'properties'), k);
    if (sField === undefined) out.push(requiredError(sp, `because it is defined in ${vp}`));
    else nestedCompleteness(vField, sField, sp, vp, out);
  }
}

/**
 * The structural-schema errors of a schema (Go: `ValidateStructural`), sorted by message as
 * upstream sorts them. `path` is where the schema sits (e.g.
 * `spec.versions[0].schema.openAPIV3Schema`).
 */
export function structuralErrors(schema: JSONSchemaProps, path: string): FieldError[] {
  const out: FieldError[] = [];
  invariants(schema, 'root', path, out);
  // Upstream checks completeness of the root's value validation only (complete.go).
  completeness(schema, schema, path, path, out);
  return out.sort((a, b) => {
    const x = fieldErrorString(a);
    const y = fieldErrorString(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
