/**
 * `metadata.managedFields`: decoding entries into manager identities with field sets, and
 * encoding them back. A manager's identity is what Kubernetes' `BuildManagerIdentifier` keeps:
 * name, operation, subresource, and (for Update only) apiVersion; never the time.
 */
import type { ManagedFieldsEntry } from '../../core/index.js';
import { FieldSet, FieldSetError } from './field-set.js';

/** One manager's ownership, decoded. */
export interface ManagedSet {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  readonly apiVersion: string;
  readonly subresource: string;
  readonly time: string | undefined;
  readonly fields: FieldSet;
}

/** The identity key of a manager (Go: `BuildManagerIdentifier`). */
export function managerId(m: Pick<ManagedSet, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  const version = m.operation === 'Update' ? m.apiVersion : '';
  return JSON.stringify([m.manager, m.operation, version, m.subresource]);
}

/**
 * How Kubernetes names a manager in conflict messages (`printManager`): `"mgr"` for an
 * applier, `"mgr" using v1` for an Update, with ` with subresource "status"` when set.
 */
export function describeManager(m: Pick<ManagedSet, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource !== '') s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/**
 * Decodes `managedFields` into a map from identity to ownership. Entries for the same identity
 * merge (Kubernetes never writes two, but clients may send them).
 *
 * @throws FieldSetError (`KLOOP_INVALID_FIELDS`) for entries without a manager or operation, or
 * with malformed `fieldsV1`.
 */
export function decodeManagedFields(entries: readonly ManagedFieldsEntry[] | undefined): Map<string, ManagedSet> {
  const out = new Map<string, ManagedSet>();
  for (const e of entries ?? []) {
    if (e.operation !== 'Apply' && e.operation !== 'Update') {
      throw new FieldSetError(
        `managedFields entry for ${JSON.stringify(e.manager)} has invalid operation ${JSON.stringify(e.operation)}`,
      );
    }
    if (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1') {
      throw new FieldSetError(
        `managedFields entry for ${JSON.stringify(e.manager)} has invalid fieldsType ${JSON.stringify(e.fieldsType)}`,
      );
    }
    const set: ManagedSet = {
      manager: e.manager ?? '',
      operation: e.operation,
      apiVersion: e.apiVersion ?? '',
      subresource: e.subresource ?? '',
      time: e.time,
      fields: FieldSet.fromFieldsV1(e.fieldsV1 ?? {}),
    };
    const id = managerId(set);
    const prev = out.get(id);
    out.set(id, prev === undefined ? set : { ...set, fields: prev.fields.union(set.fields) });
  }
  return out;
}

/** Encodes ownership back to entries, in map order, dropping managers that own nothing. */
export function encodeManagedFields(sets: ReadonlyMap<string, ManagedSet>): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const s of sets.values()) {
    if (s.fields.isEmpty()) continue;
    const e: ManagedFieldsEntry = { manager: s.manager, operation: s.operation, apiVersion: s.apiVersion };
    if (s.time !== undefined) e.time = s.time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = s.fields.toFieldsV1();
    if (s.subresource !== '') e.subresource = s.subresource;
    out.push(e);
  }
  return out;
}

/** A `metav1.Time`: RFC 3339 in UTC with seconds precision (`2024-01-02T03:04:05Z`). */
export function formatTime(now: Date | string | undefined): string {
  if (typeof now === 'string') return now;
  return `${(now ?? new Date()).toISOString().slice(0, 19)}Z`;
}
