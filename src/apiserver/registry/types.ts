/**
 * The registry's interfaces: what a write answers and takes, and {@link ClusterAccess}, the part
 * of the cluster its reactions to committed changes (namespace lifecycle, CRD registration,
 * garbage collection) use. Those reactions depend on this interface, not on the `Cluster` class
 * that calls them, so the class and its reactions do not import each other.
 */
import type { Clock, KubeObject } from '../../core/index.js';
import type { FieldValidation, ServedType, ServedTypes } from '../served/served-types.js';

export type { FieldValidation };

import type { ResourceStore, Storage, StoredObject } from '../storage/store.js';
import type { Verb } from '../types.js';

/** What a write answers: an HTTP code and a stored object, a plain object, or a Status. */
export interface WriteResult {
  code: number;
  body: StoredObject | KubeObject | Record<string, unknown>;
  /** `Warning` header texts (fieldValidation=Warn). */
  warnings?: string[];
}

/** Options shared by write operations. */
export interface WriteOptions {
  dryRun?: boolean;
  /** The request's verb; unset for the cluster's own writes (controllers), which faults never hit. */
  verb?: Verb;
  /**
   * The field manager of a non-apply write: its `Update` entry is recorded in managedFields.
   * Undefined for server-side apply (the SSA engine already wrote managedFields) and internal writes.
   */
  manager?: string;
  /** Unknown fields of custom resources: refuse (Strict), warn (Warn, default) or drop silently. */
  fieldValidation?: FieldValidation;
  /** DELETE only: `DeleteOptions.gracePeriodSeconds` (pods honour it; see `graceful-deletion.ts`). */
  gracePeriodSeconds?: number;
}

/** Preconditions of DELETE (`DeleteOptions.preconditions`). */
export interface DeletePreconditions {
  uid?: string;
  resourceVersion?: string;
}

/** `DeleteOptions.propagationPolicy`. */
export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/**
 * Converts a custom resource to another version of its CRD in-process (what `startApiServer({
 * resources })` installs for a resource defined with `defineResource`); without one, versions
 * differ only in apiVersion (strategy None).
 */
export type ResourceConverter = (object: KubeObject, toVersion: string) => KubeObject;

/** Settings of the cluster's own reactions. */
export interface ClusterSettings {
  /** How long the garbage collector waits before collecting a dependent of absent owners. */
  absentOwnerGraceMs?: number;
}

/**
 * A mutating admission step: changes `obj` (the object about to be stored; `old` is the stored
 * one on updates) or throws a StatusError to refuse the write.
 */
export type AdmissionHook = (
  served: ServedType,
  obj: KubeObject,
  old: KubeObject | undefined,
  options: WriteOptions,
) => void;

/**
 * The cluster as its reactions see it: the stores and served types to read, the write path
 * (with every lifecycle rule a request gets) to change objects, and a way to run work after the
 * write in progress has answered.
 */
export interface ClusterAccess {
  readonly storage: Storage;
  readonly types: ServedTypes;
  readonly settings: ClusterSettings;
  /** In-process conversion between the versions of a CRD, by CRD name. */
  readonly converters: ReadonlyMap<string, ResourceConverter>;
  /** The clock every timer of the cluster runs on (a `ManualClock` in tests). */
  readonly clock: Clock;
  /** Wall-clock time (epoch milliseconds) as {@link ClusterAccess.clock} tells it. */
  now(): number;
  /** The store of a served type. */
  store(served: ServedType): ResourceStore;
  /** The served type of a storage id (any version), for cleanup across resources. */
  servedByStoreId(storeId: string): ServedType | undefined;
  /** Creates `obj` (owned by the caller). */
  create(served: ServedType, obj: KubeObject, options?: WriteOptions): WriteResult;
  /** Stores `next` in place of `current` unless nothing changed; removes it when it finished deleting. */
  commitUpdate(served: ServedType, current: StoredObject, next: KubeObject, options?: WriteOptions): WriteResult;
  /** Deletes an object as a DELETE request would (finalizers, grace, propagation). */
  delete(
    served: ServedType,
    current: StoredObject,
    preconditions?: DeletePreconditions,
    options?: WriteOptions,
    policy?: PropagationPolicy,
  ): WriteResult;
  /** Removes an object regardless of finalizers. */
  removeNow(served: ServedType, key: string): void;
  /** Runs `fn` soon, once per `id`, outside any write in progress. */
  defer(id: string, fn: () => void): void;
  /** Runs `fn` after `ms`, once per `id` (a new call replaces the old), until the cluster stops. */
  later(id: string, ms: number, fn: () => void): void;
}
