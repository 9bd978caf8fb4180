/**
 * Walking objects as field sets: which paths an object sets (with their values), merging an
 * applied configuration into a live object, and removing paths. Lists follow a
 * {@link ListKeysFn}; maps are treated as structs (their members are owned, not the map).
 */
import { deepEqual, isPlainObject, KloopError } from '../../core/index.js';
import { type FieldPath, FieldSet, fieldElement, keyElement, type PathElement, valueElement } from './field-set.js';
import type { ListKeysFn } from './types.js';

/** Thrown for an applied object that cannot be turned into a field set (duplicate or keyless list elements). */
export class ApplyInvalidError extends KloopError {
  constructor(message: string) {
    super('KLOOP_APPLY_INVALID', message);
  }
}

/** Paths never owned by anyone: type and identity metadata, which apply does not manage. */
const IGNORED_TOP = new Set(['apiVersion', 'kind']);
const IGNORED_METADATA = new Set([
  'name',
  'namespace',
  'generateName',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
  'managedFields',
]);

function ignored(names: readonly string[]): boolean {
  if (names.length === 1) return IGNORED_TOP.has(names[0]);
  return names.length === 2 && names[0] === 'metadata' && IGNORED_METADATA.has(names[1]);
}

/** One owned path in an object: a leaf value, or (`item`) a keyed-list or set element. */
export interface FieldEntry {
  /** The path, encoded as {@link FieldSet} keys are (elements joined by NUL). */
  readonly key: string;
  readonly value: unknown;
  readonly item: boolean;
}

const SEP = '\u0000';

function join(parent: string, pe: PathElement): string {
  return parent === '' ? pe : parent + SEP + pe;
}

/**
 * Every owned path of `obj`: scalars, atomic lists, and list elements (with the paths under
 * keyed elements). Nulls are skipped: a null in an applied configuration sets nothing.
 *
 * @throws ApplyInvalidError (`KLOOP_APPLY_INVALID`) for keyed-list elements that lack a key
 * field or repeat a key, when `strict`. Stored objects are walked leniently: such elements are
 * skipped (Kubernetes itself stores duplicate env entries, for one).
 */
export function objectEntries(obj: unknown, listKeys: ListKeysFn, strict = true): Map<string, FieldEntry> {
  const out = new Map<string, FieldEntry>();
  const add = (key: string, value: unknown, item: boolean) => out.set(key, { key, value, item });
  // Field names along the current path, as a stack (copied only when handed to listKeys).
  const names: string[] = [];
  const where = () => `.${names.join('.')}`;

  const walkMap = (map: Record<string, unknown>, key: string) => {
    for (const k of Object.keys(map)) {
      const v = map[k];
      if (v === null || v === undefined) continue;
      names.push(k);
      // Only the root and root metadata can match `ignored`: list elements never sit there.
      if (names.length > 2 || !ignored(names)) walkValue(v, join(key, fieldElement(k)));
      names.pop();
    }
  };

  const walkValue = (v: unknown, key: string) => {
    if (isPlainObject(v)) {
      walkMap(v, key);
      return;
    }
    if (!Array.isArray(v)) {
      add(key, v, false);
      return;
    }
    const lt = listKeys(names.slice());
    if (lt.type === 'atomic') {
      add(key, v, false);
    } else if (lt.type === 'set') {
      const seen = new Set<string>();
      for (const el of v) {
        const pe = valueElement(el);
        if (seen.has(pe)) {
          if (!strict) continue;
          throw new ApplyInvalidError(`${where()}: duplicate entries for key [=${JSON.stringify(el)}]`);
        }
        seen.add(pe);
        add(join(key, pe), el, true);
      }
    } else {
      const seen = new Set<string>();
      for (const el of v) {
        if (!isPlainObject(el)) {
          if (!strict) continue;
          throw new ApplyInvalidError(`${where()}: elements of an associative list must be objects`);
        }
        const missing = lt.keys.find((k) => el[k] === undefined || el[k] === null);
        if (missing !== undefined) {
          if (!strict) continue;
          throw new ApplyInvalidError(
            `${where()}: associative list with keys has an element that omits key field ${JSON.stringify(missing)}`,
          );
        }
        const pe = keyElement(el, lt.keys);
        if (seen.has(pe)) {
          if (!strict) continue;
          throw new ApplyInvalidError(`${where()}: duplicate entries for key ${pe.slice(2)}`);
        }
        seen.add(pe);
        const itemKey = join(key, pe);
        add(itemKey, el, true);
        walkMap(el, itemKey);
      }
    }
  };

  if (isPlainObject(obj)) walkMap(obj, '');
  return out;
}

/** The field set an object sets (Go: `TypedValue.ToFieldSet`), with identity metadata left out. */
export function fieldSetOf(obj: unknown, listKeys: ListKeysFn): FieldSet {
  return FieldSet.fromEncoded(objectEntries(obj, listKeys).keys());
}

/**
 * Merges an applied configuration into the live object: maps member by member, keyed lists
 * element by element, sets by union, atomic lists and scalars replaced. Nulls in `applied` are
 * ignored. Neither input is mutated; untouched subtrees are shared with `live`.
 */
export function mergeApplied(live: unknown, applied: unknown, listKeys: ListKeysFn, names: string[] = []): unknown {
  if (isPlainObject(applied)) {
    const out: Record<string, unknown> = isPlainObject(live) ? { ...live } : {};
    for (const k of Object.keys(applied)) {
      const v = applied[k];
      if (v === null || v === undefined) continue;
      out[k] = mergeApplied(out[k], v, listKeys, [...names, k]);
    }
    return out;
  }
  if (!Array.isArray(applied)) return applied;
  const lt = listKeys(names);
  if (lt.type === 'atomic' || !Array.isArray(live)) {
    return lt.type === 'map' ? applied.map((el) => mergeApplied(undefined, el, listKeys, names)) : applied;
  }
  const out = live.slice();
  if (lt.type === 'set') {
    for (const el of applied) if (!out.some((o) => deepEqual(o, el))) out.push(el);
    return out;
  }
  for (const el of applied) {
    const at = out.findIndex(
      (o) => isPlainObject(o) && isPlainObject(el) && lt.keys.every((k) => deepEqual(o[k], el[k])),
    );
    if (at >= 0) out[at] = mergeApplied(out[at], el, listKeys, names);
    else out.push(mergeApplied(undefined, el, listKeys, names));
  }
  return out;
}

function matchesElement(el: unknown, pe: PathElement): boolean {
  if (pe.startsWith('v:')) return deepEqual(el, JSON.parse(pe.slice(2)));
  if (!isPlainObject(el)) return false;
  const key = JSON.parse(pe.slice(2)) as Record<string, unknown>;
  for (const k of Object.keys(key)) if (!deepEqual(el[k], key[k])) return false;
  return true;
}

/**
 * Returns `obj` without the value at `path` (a member, a keyed or set element, or an index),
 * copying only the containers along the path. Missing paths leave `obj` as it is.
 */
export function removePath(obj: unknown, path: FieldPath): unknown {
  if (path.length === 0) return obj;
  const [pe, ...rest] = path;
  if (pe.startsWith('f:')) {
    if (!isPlainObject(obj)) return obj;
    const name = pe.slice(2);
    if (!Object.hasOwn(obj, name)) return obj;
    const out = { ...obj };
    if (rest.length === 0) delete out[name];
    else out[name] = removePath(obj[name], rest);
    return out;
  }
  if (!Array.isArray(obj)) return obj;
  const at = pe.startsWith('i:') ? Number(pe.slice(2)) : obj.findIndex((el) => matchesElement(el, pe));
  if (at < 0 || at >= obj.length) return obj;
  const out = obj.slice();
  if (rest.length === 0) out.splice(at, 1);
  else out[at] = removePath(obj[at], rest);
  return out;
}

/**
 * Returns `obj` without the map members for which `drop(path)` holds (`path`: field names from
 * the root). Lists are not descended into. Untouched subtrees are shared.
 */
export function withoutFields(obj: unknown, drop: (path: readonly string[]) => boolean, names: string[] = []): unknown {
  if (!isPlainObject(obj)) return obj;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(obj)) {
    const path = [...names, k];
    const v = obj[k];
    const next = drop(path) ? undefined : withoutFields(v, drop, path);
    if (next !== v) {
      out ??= { ...obj };
      if (next === undefined) delete out[k];
      else out[k] = next;
    }
  }
  return out ?? obj;
}
