/**
 * The static (worst-case) cost of a CEL expression, as the API server estimates it when admitting
 * a CRD (Go: cel-go `checker/cost.go` with apiserver `pkg/cel/library/cost.go` and the schema size
 * estimator of apiextensions `schema/cel/compilation.go`). The walk is cel-go's over the expanded
 * macros: a comprehension costs its range, init and result plus, per element of the range at its
 * largest, its loop condition and step; string functions cost by the sizes of their operands
 * (a tenth of a unit per character, a quarter per regex character); sizes come from the schema's
 * DeclTypes (see `decl-type.ts`) through the field path of each expression, as upstream's do.
 *
 * Where this differs from cel-go: `self` is typed from the schema here rather than by cel-go's
 * checker, so an expression whose type upstream infers more narrowly (a `dyn` from `int-or-string`
 * or from a function returning `dyn`, an overloaded operator over it) is estimated with the most
 * expensive overload it could take, as cel-go does for `dyn`, but the set of candidate overloads
 * is this estimator's, not the checker's. Functions without an estimate here (charAt, reverse,
 * the timestamp and duration getters, optional helpers, ...) cost 1 plus their arguments, which is
 * cel-go's default too. The golden cases in the tests are upstream's own figures.
 */
import type { CelType, DeclType } from './decl-type.js';
import { estimateLibraryCall, type LibraryCall } from './estimate-library.js';
import { addCost, factorCost, mulCost, type SizeRange, U64, UNKNOWN_SIZE } from './estimate-math.js';

interface AstNode {
  readonly op: string;
  readonly args: unknown;
}

function isAst(x: unknown): x is AstNode {
  return typeof x === 'object' && x !== null && typeof (x as { op?: unknown }).op === 'string';
}

/** Sizes of a list's or map's entries, when an expression built it. */
interface EntrySize {
  readonly container: 'list' | 'map';
  readonly key: SizeRange;
  readonly val: SizeRange;
}

/** What the walk knows of an expression. */
export interface Estimated {
  /** Worst-case cost. */
  readonly cost: number;
  readonly type: CelType;
  /** The size the expression itself fixes (literals, call results). */
  readonly size?: SizeRange;
  /** The field path from a variable (`self`, `@items`, `@values`, `@keys`, field names). */
  readonly path?: readonly string[];
  readonly entry?: EntrySize;
  /** The size of the local variable an identifier names, the last resort. */
  readonly varSize?: SizeRange;
}

/**
 * The size of a value the expression does not fix (Go: the `EstimateSize` of the estimator), from
 * its field path and type; CRD admission's looks the path up in the schema's DeclTypes.
 */
export type SizeHint = (path: readonly string[] | undefined, type: CelType) => SizeRange | undefined;

interface LocalVar {
  readonly path?: readonly string[];
  readonly size?: SizeRange;
  readonly entry?: EntrySize;
  readonly type: CelType;
}

const DYN: CelType = { kind: 'dyn' };
const BOOL: CelType = { kind: 'bool' };
const INT: CelType = { kind: 'int' };
const STRING: CelType = { kind: 'string' };
const LIST_CREATE = 10;
const MAP_CREATE = 30;
const SCALARS = new Set(['bool', 'double', 'duration', 'int', 'timestamp', 'uint']);
const NAMESPACES = new Set(['optional', 'sets', 'strings', 'math', 'format', 'ip', 'base64', 'lists', 'cel']);
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'existsOne', 'map', 'filter']);

function literalType(value: unknown): { type: CelType; size?: SizeRange } {
  if (typeof value === 'bigint') return { type: INT, size: { min: 1, max: 1 } };
  if (typeof value === 'number') return { type: { kind: 'double' }, size: { min: 1, max: 1 } };
  if (typeof value === 'boolean') return { type: BOOL, size: { min: 1, max: 1 } };
  if (value === null) return { type: { kind: 'null' }, size: { min: 1, max: 1 } };
  if (typeof value === 'string') {
    const n = [...value].length;
    return { type: STRING, size: { min: n, max: n } };
  }
  if (value instanceof Uint8Array) return { type: { kind: 'bytes' }, size: { min: value.length, max: value.length } };
  return { type: { kind: 'uint' }, size: { min: 1, max: 1 } };
}

function union(a: SizeRange, b: SizeRange): SizeRange {
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

function unionEntry(a: EntrySize | undefined, b: EntrySize | undefined): EntrySize | undefined {
  if (a === undefined || b === undefined) return undefined;
  return { container: a.container, key: union(a.key, b.key), val: union(a.val, b.val) };
}

function isStringLike(t: CelType): boolean {
  return t.kind === 'string' || t.kind === 'bytes';
}

/** Estimates one compiled expression against the DeclType of the node its rule sits on. */
export class CostEstimator {
  private readonly scopes = new Map<string, LocalVar[]>();

  private readonly sizeHint: SizeHint;

  constructor(
    private readonly root: DeclType,
    private readonly oldSelfOptional = false,
    sizeHint?: SizeHint,
  ) {
    this.sizeHint = sizeHint ?? ((path) => this.pathSize(path));
  }

  /** The worst-case cost of the expression whose cel-js AST is `ast`. */
  estimate(ast: unknown): number {
    return this.walk(ast).cost;
  }

  /** The size of a path from a variable, looked up from the root as upstream's size estimator does. */
  private pathSize(path: readonly string[] | undefined): SizeRange | undefined {
    if (path === undefined || path.length === 0) return undefined;
    let node: DeclType | undefined = this.root;
    for (const name of path.slice(1)) {
      if (name === '@items' || name === '@values') node = node.elem;
      else if (name === '@keys') node = node.key;
      else node = node.fields?.get(name);
      if (node === undefined) return undefined;
    }
    return { min: 0, max: node.maxElements };
  }

  /** cel-go `computeSize`: a fixed size, else the path's, else 1 for scalars, else the variable's. */
  size(e: Estimated): SizeRange | undefined {
    if (e.size !== undefined) return e.size;
    const byPath = this.sizeHint(e.path, e.type);
    if (byPath !== undefined) return byPath;
    if (SCALARS.has(e.type.kind) || (e.type.kind === 'optional' && SCALARS.has(e.type.elem?.kind ?? ''))) {
      return { min: 1, max: 1 };
    }
    return e.varSize;
  }

  sizeOrUnknown(e: Estimated): SizeRange {
    return this.size(e) ?? UNKNOWN_SIZE;
  }

  /** The size of a list's elements, through the `@items` path (library `listElementNode`). */
  elementSize(list: Estimated): SizeRange | undefined {
    if (list.type.kind !== 'list') return undefined;
    const path = list.path === undefined ? undefined : [...list.path, '@items'];
    return this.sizeHint(path, list.type.elem ?? DYN) ?? UNKNOWN_SIZE;
  }

  private push(name: string, v: LocalVar): void {
    const stack = this.scopes.get(name) ?? [];
    stack.push(v);
    this.scopes.set(name, stack);
  }

  private pop(name: string): void {
    this.scopes.get(name)?.pop();
  }

  private walk(x: unknown): Estimated {
    if (!isAst(x)) return { cost: 0, type: DYN };
    const args = x.args;
    switch (x.op) {
      case 'value':
        return { cost: 0, ...literalType(args) };
      case 'id':
        return this.ident(args as string);
      case '.':
        return this.select(args as [unknown, string]);
      case '.?': {
        const [operand] = args as [unknown, string];
        const o = this.walk(operand);
        return {
          cost: addCost(o.cost, 1),
          type: { kind: 'optional', elem: this.fieldType(o.type, (args as string[])[1]) },
        };
      }
      case '[]':
        return this.index(args as [unknown, unknown]);
      case '[?]': {
        const [a, b] = (args as [unknown, unknown]).map((n) => this.walk(n));
        return { cost: addCost(addCost(a.cost, b.cost), 1), type: { kind: 'optional', elem: a.type.elem ?? DYN } };
      }
      case 'list':
        return this.list(args as unknown[]);
      case 'map':
        return this.mapLiteral(args as [unknown, unknown][]);
      case '?:': {
        const [c, t, f] = (args as unknown[]).map((n) => this.walk(n));
        return {
          cost: addCost(c.cost, Math.max(t.cost, f.cost)),
          type: t.type.kind === f.type.kind ? t.type : DYN,
          size: union(this.sizeOrUnknown(t), this.sizeOrUnknown(f)),
          entry: unionEntry(t.entry, f.entry),
        };
      }
      case '&&':
      case '||': {
        const [l, r] = (args as unknown[]).map((n) => this.walk(n));
        return { cost: addCost(l.cost, r.cost), type: BOOL };
      }
      case '!_':
        return { cost: addCost(this.walk(args).cost, 1), type: BOOL };
      case '-_': {
        // A negative number literal is one constant to cel-go's parser.
        if (isAst(args) && args.op === 'value' && typeof args.args !== 'string') return this.walk(args);
        const o = this.walk(args);
        return { cost: addCost(o.cost, 1), type: o.type };
      }
      case '==':
      case '!=':
        return this.equality(x.op, args as [unknown, unknown]);
      case '<':
      case '<=':
      case '>':
      case '>=':
        return this.ordering(args as [unknown, unknown]);
      case '+':
        return this.add(args as [unknown, unknown]);
      case 'in':
        return this.membership(args as [unknown, unknown]);
      case '-':
      case '*':
      case '/':
      case '%': {
        const [l, r] = (args as unknown[]).map((n) => this.walk(n));
        return { cost: addCost(addCost(l.cost, r.cost), 1), type: l.type.kind === 'dyn' ? r.type : l.type };
      }
      case 'call': {
        const [name, callArgs] = args as [string, unknown[]];
        return this.call(name, undefined, callArgs);
      }
      case 'rcall': {
        const [name, target, callArgs] = args as [string, unknown, unknown[]];
        if (isAst(target) && target.op === 'id' && !this.scopes.get(target.args as string)?.length) {
          const ns = target.args as string;
          if (ns === 'cel' && name === 'bind') return this.bind(callArgs);
          if (NAMESPACES.has(ns) && ns !== 'self') return this.call(`${ns}.${name}`, undefined, callArgs);
        }
        if (COMPREHENSIONS.has(name) && isAst(callArgs[0]) && callArgs[0].op === 'id') {
          return this.comprehension(name, target, callArgs);
        }
        return this.call(name, target, callArgs);
      }
    }
    return { cost: 0, type: DYN };
  }

  private ident(name: string): Estimated {
    const local = this.scopes.get(name)?.at(-1);
    if (local !== undefined) {
      return { cost: 1, type: local.type, path: local.path, varSize: local.size, entry: local.entry };
    }
    if (name === 'self') return { cost: 1, type: this.root, path: ['self'] };
    if (name === 'oldSelf') {
      return {
        cost: 1,
        type: this.oldSelfOptional ? { kind: 'optional', elem: this.root } : this.root,
        path: ['oldSelf'],
      };
    }
    return { cost: 1, type: { kind: 'type' }, path: [name] };
  }

  private fieldType(t: CelType, name: string): CelType {
    if (t.kind === 'object') return t.fields?.get(name) ?? DYN;
    if (t.kind === 'map') return t.elem ?? DYN;
    return DYN;
  }

  private select([operand, name]: [unknown, string]): Estimated {
    const o = this.walk(operand);
    const selectCost = o.type.kind === 'map' || o.type.kind === 'object' ? 1 : 0;
    return { cost: addCost(o.cost, selectCost), type: this.fieldType(o.type, name), path: [...(o.path ?? []), name] };
  }

  private index([operand, key]: [unknown, unknown]): Estimated {
    const o = this.walk(operand);
    const k = this.walk(key);
    const cost = addCost(addCost(o.cost, k.cost), 1);
    const step = o.type.kind === 'list' ? '@items' : '@values';
    const type = o.type.kind === 'list' || o.type.kind === 'map' ? (o.type.elem ?? DYN) : DYN;
    return { cost, type, path: [...(o.path ?? []), step], size: o.entry?.val };
  }

  private list(items: unknown[]): Estimated {
    let cost = LIST_CREATE;
    let val: SizeRange = { min: items.length === 0 ? 0 : U64, max: 0 };
    let elem: CelType | undefined;
    for (const item of items) {
      const e = this.walk(item);
      cost = addCost(cost, e.cost);
      val = union(val, this.sizeOrUnknown(e));
      elem = elem === undefined || elem.kind === e.type.kind ? e.type : DYN;
    }
    return {
      cost,
      type: { kind: 'list', elem: elem ?? DYN },
      size: { min: items.length, max: items.length },
      entry: { container: 'list', key: { min: 1, max: 1 }, val },
    };
  }

  private mapLiteral(entries: [unknown, unknown][]): Estimated {
    let cost = MAP_CREATE;
    const empty = entries.length === 0;
    let key: SizeRange = { min: empty ? 0 : U64, max: 0 };
    let val: SizeRange = { min: empty ? 0 : U64, max: 0 };
    let elem: CelType | undefined;
    let keyType: CelType | undefined;
    for (const [k, v] of entries) {
      const ke = this.walk(k);
      const ve = this.walk(v);
      cost = addCost(addCost(cost, ke.cost), ve.cost);
      key = union(key, this.sizeOrUnknown(ke));
      val = union(val, this.sizeOrUnknown(ve));
      elem = elem === undefined || elem.kind === ve.type.kind ? ve.type : DYN;
      keyType = keyType === undefined || keyType.kind === ke.type.kind ? ke.type : DYN;
    }
    return {
      cost,
      type: { kind: 'map', key: keyType ?? DYN, elem: elem ?? DYN },
      size: { min: entries.length, max: entries.length },
      entry: { container: 'map', key, val },
    };
  }

  /** `==`/`!=`: a tenth of a unit per element of the smaller side; O(1) for Kubernetes' opaque types. */
  private equality(op: string, pair: [unknown, unknown]): Estimated {
    const [l, r] = pair.map((n) => this.walk(n));
    const args = addCost(l.cost, r.cost);
    if (op === '==' && l.type.kind === 'opaque' && r.type.kind === 'opaque' && l.type.name === r.type.name) {
      const name = l.type.name;
      if (name === 'kubernetes.NamedFormat') return { cost: addCost(factorCost(64, 0.1), args), type: BOOL };
      if (name === 'kubernetes.URL') {
        const size = this.size(r)?.max ?? 1;
        return { cost: addCost(factorCost(size, 0.1), args), type: BOOL };
      }
      return { cost: addCost(1, args), type: BOOL };
    }
    const smallest = Math.min(this.sizeOrUnknown(l).max, this.sizeOrUnknown(r).max);
    return { cost: addCost(factorCost(smallest, 0.1), args), type: BOOL };
  }

  private ordering(pair: [unknown, unknown]): Estimated {
    const [l, r] = pair.map((n) => this.walk(n));
    const args = addCost(l.cost, r.cost);
    const sized = isStringLike(l.type) || isStringLike(r.type) || (l.type.kind === 'dyn' && r.type.kind === 'dyn');
    if (!sized) return { cost: addCost(1, args), type: BOOL };
    const smallest = Math.min(this.sizeOrUnknown(l).max, this.sizeOrUnknown(r).max);
    return { cost: addCost(factorCost(smallest, 0.1), args), type: BOOL };
  }

  /** `+`: O(1) for numbers and lists (whose sizes add up), by the result's size for strings and bytes. */
  private add(pair: [unknown, unknown]): Estimated {
    const [l, r] = pair.map((n) => this.walk(n));
    const args = addCost(l.cost, r.cost);
    const kinds = new Set([l.type.kind, r.type.kind]);
    const text = kinds.has('string') || kinds.has('bytes');
    const list = kinds.has('list');
    const dyn = kinds.size === 1 && kinds.has('dyn');
    if (!text && !list && !dyn) return { cost: addCost(1, args), type: l.type.kind === 'dyn' ? r.type : l.type };
    const ls = this.sizeOrUnknown(l);
    const rs = this.sizeOrUnknown(r);
    const size = { min: addCost(ls.min, rs.min), max: addCost(ls.max, rs.max) };
    const type = l.type.kind === 'dyn' ? r.type : l.type;
    const entry = unionEntry(l.entry, r.entry);
    if (list && !text) return { cost: addCost(1, args), type, size, ...(entry ? { entry } : {}) };
    return { cost: addCost(factorCost(size.max, 0.1), args), type, size, ...(entry ? { entry } : {}) };
  }

  /** `in`: the list's size for lists (and `dyn`), O(1) for maps. */
  private membership(pair: [unknown, unknown]): Estimated {
    const [l, r] = pair.map((n) => this.walk(n));
    const args = addCost(l.cost, r.cost);
    if (r.type.kind === 'map' || r.type.kind === 'object') return { cost: addCost(1, args), type: BOOL };
    return { cost: addCost(factorCost(this.sizeOrUnknown(r).max, 1), args), type: BOOL };
  }

  private call(name: string, targetAst: unknown, argAsts: unknown[]): Estimated {
    if (
      targetAst === undefined &&
      (name === 'has' || name === 'k8sHas') &&
      isAst(argAsts[0]) &&
      argAsts[0].op === '.'
    ) {
      // Kubernetes keeps has() free (PresenceTestHasCost(false) in its base environment).
      const [operand] = argAsts[0].args as [unknown, string];
      return { cost: this.walk(operand).cost, type: BOOL };
    }
    let target = targetAst === undefined ? undefined : this.walk(targetAst);
    let args = argAsts.map((a) => this.walk(a));
    const fn = name === 'k8sMatches' ? 'matches' : name;
    // The global form `matches(s, re)` is the member form's overload.
    if (target === undefined && fn === 'matches' && args.length === 2) {
      target = args[0];
      args = args.slice(1);
    }
    if (target === undefined && fn === 'dyn' && args.length === 1) {
      const [a] = args;
      return { cost: addCost(a.cost, 1), type: DYN, size: this.size(a), entry: a.entry };
    }
    const argCost = args.reduce((sum, a) => addCost(sum, a.cost), 0);
    const targetCost = target?.cost ?? 0;
    const argList = target === undefined && name === 'k8sMatches' ? argAsts.slice(1) : argAsts;
    const request: LibraryCall = { fn, target, args, argAsts: argList, estimator: this };
    const result = estimateLibraryCall(request);
    return {
      cost: addCost(addCost(result.cost, argCost), targetCost),
      type: result.type,
      ...(result.size !== undefined ? { size: result.size } : {}),
    };
  }

  private bind(argAsts: unknown[]): Estimated {
    const [v, init, body] = argAsts;
    const name = isAst(v) ? (v.args as string) : '';
    const i = this.walk(init);
    this.push(name, { path: i.path, size: this.size(i), entry: i.entry, type: i.type });
    const b = this.walk(body);
    this.pop(name);
    // The bind's empty iteration range is still a list built.
    return { ...b, cost: addCost(addCost(LIST_CREATE, i.cost), b.cost), path: undefined };
  }

  /** The iteration variables of a comprehension over `range` (`pushIterSingle`, `pushIterKey`/`Value`). */
  private iterVars(range: Estimated, names: string[]): void {
    const isList = range.entry?.container === 'list' || (range.entry === undefined && range.type.kind === 'list');
    const base = range.path ?? [];
    const elemType = range.type.elem ?? DYN;
    const keyType = range.type.kind === 'map' ? (range.type.key ?? STRING) : range.type.kind === 'list' ? INT : DYN;
    if (names.length === 1) {
      this.push(names[0], {
        path: [...base, isList ? '@items' : '@keys'],
        size: isList ? range.entry?.val : range.entry?.key,
        type: isList ? elemType : keyType,
      });
      return;
    }
    this.push(names[0], { path: [...base, isList ? '@indices' : '@keys'], size: range.entry?.key, type: keyType });
    this.push(names[1], { path: [...base, isList ? '@items' : '@values'], size: range.entry?.val, type: elemType });
  }

  /** The macros as cel-go expands them into comprehensions, costed as `costComprehension`. */
  private comprehension(macro: string, rangeAst: unknown, argAsts: unknown[]): Estimated {
    const range = this.walk(rangeAst);
    const twoVar =
      (macro === 'all' || macro === 'exists' || macro === 'exists_one' || macro === 'existsOne') &&
      argAsts.length === 3;
    const varNames = argAsts.slice(0, twoVar ? 2 : 1).map((a) => (isAst(a) ? (a.args as string) : ''));
    const bodies = argAsts.slice(twoVar ? 2 : 1);
    this.iterVars(range, varNames);
    const walked = bodies.map((b) => this.walk(b));
    const iterVar = varNames.at(-1) ?? '';
    const iterSize = this.size(this.ident(iterVar));
    for (const name of varNames) this.pop(name);
    const count = this.sizeOrUnknown(range).max;
    const ACCU = 1;
    let perElement: number;
    let fixed: number; // init + result
    let resultEntry: EntrySize | undefined;
    const [first, second] = walked;
    switch (macro) {
      case 'all':
        // @not_strictly_false(accu) ; accu && p
        perElement = addCost(2, addCost(ACCU, first.cost));
        fixed = ACCU;
        break;
      case 'exists':
        // @not_strictly_false(!accu) ; accu || p
        perElement = addCost(3, addCost(ACCU, first.cost));
        fixed = ACCU;
        break;
      case 'exists_one':
      case 'existsOne':
        // true ; p ? accu + 1 : accu ; accu == 1
        perElement = addCost(first.cost, 2);
        fixed = 2;
        break;
      case 'filter':
        // true ; p ? accu + [x] : accu
        perElement = addCost(first.cost, 1 + ACCU + LIST_CREATE + 1);
        fixed = LIST_CREATE + ACCU;
        resultEntry = {
          container: 'list',
          key: { min: 1, max: 1 },
          val: union({ min: 0, max: 0 }, iterSize ?? UNKNOWN_SIZE),
        };
        break;
      default: {
        // map: true ; accu + [f]  (with a filter: p ? accu + [f] : accu)
        const transform = second ?? first;
        const append = addCost(transform.cost, 1 + ACCU + LIST_CREATE);
        perElement = second === undefined ? append : addCost(first.cost, Math.max(append, ACCU));
        fixed = LIST_CREATE + ACCU;
        resultEntry = {
          container: 'list',
          key: { min: 1, max: 1 },
          val: union({ min: 0, max: 0 }, this.sizeOrUnknown(transform)),
        };
      }
    }
    const cost = addCost(addCost(range.cost, fixed), mulCost(count, perElement));
    if (resultEntry === undefined) return { cost, type: BOOL };
    return {
      cost,
      type: { kind: 'list', elem: (second ?? first).type },
      size: { min: 0, max: count },
      entry: resultEntry,
    };
  }
}

/**
 * The worst-case cost of a compiled rule or messageExpression on a node of type `decl` (Go:
 * `env.EstimateCost(ast, estimator).Max`).
 */
export function estimateCost(
  ast: unknown,
  decl: DeclType,
  options: { optionalOldSelf?: boolean; sizeHint?: SizeHint } = {},
): number {
  return new CostEstimator(decl, options.optionalOldSelf === true, options.sizeHint).estimate(ast);
}
