/**
 * The reverse index of one collection: which outputs of which derived collections fetched
 * something a change of this collection can touch. Every filter field except `where` has a
 * bucket keyed by what the change carries (its key, label pairs, selector anchor, index
 * values, namespace), so a change finds its dependents by lookup and then checks each
 * candidate's full filter against the old and the new item. An unrelated change calls no
 * transform; krt instead scans every input for unindexed filters (istio #54074).
 */
import { matchesFilter, type NormalizedFilter } from './filter.js';
import { ANY_NAMESPACE, anchorOf, type Labels, labelSlot, type Meta, selectsNothing } from './meta.js';
import type { Store } from './store.js';

/** What a dependency points back to: an output of a derived collection. */
export interface DependencyConsumer {
  readonly name: string;
  markDirty(unit: string): void;
}

/** The collection a dependency was fetched from. */
export interface DependencySource {
  readonly name: string;
  readonly dependents: { add(dep: Dependency): void; remove(dep: Dependency): void };
}

/** One recorded fetch of one transform run. */
export interface Dependency {
  readonly consumer: DependencyConsumer;
  readonly unit: string;
  readonly filter: NormalizedFilter<unknown>;
  /** The collection fetched from. */
  readonly source: DependencySource;
  /** Where it was registered, for removal. */
  slots: Array<{ map: Map<string, Set<Dependency>>; slot: string }>;
}

function add(map: Map<string, Set<Dependency>>, slot: string, dep: Dependency): void {
  let set = map.get(slot);
  if (set === undefined) map.set(slot, (set = new Set()));
  set.add(dep);
  dep.slots.push({ map, slot });
}

function addAll(out: Set<Dependency>, set: Set<Dependency> | undefined): void {
  if (set !== undefined) for (const d of set) out.add(d);
}

/** The dependents of one collection's items. */
export class DependentIndex<T> {
  private readonly byKey = new Map<string, Set<Dependency>>();
  private readonly byIndex = new Map<string, Set<Dependency>>();
  /** labelSelector fetches, under their anchor label pair. */
  private readonly byLabel = new Map<string, Set<Dependency>>();
  /** labelSelector fetches without anchor, by namespace scope. */
  private readonly labelLoose = new Map<string, Set<Dependency>>();
  /** selects fetches, under each label pair they carry. */
  private readonly bySelects = new Map<string, Set<Dependency>>();
  /** Every selects fetch, by scope: a changed selector without anchor may match any of them. */
  private readonly selectsAll = new Map<string, Set<Dependency>>();
  private readonly byNamespace = new Map<string, Set<Dependency>>();
  /** Fetches of everything (possibly with `where`). */
  private readonly all = new Map<string, Set<Dependency>>();
  private count = 0;
  /** Reused by notify(), which never runs re-entrantly (markDirty only schedules). */
  private readonly scratch = new Set<Dependency>();

  constructor(
    private readonly meta: Meta<T>,
    private readonly store: Store<T>,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Registers `dep` in the narrowest bucket its filter allows. */
  add(dep: Dependency): void {
    const f = dep.filter as NormalizedFilter<T>;
    if (f.empty) return; // matches nothing whatever changes: nothing to watch
    this.count++;
    const scope = f.namespace ?? ANY_NAMESPACE;
    if (f.key !== undefined) add(this.byKey, f.key, dep);
    else if (f.keys !== undefined) for (const k of f.keys) add(this.byKey, k, dep);
    else if (f.index !== undefined) add(this.byIndex, `${f.index.name}\u0000${f.index.value}`, dep);
    else if (f.selector !== undefined) {
      const anchor = anchorOf(f.selector, (k, vs) => this.store.labelBucketSize(scope, k, vs));
      if (anchor === undefined) add(this.labelLoose, scope, dep);
      else for (const v of anchor.values) add(this.byLabel, labelSlot(scope, anchor.key, v), dep);
    } else if (f.selects !== undefined) {
      add(this.selectsAll, scope, dep);
      for (const [k, v] of Object.entries(f.selects)) add(this.bySelects, labelSlot(scope, k, v), dep);
    } else if (f.namespace !== undefined) add(this.byNamespace, f.namespace, dep);
    else add(this.all, '', dep);
  }

  remove(dep: Dependency): void {
    if (dep.slots.length === 0) return;
    this.count--;
    for (const { map, slot } of dep.slots) {
      const set = map.get(slot);
      if (set === undefined) continue;
      set.delete(dep);
      if (set.size === 0) map.delete(slot);
    }
    dep.slots = [];
  }

  clear(): void {
    for (const m of this.maps()) m.clear();
    this.count = 0;
  }

  /**
   * An item changed from `prev` to `next` (either may be absent): marks dirty every output
   * whose fetch matched the old or the new version. If neither matched, the fetch result is
   * unchanged, so nothing is marked.
   *
   * User code runs here (`where`, custom metadata and index functions). One that throws
   * counts as a match, for its dependency alone: the recompute then meets the same error
   * inside the transform, where it is reported, and the other dependents are still found.
   */
  notify(key: string, prev: T | undefined, next: T | undefined): void {
    if (this.count === 0) return;
    const candidates = this.scratch;
    try {
      addAll(candidates, this.byKey.get(key));
      addAll(candidates, this.all.get(''));
      if (prev !== undefined) this.collect(candidates, prev);
      if (next !== undefined) this.collect(candidates, next);
    } catch {
      // The metadata needed to narrow the lookup is unreadable: every dependent may be hit.
      for (const m of this.maps()) for (const set of m.values()) addAll(candidates, set);
    }
    try {
      for (const dep of candidates) if (this.hits(dep, key, prev, next)) dep.consumer.markDirty(dep.unit);
    } finally {
      candidates.clear();
    }
  }

  /**
   * An index of the collection was removed: the outputs that fetched through it are marked
   * dirty, so they fail loudly on their next run (`KLOOP_COLLECTION_INDEX`) instead of keeping
   * an output that no change could ever update again.
   */
  indexRemoved(name: string): void {
    const prefix = `${name}\u0000`;
    for (const [slot, set] of this.byIndex) {
      if (slot.startsWith(prefix)) for (const d of set) d.consumer.markDirty(d.unit);
    }
  }

  private hits(dep: Dependency, key: string, prev: T | undefined, next: T | undefined): boolean {
    const f = dep.filter as NormalizedFilter<T>;
    try {
      return (
        (prev !== undefined && matchesFilter(this.meta, f, key, prev, this.store.indexValues)) ||
        (next !== undefined && matchesFilter(this.meta, f, key, next, this.store.indexValues))
      );
    } catch {
      return true;
    }
  }

  /** Adds the dependencies whose namespace, index, label or selects bucket `item` falls in. */
  private collect(out: Set<Dependency>, item: T): void {
    const ns = this.meta.namespaceOf(item) ?? '';
    addAll(out, this.byNamespace.get(ns));
    if (this.byIndex.size > 0) {
      for (const name of this.store.named.keys()) {
        for (const v of this.store.indexValues(name, item)) addAll(out, this.byIndex.get(`${name}\u0000${v}`));
      }
    }
    if (this.byLabel.size > 0 || this.labelLoose.size > 0) {
      const labels = this.meta.labelsOf(item);
      this.collectLabels(out, ns, labels);
      this.collectLabels(out, ANY_NAMESPACE, labels);
    }
    if (this.selectsAll.size > 0) {
      const sel = this.meta.selectorOf(item);
      if (!selectsNothing(sel)) {
        const anchor = anchorOf(sel);
        this.collectSelects(out, ns, anchor);
        this.collectSelects(out, ANY_NAMESPACE, anchor);
      }
    }
  }

  private collectLabels(out: Set<Dependency>, scope: string, labels: Labels | undefined): void {
    addAll(out, this.labelLoose.get(scope));
    if (labels !== undefined) for (const k in labels) addAll(out, this.byLabel.get(labelSlot(scope, k, labels[k])));
  }

  private collectSelects(
    out: Set<Dependency>,
    scope: string,
    anchor: { key: string; values: readonly string[] } | undefined,
  ): void {
    // A selector without `=`/`in` requirement (`exists`, `!=`, ... or empty) can match any labels.
    if (anchor === undefined) addAll(out, this.selectsAll.get(scope));
    else for (const v of anchor.values) addAll(out, this.bySelects.get(labelSlot(scope, anchor.key, v)));
  }

  private maps(): Array<Map<string, Set<Dependency>>> {
    return [
      this.byKey,
      this.byIndex,
      this.byLabel,
      this.labelLoose,
      this.bySelects,
      this.selectsAll,
      this.byNamespace,
      this.all,
    ];
  }
}
