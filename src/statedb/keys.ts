/**
 * Index keys: how string, number and composite keys become the strings the B+tree orders.
 *
 * The encoding preserves order, so `lowerBound` and ordered listing work on every key kind:
 * - a string key is itself (the common case costs nothing);
 * - a number is its IEEE-754 bits, sign-adjusted, as four 16-bit code units, so numeric order
 *   equals string order (JavaScript compares strings by UTF-16 code units);
 * - a composite key `[a, b, ...]` is each part escaped (NUL -> NUL 0x01) and terminated by
 *   NUL NUL, so `['a']` sorts before `['a', 'b']` and before `['ab']`.
 *
 * A non-unique index stores `escaped(key) + NUL NUL + primary` so many objects share a key and
 * an exact lookup is a prefix scan (cilium/statedb appends the primary key the same way).
 */
import { StateDBError } from './errors.js';

/** One part of a composite key. */
export type KeyPart = string | number;

/** What an index key function returns: a string, a number, or a composite of them. */
export type IndexKey = string | number | readonly KeyPart[];

const NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/**
 * Validates a table or index name: lower-case letter first, then lower-case letters, digits,
 * `-` or `_`, at most 63 characters (a DNS label, so names fit metrics and URLs).
 */
export function validateName(kind: 'table' | 'index', name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new StateDBError(
      'KLOOP_STATEDB_INVALID_NAME',
      `invalid ${kind} name ${JSON.stringify(name)}: want ^[a-z][a-z0-9_-]{0,62}$`,
    );
  }
}

const buf = new DataView(new ArrayBuffer(8));

/** Encodes a finite number into 4 UTF-16 code units whose string order is numeric order. */
export function encodeNumber(n: number): string {
  if (Number.isNaN(n)) throw new StateDBError('KLOOP_STATEDB_INVALID_KEY', 'NaN cannot be an index key');
  buf.setFloat64(0, n === 0 ? 0 : n); // -0 and 0 are one key
  let a = buf.getUint16(0);
  let b = buf.getUint16(2);
  let c = buf.getUint16(4);
  let d = buf.getUint16(6);
  if (a & 0x8000) {
    a = ~a & 0xffff;
    b = ~b & 0xffff;
    c = ~c & 0xffff;
    d = ~d & 0xffff;
  } else {
    a |= 0x8000;
  }
  return String.fromCharCode(a, b, c, d);
}

/** Escapes NUL so a terminator (NUL NUL) sorts below every continuation. */
function escapeNul(s: string): string {
  return s.indexOf('\0') < 0 ? s : s.replace(/\0/g, '\0\x01');
}

const TERM = '\0\0';

function encodePart(p: KeyPart): string {
  if (typeof p === 'string') return p;
  if (typeof p === 'number') return encodeNumber(p);
  throw new StateDBError('KLOOP_STATEDB_INVALID_KEY', `key part must be a string or number, got ${typeof p}`);
}

/** Encodes a key for a unique index (and the primary index). */
export function encodeKey(k: IndexKey): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number') return encodeNumber(k);
  if (!Array.isArray(k) || k.length === 0) {
    throw new StateDBError('KLOOP_STATEDB_INVALID_KEY', `index key must be a string, number or non-empty array`);
  }
  let out = '';
  for (const p of k as readonly KeyPart[]) out += escapeNul(encodePart(p)) + TERM;
  return out;
}

/**
 * The part of a non-unique index entry that all objects with key `k` share: the escaped key and
 * its terminator. The tree key of an entry is this plus the encoded primary key.
 */
export function encodeGroup(k: IndexKey): string {
  return escapeNul(encodeKey(k)) + TERM;
}

/**
 * Encodes a prefix query. A string prefix matches keys starting with it. A composite prefix
 * matches keys whose leading parts equal all but the last part given, and whose next part starts
 * with the last one: `['default', '']` is every key in namespace `default`.
 */
export function encodePrefix(p: IndexKey, unique: boolean): string {
  let enc: string;
  if (typeof p === 'string') enc = p;
  else if (typeof p === 'number') {
    throw new StateDBError('KLOOP_STATEDB_BAD_QUERY', 'a prefix query needs a string or composite key');
  } else {
    if (!Array.isArray(p) || p.length === 0) {
      throw new StateDBError('KLOOP_STATEDB_INVALID_KEY', 'a composite prefix needs at least one part');
    }
    enc = '';
    for (let i = 0; i < p.length - 1; i++) enc += escapeNul(encodePart(p[i])) + TERM;
    enc += escapeNul(encodePart(p[p.length - 1]));
    return unique ? enc : escapeNul(enc);
  }
  return unique ? enc : escapeNul(enc);
}

/** Encodes a lower bound: every key >= `k` in index order. */
export function encodeLowerBound(k: IndexKey, unique: boolean): string {
  const enc = encodeKey(k);
  return unique ? enc : escapeNul(enc);
}

/** Encodes an object revision for the revision and graveyard indexes. */
export function encodeRevision(rev: number): string {
  return encodeNumber(rev);
}
