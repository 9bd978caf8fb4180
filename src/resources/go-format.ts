/**
 * Go's `fmt` renderings that the API server's error texts are made of. Kubernetes 1.33 prints a
 * field error's bad value with `%v` for numbers and booleans, `%q` for strings and `%#v` for
 * anything else (apimachinery `field/errors.go` `ErrorBody`), and kube-openapi prints schema
 * bounds with `%v`. Reproducing them here keeps every message byte-identical to the real server's.
 *
 * Numbers: JSON decoded by the API server gives `int64` for integral literals and `float64`
 * otherwise. JavaScript cannot tell `2` from `2.0`, so integral numbers render as Go integers.
 */

/** `%v` of a float64: the shortest representation, in `%e` form for exponents < -4 or >= 6. */
export function goFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, expText] = value.toExponential().split('e');
  const exp = Number(expText);
  // strconv.FormatFloat(f, 'g', -1, 64): with the shortest precision, %e is used when the
  // exponent is < -4 or >= 6 (so 1000000.5 prints 1.0000005e+06).
  if (exp < -4 || exp >= 6) {
    const abs = Math.abs(exp);
    return `${mantissa}e${exp < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
  }
  return String(value);
}

/**
 * `%.<digits>f` of a non-negative float64: rounded half to even on the exact binary value, as
 * strconv does (JavaScript's toFixed rounds exact ties up: 2.25 is "2.3" there, "2.2" in Go).
 */
export function goFixed(value: number, digits: number): string {
  const exact = value.toFixed(Math.min(digits + 60, 100));
  const point = exact.indexOf('.');
  const kept = exact.slice(0, digits === 0 ? point : point + 1 + digits);
  const lastDigit = Number(kept.replace('.', '').at(-1));
  // Only an exact tie rounds differently: down when the kept digit is even.
  if (/^50*$/.test(exact.slice(point + 1 + digits)) && lastDigit % 2 === 0) return kept;
  return value.toFixed(digits);
}

/** `%v` of a number as the API server has it: integral values are int64, others float64. */
export function goNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 2 ** 63) return BigInt(value).toString();
  return goFloat(value);
}

const ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
};

/** Printable ASCII without quotes or backslashes: quoted as is. */
const PLAIN = /^[ !#-[\]-~]*$/;

const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}\p{Cn}]/u;

/** `strconv.Quote`: double quotes, Go escapes, non-printable runes as `\x`, `\u` or `\U`. */
export function goQuote(text: string): string {
  if (PLAIN.test(text)) return `"${text}"`;
  let out = '"';
  for (const ch of text) {
    const escaped = ESCAPES[ch];
    if (escaped !== undefined) {
      out += escaped;
      continue;
    }
    const code = ch.codePointAt(0)!;
    if (code === 0xfffd && ch !== '\ufffd') {
      out += '\\ufffd';
    } else if (code < 0x20 || code === 0x7f) {
      out += `\\x${code.toString(16).padStart(2, '0')}`;
    } else if (ch !== ' ' && (NOT_PRINTABLE.test(ch) || /\p{Z}/u.test(ch))) {
      out += code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}

/** `%#v` of a JSON value held as `interface{}` (maps sorted by key, as Go's fmt sorts them). */
export function goSyntax(value: unknown): string {
  if (value instanceof GoLiteral) return value.text;
  if (value === null || value === undefined) return 'interface {}(nil)';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[]interface {}{${value.map(goSyntax).join(', ')}}`;
  if (typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((key) => `${goQuote(key)}:${goSyntax((value as Record<string, unknown>)[key])}`);
    return `map[string]interface {}{${entries.join(', ')}}`;
  }
  return String(value);
}

/** `%v` of a JSON value (numbers, booleans and strings unquoted; the rest as Go prints them). */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  const entries = Object.keys(value as object)
    .sort()
    .map((key) => `${key}:${goValue((value as Record<string, unknown>)[key])}`);
  return `map[${entries.join(' ')}]`;
}

/** A value Go printed in a form of its own (a struct with `%#v`): rendered as the given text. */
export class GoLiteral {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}
