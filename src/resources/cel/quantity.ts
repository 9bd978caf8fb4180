/**
 * `resource.Quantity` for CEL's `quantity` library (`quantity('1Gi').isLessThan(quantity('2Gi'))`):
 * parsed as Go's `resource.ParseQuantity` does and held as an exact rational, so comparisons and
 * sums are exact, as upstream's are.
 */

const SPLIT_RE = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x === 0n ? 1n : x;
}

/** A quantity as an exact fraction `num / den` (den > 0), keeping the text it was parsed from. */
export class Quantity {
  readonly num: bigint;
  readonly den: bigint;

  constructor(num: bigint, den: bigint) {
    const g = gcd(num, den);
    this.num = num / g;
    this.den = den / g;
  }

  /** Go's `resource.ParseQuantity`; throws with Go's messages. */
  static parse(text: string): Quantity {
    if (text.length === 0) throw new Error(`quantities must match the regular expression '${SPLIT_RE}'`);
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/.exec(text);
    if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) {
      throw new Error(`quantities must match the regular expression '${SPLIT_RE}'`);
    }
    const [, sign, whole, frac = '', suffix] = m;
    let num = BigInt(`${whole}${frac}` || '0');
    let den = 10n ** BigInt(frac.length);
    if (BINARY[suffix] !== undefined) num *= BINARY[suffix];
    else if (DECIMAL[suffix] !== undefined) {
      const exp = DECIMAL[suffix];
      if (exp >= 0) num *= 10n ** BigInt(exp);
      else den *= 10n ** BigInt(-exp);
    } else {
      const e = /^[eE]([-+]?\d+)$/.exec(suffix);
      if (!e) throw new Error("unable to parse quantity's suffix");
      const exp = Number(e[1]);
      if (Math.abs(exp) > 1000) throw new Error("unable to parse quantity's suffix");
      if (exp >= 0) num *= 10n ** BigInt(exp);
      else den *= 10n ** BigInt(-exp);
    }
    // Go rounds values finer than 1n up to the next nano-unit.
    const nanos = num * 1_000_000_000n;
    if (nanos % den !== 0n) {
      num = nanos / den + 1n;
      den = 1_000_000_000n;
    }
    return new Quantity(sign === '-' ? -num : num, den);
  }

  compare(other: Quantity): number {
    const a = this.num * other.den;
    const b = other.num * this.den;
    return a === b ? 0 : a < b ? -1 : 1;
  }

  add(other: Quantity): Quantity {
    return new Quantity(this.num * other.den + other.num * this.den, this.den * other.den);
  }

  negate(): Quantity {
    return new Quantity(-this.num, this.den);
  }

  sign(): bigint {
    return this.num === 0n ? 0n : this.num < 0n ? -1n : 1n;
  }

  /** The value as int64 when it is integral and fits (Go: `AsInt64`). */
  asInt64(): bigint | undefined {
    if (this.den !== 1n || this.num > INT64_MAX || this.num < INT64_MIN) return undefined;
    return this.num;
  }

  asApproximateFloat(): number {
    return Number(this.num) / Number(this.den);
  }

  toString(): string {
    return this.den === 1n ? this.num.toString() : `${this.num}/${this.den}`;
  }
}
