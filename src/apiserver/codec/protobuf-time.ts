/**
 * The JSON texts of `metav1.Time`, `metav1.MicroTime` and `metav1.Duration`, written and read
 * exactly as their Go `MarshalJSON`/`UnmarshalJSON` do: RFC 3339 in UTC with whole seconds
 * (`2024-05-01T10:00:00Z`), RFC 3339 with microseconds (`2024-05-01T10:00:00.123456Z`), and
 * Go's `time.Duration.String()` (`1h2m3.5s`, `150ms`, `0s`).
 */

/** Unix seconds of Go's zero `time.Time` (0001-01-01T00:00:00Z), which JSON writes as `null`. */
export const GO_ZERO_TIME_SECONDS = -62135596800;
/** Unix seconds of 9999-12-31T23:59:59Z, the last instant RFC 3339's four-digit year can name. */
const MAX_SECONDS = 253402300799;
const MIN_SECONDS = GO_ZERO_TIME_SECONDS - 365 * 86400; // year 0000

/** True when `seconds` is inside the years RFC 3339 can write (0000-9999). */
export function secondsInRange(seconds: number): boolean {
  return Number.isFinite(seconds) && seconds >= MIN_SECONDS && seconds <= MAX_SECONDS;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * RFC 3339 in UTC for Unix `seconds` (and, with `micros`, six fractional digits), as Go's
 * `t.UTC().Format(time.RFC3339)` / `RFC3339Micro` writes it. The caller checks the range.
 */
export function formatRfc3339(seconds: number, micros?: number): string {
  const date = new Date(0);
  date.setTime(seconds * 1000);
  const year = date.getUTCFullYear();
  const text =
    `${pad(year, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}`;
  return micros === undefined ? `${text}Z` : `${text}.${pad(micros, 6)}Z`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses RFC 3339 (as Go's `time.Parse(time.RFC3339, s)` accepts it, fractional seconds
 * included) into Unix seconds and nanoseconds; undefined when the text is not a valid time.
 */
export function parseRfc3339(text: string): { seconds: number; nanos: number } | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1) return undefined; // day past the month's end
  date.setUTCHours(hour, minute, second, 0);
  let seconds = Math.floor(date.getTime() / 1000);
  if (m[9] !== undefined) {
    const offset = (Number(m[10]) * 60 + Number(m[11])) * 60;
    if (Number(m[10]) > 23 || Number(m[11]) > 59) return undefined;
    seconds += m[9] === '+' ? -offset : offset;
  }
  const nanos = m[7] === undefined ? 0 : Number(m[7].slice(1).padEnd(9, '0'));
  return { seconds, nanos };
}

const UNIT_NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 MICRO SIGN
  μs: 1_000n, // U+03BC GREEK SMALL LETTER MU
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_INT64 = (1n << 63n) - 1n;

/** Parses a Go duration (`time.ParseDuration`): `1h30m`, `-1.5s`, `300ms`, `0`; undefined when invalid. */
export function parseGoDuration(text: string): bigint | undefined {
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  while (rest !== '') {
    const m = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) return undefined;
    const unit = UNIT_NANOS[m[3]];
    const whole = BigInt(m[1] === '' ? '0' : m[1]);
    let value = whole * unit;
    if (m[2]) {
      // Go keeps the fraction to nanosecond precision of the unit, truncating.
      const scale = 10n ** BigInt(m[2].length);
      value += (BigInt(m[2]) * unit) / scale;
    }
    total += value;
    if (total > MAX_INT64 + (negative ? 1n : 0n)) return undefined;
    rest = rest.slice(m[0].length);
  }
  return negative ? -total : total;
}

function fraction(value: bigint, digits: number): string {
  // Go prints the fraction without trailing zeros.
  const text = value.toString().padStart(digits, '0').replace(/0+$/, '');
  return text === '' ? '' : `.${text}`;
}

/** Go's `time.Duration.String()` for a count of nanoseconds. */
export function formatGoDuration(nanos: bigint): string {
  if (nanos === 0n) return '0s';
  const negative = nanos < 0n;
  let u = negative ? -nanos : nanos;
  let text: string;
  if (u < 1_000_000_000n) {
    // Under a second: the largest of ns, µs, ms that keeps an integer part.
    if (u < 1_000n) text = `${u}ns`;
    else if (u < 1_000_000n) text = `${u / 1_000n}${fraction(u % 1_000n, 3)}µs`;
    else text = `${u / 1_000_000n}${fraction(u % 1_000_000n, 6)}ms`;
  } else {
    const secondsPart = `${(u / 1_000_000_000n) % 60n}${fraction(u % 1_000_000_000n, 9)}s`;
    u /= 1_000_000_000n;
    const minutes = u / 60n;
    if (minutes === 0n) text = secondsPart;
    else {
      const hours = minutes / 60n;
      text = hours === 0n ? `${minutes % 60n}m${secondsPart}` : `${hours}h${minutes % 60n}m${secondsPart}`;
    }
  }
  return negative ? `-${text}` : text;
}
