/**
 * Read-your-writes over the shared informers. An informer lags the server by a watch event;
 * without this, a reconcile right after its own write reads the old object and may undo or
 * repeat the write (controller-runtime added an opt-in fix only in v0.25, issue #3320).
 *
 * After a successful write, the object the server returned is kept here and reads of that key
 * return it until the informer has caught up: its copy has a resourceVersion at least the written
 * one (integers compared as such, which Kubernetes 1.34+ allows), or, when versions do not parse,
 * a different one from what the cache held at write time (a newer event for the key arrived).
 */

import {
  type Clock,
  compareResourceVersions,
  deepClone,
  deepFreeze,
  type KubeObject,
  keyString,
  type ObjectKey,
  systemClock,
  type TypeRef,
} from '../core/index.js';

interface Written {
  /** Clock time of the write. */
  at: number;
  /** The object the server returned; undefined for a delete. */
  object: KubeObject | undefined;
  resourceVersion: string | undefined;
  /** resourceVersion the cache held when the write happened. */
  cachedAtWrite: string | undefined;
  uid: string | undefined;
}

/** True when `a` is at least `b`: integer comparison where both parse, equality otherwise. */
export function rvAtLeast(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const c = compareResourceVersions(a, b);
  return c !== undefined && c >= 0;
}

function typeId(type: TypeRef): string {
  return `${type.apiVersion}/${type.kind}`;
}

/** Options of {@link ReadYourWrites}. */
export interface ReadYourWritesOptions {
  clock?: Clock;
  /**
   * A record the informer has not caught up with after this many milliseconds is dropped and
   * reads see the cache again. A backstop for writes no event will ever confirm (an object
   * created and deleted by others between two relists); the watch normally confirms a write
   * within milliseconds. Default 60 000.
   */
  maxAgeMs?: number;
}

/** The written objects of every type, by key. */
export class ReadYourWrites {
  readonly #byType = new Map<string, Map<string, Written>>();
  readonly #validate: boolean;
  readonly #clock: Clock;
  readonly #maxAgeMs: number;

  /** @param validate deep-freeze recorded objects (default: `KLOOP_VALIDATE=1`). */
  constructor(validate = process.env.KLOOP_VALIDATE === '1', options: ReadYourWritesOptions = {}) {
    this.#validate = validate;
    this.#clock = options.clock ?? systemClock;
    this.#maxAgeMs = options.maxAgeMs ?? 60_000;
  }

  /**
   * Records a write's result. `cached` is what the informer held at the time and `seen` the
   * resourceVersion it had reached. An informer already past the write that lacks the object saw
   * it deleted since (its event beat the write's answer, as when the last finalizer goes): there
   * is nothing to wait for, and no record is kept (an older one of the key goes too), or reads
   * would return the deleted object until `maxAgeMs`.
   */
  recordWrite(type: TypeRef, object: KubeObject, cached: KubeObject | undefined, seen?: string): void {
    if (cached === undefined && rvAtLeast(seen, object.metadata.resourceVersion)) {
      this.#byType.get(typeId(type))?.delete(keyString(object.metadata));
      return;
    }
    // Reads hand this out like a cached object: a private copy, frozen when validating, so the
    // caller's later changes to what the write returned cannot leak into other reads.
    const stored = deepClone(object);
    if (this.#validate) deepFreeze(stored);
    this.#map(type).set(keyString(object.metadata), {
      at: this.#clock.now(),
      object: stored,
      resourceVersion: object.metadata.resourceVersion,
      cachedAtWrite: cached?.metadata.resourceVersion,
      uid: object.metadata.uid,
    });
  }

  /** Records a delete that removed the object. */
  recordDelete(type: TypeRef, key: ObjectKey, cached: KubeObject | undefined): void {
    this.#map(type).set(keyString(key), {
      at: this.#clock.now(),
      object: undefined,
      resourceVersion: undefined,
      cachedAtWrite: cached?.metadata.resourceVersion,
      uid: cached?.metadata.uid,
    });
  }

  /**
   * What a read of `key` should see given the informer's copy: the written object while the
   * cache is behind, the cached one once it caught up (the record is then dropped).
   */
  resolve<T extends KubeObject>(type: TypeRef, key: ObjectKey, cached: T | undefined): T | undefined {
    const map = this.#byType.get(typeId(type));
    return map === undefined ? cached : this.#resolve(map, keyString(key), cached);
  }

  #resolve<T extends KubeObject>(map: Map<string, Written>, id: string, cached: T | undefined): T | undefined {
    const written = map.get(id);
    if (written === undefined) return cached;
    if (this.#caughtUp(written, cached)) {
      map.delete(id);
      return cached;
    }
    return written.object as T | undefined;
  }

  /**
   * Applies the records of `type` to a list read from the informer. `matches` tells whether an
   * object belongs in the list; `listed` is true for the written version of an object the
   * informer listed, false for a written object the list lacks.
   */
  overlayList<T extends KubeObject>(
    type: TypeRef,
    items: T[],
    matches: (object: KubeObject, listed: boolean) => boolean,
  ): T[] {
    const map = this.#byType.get(typeId(type));
    if (map === undefined || map.size === 0) return items;
    const seen = new Set<string>();
    const out: T[] = [];
    for (const item of items) {
      const id = keyString(item.metadata);
      seen.add(id);
      const resolved = this.#resolve(map, id, item);
      if (resolved !== undefined && (resolved === item || matches(resolved, true))) out.push(resolved);
    }
    const now = this.#clock.now();
    for (const [id, written] of map) {
      if (seen.has(id) || written.object === undefined) continue;
      if (now - written.at >= this.#maxAgeMs) {
        map.delete(id);
        continue;
      }
      if (matches(written.object, false)) out.push(written.object as T);
    }
    return out;
  }

  /** Drops the record of a key when an informer event shows the cache caught up. */
  observe(type: TypeRef, object: KubeObject, deleted: boolean): void {
    const map = this.#byType.get(typeId(type));
    if (map === undefined) return;
    const id = keyString(object.metadata);
    const written = map.get(id);
    if (written === undefined) return;
    if (deleted) {
      // The object we wrote is gone: drop our copy, or reads would return it forever (no later
      // event for the key will come). A delete of an older object of that name (another uid,
      // an older version) leaves a record of our later create alone.
      const sameObject = written.uid !== undefined && object.metadata.uid === written.uid;
      if (
        written.object === undefined ||
        sameObject ||
        rvAtLeast(object.metadata.resourceVersion, written.resourceVersion)
      ) {
        map.delete(id);
      }
      return;
    }
    if (this.#caughtUp(written, object)) map.delete(id);
  }

  /** Records held now (tests and debug). */
  get size(): number {
    let n = 0;
    for (const map of this.#byType.values()) n += map.size;
    return n;
  }

  #caughtUp(written: Written, cached: KubeObject | undefined): boolean {
    if (this.#clock.now() - written.at >= this.#maxAgeMs) return true;
    if (written.object === undefined) {
      // A delete: caught up once the cache no longer has it, or holds a new object of that name.
      return cached === undefined || (written.uid !== undefined && cached.metadata.uid !== written.uid);
    }
    if (cached === undefined) return false;
    const rv = cached.metadata.resourceVersion;
    if (rvAtLeast(rv, written.resourceVersion)) return true;
    // Versions that do not compare: any change from what the cache held means a newer event.
    const comparable = /^\d+$/.test(rv ?? '') && /^\d+$/.test(written.resourceVersion ?? '');
    return !comparable && rv !== written.cachedAtWrite;
  }

  #map(type: TypeRef): Map<string, Written> {
    const id = typeId(type);
    let map = this.#byType.get(id);
    if (map === undefined) {
      map = new Map();
      this.#byType.set(id, map);
    }
    return map;
  }
}
