/**
 * What happens to an object between the wire and the store: metadata projection, managedFields
 * stripping, the user's transform, string interning, and freezing in validation mode.
 */
import { deepFreeze } from '../core/index.js';
import type { KubeObject, TypeRef } from '../core/index.js';

/**
 * Interns strings that repeat across objects (namespaces, label keys and values, apiVersion,
 * kind, owner kinds), so 100k objects in one namespace hold one `"default"`, not 100k copies.
 *
 * @remarks
 * `JSON.parse` internalizes property names but allocates every string value anew. Measured on
 * 100k ConfigMaps: see `docs/informers.md`. The table is bounded: past `maxSize` entries it
 * is cleared and refilled, so a stream of unique values (e.g. a label holding a UID) cannot
 * grow it without limit.
 */
export class StringInterner {
  readonly #table = new Map<string, string>();
  readonly #maxSize: number;

  constructor(maxSize = 50_000) {
    this.#maxSize = maxSize;
  }

  /** The canonical instance of `s`. */
  intern(s: string): string {
    const found = this.#table.get(s);
    if (found !== undefined) return found;
    if (this.#table.size >= this.#maxSize) this.#table.clear();
    this.#table.set(s, s);
    return s;
  }

  /** Number of distinct strings held. */
  get size(): number {
    return this.#table.size;
  }
}

/** How an informer prepares objects for its store. */
export interface PipelineOptions<T extends KubeObject> {
  type: TypeRef;
  metadataOnly?: boolean;
  keepManagedFields?: boolean;
  transform?: (obj: T) => T;
  /** Intern repeated strings (default true). */
  intern?: boolean;
  /** Deep-freeze stored objects (validation and debug mode). */
  freeze?: boolean;
}

/**
 * Builds the function that turns a wire object into the stored one. It may change the object
 * in place: the wire object is fresh from `JSON.parse` and owned by nobody else.
 */
export function makePipeline<T extends KubeObject>(options: PipelineOptions<T>): (obj: T) => T {
  const { apiVersion, kind } = options.type;
  const interner = options.intern === false ? undefined : new StringInterner();
  const strip = !options.keepManagedFields;
  const user = options.transform;
  return (wire: T): T => {
    let obj = wire;
    if (options.metadataOnly) {
      // Whether or not the server honoured the PartialObjectMetadata Accept header, keep only
      // the metadata, typed as the informer's type.
      obj = { apiVersion, kind, metadata: obj.metadata } as T;
    } else {
      // Built-in list items carry no apiVersion/kind; consumers (patches, owner refs) want them.
      if (obj.apiVersion === undefined) obj.apiVersion = apiVersion;
      if (obj.kind === undefined) obj.kind = kind;
      else if (obj.kind === 'PartialObjectMetadata') {
        obj.apiVersion = apiVersion;
        obj.kind = kind;
      }
    }
    const meta = obj.metadata;
    if (strip && meta && meta.managedFields !== undefined) delete meta.managedFields;
    if (user) obj = user(obj);
    if (interner) internObject(obj, interner);
    if (options.freeze) deepFreeze(obj);
    return obj;
  };
}

function internObject(obj: KubeObject, interner: StringInterner): void {
  if (typeof obj.apiVersion === 'string') obj.apiVersion = interner.intern(obj.apiVersion);
  if (typeof obj.kind === 'string') obj.kind = interner.intern(obj.kind);
  const meta = obj.metadata;
  if (!meta) return;
  if (typeof meta.namespace === 'string') meta.namespace = interner.intern(meta.namespace);
  internRecord(meta.labels, interner);
  const owners = meta.ownerReferences;
  if (owners) {
    for (const o of owners) {
      o.apiVersion = interner.intern(o.apiVersion);
      o.kind = interner.intern(o.kind);
    }
  }
  if (meta.finalizers) {
    for (let i = 0; i < meta.finalizers.length; i++) meta.finalizers[i] = interner.intern(meta.finalizers[i]);
  }
}

function internRecord(record: Record<string, string> | undefined, interner: StringInterner): void {
  if (!record) return;
  for (const k in record) {
    const v = record[k];
    if (typeof v === 'string' && v.length < 64) record[k] = interner.intern(v);
  }
}
