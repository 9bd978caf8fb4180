/** Semantic versions for CEL's `semver` library (1.33), compared as blang/semver does. */

export class Semver {
  constructor(
    readonly major: bigint,
    readonly minor: bigint,
    readonly patch: bigint,
    readonly pre: readonly string[],
  ) {}

  /** Parses `1.2.3[-pre][+build]`; with `normalize`, also `v1.2` and a leading `v`. */
  static parse(text: string, normalize = false): Semver {
    let s = text;
    if (normalize) {
      if (s.startsWith('v')) s = s.slice(1);
      const core = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$/.exec(s);
      if (core && (core[2] === undefined || core[3] === undefined)) {
        if (core[4] !== '') throw new Error('short version cannot contain PreRelease/Build meta data');
        s = `${core[1]}.${core[2] ?? '0'}.${core[3] ?? '0'}`;
      }
    }
    const m =
      /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/.exec(
        s,
      );
    if (!m) {
      if (!/^\d+\.\d+\.\d+/.test(s)) throw new Error('No Major.Minor.Patch elements found');
      throw new Error(`Invalid character(s) found in version ${JSON.stringify(s)}`);
    }
    const pre = m[4] === undefined ? [] : m[4].split('.');
    for (const p of pre)
      if (/^0\d+$/.test(p))
        throw new Error(`Numeric PreRelease version must not contain leading zeroes ${JSON.stringify(p)}`);
    return new Semver(BigInt(m[1]), BigInt(m[2]), BigInt(m[3]), pre);
  }

  compare(o: Semver): number {
    for (const [a, b] of [
      [this.major, o.major],
      [this.minor, o.minor],
      [this.patch, o.patch],
    ] as const) {
      if (a !== b) return a < b ? -1 : 1;
    }
    if (this.pre.length === 0 || o.pre.length === 0)
      return this.pre.length === o.pre.length ? 0 : this.pre.length === 0 ? 1 : -1;
    for (let i = 0; i < Math.min(this.pre.length, o.pre.length); i++) {
      const a = this.pre[i];
      const b = o.pre[i];
      if (a === b) continue;
      const an = /^\d+$/.test(a);
      const bn = /^\d+$/.test(b);
      if (an && bn) return BigInt(a) < BigInt(b) ? -1 : 1;
      if (an !== bn) return an ? -1 : 1;
      return a < b ? -1 : 1;
    }
    return this.pre.length === o.pre.length ? 0 : this.pre.length < o.pre.length ? -1 : 1;
  }
}
