/**
 * Resources defined with `defineResource` installed at start (`startApiServer({ resources })`):
 * each one's CRD is created as a client would create it, and its conversion functions are
 * registered in-process, so every version is served and objects convert through the storage
 * version on every read, write and watch (where a real cluster would call a conversion webhook).
 */
import type { KubeObject } from '../../core/index.js';
import { isResource, type Resource, ResourceDefinitionError } from '../../resources/index.js';
import type { Cluster } from './cluster.js';

/** Creates the CRD of each resource and registers its converter; throws for anything else. */
export function installResources(cluster: Cluster, resources: readonly Resource[]): void {
  const crdServed = cluster.types.byResource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  if (crdServed === undefined) throw new Error('the CustomResourceDefinition type is not served');
  resources.forEach((resource, i) => {
    if (!isResource(resource)) {
      throw new ResourceDefinitionError(`startApiServer: resources[${i}] is not a resource made by defineResource`);
    }
    const crd = resource.crd() as unknown as KubeObject;
    const name = String(crd.metadata.name);
    if (Object.keys(resource.versions).length > 1) {
      cluster.converters.set(name, (object, toVersion) => resource.convert(object, toVersion) as KubeObject);
    }
    cluster.create(crdServed, crd);
  });
}
