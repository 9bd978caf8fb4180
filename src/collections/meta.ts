/**
 * Keys, namespaces, labels and selectors of collection items, and the "anchor" of a selector:
 * the one requirement an index can look up. Items are immutable, so what is derived from an
 * item is cached by identity.
 */

import {
  keyString,
  type LabelSelector,
  type LabelSelectorSpec,
  labelSelectorFromSpec,
  NOTHING_SELECTOR,
  type ObjectKey,
  parseLabelSelector,
} from '../core/index.js';
import { CollectionError } from './errors.js';
import type { ItemMeta, SelectorInput } from './types.js';

/** Labels as items carry them. */
export type Labels = Readonly<Record<string, string>>;

/** How one collection reads its items. */
export interface Meta<T> {
  keyOf(item: T): string;
  namespaceOf(item: T): string | undefined;
  labelsOf(item: T): Labels | undefined;
  /** The item's own selector; NOTHING_SELECTOR when it has none. */
  selectorOf(item: T): LabelSelector;
}

/** A key as its string form (core's `keyString`); strings pass through. */
export function toKeyString(key: string | ObjectKey): string {
  return typeof key === 'string' ? key : keyString(key);
}

function record(item: unknown): Record<string, unknown> | undefined {
  return typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : undefined;
}

function metadataOf(item: unknown): Record<string, unknown> | undefined {
  return record(record(item)?.metadata);
}

/**
 * The default key: `metadata` namespace/name, else a `key` field (string or ObjectKey).
 * @throws CollectionError `KLOOP_COLLECTION_NO_KEY`
 */
export function defaultKeyOf(item: unknown, collection?: string): string {
  const md = metadataOf(item);
  if (md && typeof md.name === 'string') {
    return keyString({ namespace: typeof md.namespace === 'string' ? md.namespace : undefined, name: md.name });
  }
  const key = record(item)?.key;
  if (typeof key === 'string') return key;
  const k = record(key);
  if (k && typeof k.name === 'string') return keyString(k as unknown as ObjectKey);
  throw new CollectionError(
    'KLOOP_COLLECTION_NO_KEY',
    'item has no metadata.name and no key field; pass a `key` option to the collection',
    { collection },
  );
}

function defaultNamespace(item: unknown): string | undefined {
  const md = metadataOf(item);
  if (md && typeof md.namespace === 'string') return md.namespace || undefined;
  const r = record(item);
  if (typeof r?.namespace === 'string') return r.namespace;
  const k = record(r?.key);
  return typeof k?.namespace === 'string' ? k.namespace : undefined;
}

function defaultLabels(item: unknown): Labels | undefined {
  const md = metadataOf(item);
  const labels = md ? md.labels : record(item)?.labels;
  return record(labels) as Labels | undefined;
}

function defaultSelector(item: unknown): SelectorInput | undefined {
  const r = record(item);
  const spec = record(r?.spec);
  const sel = spec && 'selector' in spec ? spec.selector : r?.selector;
  return (sel ?? undefined) as SelectorInput | undefined;
}

const objectSelectors = new WeakMap<object, LabelSelector>();
const textSelectors = new Map<string, LabelSelector>();
const TEXT_CACHE_LIMIT = 1024;

function isParsed(input: object): input is LabelSelector {
  return 'requirements' in input && typeof (input as LabelSelector).matches === 'function';
}

/**
 * Any accepted selector form as a parsed `LabelSelector`; undefined and null select nothing.
 * Objects are cached by identity (a Service's `spec.selector` is parsed once per version).
 * @throws SelectorError (`KLOOP_INVALID_SELECTOR`) for invalid text or values.
 */
export function toSelector(input: SelectorInput | undefined | null): LabelSelector {
  if (input === undefined || input === null) return NOTHING_SELECTOR;
  if (typeof input === 'string') {
    let sel = textSelectors.get(input);
    if (sel === undefined) {
      sel = parseLabelSelector(input);
      if (textSelectors.size >= TEXT_CACHE_LIMIT) textSelectors.clear();
      textSelectors.set(input, sel);
    }
    return sel;
  }
  if (isParsed(input)) return input;
  let sel = objectSelectors.get(input);
  if (sel === undefined) {
    const spec = input as LabelSelectorSpec;
    const isSpec = 'matchLabels' in spec || 'matchExpressions' in spec;
    sel = labelSelectorFromSpec(isSpec ? spec : { matchLabels: input as Labels });
    objectSelectors.set(input, sel);
  }
  return sel;
}

/** True for the selector that matches nothing (a null `metav1.LabelSelector`). */
export function selectsNothing(sel: LabelSelector): boolean {
  return sel === NOTHING_SELECTOR || (!sel.isEmpty() && sel.requirements.length === 0);
}

/**
 * The requirement an index can look up: an `=`, `==` or `in` on one key, as its key and
 * values (any matching labels hold `key=v` for one of the values). Undefined when the selector
 * has none (only `!=`, `notin`, `exists`, ... or no requirement at all).
 * `bucketSize` lets the caller pick the rarest of several candidates.
 */
export function anchorOf(
  sel: LabelSelector,
  bucketSize?: (key: string, values: readonly string[]) => number,
): { key: string; values: readonly string[] } | undefined {
  let best: { key: string; values: readonly string[] } | undefined;
  let bestSize = Number.POSITIVE_INFINITY;
  for (const r of sel.requirements) {
    if (r.operator !== '=' && r.operator !== '==' && r.operator !== 'in') continue;
    const size = bucketSize ? bucketSize(r.key, r.values) : r.values.length;
    if (size < bestSize) {
      best = { key: r.key, values: r.values };
      bestSize = size;
    }
  }
  return best;
}

/** The map key of one label pair within a namespace scope (`*` = any namespace). */
export function labelSlot(scope: string, key: string, value: string): string {
  return `${scope}\u0000${key}\u0000${value}`;
}

/** Scope of a namespace for slot keys: the namespace, or `*` for "any". */
export const ANY_NAMESPACE = '*';

/** Builds the {@link Meta} of a collection from its options. */
export function makeMeta<T>(
  name: string,
  key: ((item: T) => string) | undefined,
  meta: ItemMeta<T> | undefined,
): Meta<T> {
  const selectorInputOf = meta?.selector ?? (defaultSelector as (item: T) => SelectorInput | undefined);
  const cache = new WeakMap<object, LabelSelector>();
  return {
    keyOf: key ?? ((item: T) => defaultKeyOf(item, name)),
    namespaceOf: meta?.namespace ?? (defaultNamespace as (item: T) => string | undefined),
    labelsOf: meta?.labels ?? (defaultLabels as (item: T) => Labels | undefined),
    selectorOf(item: T): LabelSelector {
      const obj = record(item);
      let sel = obj === undefined ? undefined : cache.get(obj);
      if (sel === undefined) {
        try {
          sel = toSelector(selectorInputOf(item));
        } catch {
          // An item's own selector that Kubernetes would reject selects nothing, rather than
          // breaking every index and fetch the item takes part in.
          sel = NOTHING_SELECTOR;
        }
        if (obj !== undefined) cache.set(obj, sel);
      }
      return sel;
    },
  };
}
