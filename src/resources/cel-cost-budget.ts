/**
 * The static cost limits of CRD admission (Go: apiextensions `pkg/apis/apiextensions/validation`
 * `validation.go` and `cel_validation.go`): a rule's estimated cost (see `cel/estimate.ts`) times
 * the most times its node can occur in one object must stay within 10,000,000
 * (`StaticEstimatedCostLimit`), a messageExpression's estimated cost likewise (not multiplied),
 * and all of a schema's rules and messageExpressions together within 100,000,000
 * (`StaticEstimatedCRDCostLimit`). A node's cardinality is the product of `maxItems` and
 * `maxProperties` of the lists and maps above it; when one of them is unbounded, the rule's
 * cost is multiplied instead by how many of its node fit in a 3 MiB request.
 */
import { newDeclTypeCache, schemaDeclType, unboundedCardinality } from './cel/decl-type.js';
import { estimateCost } from './cel/estimate.js';
import { type FieldError, type FieldPath, forbiddenError } from './field-errors.js';
import { goFixed } from './go-format.js';
import type { JSONSchemaProps } from './types.js';

/** Largest estimated cost of one rule or messageExpression (`StaticEstimatedCostLimit`). */
export const STATIC_ESTIMATED_COST_LIMIT = 10_000_000;
/** Largest estimated cost of all of a schema's expressions (`StaticEstimatedCRDCostLimit`). */
export const STATIC_ESTIMATED_CRD_COST_LIMIT = 100_000_000;

const U64 = 2 ** 64;
/** Expressions below 1% of the total limit are not named as contributors to exceeding it. */
const CONTRIBUTOR_THRESHOLD = STATIC_ESTIMATED_CRD_COST_LIMIT / 100;
const MOST_EXPENSIVE_KEPT = 4;

/** upstream's `getCostErrorMessage`: the factor as `%fx` below 1.5, `%.1fx` up to 100, then "more than 100x". */
export function costErrorMessage(costName: string, cost: number, limit: number): string {
  const exceed = cost / limit;
  const factor = exceed > 100 ? 'more than 100x' : exceed < 1.5 ? `${goFixed(exceed, 6)}x` : `${goFixed(exceed, 1)}x`;
  return `${costName} exceeds budget by factor of ${factor} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`;
}

/**
 * The cardinality of a child of `schema` given the schema's own: times `maxItems` or
 * `maxProperties` for lists and maps, unchanged for objects' properties, undefined once unbounded.
 */
export function childCardinality(parent: number | undefined, schema: JSONSchemaProps): number | undefined {
  if (parent === undefined) return undefined;
  let factor: number | undefined = 1;
  if (schema.type === 'object' && schema.additionalProperties !== undefined) factor = schema.maxProperties;
  else if (schema.type === 'array') factor = schema.maxItems;
  if (factor === undefined) return undefined;
  return Math.min(parent * Math.max(factor, 0), U64);
}

/** The checks of one schema node's rules, each returning the errors to report. */
export interface NodeCosts {
  rule(ast: unknown, optionalOldSelf: boolean, path: FieldPath): FieldError[];
  messageExpression(ast: unknown, optionalOldSelf: boolean, path: FieldPath): FieldError[];
}

interface ExpensiveExpression {
  readonly path: FieldPath;
  readonly cost: number;
}

/** The cost of all of a schema's expressions, and the checks of each (Go: `TotalCost`). */
export class CostBudget {
  private total = 0;
  private readonly mostExpensive: ExpensiveExpression[] = [];
  private readonly declTypes = newDeclTypeCache();

  constructor(private readonly suppressPerExpression: boolean) {}

  private observe(path: FieldPath, cost: number): void {
    this.total = Math.min(this.total + cost, U64);
    if (cost < CONTRIBUTOR_THRESHOLD) return;
    this.mostExpensive.push({ path, cost });
    this.mostExpensive.sort((a, b) => b.cost - a.cost);
    this.mostExpensive.length = Math.min(this.mostExpensive.length, MOST_EXPENSIVE_KEPT);
  }

  private check(costName: string, path: FieldPath, cost: number): FieldError[] {
    const errors: FieldError[] = [];
    if (!this.suppressPerExpression && cost > STATIC_ESTIMATED_COST_LIMIT) {
      errors.push(forbiddenError(path, costErrorMessage(costName, cost, STATIC_ESTIMATED_COST_LIMIT)));
    }
    this.observe(path, cost);
    return errors;
  }

  /** The checks of the rules of a node (`cardinality` undefined: under an unbounded list or map). */
  node(schema: JSONSchemaProps, isResourceRoot: boolean, cardinality: number | undefined): NodeCosts {
    const decl = schemaDeclType(schema, isResourceRoot, this.declTypes);
    const estimate = (ast: unknown, optionalOldSelf: boolean): number =>
      decl === undefined || ast === undefined ? 0 : estimateCost(ast, decl, { optionalOldSelf });
    return {
      rule: (ast, optionalOldSelf, path) => {
        const base = estimate(ast, optionalOldSelf);
        const times = cardinality ?? (decl === undefined ? 1 : unboundedCardinality(decl.minSerializedSize));
        return this.check('estimated rule cost', path, base === 0 ? 0 : Math.min(base * times, U64));
      },
      messageExpression: (ast, optionalOldSelf, path) =>
        this.check('estimated messageExpression cost', path, estimate(ast, optionalOldSelf)),
    };
  }

  /** The errors of a schema whose expressions together are over the total limit, `root` its path. */
  totalErrors(root: FieldPath): FieldError[] {
    if (this.total <= STATIC_ESTIMATED_CRD_COST_LIMIT) return [];
    return [
      ...this.mostExpensive.map((e) =>
        forbiddenError(
          e.path,
          'contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema',
        ),
      ),
      forbiddenError(
        root,
        costErrorMessage(
          'x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema',
          this.total,
          STATIC_ESTIMATED_CRD_COST_LIMIT,
        ),
      ),
    ];
  }
}
