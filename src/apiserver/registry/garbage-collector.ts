/**
 * Garbage collection (kube-controller-manager's `pkg/controller/garbagecollector`): what its
 * garbage collector does, run right after each write instead of by a controller.
 *
 * - Background (the default): the owner goes at once; then each dependent whose owners are all
 *   gone is deleted (recursively, as its own deletion is seen), and one with other live owners only
 *   loses the dangling reference.
 * - Foreground: the owner gets the `foregroundDeletion` finalizer; its dependents are deleted
 *   (in foreground too) and the finalizer goes once no dependent with `blockOwnerDeletion` is left.
 * - Orphan: the owner gets the `orphan` finalizer; dependents lose their references to it, then
 *   the finalizer goes.
 *
 * Dependents are found through an index from owner uid to dependents, kept up to date on every
 * committed change, so a deletion costs O(its dependents), never a scan of the store.
 *
 * Absent owners: an object written with references to owners that do not exist (never did, or
 * were deleted before the write) is looked at again after `absentOwnerGraceMs`. If none of its
 * owners exists then, it is deleted; if some do, the dangling references are removed, as the
 * real collector does after its live lookup of the owner. A reference to a kind the server does
 * not serve counts as alive (the real collector cannot resolve it and keeps retrying).
 */
import { type KubeObject, keyString, type OwnerReference } from '../../core/index.js';
import type { ServedType } from '../served/served-types.js';
import type { StoredEvent, StoredObject } from '../storage/store.js';
import type { ClusterAccess } from './types.js';

/** Finalizer of a foreground deletion. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
/** Finalizer of an orphaning deletion. */
export const ORPHAN_FINALIZER = 'orphan';

const SEP = '\u0001';

function refsOf(obj: KubeObject | undefined): OwnerReference[] {
  const refs = obj?.metadata.ownerReferences;
  return Array.isArray(refs) ? refs : [];
}

/** The garbage collector: the dependents index and the reactions to deletions. */
export class GarbageCollector {
  /** owner uid -> `storeId SEP key` of its dependents. */
  private readonly dependents = new Map<string, Set<string>>();

  constructor(private readonly cluster: ClusterAccess) {}

  /** Reacts to a committed change (called by the cluster for every event). */
  observe(served: ServedType, event: StoredEvent): void {
    this.index(served, event);
    const obj = event.object.object;
    const uid = String(obj.metadata.uid ?? '');
    if (event.type === 'DELETED') {
      if (this.dependents.has(uid)) this.cluster.defer(`gc/${uid}`, () => this.collect(uid));
      // A foreground owner waits for its dependents: re-check it when one goes.
      for (const ref of refsOf(obj)) this.cluster.defer(`gc-fg/${ref.uid}`, () => this.foreground(ref, obj));
      return;
    }
    if (obj.metadata.deletionTimestamp === undefined) {
      if (this.refsChanged(event) && this.dangling(obj).length > 0) {
        const key = event.object.key;
        const delay = this.cluster.settings.absentOwnerGraceMs ?? 1000;
        this.cluster.later(`gc-absent/${served.storeId}${SEP}${key}`, delay, () => this.collectAbsent(served, key));
      }
      return;
    }
    const finalizers = obj.metadata.finalizers ?? [];
    if (finalizers.includes(ORPHAN_FINALIZER))
      this.cluster.defer(`gc-orphan/${uid}`, () => this.orphan(served, event.object.key));
    if (finalizers.includes(FOREGROUND_FINALIZER)) {
      this.cluster.defer(`gc-fg-start/${uid}`, () => this.startForeground(served, event.object.key));
    }
  }

  private refsChanged(event: StoredEvent): boolean {
    const after = refsOf(event.object.object);
    if (after.length === 0) return false;
    if (event.type === 'ADDED' || !event.prev) return true;
    const before = refsOf(event.prev.object);
    return before.length !== after.length || before.some((r, i) => r.uid !== after[i].uid);
  }

  /** References of `obj` whose owner is a served kind with no live object of that uid. */
  private dangling(obj: KubeObject): OwnerReference[] {
    return refsOf(obj).filter(
      (r) => this.cluster.types.byTypeRef(r.apiVersion, r.kind) !== undefined && this.ownerOf(r, obj) === undefined,
    );
  }

  /** The grace after a write with absent owners ended: delete the object, or drop the dangling refs. */
  private collectAbsent(served: ServedType, key: string): void {
    const stored = this.cluster.store(served).get(key);
    if (!stored || stored.object.metadata.deletionTimestamp !== undefined) return;
    const dangling = new Set(this.dangling(stored.object).map((r) => r.uid));
    if (dangling.size === 0) return;
    try {
      if (refsOf(stored.object).every((r) => dangling.has(r.uid)))
        this.cluster.delete(served, stored, {}, {}, 'Background');
      else this.detach(served, stored, (r) => dangling.has(r.uid));
    } catch {
      // A racing write wins; its own event schedules a new check if references still dangle.
    }
  }

  private index(served: ServedType, event: StoredEvent): void {
    const before = event.prev ? refsOf(event.prev.object) : [];
    const after = event.type === 'DELETED' ? [] : refsOf(event.object.object);
    if (before.length === 0 && after.length === 0) return;
    const id = `${served.storeId}${SEP}${event.key}`;
    const keep = new Set(after.map((r) => r.uid));
    for (const r of before) {
      if (keep.has(r.uid)) continue;
      const set = this.dependents.get(r.uid);
      set?.delete(id);
      if (set?.size === 0) this.dependents.delete(r.uid);
    }
    for (const r of after) {
      let set = this.dependents.get(r.uid);
      if (!set) {
        set = new Set();
        this.dependents.set(r.uid, set);
      }
      set.add(id);
    }
  }

  private dependentsOf(uid: string): { served: ServedType; stored: StoredObject }[] {
    const out: { served: ServedType; stored: StoredObject }[] = [];
    for (const id of this.dependents.get(uid) ?? []) {
      const [storeId, key] = id.split(SEP);
      const served = this.cluster.servedByStoreId(storeId);
      const stored = served ? this.cluster.store(served).get(key) : undefined;
      if (served && stored) out.push({ served, stored });
    }
    return out;
  }

  /** The live owner a reference points to (same uid), if any. */
  private ownerOf(ref: OwnerReference, dependent: KubeObject): StoredObject | undefined {
    const served = this.cluster.types.byTypeRef(ref.apiVersion, ref.kind);
    if (!served) return undefined;
    const ns = served.type.namespaced ? dependent.metadata.namespace : undefined;
    const stored = this.cluster.store(served).get(keyString({ namespace: ns, name: ref.name }));
    return stored?.object.metadata.uid === ref.uid ? stored : undefined;
  }

  /** Background: the owner `uid` is gone; delete or detach its dependents. */
  private collect(uid: string): void {
    for (const { served, stored } of this.dependentsOf(uid)) {
      const refs = refsOf(stored.object);
      const alive = refs.filter((r) => r.uid !== uid && this.ownerOf(r, stored.object) !== undefined);
      try {
        if (alive.length > 0) this.detach(served, stored, (r) => r.uid === uid);
        else this.cluster.delete(served, stored, {}, {}, 'Background');
      } catch {
        // A failed delete (e.g. a racing write) is retried when the next event comes; never crash.
      }
    }
  }

  private detach(served: ServedType, stored: StoredObject, drop: (r: OwnerReference) => boolean): void {
    const next = JSON.parse(stored.json) as KubeObject;
    const refs = refsOf(next).filter((r) => !drop(r));
    if (refs.length > 0) next.metadata.ownerReferences = refs;
    else delete next.metadata.ownerReferences;
    this.cluster.commitUpdate(served, stored, next);
  }

  private removeFinalizer(served: ServedType, key: string, finalizer: string): void {
    const stored = this.cluster.store(served).get(key);
    if (!stored || !(stored.object.metadata.finalizers ?? []).includes(finalizer)) return;
    const next = JSON.parse(stored.json) as KubeObject;
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    this.cluster.commitUpdate(served, stored, next);
  }

  /** Orphan: strip references to the owner from its dependents, then let it go. */
  private orphan(served: ServedType, key: string): void {
    const owner = this.cluster.store(served).get(key);
    if (!owner) return;
    const uid = String(owner.object.metadata.uid);
    for (const dep of this.dependentsOf(uid)) this.detach(dep.served, dep.stored, (r) => r.uid === uid);
    this.removeFinalizer(served, key, ORPHAN_FINALIZER);
  }

  /** Foreground: delete the dependents (in foreground), then finish if nothing blocks. */
  private startForeground(served: ServedType, key: string): void {
    const owner = this.cluster.store(served).get(key);
    if (!owner) return;
    const uid = String(owner.object.metadata.uid);
    for (const dep of this.dependentsOf(uid)) {
      if (dep.stored.object.metadata.deletionTimestamp !== undefined) continue;
      try {
        this.cluster.delete(dep.served, dep.stored, {}, {}, 'Foreground');
      } catch {
        // Retried on the next event.
      }
    }
    this.finishForeground(served, key);
  }

  private foreground(ref: OwnerReference, dependent: KubeObject): void {
    const owner = this.ownerOf(ref, dependent);
    if (!owner || owner.object.metadata.deletionTimestamp === undefined) return;
    if (!(owner.object.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER)) return;
    const served = this.cluster.types.byTypeRef(ref.apiVersion, ref.kind);
    if (served) this.finishForeground(served, owner.key);
  }

  private finishForeground(served: ServedType, key: string): void {
    const owner = this.cluster.store(served).get(key);
    if (!owner) return;
    const uid = String(owner.object.metadata.uid);
    const blocking = this.dependentsOf(uid).some(({ stored }) =>
      refsOf(stored.object).some((r) => r.uid === uid && r.blockOwnerDeletion === true),
    );
    if (!blocking) this.removeFinalizer(served, key, FOREGROUND_FINALIZER);
  }
}
