/**
 * The informer's store: objects by key, a namespace index, and user indexes (client-go's
 * `cache.Indexer`, kube-runtime's `Store`). Writes come only from the informer; everyone else
 * reads.
 */

import {
  KloopError,
  type KubeObject,
  keyString,
  type LabelSelector,
  type ObjectKey,
  type ObjectMeta,
  parseLabelSelector,
} from '../core/index.js';
import type { IndexFunc, InformerListOptions } from './types.js';

interface Index<T extends KubeObject> {
  fn: IndexFunc<T>;
  /** value -> the stored objects filed under it (their keys are derived when asked for) */
  byValue: Map<string, Set<T>>;
}

/**
 * Owner-UID index function: files an object under the UID of each of its owners. Use it as
 * `informer.addIndex('byOwnerUid', byOwnerUid)`; controllers' `owns()` relies on it.
 *
 * @example
 * ```ts
 * import { InformerFactory, KubeClient, type KubeObject, Pod } from 'kloop';
 *
 * const pods = new InformerFactory(KubeClient.fromKubeconfig()).informer(Pod);
 * pods.addIndex('byOwnerUid', byOwnerUid);
 * declare const rs: KubeObject; // a ReplicaSet
 * pods.list({ index: { name: 'byOwnerUid', value: rs.metadata.uid! } }); // its pods
 * ```
 */
export const byOwnerUid: IndexFunc = (obj) => {
  const refs = obj.metadata.ownerReferences;
  if (!refs || refs.length === 0) return undefined;
  return refs.map((r) => r.uid);
};

/**
 * A keyed object store with a namespace index and named indexes.
 *
 * @remarks Objects are stored as given (the informer freezes them in validation mode); a
 * caller must never change one.
 *
 * Objects are filed by namespace, then by name, and the key is always the one of the object's
 * own metadata (`ns/name`, or `name` cluster-scoped): one map entry per object, keyed by the
 * name string the object already holds. A second map keyed by `ns/name` cost 56 B per object
 * for the key string alone (a cons string and its `ns/` prefix) plus its entry, about a tenth of
 * a cached ConfigMap (measured with heap snapshots; see `bench/scale.ts`).
 */
export class Store<T extends KubeObject = KubeObject> {
  /** namespace ('' for cluster-scoped objects) -> name -> object */
  readonly #byNamespace = new Map<string, Map<string, T>>();
  readonly #indexes = new Map<string, Index<T>>();
  readonly #selectors = new Map<string, LabelSelector>();
  #size = 0;

  /** Number of objects. */
  get size(): number {
    return this.#size;
  }

  /** The object at `key` (`{namespace, name}`, an object's metadata, or `ns/name`). */
  get(key: ObjectKey | Pick<ObjectMeta, 'namespace' | 'name'> | string): T | undefined {
    if (typeof key !== 'string') return this.#byNamespace.get(key.namespace || '')?.get(key.name ?? '');
    const slash = key.indexOf('/');
    // `/name` is no key keyString writes (an empty namespace is written as `name`).
    if (slash === -1) return this.#byNamespace.get('')?.get(key);
    if (slash === 0) return undefined;
    return this.#byNamespace.get(key.slice(0, slash))?.get(key.slice(slash + 1));
  }

  /** Every key, `ns/name` (built as they are read: the store keeps none). */
  *keys(): IterableIterator<string> {
    for (const [ns, byName] of this.#byNamespace) {
      if (ns === '') yield* byName.keys();
      else for (const name of byName.keys()) yield `${ns}/${name}`;
    }
  }

  /** Every object, namespace by namespace. */
  *values(): IterableIterator<T> {
    for (const byName of this.#byNamespace.values()) yield* byName.values();
  }

  /**
   * Objects matching every given filter: namespace (index lookup), index value (index lookup),
   * label selector (checked on the candidates).
   *
   * @throws SelectorError for a malformed label selector; KloopError `KLOOP_UNKNOWN_INDEX` for an
   *   index never added.
   */
  list(options: InformerListOptions = {}): T[] {
    const selector = options.labelSelector ? this.#selector(options.labelSelector) : undefined;
    let candidates: Iterable<T>;
    if (options.index) {
      const idx = this.#indexes.get(options.index.name);
      if (!idx) throw new KloopError('KLOOP_UNKNOWN_INDEX', `no index named "${options.index.name}"`);
      candidates = idx.byValue.get(options.index.value) ?? [];
    } else if (options.namespace !== undefined) {
      candidates = this.#byNamespace.get(options.namespace)?.values() ?? [];
    } else {
      candidates = this.values();
    }
    const result: T[] = [];
    for (const obj of candidates) {
      if (options.index && options.namespace !== undefined && (obj.metadata.namespace ?? '') !== options.namespace)
        continue;
      if (selector && !selector.matches(obj.metadata.labels)) continue;
      result.push(obj);
    }
    return result;
  }

  /** Keys filed under `value` in index `name`. */
  indexKeys(name: string, value: string): string[] {
    const idx = this.#indexes.get(name);
    if (!idx) throw new KloopError('KLOOP_UNKNOWN_INDEX', `no index named "${name}"`);
    const out: string[] = [];
    for (const obj of idx.byValue.get(value) ?? []) out.push(keyString(obj.metadata));
    return out;
  }

  /** Values of index `name` that have at least one object. */
  indexValues(name: string): string[] {
    const idx = this.#indexes.get(name);
    if (!idx) throw new KloopError('KLOOP_UNKNOWN_INDEX', `no index named "${name}"`);
    return [...idx.byValue.keys()];
  }

  /** True when an index of that name exists. */
  hasIndex(name: string): boolean {
    return this.#indexes.has(name);
  }

  /**
   * Adds an index and files every stored object in it. Adding the same name with the same
   * function again is a no-op; with another function it throws `KLOOP_INDEX_EXISTS`.
   */
  addIndex(name: string, fn: IndexFunc<T>): void {
    const existing = this.#indexes.get(name);
    if (existing) {
      if (existing.fn === fn) return;
      throw new KloopError('KLOOP_INDEX_EXISTS', `an index named "${name}" exists with another function`);
    }
    const idx: Index<T> = { fn, byValue: new Map() };
    this.#indexes.set(name, idx);
    for (const obj of this.values()) this.#fileIn(idx, obj);
  }

  /**
   * Stores `obj` under its key (that of its metadata); returns the object it replaced. The store
   * files by the object's own namespace and name and keeps no key string.
   */
  upsert(obj: T): T | undefined {
    const meta = obj.metadata;
    const ns = meta.namespace || '';
    const name = meta.name ?? '';
    let byName = this.#byNamespace.get(ns);
    if (!byName) {
      byName = new Map();
      this.#byNamespace.set(ns, byName);
    }
    const old = byName.get(name);
    byName.set(name, obj);
    if (old === undefined) this.#size++;
    if (this.#indexes.size > 0) {
      for (const idx of this.#indexes.values()) {
        if (old) this.#unfile(idx, old);
        this.#fileIn(idx, obj);
      }
    }
    return old;
  }

  /** Removes the object at `key` (as `get` takes it); returns it. */
  remove(key: ObjectKey | Pick<ObjectMeta, 'namespace' | 'name'> | string): T | undefined {
    const old = this.get(key);
    if (!old) return undefined;
    const ns = old.metadata.namespace || '';
    const byName = this.#byNamespace.get(ns);
    if (byName) {
      byName.delete(old.metadata.name ?? '');
      if (byName.size === 0) this.#byNamespace.delete(ns);
    }
    this.#size--;
    for (const idx of this.#indexes.values()) this.#unfile(idx, old);
    return old;
  }

  #fileIn(idx: Index<T>, obj: T): void {
    const values = idx.fn(obj);
    if (!values) return;
    for (const v of values) {
      let objs = idx.byValue.get(v);
      if (!objs) {
        objs = new Set();
        idx.byValue.set(v, objs);
      }
      objs.add(obj);
    }
  }

  #unfile(idx: Index<T>, obj: T): void {
    const values = idx.fn(obj);
    if (!values) return;
    for (const v of values) {
      const objs = idx.byValue.get(v);
      if (!objs) continue;
      objs.delete(obj);
      if (objs.size === 0) idx.byValue.delete(v);
    }
  }
  #selector(text: string): LabelSelector {
    let s = this.#selectors.get(text);
    if (!s) {
      s = parseLabelSelector(text);
      // A few selectors are asked for over and over (one per controller); keep the cache small.
      if (this.#selectors.size > 256) this.#selectors.clear();
      this.#selectors.set(text, s);
    }
    return s;
  }
}
