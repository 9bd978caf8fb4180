/**
 * CustomResourceDefinitions (apiextensions-apiserver's `pkg/registry/customresourcedefinition` and
 * its naming, establishing and finalizer controllers): validation of a CRD, its status
 * (NamesAccepted, Established, acceptedNames, storedVersions), registration of its served
 * versions so routes and discovery know them at once, and cleanup on deletion: the
 * `customresourcecleanup.apiextensions.k8s.io` finalizer holds the CRD until its custom
 * resources are gone, then the CRD and its routes disappear.
 */
import { isPlainObject, type KubeObject, type ResourceType, type StatusCause } from '../../core/index.js';
import { invalid } from '../errors/status-errors.js';
import type { Conversion } from '../served/events-conversion.js';
import { customServedType, refOf, type ServedType } from '../served/served-types.js';
import type { StoredEvent } from '../storage/store.js';
import { nowTimestamp } from './strategy.js';
import type { ClusterAccess } from './types.js';

/** The finalizer the real server puts on every CRD. */
export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

const CRD_STORE_ID = 'apiextensions.k8s.io/customresourcedefinitions';

interface CrdNames {
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames?: string[];
  categories?: string[];
}

interface CrdVersion extends Record<string, unknown> {
  name: string;
  served?: boolean;
  storage?: boolean;
  subresources?: { status?: unknown; scale?: unknown };
  selectableFields?: { jsonPath: string }[];
}

/** True for the CustomResourceDefinition type itself. */
export function isCrdType(served: ServedType): boolean {
  return served.storeId === CRD_STORE_ID;
}

function spec(obj: KubeObject): Record<string, unknown> {
  return isPlainObject(obj.spec) ? obj.spec : {};
}

function namesOf(obj: KubeObject): CrdNames {
  const names = isPlainObject(spec(obj).names) ? (spec(obj).names as Record<string, unknown>) : {};
  const kind = typeof names.kind === 'string' ? names.kind : '';
  const result: CrdNames = {
    plural: typeof names.plural === 'string' ? names.plural : '',
    singular: typeof names.singular === 'string' && names.singular !== '' ? names.singular : kind.toLowerCase(),
    kind,
    listKind: typeof names.listKind === 'string' && names.listKind !== '' ? names.listKind : `${kind}List`,
  };
  if (Array.isArray(names.shortNames)) result.shortNames = names.shortNames.map(String);
  if (Array.isArray(names.categories)) result.categories = names.categories.map(String);
  return result;
}

function versionsOf(obj: KubeObject): CrdVersion[] {
  const versions = spec(obj).versions;
  return Array.isArray(versions) ? versions.filter(isPlainObject).map((v) => v as CrdVersion) : [];
}

/** Validates a CRD and fills in its defaults (names.singular, names.listKind). */
function validateCrd(obj: KubeObject, served: ServedType): void {
  const s = spec(obj);
  const names = namesOf(obj);
  const group = typeof s.group === 'string' ? s.group : '';
  const causes: StatusCause[] = [];
  const required = (field: string) =>
    causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `spec.${field}` });
  if (group === '') required('group');
  if (names.plural === '') required('names.plural');
  if (names.kind === '') required('names.kind');
  if (s.scope !== 'Namespaced' && s.scope !== 'Cluster') {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(s.scope ?? '')}: supported values: "Cluster", "Namespaced"`,
      field: 'spec.scope',
    });
  }
  const versions = versionsOf(obj);
  if (versions.length === 0) required('versions');
  else if (versions.filter((v) => v.storage === true).length !== 1) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: 'Invalid value: must have exactly one version marked as storage version',
      field: 'spec.versions',
    });
  }
  const expected = `${names.plural}.${group}`;
  if (obj.metadata.name !== expected) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(obj.metadata.name)}: must be spec.names.plural+"."+spec.group`,
      field: 'metadata.name',
    });
  }
  if (causes.length > 0) throw invalid(refOf(served), String(obj.metadata.name ?? ''), causes);
  const rawNames = s.names as Record<string, unknown>;
  rawNames.singular = names.singular;
  rawNames.listKind = names.listKind;
}

function crdStatus(obj: KubeObject, previous?: Record<string, unknown>): Record<string, unknown> {
  const now = nowTimestamp();
  const stored = new Set<string>(Array.isArray(previous?.storedVersions) ? previous.storedVersions.map(String) : []);
  for (const v of versionsOf(obj)) if (v.storage === true) stored.add(v.name);
  const condition = (type: string, reason: string, message: string) => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames: { ...namesOf(obj) },
    storedVersions: [...stored],
  };
}

/** Create-time rules of a CRD: validation, the cleanup finalizer, an Established status. */
export function prepareCrdCreate(obj: KubeObject, served: ServedType): void {
  validateCrd(obj, served);
  const finalizers = obj.metadata.finalizers ?? [];
  if (!finalizers.includes(CRD_CLEANUP_FINALIZER)) obj.metadata.finalizers = [...finalizers, CRD_CLEANUP_FINALIZER];
  obj.status = crdStatus(obj);
}

/** Update-time rules of a CRD: validation and a status that follows the spec. */
export function prepareCrdUpdate(next: KubeObject, current: KubeObject, served: ServedType): void {
  validateCrd(next, served);
  if (next.metadata.deletionTimestamp === undefined) {
    next.status = crdStatus(next, isPlainObject(current.status) ? current.status : undefined);
    const prevConditions = isPlainObject(current.status) ? current.status.conditions : undefined;
    if (Array.isArray(prevConditions) && isPlainObject(next.status)) next.status.conditions = prevConditions;
  }
}

/** Resource types of a CRD, one per served version. */
export function typesOfCrd(obj: KubeObject): ServedType[] {
  const s = spec(obj);
  const group = String(s.group);
  const names = namesOf(obj);
  const out: ServedType[] = [];
  const storage = versionsOf(obj).find((v) => v.storage === true)?.name;
  for (const v of versionsOf(obj)) {
    if (v.served === false) continue;
    const sub = isPlainObject(v.subresources) ? v.subresources : isPlainObject(s.subresources) ? s.subresources : {};
    const subresources: string[] = [];
    if (isPlainObject(sub) && sub.status !== undefined) subresources.push('status');
    if (isPlainObject(sub) && sub.scale !== undefined) subresources.push('scale');
    const type: ResourceType = {
      apiVersion: `${group}/${v.name}`,
      kind: names.kind,
      group,
      version: v.name,
      plural: names.plural,
      singular: names.singular,
      namespaced: s.scope !== 'Cluster',
      subresources,
      listKind: names.listKind,
      ...(names.shortNames ? { shortNames: names.shortNames } : {}),
      ...(names.categories ? { categories: names.categories } : {}),
    };
    const labels: Record<string, readonly string[]> = {};
    for (const f of Array.isArray(v.selectableFields) ? v.selectableFields : []) {
      if (typeof f?.jsonPath !== 'string') continue;
      const path = f.jsonPath.replace(/^\./, '').split('.');
      labels[path.join('.')] = path;
    }
    // Conversion strategy None: versions differ only in apiVersion; objects are stored at the
    // storage version and relabelled on the way out.
    const conversion =
      storage !== undefined && storage !== v.name
        ? apiVersionConversion(`${group}/${storage}`, type.apiVersion)
        : undefined;
    out.push(customServedType(type, v, labels, conversion));
  }
  return out;
}

/** The `None` conversion strategy: only apiVersion changes between versions. */
function apiVersionConversion(storageApiVersion: string, servedApiVersion: string): Conversion {
  return {
    toStorage: (obj) => ({ ...obj, apiVersion: storageApiVersion }),
    fromStorage: (obj) => ({ ...obj, apiVersion: servedApiVersion }),
  };
}

/** Reacts to a committed CRD change: (re)registers, starts cleanup, or unregisters. */
export function afterCrdCommit(cluster: ClusterAccess, event: StoredEvent): void {
  const obj = event.object.object;
  const group = String(spec(obj).group);
  const plural = namesOf(obj).plural;
  if (event.type === 'DELETED') {
    cluster.types.removeResource(group, plural);
    cluster.storage.drop(`${group}/${plural}`);
    return;
  }
  cluster.types.removeResource(group, plural);
  for (const served of typesOfCrd(obj)) cluster.types.add(served);
  if (obj.metadata.deletionTimestamp !== undefined) {
    const name = String(obj.metadata.name);
    cluster.defer(`crd/${name}`, () => cleanupCrd(cluster, name));
  }
}

/** Reacts to a custom resource's removal while its CRD is being deleted. */
export function afterCustomResourceRemoved(cluster: ClusterAccess, served: ServedType): void {
  const crdServed = cluster.types.byResource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  if (!crdServed) return;
  const name = `${served.type.plural}.${served.type.group}`;
  const crd = cluster.store(crdServed).get(name);
  if (crd?.object.metadata.deletionTimestamp !== undefined)
    cluster.defer(`crd/${name}`, () => cleanupCrd(cluster, name));
}

function cleanupCrd(cluster: ClusterAccess, name: string): void {
  const crdServed = cluster.types.byResource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  if (!crdServed) return;
  const crd = cluster.store(crdServed).get(name);
  if (!crd || crd.object.metadata.deletionTimestamp === undefined) return;
  const [served] = typesOfCrd(crd.object);
  if (served) {
    const store = cluster.store(served);
    for (const stored of [...store.all()]) {
      try {
        cluster.delete(served, stored);
      } catch {
        // Left for the next round, as the real cleanup controller retries.
      }
    }
    if (store.size > 0) return;
  }
  const next = JSON.parse(crd.json) as KubeObject;
  next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== CRD_CLEANUP_FINALIZER);
  cluster.commitUpdate(crdServed, crd, next);
}
