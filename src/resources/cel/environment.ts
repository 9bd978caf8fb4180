/**
 * The CEL environment CRD rules compile in: cel-js (standard CEL, optional types, macros) plus the
 * Kubernetes libraries, with `self` and `oldSelf` declared. Compiled expressions meter their cost
 * (one unit per evaluated expression node, close to cel-go's runtime cost) so a rule stops at the
 * per-call limit as upstream's does.
 *
 * Two things are adapted rather than used as cel-js ships them: `matches` runs Go (RE2) regular
 * expressions (the call is renamed before parsing, outside string literals), and cost metering
 * wraps each AST node's `evaluate` (cel-js is pinned to an exact version for this; a test checks
 * that the limit still trips).
 */
import { Environment, Optional } from '@marcbachmann/cel-js';
import { Duration } from '@marcbachmann/cel-js/evaluator';
import { CelCostLimitError, CostMeter, sizeCost, withMeter } from './cost.js';
import { HAS_INVALID_ARGUMENT, registerGeneralHas, renameHasCalls } from './has.js';
import { CelRuntimeError, registerKubernetesLibraries } from './libraries.js';
import { setDurationConstructor } from './values.js';

export { CelCostLimitError, CostMeter };

/** Per-expression runtime cost limit (apiserver `celconfig.PerCallLimit`). */
export const PER_CALL_LIMIT = 1_000_000;
/** Runtime cost budget for all rules of one object (apiserver `celconfig.RuntimeCELCostBudget`). */
export const RUNTIME_COST_BUDGET = 10_000_000;

/** A rule that does not compile; `message` is the compiler's. */
export class CelCompileError extends Error {
  override readonly name = 'CelCompileError';
}

/** A rule that failed while evaluating; `message` is upstream's text where it is known. */
export class CelEvaluationError extends Error {
  override readonly name = 'CelEvaluationError';
}

const environments = new Map<boolean, Environment>();

/**
 * The environment, with `oldSelf` declared as an optional for rules with `optionalOldSelf` (as
 * upstream declares it): `oldSelf.value()` of a `dyn` leaves cel-js unable to pick between the
 * numeric overloads of a comparison, while of an `optional<dyn>` it is a plain `dyn`.
 */
function env(optionalOldSelf = false): Environment {
  const known = environments.get(optionalOldSelf);
  if (known !== undefined) return known;
  setDurationConstructor(Duration as never);
  const e = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false });
  registerKubernetesLibraries(e);
  registerGeneralHas(e);
  e.registerVariable('self', 'dyn');
  e.registerVariable('oldSelf', optionalOldSelf ? 'optional<dyn>' : 'dyn');
  environments.set(optionalOldSelf, e);
  return e;
}

interface Token {
  readonly kind: 'ident' | 'other';
  readonly text: string;
  readonly start: number;
}

/** Identifiers outside string literals, with their positions (enough to rename and to detect use). */
function identifiers(source: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (
      ch === '"' ||
      ch === "'" ||
      ((ch === 'r' || ch === 'R' || ch === 'b' || ch === 'B') && /["']/.test(source[i + 1] ?? ''))
    ) {
      let j = i;
      let raw = false;
      while (/[rRbB]/.test(source[j])) {
        if (source[j] === 'r' || source[j] === 'R') raw = true;
        j++;
      }
      const quote = source[j];
      const triple = source.startsWith(quote.repeat(3), j);
      const close = triple ? quote.repeat(3) : quote;
      j += close.length;
      while (j < source.length && !source.startsWith(close, j)) j += !raw && source[j] === '\\' ? 2 : 1;
      i = j + close.length;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < source.length && /[A-Za-z0-9_]/.test(source[j])) j++;
      out.push({ kind: 'ident', text: source.slice(i, j), start: i });
      i = j;
      continue;
    }
    i++;
  }
  return out;
}

/** Renames `matches(` calls to the RE2-backed `k8sMatches(`. */
function rewriteRegexCalls(source: string): string {
  let out = '';
  let last = 0;
  for (const token of identifiers(source)) {
    if (token.text !== 'matches') continue;
    if (!/^\s*\(/.test(source.slice(token.start + token.text.length))) continue;
    out += `${source.slice(last, token.start)}k8sMatches`;
    last = token.start + token.text.length;
  }
  return out + source.slice(last);
}

/** Whether a rule refers to `oldSelf` (a transition rule). */
function refersToOldSelf(source: string): boolean {
  return identifiers(source).some((t) => t.text === 'oldSelf' && source[t.start - 1] !== '.');
}

interface AstNodeLike {
  readonly op: string;
  readonly args: unknown;
  readonly meta: {
    alternate?: AstNodeLike;
    macro?: Record<string, unknown> & { evaluate: EvaluateFn };
    evaluate: EvaluateFn;
  };
  evaluate: EvaluateFn;
}
type EvaluateFn = (ev: unknown, ast: unknown, ctx: unknown) => unknown;

function isAstNode(x: unknown): x is AstNodeLike {
  return typeof x === 'object' && x !== null && typeof (x as { op?: unknown }).op === 'string' && 'meta' in x;
}

function valueSize(value: unknown): number {
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  if (value instanceof Uint8Array) return value.length;
  return 0;
}

/**
 * Wraps every node's evaluate so each evaluation spends one unit of the current meter, and one
 * that yields a string, bytes or list also its size (see `cost.ts`): whatever then reads it
 * (`contains`, `==`, `in`, `join`, ...) does work in proportion, as cel-go's cost model charges.
 * Literals are exempt (their size is the rule's).
 */
function instrument(root: unknown, state: { meter: CostMeter | undefined }): void {
  const seen = new Set<unknown>();
  const visit = (x: unknown): void => {
    if (x === null || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    if (isAstNode(x)) {
      const node = x;
      const meta = node.meta;
      let inner: EvaluateFn | undefined;
      const resolve = (): EvaluateFn => {
        if (meta.alternate !== undefined) {
          const alt = meta.alternate;
          return (ev, _ast, ctx) => alt.evaluate(ev, alt, ctx);
        }
        if (meta.macro !== undefined) {
          const macro = meta.macro;
          return (ev, _ast, ctx) => macro.evaluate(ev, macro, ctx);
        }
        return meta.evaluate;
      };
      const sized = node.op !== 'value';
      const wrapped: EvaluateFn = (ev, ast, ctx) => {
        const meter = state.meter;
        meter?.spend(1);
        inner ??= resolve();
        const value = inner.call(node, ev, ast, ctx);
        if (sized && meter !== undefined) {
          const size = valueSize(value);
          if (size > 0) meter.spend(sizeCost(size));
        }
        return value;
      };
      Object.defineProperty(node, 'evaluate', {
        configurable: true,
        get: () => wrapped,
        set: () => {},
      });
      visit(meta.alternate);
      visit(meta.macro);
    }
    if (Array.isArray(x)) for (const item of x) visit(item);
    else for (const value of Object.values(x)) visit(value);
    if (isAstNode(x)) visit(x.args);
  };
  visit(root);
}

/** A chain of field selections on `self`: the names and the offsets of their dots. */
export interface FieldSelection {
  readonly names: readonly string[];
  readonly offsets: readonly number[];
}

/** The longest `self.a.b...` chains of an AST (inner links of a chain are not listed again). */
function selfSelections(root: unknown): FieldSelection[] {
  const out: FieldSelection[] = [];
  const chain = (node: AstNodeLike): FieldSelection | undefined => {
    if (node.op === 'id') return node.args === 'self' ? { names: [], offsets: [] } : undefined;
    if ((node.op !== '.' && node.op !== '.?') || !Array.isArray(node.args)) return undefined;
    const [inner, name] = node.args as [unknown, unknown];
    if (!isAstNode(inner) || typeof name !== 'string') return undefined;
    const head = chain(inner);
    const pos = (node as unknown as { pos?: number }).pos ?? 0;
    return head && { names: [...head.names, name], offsets: [...head.offsets, pos] };
  };
  const seen = new Set<unknown>();
  const visit = (x: unknown): void => {
    if (x === null || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    if (isAstNode(x)) {
      const c = chain(x);
      if (c !== undefined && c.names.length > 0) {
        out.push(c);
        return;
      }
      visit(x.args);
      return;
    }
    if (Array.isArray(x)) for (const item of x) visit(item);
  };
  visit(root);
  return out;
}

/** A compiled CEL expression. */
export interface CompiledExpression {
  readonly source: string;
  /** Whether it refers to `oldSelf` (rules only). */
  readonly usesOldSelf: boolean;
  /**
   * The field selections rooted at `self` (`self.spec.size` is `['spec', 'size']`), each with the
   * offset of every `.`, for checking them against the schema as upstream's typed compile does.
   */
  readonly selfSelections: readonly FieldSelection[];
  /**
   * The parsed cel-js AST (with `matches` renamed `k8sMatches`, and `has` renamed `k8sHas` where
   * cel-js's own refuses the operand), for the static cost estimate.
   */
  readonly ast: unknown;
  /** Evaluates with `self` (and `oldSelf`); the cost is added to `meter`. */
  evaluate(variables: { self: unknown; oldSelf?: unknown }, meter: CostMeter): unknown;
}

/** The message of a cel-js error, in cel-go's words where they differ. */
function upstreamMessage(err: unknown): string {
  if (err instanceof CelRuntimeError || err instanceof CelCostLimitError) return err.message;
  const summary = (err as { summary?: string }).summary ?? (err as Error).message?.split('\n')[0] ?? String(err);
  const noKey = /^No such key: (.*)$/.exec(summary);
  if (noKey) {
    const index = /^index out of bounds, index (-?\d+)/.exec(noKey[1]);
    return index ? `index out of range: ${index[1]}` : `no such key: ${noKey[1]}`;
  }
  if (/^(no such overload|found no matching overload)/.test(summary)) return 'no such overload';
  if (/^integer overflow/.test(summary)) return 'integer overflow';
  return summary;
}

/**
 * Compiles a CEL expression in the Kubernetes environment (`optionalOldSelf`: for a rule whose
 * `oldSelf` is an optional; `expect`: the result type a rule or a messageExpression must have).
 *
 * @throws CelCompileError when it does not parse or type-check.
 */
export function compileExpression(
  source: string,
  options: { optionalOldSelf?: boolean; expect?: 'bool' | 'string' } = {},
): CompiledExpression {
  const e = env(options.optionalOldSelf === true);
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = e.parse(rewriteRegexCalls(source));
  } catch (err) {
    throw new CelCompileError(`compilation failed: ${upstreamMessage(err)}`);
  }
  let checked = parsed.check();
  if (!checked.valid && upstreamMessage(checked.error) === HAS_INVALID_ARGUMENT) {
    // cel-js's has() takes only `ident.a.b`; cel-go's takes any operand (see has.ts).
    const general = e.parse(renameHasCalls(rewriteRegexCalls(source), identifiers));
    const again = general.check();
    if (again.valid) {
      parsed = general;
      checked = again;
    }
  }
  if (!checked.valid) throw new CelCompileError(`compilation failed: ${upstreamMessage(checked.error)}`);
  // `self` is `dyn` here (upstream types it from the schema), so only a result type known to be
  // wrong is refused, with upstream's texts.
  if (
    options.expect !== undefined &&
    checked.type !== undefined &&
    checked.type !== 'dyn' &&
    checked.type !== options.expect
  ) {
    throw new CelCompileError(
      options.expect === 'bool' ? 'cel expression must evaluate to a bool' : 'must evaluate to a string',
    );
  }
  const selections = selfSelections(parsed.ast);
  const state: { meter: CostMeter | undefined } = { meter: undefined };
  instrument(parsed.ast, state);
  return {
    source,
    usesOldSelf: refersToOldSelf(source),
    selfSelections: selections,
    ast: parsed.ast,
    evaluate(variables, meter) {
      state.meter = meter;
      try {
        const value = withMeter(meter, () => parsed(variables));
        if (value instanceof Promise) throw new CelEvaluationError('asynchronous evaluation is not supported');
        return value;
      } catch (err) {
        if (err instanceof CelCostLimitError) throw err;
        // A value past the engine's own limits is one the cost limit would have stopped first.
        if (err instanceof RangeError && /^Invalid (string|array) length/.test(err.message)) {
          throw new CelCostLimitError();
        }
        throw new CelEvaluationError(upstreamMessage(err));
      } finally {
        state.meter = undefined;
      }
    },
  };
}

/** `optional.none()` / `optional.of(x)` for `oldSelf` of rules with `optionalOldSelf`. */
export function optionalOf(value: unknown): unknown {
  return value === undefined ? Optional.none() : Optional.of(value);
}
