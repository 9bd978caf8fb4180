/**
 * Go regular expressions (RE2 syntax) run on JavaScript's engine. CRD `pattern`s and CEL's
 * `matches`, `find` and `findAll` are RE2 in the API server; most of RE2 maps one to one, the rest
 * is translated here: flag groups (`(?i)`, `(?s:...)`), `\A` `\z`, `\Q...\E`, POSIX classes,
 * Unicode classes (`\pL`, `\p{Greek}`), Go's `\s`, and Go's `.` (anything but `\n`). What RE2
 * refuses (look-around, backreferences) is refused with Go's error text, so a pattern valid here
 * is valid there.
 *
 * Patterns and the values they match come from requests, so matching runs on re2js (a port of
 * RE2): JavaScript's engine backtracks, and `^(a+)+$` against a few dozen characters would hold
 * the event loop for hours where the API server answers at once. The translation above stays as
 * the syntax check that gives Go's texts.
 */
import { RE2JS } from 're2js';

/** A pattern RE2 would not compile; the message is Go's (`error parsing regexp: ...`). */
export class RegexSyntaxError extends Error {
  override readonly name = 'RegexSyntaxError';
}

function fail(code: string, expr: string): never {
  throw new RegexSyntaxError(`error parsing regexp: ${code}: \`${expr}\``);
}

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const PERL_CLASS_IN_SET: Record<string, string> = { d: '0-9', w: '0-9A-Za-z_', s: '\\t\\n\\f\\r ' };
const SYNTAX = new Set('^$\\.*+?()[]{}|/');
const CLASS_SYNTAX = new Set('\\]^-[');

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
}

class Translator {
  private pos = 0;
  private out = '';

  constructor(
    private readonly src: string,
    private flags: Flags,
  ) {}

  translate(): string {
    this.sequence(false);
    if (this.pos < this.src.length) fail('unexpected )', this.src);
    return this.out;
  }

  private sequence(inGroup: boolean): void {
    const src = this.src;
    let canRepeat = false;
    while (this.pos < src.length) {
      const ch = src[this.pos];
      if (ch === ')') {
        if (!inGroup) fail('unexpected )', src);
        return;
      }
      if (ch === '|') {
        this.out += '|';
        this.pos++;
        canRepeat = false;
        continue;
      }
      if ('*+?'.includes(ch) || (ch === '{' && this.repeatAhead())) {
        this.repetition(canRepeat);
        canRepeat = false;
        continue;
      }
      canRepeat = this.atom();
    }
    if (inGroup) fail('missing closing )', src);
  }

  private repeatAhead(): boolean {
    return /^\{\d+(,\d*)?\}/.test(this.src.slice(this.pos));
  }

  private repetition(canRepeat: boolean): void {
    const src = this.src;
    const start = this.pos;
    let op: string;
    if (src[this.pos] === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(this.pos))!;
      const min = Number(m[1]);
      const max = m[3] === undefined || m[3] === '' ? min : Number(m[3]);
      if (min > 1000 || max > 1000 || (m[3] !== undefined && m[3] !== '' && max < min))
        fail('invalid repeat count', m[0]);
      op = m[0];
    } else {
      op = src[this.pos];
    }
    this.pos += op.length;
    if (src[this.pos] === '?') {
      op += '?';
      this.pos++;
    }
    if (!canRepeat) fail('missing argument to repetition operator', src.slice(start, this.pos));
    const next = src[this.pos];
    if (next === '*' || next === '+' || next === '?' || (next === '{' && this.repeatAhead())) {
      fail('invalid nested repetition operator', src.slice(start, this.pos + 1));
    }
    this.out += op;
  }

  /** One atom; returns whether a repetition may follow it. */
  private atom(): boolean {
    const src = this.src;
    const ch = src[this.pos];
    switch (ch) {
      case '(':
        return this.group();
      case '[':
        this.out += this.charClass();
        return true;
      case '.':
        this.pos++;
        this.out += this.flags.s ? '[\\s\\S]' : '[^\\n]';
        return true;
      case '^':
        this.pos++;
        this.out += this.flags.m ? '(?:^|(?<=\\n))' : '^';
        return false;
      case '$':
        this.pos++;
        this.out += this.flags.m ? '(?:$|(?=\\n))' : '$';
        return false;
      case '\\':
        return this.escape();
      default: {
        const cp = src.codePointAt(this.pos)!;
        const literal = String.fromCodePoint(cp);
        this.pos += literal.length;
        this.out += this.literal(literal);
        return true;
      }
    }
  }

  private literal(ch: string): string {
    if (this.flags.i && /[a-zA-Z]/.test(ch)) return `[${ch.toLowerCase()}${ch.toUpperCase()}]`;
    return SYNTAX.has(ch) ? `\\${ch}` : ch;
  }

  private group(): boolean {
    const src = this.src;
    this.pos++;
    const saved = this.flags;
    if (src[this.pos] === '?') {
      const rest = src.slice(this.pos);
      if (rest.startsWith('?=') || rest.startsWith('?!'))
        fail('invalid or unsupported Perl syntax', `(${rest.slice(0, 2)}`);
      if (rest.startsWith('?<=') || rest.startsWith('?<!')) fail('invalid or unsupported Perl syntax', '(?<');
      const named = /^\?P?<([A-Za-z0-9_]+)>/.exec(rest);
      if (named) {
        this.pos += named[0].length;
        this.out += `(?<${named[1]}>`;
      } else if (rest.startsWith('?P<') || rest.startsWith('?<')) {
        fail('invalid named capture', src.slice(this.pos - 1));
      } else {
        const flagMatch = /^\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
        if (!flagMatch || (flagMatch[1] === '' && !flagMatch[2] && flagMatch[3] === ')')) {
          fail('invalid or unsupported Perl syntax', `(${rest.slice(0, 2)}`);
        }
        const next: Flags = { ...this.flags };
        for (const [letters, on] of [
          [flagMatch[1], true],
          [flagMatch[2] ?? '', false],
        ] as const) {
          for (const f of letters) {
            if (f === 'U') fail('invalid or unsupported Perl syntax', `(${flagMatch[0]}`);
            next[f as keyof Flags] = on;
          }
        }
        this.pos += flagMatch[0].length;
        if (flagMatch[3] === ')') {
          // `(?i)` changes the flags for the rest of the enclosing group.
          this.flags = next;
          return false;
        }
        this.flags = next;
        this.out += '(?:';
      }
    } else {
      this.out += '(';
    }
    this.sequence(true);
    this.pos++;
    this.out += ')';
    this.flags = saved;
    return true;
  }

  private escape(): boolean {
    const src = this.src;
    const c = src[this.pos + 1];
    if (c === undefined) fail('trailing backslash at end of expression', '');
    this.pos += 2;
    switch (c) {
      case 'A':
        this.out += '(?<![\\s\\S])';
        return false;
      case 'z':
        this.out += '(?![\\s\\S])';
        return false;
      case 'b':
      case 'B':
        this.out += `\\${c}`;
        return false;
      case 'd':
      case 'D':
      case 'w':
      case 'W':
        this.out += `\\${c}`;
        return true;
      case 's':
        this.out += '[\\t\\n\\f\\r ]';
        return true;
      case 'S':
        this.out += '[^\\t\\n\\f\\r ]';
        return true;
      case 'Q': {
        const end = src.indexOf('\\E', this.pos);
        const text = end < 0 ? src.slice(this.pos) : src.slice(this.pos, end);
        this.pos = end < 0 ? src.length : end + 2;
        for (const ch of text) this.out += this.literal(ch);
        return text.length > 0;
      }
      case 'p':
      case 'P':
        this.out += this.unicodeClass(c);
        return true;
      case 'C':
        fail('invalid escape sequence', '\\C');
        break;
      default:
        this.out += this.escapedChar(c, false);
        return true;
    }
    return true;
  }

  private unicodeClass(c: string): string {
    const src = this.src;
    let name: string;
    if (src[this.pos] === '{') {
      const end = src.indexOf('}', this.pos);
      if (end < 0) fail('invalid character class range', src.slice(this.pos - 2));
      name = src.slice(this.pos + 1, end);
      this.pos = end + 1;
    } else {
      name = src[this.pos] ?? '';
      this.pos++;
    }
    let negate = c === 'P';
    if (name.startsWith('^')) {
      negate = !negate;
      name = name.slice(1);
    }
    const prop = /^[A-Z][a-z]?$/.test(name) ? name : name === 'Any' ? 'Any' : `Script=${name}`;
    try {
      new RegExp(`\\p{${prop}}`, 'u');
    } catch {
      fail('invalid character class range', `\\${c}{${name}}`);
    }
    return `\\${negate ? 'P' : 'p'}{${prop}}`;
  }

  /** An escape that stands for one character (`\n`, `\x41`, `\-`); `inClass` picks the quoting. */
  private escapedChar(c: string, inClass: boolean): string {
    const src = this.src;
    const simple: Record<string, string> = { a: '\\x07', f: '\\f', n: '\\n', r: '\\r', t: '\\t', v: '\\v' };
    if (simple[c] !== undefined) return simple[c];
    if (c === 'x') {
      if (src[this.pos] === '{') {
        const end = src.indexOf('}', this.pos);
        const hex = src.slice(this.pos + 1, end);
        if (end < 0 || !/^[0-9a-fA-F]+$/.test(hex) || Number.parseInt(hex, 16) > 0x10ffff)
          fail('invalid escape sequence', src.slice(this.pos - 2, end + 1));
        this.pos = end + 1;
        return `\\u{${hex}}`;
      }
      const hex = src.slice(this.pos, this.pos + 2);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail('invalid escape sequence', `\\x${hex}`);
      this.pos += 2;
      return `\\x${hex}`;
    }
    if (c >= '0' && c <= '7') {
      // Go accepts octal `\0`..`\777` only with a leading 0 (or as `\0`).
      if (c !== '0') fail('invalid escape sequence', `\\${c}`);
      const oct = /^[0-7]{0,2}/.exec(src.slice(this.pos))![0];
      this.pos += oct.length;
      return `\\u{${Number.parseInt(`0${oct}`, 8).toString(16)}}`;
    }
    if (/[!-/:-@[-`{-~]/.test(c)) {
      if (inClass) return CLASS_SYNTAX.has(c) ? `\\${c}` : c;
      return this.literal(c);
    }
    fail('invalid escape sequence', `\\${c}`);
  }

  private charClass(): string {
    const src = this.src;
    const start = this.pos;
    this.pos++;
    let out = '[';
    if (src[this.pos] === '^') {
      out += '^';
      this.pos++;
    }
    let first = true;
    let items = '';
    while (true) {
      if (this.pos >= src.length) fail('missing closing ]', src.slice(start));
      const ch = src[this.pos];
      if (ch === ']' && !first) break;
      first = false;
      if (src.startsWith('[:', this.pos)) {
        const end = src.indexOf(':]', this.pos);
        const name = end < 0 ? '' : src.slice(this.pos + 2, end);
        if (POSIX[name] !== undefined) {
          items += POSIX[name];
          this.pos = end + 2;
          continue;
        }
        if (name.startsWith('^')) fail('invalid character class range', src.slice(this.pos, end + 2));
      }
      const lo = this.classChar();
      if (lo.range && src[this.pos] === '-' && src[this.pos + 1] !== ']' && this.pos + 1 < src.length) {
        this.pos++;
        const hi = this.classChar();
        if (!hi.range || hi.cp! < lo.cp!) fail('invalid character class range', src.slice(start, this.pos));
        items += `${lo.text}-${hi.text}`;
        if (this.flags.i) items += foldRange(lo.cp!, hi.cp!);
      } else {
        items += lo.text;
        if (this.flags.i && lo.cp !== undefined) items += foldRange(lo.cp, lo.cp);
      }
    }
    this.pos++;
    return `${out}${items}]`;
  }

  /** One member of a class: a character (with its code point, so it can bound a range) or a class escape. */
  private classChar(): { text: string; range: boolean; cp?: number } {
    const src = this.src;
    const ch = src[this.pos];
    if (ch === '\\') {
      const c = src[this.pos + 1];
      this.pos += 2;
      if (PERL_CLASS_IN_SET[c] !== undefined) return { text: PERL_CLASS_IN_SET[c], range: false };
      if ('DWS'.includes(c)) return { text: `\\${c}`, range: false };
      if (c === 'p' || c === 'P') return { text: this.unicodeClass(c), range: false };
      const text = this.escapedChar(c, true);
      return { text, range: true, cp: decodeEscape(text) };
    }
    const cp = src.codePointAt(this.pos)!;
    const literal = String.fromCodePoint(cp);
    this.pos += literal.length;
    return { text: CLASS_SYNTAX.has(literal) ? `\\${literal}` : literal, range: true, cp };
  }
}

function decodeEscape(text: string): number {
  if (!text.startsWith('\\')) return text.codePointAt(0)!;
  const map: Record<string, number> = { '\\f': 12, '\\n': 10, '\\r': 13, '\\t': 9, '\\v': 11 };
  if (map[text] !== undefined) return map[text];
  const hex = /^\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]+)\})$/.exec(text);
  if (hex) return Number.parseInt(hex[1] ?? hex[2], 16);
  return text.codePointAt(1)!;
}

/** The other-case counterpart of an ASCII letter range, for case-insensitive classes. */
function foldRange(lo: number, hi: number): string {
  let out = '';
  const a = Math.max(lo, 0x41);
  const b = Math.min(hi, 0x5a);
  if (a <= b) out += `${String.fromCharCode(a + 32)}-${String.fromCharCode(b + 32)}`;
  const c = Math.max(lo, 0x61);
  const d = Math.min(hi, 0x7a);
  if (c <= d) out += `${String.fromCharCode(c - 32)}-${String.fromCharCode(d - 32)}`;
  return out;
}

/** A compiled Go regular expression; matching takes time linear in the input, as RE2's. */
export interface GoRegex {
  /** Whether the pattern matches anywhere in `input` (Go's `MatchString`). */
  test(input: string): boolean;
  /** The leftmost match, or "" when there is none (Go's `FindString`). */
  find(input: string): string;
  /** Successive non-overlapping matches, at most `limit` when it is not negative (Go's `FindAllString`). */
  findAll(input: string, limit?: number): string[];
}

class Re2Regex implements GoRegex {
  constructor(private readonly re: RE2JS) {}

  test(input: string): boolean {
    return this.re.test(input);
  }

  find(input: string): string {
    return String(this.re.re2().find(input) ?? '');
  }

  findAll(input: string, limit = -1): string[] {
    // RE2's own findAll: Go's rule that an empty match abutting the previous match is skipped.
    return ((this.re.re2().findAll(input, limit) as string[] | null) ?? []).map(String);
  }
}

/**
 * An estimate of the size of the program RE2 compiles `pattern` to (one instruction per literal or
 * class, counted repetitions multiplying what they repeat, as Go's own size check counts), or 0 when
 * the pattern is compiled already. Compiling takes time in proportion, so the CEL functions that
 * take a pattern from the object charge it as cost. The pattern is assumed valid.
 */
export function uncompiledProgramSize(pattern: string): number {
  if (cache.has(pattern)) return 0;
  let i = 0;
  const p = pattern;
  const alternation = (): number => {
    let total = sequence();
    while (p[i] === '|') {
      i++;
      total += sequence() + 1;
    }
    return total;
  };
  const sequence = (): number => {
    let total = 0;
    let last = 0;
    while (i < p.length && p[i] !== '|' && p[i] !== ')') {
      const c = p[i];
      if (c === '(') {
        i++;
        if (p[i] === '?') {
          let j = i;
          while (j < p.length && p[j] !== ':' && p[j] !== ')') j++;
          i = j + 1;
          if (p[j] === ')') continue; // a flag group such as (?i)
        }
        last = alternation() + 2;
        if (p[i] === ')') i++;
        total += last;
      } else if (c === '[') {
        i++;
        if (p[i] === '^') i++;
        if (p[i] === ']') i++;
        while (i < p.length && p[i] !== ']') {
          if (p[i] === '\\') i++;
          else if (p[i] === '[' && p[i + 1] === ':') i = Math.max(i, p.indexOf(':]', i + 2) + 1);
          i++;
        }
        i++;
        last = 1;
        total += 1;
      } else if (c === '\\' && p[i + 1] === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        const stop = end === -1 ? p.length : end;
        total += stop - (i + 2);
        last = 1;
        i = end === -1 ? p.length : end + 2;
      } else if (c === '\\') {
        i += (p[i + 1] === 'p' || p[i + 1] === 'P') && p[i + 2] === '{' ? p.indexOf('}', i) + 1 - i : 2;
        last = 1;
        total += 1;
      } else if (c === '*' || c === '+' || c === '?') {
        i += p[i + 1] === '?' ? 2 : 1;
        total += 1;
      } else if (c === '{' && /^\{\d+(,\d*)?\}/.test(p.slice(i, i + 24))) {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i, i + 24))!;
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : m[3] === '' ? min + 1 : Number(m[3]);
        total += last * Math.max(max - 1, 0) + 1;
        i += m[0].length + (p[i + m[0].length] === '?' ? 1 : 0);
      } else {
        i++;
        last = 1;
        total += 1;
      }
    }
    return total;
  };
  let total = 2;
  while (i < p.length) {
    total += alternation();
    i++; // an unbalanced ')' (refused by the syntax check anyway)
  }
  return total;
}

const cache = new Map<string, GoRegex>();

/**
 * Compiles a Go (RE2) regular expression. Matching is unanchored, as Go's `MatchString`, and
 * linear in the input.
 *
 * @throws RegexSyntaxError with Go's message when RE2 would refuse the pattern.
 * @example
 * ```ts
 * compileGoRegex('(?i)^[a-z]+$').test('ABC'); // true
 * ```
 */
export function compileGoRegex(pattern: string): GoRegex {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  const source = new Translator(pattern, { i: false, m: false, s: false }).translate();
  let compiled: GoRegex;
  try {
    new RegExp(source, 'u');
    compiled = new Re2Regex(RE2JS.compile(pattern));
  } catch (err) {
    if (err instanceof RegexSyntaxError) throw err;
    const message = (err as Error).message;
    throw new RegexSyntaxError(
      message.startsWith('error parsing regexp: ') ? message : `error parsing regexp: ${message}: \`${pattern}\``,
    );
  }
  if (cache.size > 4096) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}
