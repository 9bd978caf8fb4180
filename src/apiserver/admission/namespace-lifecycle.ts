/**
 * The NamespaceLifecycle admission plugin of the real server, for writes into a namespace: a
 * namespace that does not exist is a 404, one that is terminating a 403 with a
 * `NamespaceTerminating` cause. What happens to a namespace once it is deleted is the registry's
 * (`registry/namespaces.ts`).
 */
import { forbidden, notFound } from '../errors/status-errors.js';
import type { ServedType } from '../served/served-types.js';
import type { Storage } from '../storage/store.js';

/** The storage id of namespaces (`group/plural` of the core group). */
export const NAMESPACES_STORE_ID = '/namespaces';

/** Throws 404 when `namespace` does not exist, 403 when it is terminating. */
export function checkNamespaceWritable(storage: Storage, served: ServedType, name: string, namespace: string): void {
  const ns = storage.resource(NAMESPACES_STORE_ID).get(namespace);
  if (!ns) throw notFound({ group: '', plural: 'namespaces' }, namespace);
  if (ns.object.metadata.deletionTimestamp !== undefined) {
    throw forbidden(
      served.type,
      name,
      `unable to create new content in namespace ${namespace} because it is being terminated`,
      [
        {
          reason: 'NamespaceTerminating',
          message: `namespace ${namespace} is being terminated`,
          field: 'metadata.namespace',
        },
      ],
    );
  }
}
