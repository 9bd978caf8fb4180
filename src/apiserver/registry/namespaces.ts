/**
 * Namespace lifecycle (APISERVER-SPEC.md section 7): the bootstrap namespaces, the checks on
 * writes into a namespace (missing: 404, terminating: 403), and termination: a deleted namespace
 * turns `Terminating`, its contents are deleted (objects with finalizers wait for them), and the
 * namespace goes away once it is empty. The real server runs this in the namespace controller;
 * the emulator runs it right after the write, outside the request.
 */
import { type KubeObject, makeStatus } from '../core/index.js';
import type { Cluster } from './cluster.js';
import { notFound, qualifiedResource, StatusError } from './errors.js';
import type { ServedType } from './resources.js';
import type { StoredEvent } from './storage.js';

/** Namespaces every cluster starts with. */
export const BOOTSTRAP_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

/** Namespaces that cannot be deleted. */
export const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

const NAMESPACES_ID = '/namespaces';

/** The Namespace served type. */
export function namespaceType(cluster: Cluster): ServedType {
  const served = cluster.types.byResource('', 'v1', 'namespaces');
  if (!served) throw new Error('namespaces are not served');
  return served;
}

/** Creates the bootstrap namespaces. */
export function bootstrapNamespaces(cluster: Cluster): void {
  const served = namespaceType(cluster);
  for (const name of BOOTSTRAP_NAMESPACES) {
    cluster.create(served, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
}

/** Throws 404 when `namespace` does not exist, 403 when it is terminating. */
export function checkNamespaceWritable(cluster: Cluster, served: ServedType, name: string, namespace: string): void {
  const ns = cluster.storage.resource(NAMESPACES_ID).get(namespace);
  if (!ns) throw notFound({ group: '', plural: 'namespaces' }, namespace);
  if (ns.object.metadata.deletionTimestamp !== undefined) {
    const target = `${qualifiedResource(served.type)} "${name}"`;
    throw new StatusError(
      makeStatus(
        403,
        'Forbidden',
        `${target} is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          name,
          ...(served.type.group === '' ? {} : { group: served.type.group }),
          kind: served.type.plural,
          causes: [
            {
              type: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      ),
    );
  }
}

/** True when `namespace` is terminating. */
function terminating(cluster: Cluster, namespace: string): boolean {
  const ns = cluster.storage.resource(NAMESPACES_ID).get(namespace);
  return ns !== undefined && ns.object.metadata.deletionTimestamp !== undefined;
}

/** Reacts to a committed change: starts or continues namespace termination. */
export function afterNamespacedCommit(cluster: Cluster, served: ServedType, event: StoredEvent): void {
  if (served.storeId === NAMESPACES_ID) {
    const obj = event.object.object;
    if (event.type !== 'DELETED' && obj.metadata.deletionTimestamp !== undefined) {
      scheduleCleanup(cluster, String(obj.metadata.name));
    }
    return;
  }
  if (event.type !== 'DELETED') return;
  const ns = event.object.object.metadata.namespace;
  if (ns !== undefined && terminating(cluster, ns)) scheduleCleanup(cluster, ns);
}

function scheduleCleanup(cluster: Cluster, namespace: string): void {
  cluster.defer(`namespace/${namespace}`, () => cleanup(cluster, namespace));
}

/** Deletes the namespace's contents; removes the namespace once nothing is left. */
function cleanup(cluster: Cluster, namespace: string): void {
  if (!terminating(cluster, namespace)) return;
  let left = 0;
  const seen = new Set<string>();
  for (const served of cluster.types.all()) {
    if (!served.type.namespaced || seen.has(served.storeId)) continue;
    seen.add(served.storeId);
    const store = cluster.store(served);
    for (const stored of [...store.all(namespace)]) {
      left++;
      try {
        cluster.delete(served, stored);
      } catch {
        // A failed delete leaves the object; the namespace waits for it like the real one does.
      }
    }
  }
  if (left > 0) {
    // Deletes that removed objects re-schedule this cleanup through their DELETED events.
    let remaining = 0;
    for (const id of seen) {
      for (const _ of cluster.storage.resource(id).all(namespace)) {
        remaining++;
        break;
      }
    }
    if (remaining > 0) return;
  }
  cluster.removeNow(namespaceType(cluster), namespace);
}

/** The namespace object for a name, if present (for tests and handlers). */
export function getNamespace(cluster: Cluster, name: string): KubeObject | undefined {
  return cluster.storage.resource(NAMESPACES_ID).get(name)?.object;
}
