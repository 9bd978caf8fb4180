/**
 * CustomResourceDefinitions (apiextensions-apiserver's `pkg/registry/customresourcedefinition` and
 * its naming, establishing and finalizer controllers): admission of a CRD (its validation is
 * `validation/crd-definitions.ts`), its status (NamesAccepted, Established, acceptedNames,
 * storedVersions), registration of its served versions so routes and discovery know them at once
 * (each with its schema's validation, `validation/custom-resources.ts`, and its conversion to and
 * from the storage version), storage defaults for stored objects when the storage schema changes,
 * and cleanup on deletion: the `customresourcecleanup.apiextensions.k8s.io` finalizer holds the
 * CRD until its custom resources are gone, then the CRD and its routes disappear.
 */
import { isPlainObject, type KubeObject, type ResourceType } from '../../core/index.js';
import { applyDefaults, type JSONSchemaProps, type ScaleSubresource } from '../../resources/index.js';
import { internalError } from '../errors/status-errors.js';
import type { Conversion } from '../served/events-conversion.js';
import { compareKubeVersions, customServedType, type ServedType } from '../served/served-types.js';
import type { StoredEvent } from '../storage/store.js';
import { validateCrd, validateCrdUpdate } from '../validation/crd-definitions.js';
import { CustomResourceValidation } from '../validation/custom-resources.js';
import { nowTimestamp } from './strategy.js';
import type { ClusterAccess, ResourceConverter } from './types.js';

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
  deprecated?: boolean;
  deprecationWarning?: string;
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
export function prepareCrdCreate(obj: KubeObject): void {
  validateCrd(obj);
  const finalizers = obj.metadata.finalizers ?? [];
  if (!finalizers.includes(CRD_CLEANUP_FINALIZER)) obj.metadata.finalizers = [...finalizers, CRD_CLEANUP_FINALIZER];
  obj.status = crdStatus(obj);
}

/** Update-time rules of a CRD: validation and a status that follows the spec. */
export function prepareCrdUpdate(next: KubeObject, current: KubeObject): void {
  validateCrd(next, current);
  validateCrdUpdate(next, current);
  if (next.metadata.deletionTimestamp === undefined) {
    next.status = crdStatus(next, isPlainObject(current.status) ? current.status : undefined);
    const prevConditions = isPlainObject(current.status) ? current.status.conditions : undefined;
    if (Array.isArray(prevConditions) && isPlainObject(next.status)) next.status.conditions = prevConditions;
  }
}

/** Resource types of a CRD, one per served version; `converter` converts between versions. */
export function typesOfCrd(obj: KubeObject, converter?: ResourceConverter): ServedType[] {
  const s = spec(obj);
  const group = String(s.group);
  const names = namesOf(obj);
  const out: ServedType[] = [];
  const versions = versionsOf(obj);
  const storageVersion = versions.find((v) => v.storage === true);
  const storage = storageVersion?.name;
  const storageSchema = schemaOfVersion(storageVersion);
  for (const v of versions) {
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
    // Objects are stored at the storage version; other versions convert on the way in and out.
    const conversion =
      storage !== undefined && storage !== v.name
        ? versionConversion(type, `${group}/${storage}`, storage, converter)
        : undefined;
    const scale =
      isPlainObject(sub) && isPlainObject(sub.scale) ? (sub.scale as unknown as ScaleSubresource) : undefined;
    const customSchema = new CustomResourceValidation({
      group,
      version: v.name,
      kind: names.kind,
      schema: schemaOfVersion(v),
      ...(scale !== undefined ? { scale } : {}),
      storageSchema,
    });
    const deprecationWarning = v.deprecated === true ? deprecationWarningOf(obj, v) : undefined;
    out.push(
      customServedType(type, v, labels, conversion, {
        customSchema,
        ...(deprecationWarning !== undefined ? { deprecationWarning } : {}),
      }),
    );
  }
  return out;
}

function schemaOfVersion(v: CrdVersion | undefined): JSONSchemaProps | undefined {
  const schema = v?.schema;
  return isPlainObject(schema) && isPlainObject(schema.openAPIV3Schema)
    ? (schema.openAPIV3Schema as JSONSchemaProps)
    : undefined;
}

/**
 * The `Warning` of a deprecated version: its own `deprecationWarning`, else the server's default
 * (`example.com/v1alpha1 Foo is deprecated; use example.com/v1 Foo`, naming the highest served,
 * not deprecated version above it). Source: apiextensions-apiserver customresource_handler.go.
 */
function deprecationWarningOf(obj: KubeObject, v: CrdVersion): string {
  if (typeof v.deprecationWarning === 'string') return v.deprecationWarning;
  const group = String(spec(obj).group);
  const kind = namesOf(obj).kind;
  const message = `${group}/${v.name} ${kind} is deprecated`;
  const newer = versionsOf(obj)
    .filter((o) => o.served !== false && o.deprecated !== true && compareKubeVersions(o.name, v.name) < 0)
    .map((o) => o.name)
    .sort(compareKubeVersions);
  return newer.length === 0 ? message : `${message}; use ${group}/${newer[0]} ${kind}`;
}

/**
 * Conversion of one served version to and from the storage version: the in-process converter
 * when there is one, else strategy None (only apiVersion changes). As for a conversion webhook,
 * a converter may change labels and annotations but no other metadata.
 */
function versionConversion(
  type: ResourceType,
  storageApiVersion: string,
  storageVersion: string,
  converter: ResourceConverter | undefined,
): Conversion {
  if (converter === undefined) {
    return {
      toStorage: (obj) => ({ ...obj, apiVersion: storageApiVersion }),
      fromStorage: (obj) => ({ ...obj, apiVersion: type.apiVersion }),
    };
  }
  const convert = (obj: KubeObject, to: string, apiVersion: string): KubeObject => {
    let out: KubeObject;
    try {
      out = converter(obj, to);
    } catch (err) {
      throw internalError(
        `conversion of ${String(obj.apiVersion)}, Kind=${type.kind} to ${apiVersion} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const metadata = { ...obj.metadata };
    const converted = isPlainObject(out.metadata) ? out.metadata : {};
    for (const field of ['labels', 'annotations'] as const) {
      if (converted[field] === undefined) delete metadata[field];
      else metadata[field] = converted[field] as Record<string, string>;
    }
    const { apiVersion: _apiVersion, kind: _kind, metadata: _metadata, ...rest } = out;
    return { apiVersion, kind: obj.kind, metadata, ...rest };
  };
  return {
    toStorage: (obj) => convert(obj, storageVersion, storageApiVersion),
    fromStorage: (obj) => convert(obj, type.version, type.apiVersion),
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
  for (const served of typesOfCrd(obj, cluster.converters.get(String(obj.metadata.name)))) cluster.types.add(served);
  if (event.prev !== undefined) defaultStoredObjects(cluster, event.prev.object, obj);
  if (obj.metadata.deletionTimestamp !== undefined) {
    const name = String(obj.metadata.name);
    cluster.defer(`crd/${name}`, () => cleanupCrd(cluster, name));
  }
}

/**
 * After a CRD's storage schema changed, stored objects get its defaults: the real server applies
 * them whenever it reads an object from etcd, so every read shows them from now on (with the
 * same resourceVersion; nothing is written, no watch event is sent).
 */
function defaultStoredObjects(cluster: ClusterAccess, before: KubeObject, after: KubeObject): void {
  const schema = schemaOfVersion(versionsOf(after).find((v) => v.storage === true));
  const old = schemaOfVersion(versionsOf(before).find((v) => v.storage === true));
  if (schema === undefined || JSON.stringify(schema) === JSON.stringify(old)) return;
  const store = cluster.storage.resource(`${String(spec(after).group)}/${namesOf(after).plural}`);
  for (const stored of [...store.all()]) {
    const object = JSON.parse(stored.json) as KubeObject;
    applyDefaults(object, schema);
    if (JSON.stringify(object) !== stored.json) store.revise(stored.key, object);
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
