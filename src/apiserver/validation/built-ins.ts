/**
 * The validation step of the write path (`rest.BeforeCreate` / `rest.BeforeUpdate` calling each
 * kind's strategy `Validate` / `ValidateUpdate`): the metadata rules every object gets, then the
 * kind's own rules (`core-kinds.ts`, `pod-spec.ts`, `workloads.ts`, `rbac.ts`). It runs after
 * defaulting and mutating admission, on the object about to be stored, and answers the real
 * server's 422 `<Kind>.<group> "<name>" is invalid: ...` with one cause per field error.
 *
 * Custom resources get the metadata rules here; their schema is validated by the CRD validator.
 */
import { isPlainObject, type KubeObject } from '../../core/index.js';
import { invalid } from '../errors/status-errors.js';
import { refOf, type ServedType } from '../served/served-types.js';
import { validateConfigMap, validateLease, validateNamespace, validateSecret, validateService } from './core-kinds.js';
import { FieldErrors } from './field-errors.js';
import { type NameRule, nameIsDns1035Label, nameIsDnsLabel, nameIsDnsSubdomain, nameIsPathSegment } from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { validatePodSpec } from './pod-spec.js';
import { validateBinding, validateRole } from './rbac.js';
import {
  validateAppsUpdate,
  validateCronJob,
  validateDaemonSet,
  validateDeployment,
  validateJob,
  validateJobUpdate,
  validateReplicaSet,
  validateStatefulSet,
} from './workloads.js';

/** The kind's name rule (`ValidateNameFunc`); DNS-1123 subdomains unless the kind says otherwise. */
function nameRule(served: ServedType): NameRule {
  if (served.custom) return nameIsDnsSubdomain;
  if (served.type.group === 'rbac.authorization.k8s.io') return nameIsPathSegment;
  switch (served.storeId) {
    case '/namespaces':
    // StatefulSet names become Pod hostnames (DNS labels since Kubernetes 1.27).
    case 'apps/statefulsets':
      return nameIsDnsLabel;
    case '/services':
      return nameIsDns1035Label;
    default:
      return nameIsDnsSubdomain;
  }
}

/** The kind's own rules; `old` is the stored object on updates. */
function validateKind(served: ServedType, obj: KubeObject, old: KubeObject | undefined, errs: FieldErrors): void {
  if (served.custom) return;
  switch (served.storeId) {
    case '/configmaps':
      validateConfigMap(obj, old, errs);
      return;
    case '/secrets':
      validateSecret(obj, old, errs);
      return;
    case '/namespaces':
      validateNamespace(obj, errs);
      return;
    case '/services':
      validateService(obj, errs);
      return;
    case '/pods':
      // A Pod's spec is immutable past a few fields upstream; only a new Pod's spec is checked here.
      if (old === undefined) validatePodSpec(isPlainObject(obj.spec) ? obj.spec : {}, 'spec', errs);
      return;
    case 'coordination.k8s.io/leases':
      validateLease(obj, errs);
      return;
    case 'apps/deployments':
      validateDeployment(obj, errs);
      if (old !== undefined) validateAppsUpdate('Deployment', obj, old, errs);
      return;
    case 'apps/replicasets':
      validateReplicaSet(obj, errs);
      if (old !== undefined) validateAppsUpdate('ReplicaSet', obj, old, errs);
      return;
    case 'apps/statefulsets':
      validateStatefulSet(obj, errs);
      if (old !== undefined) validateAppsUpdate('StatefulSet', obj, old, errs);
      return;
    case 'apps/daemonsets':
      validateDaemonSet(obj, errs);
      if (old !== undefined) validateAppsUpdate('DaemonSet', obj, old, errs);
      return;
    case 'batch/jobs':
      validateJob(obj, errs);
      if (old !== undefined) validateJobUpdate(obj, old, errs);
      return;
    case 'batch/cronjobs':
      validateCronJob(obj, old === undefined, errs);
      return;
    case 'rbac.authorization.k8s.io/roles':
      validateRole(obj, true, errs);
      return;
    case 'rbac.authorization.k8s.io/clusterroles':
      validateRole(obj, false, errs);
      return;
    case 'rbac.authorization.k8s.io/rolebindings':
      validateBinding(obj, old, true, errs);
      return;
    case 'rbac.authorization.k8s.io/clusterrolebindings':
      validateBinding(obj, old, false, errs);
      return;
  }
}

/** The field errors of a create, in upstream order (metadata first). */
export function createErrors(served: ServedType, obj: KubeObject): FieldErrors {
  const errs = new FieldErrors();
  validateObjectMeta(obj.metadata, { name: nameRule(served), namespaced: served.type.namespaced }, errs);
  validateKind(served, obj, undefined, errs);
  return errs;
}

/** Kinds whose update validation runs their whole create validation again (`ValidateConfigMapUpdate`, ...). */
const REVALIDATED_ON_UPDATE = new Set([
  '/configmaps',
  '/secrets',
  '/services',
  'rbac.authorization.k8s.io/roles',
  'rbac.authorization.k8s.io/clusterroles',
  'rbac.authorization.k8s.io/rolebindings',
  'rbac.authorization.k8s.io/clusterrolebindings',
]);

/** The field errors of an update of the main resource (`/status` writes keep spec and metadata). */
export function updateErrors(served: ServedType, obj: KubeObject, old: KubeObject): FieldErrors {
  const errs = new FieldErrors();
  validateObjectMetaUpdate(obj.metadata, errs, REVALIDATED_ON_UPDATE.has(served.storeId));
  validateKind(served, obj, old, errs);
  return errs;
}

/**
 * Validates a create; throws the 422 Invalid the real server answers. The size limits
 * (annotations, ConfigMap and Secret data) are among its causes, where upstream's rules append them.
 */
export function validateCreate(served: ServedType, obj: KubeObject): void {
  const { causes } = createErrors(served, obj);
  if (causes.length > 0) throw invalid(refOf(served), String(obj.metadata.name ?? ''), causes);
}

/** Validates an update of the main resource; throws the 422 Invalid the real server answers. */
export function validateUpdate(served: ServedType, obj: KubeObject, old: KubeObject): void {
  const { causes } = updateErrors(served, obj, old);
  if (causes.length > 0) throw invalid(refOf(served), String(obj.metadata.name ?? ''), causes);
}

/**
 * What decoding a v1 Secret does before anything else sees it: an empty `type` defaulted to
 * `Opaque` (`SetDefaults_Secret`, on updates too), `stringData` merged into `data` (base64) and
 * removed (the v1 conversion).
 */
export function mergeSecretStringData(served: ServedType, obj: KubeObject): void {
  if (served.storeId !== '/secrets') return;
  if (obj.type === undefined || obj.type === null || obj.type === '') obj.type = 'Opaque';
  if (!isPlainObject(obj.stringData)) return;
  const data: Record<string, unknown> = isPlainObject(obj.data) ? { ...obj.data } : {};
  for (const [key, value] of Object.entries(obj.stringData)) {
    data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  }
  obj.data = data;
  delete obj.stringData;
}
