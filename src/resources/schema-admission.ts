/**
 * Admission of a CRD version's `openAPIV3Schema` (Go: apiextensions
 * `pkg/apis/apiextensions/validation/validation.go`, `validateCustomResourceDefinitionValidation`
 * and `ValidateCustomResourceDefinitionOpenAPISchema`): the structural checks, defaults that must
 * validate and be pruned, and the per-node rules on keywords, list and map types, and
 * `x-kubernetes-validations` (which must compile). The emulator refuses a CRD with these errors;
 * `defineResource` refuses a definition with them.
 *
 * The static CEL cost estimate (see `cel/estimate.ts` for where it may differ from cel-go's)
 * refuses a rule whose worst-case cost, times how many times it can run in one request (the
 * bounds of the enclosing lists and maps, see `cel-cost-budget.ts`), is over the per-expression
 * limit, and a schema whose rules together are over the total limit.
 *
 * Not reproduced: cel-go's exact compiler messages (the compile error text here is cel-js's).
 */
import { CelCompileError, compileExpression, type FieldSelection } from './cel/environment.js';
import { compileRuleValidator, resolveFieldPath } from './cel/rules.js';
import { escapePropertyName } from './cel/values.js';
import { CostBudget, childCardinality } from './cel-cost-budget.js';
import { additionalOf, itemsOf, propertyOf } from './correlation.js';
import {
  childPath,
  type FieldError,
  forbiddenError,
  indexPath,
  invalidError,
  notSupportedError,
  requiredError,
} from './field-errors.js';
import { GoLiteral, goQuote } from './go-format.js';
import { pruneUnknownFields } from './pruning.js';
import { validateAgainstSchema } from './schema-validator.js';
import { structuralConversionError, structuralErrors } from './structural.js';
import type { JSONSchemaProps, ValidationRule } from './types.js';

const OPENAPI_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const REASONS = ['FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueInvalid', 'FieldValueRequired'];
const META_FIELDS = new Set(['metadata', 'kind', 'apiVersion']);
const ROOT_ALLOWED_WITH_STATUS = new Set([
  'description',
  'type',
  'format',
  'title',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'required',
  'items',
  'properties',
  'externalDocs',
  'example',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
]);

/** Go's `%#v` of an `apiextensions.ValidationRule` (the bad value of rule compile errors). */
function ruleGoSyntax(rule: ValidationRule): string {
  const reason =
    rule.reason === undefined
      ? '(*apiextensions.FieldValueErrorReason)(nil)'
      : `(*apiextensions.FieldValueErrorReason)(${goQuote(rule.reason)})`;
  const optional = rule.optionalOldSelf === undefined ? '(*bool)(nil)' : `(*bool)(${rule.optionalOldSelf})`;
  return `apiextensions.ValidationRule{Rule:${goQuote(rule.rule)}, Message:${goQuote(rule.message ?? '')}, MessageExpression:${goQuote(rule.messageExpression ?? '')}, Reason:${reason}, FieldPath:${goQuote(rule.fieldPath ?? '')}, OptionalOldSelf:${optional}}`;
}

interface NodeState {
  readonly allowDefaults: boolean;
  readonly defaultsReason: string;
  readonly insideMeta: boolean;
  /** Where `oldSelf` stops being usable (under a non-map list), if anywhere above. */
  readonly uncorrelatable?: string;
  /** How many times this node's value can occur in one object; undefined when a list or map above is unbounded. */
  readonly cardinality: number | undefined;
}

interface Collected {
  schema: FieldError[];
  cel: FieldError[];
  readonly cost: CostBudget;
}

function hasNewline(s: string): boolean {
  return s.includes('\n');
}

function perNode(
  schema: JSONSchemaProps | undefined,
  path: string,
  state: NodeState,
  isRoot: boolean,
  celOk: boolean,
  out: Collected,
): void {
  if (schema === undefined) return;
  const start = out.schema.length;
  const type = schema.type ?? '';
  if (type !== '' && !OPENAPI_TYPES.includes(type))
    out.schema.push(notSupportedError(childPath(path, 'type'), type, OPENAPI_TYPES));
  if (schema.default !== undefined && !state.allowDefaults) {
    out.schema.push(
      forbiddenError(
        childPath(path, 'default'),
        `must not be set${state.defaultsReason === '' ? '' : ` ${state.defaultsReason}`}`,
      ),
    );
  }
  const unsupported: [keyof JSONSchemaProps, string, string][] = [
    ['id', 'id', 'id is not supported'],
    ['additionalItems', 'additionalItems', 'additionalItems is not supported'],
    ['patternProperties', 'patternProperties', 'patternProperties is not supported'],
    ['definitions', 'definitions', 'definitions is not supported'],
    ['dependencies', 'dependencies', 'dependencies is not supported'],
    ['$ref', '$ref', '$ref is not supported'],
  ];
  for (const [key, name, detail] of unsupported) {
    const v = schema[key];
    if (
      v !== undefined &&
      v !== '' &&
      !(typeof v === 'object' && v !== null && Object.keys(v).length === 0 && key !== 'additionalItems')
    ) {
      out.schema.push(forbiddenError(childPath(path, name), detail));
    }
  }
  if (type === 'null')
    out.schema.push(
      forbiddenError(childPath(path, 'type'), 'type cannot be set to null, use nullable as an alternative'),
    );
  if (Array.isArray(schema.items) && schema.items.length > 0) {
    out.schema.push(forbiddenError(childPath(path, 'items'), 'items must be a schema object and not an array'));
  }
  if (state.insideMeta && schema['x-kubernetes-embedded-resource'] === true) {
    out.schema.push(
      forbiddenError(childPath(path, 'x-kubernetes-embedded-resource'), 'must not be used inside of resource meta'),
    );
  }
  if (schema.uniqueItems === true) {
    out.schema.push(
      forbiddenError(
        childPath(path, 'uniqueItems'),
        'uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      ),
    );
  }
  const child = (sub: NodeState): NodeState => ({ ...sub, cardinality: childCardinality(state.cardinality, schema) });
  if (schema.additionalProperties !== undefined) {
    if (Object.keys(schema.properties ?? {}).length > 0 && schema.additionalProperties !== true) {
      out.schema.push(
        forbiddenError(
          childPath(path, 'additionalProperties'),
          'additionalProperties and properties are mutual exclusive',
        ),
      );
    }
    const sub = state.insideMeta
      ? { ...state, allowDefaults: false, defaultsReason: 'inside additionalProperties applying to object metadata' }
      : state;
    perNode(additionalOf(schema), childPath(path, 'additionalProperties'), child(sub), false, celOk, out);
  }
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    let sub = child(state);
    if ((isRoot || schema['x-kubernetes-embedded-resource'] === true) && META_FIELDS.has(name)) {
      sub = { ...sub, insideMeta: true };
      if (isRoot) sub = { ...sub, allowDefaults: false, defaultsReason: `in top-level ${name}` };
    }
    perNode(prop, indexPath(childPath(path, 'properties'), name), sub, false, celOk, out);
  }
  perNode(schema.not, childPath(path, 'not'), state, false, false, out);
  for (const [key, list] of [
    ['allOf', schema.allOf],
    ['oneOf', schema.oneOf],
    ['anyOf', schema.anyOf],
  ] as const) {
    for (const [i, sub] of (list ?? []).entries())
      perNode(sub, indexPath(childPath(path, key), i), state, false, false, out);
  }
  const items = itemsOf(schema);
  if (items !== undefined) {
    const sub =
      schema['x-kubernetes-list-type'] !== 'map' && state.uncorrelatable === undefined
        ? { ...state, uncorrelatable: path }
        : state;
    perNode(items, childPath(path, 'items'), child(sub), false, celOk, out);
  }
  if (schema['x-kubernetes-preserve-unknown-fields'] === false) {
    out.schema.push(
      invalidError(childPath(path, 'x-kubernetes-preserve-unknown-fields'), false, 'must be true or undefined'),
    );
  }
  const mapType = schema['x-kubernetes-map-type'];
  if (mapType !== undefined && type !== 'object') {
    const detail = 'must be object if x-kubernetes-map-type is specified';
    out.schema.push(
      type === ''
        ? requiredError(childPath(path, 'type'), detail)
        : invalidError(childPath(path, 'type'), type, detail),
    );
  }
  if (mapType !== undefined && mapType !== 'atomic' && mapType !== 'granular') {
    out.schema.push(notSupportedError(childPath(path, 'x-kubernetes-map-type'), mapType, ['atomic', 'granular']));
  }
  listChecks(schema, path, out);
  rules(schema, path, state, celOk, start, out);
}

function listChecks(schema: JSONSchemaProps, path: string, out: Collected): void {
  const type = schema.type ?? '';
  const listType = schema['x-kubernetes-list-type'];
  const items = itemsOf(schema);
  if (listType !== undefined && type !== 'array') {
    const detail = 'must be array if x-kubernetes-list-type is specified';
    out.schema.push(
      type === ''
        ? requiredError(childPath(path, 'type'), detail)
        : invalidError(childPath(path, 'type'), type, detail),
    );
  } else if (listType === 'set' && items !== undefined) {
    if (
      items.type === 'array' &&
      items['x-kubernetes-list-type'] !== undefined &&
      items['x-kubernetes-list-type'] !== 'atomic'
    ) {
      out.schema.push(
        invalidError(
          childPath(childPath(path, 'items'), 'x-kubernetes-list-type'),
          items['x-kubernetes-list-type'],
          'must be atomic as item of a list with x-kubernetes-list-type=set',
        ),
      );
    }
    if (items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic') {
      out.schema.push(
        invalidError(
          childPath(childPath(path, 'items'), 'x-kubernetes-map-type'),
          items['x-kubernetes-list-type'] ?? null,
          'must be atomic as item of a list with x-kubernetes-list-type=set',
        ),
      );
    }
  }
  if (listType !== undefined && listType !== 'atomic' && listType !== 'set' && listType !== 'map') {
    out.schema.push(notSupportedError(childPath(path, 'x-kubernetes-list-type'), listType, ['atomic', 'set', 'map']));
  }
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  if (keys.length > 0) {
    if (listType === undefined)
      out.schema.push(
        requiredError(
          childPath(path, 'x-kubernetes-list-type'),
          'must be map if x-kubernetes-list-map-keys is non-empty',
        ),
      );
    else if (listType !== 'map')
      out.schema.push(
        invalidError(
          childPath(path, 'x-kubernetes-list-type'),
          listType,
          'must be map if x-kubernetes-list-map-keys is non-empty',
        ),
      );
  }
  const keysValue = new GoLiteral(`[]string{${keys.map((k) => goQuote(k)).join(', ')}}`);
  if (listType === 'map') {
    if (keys.length === 0)
      out.schema.push(
        requiredError(
          childPath(path, 'x-kubernetes-list-map-keys'),
          'must not be empty if x-kubernetes-list-type is map',
        ),
      );
    if (schema.items === undefined)
      out.schema.push(requiredError(childPath(path, 'items'), 'must have a schema if x-kubernetes-list-type is map'));
    if (items !== undefined && items.type !== 'object') {
      out.schema.push(
        invalidError(
          childPath(childPath(path, 'items'), 'type'),
          items.type ?? '',
          "must be object if parent array's x-kubernetes-list-type is map",
        ),
      );
    }
    if (items !== undefined && items.type === 'object') {
      const seen = new Set<string>();
      for (const k of keys) {
        const prop = propertyOf(items, k);
        if (prop === undefined) {
          out.schema.push(
            invalidError(
              childPath(path, 'x-kubernetes-list-map-keys'),
              keysValue,
              'entries must all be names of item properties',
            ),
          );
        } else if (prop.type === 'array' || prop.type === 'object') {
          out.schema.push(
            invalidError(
              childPath(indexPath(childPath(childPath(path, 'items'), 'properties'), k), 'type'),
              items.type,
              "must be a scalar type if parent array's x-kubernetes-list-type is map",
            ),
          );
        }
        if (seen.has(k))
          out.schema.push(
            invalidError(
              childPath(path, 'x-kubernetes-list-map-keys'),
              keysValue,
              'must not contain duplicate entries',
            ),
          );
        seen.add(k);
      }
    }
  }
  if (items !== undefined && (listType === 'set' || listType === 'map')) {
    if (items.nullable === true)
      out.schema.push(
        forbiddenError(
          childPath(childPath(path, 'items'), 'nullable'),
          `cannot be nullable when x-kubernetes-list-type is ${listType}`,
        ),
      );
    if (listType === 'map') {
      const required = new Set(items.required ?? []);
      for (const k of keys) {
        const prop = propertyOf(items, k);
        if (prop === undefined) continue;
        const at = indexPath(childPath(childPath(path, 'items'), 'properties'), k);
        if (!required.has(k) && prop.default === undefined) {
          out.schema.push(
            requiredError(
              childPath(at, 'default'),
              'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property',
            ),
          );
        }
        if (prop.nullable === true)
          out.schema.push(
            forbiddenError(
              childPath(at, 'nullable'),
              'this property is in x-kubernetes-list-map-keys, so it cannot be nullable',
            ),
          );
      }
    }
  }
}

/** Whether a schema path lies inside allOf, anyOf, oneOf or not (whose rules see the parent's fields). */
function inJunctor(path: string): boolean {
  return /\.(allOf|anyOf|oneOf)\[|\.not(\.|$)/.test(path);
}

/** What `self` offers at the root of a resource: its type meta and, of its metadata, name and generateName. */
const RESOURCE_ROOT_FIELDS: Record<string, JSONSchemaProps> = {
  apiVersion: { type: 'string' },
  kind: { type: 'string' },
  metadata: { type: 'object', properties: { name: { type: 'string' }, generateName: { type: 'string' } } },
};

/**
 * The first selection on `self` that names a field the schema does not declare, as the API
 * server's compile (which types `self` from the schema) refuses it: `undefined field 'x'`. Only
 * objects with declared properties are checked; maps, preserved and int-or-string values are not.
 */
function undeclaredSelection(
  selections: readonly FieldSelection[],
  schema: JSONSchemaProps,
  isRoot: boolean,
): { name: string; offset: number } | undefined {
  for (const { names, offsets } of selections) {
    let current: JSONSchemaProps | undefined = schema;
    let root = isRoot;
    for (const [i, name] of names.entries()) {
      if (current === undefined) break;
      if (root && Object.hasOwn(RESOURCE_ROOT_FIELDS, name)) {
        current = RESOURCE_ROOT_FIELDS[name];
        root = false;
        continue;
      }
      root = false;
      if (
        current.type !== 'object' ||
        current['x-kubernetes-preserve-unknown-fields'] === true ||
        current['x-kubernetes-int-or-string'] === true ||
        current.additionalProperties !== undefined ||
        current.allOf !== undefined ||
        current.anyOf !== undefined ||
        current.oneOf !== undefined
      ) {
        current =
          current.type === 'object' && typeof current.additionalProperties === 'object'
            ? current.additionalProperties
            : undefined;
        if (current === undefined) break;
        continue;
      }
      const props: Record<string, JSONSchemaProps> = current.properties ?? {};
      const key = Object.keys(props).find((k) => escapePropertyName(k) === name);
      if (key === undefined) return { name, offset: Math.max((offsets[i] ?? 1) - 1, 0) };
      current = props[key];
      if (current?.['x-kubernetes-embedded-resource'] === true) root = true;
    }
  }
  return undefined;
}

function rules(
  schema: JSONSchemaProps,
  path: string,
  state: NodeState,
  celOk: boolean,
  start: number,
  out: Collected,
): void {
  const list = schema['x-kubernetes-validations'] ?? [];
  if (list.length === 0) return;
  const at = (i: number, key: string) => childPath(indexPath(childPath(path, 'x-kubernetes-validations'), i), key);
  for (const [i, rule] of list.entries()) {
    const ruleText = (rule.rule ?? '').trim();
    const msg = (rule.message ?? '').trim();
    if (ruleText === '') out.schema.push(requiredError(at(i, 'rule'), 'rule is not specified'));
    else if ((rule.message ?? '') !== '' && msg === '')
      out.schema.push(invalidError(at(i, 'message'), rule.message, 'message must be non-empty if specified'));
    else if (hasNewline(msg))
      out.schema.push(invalidError(at(i, 'message'), rule.message, 'message must not contain line breaks'));
    else if (hasNewline(ruleText) && msg === '')
      out.schema.push(requiredError(at(i, 'message'), 'message must be specified if rule contains line breaks'));
    if ((rule.messageExpression ?? '') !== '' && rule.messageExpression!.trim() === '') {
      out.schema.push(requiredError(at(i, 'messageExpression'), 'messageExpression must be non-empty if specified'));
    }
    if (rule.reason !== undefined && !REASONS.includes(rule.reason))
      out.schema.push(notSupportedError(at(i, 'reason'), rule.reason, REASONS));
    const fp = rule.fieldPath ?? '';
    if (fp !== '' && fp.trim() === '')
      out.schema.push(invalidError(at(i, 'fieldPath'), fp, 'fieldPath must be non-empty if specified'));
    if (hasNewline(fp)) out.schema.push(invalidError(at(i, 'fieldPath'), fp, 'fieldPath must not contain line breaks'));
    if (fp !== '') {
      try {
        resolveFieldPath(fp, schema);
      } catch {
        out.schema.push(invalidError(at(i, 'fieldPath'), fp, 'fieldPath must be a valid path'));
      }
    }
  }
  // Upstream compiles rules only when this node and those below it have no schema errors.
  if (!celOk || out.schema.length !== start) return;
  const isResourceRoot = path.endsWith('openAPIV3Schema') || schema['x-kubernetes-embedded-resource'] === true;
  const costs = out.cost.node(schema, isResourceRoot, state.cardinality);
  for (const [i, rule] of list.entries()) {
    const bad = new GoLiteral(ruleGoSyntax(rule));
    let usesOldSelf = false;
    let ruleAst: unknown;
    try {
      const compiled = compileExpression(rule.rule, {
        optionalOldSelf: rule.optionalOldSelf === true,
        expect: 'bool',
      });
      usesOldSelf = compiled.usesOldSelf;
      ruleAst = compiled.ast;
      const undeclared = inJunctor(path)
        ? undefined
        : undeclaredSelection(compiled.selfSelections, schema, isResourceRoot);
      if (undeclared !== undefined) {
        const { name, offset } = undeclared;
        const line = rule.rule.split('\n')[0] ?? '';
        throw new CelCompileError(
          `compilation failed: ERROR: <input>:1:${offset + 1}: undefined field '${name}'\n | ${line}\n | ${'.'.repeat(offset)}^`,
        );
      }
    } catch (err) {
      if (err instanceof CelCompileError) out.cel.push(invalidError(at(i, 'rule'), bad, err.message));
      continue;
    }
    const optionalOldSelf = rule.optionalOldSelf === true;
    out.cel.push(...costs.rule(ruleAst, optionalOldSelf, at(i, 'rule')));
    if ((rule.messageExpression ?? '').trim() !== '') {
      try {
        const message = compileExpression(rule.messageExpression!, { optionalOldSelf, expect: 'string' });
        out.cel.push(...costs.messageExpression(message.ast, optionalOldSelf, at(i, 'messageExpression')));
      } catch (err) {
        if (err instanceof CelCompileError)
          out.cel.push(invalidError(at(i, 'messageExpression'), bad, `messageExpression ${err.message}`));
      }
    }
    if (usesOldSelf) {
      if (state.uncorrelatable !== undefined) {
        out.cel.push(
          invalidError(
            at(i, 'rule'),
            rule.rule,
            `oldSelf cannot be used on the uncorrelatable portion of the schema within ${state.uncorrelatable}`,
          ),
        );
      }
    } else if (rule.optionalOldSelf !== undefined) {
      out.cel.push(
        invalidError(at(i, 'optionalOldSelf'), rule.optionalOldSelf, 'may not be set if oldSelf is not used in rule'),
      );
    }
  }
}

/** Defaults must validate against their schema and survive pruning (defaulting/validation.go). */
function defaults(
  schema: JSONSchemaProps | undefined,
  path: string,
  embedded: boolean,
  insideMeta: boolean,
  out: FieldError[],
): void {
  if (schema === undefined) return;
  const isEmbedded = embedded || schema['x-kubernetes-embedded-resource'] === true;
  if (schema.default !== undefined && schema.default !== null && !insideMeta) {
    const at = childPath(path, 'default');
    const pruned = structuredClone(schema.default);
    pruneUnknownFields(pruned, schema, isEmbedded);
    if (JSON.stringify(pruned) !== JSON.stringify(schema.default)) {
      out.push(invalidError(at, schema.default, 'must not have unknown fields'));
    } else {
      const errs = validateAgainstSchema(schema, schema.default, { path: at });
      if (errs.length > 0) out.push(...errs);
      else out.push(...compileRuleValidator(schema, isEmbedded).validate(schema.default, { path: at }).errors);
    }
  }
  defaults(itemsOf(schema), childPath(path, 'items'), false, insideMeta, out);
  for (const [k, prop] of Object.entries(schema.properties ?? {})) {
    const meta = insideMeta || (isEmbedded && META_FIELDS.has(k));
    defaults(prop, indexPath(childPath(path, 'properties'), k), false, meta, out);
  }
}

/** Options of {@link checkStructural}. */
export interface StructuralCheckOptions {
  /** Where `openAPIV3Schema` sits, e.g. `spec.versions[0].schema` (the default). */
  readonly path?: string;
  /** Whether the version enables the status subresource (restricts the root's keywords). */
  readonly statusSubresource?: boolean;
  /**
   * Skip the per-expression cost limit (the total still applies): on update, for a version whose
   * schema the update leaves unchanged, so a CRD the server once accepted stays updatable.
   */
  readonly suppressPerExpressionCost?: boolean;
}

/**
 * Every error the API server gives for a CRD version's `openAPIV3Schema` (apiextensions.k8s.io/v1):
 * a non-structural schema, invalid defaults, and misuse of keywords and extensions. Empty when
 * the schema is acceptable.
 *
 * @example
 * ```ts
 * checkStructural({ type: 'object', properties: { spec: { properties: { a: { type: 'string' } } } } });
 * // [`spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields`]
 * ```
 */
export function checkStructural(schema: JSONSchemaProps, options: StructuralCheckOptions = {}): FieldError[] {
  const base = options.path ?? 'spec.versions[0].schema';
  const root = childPath(base, 'openAPIV3Schema');
  const errors: FieldError[] = [];
  if (options.statusSubresource === true) {
    for (const [key, value] of Object.entries(schema)) {
      if (value === undefined) continue;
      if (key === 'type') {
        if (value !== 'object') {
          errors.push(
            invalidError(
              childPath(base, 'openAPIV3Schema.type'),
              value,
              'only "object" is allowed as the type at the root of the schema if the status subresource is enabled',
            ),
          );
          break;
        }
        continue;
      }
      if (!ROOT_ALLOWED_WITH_STATUS.has(key)) {
        errors.push(
          invalidError(
            root,
            schema,
            'only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the status subresource is enabled',
          ),
        );
        break;
      }
    }
  }
  if (schema.nullable === true)
    errors.push(forbiddenError(childPath(base, 'openAPIV3Schema.nullable'), 'nullable cannot be true at the root'));
  const conversion = structuralConversionError(schema);
  let structuralOk = false;
  if (conversion === undefined) {
    const structural = structuralErrors(schema, root);
    if (structural.length > 0) errors.push(...structural);
    else {
      const defaultErrors: FieldError[] = [];
      defaults(schema, root, true, false, defaultErrors);
      errors.push(...defaultErrors);
      structuralOk = defaultErrors.length === 0;
    }
  }
  const collected: Collected = {
    schema: [],
    cel: [],
    cost: new CostBudget(options.suppressPerExpressionCost === true),
  };
  perNode(
    schema,
    root,
    { allowDefaults: true, defaultsReason: '', insideMeta: false, cardinality: 1 },
    true,
    structuralOk,
    collected,
  );
  errors.push(...collected.schema, ...collected.cel);
  if (structuralOk) errors.push(...collected.cost.totalErrors(root));
  if (errors.length === 0 && conversion !== undefined) errors.push(invalidError(root, '', conversion));
  return errors;
}
