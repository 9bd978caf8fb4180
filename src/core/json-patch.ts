/**
 * JSON Patch (RFC 6902) with JSON Pointers (RFC 6901): apply without mutating the input, and
 * create a patch from two documents (through the one diff walk of `diff.ts`).
 */
import { jsonPatchWalk } from './diff.js';
import { deepClone, deepEqual, isPlainObject } from './equal.js';
import { PatchError } from './errors.js';
import { setOwn } from './own.js';

/** One RFC 6902 operation. */
export type JsonPatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'move'; from: string; path: string }
  | { op: 'copy'; from: string; path: string }
  | { op: 'test'; path: string; value: unknown };

/**
 * Splits an RFC 6901 pointer into unescaped reference tokens (`''` is the whole document).
 * @throws PatchError (`KLOOP_INVALID_PATCH`) for a pointer that does not start with `/` or has a bad `~` escape.
 */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (pointer[0] !== '/')
    throw new PatchError('KLOOP_INVALID_PATCH', `invalid JSON pointer ${JSON.stringify(pointer)}: must start with '/'`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => {
      if (/~[^01]|~$/.test(t))
        throw new PatchError('KLOOP_INVALID_PATCH', `invalid JSON pointer ${JSON.stringify(pointer)}: bad '~' escape`);
      return t.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

const INDEX_RE = /^(0|[1-9][0-9]*)$/;

type Container = Record<string, unknown> | unknown[];

/**
 * Applies operations copy-on-write: the first write under a node clones it shallowly and marks
 * the clone as owned, so later operations may change it in place. Untouched subtrees are shared
 * with the input, which is never mutated.
 */
class Patcher {
  root: unknown;
  private readonly owned = new WeakSet<object>();

  constructor(doc: unknown) {
    this.root = doc;
  }

  private own(v: Container): Container {
    if (this.owned.has(v)) return v;
    const copy: Container = Array.isArray(v) ? v.slice() : { ...v };
    this.owned.add(copy);
    return copy;
  }

  get(tokens: readonly string[]): { found: boolean; value: unknown } {
    let cur: unknown = this.root;
    for (const t of tokens) {
      if (Array.isArray(cur)) {
        if (!INDEX_RE.test(t) || Number(t) >= cur.length) return { found: false, value: undefined };
        cur = cur[Number(t)];
      } else if (isPlainObject(cur)) {
        if (!Object.hasOwn(cur, t)) return { found: false, value: undefined };
        cur = cur[t];
      } else {
        return { found: false, value: undefined };
      }
    }
    return { found: true, value: cur };
  }

  /** The container that holds the last token of `tokens`, made writable along the way. */
  private parent(tokens: readonly string[], pointer: string): Container {
    if (typeof this.root !== 'object' || this.root === null) throw missing(pointer);
    let cur = this.own(this.root as Container);
    this.root = cur;
    for (let i = 0; i < tokens.length - 1; i++) {
      const t = tokens[i];
      let child: unknown;
      if (Array.isArray(cur)) {
        if (!INDEX_RE.test(t) || Number(t) >= cur.length) throw missing(pointer);
        child = cur[Number(t)];
        if (typeof child !== 'object' || child === null) throw missing(pointer);
        const owned = this.own(child as Container);
        cur[Number(t)] = owned;
        cur = owned;
      } else {
        if (!Object.hasOwn(cur, t)) throw missing(pointer);
        child = cur[t];
        if (typeof child !== 'object' || child === null) throw missing(pointer);
        const owned = this.own(child as Container);
        cur[t] = owned;
        cur = owned;
      }
    }
    return cur;
  }

  /**
   * `add` and `replace` (RFC 6902 4.1, 4.3): they differ only in what the target may be. `add`
   * inserts into an array (index up to its length, or `-`) and creates or overwrites a member;
   * `replace` needs the array element or member to exist and overwrites it.
   */
  put(op: 'add' | 'replace', tokens: readonly string[], pointer: string, value: unknown): void {
    if (tokens.length === 0) {
      this.root = value;
      return;
    }
    const parent = this.parent(tokens, pointer);
    const last = tokens[tokens.length - 1];
    if (Array.isArray(parent)) {
      const index = op === 'add' && last === '-' ? parent.length : INDEX_RE.test(last) ? Number(last) : -1;
      if (index < 0 || index > (op === 'add' ? parent.length : parent.length - 1)) {
        throw op === 'add'
          ? new PatchError('KLOOP_INVALID_PATCH', `add operation: index out of range at ${pointer}`)
          : missing(pointer);
      }
      if (op === 'add') parent.splice(index, 0, value);
      else parent[index] = value;
      return;
    }
    if (op === 'replace' && !Object.hasOwn(parent, last)) throw missing(pointer);
    setOwn(parent, last, value);
  }

  remove(tokens: readonly string[], pointer: string): unknown {
    if (tokens.length === 0)
      throw new PatchError('KLOOP_INVALID_PATCH', 'remove operation: cannot remove the whole document');
    const parent = this.parent(tokens, pointer);
    const last = tokens[tokens.length - 1];
    if (Array.isArray(parent)) {
      if (!INDEX_RE.test(last) || Number(last) >= parent.length) throw missing(pointer);
      return parent.splice(Number(last), 1)[0];
    }
    if (!Object.hasOwn(parent, last)) throw missing(pointer);
    const old = parent[last];
    delete parent[last];
    return old;
  }
}

/** Limits on applying a JSON patch, as the API server sets them on evanphx/json-patch. */
export interface JsonPatchOptions {
  /**
   * The most bytes `copy` operations may add in total, each counted as its value's JSON size
   * (`jsonpatch.AccumulatedCopySizeLimit`; the API server's `--json-patch-max-copy-bytes`,
   * 3 MiB). Past it the patch fails with a {@link PatchError} (`KLOOP_INVALID_PATCH`) whose
   * `copyLimit` is set and whose text is evanphx/json-patch's: `Unable to complete the copy, the
   * accumulated size increase of copy is N, exceeding the limit L`. Default: no limit.
   */
  readonly maxCopyBytes?: number;
}

/** evanphx/json-patch's error for copies past the limit, as a {@link PatchError} with `copyLimit`. */
function copyLimitError(accumulated: number, limit: number): PatchError {
  return new PatchError(
    'KLOOP_INVALID_PATCH',
    `Unable to complete the copy, the accumulated size increase of copy is ${accumulated}, exceeding the limit ${limit}`,
    { copyLimit: { accumulated, limit } },
  );
}

function missing(pointer: string): PatchError {
  return new PatchError('KLOOP_INVALID_PATCH', `path ${JSON.stringify(pointer)} does not exist in the document`);
}

function field(op: Record<string, unknown>, name: string, index: number): string {
  const v = op[name];
  if (typeof v !== 'string')
    throw new PatchError('KLOOP_INVALID_PATCH', `operation ${index}: "${name}" must be a string`);
  return v;
}

function opValue(op: Record<string, unknown>, index: number): unknown {
  if (!Object.hasOwn(op, 'value'))
    throw new PatchError('KLOOP_INVALID_PATCH', `operation ${index}: "value" is missing`);
  return op.value;
}

/**
 * Applies RFC 6902 operations in order and returns the new document. The input is never
 * mutated; subtrees no operation touches are shared with it (and with the operations' values).
 * A failed operation aborts the whole patch (the input is unchanged, nothing partial escapes).
 *
 * @throws PatchError `KLOOP_INVALID_PATCH` for malformed operations or missing paths,
 * `KLOOP_PATCH_TEST_FAILED` when a `test` operation does not hold, and
 * with `copyLimit` set past `options.maxCopyBytes`.
 * @example
 * ```ts
 * applyJsonPatch({ a: 1 }, [{ op: 'add', path: '/b', value: 2 }]); // { a: 1, b: 2 }
 * ```
 */
export function applyJsonPatch<T>(doc: T, ops: readonly JsonPatchOperation[], options: JsonPatchOptions = {}): T {
  if (!Array.isArray(ops)) throw new PatchError('KLOOP_INVALID_PATCH', 'a JSON patch must be an array of operations');
  const p = new Patcher(doc);
  const copyLimit = options.maxCopyBytes ?? 0;
  let copied = 0;
  ops.forEach((raw, i) => {
    if (!isPlainObject(raw)) throw new PatchError('KLOOP_INVALID_PATCH', `operation ${i} is not an object`);
    const op = raw as Record<string, unknown>;
    const path = field(op, 'path', i);
    const tokens = parseJsonPointer(path);
    switch (op.op) {
      case 'add':
        p.put('add', tokens, path, opValue(op, i));
        break;
      case 'remove':
        p.remove(tokens, path);
        break;
      case 'replace':
        p.put('replace', tokens, path, opValue(op, i));
        break;
      case 'move': {
        const from = field(op, 'from', i);
        if (path === from) {
          // A no-op, but RFC 6902 4.4 still requires the from location to exist.
          if (!p.get(tokens).found) throw missing(from);
          break;
        }
        if (path.startsWith(`${from}/`))
          throw new PatchError('KLOOP_INVALID_PATCH', `move operation: cannot move ${from} into its own child ${path}`);
        const value = p.remove(parseJsonPointer(from), from);
        p.put('add', tokens, path, value);
        break;
      }
      case 'copy': {
        const from = field(op, 'from', i);
        const got = p.get(parseJsonPointer(from));
        if (!got.found) throw missing(from);
        if (copyLimit > 0) {
          // Counted before the copy is made, so a patch of doubling copies stops at the limit.
          copied += jsonSize(got.value);
          if (copied > copyLimit) throw copyLimitError(copied, copyLimit);
        }
        // A clone, so a later in-place write through one copy cannot show through the other.
        p.put('add', tokens, path, deepClone(got.value));
        break;
      }
      case 'test': {
        const want = opValue(op, i);
        const got = p.get(tokens);
        if (!got.found || !deepEqual(got.value, want)) {
          throw new PatchError(
            'KLOOP_PATCH_TEST_FAILED',
            `test operation failed at ${JSON.stringify(path)}: value differs`,
          );
        }
        break;
      }
      default:
        throw new PatchError('KLOOP_INVALID_PATCH', `operation ${i}: unknown op ${JSON.stringify(op.op)}`);
    }
  });
  return p.root as T;
}

/** The bytes of a value's JSON text (`undefined`, which JSON cannot hold, as `null`). */
function jsonSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

/**
 * Computes operations that turn `from` into `to`: `remove`/`add` for missing and new members,
 * recursion into objects and into arrays index by index (trailing elements added or removed),
 * `replace` for everything else. Returns `[]` when the documents are equal.
 *
 * @example
 * ```ts
 * createJsonPatch({ a: 1, b: [1] }, { a: 2, b: [1, 2] });
 * // [{ op: 'replace', path: '/a', value: 2 }, { op: 'add', path: '/b/1', value: 2 }]
 * ```
 */
export function createJsonPatch(from: unknown, to: unknown): JsonPatchOperation[] {
  return jsonPatchWalk(from, to);
}
