/**
 * kubectl's JSONPath (Go: client-go `util/jsonpath`), as the API server evaluates CRD printer
 * columns (`additionalPrinterColumns[].jsonPath`) and kubectl evaluates `-o jsonpath`: fields
 * (`.status.replicas`, `['app.kubernetes.io/name']`), indexes and slices (`[0]`, `[-1]`,
 * `[1:3]`), wildcards (`[*]`, `.*`), recursive descent (`..name`), unions (`[0,2]`, `['a','b']`)
 * and filters (`[?(@.type=="Available")]`, `[?(@.count > 2)]`, `[?(@.ready)]`), inside `{...}`
 * templates with literal text, or bare (`.status.x`).
 */

/** A JSONPath that does not parse. */
export class JsonPathError extends Error {
  override readonly name = 'JsonPathError';
}

type Step =
  | { kind: 'field'; names: string[] }
  | { kind: 'index'; indexes: (number | { start?: number; end?: number; step?: number })[] }
  | { kind: 'wildcard' }
  | { kind: 'recursive' }
  | { kind: 'filter'; left: Step[]; op?: string; right?: Step[] | { literal: unknown } };

type Segment = { kind: 'text'; text: string } | { kind: 'path'; steps: Step[] } | { kind: 'literal'; value: string };

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  private fail(msg: string): never {
    throw new JsonPathError(msg);
  }

  template(): Segment[] {
    const out: Segment[] = [];
    const src = this.src;
    if (!src.includes('{')) return [{ kind: 'path', steps: this.pathOf(src) }];
    while (this.pos < src.length) {
      const open = src.indexOf('{', this.pos);
      if (open < 0) {
        out.push({ kind: 'text', text: src.slice(this.pos) });
        break;
      }
      if (open > this.pos) out.push({ kind: 'text', text: src.slice(this.pos, open) });
      const close = this.matchingBrace(open);
      const inner = src.slice(open + 1, close).trim();
      if (/^"(?:[^"\\]|\\.)*"$/.test(inner)) out.push({ kind: 'literal', value: JSON.parse(inner) as string });
      else if (inner.startsWith('range') || inner === 'end')
        this.fail(`range/end is not supported in this context: ${inner}`);
      else out.push({ kind: 'path', steps: this.pathOf(inner) });
      this.pos = close + 1;
    }
    return out;
  }

  private matchingBrace(open: number): number {
    let depth = 0;
    let quote: string | undefined;
    for (let i = open; i < this.src.length; i++) {
      const ch = this.src[i];
      if (quote !== undefined) {
        if (ch === '\\') i++;
        else if (ch === quote) quote = undefined;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) return i;
    }
    return this.fail('unclosed action');
  }

  private pathOf(text: string): Step[] {
    return new PathParser(text.trim()).parse();
  }
}

class PathParser {
  private i = 0;
  constructor(private readonly s: string) {}

  private fail(msg: string): never {
    throw new JsonPathError(msg);
  }

  parse(stopAt?: RegExp): Step[] {
    const steps: Step[] = [];
    const s = this.s;
    if (s[this.i] === '@' || s[this.i] === '$') this.i++;
    while (this.i < s.length) {
      if (stopAt?.test(s[this.i])) break;
      const ch = s[this.i];
      if (ch === '.') {
        if (s[this.i + 1] === '.') {
          this.i += 2;
          steps.push({ kind: 'recursive' });
          if (s[this.i] === '[' || s[this.i] === '*') continue;
          steps.push({ kind: 'field', names: [this.identifier()] });
          continue;
        }
        this.i++;
        if (s[this.i] === '*') {
          this.i++;
          steps.push({ kind: 'wildcard' });
        } else if (this.i < s.length && s[this.i] !== '[' && s[this.i] !== '.') {
          steps.push({ kind: 'field', names: [this.identifier()] });
        }
      } else if (ch === '[') {
        steps.push(this.bracket());
      } else if (/\s/.test(ch)) {
        break;
      } else if (steps.length === 0) {
        steps.push({ kind: 'field', names: [this.identifier()] });
      } else {
        this.fail(
          `unrecognized character in action: U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${ch}'`,
        );
      }
    }
    return steps;
  }

  private identifier(): string {
    const m = /^[^.[\]\s()=!<>,{}'"]+/.exec(this.s.slice(this.i));
    if (!m) this.fail(`invalid field name at ${this.i}`);
    this.i += m[0].length;
    return m[0].replace(/\\(.)/g, '$1');
  }

  private bracket(): Step {
    const s = this.s;
    const close = this.closingBracket(this.i);
    const inner = s.slice(this.i + 1, close).trim();
    this.i = close + 1;
    if (inner === '*') return { kind: 'wildcard' };
    if (inner.startsWith('?')) return this.filter(inner.slice(1).trim());
    if (/^['"]/.test(inner)) {
      const names = splitTop(inner).map((part) => {
        const p = part.trim();
        if (!/^(['"]).*\1$/s.test(p)) this.fail(`invalid array index ${inner}`);
        return p.slice(1, -1).replace(/\\(.)/g, '$1');
      });
      return { kind: 'field', names };
    }
    const indexes = splitTop(inner).map((part) => {
      const p = part.trim();
      if (/^-?\d+$/.test(p)) return Number(p);
      const m = /^(-?\d+)?:(-?\d+)?(?::(-?\d+))?$/.exec(p);
      if (!m) this.fail(`invalid array index ${p}`);
      return {
        start: m[1] === undefined ? undefined : Number(m[1]),
        end: m[2] === undefined ? undefined : Number(m[2]),
        step: m[3] === undefined ? undefined : Number(m[3]),
      };
    });
    return { kind: 'index', indexes };
  }

  private closingBracket(open: number): number {
    let depth = 0;
    let quote: string | undefined;
    for (let i = open; i < this.s.length; i++) {
      const ch = this.s[i];
      if (quote !== undefined) {
        if (ch === '\\') i++;
        else if (ch === quote) quote = undefined;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '[' || ch === '(') depth++;
      else if ((ch === ']' || ch === ')') && --depth === 0 && ch === ']') return i;
    }
    return this.fail('unterminated array');
  }

  private filter(expr: string): Step {
    if (!expr.startsWith('(') || !expr.endsWith(')')) this.fail(`unclosed array expect ]`);
    const body = expr.slice(1, -1).trim();
    const m = /^(.*?)\s*(==|!=|<=|>=|<|>)\s*(.*)$/s.exec(body);
    const parsePart = (text: string): Step[] | { literal: unknown } => {
      const t = text.trim();
      if (t.startsWith('@') || t.startsWith('$')) return new PathParser(t).parse();
      if (/^(['"]).*\1$/s.test(t)) return { literal: t.slice(1, -1) };
      if (t === 'true' || t === 'false') return { literal: t === 'true' };
      if (/^-?\d+(\.\d+)?$/.test(t)) return { literal: Number(t) };
      return this.fail(`unrecognized filter operand ${t}`);
    };
    if (!m) {
      const left = parsePart(body);
      if (!Array.isArray(left)) this.fail(`invalid filter ${body}`);
      return { kind: 'filter', left };
    }
    const left = parsePart(m[1]);
    if (!Array.isArray(left)) this.fail(`invalid filter ${body}`);
    return { kind: 'filter', left, op: m[2], right: parsePart(m[3]) };
  }
}

function splitTop(s: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote !== undefined) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === ',') {
      parts.push(s.slice(last, i));
      last = i + 1;
    }
  }
  parts.push(s.slice(last));
  return parts;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function descendants(v: unknown, out: unknown[]): void {
  out.push(v);
  if (Array.isArray(v)) for (const x of v) descendants(x, out);
  else if (isObject(v)) for (const k of Object.keys(v).sort()) descendants(v[k], out);
}

function compare(a: unknown, op: string, b: unknown): boolean {
  if (op === '==') return a === b;
  if (op === '!=') return a !== b;
  if (typeof a === 'number' && typeof b === 'number') {
    return op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    return op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
  }
  return false;
}

function evaluate(steps: readonly Step[], inputs: unknown[], allowMissing: boolean): unknown[] {
  let current = inputs;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of current) {
      switch (step.kind) {
        case 'field':
          if (!isObject(value)) {
            if (!allowMissing && value !== undefined) throw new JsonPathError(`${step.names[0]} is not found`);
            break;
          }
          for (const name of step.names) {
            if (Object.hasOwn(value, name)) next.push(value[name]);
            else if (!allowMissing) throw new JsonPathError(`${name} is not found`);
          }
          break;
        case 'index': {
          if (!Array.isArray(value)) {
            if (!allowMissing) throw new JsonPathError(`${JSON.stringify(value)} is not array or slice`);
            break;
          }
          for (const idx of step.indexes) {
            if (typeof idx === 'number') {
              const i = idx < 0 ? value.length + idx : idx;
              if (i >= 0 && i < value.length) next.push(value[i]);
              else if (!allowMissing)
                throw new JsonPathError(`array index out of bounds: index ${idx}, length ${value.length}`);
            } else {
              const len = value.length;
              const stepBy = idx.step ?? 1;
              let start = idx.start ?? 0;
              let end = idx.end ?? len;
              if (start < 0) start += len;
              if (end < 0) end += len;
              start = Math.max(0, Math.min(start, len));
              end = Math.max(0, Math.min(end, len));
              for (let i = start; i < end; i += stepBy > 0 ? stepBy : 1) next.push(value[i]);
            }
          }
          break;
        }
        case 'wildcard':
          if (Array.isArray(value)) next.push(...value);
          else if (isObject(value)) for (const k of Object.keys(value).sort()) next.push(value[k]);
          break;
        case 'recursive':
          descendants(value, next);
          break;
        case 'filter': {
          const items = Array.isArray(value) ? value : [];
          for (const item of items) {
            const left = evaluate(step.left, [item], true);
            if (step.op === undefined) {
              if (left.length > 0 && left[0] !== undefined) next.push(item);
              continue;
            }
            const right =
              step.right !== undefined && !Array.isArray(step.right)
                ? [step.right.literal]
                : evaluate(step.right as Step[], [item], true);
            if (left.length > 0 && right.length > 0 && compare(left[0], step.op, right[0])) next.push(item);
          }
          break;
        }
      }
    }
    current = next;
  }
  return current;
}

/** A parsed JSONPath template. */
export interface JsonPath {
  readonly source: string;
  /** One list of values per `{...}` action (text and literals included as strings), as `FindResults`. */
  findResults(data: unknown, options?: { allowMissingKeys?: boolean }): unknown[][];
  /** The template printed as kubectl prints `-o jsonpath` (missing keys allowed). */
  print(data: unknown): string;
}

/** Go's `fmt.Fprint` of a value, or compact JSON for maps and lists (`PrintResults`). */
export function printJsonPathValue(value: unknown): string {
  if (Array.isArray(value) || isObject(value)) return JSON.stringify(value);
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    const [m, e] = value.toExponential().split('e');
    const exp = Number(e);
    return exp < -4 || exp >= 21
      ? `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
      : String(value);
  }
  return String(value);
}

/**
 * Parses a kubectl JSONPath (`{.status.replicas}`, or a bare `.status.replicas`).
 *
 * @throws JsonPathError when it does not parse.
 * @example
 * ```ts
 * declare const obj: object;
 *
 * parseJsonPath('.status.conditions[?(@.type=="Available")].status').findResults(obj)[0][0]; // 'True'
 * ```
 */
export function parseJsonPath(source: string): JsonPath {
  const segments = new Parser(source).template();
  const results = (data: unknown, allowMissing: boolean): unknown[][] =>
    segments.map((seg) => {
      if (seg.kind === 'text') return [seg.text];
      if (seg.kind === 'literal') return [seg.value];
      return evaluate(seg.steps, [data], allowMissing);
    });
  return {
    source,
    findResults: (data, options = {}) => results(data, options.allowMissingKeys ?? false),
    print: (data) =>
      results(data, true)
        .map((values) => values.map(printJsonPathValue).join(' '))
        .join(''),
  };
}

/** The column type of an `additionalPrinterColumns` entry. */
export type PrinterColumnType = 'integer' | 'number' | 'boolean' | 'string' | 'date';

/**
 * The Table cell of a CRD printer column for one object, as the API server computes it
 * (apiextensions `tableconvertor`): the first value the JSONPath finds, converted to the column's
 * type (`null` when missing or of another type); `string` columns print any value as kubectl does;
 * `date` columns give the timestamp to `formatDate` (kubectl shows an age).
 *
 * @example
 * ```ts
 * declare const obj: object;
 *
 * printerColumnCell({ type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' }, obj); // 'True'
 * ```
 */
export function printerColumnCell(
  column: { readonly type: PrinterColumnType; readonly jsonPath: string },
  object: unknown,
  options: { formatDate?: (timestamp: string) => string } = {},
): string | number | boolean | null {
  let path: JsonPath;
  try {
    path = parseJsonPath(`{${column.jsonPath}}`);
  } catch {
    return null;
  }
  let results: unknown[][];
  try {
    results = path.findResults(object, { allowMissingKeys: true });
  } catch {
    return null;
  }
  if (results.length === 0 || results[0].length === 0) return null;
  const value = results[0][0];
  if (value === null || value === undefined) return column.type === 'string' ? '<nil>' : null;
  switch (column.type) {
    case 'string':
      return printJsonPathValue(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      if (typeof value !== 'string') return null;
      if (Number.isNaN(Date.parse(value))) return '<invalid>';
      return options.formatDate === undefined ? value : options.formatDate(value);
  }
}
