/**
 * Server-side apply's bookkeeping on every write: the `Update` entry a non-apply write records
 * in managedFields, and how the lists of each type merge (the built-in strategic-merge table,
 * or the CRD's schema) for the SSA engine in `ssa/`.
 */
import { type KubeObject, type ManagedFieldsEntry, strategicListType } from '../../core/index.js';
import type { ServedType } from '../served/served-types.js';
import { type ListKeysFn, type ListSchema, listKeysFromSchema, recordUpdate } from '../ssa/index.js';

/**
 * The managedFields after a non-apply write by `manager` (an `Update` entry, server-side apply's
 * bookkeeping). Stored managedFields the engine cannot read are dropped rather than failing the write.
 */
export function recordManagedFields(
  served: ServedType,
  live: KubeObject | undefined,
  next: KubeObject,
  manager: string,
  subresource: string | undefined,
): ManagedFieldsEntry[] | undefined {
  const options = {
    apiVersion: served.type.apiVersion,
    listKeys: listKeysOf(served),
    ...(subresource !== undefined ? { subresource } : {}),
  };
  try {
    return recordUpdate(live, next, manager, options);
  } catch {
    try {
      return recordUpdate(undefined, next, manager, options);
    } catch {
      return undefined;
    }
  }
}

/** Sets managedFields; none (or an empty list, which the real server never shows) removes the field. */
export function setManagedFields(obj: KubeObject, entries: ManagedFieldsEntry[] | undefined): void {
  if (entries !== undefined && entries.length > 0) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
}

/** How lists of a type merge for server-side apply: built-in table, or the CRD schema. */
export function listKeysOf(served: ServedType): ListKeysFn {
  if (served.custom) {
    const schema = served.crdVersion?.schema;
    const open =
      schema !== null && typeof schema === 'object' ? (schema as Record<string, unknown>).openAPIV3Schema : undefined;
    return listKeysFromSchema(open !== null && typeof open === 'object' ? (open as ListSchema) : undefined);
  }
  const type = { apiVersion: served.type.apiVersion, kind: served.type.kind };
  return (path) => strategicListType(type, path);
}
