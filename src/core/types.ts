/**
 * The shapes every layer shares: Kubernetes objects as wire JSON, object keys, resource types.
 * Nothing here does I/O.
 */

/** `metadata.ownerReferences[]` of a Kubernetes object. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** One `metadata.managedFields[]` entry (server-side apply field ownership). */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** `ObjectMeta`, with the fields kloop reads. Unknown fields are kept as they came. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: readonly string[];
  ownerReferences?: readonly OwnerReference[];
  managedFields?: readonly ManagedFieldsEntry[];
  [field: string]: unknown;
}

/**
 * A Kubernetes object as its wire JSON, untyped beyond its metadata: what a plain
 * `{ apiVersion, kind }` reads as. For typed objects use the built-in constants (`Deployment` is
 * also the type of a Deployment object) or `defineResource`; an object type of your own fits when
 * it is a type alias or an interface extending this one.
 */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A list as the API server returns it. */
export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

/** Names one object: `{ namespace?, name }`. Cluster-scoped objects have no namespace. */
export interface ObjectKey {
  namespace?: string;
  name: string;
}

/** How the public API names a type: `{ apiVersion: 'apps/v1', kind: 'Deployment' }`. */
export interface TypeRef {
  apiVersion: string;
  kind: string;
}

/** A resource type: everything needed to build its URLs and describe it in discovery. */
export interface ResourceType extends TypeRef {
  /** API group, '' for the core group. */
  group: string;
  version: string;
  /** Lower-case plural, the URL segment: `deployments`. */
  plural: string;
  singular: string;
  namespaced: boolean;
  /** e.g. `['status', 'scale']`. */
  subresources: readonly string[];
  shortNames?: readonly string[];
  categories?: readonly string[];
  listKind: string;
}

/** A watch event as it comes off the wire. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/**
 * One cause in a `Status`'s details (`metav1.StatusCause`). Go names the kind of cause `Type`,
 * but it travels as `reason` in JSON and protobuf, and that is the name here.
 */
export interface StatusCause {
  /** The kind of cause, e.g. `FieldValueInvalid`, `FieldManagerConflict`, `ResourceVersionTooLarge`. */
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}
