/**
 * Label selectors and field selectors, parsed and matched as Kubernetes does
 * (apimachinery `pkg/labels/selector.go` and `pkg/fields/selector.go`).
 */
import { KloopError } from './errors.js';

/** Thrown for selector text that Kubernetes would reject (the API server answers 400). */
export class SelectorError extends KloopError {
  constructor(message: string) {
    super('KLOOP_INVALID_SELECTOR', message);
  }
}

/** A label requirement operator, spelt as Kubernetes' `selection.Operator`. */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

/** One requirement of a label selector: `key op values`. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted; one value for `=`, `==`, `!=`, `gt`, `lt`; none for `exists` and `!`. */
  readonly values: readonly string[];
}

/** A parsed label selector: requirements joined by AND. */
export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  /** True when every requirement holds for these labels (absent labels count as `{}`). */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** True for the selector that selects everything (no requirements). */
  isEmpty(): boolean;
  /** Canonical text: requirements sorted by key, `in`/`notin` values sorted. */
  toString(): string;
}

/** `metav1.LabelSelector`, the form selectors take inside objects (`spec.selector`). */
export interface LabelSelectorSpec {
  matchLabels?: Readonly<Record<string, string>> | null;
  matchExpressions?: ReadonlyArray<{ key: string; operator: string; values?: readonly string[] | null }> | null;
}

const NAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Why a label key is invalid (Kubernetes `IsQualifiedName`), or undefined when it is valid. */
export function validateLabelKey(key: string): string | undefined {
  const slash = key.indexOf('/');
  let name = key;
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    name = key.slice(slash + 1);
    if (prefix.length === 0) return 'prefix part must be non-empty';
    if (prefix.length > 253) return 'prefix part must be no more than 253 characters';
    if (!DNS1123_SUBDOMAIN_RE.test(prefix)) {
      return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    }
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!NAME_RE.test(name)) return NAME_MSG;
  return undefined;
}

/** Why a label value is invalid (Kubernetes `IsValidLabelValue`), or undefined when valid. */
export function validateLabelValue(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (value.length > 0 && !NAME_RE.test(value)) return VALUE_MSG;
  return undefined;
}

function invalid(field: string, value: string, detail: string): SelectorError {
  // The API server's wording: `unable to parse requirement: <nil>: Invalid value: "k": ...`.
  return new SelectorError(`unable to parse requirement: ${field}: Invalid value: ${JSON.stringify(value)}: ${detail}`);
}

const INTEGER_RE = /^[+-]?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** True when `s` parses as Go's `strconv.ParseInt(s, 10, 64)` would: decimal, within 64 bits. */
function isInt64(s: string): boolean {
  if (!INTEGER_RE.test(s)) return false;
  const n = BigInt(s);
  return n >= INT64_MIN && n <= INT64_MAX;
}

/**
 * Builds one requirement, validating it as Kubernetes' `NewRequirement` does.
 * @throws SelectorError (`KLOOP_INVALID_SELECTOR`)
 */
export function makeLabelRequirement(
  key: string,
  operator: LabelOperator,
  values: readonly string[],
): LabelRequirement {
  const keyErr = validateLabelKey(key);
  if (keyErr !== undefined) throw invalid('<nil>', key, keyErr);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) throw new SelectorError("for 'in', 'notin' operators, values set can't be empty");
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) throw new SelectorError('exact-match compatibility requires one single value');
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) throw new SelectorError('values set must be empty for exists and does not exist');
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1 || !isInt64(values[0])) {
        throw new SelectorError("for 'Gt', 'Lt' operators, exactly one value is required and it must be an integer");
      }
      // Then validated as a label value like any other, as NewRequirement does: so no sign.
      break;
  }
  for (const v of values) {
    const err = validateLabelValue(v);
    if (err !== undefined) throw invalid('values[0]', v, err);
  }
  return { key, operator, values: [...new Set(values)].sort() };
}

/** True when `labels` satisfy one requirement. `!=` and `notin` hold for a missing key. */
export function requirementMatches(r: LabelRequirement, labels: Readonly<Record<string, string>> | undefined): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has && r.values.includes(value as string);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      // Exact 64-bit comparison (Go's ParseInt); a value that does not parse never matches.
      if (!has || !isInt64(value as string)) return false;
      const have = BigInt(value as string);
      const want = BigInt(r.values[0]);
      return r.operator === 'gt' ? have > want : have < want;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0]}`;
  }
}

class Requirements implements LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  constructor(reqs: LabelRequirement[]) {
    // Kubernetes keeps requirements sorted by key, which makes toString canonical.
    this.requirements = reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    for (const r of this.requirements) if (!requirementMatches(r, labels)) return false;
    return true;
  }
  isEmpty(): boolean {
    return this.requirements.length === 0;
  }
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

/** Selects nothing: what a null `metav1.LabelSelector` means (Go: `labels.Nothing()`). */
const NOTHING: LabelSelector = Object.freeze({
  requirements: Object.freeze([]) as readonly LabelRequirement[],
  matches: () => false,
  isEmpty: () => false,
  toString: () => '',
});

/** The selector that selects every object. */
export const EVERYTHING: LabelSelector = Object.freeze(new Requirements([]));

/** The selector that selects no object. */
export const NOTHING_SELECTOR: LabelSelector = NOTHING;

type Token =
  | { t: 'id'; v: string }
  | { t: 'op'; v: '=' | '==' | '!=' | '!' | '>' | '<' }
  | { t: 'in' | 'notin' | '(' | ')' | ',' | 'eos'; v: string };

const SPECIAL = new Set([' ', '\t', '\r', '\n', ',', '(', ')', '=', '!', '<', '>']);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: c, v: c });
      i++;
    } else if (c === '=' || c === '!') {
      if (text[i + 1] === '=') {
        out.push({ t: 'op', v: c === '=' ? '==' : '!=' });
        i += 2;
      } else {
        out.push({ t: 'op', v: c });
        i++;
      }
    } else if (c === '<' || c === '>') {
      out.push({ t: 'op', v: c });
      i++;
    } else {
      let j = i;
      while (j < text.length && !SPECIAL.has(text[j])) j++;
      const word = text.slice(i, j);
      out.push(word === 'in' || word === 'notin' ? { t: word, v: word } : { t: 'id', v: word });
      i = j;
    }
  }
  out.push({ t: 'eos', v: '' });
  return out;
}

/**
 * A word in a value position. apimachinery's parser reads `in` and `notin` as identifiers
 * there (its `Values` context), so `env=in` and `env in (in,notin)` are valid selectors.
 */
function isValueWord(tok: Token): boolean {
  return tok.t === 'id' || tok.t === 'in' || tok.t === 'notin';
}

function describe(tok: Token): string {
  return tok.v;
}

/**
 * Parses label selector text with the full Kubernetes syntax: `k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`, joined by commas. The empty string
 * selects everything.
 *
 * @throws SelectorError (`KLOOP_INVALID_SELECTOR`) with a message close to the API server's.
 * @example
 * ```ts
 * const sel = parseLabelSelector('app=web,tier in (a,b),!legacy');
 * sel.matches({ app: 'web', tier: 'a' }); // true
 * ```
 */
export function parseLabelSelector(text: string): LabelSelector {
  const toks = tokenize(text);
  let pos = 0;
  const reqs: LabelRequirement[] = [];
  const expect = (what: string): never => {
    throw new SelectorError(`unable to parse requirement: found '${describe(toks[pos])}', expected: ${what}`);
  };
  if (toks[0].t === 'eos') return EVERYTHING;
  for (;;) {
    let tok = toks[pos];
    if (tok.t === 'op' && tok.v === '!') {
      pos++;
      tok = toks[pos];
      if (tok.t !== 'id') expect("identifier after '!'");
      pos++;
      reqs.push(makeLabelRequirement(tok.v, '!', []));
    } else if (tok.t === 'id') {
      pos++;
      const key = tok.v;
      const op = toks[pos];
      if (op.t === 'eos' || op.t === ',') {
        reqs.push(makeLabelRequirement(key, 'exists', []));
      } else if (op.t === 'in' || op.t === 'notin') {
        pos++;
        if (toks[pos].t !== '(') expect("'('");
        pos++;
        const values: string[] = [];
        // Kubernetes accepts empty members (`in (a,)` means a or ""), validated as values.
        for (;;) {
          const v = toks[pos];
          if (isValueWord(v)) {
            values.push(v.v);
            pos++;
          } else if (v.t === ',' || v.t === ')') {
            values.push('');
          } else {
            expect("',', ')' or identifier");
          }
          if (toks[pos].t === ',') {
            pos++;
            continue;
          }
          if (toks[pos].t === ')') {
            pos++;
            break;
          }
          expect("',' or ')'");
        }
        // `in ()` parses to one empty member; Kubernetes reports the empty set.
        const set = values.length === 1 && values[0] === '' && toks[pos - 2].t === '(' ? [] : values;
        reqs.push(makeLabelRequirement(key, op.t, set));
      } else if (op.t === 'op' && op.v !== '!') {
        pos++;
        const v = toks[pos];
        let value = '';
        if (isValueWord(v)) {
          value = v.v;
          pos++;
        } else if (v.t !== 'eos' && v.t !== ',') {
          expect('identifier');
        }
        const operator: LabelOperator = op.v === '>' ? 'gt' : op.v === '<' ? 'lt' : op.v;
        reqs.push(makeLabelRequirement(key, operator, [value]));
      } else {
        expect("'=', '!=', '==', 'in', notin'");
      }
    } else {
      expect('identifier');
    }
    const sep = toks[pos];
    if (sep.t === 'eos') break;
    if (sep.t !== ',') expect("','");
    pos++;
  }
  return new Requirements(reqs);
}

/**
 * Converts a `metav1.LabelSelector` (`{ matchLabels, matchExpressions }`) to a selector, as
 * `metav1.LabelSelectorAsSelector` does: `null`/`undefined` selects nothing, `{}` selects
 * everything.
 *
 * @throws SelectorError (`KLOOP_INVALID_SELECTOR`) for an unknown operator or invalid values.
 * @example
 * ```ts
 * labelSelectorFromSpec({ matchLabels: { app: 'web' } }).toString(); // 'app=web'
 * ```
 */
export function labelSelectorFromSpec(spec: LabelSelectorSpec | undefined | null): LabelSelector {
  if (spec === undefined || spec === null) return NOTHING;
  const reqs: LabelRequirement[] = [];
  for (const [k, v] of Object.entries(spec.matchLabels ?? {})) reqs.push(makeLabelRequirement(k, '=', [v]));
  for (const e of spec.matchExpressions ?? []) {
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        reqs.push(makeLabelRequirement(e.key, 'in', values));
        break;
      case 'NotIn':
        reqs.push(makeLabelRequirement(e.key, 'notin', values));
        break;
      case 'Exists':
        reqs.push(makeLabelRequirement(e.key, 'exists', values));
        break;
      case 'DoesNotExist':
        reqs.push(makeLabelRequirement(e.key, '!', values));
        break;
      default:
        throw new SelectorError(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    }
  }
  return reqs.length === 0 ? EVERYTHING : new Requirements(reqs);
}

/** One requirement of a field selector: `field=value` or `field!=value`. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** A parsed field selector: requirements joined by AND. */
export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  /** `get(field)` returns the object's value for a field; a missing field counts as `""`. */
  matches(get: (field: string) => string | undefined): boolean;
  isEmpty(): boolean;
  /** Canonical text, values escaped (`\\`, `\,`, `\=`). */
  toString(): string;
}

function escapeFieldValue(v: string): string {
  return v.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** Splits on `sep` characters that are not escaped by a backslash. */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === sep) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function unescapeFieldValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '\\') {
      const n = v[i + 1];
      if (n !== '\\' && n !== ',' && n !== '=')
        throw new SelectorError(`invalid field selector: invalid escape sequence: ${v}`);
      out += n;
      i++;
    } else if (c === ',' || c === '=') {
      throw new SelectorError(`invalid field selector: unescaped ${c} in value: ${v}`);
    } else {
      out += c;
    }
  }
  return out;
}

class FieldRequirements implements FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}
  matches(get: (field: string) => string | undefined): boolean {
    for (const r of this.requirements) {
      const eq = (get(r.field) ?? '') === r.value;
      if (eq !== (r.operator === '=')) return false;
    }
    return true;
  }
  isEmpty(): boolean {
    return this.requirements.length === 0;
  }
  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
  }
}

/**
 * Parses field selector text: `field=value`, `field==value`, `field!=value`, joined by commas
 * (AND); `\,`, `\=` and `\\` escape inside values. Which fields exist is up to the resource.
 *
 * @throws SelectorError (`KLOOP_INVALID_SELECTOR`)
 * @example
 * ```ts
 * parseFieldSelector('metadata.name=a,status.phase!=Running');
 * ```
 */
export function parseFieldSelector(text: string): FieldSelector {
  const reqs: FieldRequirement[] = [];
  for (const term of splitUnescaped(text, ',')) {
    if (term.length === 0) continue;
    // The first operator wins, checked as Kubernetes' splitTerm does: `!=`, then `==`, then `=`
    // at each position in turn. Like splitTerm, escapes are not skipped here: a backslash
    // belongs in values, where unescapeFieldValue reads it.
    let found: FieldRequirement | undefined;
    for (let i = 0; i < term.length && found === undefined; i++) {
      for (const op of ['!=', '==', '='] as const) {
        if (term.startsWith(op, i)) {
          const field = term.slice(0, i);
          found = {
            field,
            operator: op === '!=' ? '!=' : '=',
            value: unescapeFieldValue(term.slice(i + op.length)),
          };
          break;
        }
      }
    }
    if (found === undefined) throw new SelectorError(`invalid selector: '${text}'; can't understand '${term}'`);
    reqs.push(found);
  }
  return new FieldRequirements(reqs);
}
