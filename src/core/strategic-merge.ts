/**
 * Strategic merge patch for built-in kinds (Go: apimachinery `strategicpatch`), and the
 * list-type table it shares with server-side apply: which lists merge by key, which are sets,
 * and which are atomic (replaced whole).
 *
 * Kubernetes reads this from the Go struct tags (`patchStrategy`, `patchMergeKey`,
 * `listType`, `listMapKeys`); kloop keeps the subset controllers and kubectl actually touch.
 */
import { isPlainObject } from './equal.js';
import { PatchError } from './errors.js';
import { getOwn, setOwn } from './own.js';
import { BUILTIN_RESOURCE_TYPES } from './resources.js';
import type { TypeRef } from './types.js';

/**
 * How a list merges: by key fields (`map`, Go `listType=map` / `patchStrategy=merge` with a
 * merge key), as a set of scalars (`set`), or replaced whole (`atomic`).
 */
export type ListType =
  | { readonly type: 'map'; readonly keys: readonly string[] }
  | { readonly type: 'set' }
  | { readonly type: 'atomic' };

const ATOMIC: ListType = Object.freeze({ type: 'atomic' });
const SET: ListType = Object.freeze({ type: 'set' });
const byKey = (...keys: string[]): ListType => Object.freeze({ type: 'map', keys: Object.freeze(keys) });

/** Where the PodSpec sits inside each workload kind. */
const POD_SPEC_AT: Record<string, readonly string[]> = {
  'v1/Pod': ['spec'],
  'v1/PodTemplate': ['template', 'spec'],
  'v1/ReplicationController': ['spec', 'template', 'spec'],
  'apps/v1/Deployment': ['spec', 'template', 'spec'],
  'apps/v1/ReplicaSet': ['spec', 'template', 'spec'],
  'apps/v1/StatefulSet': ['spec', 'template', 'spec'],
  'apps/v1/DaemonSet': ['spec', 'template', 'spec'],
  'batch/v1/Job': ['spec', 'template', 'spec'],
  'batch/v1/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Lists inside a PodSpec, by their path relative to it. */
const POD_SPEC_LISTS: Record<string, ListType> = {
  volumes: byKey('name'),
  imagePullSecrets: byKey('name'),
  hostAliases: byKey('ip'),
  topologySpreadConstraints: byKey('topologyKey'),
  resourceClaims: byKey('name'),
  schedulingGates: byKey('name'),
};
for (const c of ['containers', 'initContainers', 'ephemeralContainers']) {
  POD_SPEC_LISTS[c] = byKey('name');
  POD_SPEC_LISTS[`${c}.env`] = byKey('name');
  POD_SPEC_LISTS[`${c}.ports`] = byKey('containerPort');
  POD_SPEC_LISTS[`${c}.volumeMounts`] = byKey('mountPath');
  POD_SPEC_LISTS[`${c}.volumeDevices`] = byKey('devicePath');
}

/** Other keyed lists, per type, by their full path. */
const TYPE_LISTS: Record<string, Record<string, ListType>> = {
  'v1/Service': { 'spec.ports': byKey('port') },
  'v1/Node': { 'status.addresses': byKey('type') },
  'v1/Pod': { 'status.podIPs': byKey('ip') },
};

const BUILTIN_KINDS = new Set([
  ...BUILTIN_RESOURCE_TYPES.map((t) => `${t.apiVersion}/${t.kind}`),
  ...Object.keys(POD_SPEC_AT),
]);

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  if (path.length <= prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}

/**
 * How the list at `path` (field names from the object's root, no indices: containers' env is
 * `['spec', 'containers', 'env']`) merges in a built-in type. ObjectMeta's lists
 * (`finalizers` a set, `ownerReferences` keyed by `uid`) apply to every type, custom resources
 * included; any list the table does not name is atomic.
 *
 * @example
 * ```ts
 * import { Deployment } from 'kloop';
 *
 * strategicListType(Deployment, ['spec', 'template', 'spec', 'containers']); // { type: 'map', keys: ['name'] }
 * ```
 */
export function strategicListType(type: TypeRef, path: readonly string[]): ListType {
  const n = path.length;
  if (n >= 2 && path[n - 2] === 'metadata') {
    if (path[n - 1] === 'finalizers') return SET;
    if (path[n - 1] === 'ownerReferences') return byKey('uid');
  }
  const kind = `${type.apiVersion}/${type.kind}`;
  if (!BUILTIN_KINDS.has(kind)) return ATOMIC;
  const joined = path.join('.');
  if (joined === 'status.conditions') return byKey('type');
  const specific = TYPE_LISTS[kind]?.[joined];
  if (specific !== undefined) return specific;
  const podSpec = POD_SPEC_AT[kind];
  if (podSpec !== undefined && startsWith(path, podSpec)) {
    const rel = POD_SPEC_LISTS[path.slice(podSpec.length).join('.')];
    if (rel !== undefined) return rel;
  }
  return ATOMIC;
}

/**
 * The merge key of the list at `path` in a built-in type (`name` for containers, `uid` for
 * ownerReferences, ...), or undefined for sets and atomic lists. Server-side apply reuses it.
 *
 * @example
 * ```ts
 * import { Pod } from 'kloop';
 *
 * strategicMergeKey(Pod, ['spec', 'containers', 'ports']); // 'containerPort'
 * ```
 */
export function strategicMergeKey(type: TypeRef, path: readonly string[]): string | undefined {
  const lt = strategicListType(type, path);
  return lt.type === 'map' ? lt.keys[0] : undefined;
}

const DELETE = Symbol('delete');
const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

function bad(message: string): PatchError {
  return new PatchError('KLOOP_INVALID_PATCH', message);
}

/**
 * Applies a strategic merge patch (`application/strategic-merge-patch+json`) to a built-in
 * object and returns the new object; the input is not mutated and untouched subtrees are
 * shared. Maps merge, `null` deletes, lists merge per {@link strategicListType} (keyed lists
 * by key, sets by value, others replaced). Directives: `$patch: merge|replace|delete` on maps
 * and list elements, `{ $patch: replace }` as a list element, `$setElementOrder/<list>`,
 * `$retainKeys`, `$deleteFromPrimitiveList/<list>`.
 *
 * @remarks `$setElementOrder` sorts the elements it names in its order and interleaves the
 * others by their position in the original list, as Kubernetes' `normalizeElementOrder` does.
 * @throws PatchError (`KLOOP_INVALID_PATCH`) for an unknown directive or a keyed-list element
 * without its merge key.
 * @example
 * ```ts
 * import { type KubeObject, Pod } from 'kloop';
 *
 * declare const pod: KubeObject;
 * applyStrategicMergePatch(pod, { spec: { containers: [{ name: 'app', image: 'v2' }] } }, Pod);
 * ```
 */
export function applyStrategicMergePatch<T>(doc: T, patch: unknown, type: TypeRef): T {
  if (!isPlainObject(patch)) throw bad('a strategic merge patch must be a JSON object');
  const out = mergeMap(doc, patch, [], type);
  if (out === DELETE) throw bad('$patch: delete on the whole object is not allowed');
  return out as T;
}

function mergeMap(
  orig: unknown,
  patch: Record<string, unknown>,
  path: string[],
  type: TypeRef,
): Record<string, unknown> | typeof DELETE {
  const directive = patch.$patch;
  if (directive === 'delete') return DELETE;
  if (directive === 'replace') {
    const { $patch: _, ...rest } = patch;
    return mergeMap(undefined, rest, path, type);
  }
  if (directive !== undefined && directive !== 'merge')
    throw bad(`unknown patch directive $patch: ${JSON.stringify(directive)}`);
  const out: Record<string, unknown> = isPlainObject(orig) ? { ...orig } : {};
  const later: [string, unknown][] = [];
  for (const key of Object.keys(patch)) {
    const v = patch[key];
    if (key === '$patch' || key === '$retainKeys' || key.startsWith(SET_ORDER) || key.startsWith(DELETE_FROM)) {
      if (key !== '$patch') later.push([key, v]);
      continue;
    }
    if (v === null) {
      delete out[key];
    } else if (Array.isArray(v)) {
      setOwn(out, key, mergeList(getOwn(out, key), v, [...path, key], type));
    } else if (isPlainObject(v)) {
      const r = mergeMap(getOwn(out, key), v, [...path, key], type);
      if (r === DELETE) delete out[key];
      else setOwn(out, key, r);
    } else if (v !== undefined) {
      setOwn(out, key, v);
    }
  }
  for (const [key, v] of later) {
    if (key === '$retainKeys') {
      if (!Array.isArray(v)) throw bad('$retainKeys must be a list of field names');
      const keep = new Set(v);
      for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
    } else if (key.startsWith(DELETE_FROM)) {
      const field = key.slice(DELETE_FROM.length);
      if (!Array.isArray(v)) throw bad(`${key} must be a list`);
      const current = out[field];
      if (Array.isArray(current)) {
        const drop = new Set(v);
        out[field] = current.filter((x) => !drop.has(x));
      }
    } else {
      const field = key.slice(SET_ORDER.length);
      if (!Array.isArray(v)) throw bad(`${key} must be a list`);
      const current = out[field];
      if (Array.isArray(current)) {
        const before = isPlainObject(orig) ? orig[field] : undefined;
        out[field] = reorder(current, v, before, strategicListType(type, [...path, field]));
      }
    }
  }
  return out;
}

/**
 * The merge key values of an element as one string, for indexing a keyed list (a patch of
 * thousands of elements must not scan the list for each one). Undefined when the element is not
 * an object or a key value is missing or not a scalar: such an element matches none by `===`.
 */
function mergeKeyOf(el: unknown, keys: readonly string[]): string | undefined {
  if (!isPlainObject(el)) return undefined;
  const values: unknown[] = [];
  for (const k of keys) {
    const v = el[k];
    if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return undefined;
    values.push(v);
  }
  return JSON.stringify(values);
}

function isReplaceElement(el: unknown): boolean {
  return isPlainObject(el) && el.$patch === 'replace';
}

/** Elements removed by `$patch: delete` while merging, dropped at the end. */
const REMOVED = Symbol('removed');

function mergeList(orig: unknown, patch: unknown[], path: string[], type: TypeRef): unknown[] {
  const lt = strategicListType(type, path);
  if (patch.some(isReplaceElement)) {
    // apimachinery's mergeSliceWithSpecialElements: any element with `$patch: replace` (with or
    // without other fields) replaces the list with the elements that carry no directive.
    if (lt.type === 'map') for (const el of patch) checkListDirective(el);
    const plain = patch.filter((el) => !(isPlainObject(el) && el.$patch !== undefined));
    return plain.map((el) => (isPlainObject(el) ? mergeMap(undefined, el, path, type) : el));
  }
  if (lt.type === 'atomic') return patch;
  const out: unknown[] = Array.isArray(orig) ? orig.slice() : [];
  if (lt.type === 'set') {
    const present = new Set(out);
    for (const el of patch) {
      if (present.has(el)) continue;
      present.add(el);
      out.push(el);
    }
    return out;
  }
  // Where each merge key sits in `out`, in list order (the original may repeat a key).
  const positions = new Map<string, number[]>();
  out.forEach((o, i) => {
    const key = mergeKeyOf(o, lt.keys);
    if (key === undefined) return;
    const at = positions.get(key);
    if (at) at.push(i);
    else positions.set(key, [i]);
  });
  let removed = false;
  for (const el of patch) {
    if (!isPlainObject(el))
      throw bad(`${path.join('.')}: list elements must be objects with merge key ${lt.keys.join(',')}`);
    for (const k of lt.keys) {
      if (el[k] === undefined) throw bad(`map: ${JSON.stringify(el)} does not contain declared merge key: ${k}`);
    }
    checkListDirective(el);
    const key = mergeKeyOf(el, lt.keys);
    const at = key === undefined ? undefined : positions.get(key);
    if (el.$patch === 'delete') {
      if (at && key !== undefined) {
        for (const i of at) out[i] = REMOVED;
        positions.delete(key);
        removed = true;
      }
      continue;
    }
    const merged = mergeMap(at ? out[at[0]] : undefined, el, path, type);
    if (merged === DELETE) continue;
    if (at) out[at[0]] = merged;
    else {
      out.push(merged);
      if (key !== undefined) positions.set(key, [out.length - 1]);
    }
  }
  return removed ? out.filter((o) => o !== REMOVED) : out;
}

/** The directives a keyed-list element may carry: `delete` and `replace`, as in apimachinery. */
function checkListDirective(el: unknown): void {
  if (!isPlainObject(el) || el.$patch === undefined || el.$patch === 'delete' || el.$patch === 'replace') return;
  if (el.$patch === 'merge') throw bad('merging lists cannot yet be specified in the patch');
  throw bad(`unknown patch directive $patch: ${JSON.stringify(el.$patch)} in a list element`);
}

function reorder(list: unknown[], order: unknown[], original: unknown, lt: ListType): unknown[] {
  // Positions by merge key (keyed lists) or by value, first occurrence, so that reordering a long
  // list costs a sort, not a scan per comparison.
  const identity = (el: unknown): unknown => (lt.type === 'map' ? mergeKeyOf(el, lt.keys) : el);
  const firstPositions = (items: readonly unknown[]): Map<unknown, number> => {
    const positions = new Map<unknown, number>();
    items.forEach((el, i) => {
      const id = identity(el);
      if (id !== undefined && !positions.has(id)) positions.set(id, i);
    });
    return positions;
  };
  const inOrder = firstPositions(order);
  const inBefore = firstPositions(Array.isArray(original) ? original : []);
  const indexIn = (positions: Map<unknown, number>, el: unknown): number => {
    const id = identity(el);
    return id === undefined ? -1 : (positions.get(id) ?? -1);
  };
  // As Kubernetes' normalizeElementOrder: the listed elements sorted by the order given, the
  // others kept in their relative order, the two interleaved by position in the original list.
  const listed = list
    .filter((el) => indexIn(inOrder, el) >= 0)
    .sort((a, b) => indexIn(inOrder, a) - indexIn(inOrder, b));
  const others = list.filter((el) => indexIn(inOrder, el) < 0);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < others.length || j < listed.length) {
    if (j >= listed.length) out.push(others[i++]);
    else if (i >= others.length) out.push(listed[j++]);
    else {
      const li = indexIn(inBefore, others[i]);
      const ri = indexIn(inBefore, listed[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(others[i++]);
      else out.push(listed[j++]);
    }
  }
  return out;
}
