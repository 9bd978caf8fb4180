/**
 * Partial decoding: the bytes of `metadata.managedFields` are cut out of a watch line or a list
 * body before `JSON.parse`, for readers that would drop them anyway (informers keep no
 * managedFields unless asked to).
 *
 * Why: in a typical object managedFields holds most of the nested objects (every field a manager
 * owns is an object: `{"f:data":{"f:key":{}}}`). Parsing them builds objects that die at once and
 * make `JSON.parse` and the garbage collector the largest costs of an informer's sync.
 * Measured on 100k ConfigMaps of ~1 KB (a third of each is managedFields): see `bench/informer.ts`.
 *
 * Safety: the cut is made only where the line is certainly `{..."object":{..."metadata":{...
 * "managedFields":VALUE...}...}...}` (keys matched byte for byte outside strings, at the right
 * depth), and the cut VALUE is checked to be one well-formed JSON value. Everything left is
 * checked by `JSON.parse`, so a malformed line is still an error; whenever the scan is not
 * sure (an escaped key, a truncated line, whitespace the scan does not expect), the line is
 * decoded whole and the reader strips managedFields from the parsed object as before.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

const OBJECT = Buffer.from('object');
const METADATA = Buffer.from('metadata');
const MANAGED_FIELDS = Buffer.from('managedFields');

/** Not found, or the scan is unsure: decode the bytes whole. */
const NONE = -1;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(b: Uint8Array, i: number, end: number): number {
  while (i < end && isSpace(b[i])) i++;
  return i;
}

/** From the opening quote at `i`: the index after the closing quote, or NONE (no checks inside). */
function skipString(b: Uint8Array, i: number, end: number): number {
  for (i++; i < end; i++) {
    const c = b[i];
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) i++;
  }
  return NONE;
}

/**
 * From the first byte of a value at `i`: the index after it, or NONE. Not a validator: a value
 * skipped so stays in the text and `JSON.parse` checks it.
 */
function skipLoose(b: Uint8Array, i: number, end: number): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i, end);
  if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
    let depth = 0;
    while (i < end) {
      const d = b[i];
      if (d === QUOTE) {
        i = skipString(b, i, end);
        if (i === NONE) return NONE;
        continue;
      }
      if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth++;
      else if (d === CLOSE_OBJECT || d === CLOSE_ARRAY) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return NONE;
  }
  // A number or a literal: up to the next delimiter.
  while (i < end) {
    const d = b[i];
    if (d === COMMA || d === CLOSE_OBJECT || d === CLOSE_ARRAY || isSpace(d)) return i;
    i++;
  }
  return NONE;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** A string checked as `JSON.parse` checks it (escapes, no control characters); NONE if bad. */
function checkString(b: Uint8Array, i: number, end: number): number {
  for (i++; i < end; i++) {
    const c = b[i];
    if (c === QUOTE) return i + 1;
    if (c < 0x20) return NONE;
    if (c === BACKSLASH) {
      const e = b[++i];
      if (e === 0x75) {
        if (i + 4 >= end || !isHex(b[i + 1]) || !isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4])) return NONE;
        i += 4;
      } else if (
        e !== QUOTE &&
        e !== BACKSLASH &&
        e !== 0x2f &&
        e !== 0x62 &&
        e !== 0x66 &&
        e !== 0x6e &&
        e !== 0x72 &&
        e !== 0x74
      ) {
        return NONE;
      }
    }
  }
  return NONE;
}

/** A number by JSON's grammar (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`); NONE if bad. */
function checkNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === 0x2d) i++;
  if (i >= end) return NONE;
  if (b[i] === 0x30) i++;
  else if (isDigit(b[i])) while (i < end && isDigit(b[i])) i++;
  else return NONE;
  if (i < end && b[i] === 0x2e) {
    i++;
    if (i >= end || !isDigit(b[i])) return NONE;
    while (i < end && isDigit(b[i])) i++;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    if (i >= end || !isDigit(b[i])) return NONE;
    while (i < end && isDigit(b[i])) i++;
  }
  return i;
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function checkLiteral(b: Uint8Array, i: number, end: number, word: Uint8Array): number {
  if (i + word.length > end) return NONE;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return NONE;
  return i + word.length;
}

/** Open containers of `checkValue` (reused: the cut runs once per object). */
let containers = new Uint8Array(64);

/**
 * From the first byte of a value at `i`: the index after it when the bytes are exactly one
 * well-formed JSON value, else NONE. Iterative, so any depth is fine.
 */
export function checkValue(b: Uint8Array, i: number, end: number): number {
  let depth = 0;
  for (;;) {
    // A value at i.
    i = skipSpace(b, i, end);
    if (i >= end) return NONE;
    const c = b[i];
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      i = skipSpace(b, i + 1, end);
      if (i >= end) return NONE;
      if (b[i] === (c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) {
        i++;
      } else {
        if (depth === containers.length) {
          const grown = new Uint8Array(depth * 2);
          grown.set(containers);
          containers = grown;
        }
        containers[depth++] = c;
        if (c === OPEN_OBJECT) {
          i = memberName(b, i, end);
          if (i === NONE) return NONE;
        }
        continue;
      }
    } else if (c === QUOTE) i = checkString(b, i, end);
    else if (c === 0x2d || isDigit(c)) i = checkNumber(b, i, end);
    else if (c === 0x74) i = checkLiteral(b, i, end, TRUE);
    else if (c === 0x66) i = checkLiteral(b, i, end, FALSE);
    else if (c === 0x6e) i = checkLiteral(b, i, end, NULL);
    else return NONE;
    if (i === NONE) return NONE;
    // After a value: close containers, or go on to the next element.
    for (;;) {
      if (depth === 0) return i;
      i = skipSpace(b, i, end);
      if (i >= end) return NONE;
      const open = containers[depth - 1];
      const d = b[i];
      if (d === COMMA) {
        i++;
        if (open === OPEN_OBJECT) {
          i = memberName(b, skipSpace(b, i, end), end);
          if (i === NONE) return NONE;
        }
        break;
      }
      if (d !== (open === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) return NONE;
      depth--;
      i++;
    }
  }
}

/** `"name" :` at `i` (checked); the index after the colon, or NONE. */
function memberName(b: Uint8Array, i: number, end: number): number {
  if (i >= end || b[i] !== QUOTE) return NONE;
  i = checkString(b, i, end);
  if (i === NONE) return NONE;
  i = skipSpace(b, i, end);
  if (i >= end || b[i] !== COLON) return NONE;
  return i + 1;
}

function sameBytes(b: Uint8Array, at: number, word: Uint8Array): boolean {
  for (let k = 0; k < word.length; k++) if (b[at + k] !== word[k]) return false;
  return true;
}

/** Where `findMember` found a member: its name's quote and the value's first byte. */
interface Member {
  /** The first byte of the member: its name's opening quote. */
  start: number;
  /** The comma before the member, or NONE when it is the first one. */
  comma: number;
  /** The first byte of its value. */
  value: number;
}

const found: Member = { start: 0, comma: NONE, value: 0 };

/**
 * In the object whose `{` is at `i`, the member called `name` (raw bytes, no escapes): fills
 * `found` and returns true, or false when the object has no such member or the scan is unsure.
 */
function findMember(b: Uint8Array, i: number, end: number, name: Uint8Array): boolean {
  let comma = NONE;
  i = skipSpace(b, i + 1, end);
  while (i < end && b[i] === QUOTE) {
    const start = i;
    const after = skipString(b, i, end);
    if (after === NONE) return false;
    let v = skipSpace(b, after, end);
    if (v >= end || b[v] !== COLON) return false;
    v = skipSpace(b, v + 1, end);
    if (v >= end) return false;
    if (after - start - 2 === name.length && sameBytes(b, start + 1, name)) {
      found.start = start;
      found.comma = comma;
      found.value = v;
      return true;
    }
    const next = skipLoose(b, v, end);
    if (next === NONE) return false;
    i = skipSpace(b, next, end);
    if (i >= end || b[i] !== COMMA) return false;
    comma = i;
    i = skipSpace(b, i + 1, end);
  }
  return false;
}

/**
 * The byte range to cut for the `managedFields` member of the metadata object whose `{` is at
 * `meta`: `[from, to)`, its separating comma included, so what is left is still valid JSON.
 * Returns false when there is none or the scan is unsure.
 */
function managedFieldsCut(b: Uint8Array, meta: number, end: number, cut: { from: number; to: number }): boolean {
  if (b[meta] !== OPEN_OBJECT || !findMember(b, meta, end, MANAGED_FIELDS)) return false;
  const { start, comma, value } = found;
  const after = checkValue(b, value, end);
  if (after === NONE) return false;
  const next = skipSpace(b, after, end);
  if (next >= end) return false;
  if (b[next] === COMMA) {
    // `"managedFields":[...],"uid":..`: cut up to the next member.
    cut.from = start;
    cut.to = skipSpace(b, next + 1, end);
    return true;
  }
  if (b[next] !== CLOSE_OBJECT) return false;
  // The last member: cut from the comma before it, or the member alone if it is the only one.
  cut.from = comma === NONE ? start : comma;
  cut.to = next;
  return true;
}

const cut = { from: 0, to: 0 };
/** Reused for the bytes left once the cut is made (grown to the longest line seen). */
let scratch = Buffer.allocUnsafe(64 * 1024);

/** `b[start, end)` without `[from, to)`, decoded as UTF-8. */
function decodeWithout(b: Buffer, start: number, end: number, from: number, to: number): string {
  const length = end - start - (to - from);
  if (scratch.length < length) scratch = Buffer.allocUnsafe(Math.max(length, scratch.length * 2));
  b.copy(scratch, 0, start, from);
  b.copy(scratch, from - start, to, end);
  return scratch.toString('utf8', 0, length);
}

/**
 * The watch line in `b[start, end)` decoded as UTF-8, without its object's
 * `metadata.managedFields` when the line is `{..."object":{..."metadata":{..}}}` and the cut is
 * certain (see the module's remarks); otherwise the whole line.
 *
 * @example
 * ```ts
 * const line = Buffer.from('{"type":"ADDED","object":{"metadata":{"name":"a","managedFields":[{"manager":"m"}]}}}');
 * watchLineWithoutManagedFields(line, 0, line.length); // '{"type":"ADDED","object":{"metadata":{"name":"a"}}}'
 * ```
 */
export function watchLineWithoutManagedFields(b: Buffer, start: number, end: number): string {
  const root = skipSpace(b, start, end);
  if (root < end && b[root] === OPEN_OBJECT && findMember(b, root, end, OBJECT)) {
    const object = found.value;
    if (
      b[object] === OPEN_OBJECT &&
      findMember(b, object, end, METADATA) &&
      managedFieldsCut(b, found.value, end, cut)
    ) {
      return decodeWithout(b, start, end, cut.from, cut.to);
    }
  }
  return b.toString('utf8', start, end);
}
