/**
 * Namespace lifecycle (`pkg/controller/namespace/deletion` and the NamespaceLifecycle admission
 * plugin): the bootstrap namespaces and termination: a deleted namespace turns `Terminating`, its
 * contents are deleted (objects with finalizers wait for them), and the namespace goes away once it
 * is empty. The real server runs this in the namespace controller; the emulator runs it right after
 * the write, outside the request. The checks on writes into a namespace (missing: 404, terminating:
 * 403) are admission's (`admission/namespace-lifecycle.ts`).
 */
import type { KubeObject } from '../../core/index.js';
import { NAMESPACES_STORE_ID } from '../admission/namespace-lifecycle.js';
import type { ServedType } from '../served/served-types.js';
import type { StoredEvent } from '../storage/store.js';
import type { ClusterAccess } from './types.js';

/** Namespaces every cluster starts with. */
export const BOOTSTRAP_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

/** Namespaces that cannot be deleted. */
export const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/** The Namespace served type. */
export function namespaceType(cluster: ClusterAccess): ServedType {
  const served = cluster.types.byResource('', 'v1', 'namespaces');
  if (!served) throw new Error('namespaces are not served');
  return served;
}

/** Creates the bootstrap namespaces. */
export function bootstrapNamespaces(cluster: ClusterAccess): void {
  const served = namespaceType(cluster);
  for (const name of BOOTSTRAP_NAMESPACES) {
    cluster.create(served, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
}

/** True when `namespace` is terminating. */
function terminating(cluster: ClusterAccess, namespace: string): boolean {
  const ns = cluster.storage.resource(NAMESPACES_STORE_ID).get(namespace);
  return ns !== undefined && ns.object.metadata.deletionTimestamp !== undefined;
}

/** Reacts to a committed change: starts or continues namespace termination. */
export function afterNamespacedCommit(cluster: ClusterAccess, served: ServedType, event: StoredEvent): void {
  if (served.storeId === NAMESPACES_STORE_ID) {
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

function scheduleCleanup(cluster: ClusterAccess, namespace: string): void {
  cluster.defer(`namespace/${namespace}`, () => cleanup(cluster, namespace));
}

/** Deletes the namespace's contents; removes the namespace once nothing is left. */
function cleanup(cluster: ClusterAccess, namespace: string): void {
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
export function getNamespace(cluster: ClusterAccess, name: string): KubeObject | undefined {
  return cluster.storage.resource(NAMESPACES_STORE_ID).get(name)?.object;
}
