/**
 * Resource types: typed constants for the built-in kinds (each a `{ apiVersion, kind }` that also
 * names, at the type level, the object type of the same name), the static table of their REST
 * facts (group, version, plural, scope, subresources, short names), and a registry mapping
 * `{ apiVersion, kind }` to resources and back (Go: the RESTMapper).
 */
import type * as appsV1 from 'kubernetes-types/apps/v1.js';
import type * as batchV1 from 'kubernetes-types/batch/v1.js';
import type * as coordinationV1 from 'kubernetes-types/coordination/v1.js';
import type * as coreV1 from 'kubernetes-types/core/v1.js';
import type * as discoveryV1 from 'kubernetes-types/discovery/v1.js';
import type * as eventsV1 from 'kubernetes-types/events/v1.js';
import type * as rbacV1 from 'kubernetes-types/rbac/v1.js';
import type { CustomResourceDefinitionSpec, CustomResourceDefinitionStatus } from './crd-types.js';
import { KloopError } from './errors.js';
import type { BuiltinObject, BuiltinRef } from './objects.js';
import type { ObjectMeta, ResourceType, TypeRef } from './types.js';

/** Thrown by the `require...` lookups of {@link ResourceTypeRegistry} for an unknown type. */
export class UnknownTypeError extends KloopError {
  constructor(message: string) {
    super('KLOOP_UNKNOWN_TYPE', message);
  }
}

/**
 * Splits an apiVersion into group and version: `'apps/v1'` -> `{ group: 'apps', version: 'v1' }`,
 * `'v1'` -> `{ group: '', version: 'v1' }` (the core group).
 *
 * @example
 * ```ts
 * parseApiVersion('events.k8s.io/v1'); // { group: 'events.k8s.io', version: 'v1' }
 * ```
 */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return { group: '', version: apiVersion };
  return { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Joins a group and a version into an apiVersion (`''` + `v1` -> `v1`). */
export function formatApiVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** core/v1 Namespace object (the object type of {@link Namespace}). */
export type Namespace = BuiltinObject<coreV1.Namespace, 'v1', 'Namespace'>;
/** core/v1 Namespace. */
export const Namespace: BuiltinRef<'v1', 'Namespace', Namespace> = { apiVersion: 'v1', kind: 'Namespace' };

/** core/v1 ConfigMap object (the object type of {@link ConfigMap}). */
export type ConfigMap = BuiltinObject<coreV1.ConfigMap, 'v1', 'ConfigMap'>;
/** core/v1 ConfigMap. */
export const ConfigMap: BuiltinRef<'v1', 'ConfigMap', ConfigMap> = { apiVersion: 'v1', kind: 'ConfigMap' };

/** core/v1 Secret object (the object type of {@link Secret}). */
export type Secret = BuiltinObject<coreV1.Secret, 'v1', 'Secret'>;
/** core/v1 Secret. */
export const Secret: BuiltinRef<'v1', 'Secret', Secret> = { apiVersion: 'v1', kind: 'Secret' };

/** core/v1 Pod object (the object type of {@link Pod}). */
export type Pod = BuiltinObject<coreV1.Pod, 'v1', 'Pod'>;
/** core/v1 Pod. */
export const Pod: BuiltinRef<'v1', 'Pod', Pod> = { apiVersion: 'v1', kind: 'Pod' };

/** core/v1 Service object (the object type of {@link Service}). */
export type Service = BuiltinObject<coreV1.Service, 'v1', 'Service'>;
/** core/v1 Service. */
export const Service: BuiltinRef<'v1', 'Service', Service> = { apiVersion: 'v1', kind: 'Service' };

/** core/v1 ServiceAccount object (the object type of {@link ServiceAccount}). */
export type ServiceAccount = BuiltinObject<coreV1.ServiceAccount, 'v1', 'ServiceAccount'>;
/** core/v1 ServiceAccount. */
export const ServiceAccount: BuiltinRef<'v1', 'ServiceAccount', ServiceAccount> = {
  apiVersion: 'v1',
  kind: 'ServiceAccount',
};

/** core/v1 Event (the same store as {@link EventsV1Event}, seen through the core API) object (the object type of {@link Event}). */
export type Event = BuiltinObject<coreV1.Event, 'v1', 'Event'>;
/** core/v1 Event (the same store as {@link EventsV1Event}, seen through the core API). */
export const Event: BuiltinRef<'v1', 'Event', Event> = { apiVersion: 'v1', kind: 'Event' };

/** events.k8s.io/v1 Event object (the object type of {@link EventsV1Event}). */
export type EventsV1Event = BuiltinObject<eventsV1.Event, 'events.k8s.io/v1', 'Event'>;
/** events.k8s.io/v1 Event. */
export const EventsV1Event: BuiltinRef<'events.k8s.io/v1', 'Event', EventsV1Event> = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
};

/** core/v1 Node object (the object type of {@link Node}). */
export type Node = BuiltinObject<coreV1.Node, 'v1', 'Node'>;
/** core/v1 Node. */
export const Node: BuiltinRef<'v1', 'Node', Node> = { apiVersion: 'v1', kind: 'Node' };

/** core/v1 Endpoints object (the object type of {@link Endpoints}). */
export type Endpoints = BuiltinObject<coreV1.Endpoints, 'v1', 'Endpoints'>;
/** core/v1 Endpoints. */
export const Endpoints: BuiltinRef<'v1', 'Endpoints', Endpoints> = { apiVersion: 'v1', kind: 'Endpoints' };

/** core/v1 PersistentVolumeClaim object (the object type of {@link PersistentVolumeClaim}). */
export type PersistentVolumeClaim = BuiltinObject<coreV1.PersistentVolumeClaim, 'v1', 'PersistentVolumeClaim'>;
/** core/v1 PersistentVolumeClaim. */
export const PersistentVolumeClaim: BuiltinRef<'v1', 'PersistentVolumeClaim', PersistentVolumeClaim> = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
};

/** discovery.k8s.io/v1 EndpointSlice object (the object type of {@link EndpointSlice}). */
export type EndpointSlice = BuiltinObject<discoveryV1.EndpointSlice, 'discovery.k8s.io/v1', 'EndpointSlice'>;
/** discovery.k8s.io/v1 EndpointSlice. */
export const EndpointSlice: BuiltinRef<'discovery.k8s.io/v1', 'EndpointSlice', EndpointSlice> = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
};

/** apps/v1 ControllerRevision (StatefulSet and DaemonSet revisions) object (the object type of {@link ControllerRevision}). */
export type ControllerRevision = BuiltinObject<appsV1.ControllerRevision, 'apps/v1', 'ControllerRevision'>;
/** apps/v1 ControllerRevision (StatefulSet and DaemonSet revisions). */
export const ControllerRevision: BuiltinRef<'apps/v1', 'ControllerRevision', ControllerRevision> = {
  apiVersion: 'apps/v1',
  kind: 'ControllerRevision',
};

/** apps/v1 Deployment object (the object type of {@link Deployment}). */
export type Deployment = BuiltinObject<appsV1.Deployment, 'apps/v1', 'Deployment'>;
/** apps/v1 Deployment. */
export const Deployment: BuiltinRef<'apps/v1', 'Deployment', Deployment> = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
};

/** apps/v1 ReplicaSet object (the object type of {@link ReplicaSet}). */
export type ReplicaSet = BuiltinObject<appsV1.ReplicaSet, 'apps/v1', 'ReplicaSet'>;
/** apps/v1 ReplicaSet. */
export const ReplicaSet: BuiltinRef<'apps/v1', 'ReplicaSet', ReplicaSet> = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
};

/** apps/v1 StatefulSet object (the object type of {@link StatefulSet}). */
export type StatefulSet = BuiltinObject<appsV1.StatefulSet, 'apps/v1', 'StatefulSet'>;
/** apps/v1 StatefulSet. */
export const StatefulSet: BuiltinRef<'apps/v1', 'StatefulSet', StatefulSet> = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
};

/** apps/v1 DaemonSet object (the object type of {@link DaemonSet}). */
export type DaemonSet = BuiltinObject<appsV1.DaemonSet, 'apps/v1', 'DaemonSet'>;
/** apps/v1 DaemonSet. */
export const DaemonSet: BuiltinRef<'apps/v1', 'DaemonSet', DaemonSet> = { apiVersion: 'apps/v1', kind: 'DaemonSet' };

/** batch/v1 Job object (the object type of {@link Job}). */
export type Job = BuiltinObject<batchV1.Job, 'batch/v1', 'Job'>;
/** batch/v1 Job. */
export const Job: BuiltinRef<'batch/v1', 'Job', Job> = { apiVersion: 'batch/v1', kind: 'Job' };

/** batch/v1 CronJob object (the object type of {@link CronJob}). */
export type CronJob = BuiltinObject<batchV1.CronJob, 'batch/v1', 'CronJob'>;
/** batch/v1 CronJob. */
export const CronJob: BuiltinRef<'batch/v1', 'CronJob', CronJob> = { apiVersion: 'batch/v1', kind: 'CronJob' };

/** coordination.k8s.io/v1 Lease (leader election) object (the object type of {@link Lease}). */
export type Lease = BuiltinObject<coordinationV1.Lease, 'coordination.k8s.io/v1', 'Lease'>;
/** coordination.k8s.io/v1 Lease (leader election). */
export const Lease: BuiltinRef<'coordination.k8s.io/v1', 'Lease', Lease> = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
};

/** apiextensions.k8s.io/v1 CustomResourceDefinition object (the object type of {@link CustomResourceDefinition}). */
export type CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: ObjectMeta;
  spec: CustomResourceDefinitionSpec;
  status?: CustomResourceDefinitionStatus;
};
/** apiextensions.k8s.io/v1 CustomResourceDefinition. */
export const CustomResourceDefinition: BuiltinRef<
  'apiextensions.k8s.io/v1',
  'CustomResourceDefinition',
  CustomResourceDefinition
> = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };

/** rbac.authorization.k8s.io/v1 Role object (the object type of {@link Role}). */
export type Role = BuiltinObject<rbacV1.Role, 'rbac.authorization.k8s.io/v1', 'Role'>;
/** rbac.authorization.k8s.io/v1 Role. */
export const Role: BuiltinRef<'rbac.authorization.k8s.io/v1', 'Role', Role> = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
};

/** rbac.authorization.k8s.io/v1 RoleBinding object (the object type of {@link RoleBinding}). */
export type RoleBinding = BuiltinObject<rbacV1.RoleBinding, 'rbac.authorization.k8s.io/v1', 'RoleBinding'>;
/** rbac.authorization.k8s.io/v1 RoleBinding. */
export const RoleBinding: BuiltinRef<'rbac.authorization.k8s.io/v1', 'RoleBinding', RoleBinding> = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
};

/** rbac.authorization.k8s.io/v1 ClusterRole object (the object type of {@link ClusterRole}). */
export type ClusterRole = BuiltinObject<rbacV1.ClusterRole, 'rbac.authorization.k8s.io/v1', 'ClusterRole'>;
/** rbac.authorization.k8s.io/v1 ClusterRole. */
export const ClusterRole: BuiltinRef<'rbac.authorization.k8s.io/v1', 'ClusterRole', ClusterRole> = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
};

/** rbac.authorization.k8s.io/v1 ClusterRoleBinding object (the object type of {@link ClusterRoleBinding}). */
export type ClusterRoleBinding = BuiltinObject<
  rbacV1.ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1',
  'ClusterRoleBinding'
>;
/** rbac.authorization.k8s.io/v1 ClusterRoleBinding. */
export const ClusterRoleBinding: BuiltinRef<'rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', ClusterRoleBinding> =
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding' };

interface Row {
  ref: TypeRef;
  plural: string;
  namespaced: boolean;
  subresources?: readonly string[];
  shortNames?: readonly string[];
  all?: boolean;
}

function rt(row: Row): ResourceType {
  const { group, version } = parseApiVersion(row.ref.apiVersion);
  const type: ResourceType = {
    apiVersion: row.ref.apiVersion,
    kind: row.ref.kind,
    group,
    version,
    plural: row.plural,
    singular: row.ref.kind.toLowerCase(),
    namespaced: row.namespaced,
    subresources: Object.freeze([...(row.subresources ?? [])]),
    listKind: `${row.ref.kind}List`,
  };
  if (row.shortNames !== undefined) type.shortNames = Object.freeze([...row.shortNames]);
  // kubectl's `all` category (`kubectl get all`), as the real API server declares it.
  if (row.all === true) type.categories = Object.freeze(['all']);
  return Object.freeze(type);
}

const STATUS = ['status'] as const;
const STATUS_SCALE = ['status', 'scale'] as const;

/**
 * The built-in resource types kloop knows statically, as the API server's discovery describes
 * them. Custom resources come from CustomResourceDefinitions (the emulator) or discovery.
 */
export const BUILTIN_RESOURCE_TYPES: readonly ResourceType[] = Object.freeze([
  rt({ ref: Namespace, plural: 'namespaces', namespaced: false, subresources: STATUS, shortNames: ['ns'] }),
  rt({ ref: ConfigMap, plural: 'configmaps', namespaced: true, shortNames: ['cm'] }),
  rt({ ref: Secret, plural: 'secrets', namespaced: true }),
  rt({ ref: Pod, plural: 'pods', namespaced: true, subresources: STATUS, shortNames: ['po'], all: true }),
  rt({ ref: Service, plural: 'services', namespaced: true, subresources: STATUS, shortNames: ['svc'], all: true }),
  rt({ ref: ServiceAccount, plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] }),
  rt({ ref: Event, plural: 'events', namespaced: true, shortNames: ['ev'] }),
  rt({ ref: EventsV1Event, plural: 'events', namespaced: true, shortNames: ['ev'] }),
  rt({ ref: Node, plural: 'nodes', namespaced: false, subresources: STATUS, shortNames: ['no'] }),
  rt({ ref: Endpoints, plural: 'endpoints', namespaced: true, shortNames: ['ep'] }),
  rt({ ref: EndpointSlice, plural: 'endpointslices', namespaced: true }),
  rt({ ref: ControllerRevision, plural: 'controllerrevisions', namespaced: true }),
  rt({
    ref: PersistentVolumeClaim,
    plural: 'persistentvolumeclaims',
    namespaced: true,
    subresources: STATUS,
    shortNames: ['pvc'],
  }),
  rt({
    ref: Deployment,
    plural: 'deployments',
    namespaced: true,
    subresources: STATUS_SCALE,
    shortNames: ['deploy'],
    all: true,
  }),
  rt({
    ref: ReplicaSet,
    plural: 'replicasets',
    namespaced: true,
    subresources: STATUS_SCALE,
    shortNames: ['rs'],
    all: true,
  }),
  rt({
    ref: StatefulSet,
    plural: 'statefulsets',
    namespaced: true,
    subresources: STATUS_SCALE,
    shortNames: ['sts'],
    all: true,
  }),
  rt({ ref: DaemonSet, plural: 'daemonsets', namespaced: true, subresources: STATUS, shortNames: ['ds'], all: true }),
  rt({ ref: Job, plural: 'jobs', namespaced: true, subresources: STATUS, all: true }),
  rt({ ref: CronJob, plural: 'cronjobs', namespaced: true, subresources: STATUS, shortNames: ['cj'], all: true }),
  rt({ ref: Lease, plural: 'leases', namespaced: true }),
  rt({
    ref: CustomResourceDefinition,
    plural: 'customresourcedefinitions',
    namespaced: false,
    subresources: STATUS,
    shortNames: ['crd', 'crds'],
  }),
  rt({ ref: Role, plural: 'roles', namespaced: true }),
  rt({ ref: RoleBinding, plural: 'rolebindings', namespaced: true }),
  rt({ ref: ClusterRole, plural: 'clusterroles', namespaced: false }),
  rt({ ref: ClusterRoleBinding, plural: 'clusterrolebindings', namespaced: false }),
]);

function refKey(ref: TypeRef): string {
  return `${ref.apiVersion}\u0000${ref.kind}`;
}

function resKey(group: string, version: string, plural: string): string {
  return `${group}\u0000${version}\u0000${plural}`;
}

/**
 * Maps `{ apiVersion, kind }` to resource types and `(group, version, plural)` back (Go: a
 * `RESTMapper`). Starts with {@link BUILTIN_RESOURCE_TYPES} unless told otherwise; CRDs and
 * discovery add more.
 *
 * @example
 * ```ts
 * const reg = new ResourceTypeRegistry();
 * reg.requireByTypeRef(Deployment).plural; // 'deployments'
 * reg.byResource('apps', 'v1', 'deployments')?.kind; // 'Deployment'
 * ```
 */
export class ResourceTypeRegistry {
  private readonly byRef = new Map<string, ResourceType>();
  private readonly byRes = new Map<string, ResourceType>();

  constructor(initial: readonly ResourceType[] = BUILTIN_RESOURCE_TYPES) {
    for (const t of initial) this.add(t);
  }

  /** Adds (or replaces) a type under both its type ref and its resource path. */
  add(type: ResourceType): void {
    this.remove(type);
    this.byRef.set(refKey(type), type);
    this.byRes.set(resKey(type.group, type.version, type.plural), type);
  }

  /** Removes the type with this type ref or resource path; true when something was removed. */
  remove(type: TypeRef | ResourceType): boolean {
    let removed = false;
    const old = this.byRef.get(refKey(type));
    if (old !== undefined) {
      this.byRef.delete(refKey(old));
      this.byRes.delete(resKey(old.group, old.version, old.plural));
      removed = true;
    }
    if ('plural' in type) {
      const other = this.byRes.get(resKey(type.group, type.version, type.plural));
      if (other !== undefined) {
        this.byRef.delete(refKey(other));
        this.byRes.delete(resKey(other.group, other.version, other.plural));
        removed = true;
      }
    }
    return removed;
  }

  /** The type for `{ apiVersion, kind }`, or undefined. */
  byTypeRef(ref: TypeRef): ResourceType | undefined {
    return this.byRef.get(refKey(ref));
  }

  /** The type served at `/apis/<group>/<version>/<plural>` (group `''` for `/api/v1`), or undefined. */
  byResource(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byRes.get(resKey(group, version, plural));
  }

  /**
   * Like {@link byTypeRef}, but throws.
   * @throws UnknownTypeError (`KLOOP_UNKNOWN_TYPE`)
   */
  requireByTypeRef(ref: TypeRef): ResourceType {
    const t = this.byTypeRef(ref);
    if (t === undefined)
      throw new UnknownTypeError(
        `no resource type known for kind ${JSON.stringify(ref.kind)} in version ${JSON.stringify(ref.apiVersion)}`,
      );
    return t;
  }

  /**
   * Like {@link byResource}, but throws.
   * @throws UnknownTypeError (`KLOOP_UNKNOWN_TYPE`)
   */
  requireByResource(group: string, version: string, plural: string): ResourceType {
    const t = this.byResource(group, version, plural);
    if (t === undefined)
      throw new UnknownTypeError(`the server could not find the requested resource ${plural}.${version}.${group}`);
    return t;
  }

  /** Every registered type, in registration order. */
  all(): ResourceType[] {
    return [...this.byRef.values()];
  }
}
