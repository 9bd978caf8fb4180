/**
 * Deciding whether a server-side apply would change anything, from the cache alone.
 *
 * An apply is a no-op when the live object already holds every applied field with the applied
 * value, and the manager owns no field it now omits (the server would remove such a field). The
 * first half is read from the cache; the second from the fields this manager applied last time
 * in this process (or the object's managedFields when the cache keeps them). Without either, kloop
 * cannot rule a removal out and sends the apply.
 */
import { deepEqual, isPlainObject, type KubeObject } from '../core/index.js';
import { changedFieldPaths } from './field-paths.js';

/** Identity fields the apply body must carry but that never change. */
const IDENTITY = new Set(['apiVersion', 'kind']);
const IDENTITY_META = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'managedFields']);

/**
 * True when every field of `applied` is in `live` with an equal value. Objects compare member
 * by member (extra live members are fine: others own them, or the server defaulted them); lists
 * of objects item by item with the same rule (same length and order); scalars and lists of
 * scalars compare whole.
 */
export function holdsApplied(live: KubeObject, applied: KubeObject): boolean {
  for (const [k, v] of Object.entries(applied)) {
    if (IDENTITY.has(k) || v === undefined) continue;
    if (k === 'metadata') {
      if (!isPlainObject(v)) return false;
      for (const [mk, mv] of Object.entries(v)) {
        if (IDENTITY_META.has(mk) || mv === undefined) continue;
        if (!subset(live.metadata[mk], mv)) return false;
      }
      continue;
    }
    if (!subset(live[k], v)) return false;
  }
  return true;
}

/**
 * The top-level paths (`spec`, `metadata.labels`...) where `applied` sets a value that `live`
 * does not hold: what an apply changes, for write attribution. Fields the apply leaves out are
 * not counted (others own them). Sorted. Without a live object, every applied field.
 */
export function appliedChanges(live: KubeObject | undefined, applied: KubeObject): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(applied)) {
    if (IDENTITY.has(k) || v === undefined) continue;
    if (k === 'metadata' && isPlainObject(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (IDENTITY_META.has(mk) || mv === undefined) continue;
        if (live === undefined || !subset(live.metadata[mk], mv)) out.push(`metadata.${mk}`);
      }
      continue;
    }
    if (live === undefined || !subset(live[k], v)) out.push(k);
  }
  return out.sort();
}

function subset(live: unknown, applied: unknown): boolean {
  if (isPlainObject(applied)) {
    if (!isPlainObject(live)) return false;
    for (const [k, v] of Object.entries(applied)) {
      if (v === undefined) continue;
      if (!subset(live[k], v)) return false;
    }
    return true;
  }
  if (Array.isArray(applied) && applied.some(isPlainObject)) {
    // Lists of objects compare item by item, in order and of equal length: the server defaults
    // members inside items (a container's imagePullPolicy, a port's protocol), which an apply
    // of the same items leaves alone. An added, removed or reordered item is a change.
    if (!Array.isArray(live) || live.length !== applied.length) return false;
    return applied.every((item, i) => subset(live[i], item));
  }
  return deepEqual(live, applied);
}

/**
 * The field paths an applied object sets, objects walked member by member, arrays and scalars
 * as leaves: `metadata.labels.app`, `spec.replicas`, `spec.template` ...
 */
export function appliedPaths(applied: KubeObject): Set<string> {
  const out = new Set<string>();
  const walk = (value: unknown, path: string) => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) if (v !== undefined) walk(v, path ? `${path}.${k}` : k);
    } else {
      out.add(path);
    }
  };
  for (const [k, v] of Object.entries(applied)) {
    if (IDENTITY.has(k) || v === undefined) continue;
    if (k === 'metadata' && isPlainObject(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (!IDENTITY_META.has(mk) && mv !== undefined) walk(mv, `metadata.${mk}`);
      }
    } else {
      walk(v, k);
    }
  }
  return out;
}

/**
 * The paths a manager owns through `Apply` according to managedFields (`fieldsV1`), cut at the
 * first non-field key (list items `k:`/`v:`/`i:` make their list a leaf). Undefined when the
 * object carries no managedFields.
 */
export function ownedPaths(live: KubeObject, manager: string, subresource?: string): Set<string> | undefined {
  const entries = live.metadata.managedFields;
  if (entries === undefined) return undefined;
  const out = new Set<string>();
  for (const e of entries) {
    if (e.manager !== manager || e.operation !== 'Apply' || (e.subresource ?? undefined) !== subresource) continue;
    const walk = (node: Record<string, unknown>, path: string) => {
      const fields = Object.keys(node).filter((k) => k.startsWith('f:'));
      if (fields.length === 0 || Object.keys(node).some((k) => !k.startsWith('f:') && k !== '.')) {
        if (path) out.add(path);
        return;
      }
      for (const f of fields) {
        const child = node[f];
        walk(isPlainObject(child) ? child : {}, path ? `${path}.${f.slice(2)}` : f.slice(2));
      }
    };
    walk((e.fieldsV1 ?? {}) as Record<string, unknown>, '');
  }
  return out;
}

/** True when each owned path is covered by the applied paths (equal, or one a prefix of the other). */
export function coversOwned(applied: Set<string>, owned: Set<string>): boolean {
  for (const o of owned) {
    if (applied.has(o)) continue;
    let covered = false;
    for (const a of applied) {
      if (a.startsWith(`${o}.`) || o.startsWith(`${a}.`)) {
        covered = true;
        break;
      }
    }
    if (!covered) return false;
  }
  return true;
}

/**
 * The changed field paths (deep, bounded) an apply of `applied` makes to `live`: only the
 * applied fields count (an apply leaves the others alone), so `live` is cut to their shape first.
 */
export function appliedFieldPaths(live: KubeObject | undefined, applied: KubeObject): string[] {
  return changedFieldPaths(live === undefined ? {} : shapedLike(live, applied), applied);
}

/** `live` with only the members `shape` has, at every object level (lists kept whole). */
function shapedLike(live: unknown, shape: unknown): unknown {
  if (!isPlainObject(live) || !isPlainObject(shape)) return live;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(shape)) if (Object.hasOwn(live, k)) out[k] = shapedLike(live[k], shape[k]);
  return out;
}
