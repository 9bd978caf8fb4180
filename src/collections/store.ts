/**
 * The items of one collection and its forward indexes: by namespace (always), by label pair and
 * by selector anchor (built on first use), and the named indexes of `index(c, name, fn)`.
 * A query starts from the narrowest index its filter allows and checks the rest item by item,
 * so no fetch copies or scans a whole collection unless it asked for all of it (krt #61382).
 */

import { indexValuesOf, matchesFilter, type NormalizedFilter } from './filter.js';
import { ANY_NAMESPACE, anchorOf, type Labels, labelSlot, type Meta, selectsNothing } from './meta.js';

/** A named index function: the values an item is found under. */
export type IndexFn<T> = (item: T) => string | readonly string[] | undefined | null;

interface NamedIndex<T> {
  fn: IndexFn<T>;
  byValue: Map<string, Set<string>>;
}

type SlotMap = Map<string, Set<string>>;

function addSlot(map: SlotMap, slot: string, key: string): void {
  let set = map.get(slot);
  if (set === undefined) map.set(slot, (set = new Set()));
  set.add(key);
}

function removeSlot(map: SlotMap, slot: string, key: string): void {
  const set = map.get(slot);
  if (set === undefined) return;
  set.delete(key);
  if (set.size === 0) map.delete(slot);
}

/** Keys and items of one collection, with indexes kept in step on every set and delete. */
export class Store<T> {
  readonly items = new Map<string, T>();
  private readonly byNamespace: SlotMap = new Map();
  private labels: SlotMap | undefined;
  /** Items whose selector has an anchor, under each anchor slot. */
  private selectorAnchors: SlotMap | undefined;
  /** Items whose selector has no anchor (only `!=`, `exists`, ... or empty), by scope. */
  private selectorLoose: SlotMap | undefined;
  readonly named = new Map<string, NamedIndex<T>>();

  constructor(private readonly meta: Meta<T>) {}

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  set(key: string, item: T): void {
    // Run the user's functions (index, namespace, labels) before changing anything: if one
    // throws, the store and its indexes stay as they were.
    const values: Array<[NamedIndex<T>, readonly string[]]> = [];
    for (const idx of this.named.values()) values.push([idx, indexValuesOf(idx.fn(item))]);
    this.meta.namespaceOf(item);
    if (this.labels !== undefined) this.meta.labelsOf(item);
    const prev = this.items.get(key);
    if (prev !== undefined) this.unindex(key, prev);
    this.items.set(key, item);
    this.index(key, item, values);
  }

  delete(key: string): void {
    const prev = this.items.get(key);
    if (prev === undefined) return;
    this.unindex(key, prev);
    this.items.delete(key);
  }

  clear(): void {
    this.items.clear();
    this.byNamespace.clear();
    this.labels = undefined;
    this.selectorAnchors = undefined;
    this.selectorLoose = undefined;
    for (const idx of this.named.values()) idx.byValue.clear();
  }

  /** Adds a named index and fills it from the items held. Returns false if the name is taken. */
  addIndex(name: string, fn: IndexFn<T>): boolean {
    if (this.named.has(name)) return false;
    const idx: NamedIndex<T> = { fn, byValue: new Map() };
    this.named.set(name, idx);
    for (const [key, item] of this.items) for (const v of indexValuesOf(fn(item))) addSlot(idx.byValue, v, key);
    return true;
  }

  /** Removes the named index if it is the one made with `fn`; returns whether it was. */
  removeIndex(name: string, fn: IndexFn<T>): boolean {
    if (this.named.get(name)?.fn !== fn) return false;
    this.named.delete(name);
    return true;
  }

  /** The values `item` has in the named index (empty when there is no such index). */
  indexValues = (name: string, item: T): readonly string[] => {
    const idx = this.named.get(name);
    return idx === undefined ? [] : indexValuesOf(idx.fn(item));
  };

  /**
   * How many items hold label `key` with one of `values`: a hint for picking the rarest
   * requirement. Never throws: when the labels cannot be read (a `meta.labels` that throws),
   * every requirement looks alike and the caller still gets a correct, if wider, choice.
   */
  labelBucketSize(scope: string, key: string, values: readonly string[]): number {
    let labels: SlotMap;
    try {
      labels = this.labelIndex();
    } catch {
      return values.length;
    }
    let n = 0;
    for (const v of values) n += labels.get(labelSlot(scope, key, v))?.size ?? 0;
    return n;
  }

  /** The items passing `f`, in key order. */
  query(f: NormalizedFilter<T>): T[] {
    if (f.empty) return [];
    const keys = this.candidates(f);
    const out: Array<[string, T]> = [];
    for (const key of keys) {
      const item = this.items.get(key);
      if (item !== undefined && matchesFilter(this.meta, f, key, item, this.indexValues)) out.push([key, item]);
    }
    // Key order makes results independent of the order changes arrived in, so a recompute of
    // an unchanged set yields an equal output (and emits nothing).
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return out.map((e) => e[1]);
  }

  /** The narrowest candidate key set the filter's indexed fields give. */
  private candidates(f: NormalizedFilter<T>): Iterable<string> {
    if (f.key !== undefined) return [f.key];
    if (f.keys !== undefined) return f.keys;
    if (f.index !== undefined) {
      const idx = this.named.get(f.index.name);
      return idx?.byValue.get(f.index.value) ?? [];
    }
    const scope = f.namespace ?? ANY_NAMESPACE;
    if (f.selector !== undefined) {
      const anchor = anchorOf(f.selector, (k, vs) => this.labelBucketSize(scope, k, vs));
      if (anchor !== undefined) {
        const labels = this.labelIndex();
        const sets = anchor.values.map((v) => labels.get(labelSlot(scope, anchor.key, v)));
        return union(sets);
      }
    }
    if (f.selects !== undefined) return this.selectsCandidates(scope, f.selects);
    if (f.namespace !== undefined) return this.byNamespace.get(f.namespace) ?? [];
    return this.items.keys();
  }

  private selectsCandidates(scope: string, labels: Labels): Iterable<string> {
    this.selectorIndex();
    const sets: Array<Set<string> | undefined> = [this.selectorLoose!.get(scope)];
    for (const [k, v] of Object.entries(labels)) sets.push(this.selectorAnchors!.get(labelSlot(scope, k, v)));
    return union(sets);
  }

  // The lazy indexes are built aside and installed only once complete: a `meta` function that
  // throws half-way leaves no index (the next use tries again), never a half-filled one that
  // would silently miss items from then on.

  private labelIndex(): SlotMap {
    if (this.labels === undefined) {
      const labels: SlotMap = new Map();
      for (const [key, item] of this.items) this.indexLabels(labels, key, item, true);
      this.labels = labels;
    }
    return this.labels;
  }

  private selectorIndex(): void {
    if (this.selectorAnchors === undefined) {
      const anchors: SlotMap = new Map();
      const loose: SlotMap = new Map();
      for (const [key, item] of this.items) this.indexSelector(anchors, loose, key, item, true);
      this.selectorAnchors = anchors;
      this.selectorLoose = loose;
    }
  }

  private scopes(item: T): [string, string] {
    return [this.meta.namespaceOf(item) ?? '', ANY_NAMESPACE];
  }

  private indexLabels(map: SlotMap, key: string, item: T, add: boolean): void {
    const labels = this.meta.labelsOf(item);
    if (labels === undefined) return;
    const op = add ? addSlot : removeSlot;
    for (const scope of this.scopes(item)) {
      for (const [k, v] of Object.entries(labels)) op(map, labelSlot(scope, k, v), key);
    }
  }

  private indexSelector(anchors: SlotMap, loose: SlotMap, key: string, item: T, add: boolean): void {
    const sel = this.meta.selectorOf(item);
    if (selectsNothing(sel)) return;
    const op = add ? addSlot : removeSlot;
    // No bucket-size hint here: the anchor must come out the same when the item is removed.
    const anchor = anchorOf(sel);
    for (const scope of this.scopes(item)) {
      if (anchor === undefined) op(loose, scope, key);
      else for (const v of anchor.values) op(anchors, labelSlot(scope, anchor.key, v), key);
    }
  }

  private index(key: string, item: T, values: Array<[NamedIndex<T>, readonly string[]]>): void {
    addSlot(this.byNamespace, this.meta.namespaceOf(item) ?? '', key);
    if (this.labels !== undefined) this.indexLabels(this.labels, key, item, true);
    if (this.selectorAnchors !== undefined)
      this.indexSelector(this.selectorAnchors, this.selectorLoose!, key, item, true);
    for (const [idx, vs] of values) for (const v of vs) addSlot(idx.byValue, v, key);
  }

  private unindex(key: string, item: T): void {
    removeSlot(this.byNamespace, this.meta.namespaceOf(item) ?? '', key);
    if (this.labels !== undefined) this.indexLabels(this.labels, key, item, false);
    if (this.selectorAnchors !== undefined)
      this.indexSelector(this.selectorAnchors, this.selectorLoose!, key, item, false);
    for (const idx of this.named.values()) for (const v of indexValuesOf(idx.fn(item))) removeSlot(idx.byValue, v, key);
  }
}

function union(sets: ReadonlyArray<Set<string> | undefined>): Iterable<string> {
  const present = sets.filter((s): s is Set<string> => s !== undefined && s.size > 0);
  if (present.length === 0) return [];
  if (present.length === 1) return present[0];
  const out = new Set<string>();
  for (const s of present) for (const k of s) out.add(k);
  return out;
}
