/**
 * How deep a request body may nest. Go's JSON scanner refuses a document nested more than 10000
 * levels (`invalid character '[' exceeded max depth`, `encoding/json` `maxNestingDepth`), and
 * go-yaml refuses more than 10000 flow levels or indents (`yaml: exceeded max depth of 10000`).
 * JavaScript's stack is smaller than Go's growable one: `JSON.stringify` alone gives out near
 * 4000 levels, js-yaml's reader near 1500, and the write path walks objects recursively. So the
 * emulator refuses bodies nested more than {@link MAX_NESTING_DEPTH} levels, with the API
 * server's texts, before anything recursive sees them: a deep body is a 400, never a 500 from a
 * stack overflow.
 */

/** The API server's limit (Go's `encoding/json` and go-yaml). */
export const API_SERVER_MAX_DEPTH = 10_000;

/**
 * The emulator's limit: bodies nested deeper are refused. Lower than the API server's 10000
 * because JavaScript's stack is; far above what any Kubernetes object needs.
 */
export const MAX_NESTING_DEPTH = 1000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** Where a JSON text first nests past a limit: the opening character and the depth it opened. */
export interface DepthViolation {
  /** `{` or `[`. */
  readonly char: string;
  /** The byte offset of that character. */
  readonly offset: number;
  /** True when the text also nests past the API server's 10000 levels. */
  readonly pastApiServer: boolean;
}

/**
 * Scans JSON text (bytes) for nesting deeper than `limit`, as Go's scanner counts it: every `{`
 * and `[` outside strings opens a level. Returns the first opening past the limit, or undefined.
 * One pass, no allocation: a 3 MiB body costs a few milliseconds.
 *
 * @example
 * ```ts
 * jsonDepthViolation(Buffer.from('[[1]]'), 1); // { char: '[', offset: 1, pastApiServer: false }
 * ```
 */
export function jsonDepthViolation(bytes: Uint8Array, limit = MAX_NESTING_DEPTH): DepthViolation | undefined {
  // Cheap exit: fewer openings than the limit cannot nest past it.
  let openings = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === OPEN_BRACE || c === OPEN_BRACKET) openings++;
  }
  if (openings <= limit) return undefined;
  let depth = 0;
  let maxDepth = 0;
  let first: { char: string; offset: number } | undefined;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > maxDepth) maxDepth = depth;
      if (depth > limit && first === undefined) first = { char: String.fromCharCode(c), offset: i };
      // Past the API server's limit too: nothing more to learn.
      if (first !== undefined && depth > API_SERVER_MAX_DEPTH) break;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  if (first === undefined) return undefined;
  return { ...first, pastApiServer: maxDepth > API_SERVER_MAX_DEPTH };
}

/** Go's `encoding/json` text for a document nested too deep (`scanner.go` `pushParseState`). */
export function goJsonDepthMessage(violation: DepthViolation): string {
  return `invalid character '${violation.char}' exceeded max depth`;
}
