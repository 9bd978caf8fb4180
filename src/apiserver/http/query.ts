/**
 * Query parameters read the way kube-apiserver reads them: through apimachinery's `url.Values`
 * conversions (`runtime/conversion.go`), which take the first value of a repeated parameter,
 * read booleans loosely and integers with Go's `strconv.ParseInt`, whose error text is the
 * 400's message. And Go's `time.ParseDuration` for `?timeout=`, whose error text the request
 * deadline filter wraps. The query string itself is split as Go's `url.ParseQuery` splits it.
 * Pure functions; the callers decide what a failure becomes.
 */

const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);

/** A Go parse error: its text is what the API server puts in the Status message. */
export class GoParseError extends Error {}

/** Go's `strconv.Quote` for the ASCII texts clients send (escapes like JSON's, close enough). */
function quote(text: string): string {
  return JSON.stringify(text);
}

/**
 * Go's `url.QueryUnescape`: `+` is a space, `%XX` that byte (the bytes read as UTF-8), and a `%`
 * not followed by two hex digits makes the whole text invalid (undefined).
 */
function goQueryUnescape(text: string): string | undefined {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  if (/%(?![0-9a-fA-F]{2})/.test(spaced)) return undefined;
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of spaced.matchAll(/%[0-9a-fA-F]{2}/g)) {
    if (m.index > last) parts.push(Buffer.from(spaced.slice(last, m.index), 'utf8'));
    parts.push(Buffer.from([Number.parseInt(m[0].slice(1), 16)]));
    last = m.index + 3;
  }
  parts.push(Buffer.from(spaced.slice(last), 'utf8'));
  return Buffer.concat(parts).toString('utf8');
}

/**
 * A raw query string read as `req.URL.Query()` reads it (Go's `url.ParseQuery`, its error
 * ignored): pairs split on `&`; a pair containing `;` or a bad percent escape is dropped (Go
 * 1.17+ refuses `;` as a separator); the others kept, in order. `URLSearchParams` would keep
 * those pairs, so `?limit=1;x` would be a 400 and `?watch=1;x` a watch where the API server
 * sees neither parameter.
 *
 * @example
 * ```ts
 * parseGoQuery('watch=1;x&limit=%zz&limit=5').get('limit'); // '5' (and no watch)
 * ```
 */
export function parseGoQuery(rawQuery: string): URLSearchParams {
  const out = new URLSearchParams();
  for (const pair of rawQuery.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = goQueryUnescape(eq === -1 ? pair : pair.slice(0, eq));
    const value = goQueryUnescape(eq === -1 ? '' : pair.slice(eq + 1));
    if (key === undefined || value === undefined) continue;
    out.append(key, value);
  }
  return out;
}

/**
 * A boolean parameter (`Convert_Slice_string_To_bool`): absent is false; `0` and `false` (any
 * case) are false; anything else, the empty string included (`?watch=`), is true.
 *
 * @example
 * ```ts
 * queryBool(new URLSearchParams('watch=True'), 'watch'); // true
 * queryBool(new URLSearchParams('watch'), 'watch'); // true
 * queryBool(new URLSearchParams('watch=FALSE'), 'watch'); // false
 * ```
 */
export function queryBool(query: URLSearchParams, name: string): boolean {
  return queryOptionalBool(query, name) ?? false;
}

/** A `*bool` parameter: undefined when absent, else as {@link queryBool}. */
export function queryOptionalBool(query: URLSearchParams, name: string): boolean | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  return !(value === '0' || value.toLowerCase() === 'false');
}

/**
 * Go's `strconv.ParseInt(text, 10, 64)`: an optional sign and decimal digits, within int64.
 *
 * @throws GoParseError with Go's text, e.g. `strconv.ParseInt: parsing "abc": invalid syntax`
 * or `strconv.ParseInt: parsing "99999999999999999999": value out of range`.
 */
export function goParseInt64(text: string): bigint {
  if (!/^[+-]?\d+$/.test(text)) throw new GoParseError(`strconv.ParseInt: parsing ${quote(text)}: invalid syntax`);
  const value = BigInt(text);
  if (value > MAX_INT64 || value < MIN_INT64) {
    throw new GoParseError(`strconv.ParseInt: parsing ${quote(text)}: value out of range`);
  }
  return value;
}

/**
 * Go's `strconv.ParseUint(text, 10, 64)` (resource versions).
 *
 * @throws GoParseError with Go's text, e.g. `strconv.ParseUint: parsing "abc": invalid syntax`.
 */
export function goParseUint64(text: string): bigint {
  if (!/^\d+$/.test(text)) throw new GoParseError(`strconv.ParseUint: parsing ${quote(text)}: invalid syntax`);
  const value = BigInt(text);
  if (value > (1n << 64n) - 1n) throw new GoParseError(`strconv.ParseUint: parsing ${quote(text)}: value out of range`);
  return value;
}

/**
 * An int64 parameter (`Convert_Slice_string_To_int64`, `..._Pointer_int64`): undefined when
 * absent; the first value otherwise, which must parse (`?limit=` is an error, as upstream).
 *
 * @throws GoParseError for a value Go does not parse.
 */
export function queryInt64(query: URLSearchParams, name: string): bigint | undefined {
  const value = query.get(name);
  return value === null ? undefined : goParseInt64(value);
}

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/**
 * Go's `time.ParseDuration`, in nanoseconds.
 *
 * @throws GoParseError with Go's text: `time: invalid duration "x"`, `time: missing unit in
 * duration "1"`, `time: unknown unit "d" in duration "1d"`.
 */
export function goParseDuration(text: string): bigint {
  const invalid = () => new GoParseError(`time: invalid duration ${quote(text)}`);
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw invalid();
  let total = 0n;
  while (rest !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const whole = m?.[1] ?? '';
    const frac = m?.[2];
    if (whole === '' && (frac === undefined || frac === '')) throw invalid();
    rest = rest.slice(m?.[0].length ?? 0);
    const unitText = /^[^.\d]*/.exec(rest)?.[0] ?? '';
    if (unitText === '') throw new GoParseError(`time: missing unit in duration ${quote(text)}`);
    const unit = DURATION_UNITS[unitText];
    if (unit === undefined) {
      throw new GoParseError(`time: unknown unit ${quote(unitText)} in duration ${quote(text)}`);
    }
    rest = rest.slice(unitText.length);
    let value = BigInt(whole === '' ? '0' : whole) * unit;
    if (frac) value += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    total += value;
    if (total > MAX_INT64 + (negative ? 1n : 0n)) throw invalid();
  }
  return negative ? -total : total;
}

/**
 * Go's `time.Duration(seconds) * time.Second` for an int64 count of seconds: the product wraps
 * around int64 as Go's does, so a huge `timeoutSeconds` comes out as whatever Go computes
 * (possibly negative, which Go's timers treat as already expired).
 */
export function secondsToGoDuration(seconds: bigint): bigint {
  return BigInt.asIntN(64, seconds * 1_000_000_000n);
}
