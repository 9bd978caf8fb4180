/**
 * Field sets: the sets of field paths managers own, and their `FieldsV1` wire form
 * (Go: structured-merge-diff `fieldpath.Set` and its serialization).
 *
 * A path is a list of path elements, each in the FieldsV1 spelling:
 * - `f:<name>`: a member of a map (`f:spec`, `f:app.kubernetes.io/name`),
 * - `k:<json>`: an element of a keyed list, by its key fields (`k:{"name":"app"}`),
 * - `v:<json>`: an element of a set list, by value (`v:"finalizer.example.com"`),
 * - `i:<n>`: an element of a list by index (only read, never produced here).
 *
 * In FieldsV1 a path that is a member and also has members under it carries `".": {}`.
 */
import { isPlainObject, KloopError } from '../../core/index.js';

/** One path element in FieldsV1 spelling: `f:name`, `k:{...}`, `v:...`, `i:n`. */
export type PathElement = string;

/** A path from the object's root. */
export type FieldPath = readonly PathElement[];

/** Thrown for `fieldsV1` content that is not a valid field set. */
export class FieldSetError extends KloopError {
  constructor(message: string) {
    super('KLOOP_INVALID_FIELDS', message);
  }
}

// Path elements never contain a raw NUL: field names come from JSON keys in practice, and the
// JSON inside k:/v: escapes control characters.
const SEP = '\u0000';

function encode(path: FieldPath): string {
  return path.join(SEP);
}

function decode(key: string): PathElement[] {
  return key === '' ? [] : key.split(SEP);
}

/** The `f:` element for a map member. */
export function fieldElement(name: string): PathElement {
  return `f:${name}`;
}

/** The `k:` element for a keyed-list element: its key fields, sorted by name, as JSON. */
export function keyElement(item: Readonly<Record<string, unknown>>, keys: readonly string[]): PathElement {
  const sorted = [...keys].sort();
  const obj: Record<string, unknown> = {};
  for (const k of sorted) obj[k] = item[k];
  return `k:${JSON.stringify(obj)}`;
}

/** The `v:` element for a set element. */
export function valueElement(value: unknown): PathElement {
  return `v:${JSON.stringify(value)}`;
}

/**
 * Prints a path as Kubernetes does in conflict messages (`fieldpath.Path.String()`):
 * `.spec.containers[name="app"].image`, `.metadata.finalizers[="x"]`, `.spec.args[0]`.
 *
 * @example
 * ```ts
 * formatFieldPath(['f:data', 'f:a']); // '.data.a'
 * ```
 */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const pe of path) {
    const body = pe.slice(2);
    switch (pe.slice(0, 2)) {
      case 'f:':
        out += `.${body}`;
        break;
      case 'k:': {
        const obj = JSON.parse(body) as Record<string, unknown>;
        out += `[${Object.keys(obj)
          .map((k) => `${k}=${JSON.stringify(obj[k])}`)
          .join(',')}]`;
        break;
      }
      case 'v:':
        out += `[=${body}]`;
        break;
      default:
        out += `[${body}]`;
    }
  }
  return out;
}

function checkElement(pe: string): void {
  if (pe.startsWith('f:')) return;
  const kind = pe.slice(0, 2);
  if (kind === 'k:' || kind === 'v:' || kind === 'i:') {
    try {
      const v: unknown = JSON.parse(pe.slice(2));
      if (kind === 'k:' && !isPlainObject(v)) throw new Error('not an object');
      if (kind === 'i:' && !Number.isInteger(v)) throw new Error('not an index');
      return;
    } catch (err) {
      throw new FieldSetError(`invalid path element ${JSON.stringify(pe)} in fieldsV1: ${(err as Error).message}`);
    }
  }
  throw new FieldSetError(`invalid path element ${JSON.stringify(pe)} in fieldsV1: want f:, k:, v: or i:`);
}

/**
 * An immutable set of field paths with the set algebra apply needs.
 *
 * @example
 * ```ts
 * const s = FieldSet.fromFieldsV1({ 'f:data': { 'f:a': {} } });
 * s.has(['f:data', 'f:a']); // true
 * s.toFieldsV1(); // { 'f:data': { 'f:a': {} } }
 * ```
 */
export class FieldSet {
  /** The empty set. */
  static readonly EMPTY = new FieldSet(new Set());

  /** The FieldsV1 form, computed once (or kept from parsing): sets are immutable. */
  private v1: Record<string, unknown> | undefined;

  private constructor(private readonly keys: ReadonlySet<string>) {}

  /** A set of paths already encoded (elements joined by NUL), as `objectEntries` keys them. */
  static fromEncoded(keys: Iterable<string>): FieldSet {
    return new FieldSet(new Set(keys));
  }

  /** A set of these paths. */
  static of(paths: Iterable<FieldPath>): FieldSet {
    const keys = new Set<string>();
    for (const p of paths) keys.add(encode(p));
    return new FieldSet(keys);
  }

  /**
   * Parses FieldsV1 (`{"f:data":{".":{},"f:a":{}}}`).
   * @throws FieldSetError (`KLOOP_INVALID_FIELDS`) for a malformed set.
   */
  static fromFieldsV1(fields: unknown): FieldSet {
    const keys = new Set<string>();
    const walk = (node: unknown, key: string): void => {
      if (!isPlainObject(node))
        throw new FieldSetError(`fieldsV1 at ${formatFieldPath(decode(key)) || '.'} must be an object`);
      let empty = true;
      // A leaf (`{}`) is a member; so is a node with children that carries ".".
      for (const pe in node) {
        empty = false;
        if (pe === '.') {
          if (key !== '') keys.add(key);
          continue;
        }
        checkElement(pe);
        walk(node[pe], key === '' ? pe : key + SEP + pe);
      }
      if (empty && key !== '') keys.add(key);
    };
    walk(fields ?? {}, '');
    const set = new FieldSet(keys);
    if (isPlainObject(fields)) set.v1 = fields;
    return set;
  }

  /** Number of paths. */
  get size(): number {
    return this.keys.size;
  }

  isEmpty(): boolean {
    return this.keys.size === 0;
  }

  has(path: FieldPath): boolean {
    return this.keys.has(encode(path));
  }

  /** True when the set holds `path` itself or any path below it. */
  hasPathOrDescendant(path: FieldPath): boolean {
    const key = encode(path);
    if (this.keys.has(key)) return true;
    const prefix = key + SEP;
    for (const k of this.keys) if (k.startsWith(prefix)) return true;
    return false;
  }

  /** Every path, sorted. */
  paths(): PathElement[][] {
    return [...this.keys].sort().map(decode);
  }

  union(other: FieldSet): FieldSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    return new FieldSet(new Set([...this.keys, ...other.keys]));
  }

  difference(other: FieldSet): FieldSet {
    if (other.isEmpty() || this.isEmpty()) return this;
    return new FieldSet(new Set([...this.keys].filter((k) => !other.keys.has(k))));
  }

  intersection(other: FieldSet): FieldSet {
    return new FieldSet(new Set([...this.keys].filter((k) => other.keys.has(k))));
  }

  equals(other: FieldSet): boolean {
    if (this.keys.size !== other.keys.size) return false;
    for (const k of this.keys) if (!other.keys.has(k)) return false;
    return true;
  }

  /**
   * Serializes to FieldsV1, members as `{}`, `"."` where a member also has children. The result
   * is cached and shared: treat it as read-only.
   */
  toFieldsV1(): Record<string, unknown> {
    this.v1 ??= this.serialize();
    return this.v1;
  }

  private serialize(): Record<string, unknown> {
    const root: Record<string, unknown> = {};
    for (const key of [...this.keys].sort()) {
      let node = root;
      for (const pe of decode(key)) {
        let child = node[pe] as Record<string, unknown> | undefined;
        if (child === undefined) {
          child = {};
          node[pe] = child;
        }
        node = child;
      }
      // Mark membership; removed below from nodes that stay leaves.
      node['.'] = {};
    }
    const tidy = (node: Record<string, unknown>): void => {
      const names = Object.keys(node);
      if (names.length === 1 && names[0] === '.') {
        delete node['.'];
        return;
      }
      for (const n of names) if (n !== '.') tidy(node[n] as Record<string, unknown>);
    };
    tidy(root);
    return root;
  }
}
