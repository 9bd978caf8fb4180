/**
 * The contract of the server-side apply engine: what the emulator hands in and gets back.
 */
import type { KubeObject, ListType, ManagedFieldsEntry, TypeRef } from '../../core/index.js';

export type { ListType };

/**
 * Answers how the list at `path` merges. `path` is field names from the object's root, without
 * list indices or keys: containers' env is `['spec', 'containers', 'env']`.
 */
export type ListKeysFn = (path: readonly string[]) => ListType;

/** One field another manager owns with a different value than the applier's. */
export interface ApplyConflict {
  /** The other manager's name (`managedFields[].manager`). */
  readonly manager: string;
  /** The conflicting field as Kubernetes prints it: `.data.a`, `.spec.containers[name="app"].image`. */
  readonly field: string;
  /** How Kubernetes names the manager in messages: `"mgr"`, or `"mgr" using v1` for an Update. */
  readonly managerDescription: string;
}

/** Options shared by apply and update recording. */
export interface FieldManagerOptions {
  /** apiVersion the request used; defaults to the object's. */
  apiVersion?: string;
  /** `'status'`, `'scale'`, ... for writes to a subresource. */
  subresource?: string;
  /** How lists merge; defaults to the built-in table (`strategicListType`) for the object's type. */
  listKeys?: ListKeysFn;
  /** Timestamp recorded in managedFields entries; defaults to the current time. */
  now?: Date | string;
}

/** Input of {@link applyServerSide}. */
export interface ApplyOptions extends FieldManagerOptions {
  /** The stored object, or undefined when the apply creates it. */
  live: KubeObject | undefined;
  /** The applied configuration (the request body, parsed). Must not carry managedFields. */
  applied: KubeObject;
  /** `fieldManager` query parameter. */
  manager: string;
  /** `force=true`: take ownership of conflicting fields instead of failing. */
  force?: boolean;
  /** The type, when listKeys is not given and the object lacks apiVersion/kind. */
  type?: TypeRef;
  /**
   * Fields this endpoint resets (Kubernetes' `ResetFieldsStrategy`), by field-name path:
   * e.g. `status` on the main resource of a type with a status subresource, everything but
   * `status` on `/status`. They are dropped from the applied configuration: not merged, not owned.
   */
  ignoreFields?: (path: readonly string[]) => boolean;
}

/** What {@link applyServerSide} returns. */
export type ApplyResult =
  | {
      readonly ok: true;
      /** The new object, `metadata.managedFields` included. The inputs are not mutated. */
      readonly object: KubeObject;
      readonly managedFields: ManagedFieldsEntry[];
    }
  | {
      readonly ok: false;
      readonly conflicts: readonly ApplyConflict[];
      /** Kubernetes' message: `Apply failed with 1 conflict: conflict with "mgr" using v1: .data.a`. */
      readonly message: string;
    };
