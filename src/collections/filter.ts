/**
 * Filters in their checked form: keys as strings, selectors parsed once. The same normalized
 * filter serves the forward query (store) and the reverse lookup (dependents), so the two can
 * never disagree about what a fetch selected.
 */
import type { LabelSelector } from '../core/index.js';
import { type Labels, type Meta, selectsNothing, toKeyString, toSelector } from './meta.js';
import type { Filter } from './types.js';

/** A {@link Filter} checked and parsed. */
export interface NormalizedFilter<T> {
  key?: string;
  keys?: ReadonlySet<string>;
  namespace?: string;
  /** From `labelSelector`. */
  selector?: LabelSelector;
  selects?: Labels;
  index?: { name: string; value: string };
  where?: (item: T) => boolean;
  /** True when the filter can match nothing whatever the collection holds. */
  empty: boolean;
}

const NO_FILTER: NormalizedFilter<unknown> = Object.freeze({ empty: false });

/**
 * Checks and parses a filter.
 * @throws SelectorError (`KLOOP_INVALID_SELECTOR`) for an invalid label selector.
 */
export function normalizeFilter<T>(filter: Filter<T> | undefined): NormalizedFilter<T> {
  if (filter === undefined) return NO_FILTER;
  const out: NormalizedFilter<T> = { empty: false };
  if (filter.key !== undefined) out.key = toKeyString(filter.key);
  if (filter.keys !== undefined) {
    out.keys = new Set(filter.keys.map(toKeyString));
    if (out.keys.size === 0) out.empty = true;
  }
  if (filter.namespace !== undefined) out.namespace = filter.namespace;
  // A present-but-null selector is Kubernetes' "nothing" (a Service without selector).
  if ('labelSelector' in filter) {
    out.selector = toSelector(filter.labelSelector);
    if (selectsNothing(out.selector)) out.empty = true;
  }
  if (filter.selects !== undefined) out.selects = filter.selects;
  if (filter.index !== undefined) out.index = filter.index;
  if (filter.where !== undefined) out.where = filter.where;
  return out;
}

/** True when `item` (stored under `key`) passes every field of `f`. */
export function matchesFilter<T>(
  meta: Meta<T>,
  f: NormalizedFilter<T>,
  key: string,
  item: T,
  indexValues?: (name: string, item: T) => readonly string[],
): boolean {
  if (f.empty) return false;
  if (f.key !== undefined && f.key !== key) return false;
  if (f.keys !== undefined && !f.keys.has(key)) return false;
  if (f.namespace !== undefined && (meta.namespaceOf(item) ?? '') !== f.namespace) return false;
  if (f.selector !== undefined && !f.selector.matches(meta.labelsOf(item))) return false;
  if (f.selects !== undefined && !meta.selectorOf(item).matches(f.selects)) return false;
  if (f.index !== undefined) {
    const values = indexValues ? indexValues(f.index.name, item) : [];
    if (!values.includes(f.index.value)) return false;
  }
  if (f.where !== undefined && !f.where(item)) return false;
  return true;
}

/** The filter's fields joined by `+`, e.g. `namespace+labelSelector`; `all` for none. */
export function describeFilter<T>(f: NormalizedFilter<T>): string {
  const parts: string[] = [];
  if (f.key !== undefined) parts.push('key');
  if (f.keys !== undefined) parts.push('keys');
  if (f.namespace !== undefined) parts.push('namespace');
  if (f.selector !== undefined) parts.push('labelSelector');
  if (f.selects !== undefined) parts.push('selects');
  if (f.index !== undefined) parts.push(`index:${f.index.name}`);
  if (f.where !== undefined) parts.push('where');
  return parts.length === 0 ? 'all' : parts.join('+');
}

/** Index function values as a list: undefined is none, a string is one. */
export function indexValuesOf(result: string | readonly string[] | undefined | null): readonly string[] {
  if (result === undefined || result === null) return [];
  return typeof result === 'string' ? [result] : result;
}
