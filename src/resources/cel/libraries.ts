/**
 * The Kubernetes CEL libraries CRD rules use (apiserver `pkg/cel/library` and cel-go `ext`, as
 * enabled for Kubernetes 1.33 in `environment/base.go`): lists, regex, url, quantity, ext strings
 * (v2), sets, ip and cidr, format and semver. Registered into a cel-js `Environment`; runtime
 * errors carry upstream's texts.
 */
import { type Environment, Optional } from '@marcbachmann/cel-js';
import { validateLabelKey, validateLabelValue } from '../../core/index.js';
import { formatChecker } from '../formats.js';
import { goQuote } from '../go-format.js';
import { cidrContains, cidrNetwork, formatIP, type IpAddress, parseCIDR, parseIPv4, parseIPv6 } from '../net.js';
import { compileGoRegex, type GoRegex, uncompiledProgramSize } from '../regex.js';
import { chargeBuiltSize, chargeUnits } from './cost.js';
import { Quantity } from './quantity.js';
import { Semver } from './semver.js';
import { GoUrl } from './url.js';

/** An error a library function raises; its message is what the rule's error shows. */
export class CelRuntimeError extends Error {
  override readonly name = 'CelRuntimeError';
}

/** CEL's heterogeneous equality over the values cel-js uses (bigint ints, number doubles, ...). */
export function celEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    return Number(a) === Number(b) && (typeof a !== 'bigint' || typeof b !== 'bigint' || a === b);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => celEquals(x, b[i]));
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (a instanceof Map && b instanceof Map) {
    return a.size === b.size && [...a].every(([k, v]) => b.has(k) && celEquals(v, b.get(k)));
  }
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && celEquals(a[k], b[k]));
  }
  return false;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

function durationNanos(v: { seconds: bigint; nanos: number }): bigint {
  return v.seconds * 1_000_000_000n + BigInt(v.nanos);
}

/** CEL ordering for the comparable types (`<` of int, uint, double, string, bool, bytes, timestamp, duration). */
function celCompare(a: unknown, b: unknown): number {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Date && b instanceof Date) return Math.sign(a.getTime() - b.getTime());
  if (typeof a === 'object' && a !== null && 'seconds' in a && typeof b === 'object' && b !== null && 'seconds' in b) {
    const x = durationNanos(a as { seconds: bigint; nanos: number });
    const y = durationNanos(b as { seconds: bigint; nanos: number });
    return x < y ? -1 : x > y ? 1 : 0;
  }
  throw new CelRuntimeError('no such overload');
}

/** The `net.IP` value of CEL's `ip` library. */
export class CelIp {
  constructor(readonly addr: IpAddress) {}
}

/** The `net.CIDR` value of CEL's `cidr` library. */
export class CelCidr {
  constructor(
    readonly addr: IpAddress,
    readonly prefix: number,
  ) {}
}

/** `kubernetes.NamedFormat` of the `format` library. */
export class NamedFormat {
  constructor(
    readonly name: string,
    readonly check: (s: string) => string[],
  ) {}
}

class FormatNamespace {}
class StringsNamespace {}
class SetsNamespace {}
class IpNamespace {}

const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

function maskTrailingDash(s: string, prefix: boolean): string {
  return prefix && s.endsWith('-') ? `${s.slice(0, -1)}a` : s;
}

function lengthAndPattern(max: number, re: RegExp, message: string) {
  return (s: string): string[] => {
    const out: string[] = [];
    if (s.length > max) out.push(`must be no more than ${max} characters`);
    if (!re.test(s)) out.push(message);
    return out;
  };
}

const dns1123Label = lengthAndPattern(63, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, DNS1123_LABEL_MSG);
const dns1123Subdomain = lengthAndPattern(
  253,
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  DNS1123_SUBDOMAIN_MSG,
);
const dns1035Label = lengthAndPattern(63, /^[a-z]([-a-z0-9]*[a-z0-9])?$/, DNS1035_MSG);

const FORMATS: Record<string, NamedFormat> = {
  dns1123Label: new NamedFormat('DNS1123Label', (s) => dns1123Label(s)),
  dns1123Subdomain: new NamedFormat('DNS1123Subdomain', (s) => dns1123Subdomain(s)),
  dns1035Label: new NamedFormat('DNS1035Label', (s) => dns1035Label(s)),
  qualifiedName: new NamedFormat('QualifiedName', (s) => {
    const err = validateLabelKey(s);
    return err === undefined ? [] : [err];
  }),
  dns1123LabelPrefix: new NamedFormat('DNS1123LabelPrefix', (s) => dns1123Label(maskTrailingDash(s, true))),
  dns1123SubdomainPrefix: new NamedFormat('DNS1123SubdomainPrefix', (s) => dns1123Subdomain(maskTrailingDash(s, true))),
  dns1035LabelPrefix: new NamedFormat('DNS1035LabelPrefix', (s) => dns1035Label(maskTrailingDash(s, true))),
  labelValue: new NamedFormat('LabelValue', (s) => {
    const err = validateLabelValue(s);
    return err === undefined ? [] : [err];
  }),
  uri: new NamedFormat('URI', (s) => {
    try {
      GoUrl.parse(s);
      return [];
    } catch (err) {
      return [(err as Error).message];
    }
  }),
  uuid: new NamedFormat('uuid', (s) => (formatChecker('uuid')!(s) ? [] : ['does not match the UUID format'])),
  byte: new NamedFormat('byte', (s) => (formatChecker('byte')!(s) ? [] : ['invalid base64'])),
  date: new NamedFormat('date', (s) => (formatChecker('date')!(s) ? [] : ['invalid date'])),
  datetime: new NamedFormat('datetime', (s) => (formatChecker('datetime')!(s) ? [] : ['invalid datetime'])),
};

/** netip.ParseAddr as the `ip` library uses it: no zones, no IPv4-mapped IPv6, no leading zeros. */
function parseStrictIp(raw: string): IpAddress {
  if (raw.includes('%')) throw new CelRuntimeError(`IP address ${goQuote(raw)} with zone value is not allowed`);
  const v4 = parseIPv4(raw);
  const v6 = v4 === undefined && raw.includes(':') ? parseIPv6(raw) : undefined;
  const addr: IpAddress | undefined =
    v4 !== undefined ? { family: 4, bytes: v4 } : v6 !== undefined ? { family: 6, bytes: v6 } : undefined;
  if (addr === undefined) {
    throw new CelRuntimeError(
      `IP Address ${goQuote(raw)} parse error during conversion from string: ParseAddr(${goQuote(raw)}): unable to parse IP`,
    );
  }
  if (
    addr.family === 6 &&
    addr.bytes.slice(0, 10).every((b) => b === 0) &&
    addr.bytes[10] === 0xff &&
    addr.bytes[11] === 0xff
  ) {
    throw new CelRuntimeError(`IPv4-mapped IPv6 address ${goQuote(raw)} is not allowed`);
  }
  return addr;
}

function parseStrictCidr(raw: string): CelCidr {
  const parsed = parseCIDR(raw);
  if (parsed === undefined) {
    const reason = raw.includes('/') ? 'bad prefix' : "no '/'";
    throw new CelRuntimeError(
      `network address parse error during conversion from string: netip.ParsePrefix(${goQuote(raw)}): ${reason}`,
    );
  }
  const mapped =
    parsed.ip.family === 6 &&
    parsed.ip.bytes[10] === 0xff &&
    parsed.ip.bytes[11] === 0xff &&
    parsed.ip.bytes.slice(0, 10).every((b) => b === 0);
  if (mapped) throw new CelRuntimeError(`IPv4-mapped IPv6 address ${goQuote(raw)} is not allowed`);
  return new CelCidr(parsed.ip, parsed.prefix);
}

function inRange(addr: IpAddress, cidr: string): boolean {
  const c = parseCIDR(cidr)!;
  return cidrContains(c, addr);
}

function isGlobalUnicast(a: IpAddress): boolean {
  if (a.bytes.every((b) => b === 0)) return false;
  if (a.family === 4) {
    if (a.bytes.every((b) => b === 255)) return false;
    return !inRange(a, '127.0.0.0/8') && !inRange(a, '224.0.0.0/4') && !inRange(a, '169.254.0.0/16');
  }
  return !inRange(a, '::1/128') && !inRange(a, 'ff00::/8') && !inRange(a, 'fe80::/10');
}

/** `'%s and %d'.format([a, b])` (ext strings): the common verbs. */
function formatString(template: string, args: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%(\.\d+)?([sdfeoxXb%])/g, (_m, precision: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) throw new CelRuntimeError(`index ${i} out of range`);
    const arg = args[i++];
    const digits = precision === undefined ? undefined : Number(precision.slice(1));
    switch (verb) {
      case 's':
        return stringOf(arg);
      case 'd':
        return String(arg);
      case 'f':
        return Number(arg).toFixed(digits ?? 6);
      case 'e':
        return Number(arg)
          .toExponential(digits ?? 6)
          .replace(/e([+-])(\d)$/, 'e$10$2');
      case 'o':
        return BigInt(arg as bigint).toString(8);
      case 'b':
        return typeof arg === 'boolean' ? String(arg) : BigInt(arg as bigint).toString(2);
      case 'x':
      case 'X': {
        const hex =
          typeof arg === 'string'
            ? [...new TextEncoder().encode(arg)].map((b) => b.toString(16).padStart(2, '0')).join('')
            : BigInt(arg as bigint).toString(16);
        return verb === 'X' ? hex.toUpperCase() : hex;
      }
      default:
        return '';
    }
  });
}

function stringOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(stringOf).join(', ')}]`;
  if (v instanceof Date) return v.toISOString().replace('.000Z', 'Z');
  return String(v);
}

/**
 * Go's `strings.Replace`: at most `n` (all when negative) replacements, an empty `from` matching
 * before every rune and at the end. The result's size is charged before it is built, so a rule
 * cannot allocate more than its cost limit pays for.
 */
function goReplace(s: string, from: string, to: string, n: number): string {
  const positions: number[] = [];
  if (from === '') {
    let i = 0;
    for (const rune of s) {
      if (n >= 0 && positions.length >= n) break;
      positions.push(i);
      i += rune.length;
    }
    if (n < 0 || positions.length < n) positions.push(s.length);
  } else {
    for (let i = s.indexOf(from); i !== -1 && (n < 0 || positions.length < n); i = s.indexOf(from, i + from.length)) {
      positions.push(i);
    }
  }
  if (positions.length === 0) return s;
  chargeBuiltSize(s.length + positions.length * (to.length - from.length));
  let out = '';
  let last = 0;
  for (const at of positions) {
    out += s.slice(last, at) + to;
    last = at + from.length;
  }
  return out + s.slice(last);
}

/**
 * Cost of one step of a newly compiled regular expression: compiling a step takes about as long
 * as evaluating fifty expression nodes, so a pattern that compiles for long stops at the limits.
 */
const REGEX_COMPILE_COST_PER_STEP = 50;

/** The element index of a code point offset (CEL strings index by code point). */
function codePoints(s: string): string[] {
  return [...s];
}

/**
 * Registers the Kubernetes libraries into a cel-js environment (which already has standard CEL,
 * optional types, `cel.bind` and most of ext strings).
 */
export function registerKubernetesLibraries(env: Environment): void {
  // lists (Kubernetes `lists` library).
  env.registerFunction('list<dyn>.isSorted(): bool', (list: unknown[]) => {
    for (let i = 1; i < list.length; i++) if (celCompare(list[i - 1], list[i]) > 0) return false;
    return true;
  });
  env.registerFunction('list<dyn>.sum(): dyn', (list: unknown[]) => {
    if (list.length === 0) return 0n;
    return list.reduce((acc: unknown, x: unknown) => {
      if (typeof acc === 'bigint' && typeof x === 'bigint') return acc + x;
      if (typeof acc === 'number' && typeof x === 'number') return acc + x;
      throw new CelRuntimeError('no such overload');
    });
  });
  for (const [name, want] of [
    ['min', -1],
    ['max', 1],
  ] as const) {
    env.registerFunction(`list<dyn>.${name}(): dyn`, (list: unknown[]) => {
      if (list.length === 0) throw new CelRuntimeError(`${name} called on empty list`);
      return list.reduce((best, x) => (celCompare(x, best) === want ? x : best));
    });
  }
  env.registerFunction('list<dyn>.indexOf(dyn): int', (list: unknown[], item: unknown) =>
    BigInt(list.findIndex((x) => celEquals(x, item))),
  );
  env.registerFunction('list<dyn>.lastIndexOf(dyn): int', (list: unknown[], item: unknown) => {
    for (let i = list.length - 1; i >= 0; i--) if (celEquals(list[i], item)) return BigInt(i);
    return -1n;
  });

  // regex (Kubernetes `regex` library): find and findAll with RE2 semantics.
  // Cost as cel-go charges matching (the string's traversal times a quarter of the pattern's
  // length), plus the compiling of a pattern not seen before, by its program's size: a pattern from
  // the object may be new on every call, and a counted repetition compiles to as many steps.
  const regex = (input: string, pattern: string): GoRegex => {
    chargeUnits(Math.ceil((1 + input.length) * 0.1) * Math.ceil(pattern.length * 0.25));
    chargeUnits(uncompiledProgramSize(pattern) * REGEX_COMPILE_COST_PER_STEP);
    try {
      return compileGoRegex(pattern);
    } catch (err) {
      throw new CelRuntimeError(`Illegal regex: ${(err as Error).message}`);
    }
  };
  env.registerFunction('string.find(string): string', (s: string, p: string) => regex(s, p).find(s));
  env.registerFunction('string.findAll(string): list<string>', (s: string, p: string) => regex(s, p).findAll(s));
  env.registerFunction('string.findAll(string, int): list<string>', (s: string, p: string, n: bigint) =>
    regex(s, p).findAll(s, n < 0n ? -1 : Number(n)),
  );
  env.registerFunction('string.k8sMatches(string): bool', (s: string, p: string) => regex(s, p).test(s));
  env.registerFunction('k8sMatches(string, string): bool', (s: string, p: string) => regex(s, p).test(s));

  // ext strings v2: what cel-js does not have already.
  env.registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
    const cps = codePoints(s);
    if (i < 0n || i > BigInt(cps.length)) throw new CelRuntimeError(`index out of range: ${i}`);
    return cps[Number(i)] ?? '';
  });
  env.registerFunction('string.replace(string, string): string', (s: string, from: string, to: string) =>
    goReplace(s, from, to, -1),
  );
  env.registerFunction(
    'string.replace(string, string, int): string',
    (s: string, from: string, to: string, n: bigint) => goReplace(s, from, to, n < 0n ? -1 : Number(n)),
  );
  env.registerFunction('string.format(list<dyn>): string', (s: string, args: unknown[]) => formatString(s, args));
  env.registerType('StringsNamespace', StringsNamespace);
  env.registerConstant('strings', 'StringsNamespace', new StringsNamespace());
  env.registerFunction('StringsNamespace.quote(string): string', (_: unknown, s: string) => goQuote(s));

  // sets (cel-go ext sets).
  env.registerType('SetsNamespace', SetsNamespace);
  env.registerConstant('sets', 'SetsNamespace', new SetsNamespace());
  const contains = (a: unknown[], b: unknown[]): boolean => b.every((x) => a.some((y) => celEquals(x, y)));
  env.registerFunction('SetsNamespace.contains(list<dyn>, list<dyn>): bool', (_: unknown, a: unknown[], b: unknown[]) =>
    contains(a, b),
  );
  env.registerFunction(
    'SetsNamespace.equivalent(list<dyn>, list<dyn>): bool',
    (_: unknown, a: unknown[], b: unknown[]) => contains(a, b) && contains(b, a),
  );
  env.registerFunction(
    'SetsNamespace.intersects(list<dyn>, list<dyn>): bool',
    (_: unknown, a: unknown[], b: unknown[]) => a.some((x) => b.some((y) => celEquals(x, y))),
  );

  // url.
  env.registerType('kubernetes.URL', GoUrl);
  const toUrl = (s: string): GoUrl => {
    try {
      return GoUrl.parse(s);
    } catch (err) {
      throw new CelRuntimeError(`URL parse error during conversion from string: ${(err as Error).message}`);
    }
  };
  env.registerFunction('url(string): kubernetes.URL', toUrl);
  env.registerFunction('isURL(string): bool', (s: string) => {
    try {
      GoUrl.parse(s);
      return true;
    } catch {
      return false;
    }
  });
  env.registerFunction('kubernetes.URL.getScheme(): string', (u: GoUrl) => u.scheme);
  env.registerFunction('kubernetes.URL.getHost(): string', (u: GoUrl) => u.host);
  env.registerFunction('kubernetes.URL.getHostname(): string', (u: GoUrl) => u.hostname());
  env.registerFunction('kubernetes.URL.getPort(): string', (u: GoUrl) => u.port());
  env.registerFunction('kubernetes.URL.getEscapedPath(): string', (u: GoUrl) => u.path);
  env.registerFunction('kubernetes.URL.getQuery(): map<string, list<string>>', (u: GoUrl) => u.query());

  // quantity.
  env.registerType('kubernetes.Quantity', Quantity);
  const toQuantity = (s: string): Quantity => {
    try {
      return Quantity.parse(s);
    } catch (err) {
      throw new CelRuntimeError((err as Error).message);
    }
  };
  env.registerFunction('quantity(string): kubernetes.Quantity', toQuantity);
  env.registerFunction('isQuantity(string): bool', (s: string) => {
    try {
      Quantity.parse(s);
      return true;
    } catch {
      return false;
    }
  });
  env.registerFunction('kubernetes.Quantity.sign(): int', (q: Quantity) => q.sign());
  env.registerFunction(
    'kubernetes.Quantity.isGreaterThan(kubernetes.Quantity): bool',
    (a: Quantity, b: Quantity) => a.compare(b) === 1,
  );
  env.registerFunction(
    'kubernetes.Quantity.isLessThan(kubernetes.Quantity): bool',
    (a: Quantity, b: Quantity) => a.compare(b) === -1,
  );
  env.registerFunction('kubernetes.Quantity.compareTo(kubernetes.Quantity): int', (a: Quantity, b: Quantity) =>
    BigInt(a.compare(b)),
  );
  env.registerFunction('kubernetes.Quantity.asApproximateFloat(): double', (q: Quantity) => q.asApproximateFloat());
  env.registerFunction('kubernetes.Quantity.isInteger(): bool', (q: Quantity) => q.asInt64() !== undefined);
  env.registerFunction('kubernetes.Quantity.asInteger(): int', (q: Quantity) => {
    const v = q.asInt64();
    if (v === undefined) throw new CelRuntimeError('cannot convert value to integer');
    return v;
  });
  env.registerFunction(
    'kubernetes.Quantity.add(kubernetes.Quantity): kubernetes.Quantity',
    (a: Quantity, b: Quantity) => a.add(b),
  );
  env.registerFunction('kubernetes.Quantity.add(int): kubernetes.Quantity', (a: Quantity, b: bigint) =>
    a.add(new Quantity(b, 1n)),
  );
  env.registerFunction(
    'kubernetes.Quantity.sub(kubernetes.Quantity): kubernetes.Quantity',
    (a: Quantity, b: Quantity) => a.add(b.negate()),
  );
  env.registerFunction('kubernetes.Quantity.sub(int): kubernetes.Quantity', (a: Quantity, b: bigint) =>
    a.add(new Quantity(-b, 1n)),
  );

  // ip and cidr.
  env.registerType('net.IP', CelIp);
  env.registerType('net.CIDR', CelCidr);
  env.registerType('IpNamespace', IpNamespace);
  env.registerFunction('ip(string): net.IP', (s: string) => new CelIp(parseStrictIp(s)));
  env.registerFunction('isIP(string): bool', (s: string) => {
    try {
      parseStrictIp(s);
      return true;
    } catch {
      return false;
    }
  });
  env.registerFunction('string(net.IP): string', (ip: CelIp) => formatIP(ip.addr));
  env.registerFunction('net.IP.family(): int', (ip: CelIp) => BigInt(ip.addr.family));
  env.registerFunction('net.IP.isUnspecified(): bool', (ip: CelIp) => ip.addr.bytes.every((b) => b === 0));
  env.registerFunction('net.IP.isLoopback(): bool', (ip: CelIp) =>
    inRange(ip.addr, ip.addr.family === 4 ? '127.0.0.0/8' : '::1/128'),
  );
  env.registerFunction('net.IP.isLinkLocalMulticast(): bool', (ip: CelIp) =>
    inRange(ip.addr, ip.addr.family === 4 ? '224.0.0.0/24' : 'ff02::/16'),
  );
  env.registerFunction('net.IP.isLinkLocalUnicast(): bool', (ip: CelIp) =>
    inRange(ip.addr, ip.addr.family === 4 ? '169.254.0.0/16' : 'fe80::/10'),
  );
  env.registerFunction('net.IP.isGlobalUnicast(): bool', (ip: CelIp) => isGlobalUnicast(ip.addr));
  env.registerConstant('ip', 'IpNamespace', new IpNamespace());
  env.registerFunction(
    'IpNamespace.isCanonical(string): bool',
    (_: unknown, s: string) => formatIP(parseStrictIp(s)) === s,
  );
  env.registerFunction('cidr(string): net.CIDR', (s: string) => parseStrictCidr(s));
  env.registerFunction('isCIDR(string): bool', (s: string) => {
    try {
      parseStrictCidr(s);
      return true;
    } catch {
      return false;
    }
  });
  env.registerFunction('string(net.CIDR): string', (c: CelCidr) => `${formatIP(c.addr)}/${c.prefix}`);
  env.registerFunction('net.CIDR.containsIP(string): bool', (c: CelCidr, s: string) =>
    cidrContains({ ip: c.addr, prefix: c.prefix }, parseStrictIp(s)),
  );
  env.registerFunction('net.CIDR.containsIP(net.IP): bool', (c: CelCidr, ip: CelIp) =>
    cidrContains({ ip: c.addr, prefix: c.prefix }, ip.addr),
  );
  const containsCidr = (c: CelCidr, o: CelCidr): boolean =>
    o.prefix >= c.prefix && cidrContains({ ip: c.addr, prefix: c.prefix }, o.addr);
  env.registerFunction('net.CIDR.containsCIDR(string): bool', (c: CelCidr, s: string) =>
    containsCidr(c, parseStrictCidr(s)),
  );
  env.registerFunction('net.CIDR.containsCIDR(net.CIDR): bool', (c: CelCidr, o: CelCidr) => containsCidr(c, o));
  env.registerFunction('net.CIDR.ip(): net.IP', (c: CelCidr) => new CelIp(c.addr));
  env.registerFunction('net.CIDR.prefixLength(): int', (c: CelCidr) => BigInt(c.prefix));
  env.registerFunction(
    'net.CIDR.masked(): net.CIDR',
    (c: CelCidr) => new CelCidr(cidrNetwork({ ip: c.addr, prefix: c.prefix }), c.prefix),
  );

  // format.
  env.registerType('kubernetes.NamedFormat', NamedFormat);
  env.registerType('FormatNamespace', FormatNamespace);
  env.registerConstant('format', 'FormatNamespace', new FormatNamespace());
  for (const [name, format] of Object.entries(FORMATS)) {
    env.registerFunction(`FormatNamespace.${name}(): kubernetes.NamedFormat`, () => format);
  }
  env.registerFunction('FormatNamespace.named(string): optional<kubernetes.NamedFormat>', (_: unknown, name: string) =>
    Object.hasOwn(FORMATS, name) ? Optional.of(FORMATS[name]) : Optional.none(),
  );
  env.registerFunction(
    'kubernetes.NamedFormat.validate(string): optional<list<string>>',
    (f: NamedFormat, s: string) => {
      const problems = f.check(s);
      return problems.length === 0 ? Optional.none() : Optional.of(problems);
    },
  );

  // semver (1.33).
  env.registerType('kubernetes.Semver', Semver);
  const toSemver = (s: string, normalize: boolean): Semver => {
    try {
      return Semver.parse(s, normalize);
    } catch (err) {
      throw new CelRuntimeError((err as Error).message);
    }
  };
  env.registerFunction('semver(string): kubernetes.Semver', (s: string) => toSemver(s, false));
  env.registerFunction('semver(string, bool): kubernetes.Semver', (s: string, n: boolean) => toSemver(s, n));
  const isSemver = (s: string, n: boolean): boolean => {
    try {
      Semver.parse(s, n);
      return true;
    } catch {
      return false;
    }
  };
  env.registerFunction('isSemver(string): bool', (s: string) => isSemver(s, false));
  env.registerFunction('isSemver(string, bool): bool', (s: string, n: boolean) => isSemver(s, n));
  env.registerFunction(
    'kubernetes.Semver.isGreaterThan(kubernetes.Semver): bool',
    (a: Semver, b: Semver) => a.compare(b) === 1,
  );
  env.registerFunction(
    'kubernetes.Semver.isLessThan(kubernetes.Semver): bool',
    (a: Semver, b: Semver) => a.compare(b) === -1,
  );
  env.registerFunction('kubernetes.Semver.compareTo(kubernetes.Semver): int', (a: Semver, b: Semver) =>
    BigInt(a.compare(b)),
  );
  env.registerFunction('kubernetes.Semver.major(): int', (v: Semver) => v.major);
  env.registerFunction('kubernetes.Semver.minor(): int', (v: Semver) => v.minor);
  env.registerFunction('kubernetes.Semver.patch(): int', (v: Semver) => v.patch);

  // Identity conversions cel-go has and cel-js lacks (for date-time fields, already timestamps).
  env.registerFunction('timestamp(google.protobuf.Timestamp): google.protobuf.Timestamp', (t: Date) => t);
}
