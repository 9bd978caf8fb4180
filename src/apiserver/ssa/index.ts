/**
 * Server-side apply for the API server emulator: a pure engine, no HTTP and no storage.
 *
 * - {@link applyServerSide}: PATCH `application/apply-patch+yaml`. Merges the applied
 *   configuration into the live object, tracks field ownership in `managedFields`, reports
 *   conflicts (turn them into the 409 with {@link applyConflictStatus}) or, with `force`, takes
 *   the fields over.
 * - {@link recordUpdate}: every other write (create, PUT, JSON/merge/strategic patch) records
 *   an `Update` entry: the writer owns what it changed, others lose it.
 * - {@link FieldSet}: FieldsV1 parsing, serialization and set algebra; {@link fieldSetOf}
 *   computes the fields an object sets.
 * - List semantics come from a {@link ListKeysFn}: the strategic merge table for built-ins
 *   (the default), {@link listKeysFromSchema} for custom resources.
 *
 * Semantics follow https://kubernetes.io/docs/reference/using-api/server-side-apply/ and
 * sigs.k8s.io/structured-merge-diff (through `k8s.io/apimachinery/pkg/util/managedfields`),
 * simplified: one field set per manager identity, no version conversion, maps owned member by
 * member (never as a whole).
 */

export {
  applyConflictMessage,
  applyConflictStatus,
  applyServerSide,
  BEFORE_FIRST_APPLY,
  fieldSetOfObject,
  recordUpdate,
} from './apply.js';
export {
  type FieldPath,
  FieldSet,
  FieldSetError,
  fieldElement,
  formatFieldPath,
  keyElement,
  type PathElement,
  valueElement,
} from './field-set.js';
export {
  decodeManagedFields,
  describeManager,
  encodeManagedFields,
  formatTime,
  type ManagedSet,
  managerId,
} from './managed-fields.js';
export { ApplyInvalidError, fieldSetOf, mergeApplied, removePath, withoutFields } from './object-fields.js';
export { type ListSchema, listKeysFromSchema } from './schema.js';
export type { ApplyConflict, ApplyOptions, ApplyResult, FieldManagerOptions, ListKeysFn, ListType } from './types.js';
