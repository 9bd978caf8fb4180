/**
 * `x-kubernetes-validations` over an object (Go: apiextensions `schema/cel/validation.go`): rules
 * compiled once per schema node, evaluated top-down with `self` (and `oldSelf` for transition
 * rules, which run only on update unless `optionalOldSelf`), errors shaped by `message`,
 * `messageExpression`, `reason` and `fieldPath`, a per-call cost limit and a per-object budget.
 * Ratcheting: a failing rule that does not use `oldSelf`, on a value the update left unchanged,
 * yields a warning instead of an error.
 */
import { additionalOf, Correlation, indexMapList, itemsOf, mapListKey, propertyOf } from '../correlation.js';
import {
  childPath,
  duplicateError,
  type FieldError,
  type FieldPath,
  fieldErrorString,
  forbiddenError,
  indexPath,
  invalidError,
  requiredError,
} from '../field-errors.js';
import type { JSONSchemaProps, ValidationRule } from '../types.js';
import {
  CelCompileError,
  CelCostLimitError,
  type CompiledExpression,
  CostMeter,
  compileExpression,
  optionalOf,
  PER_CALL_LIMIT,
  RUNTIME_COST_BUDGET,
} from './environment.js';
import { toCelValue } from './values.js';

/** One compiled rule. */
interface CompiledRule {
  readonly rule: ValidationRule;
  readonly program?: CompiledExpression;
  readonly message?: CompiledExpression;
  readonly error?: string;
  readonly fieldPath?: string;
}

/** The rules of one schema node and the validators of its children (Go: `cel.Validator`). */
interface RuleNode {
  readonly schema: JSONSchemaProps;
  readonly rules: readonly CompiledRule[];
  readonly isResourceRoot: boolean;
  readonly items?: RuleNode;
  readonly properties?: ReadonlyMap<string, RuleNode>;
  readonly additionalProperties?: RuleNode;
  readonly allOf?: readonly RuleNode[];
}

function unescapeSingleQuoted(s: string): string {
  return s.replace(/\\(.)/g, (m, c: string) => {
    const map: Record<string, string> = {
      a: '\x07',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
      "'": "'",
      '\\': '\\',
    };
    if (map[c] === undefined) throw new Error(`invalid escape char ${m}`);
    return map[c];
  });
}

/**
 * Resolves a rule's `fieldPath` (`.spec.x`, `['a.b']`) against the schema of the rule's node and
 * returns it normalised (`spec.x`, `[a.b]`), as upstream's `ValidFieldPath`.
 *
 * @throws Error with upstream's reason (`does not refer to a valid field`, ...).
 */
export function resolveFieldPath(fieldPath: string, schema: JSONSchemaProps): string {
  const tokens = fieldPath.match(/'(?:[^'\\]|\\.)*'|[.[\]]|[^.[\]']+/g) ?? [];
  let path: FieldPath = null;
  let current: JSONSchemaProps | undefined = schema;
  let i = 0;
  const step = (name: string): void => {
    if (current?.properties !== undefined) {
      path = childPath(path, name);
      current = propertyOf(current, name);
      if (current === undefined) throw new Error('does not refer to a valid field');
    } else if (current?.additionalProperties !== undefined) {
      path = indexPath(path, name);
      current = additionalOf(current);
    } else {
      throw new Error('does not refer to a valid field');
    }
  };
  while (i < tokens.length) {
    const tok = tokens[i++];
    if (tok === '[') {
      const quoted = tokens[i++];
      if (quoted === undefined) throw new Error('unexpected end of JSON path');
      if (quoted.length < 2 || !quoted.startsWith("'") || !quoted.endsWith("'")) {
        throw new Error(`expected single quoted string but got ${quoted}`);
      }
      step(unescapeSingleQuoted(quoted.slice(1, -1)));
      if (tokens[i++] !== ']') throw new Error(`expected ] but got ${tokens[i - 1]}`);
    } else if (tok === '.') {
      const name = tokens[i++];
      if (name === undefined) throw new Error('unexpected end of JSON path');
      step(name);
    } else {
      throw new Error(`expected [ or . but got: ${tok}`);
    }
  }
  return path ?? '';
}

function compileRules(schema: JSONSchemaProps): CompiledRule[] {
  return (schema['x-kubernetes-validations'] ?? []).map((rule) => {
    let program: CompiledExpression | undefined;
    let message: CompiledExpression | undefined;
    let fieldPath: string | undefined;
    try {
      const options = { optionalOldSelf: rule.optionalOldSelf === true };
      program = compileExpression(rule.rule, { ...options, expect: 'bool' });
      if (rule.messageExpression !== undefined && rule.messageExpression !== '') {
        message = compileExpression(rule.messageExpression, { ...options, expect: 'string' });
      }
      if (rule.fieldPath !== undefined && rule.fieldPath !== '') fieldPath = resolveFieldPath(rule.fieldPath, schema);
    } catch (err) {
      const detail = err instanceof CelCompileError ? err.message : `fieldPath ${(err as Error).message}`;
      return { rule, error: detail };
    }
    return { rule, program, message, fieldPath };
  });
}

function hasRules(schema: JSONSchemaProps | undefined): boolean {
  if (schema === undefined) return false;
  if ((schema['x-kubernetes-validations'] ?? []).length > 0) return true;
  if (hasRules(itemsOf(schema)) || hasRules(additionalOf(schema))) return true;
  if (Object.values(schema.properties ?? {}).some(hasRules)) return true;
  return (schema.allOf ?? []).some(hasRules);
}

function buildNode(validation: JSONSchemaProps, node: JSONSchemaProps, isResourceRoot: boolean): RuleNode | undefined {
  if (!hasRules(validation)) return undefined;
  const rules = compileRules({ ...node, 'x-kubernetes-validations': validation['x-kubernetes-validations'] });
  const vItems = itemsOf(validation);
  const nItems = itemsOf(node);
  const items =
    vItems !== undefined && nItems !== undefined
      ? buildNode(vItems, nItems, nItems['x-kubernetes-embedded-resource'] === true)
      : undefined;
  let properties: Map<string, RuleNode> | undefined;
  for (const [k, vProp] of Object.entries(validation.properties ?? {})) {
    const nProp = propertyOf(node, k);
    if (nProp === undefined) continue;
    const child = buildNode(vProp, nProp, nProp['x-kubernetes-embedded-resource'] === true);
    if (child !== undefined) (properties ??= new Map()).set(k, child);
  }
  const vExtra = additionalOf(validation);
  const nExtra = additionalOf(node);
  const additionalProperties =
    vExtra !== undefined && nExtra !== undefined
      ? buildNode(vExtra, nExtra, nExtra['x-kubernetes-embedded-resource'] === true)
      : undefined;
  const allOf = (validation.allOf ?? [])
    .map((sub) => buildNode(sub, node, isResourceRoot))
    .filter((n): n is RuleNode => n !== undefined);
  return { schema: node, rules, isResourceRoot, items, properties, additionalProperties, allOf };
}

/** Ratcheting state for a value (Go: `ratchetingOptions`). */
interface Ratchet {
  readonly current?: Correlation;
  readonly parent?: Correlation;
}

function shouldRatchet(r: Ratchet): boolean {
  if (r.current !== undefined) return r.current.unchanged();
  return r.parent?.unchanged() ?? false;
}

function ratchetKey(r: Ratchet, field: string): Ratchet {
  if (r.current === undefined) return r;
  if (r.parent === undefined && (field === 'apiVersion' || field === 'kind')) return {};
  return { current: r.current.key(field), parent: r.current };
}

function ratchetIndex(r: Ratchet, i: number): Ratchet {
  if (r.current === undefined) return r;
  return { current: r.current.index(i), parent: r.current };
}

const NEWLINE = /\n/;

class RuleRun {
  readonly errors: FieldError[] = [];
  readonly warnings: string[] = [];
  budget = RUNTIME_COST_BUDGET;
  stopped = false;

  private add(error: FieldError, usesOldSelf: boolean, ratchet: Ratchet): void {
    if (!usesOldSelf && shouldRatchet(ratchet)) this.warnings.push(fieldErrorString(error));
    else this.errors.push(error);
  }

  private spend(meter: CostMeter, path: FieldPath, type: string): boolean {
    if (meter.used > this.budget) {
      this.errors.push(
        invalidError(
          path,
          type,
          'validation failed due to running out of cost budget, no further validation rules will be run',
        ),
      );
      this.stopped = true;
      return false;
    }
    this.budget -= meter.used;
    return true;
  }

  validate(node: RuleNode, path: FieldPath, obj: unknown, oldObj: unknown, ratchet: Ratchet): void {
    if (this.stopped || obj === null || obj === undefined) return;
    this.expressions(node, path, obj, oldObj === null ? undefined : oldObj, ratchet);
    if (this.stopped) return;
    for (const sub of node.allOf ?? []) {
      this.validate(sub, path, obj, oldObj, { parent: ratchet.parent });
      if (this.stopped) return;
    }
    if (Array.isArray(obj)) {
      if (node.items === undefined) return;
      const oldByKey = indexMapList(node.schema, oldObj);
      const keys = node.schema['x-kubernetes-list-map-keys'] ?? [];
      obj.forEach((item, i) => {
        if (this.stopped) return;
        const key = mapListKey(keys, item);
        const old = key === undefined ? undefined : oldByKey?.get(key);
        this.validate(node.items!, indexPath(path, i), item, old, ratchetIndex(ratchet, i));
      });
    } else if (typeof obj === 'object') {
      const map = obj as Record<string, unknown>;
      const oldMap =
        typeof oldObj === 'object' && oldObj !== null && !Array.isArray(oldObj)
          ? (oldObj as Record<string, unknown>)
          : undefined;
      const old = (k: string): unknown => (oldMap !== undefined && Object.hasOwn(oldMap, k) ? oldMap[k] : undefined);
      if (node.additionalProperties !== undefined) {
        for (const [k, v] of Object.entries(map)) {
          if (this.stopped) return;
          this.validate(node.additionalProperties, indexPath(path, k), v, old(k), ratchetKey(ratchet, k));
        }
      }
      if (node.properties !== undefined) {
        for (const [k, v] of Object.entries(map)) {
          const sub = node.properties.get(k);
          if (sub === undefined || !Object.hasOwn(node.schema.properties ?? {}, k)) continue;
          if (this.stopped) return;
          this.validate(sub, childPath(path, k), v, old(k), ratchetKey(ratchet, k));
        }
      }
    }
  }

  private expressions(node: RuleNode, path: FieldPath, obj: unknown, oldObj: unknown, ratchet: Ratchet): void {
    if (node.rules.length === 0) return;
    const type = node.schema.type ?? '';
    if (this.budget <= 0) {
      this.errors.push(
        invalidError(
          path,
          type,
          'validation failed due to running out of cost budget, no further validation rules will be run',
        ),
      );
      this.stopped = true;
      return;
    }
    const self = toCelValue(obj, node.schema, node.isResourceRoot);
    const oldSelf = oldObj === undefined ? undefined : toCelValue(oldObj, node.schema, node.isResourceRoot);
    for (const compiled of node.rules) {
      const { rule } = compiled;
      const errorString = (rule.message ?? '').trim() !== '' ? rule.message!.trim() : rule.rule.trim();
      if (compiled.error !== undefined || compiled.program === undefined) {
        this.errors.push(invalidError(path, type, `rule compile error: ${compiled.error}`));
        continue;
      }
      const optionalOldSelf = rule.optionalOldSelf === true;
      if (compiled.program.usesOldSelf && oldSelf === undefined && !optionalOldSelf) continue;
      const variables = optionalOldSelf ? { self, oldSelf: optionalOf(oldSelf) } : { self, oldSelf };
      const meter = new CostMeter(PER_CALL_LIMIT);
      let result: unknown;
      try {
        result = compiled.program.evaluate(variables, meter);
      } catch (err) {
        if (err instanceof CelCostLimitError) {
          this.errors.push(
            invalidError(
              path,
              type,
              `'${err.message}': no further validation rules will be run due to call cost exceeds limit for rule: ${errorString}`,
            ),
          );
          this.stopped = true;
          return;
        }
        if (!this.spend(meter, path, type)) return;
        const message = (err as Error).message;
        const detail = message.startsWith('no such overload')
          ? `'${message}': call arguments did not match a supported operator, function or macro signature for rule: ${errorString}`
          : `${message} evaluating rule: ${errorString}`;
        this.errors.push(invalidError(path, type, detail));
        continue;
      }
      if (!this.spend(meter, path, type)) return;
      if (result === true) continue;
      const target =
        compiled.fieldPath === undefined || compiled.fieldPath === '' ? path : childPath(path, compiled.fieldPath);
      const fallback = (rule.message ?? '').trim() !== '' ? rule.message!.trim() : `failed rule: ${errorString}`;
      let detail = fallback;
      if (compiled.message !== undefined) {
        const msgMeter = new CostMeter(PER_CALL_LIMIT);
        let text: unknown;
        try {
          text = compiled.message.evaluate(variables, msgMeter);
        } catch (err) {
          if (err instanceof CelCostLimitError) {
            this.add(
              invalidError(
                target,
                type,
                `no further validation rules will be run due to call cost exceeds limit for messageExpression: ${JSON.stringify(rule.messageExpression)}`,
              ),
              compiled.program.usesOldSelf,
              ratchet,
            );
            this.stopped = true;
            return;
          }
          text = undefined;
        }
        if (msgMeter.used > this.budget) {
          this.add(
            invalidError(
              target,
              type,
              'messageExpression evaluation failed due to running out of cost budget, no further validation rules will be run',
            ),
            compiled.program.usesOldSelf,
            ratchet,
          );
          this.stopped = true;
          return;
        }
        this.budget -= msgMeter.used;
        if (typeof text === 'string') {
          const trimmed = text.trim();
          // Too long, multi-line or empty results fall back to the rule's message (upstream logs them).
          if (trimmed !== '' && !NEWLINE.test(trimmed) && trimmed.length <= 5 * 1024) detail = trimmed;
        }
      }
      this.add(errorForReason(target, type, detail, rule.reason), compiled.program.usesOldSelf, ratchet);
    }
  }
}

function errorForReason(path: FieldPath, type: string, detail: string, reason: ValidationRule['reason']): FieldError {
  switch (reason) {
    case 'FieldValueForbidden':
      return forbiddenError(path, detail);
    case 'FieldValueRequired':
      return requiredError(path, detail);
    case 'FieldValueDuplicate':
      return duplicateError(path, type);
    default:
      return invalidError(path, type, detail);
  }
}

/** The outcome of running rules: errors, and warnings from ratcheted rules. */
export interface RuleResult {
  readonly errors: FieldError[];
  readonly warnings: string[];
}

/** Compiled `x-kubernetes-validations` of a whole schema. */
export interface RuleValidator {
  /**
   * Runs every rule over `object` (at `path`, e.g. `'status'` for `/status` writes). With
   * `update`, `oldObject` feeds `oldSelf` and ratcheting.
   */
  validate(object: unknown, options?: { path?: FieldPath; oldObject?: unknown; update?: boolean }): RuleResult;
  /** Whether the schema has no rules at all (upstream then has no CEL validator). */
  readonly empty: boolean;
  /** Compile errors of rules, by schema path, for reporting at definition time. */
  readonly compileErrors: readonly { readonly path: string; readonly rule: string; readonly error: string }[];
}

function collectCompileErrors(
  node: RuleNode | undefined,
  path: string,
  out: { path: string; rule: string; error: string }[],
): void {
  if (node === undefined) return;
  for (const r of node.rules) if (r.error !== undefined) out.push({ path, rule: r.rule.rule, error: r.error });
  collectCompileErrors(node.items, `${path}.items`, out);
  for (const [k, child] of node.properties ?? []) collectCompileErrors(child, `${path}.properties[${k}]`, out);
  collectCompileErrors(node.additionalProperties, `${path}.additionalProperties`, out);
  for (const [i, n] of (node.allOf ?? []).entries()) collectCompileErrors(n, `${path}.allOf[${i}]`, out);
}

/**
 * Compiles the rules of a schema. `isResourceRoot` for a whole object (its `self.metadata.name`,
 * `apiVersion` and `kind` are visible); false for a part such as the status schema.
 *
 * @example
 * ```ts
 * import type { JSONSchemaProps } from 'kloop';
 * declare const schema: JSONSchemaProps;
 * declare const obj: object;
 *
 * const rules = compileRuleValidator(schema, true);
 * rules.validate(obj).errors; // [`spec: Invalid value: "object": failed rule: self.min <= self.max`]
 * ```
 */
export function compileRuleValidator(schema: JSONSchemaProps, isResourceRoot = true): RuleValidator {
  const root = buildNode(schema, schema, isResourceRoot);
  const compileErrors: { path: string; rule: string; error: string }[] = [];
  collectCompileErrors(root, 'openAPIV3Schema', compileErrors);
  return {
    empty: root === undefined,
    compileErrors,
    validate(object, options = {}) {
      if (root === undefined) return { errors: [], warnings: [] };
      const run = new RuleRun();
      const ratchet: Ratchet =
        options.update === true ? { current: new Correlation(object, options.oldObject, schema) } : {};
      run.validate(
        root,
        options.path ?? null,
        object,
        options.update === true ? options.oldObject : undefined,
        ratchet,
      );
      return { errors: run.errors, warnings: run.warnings };
    },
  };
}
