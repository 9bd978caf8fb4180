/**
 * What any cache does with a watch event beyond parsing it, and nothing more: keep the new state
 * in place of the old one (by namespace, then name) with managedFields left out, as kloop stores
 * it. The kept states outlive the young generation, so V8's scavenger copies each of them (a
 * parse-only peer keeps nothing and never pays that): the `parse-keep` peers of
 * `bench/informer-child.ts` and `bench/watch-path.ts` are the floor for an informer.
 */

/** Kept states by namespace, then name. */
export type Kept = Map<string, Map<string, unknown>>;

/** Keeps `object`'s new state in `kept`, its metadata copied without managedFields. */
export function keepLatest(kept: Kept, object: { readonly metadata?: unknown }): void {
  const meta = object.metadata as Record<string, unknown>;
  const slim: Record<string, unknown> = {};
  for (const k in meta) if (k !== 'managedFields') slim[k] = meta[k];
  const namespace = (meta.namespace as string | undefined) ?? '';
  let byName = kept.get(namespace);
  if (!byName) {
    byName = new Map();
    kept.set(namespace, byName);
  }
  byName.set(meta.name as string, { ...object, metadata: slim });
}
