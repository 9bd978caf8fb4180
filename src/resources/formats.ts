/**
 * The string formats a CRD schema's `format` is checked against (kube-openapi `strfmt`, as the
 * API server registers them; apiextensions `validation/formats.go` lists which are honoured). A
 * format not in the list is ignored, exactly as the server strips it before validating.
 */
import { parseCIDR, parseIP } from './net.js';
import { compileGoRegex } from './regex.js';

const HOSTNAME =
  /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9\-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID3 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID4 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const UUID5 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const CREDIT_CARD =
  /^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11})$/;
const HEXCOLOR = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const RGB_PART = String.raw`\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*`;
const RGBCOLOR = compileGoRegex(`^rgb\\(${RGB_PART},${RGB_PART},${RGB_PART}\\)$`);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;
const SSN = /^\d{3}[- ]?\d{2}[- ]?\d{4}$/;
const TIME_OF_DAY = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/;
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const ADDR_SPEC = new RegExp(
  `^(?:${ATEXT}(?:\\.${ATEXT})*|"(?:[^"\\\\\\r\\n]|\\\\.)*")@(?:${ATEXT}(?:\\.${ATEXT})*|\\[[^\\[\\]\\\\]*\\])$`,
);

const UTF8 = new TextEncoder();

function isHostname(s: string): boolean {
  if (!HOSTNAME.test(s) || s.length > 255) return false;
  return s.split('.').every((part) => UTF8.encode(part).length <= 63);
}

/** Go's `time.Parse("2006-01-02", s)`. */
export function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= days;
}

function isDateTime(s: string): boolean {
  if (s.length < 4) return false;
  const parts = s.toLowerCase().split('t');
  if (parts.length < 2 || !isDate(parts[0])) return false;
  const m = TIME_OF_DAY.exec(parts[1]);
  return m !== null && m[1] <= '23' && m[2] <= '59' && m[3] <= '59';
}

const GO_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's `time.ParseDuration` (`1h30m`, `-1.5s`, `300ms`), in nanoseconds; undefined if invalid. */
export function parseGoDuration(s: string): number | undefined {
  let rest = s;
  let sign = 1;
  if (rest[0] === '-' || rest[0] === '+') {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  while (rest !== '') {
    const m = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/.exec(rest);
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) return undefined;
    const unit = GO_UNITS[m[3]];
    if (unit === undefined) return undefined;
    total += Number(`${m[1] || '0'}.${m[2] ?? '0'}`) * unit;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

const ALT_UNITS: [string[], number][] = [
  [['ns', 'nano'], 1],
  [['us', 'µs', 'micro'], 1e3],
  [['ms', 'milli'], 1e6],
  [['s', 'sec'], 1e9],
  [['m', 'min'], 60e9],
  [['h', 'hr', 'hour'], 3600e9],
  [['d', 'day'], 86400e9],
  [['w', 'wk', 'week'], 604800e9],
];

/** strfmt's `ParseDuration`: Go durations, or `3 days`, `1 week` style phrases. */
function isDuration(s: string): boolean {
  if (parseGoDuration(s) !== undefined) return true;
  let ok = false;
  for (const m of s.matchAll(/((\d+)\s*([A-Za-zµ]+))/g)) {
    const unit = m[3].trim().toLowerCase();
    for (const [variants] of ALT_UNITS) {
      const last = variants.length - 1;
      variants.forEach((variant, i) => {
        if ((i === last && unit.startsWith(variant)) || variant === unit) ok = true;
      });
    }
  }
  return ok;
}

function isRequestURI(s: string): boolean {
  if (s === '' || /[\x00-\x1f\x7f]/.test(s)) return false;
  if (s === '*') return true;
  let rest = s;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(s);
  if (scheme) {
    rest = s.slice(scheme[0].length);
    if (!rest.startsWith('/')) return true;
  } else if (/^[^/]*:/.test(s) && s[0] !== '/') {
    return false;
  }
  if (!rest.startsWith('/')) return false;
  if (/%(?![0-9a-fA-F]{2})/.test(rest.split('?')[0])) return false;
  if (rest.startsWith('//') && scheme) {
    const authority = rest.slice(2).split(/[/?]/)[0];
    const host = authority.slice(authority.lastIndexOf('@') + 1);
    if (host.startsWith('[')) {
      const close = host.indexOf(']');
      if (close < 0) return false;
      const port = host.slice(close + 1);
      if (port !== '' && !/^:\d*$/.test(port)) return false;
    } else {
      const colon = host.lastIndexOf(':');
      if (colon >= 0 && !/^\d*$/.test(host.slice(colon + 1))) return false;
    }
  }
  return true;
}

function isEmail(s: string): boolean {
  const trimmed = s.trim();
  const named = /^[^<>]*<([^<>]+)>$/.exec(trimmed);
  return ADDR_SPEC.test(named ? named[1] : trimmed);
}

function isMAC(s: string): boolean {
  if (/^[0-9a-fA-F]{4}(\.[0-9a-fA-F]{4}){2,9}$/.test(s)) return [3, 4, 10].includes(s.split('.').length);
  const m = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(?:\1[0-9a-fA-F]{2})*$/.exec(s);
  return m !== null && [6, 8, 20].includes(s.split(m[1]).length);
}

function luhnCreditCard(s: string): boolean {
  const digits = s.replace(/[^0-9]+/g, '');
  if (!CREDIT_CARD.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let n = Number(digits[i]);
    if (double) {
      n *= 2;
      sum += n >= 10 ? (n % 10) + 1 : n;
    } else {
      sum += n;
    }
    double = !double;
  }
  return sum % 10 === 0;
}

function isISBN(s: string, version: 10 | 13): boolean {
  const clean = s.replace(/[\s-]+/g, '');
  if (version === 10) {
    if (!/^(?:[0-9]{9}X|[0-9]{10})$/.test(clean)) return false;
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += (i + 1) * Number(clean[i]);
    sum += clean[9] === 'X' ? 100 : 10 * Number(clean[9]);
    return sum % 11 === 0;
  }
  if (!/^[0-9]{13}$/.test(clean)) return false;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += (i % 2 === 0 ? 1 : 3) * Number(clean[i]);
  return Number(clean[12]) - ((10 - (sum % 10)) % 10) === 0;
}

const VALIDATORS: Record<string, (s: string) => boolean> = {
  bsonobjectid: (s) => /^[0-9a-fA-F]{24}$/.test(s),
  uri: isRequestURI,
  email: isEmail,
  hostname: isHostname,
  ipv4: (s) => parseIP(s, true) !== undefined && s.includes('.'),
  ipv6: (s) => parseIP(s) !== undefined && s.includes(':'),
  cidr: (s) => parseCIDR(s, true) !== undefined,
  mac: isMAC,
  uuid: (s) => UUID.test(s),
  uuid3: (s) => UUID3.test(s),
  uuid4: (s) => UUID4.test(s),
  uuid5: (s) => UUID5.test(s),
  isbn: (s) => isISBN(s, 10) || isISBN(s, 13),
  isbn10: (s) => isISBN(s, 10),
  isbn13: (s) => isISBN(s, 13),
  creditcard: luhnCreditCard,
  ssn: (s) => s.length === 11 && SSN.test(s),
  hexcolor: (s) => HEXCOLOR.test(s),
  rgbcolor: (s) => RGBCOLOR.test(s),
  byte: (s) => BASE64.test(s),
  password: () => true,
  date: isDate,
  duration: isDuration,
  datetime: isDateTime,
};

/**
 * The checker for a schema `format`, or undefined when the API server ignores that format
 * (`int32`, `k8s-short-name` before 1.34, anything unknown). Names are normalised as strfmt does
 * (dashes removed: `date-time` is `datetime`).
 */
export function formatChecker(format: string | undefined): ((value: string) => boolean) | undefined {
  if (format === undefined || format === '') return undefined;
  return VALIDATORS[format.replaceAll('-', '')];
}
