/**
 * What happens to an object between the wire and the store: metadata projection, managedFields
 * stripping, the user's transform, and freezing in validation mode.
 *
 * Measured on 50k ConfigMaps of ~1 KB (heap after GC per object): as parsed 1463 B;
 * `delete metadata.managedFields` 1266 B (the delete turns metadata into a slow dictionary-mode
 * object); metadata rebuilt without managedFields 890 B. Interning namespaces, label values,
 * apiVersion and kind bought nothing (1313 B with, 1314 B without): V8's `JSON.parse` already
 * internalizes short strings, so kloop does not intern.
 *
 * The rebuilt metadata is an object literal of exactly its fields (see `MetadataCopier`): an
 * object built up from `{}` has room for 4 fields in the object and puts the rest in a separate
 * property array, 96 B for the 7 fields of a typical stripped metadata against 80 B. Objects
 * with equal labels share one labels object (see `LabelSharer`).
 */

import { deepFreeze, type KubeObject, type ObjectMeta, type TypeRef } from '../core/index.js';
import { LabelSharer } from './label-sharing.js';

/** How an informer prepares objects for its store. */
export interface PipelineOptions<T extends KubeObject> {
  type: TypeRef;
  metadataOnly?: boolean;
  keepManagedFields?: boolean;
  transform?: (obj: T) => T;
  /** Deep-freeze stored objects (validation and debug mode). */
  freeze?: boolean;
}

/**
 * Builds the function that turns a wire object into the stored one. It may change the object
 * in place: the wire object is fresh from `JSON.parse` and owned by nobody else.
 */
export function makePipeline<T extends KubeObject>(options: PipelineOptions<T>): (obj: T) => T {
  const { apiVersion, kind } = options.type;
  const strip = !options.keepManagedFields;
  const copier = new MetadataCopier();
  const sharer = new LabelSharer();
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
    if (strip && meta && meta.managedFields !== undefined) obj.metadata = copier.withoutManagedFields(meta);
    if (user) obj = user(obj);
    // After the user's transform, which may change the labels of the object it is given.
    const stored = obj.metadata;
    const labels = stored?.labels;
    if (typeof labels === 'object' && labels !== null) {
      const shared = sharer.share(labels);
      // A transform may hand back metadata it froze: then the labels stay its own.
      if (shared !== labels) Reflect.set(stored, 'labels', shared);
    }
    if (options.freeze) deepFreeze(obj);
    return obj;
  };
}

/** Builds a copy of a metadata object with one given layout (its keys, in order). */
type Copy = (meta: ObjectMeta) => ObjectMeta;

/** Layouts past this many are copied field by field (a server would have to vary wildly). */
const MAX_LAYOUTS = 64;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Copies of metadata without managedFields. Rebuilding keeps the object in V8's fast mode;
 * `delete` would make it a dictionary, a third larger than the field it removed saves (unless
 * the field is the last one, which the emulator does not promise).
 *
 * Objects of one list share one metadata layout (the server writes the fields in its struct's
 * order), so the copy is an object literal of that layout's fields, compiled once per layout:
 * V8 allocates a literal with exactly its fields inside the object (80 B for 7 fields), where
 * adding them one by one to `{}` leaves 4 inside and 3 in a property array (96 B). It is also
 * one allocation instead of a chain of map transitions. The layout of each object is checked
 * against the last one seen, key by key, without allocating.
 */
class MetadataCopier {
  /** The last layout seen (managedFields included) and its copy. */
  #keys: string[] = [];
  #copy: Copy = copyFieldByField;
  readonly #layouts = new Map<string, Copy>();

  withoutManagedFields(meta: ObjectMeta): ObjectMeta {
    const keys = this.#keys;
    let i = 0;
    for (const k in meta) {
      if (keys[i] !== k) return this.#relayout(meta);
      i++;
    }
    if (i !== keys.length) return this.#relayout(meta);
    return this.#copy(meta);
  }

  #relayout(meta: ObjectMeta): ObjectMeta {
    const keys = Object.keys(meta);
    // Unambiguous: keys joined by any separator could collide (`a\nb` against `a`, `b`).
    const signature = JSON.stringify(keys);
    let copy = this.#layouts.get(signature);
    if (copy === undefined) {
      // Past the limit nothing more is remembered: the map stays bounded whatever the server sends.
      if (this.#layouts.size < MAX_LAYOUTS) {
        copy = compileCopy(keys);
        this.#layouts.set(signature, copy);
      } else {
        copy = copyFieldByField;
      }
    }
    this.#keys = keys;
    this.#copy = copy;
    return copy(meta);
  }
}

/**
 * `(m) => ({ name: m.name, ... })` for the layout's fields but managedFields. Only plain
 * identifiers are compiled (the fields of ObjectMeta are); anything else, `__proto__` above all
 * (a literal would set the prototype with it), is copied field by field.
 */
function compileCopy(keys: readonly string[]): Copy {
  const kept = keys.filter((k) => k !== 'managedFields');
  if (!kept.every((k) => IDENTIFIER.test(k) && k !== '__proto__')) return copyFieldByField;
  try {
    return new Function('m', `return { ${kept.map((k) => `${k}: m.${k}`).join(', ')} };`) as Copy;
  } catch {
    // Code generation disallowed (`--disallow-code-generation-from-strings`, a CSP'd runtime).
    return copyFieldByField;
  }
}

/**
 * A copy of `meta` without managedFields, one field at a time. An own `__proto__` (JSON.parse
 * makes one from a `"__proto__"` key) stays an own field: assigning it would set the prototype.
 */
function copyFieldByField(meta: ObjectMeta): ObjectMeta {
  const out: ObjectMeta = {};
  for (const k in meta) {
    if (k === 'managedFields') continue;
    if (k === '__proto__') {
      Object.defineProperty(out, k, { value: meta[k], enumerable: true, writable: true, configurable: true });
    } else out[k] = meta[k];
  }
  return out;
}
