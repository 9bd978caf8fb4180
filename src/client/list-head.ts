/**
 * The continue token of a list page read from the first bytes of its body, before its items
 * arrive: the API server writes a list as `{"kind":..,"apiVersion":..,"metadata":{..,"continue":..},
 * "items":[...]}` (Go encodes `ListMeta` before `Items`), so the next page can be asked for while
 * this one is still read and parsed.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

const METADATA = Buffer.from('metadata');

/** The head is not complete yet: more bytes are needed. */
const MORE = -1;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(b: Uint8Array, i: number): number {
  while (i < b.length && isSpace(b[i])) i++;
  return i;
}

/** From an opening quote: the index after the closing one, or MORE. */
function skipString(b: Uint8Array, i: number): number {
  for (i++; i < b.length; i++) {
    if (b[i] === QUOTE) return i + 1;
    if (b[i] === BACKSLASH) i++;
  }
  return MORE;
}

/** From a value's first byte: the index after it, or MORE. Not a validator (JSON.parse is). */
function skipValue(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i);
  if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
    let depth = 0;
    while (i < b.length) {
      const d = b[i];
      if (d === QUOTE) {
        i = skipString(b, i);
        if (i === MORE) return MORE;
        continue;
      }
      if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth++;
      else if (d === CLOSE_OBJECT || d === CLOSE_ARRAY) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return MORE;
  }
  while (i < b.length) {
    const d = b[i];
    if (d === COMMA || d === CLOSE_OBJECT || d === CLOSE_ARRAY || isSpace(d)) return i;
    i++;
  }
  return MORE;
}

/** What `listContinueOf` found. */
export type ListHead =
  /** The head is not complete: call again with more bytes. */
  | { readonly state: 'more' }
  /** The list's metadata came before its items and was read: its continue token, if any. */
  | { readonly state: 'found'; readonly continue: string | undefined }
  /** The items come first, or the body is not a list as expected: wait for the whole page. */
  | { readonly state: 'unknown' };

const MORE_HEAD: ListHead = { state: 'more' };
const UNKNOWN: ListHead = { state: 'unknown' };

/**
 * Reads the `metadata.continue` of a list from the first bytes `head` of its JSON body, when its
 * top-level `metadata` member comes before any array (its items): `more` until the metadata is
 * complete, `unknown` when the body does not start so. Only the metadata's bytes are parsed.
 *
 * @example
 * ```ts
 * listContinueOf(Buffer.from('{"kind":"ConfigMapList","metadata":{"continue":"abc"},"items":[{"met'));
 * // { state: 'found', continue: 'abc' }
 * ```
 */
export function listContinueOf(head: Uint8Array): ListHead {
  let i = skipSpace(head, 0);
  if (i >= head.length) return MORE_HEAD;
  if (head[i] !== OPEN_OBJECT) return UNKNOWN;
  i = skipSpace(head, i + 1);
  while (i < head.length) {
    if (head[i] !== QUOTE) return UNKNOWN;
    const keyEnd = skipString(head, i);
    if (keyEnd === MORE) return MORE_HEAD;
    const isMetadata = keyEnd - i - 2 === METADATA.length && METADATA.every((byte, k) => head[i + 1 + k] === byte);
    let v = skipSpace(head, keyEnd);
    if (v >= head.length) return MORE_HEAD;
    if (head[v] !== COLON) return UNKNOWN;
    v = skipSpace(head, v + 1);
    if (v >= head.length) return MORE_HEAD;
    // The items (or anything else that is an array) before the metadata: nothing to gain.
    if (head[v] === OPEN_ARRAY) return UNKNOWN;
    const end = skipValue(head, v);
    if (end === MORE) return MORE_HEAD;
    if (isMetadata) {
      if (head[v] !== OPEN_OBJECT) return UNKNOWN;
      let meta: { continue?: unknown };
      try {
        meta = JSON.parse(Buffer.from(head.buffer, head.byteOffset + v, end - v).toString('utf8')) as typeof meta;
      } catch {
        return UNKNOWN;
      }
      const token = meta.continue;
      if (token !== undefined && typeof token !== 'string') return UNKNOWN;
      return { state: 'found', continue: token || undefined };
    }
    i = skipSpace(head, end);
    if (i >= head.length) return MORE_HEAD;
    if (head[i] !== COMMA) return UNKNOWN;
    i = skipSpace(head, i + 1);
  }
  return MORE_HEAD;
}
