/**
 * Which fields of an object changed, at the granularity reconcile provenance reports
 * (`changed: ['spec', 'metadata.labels']`) and predicates filter on.
 */
import { deepEqual } from './equal.js';

/** metadata fields reported on their own; everything else under metadata is ignored. */
const METADATA_FIELDS = [
  'labels',
  'annotations',
  'finalizers',
  'ownerReferences',
  'deletionTimestamp',
  'generation',
] as const;

/**
 * The paths that differ between two versions of an object: the metadata fields that matter to
 * controllers (`metadata.labels`, `metadata.annotations`, `metadata.finalizers`,
 * `metadata.ownerReferences`, `metadata.deletionTimestamp`, `metadata.generation`) and every
 * other top-level field (`spec`, `status`, `data`, ...). resourceVersion, managedFields and the
 * rest of metadata are ignored, as are `apiVersion` and `kind`. Sorted.
 *
 * @example
 * ```ts
 * const oldPod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'a' } } };
 * const newPod = { ...oldPod, metadata: { name: 'p', labels: { app: 'b' } }, status: { phase: 'Running' } };
 * changedTopLevelPaths(oldPod, newPod); // ['metadata.labels', 'status']
 * ```
 */
export function changedTopLevelPaths(oldObj: unknown, newObj: unknown): string[] {
  const a = asRecord(oldObj);
  const b = asRecord(newObj);
  const out: string[] = [];
  const ma = asRecord(a.metadata);
  const mb = asRecord(b.metadata);
  for (const f of METADATA_FIELDS) if (!deepEqual(ma[f], mb[f])) out.push(`metadata.${f}`);
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (k === 'metadata' || k === 'apiVersion' || k === 'kind') continue;
    if (!deepEqual(a[k], b[k])) out.push(k);
  }
  return out.sort();
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
