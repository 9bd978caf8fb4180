/**
 * The emulated cluster's state and write path: storage, served types, watch hub and faults,
 * and the create / update / delete operations every handler funnels into. Each operation runs
 * from reading the current object to committing the new one without an `await`, so concurrent
 * requests can never interleave inside it (optimistic concurrency needs no locks here).
 *
 * Reactions to committed changes live in their own files: namespace lifecycle
 * (`namespaces.ts`), CRD registration (`crds.ts`) and garbage collection
 * (`garbage-collector.ts`); they see the cluster through {@link ClusterAccess} and run deferred
 * (`defer`), after the write that caused them has answered.
 */
import { type Clock, deepClone, deepEqual, type KubeObject, keyString, systemClock } from '../../core/index.js';
import { checkNamespaceWritable } from '../admission/namespace-lifecycle.js';
import { alreadyExists, conflict, deletedStatus, invalid, notFound } from '../errors/status-errors.js';
import type { FaultSet } from '../faults/fault-set.js';
import { sizeViolations } from '../limits/object-size.js';
import { refOf, resourceNames, type ServedType, type ServedTypes } from '../served/served-types.js';
import { isStored, type ResourceStore, type Storage, type StoredEvent, type StoredObject } from '../storage/store.js';
import type { WatchHub } from '../storage/watch-hub.js';
import { mergeSecretStringData, validateCreate, validateUpdate } from '../validation/built-ins.js';
import { afterCrdCommit, afterCustomResourceRemoved, isCrdType, prepareCrdCreate, prepareCrdUpdate } from './crds.js';
import { FOREGROUND_FINALIZER, GarbageCollector, ORPHAN_FINALIZER } from './garbage-collector.js';
import { pendingGrace, podGracePeriod, startGracefulDeletion } from './graceful-deletion.js';
import { recordManagedFields, setManagedFields } from './managed-fields.js';
import { afterNamespacedCommit } from './namespaces.js';
import {
  checkPrecondition,
  generateName,
  prepareCreate,
  prepareUpdate,
  readyToRemove,
  startDeletion,
} from './strategy.js';
import type {
  AdmissionHook,
  ClusterAccess,
  ClusterSettings,
  DeletePreconditions,
  PropagationPolicy,
  ResourceConverter,
  WriteOptions,
  WriteResult,
} from './types.js';

/** The stored form of an object in a served version's form (custom resources: with the storage defaults). */
function toStorage(served: ServedType, obj: KubeObject): KubeObject {
  if (!served.conversion) return obj;
  const schema = served.customSchema;
  if (!schema) return served.conversion.toStorage(obj);
  // A private copy: the converted object may share values with the stored one, which is frozen.
  const stored = deepClone(served.conversion.toStorage(obj));
  schema.applyStorageDefaults(stored);
  return stored;
}

/** A stored object in a served version's form. */
function fromStorage(served: ServedType, obj: KubeObject): KubeObject {
  return served.conversion ? served.conversion.fromStorage(obj) : obj;
}

/** `Warning` texts, or nothing when there are none. */
function withWarnings(result: WriteResult, warnings: readonly string[]): WriteResult {
  return warnings.length === 0 ? result : { ...result, warnings: [...(result.warnings ?? []), ...warnings] };
}

/** The emulated cluster. */
export class Cluster implements ClusterAccess {
  /** Deferred reactions (namespace and CRD cleanup) that must not run inside a write. */
  private readonly pending = new Map<string, () => void>();
  private pendingScheduled = false;
  private stopped = false;
  /** Timed reactions (`later`): end of grace periods, absent-owner checks. */
  private readonly timers = new Map<string, () => void>();
  /** The garbage collector (owner references). */
  readonly gc: GarbageCollector;
  /** In-process conversion between the versions of a CRD, by CRD name (`startApiServer({ resources })`). */
  readonly converters = new Map<string, ResourceConverter>();
  /**
   * Admission steps run on every create and update before the object is stored: the mutating
   * admission of the built-in controllers (defaults, Service IP allocation, the ServiceAccount
   * plugin) and the secure mode's RBAC escalation checks (which look only at requests).
   */
  readonly admission: AdmissionHook[] = [];
  /** Wall-clock milliseconds at the clock's origin: timestamps follow the (possibly manual) clock. */
  private readonly wallOrigin: number;

  constructor(
    readonly storage: Storage,
    readonly types: ServedTypes,
    readonly hub: WatchHub,
    readonly faults: FaultSet,
    readonly random: () => number,
    readonly settings: ClusterSettings = {},
    readonly clock: Clock = systemClock,
  ) {
    this.gc = new GarbageCollector(this);
    this.wallOrigin = Date.now() - clock.now();
  }

  /** Wall-clock time (epoch milliseconds) as the cluster's clock tells it. */
  now(): number {
    return this.wallOrigin + this.clock.now();
  }

  /** The store of a served type. */
  store(served: ServedType): ResourceStore {
    return this.storage.resource(served.storeId);
  }

  /** The served type of a storage id (any version), for cleanup across resources. */
  servedByStoreId(storeId: string): ServedType | undefined {
    for (const served of this.types.all()) if (served.storeId === storeId) return served;
    return undefined;
  }

  /**
   * Creates `obj` (owned by the caller, in the served version's form) in its namespace. Custom
   * resources are pruned, defaulted and validated in that version, then stored in the storage
   * version.
   */
  create(served: ServedType, obj: KubeObject, options: WriteOptions = {}): WriteResult {
    const meta = obj.metadata;
    if ((meta.name === undefined || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName) {
      meta.name = generateName(meta.generateName, this.random);
    }
    mergeSecretStringData(served, obj);
    const schema = served.customSchema;
    const warnings = schema ? schema.decode(obj, options.fieldValidation) : [];
    prepareCreate(obj, served, this.random, this.now());
    for (const hook of this.admission) hook(served, obj, undefined, options);
    const ns = served.type.namespaced ? obj.metadata.namespace : undefined;
    // Namespace lifecycle is admission upstream, so its refusal comes before validation's.
    if (ns !== undefined) checkNamespaceWritable(this.storage, served, String(obj.metadata.name ?? ''), ns);
    validateCreate(served, obj);
    if (schema) warnings.push(...schema.validateCreate(obj));
    if (isCrdType(served)) prepareCrdCreate(obj);
    if (options.manager !== undefined) {
      setManagedFields(obj, recordManagedFields(served, undefined, obj, options.manager, undefined));
    }
    const key = keyString({ namespace: ns, name: String(obj.metadata.name) });
    const store = this.store(served);
    if (store.get(key)) throw alreadyExists(refOf(served), String(obj.metadata.name));
    const stored = toStorage(served, obj);
    if (options.dryRun) return withWarnings({ code: 201, body: stored }, warnings);
    const event = store.put(key, stored);
    this.afterCommit(served, event);
    return withWarnings({ code: 201, body: event.object }, warnings);
  }

  /** Gets the stored object or throws 404. */
  getOrThrow(served: ServedType, namespace: string | undefined, name: string): StoredObject {
    const stored = this.store(served).get(
      keyString({ namespace: served.type.namespaced ? namespace : undefined, name }),
    );
    if (!stored) throw notFound(refOf(served), name);
    return stored;
  }

  /**
   * Updates from a full object in the served version's form (PUT, and PATCH after the patch was
   * applied to a copy of `current`). Stale resourceVersion: 409; identical result: no write, same
   * resourceVersion. Custom resources are pruned, defaulted and validated (ratcheted against the
   * current object) in that version.
   */
  update(
    served: ServedType,
    current: StoredObject,
    incoming: KubeObject,
    subresource: string | undefined,
    options: WriteOptions = {},
  ): WriteResult {
    const name = String(current.object.metadata.name);
    // Injected conflicts hit requests (which name their verb), never the cluster's own writes.
    if (options.verb !== undefined && this.faults.conflictFor(options.verb, resourceNames(served))) {
      throw conflict(refOf(served), name);
    }
    checkPrecondition(incoming, current.object, served);
    const schema = served.customSchema;
    const warnings = schema ? schema.decode(incoming, options.fieldValidation) : [];
    // A write that sets managedFields itself (e.g. to reset them) keeps what it sent.
    const ownFields =
      incoming.metadata.managedFields !== undefined &&
      !deepEqual(incoming.metadata.managedFields, current.object.metadata.managedFields);
    const old = fromStorage(served, current.object);
    // Defaulting and mutating admission come before the update strategy, as decoding and
    // admission do upstream: a field the update left out and the defaults put back is no change.
    mergeSecretStringData(served, incoming);
    for (const hook of this.admission) hook(served, incoming, old, options);
    const next = prepareUpdate(incoming, old, served, subresource);
    if (subresource === undefined) validateUpdate(served, next, old);
    else checkSizes(served, next);
    if (schema) warnings.push(...schema.validateUpdate(next, old, subresource));
    if (isCrdType(served)) prepareCrdUpdate(next, current.object);
    if (options.manager !== undefined && !ownFields) {
      setManagedFields(next, recordManagedFields(served, old, next, options.manager, subresource));
    }
    return withWarnings(this.commitUpdate(served, current, toStorage(served, next), options), warnings);
  }

  /** Stores `next` in place of `current` unless nothing changed; removes it when it finished deleting. */
  commitUpdate(served: ServedType, current: StoredObject, next: KubeObject, options: WriteOptions = {}): WriteResult {
    if (deepEqual(next, current.object)) return { code: 200, body: current };
    if (options.dryRun) return { code: 200, body: next };
    const store = this.store(served);
    if (readyToRemove(next)) {
      // The last finalizer is gone: the object goes away now (watchers see DELETED).
      const event = store.put(current.key, next);
      this.afterCommit(served, event);
      const removed = store.remove(current.key);
      if (removed) this.afterCommit(served, removed);
      return { code: 200, body: event.object };
    }
    const event = store.put(current.key, next);
    this.afterCommit(served, event);
    return { code: 200, body: event.object };
  }

  /**
   * Deletes an object: with finalizers it starts deletion (200 with the object, idempotent),
   * without it is removed (the object for custom resources, a Success Status for built-ins).
   * `Foreground` and `Orphan` add their finalizer first; the garbage collector finishes them.
   */
  delete(
    served: ServedType,
    current: StoredObject,
    preconditions: DeletePreconditions = {},
    options: WriteOptions = {},
    policy: PropagationPolicy = 'Background',
  ): WriteResult {
    const obj = current.object;
    const name = String(obj.metadata.name);
    if (preconditions.uid !== undefined && preconditions.uid !== obj.metadata.uid) {
      throw conflict(
        refOf(served),
        name,
        `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${String(obj.metadata.uid)}`,
      );
    }
    if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== obj.metadata.resourceVersion) {
      throw conflict(
        refOf(served),
        name,
        `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${String(obj.metadata.resourceVersion)}`,
      );
    }
    const policyFinalizer =
      policy === 'Foreground' ? FOREGROUND_FINALIZER : policy === 'Orphan' ? ORPHAN_FINALIZER : undefined;
    const grace = podGracePeriod(served, obj, options.gracePeriodSeconds);
    const pending = pendingGrace(obj);
    if (pending > 0) {
      // Repeated DELETE of a pod in its grace period: only a shorter grace changes anything.
      return grace < pending ? this.shortenGrace(served, current, grace, options) : { code: 200, body: current };
    }
    if (grace > 0 && obj.metadata.deletionTimestamp === undefined) {
      const next = withFinalizer(startGracefulDeletion(obj, grace, this.now()), policyFinalizer);
      if (options.dryRun) return { code: 200, body: next };
      const event = this.store(served).put(current.key, next);
      this.afterCommit(served, event);
      this.armGrace(served, event.object, grace);
      return { code: 200, body: event.object };
    }
    if (
      (obj.metadata.finalizers ?? []).length > 0 ||
      policyFinalizer !== undefined ||
      (isNamespace(served) && obj.metadata.deletionTimestamp === undefined)
    ) {
      if (obj.metadata.deletionTimestamp !== undefined) return { code: 200, body: current };
      const next = withFinalizer(startDeletion(obj, this.now()), policyFinalizer);
      if (options.dryRun) return { code: 200, body: next };
      const event = this.store(served).put(current.key, next);
      this.afterCommit(served, event);
      return { code: 200, body: event.object };
    }
    if (options.dryRun) return { code: 200, body: this.deletedBody(served, current.object) };
    const event = this.store(served).remove(current.key);
    if (!event) throw notFound(refOf(served), name);
    this.afterCommit(served, event);
    return { code: 200, body: served.returnsDeletedObject ? event.object : this.deletedBody(served, obj) };
  }

  /**
   * A DELETE with a shorter grace than the pending one: the deletion moves closer (grace 0 is
   * the kubelet's final deletion, which removes the object unless finalizers hold it).
   */
  private shortenGrace(served: ServedType, current: StoredObject, grace: number, options: WriteOptions): WriteResult {
    const next =
      grace > 0 ? startGracefulDeletion(current.object, grace, this.now()) : (JSON.parse(current.json) as KubeObject);
    if (grace === 0) next.metadata.deletionGracePeriodSeconds = 0;
    const result = this.commitUpdate(served, current, next, options);
    if (!options.dryRun && grace > 0 && isStored(result.body)) this.armGrace(served, result.body, grace);
    return result;
  }

  /**
   * Ends the grace period of `stored` after `grace` full seconds (the timestamp is truncated to
   * seconds; the kubelet waits the whole grace), in place of the kubelet the emulator lacks.
   */
  private armGrace(served: ServedType, stored: StoredObject, grace: number): void {
    const uid = stored.object.metadata.uid;
    this.later(`grace/${served.storeId}/${stored.key}`, grace * 1000, () => {
      const now = this.store(served).get(stored.key);
      if (!now || now.object.metadata.uid !== uid || pendingGrace(now.object) === 0) return;
      const next = JSON.parse(now.json) as KubeObject;
      next.metadata.deletionGracePeriodSeconds = 0;
      this.commitUpdate(served, now, next);
    });
  }

  /** Removes an object regardless of finalizers (namespace and CRD cleanup). */
  removeNow(served: ServedType, key: string): void {
    const event = this.store(served).remove(key);
    if (event) this.afterCommit(served, event);
  }

  /** Runs `fn` soon, once per `id`, outside any write in progress. */
  defer(id: string, fn: () => void): void {
    if (this.stopped) return;
    this.pending.set(id, fn);
    if (this.pendingScheduled) return;
    this.pendingScheduled = true;
    setImmediate(() => {
      this.pendingScheduled = false;
      const jobs = [...this.pending.values()];
      this.pending.clear();
      if (this.stopped) return;
      for (const job of jobs) job();
    });
  }

  /** Runs `fn` after `ms`, once per `id` (a new call replaces the old), until the cluster stops. */
  later(id: string, ms: number, fn: () => void): void {
    if (this.stopped) return;
    this.timers.get(id)?.();
    const cancel = this.clock.setTimer(() => {
      this.timers.delete(id);
      if (!this.stopped) fn();
    }, ms);
    this.timers.set(id, cancel);
  }

  /** Stops deferred and timed reactions (server shutdown). */
  stop(): void {
    this.stopped = true;
    this.pending.clear();
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  private deletedBody(served: ServedType, obj: KubeObject): Record<string, unknown> {
    const details: Record<string, unknown> = { name: obj.metadata.name };
    if (served.type.group !== '') details.group = served.type.group;
    details.kind = served.type.plural;
    details.uid = obj.metadata.uid;
    return deletedStatus(details) as unknown as Record<string, unknown>;
  }

  private afterCommit(served: ServedType, event: StoredEvent): void {
    this.gc.observe(served, event);
    if (isCrdType(served)) afterCrdCommit(this, event);
    else if (served.custom && event.type === 'DELETED') afterCustomResourceRemoved(this, served);
    afterNamespacedCommit(this, served, event);
  }
}

/**
 * 422 when annotations are over their limit (`limits/object-size.ts`) on a subresource write,
 * which skips the main resource's validation (that one reports sizes among its own causes).
 */
function checkSizes(served: ServedType, obj: KubeObject): void {
  const causes = sizeViolations(obj);
  if (causes.length > 0) throw invalid(refOf(served), String(obj.metadata.name ?? ''), causes);
}

/** `obj` with `finalizer` added (once); unchanged when there is none. */
function withFinalizer(obj: KubeObject, finalizer: string | undefined): KubeObject {
  if (finalizer !== undefined && !(obj.metadata.finalizers ?? []).includes(finalizer)) {
    obj.metadata.finalizers = [...(obj.metadata.finalizers ?? []), finalizer];
  }
  return obj;
}

function isNamespace(served: ServedType): boolean {
  return served.type.group === '' && served.type.plural === 'namespaces';
}
