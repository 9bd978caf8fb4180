/**
 * Changed field paths at a depth a person can act on: `spec.replicas`, `status.conditions[Ready]`,
 * `metadata.labels.app`, `data["config.yaml"]`, rather than the top-level `spec` or `status` that
 * `changed` reports. Triggers carry them beside `changed`, write reports beside `fields`, and the
 * debug record shows both.
 *
 * Naming: object members join with `.`; a member whose name is not a plain identifier (label keys
 * such as `app.kubernetes.io/name`, data keys such as `config.yaml`) is written `["..."]`. List
 * elements are named by their identity when every element has one (`name`, then `type`, `key`,
 * `uid`: containers, conditions, tolerations, owner references), else by index when the list kept
 * its length, else the list itself changed. Lists of scalars (finalizers) report the list.
 *
 * Bounded: at most `maxPaths` paths (then {@link TRUNCATED_PATH} ends the list) and `maxDepth`
 * segments (a deeper change reports its ancestor at that depth). Values never appear: only names,
 * so a Secret's changed key shows as `data.password` and its value stays out.
 */
import { deepEqual, isPlainObject } from '../core/index.js';

/** Paths kept by default. */
export const DEFAULT_MAX_CHANGED_PATHS = 16;
/** Segments kept by default (`spec.template.spec.containers[web].image` is 5). */
export const DEFAULT_MAX_PATH_DEPTH = 6;
/** Ends a list cut at `maxPaths`: more paths changed than are shown. */
export const TRUNCATED_PATH = '...';

/** Metadata members worth reporting; the rest (resourceVersion, managedFields, generation...) is bookkeeping. */
const METADATA_MEMBERS = ['labels', 'annotations', 'finalizers', 'ownerReferences', 'deletionTimestamp'];
/** Top-level members never reported. */
const SKIPPED_TOP = new Set(['apiVersion', 'kind', 'metadata']);
/** Element fields that name a list element, in order of preference. */
const IDENTITY_FIELDS = ['name', 'type', 'key', 'uid'];

/** Options of {@link changedFieldPaths}. */
export interface ChangedPathOptions {
  /** Default {@link DEFAULT_MAX_CHANGED_PATHS}. */
  maxPaths?: number;
  /** Default {@link DEFAULT_MAX_PATH_DEPTH}. */
  maxDepth?: number;
}

interface Walk {
  out: string[];
  maxPaths: number;
  maxDepth: number;
  full: boolean;
}

/**
 * The field paths that differ between two versions of an object, in walk order, bounded.
 *
 * @example
 * ```ts
 * const before = { metadata: { name: 'web', labels: { app: 'a' } }, spec: { replicas: 1 },
 *   status: { conditions: [{ type: 'Ready', status: 'False' }] } };
 * const after = { metadata: { name: 'web', labels: { app: 'b' } }, spec: { replicas: 3 },
 *   status: { conditions: [{ type: 'Ready', status: 'True' }] } };
 * changedFieldPaths(before, after);
 * // ['metadata.labels.app', 'spec.replicas', 'status.conditions[Ready].status']
 * ```
 */
export function changedFieldPaths(before: unknown, after: unknown, options: ChangedPathOptions = {}): string[] {
  const walk: Walk = {
    out: [],
    maxPaths: options.maxPaths ?? DEFAULT_MAX_CHANGED_PATHS,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_PATH_DEPTH,
    full: false,
  };
  const a = asRecord(before);
  const b = asRecord(after);
  const metaA = asRecord(a.metadata);
  const metaB = asRecord(b.metadata);
  for (const k of METADATA_MEMBERS) member(walk, 'metadata', 2, k, metaA[k], metaB[k]);
  for (const k in a) if (!SKIPPED_TOP.has(k)) member(walk, '', 1, k, a[k], Object.hasOwn(b, k) ? b[k] : undefined);
  for (const k in b) if (!SKIPPED_TOP.has(k) && !Object.hasOwn(a, k)) member(walk, '', 1, k, undefined, b[k]);
  return walk.out;
}

/**
 * Member `key` of the object at `parent`: nothing when equal (the common case, so the path is
 * built only for members that differ), else compared below. Null and absent are the same state
 * (a merge patch's null removes).
 */
function member(walk: Walk, parent: string, depth: number, key: string, x: unknown, y: unknown): void {
  if (walk.full || x === y || (x == null && y == null) || deepEqual(x, y)) return;
  const path = parent === '' ? (PLAIN.test(key) ? key : segment(key)) : `${parent}${segment(key)}`;
  compare(walk, path, depth, x, y);
}

/** Records `path` unless the list is full; returns false once it is. */
function add(walk: Walk, path: string): boolean {
  if (walk.full) return false;
  if (walk.out.length >= walk.maxPaths) {
    walk.out.push(TRUNCATED_PATH);
    walk.full = true;
    return false;
  }
  walk.out.push(path);
  return true;
}

/** Two values known to differ, at `path`. */
function compare(walk: Walk, path: string, depth: number, x: unknown, y: unknown): void {
  if (walk.full) return;
  // A map or list that appears or goes whole reports what it holds (`metadata.labels.app`, not
  // `metadata.labels`), as if it had been empty.
  if (x == null && (isPlainObject(y) || Array.isArray(y))) x = Array.isArray(y) ? [] : {};
  else if (y == null && (isPlainObject(x) || Array.isArray(x))) y = Array.isArray(x) ? [] : {};
  const objects = isPlainObject(x) && isPlainObject(y);
  const lists = Array.isArray(x) && Array.isArray(y);
  if ((!objects && !lists) || depth >= walk.maxDepth) {
    add(walk, path);
    return;
  }
  if (lists) {
    compareLists(walk, path, depth, x as unknown[], y as unknown[]);
    return;
  }
  const a = x as Readonly<Record<string, unknown>>;
  const b = y as Readonly<Record<string, unknown>>;
  for (const k in a) member(walk, path, depth + 1, k, a[k], Object.hasOwn(b, k) ? b[k] : undefined);
  for (const k in b) if (!Object.hasOwn(a, k)) member(walk, path, depth + 1, k, undefined, b[k]);
}

function compareLists(walk: Walk, path: string, depth: number, x: unknown[], y: unknown[]): void {
  const id = identityField(x, y);
  if (id !== undefined) {
    const before = new Map(x.map((e) => [(e as Record<string, string>)[id], e]));
    const after = new Map(y.map((e) => [(e as Record<string, string>)[id], e]));
    // An element added or removed is named whole (`status.conditions[Ready]`), not by its fields.
    for (const [name, e] of after) {
      const old = before.get(name);
      if (old === undefined) add(walk, `${path}[${name}]`);
      else if (!deepEqual(old, e)) compare(walk, `${path}[${name}]`, depth + 1, old, e);
    }
    for (const name of before.keys()) if (!after.has(name)) add(walk, `${path}[${name}]`);
    return;
  }
  const scalars = x.every((e) => !isContainer(e)) && y.every((e) => !isContainer(e));
  if (scalars || x.length !== y.length) {
    add(walk, path);
    return;
  }
  for (let i = 0; i < x.length; i++) {
    if (!deepEqual(x[i], y[i])) compare(walk, `${path}[${i}]`, depth + 1, x[i], y[i]);
  }
}

/** The first identity field every element of both lists has as a distinct string. */
function identityField(x: unknown[], y: unknown[]): string | undefined {
  if (x.length + y.length === 0) return undefined;
  for (const field of IDENTITY_FIELDS) {
    if (distinctStrings(x, field) && distinctStrings(y, field)) return field;
  }
  return undefined;
}

function distinctStrings(list: unknown[], field: string): boolean {
  const seen = new Set<string>();
  for (const e of list) {
    if (!isPlainObject(e)) return false;
    const v = e[field];
    if (typeof v !== 'string' || seen.has(v)) return false;
    seen.add(v);
  }
  return true;
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `.name`, or `["app.kubernetes.io/name"]` for a name that is not a plain identifier. */
function segment(name: string): string {
  return PLAIN.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

function isContainer(v: unknown): boolean {
  return typeof v === 'object' && v !== null;
}

function asRecord(v: unknown): Readonly<Record<string, unknown>> {
  return isPlainObject(v) ? v : {};
}
