/**
 * Query parameters read the way kube-apiserver reads them: through apimachinery's `url.Values`
 * conversions (`runtime/conversion.go`), which take the first value of a repeated parameter,
 * read booleans loosely and integers with Go's `strconv.ParseInt`, whose error text is the
 * 400's message. And Go's `time.ParseDuration` for `?timeout=`, whose error text the request
 * deadline filter wraps. Pure functions; the callers decide what a failure becomes.
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
