/**
 * List types for custom resources, read from a CRD's `openAPIV3Schema`
 * (`x-kubernetes-list-type: atomic|set|map` with `x-kubernetes-list-map-keys`).
 */
import { isPlainObject, strategicListType } from '../../core/index.js';
import type { ListKeysFn, ListType } from './types.js';

const ATOMIC: ListType = { type: 'atomic' };

/** The part of a structural schema (`JSONSchemaProps`) this module reads. */
export interface ListSchema {
  type?: string;
  properties?: Record<string, ListSchema>;
  items?: ListSchema;
  additionalProperties?: ListSchema | boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  [extension: string]: unknown;
}

/**
 * A {@link ListKeysFn} for a custom resource: ObjectMeta's lists as for every type
 * (`finalizers` a set, `ownerReferences` by `uid`), others as the schema declares, atomic
 * where it declares nothing (Kubernetes' default for custom resources).
 *
 * @example
 * ```ts
 * declare const crd: { spec: { versions: Array<{ schema: { openAPIV3Schema: ListSchema } }> } };
 * const listKeys = listKeysFromSchema(crd.spec.versions[0]!.schema.openAPIV3Schema);
 * listKeys(['spec', 'ports']); // how spec.ports merges; applyServerSide takes it as `listKeys`
 * ```
 */
export function listKeysFromSchema(schema: ListSchema | undefined): ListKeysFn {
  return (path) => {
    if (path[0] === 'metadata') return strategicListType({ apiVersion: '', kind: '' }, path);
    let node: ListSchema | undefined = schema;
    for (const name of path) {
      if (node === undefined) return ATOMIC;
      // Field-name paths skip list levels: step into the element schema first.
      while (node?.type === 'array' && node.items !== undefined) node = node.items;
      const next: ListSchema | boolean | undefined = node?.properties?.[name] ?? node?.additionalProperties;
      node = isPlainObject(next) ? (next as ListSchema) : undefined;
    }
    if (node === undefined) return ATOMIC;
    const lt = node['x-kubernetes-list-type'];
    if (lt === 'set') return { type: 'set' };
    if (lt === 'map') {
      const keys = node['x-kubernetes-list-map-keys'];
      return Array.isArray(keys) && keys.length > 0 ? { type: 'map', keys } : ATOMIC;
    }
    return ATOMIC;
  };
}
