/**
 * Legacy discovery (`/api`, `/apis`, `/apis/{group}`, `/api/v1`, `/apis/{group}/{version}`) and
 * `/version`. kubectl asks for aggregated discovery first but accepts these JSON documents on
 * every version from 1.27 on; client-node only reads the legacy ones.
 */
import type { ServedType, ServedTypes } from '../served/served-types.js';

/** The version this emulator reports (`kubectl version` shows it). */
export const EMULATED_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.0-kloop' } as const;

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const SUB_VERBS = ['get', 'patch', 'update'];

/** `/version`. */
export function versionInfo(): Record<string, string> {
  return {
    ...EMULATED_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'kloop',
    platform: `${process.platform}/${process.arch}`,
  };
}

/** `/api`. */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(group: string, versions: string[]): Record<string, unknown> {
  const list = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

/** `/apis`. */
export function apiGroupList(types: ServedTypes): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: types
      .groups()
      .filter((g) => g.group !== '')
      .map((g) => groupEntry(g.group, g.versions)),
  };
}

/** `/apis/{group}`, or undefined when the group is not served. */
export function apiGroup(types: ServedTypes, group: string): Record<string, unknown> | undefined {
  const g = types.groups().find((x) => x.group === group && group !== '');
  if (!g) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g.group, g.versions) };
}

function resourceEntry(served: ServedType): Record<string, unknown> {
  const t = served.type;
  const entry: Record<string, unknown> = {
    name: t.plural,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: VERBS,
  };
  if (t.shortNames && t.shortNames.length > 0) entry.shortNames = t.shortNames;
  if (t.categories && t.categories.length > 0) entry.categories = t.categories;
  return entry;
}

/** `/api/v1` or `/apis/{group}/{version}`, or undefined when not served. */
export function apiResourceList(
  types: ServedTypes,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const served = types.inGroupVersion(group, version);
  if (served.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const s of served) {
    resources.push(resourceEntry(s));
    if (s.type.subresources.includes('scale')) {
      resources.push({
        name: `${s.type.plural}/scale`,
        singularName: '',
        namespaced: s.type.namespaced,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: SUB_VERBS,
      });
    }
    if (s.hasStatus) {
      resources.push({
        name: `${s.type.plural}/status`,
        singularName: '',
        namespaced: s.type.namespaced,
        kind: s.type.kind,
        verbs: SUB_VERBS,
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources,
  };
}

function responseKind(served: ServedType): Record<string, string> {
  return { group: served.type.group, version: served.type.version, kind: served.type.kind };
}

/**
 * Aggregated discovery (`APIGroupDiscoveryList`, apidiscovery.k8s.io v2 or v2beta1) for `/api`
 * (`core` true: the core group) or `/apis` (every other group), as kubectl 1.27+ asks first.
 */
export function aggregatedDiscovery(
  types: ServedTypes,
  core: boolean,
  version: 'v2' | 'v2beta1',
): Record<string, unknown> {
  const items = types
    .groups()
    .filter((g) => (g.group === '') === core)
    .map((g) => ({
      metadata: core ? { creationTimestamp: null } : { name: g.group, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        resources: types.inGroupVersion(g.group, v).map((s) => {
          const entry: Record<string, unknown> = {
            resource: s.type.plural,
            responseKind: responseKind(s),
            scope: s.type.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: s.type.singular,
            verbs: VERBS,
          };
          if (s.type.shortNames && s.type.shortNames.length > 0) entry.shortNames = s.type.shortNames;
          if (s.type.categories && s.type.categories.length > 0) entry.categories = s.type.categories;
          const subresources: Record<string, unknown>[] = [];
          if (s.hasStatus)
            subresources.push({ subresource: 'status', responseKind: responseKind(s), verbs: SUB_VERBS });
          if (s.type.subresources.includes('scale')) {
            subresources.push({
              subresource: 'scale',
              responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
              verbs: SUB_VERBS,
            });
          }
          if (subresources.length > 0) entry.subresources = subresources;
          return entry;
        }),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
