/**
 * `has()` over any operand. cel-js's macro accepts only a selection chain rooted at an identifier
 * (`has(self.a.b)`), while cel-go takes any operand followed by a field selection:
 * `has(self[0].matches)` and `has(self.rules.filter(r, true)[0].path)` appear in the Gateway API's
 * HTTPRoute and GRPCRoute CRDs. A rule cel-js refuses for that reason alone is compiled again with
 * its `has(` calls renamed `k8sHas(`, this macro, whose operand may be any expression; rules cel-js
 * accepts keep its own `has()`. Relies on the evaluator's field access as cel-js 8.0.0 (pinned)
 * has it, the same access its own `has()` makes.
 */
import type { Environment } from '@marcbachmann/cel-js';

/** What cel-js's own `has()` refuses with: the message that sends a rule here. */
export const HAS_INVALID_ARGUMENT = 'has() invalid argument';

/** The macro's name in rewritten sources. */
export const K8S_HAS = 'k8sHas';

interface Node {
  readonly op: string;
  readonly args: readonly unknown[];
}

interface Checker {
  check(node: Node, ctx: unknown): unknown;
  getType(name: string): unknown;
  createError(code: string, message: string, node: Node): Error;
}

interface FieldAccess {
  fieldLazy(obj: unknown, field: unknown, node: Node, ev: Evaluator): unknown;
}

interface Evaluator {
  run(node: Node, ctx: unknown): unknown;
  debugType(value: unknown): FieldAccess;
}

interface HasMacro {
  readonly args: readonly Node[];
  /** The selections from the outermost in, then the operand they start from. */
  chain?: Node[];
}

function isSelection(node: Node): boolean {
  return node.op === '.' || node.op === '.?';
}

/** Registers `k8sHas(ast): bool` in `env`. */
export function registerGeneralHas(env: Environment): void {
  env.registerFunction(`${K8S_HAS}(ast): bool`, (({ args }: { args: readonly Node[] }) => ({
    args,
    async: false,
    typeCheck(checker: Checker, macro: HasMacro, ctx: unknown) {
      let node = macro.args[0];
      if (node === undefined || !isSelection(node)) {
        throw checker.createError('invalid_macro_argument', HAS_INVALID_ARGUMENT, node ?? ({} as Node));
      }
      const chain: Node[] = [];
      while (isSelection(node)) {
        chain.push(node);
        node = node.args[0] as Node;
      }
      checker.check(node, ctx);
      chain.push(node);
      macro.chain = chain;
      return checker.getType('bool');
    },
    evaluate(ev: Evaluator, macro: HasMacro, ctx: unknown) {
      const chain = macro.chain ?? [];
      let i = chain.length - 1;
      let value = ev.run(chain[i], ctx);
      let optional = false;
      while (i-- > 0) {
        const node = chain[i];
        if (node.op === '.?') optional = true;
        value = ev.debugType(value).fieldLazy(value, node.args[1], node, ev);
        if (value !== undefined) continue;
        // A missing field in the middle of the chain is an error, as cel-go's has() makes it;
        // only the last selection is the presence test.
        if (optional || i === 0) break;
        throw new Error(`No such key: ${String(node.args[1])}`);
      }
      return value !== undefined;
    },
  })) as never);
}

/** Renames `has(` calls (not `.has(` methods) outside string literals to {@link K8S_HAS}. */
export function renameHasCalls(
  source: string,
  identifiers: (source: string) => ReadonlyArray<{ text: string; start: number }>,
): string {
  let out = '';
  let last = 0;
  for (const token of identifiers(source)) {
    if (token.text !== 'has') continue;
    if (!/^\s*\(/.test(source.slice(token.start + token.text.length))) continue;
    if (/\.\s*$/.test(source.slice(0, token.start))) continue;
    out += `${source.slice(last, token.start)}${K8S_HAS}`;
    last = token.start + token.text.length;
  }
  return out + source.slice(last);
}
