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
  parseLabelSelector,
} from '../core/index.js';
import type { IndexFunc, InformerListOptions } from './types.js';

interface Index<T extends KubeObject> {
  fn: IndexFunc<T>;
  /** value -> keys filed under it */
  byValue: Map<string, Set<string>>;
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
 */
export class Store<T extends KubeObject = KubeObject> {
  readonly #items = new Map<string, T>();
  readonly #byNamespace = new Map<string, Map<string, T>>();
  readonly #indexes = new Map<string, Index<T>>();
  readonly #selectors = new Map<string, LabelSelector>();

  /** Number of objects. */
  get size(): number {
    return this.#items.size;
  }

  /** The object at `key` (`{namespace, name}` or `ns/name`). */
  get(key: ObjectKey | string): T | undefined {
    return this.#items.get(typeof key === 'string' ? key : keyString(key));
  }

  /** Every key. */
  keys(): IterableIterator<string> {
    return this.#items.keys();
  }

  /** Every object. */
  values(): IterableIterator<T> {
    return this.#items.values();
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
      const keys = idx.byValue.get(options.index.value);
      const out: T[] = [];
      if (keys) {
        for (const k of keys) {
          const obj = this.#items.get(k);
          if (obj) out.push(obj);
        }
      }
      candidates = out;
    } else if (options.namespace !== undefined) {
      candidates = this.#byNamespace.get(options.namespace)?.values() ?? [];
    } else {
      candidates = this.#items.values();
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
    return [...(idx.byValue.get(value) ?? [])];
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
    for (const [key, obj] of this.#items) this.#fileIn(idx, key, obj);
  }

  /**
   * Stores `obj` under its key; returns the object it replaced. `key` may be passed when the
   * caller already computed it (the informer's event path does, to look the old object up).
   */
  upsert(obj: T, key: string = keyString(obj.metadata)): T | undefined {
    const old = this.#items.get(key);
    this.#items.set(key, obj);
    const ns = obj.metadata.namespace ?? '';
    let nsMap = this.#byNamespace.get(ns);
    if (!nsMap) {
      nsMap = new Map();
      this.#byNamespace.set(ns, nsMap);
    }
    nsMap.set(key, obj);
    if (this.#indexes.size > 0) {
      for (const idx of this.#indexes.values()) {
        if (old) this.#unfile(idx, key, old);
        this.#fileIn(idx, key, obj);
      }
    }
    return old;
  }

  /** Removes the object at `key`; returns it. */
  remove(key: string): T | undefined {
    const old = this.#items.get(key);
    if (!old) return undefined;
    this.#items.delete(key);
    const ns = old.metadata.namespace ?? '';
    const nsMap = this.#byNamespace.get(ns);
    if (nsMap) {
      nsMap.delete(key);
      if (nsMap.size === 0) this.#byNamespace.delete(ns);
    }
    for (const idx of this.#indexes.values()) this.#unfile(idx, key, old);
    return old;
  }

  #fileIn(idx: Index<T>, key: string, obj: T): void {
    const values = idx.fn(obj);
    if (!values) return;
    for (const v of values) {
      let keys = idx.byValue.get(v);
      if (!keys) {
        keys = new Set();
        idx.byValue.set(v, keys);
      }
      keys.add(key);
    }
  }

  #unfile(idx: Index<T>, key: string, obj: T): void {
    const values = idx.fn(obj);
    if (!values) return;
    for (const v of values) {
      const keys = idx.byValue.get(v);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) idx.byValue.delete(v);
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
