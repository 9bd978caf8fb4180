/**
 * Server-side apply and update recording (Go: structured-merge-diff `merge.Updater` behind the
 * API server's field manager), for the emulator's PATCH `application/apply-patch+yaml` and
 * every other write.
 */
import {
  deepEqual,
  type KubeObject,
  type ManagedFieldsEntry,
  type Status,
  strategicListType,
  type TypeRef,
} from '../../core/index.js';
import { failureStatus } from '../errors/status-errors.js';
import { FieldSet, formatFieldPath } from './field-set.js';
import {
  decodeManagedFields,
  describeManager,
  encodeManagedFields,
  formatTime,
  type ManagedSet,
  managerId,
} from './managed-fields.js';
import {
  type FieldEntry,
  fieldSetOf,
  mergeApplied,
  objectEntries,
  removePath,
  withoutFields,
} from './object-fields.js';
import type { ApplyConflict, ApplyOptions, ApplyResult, FieldManagerOptions, ListKeysFn } from './types.js';

/** The manager Kubernetes credits with every field of an object that had no managedFields before its first apply. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

function listKeysFor(opts: FieldManagerOptions, type: TypeRef): ListKeysFn {
  return opts.listKeys ?? ((path) => strategicListType(type, path));
}

/** Paths of `next` that are new or hold a different value than in `prev` (elements: only new ones). */
function changedPaths(prev: Map<string, FieldEntry>, next: Map<string, FieldEntry>): FieldSet {
  const out: string[] = [];
  for (const [key, e] of next) {
    const before = prev.get(key);
    if (before === undefined || (!e.item && !deepEqual(before.value, e.value))) out.push(key);
  }
  return FieldSet.fromEncoded(out);
}

function withManagedFields(obj: unknown, managedFields: ManagedFieldsEntry[]): KubeObject {
  const o = obj as KubeObject;
  const metadata = { ...(o.metadata ?? {}) };
  if (managedFields.length > 0) metadata.managedFields = managedFields;
  else delete metadata.managedFields;
  return { ...o, metadata };
}

/**
 * The Kubernetes message for apply conflicts (`Apply failed with 1 conflict: conflict with
 * "mgr" using v1: .data.a`; several conflicts are grouped by manager, one path per line).
 */
export function applyConflictMessage(conflicts: readonly ApplyConflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0];
    return `Apply failed with 1 conflict: conflict with ${c.managerDescription}: ${c.field}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts)
    byManager.set(c.managerDescription, [...(byManager.get(c.managerDescription) ?? []), c.field]);
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${m}:`);
    for (const f of byManager.get(m) ?? []) lines.push(`- ${f}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/**
 * The 409 `Status` the API server answers an apply conflict with: reason `Conflict`, one
 * `FieldManagerConflict` cause per field.
 *
 * @example
 * ```ts
 * import type { KubeObject, Status } from 'kloop';
 *
 * declare const live: KubeObject | undefined;
 * declare const applied: KubeObject;
 * declare function send(code: number, status: Status): void;
 * const r = applyServerSide({ live, applied, manager: 'kubectl' });
 * if (!r.ok) send(409, applyConflictStatus(r.conflicts));
 * ```
 */
export function applyConflictStatus(
  conflicts: readonly ApplyConflict[],
  details?: { name?: string; group?: string; kind?: string },
): Status {
  return failureStatus('Conflict', applyConflictMessage(conflicts), {
    ...details,
    causes: conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with ${c.managerDescription}`,
      field: c.field,
    })),
  });
}

/**
 * Server-side apply of `applied` by `manager` onto `live` (undefined: the apply creates the
 * object). Applied values win; fields this manager applied before and now omits are removed
 * unless another manager owns them (or something under them); a field another manager owns
 * with a different value is a conflict unless `force`, which moves its ownership to the
 * applier; equal values share ownership. Lists merge per `listKeys` (built-ins: the strategic
 * merge table; custom resources: pass the schema's `x-kubernetes-list-type`), atomic otherwise.
 *
 * A live object without managedFields is first credited to `before-first-apply` (an Update),
 * as Kubernetes does, so applying over fields set by plain writes conflicts.
 *
 * @remarks Pure: inputs are not mutated and nothing is stored. The manager's entry keeps its
 * old `time` when its field set did not change, so a repeated identical apply yields an object
 * equal to the live one (the emulator then skips the write and keeps the resourceVersion).
 * @throws ApplyInvalidError (`KLOOP_APPLY_INVALID`) for keyed-list elements without their key
 * or with duplicate keys; FieldSetError (`KLOOP_INVALID_FIELDS`) for malformed managedFields.
 * @example
 * ```ts
 * import type { KubeObject, Status } from 'kloop';
 *
 * declare const live: KubeObject | undefined;
 * declare function store(object: KubeObject): void;
 * declare function reply(status: Status): void;
 * const r = applyServerSide({ live, applied: { apiVersion: 'v1', kind: 'ConfigMap',
 *   metadata: { name: 'a', namespace: 'ns' }, data: { a: '1' } }, manager: 'kubectl' });
 * if (r.ok) store(r.object); else reply(applyConflictStatus(r.conflicts));
 * ```
 */
export function applyServerSide(opts: ApplyOptions): ApplyResult {
  const { live, manager } = opts;
  let applied = withManagedFields(opts.applied, []);
  if (opts.ignoreFields !== undefined) applied = withoutFields(applied, opts.ignoreFields) as KubeObject;
  const type = opts.type ?? {
    apiVersion: applied.apiVersion ?? live?.apiVersion ?? '',
    kind: applied.kind ?? live?.kind ?? '',
  };
  const listKeys = listKeysFor(opts, type);
  const me = {
    manager,
    operation: 'Apply' as const,
    apiVersion: opts.apiVersion ?? type.apiVersion,
    subresource: opts.subresource ?? '',
  };
  const myId = managerId(me);

  const appliedEntries = objectEntries(applied, listKeys);
  const appliedSet = FieldSet.fromEncoded(appliedEntries.keys());
  const liveEntries = live === undefined ? new Map<string, FieldEntry>() : objectEntries(live, listKeys, false);

  const managers = decodeManagedFields(live?.metadata?.managedFields);
  if (live !== undefined && managers.size === 0) {
    const fields = FieldSet.fromEncoded(liveEntries.keys());
    if (!fields.isEmpty()) {
      const seed: ManagedSet = {
        manager: BEFORE_FIRST_APPLY,
        operation: 'Update',
        apiVersion: live.apiVersion ?? me.apiVersion,
        subresource: '',
        time: undefined,
        fields,
      };
      managers.set(managerId(seed), seed);
    }
  }

  const changed = changedPaths(liveEntries, appliedEntries);
  const conflicts: ApplyConflict[] = [];
  for (const [id, m] of managers) {
    if (id === myId) continue;
    for (const path of m.fields.intersection(changed).paths()) {
      conflicts.push({ manager: m.manager, field: formatFieldPath(path), managerDescription: describeManager(m) });
    }
  }
  if (conflicts.length > 0 && opts.force !== true)
    return { ok: false, conflicts, message: applyConflictMessage(conflicts) };

  // With force, ownership of every changed field moves to the applier.
  let others = FieldSet.EMPTY;
  for (const [id, m] of managers) {
    if (id === myId) continue;
    const fields = m.fields.difference(changed);
    if (fields !== m.fields) managers.set(id, { ...m, fields });
    others = others.union(fields);
  }

  let object: unknown = mergeApplied(live, applied, listKeys);
  const previous = managers.get(myId);
  for (const path of (previous?.fields ?? FieldSet.EMPTY).difference(appliedSet).paths()) {
    if (!others.hasPathOrDescendant(path)) object = removePath(object, path);
  }

  const unchanged = previous?.fields.equals(appliedSet) && previous.apiVersion === me.apiVersion;
  managers.set(myId, { ...me, time: unchanged ? previous?.time : formatTime(opts.now), fields: appliedSet });
  const managedFields = encodeManagedFields(managers);
  return { ok: true, object: withManagedFields(object, managedFields), managedFields };
}

/**
 * Records a non-apply write (create, update, patch) in managedFields (an `Update` entry): the
 * manager takes ownership of every field it added or changed, and every other manager loses
 * those fields and the ones the write removed. Returns the new managedFields; put them on the
 * stored object.
 *
 * @remarks Pure. The manager's entry keeps its old `time` when its field set did not change.
 * @example
 * ```ts
 * import type { KubeObject } from 'kloop';
 *
 * declare const live: KubeObject; // before the write
 * const stored: KubeObject = { ...live, metadata: { ...live.metadata }, data: { a: '2' } }; // after it
 * stored.metadata.managedFields = recordUpdate(live, stored, 'kubectl-edit', { apiVersion: 'v1' });
 * ```
 */
export function recordUpdate(
  live: KubeObject | undefined,
  updated: KubeObject,
  manager: string,
  options: FieldManagerOptions = {},
): ManagedFieldsEntry[] {
  const type = { apiVersion: updated.apiVersion ?? live?.apiVersion ?? '', kind: updated.kind ?? live?.kind ?? '' };
  const listKeys = listKeysFor(options, type);
  const me = {
    manager,
    operation: 'Update' as const,
    apiVersion: options.apiVersion ?? type.apiVersion,
    subresource: options.subresource ?? '',
  };
  const myId = managerId(me);
  const before = live === undefined ? new Map<string, FieldEntry>() : objectEntries(live, listKeys, false);
  const after = objectEntries(updated, listKeys, false);
  const changed = changedPaths(before, after);
  const removed = FieldSet.fromEncoded([...before.keys()].filter((k) => !after.has(k)));
  const managers = decodeManagedFields(live?.metadata?.managedFields);
  for (const [id, m] of managers) {
    if (id === myId) continue;
    const fields = m.fields.difference(changed).difference(removed);
    if (fields !== m.fields) managers.set(id, { ...m, fields });
  }
  const previous = managers.get(myId);
  const mine = (previous?.fields ?? FieldSet.EMPTY).union(changed).difference(removed);
  const unchanged = previous?.fields.equals(mine);
  managers.set(myId, { ...me, time: unchanged ? previous?.time : formatTime(options.now), fields: mine });
  return encodeManagedFields(managers);
}

/** The field set an object sets, for built-ins by the strategic merge table (see {@link fieldSetOf}). */
export function fieldSetOfObject(obj: KubeObject, listKeys?: ListKeysFn): FieldSet {
  const type = { apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '' };
  return fieldSetOf(obj, listKeys ?? ((path) => strategicListType(type, path)));
}
