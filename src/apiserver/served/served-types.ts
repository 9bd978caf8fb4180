/**
 * The resource types the emulator serves: the built-ins from `core` plus the custom resources
 * registered by CRDs, each with the server-side rules the handlers need (status subresource,
 * what bumps `metadata.generation`, which patch types are accepted, what DELETE returns).
 */
import { BUILTIN_RESOURCE_TYPES, type ResourceType } from '../../core/index.js';
import { type Conversion, EVENTS_V1_CONVERSION } from './events-conversion.js';

/** `fieldValidation` of a write: what to do about fields the schema does not know. */
export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

/**
 * The schema rules of a custom resource version on the write path (implemented in
 * `validation/custom-resources.ts`): each returns `Warning` texts and throws the Status of a
 * refused write.
 */
export interface CustomResourceSchema {
  /** Prunes undeclared fields and applies defaults in place (the request's decoding). */
  decode(object: Record<string, unknown>, fieldValidation?: FieldValidation): string[];
  /** Validates a create (after the strategy prepared it). */
  validateCreate(object: Record<string, unknown>): string[];
  /** Validates an update of the main resource or of `/status`, ratcheting against `old`. */
  validateUpdate(object: Record<string, unknown>, old: Record<string, unknown>, subresource?: string): string[];
  /** Applies the storage version's defaults to an object in its stored form. */
  applyStorageDefaults(object: Record<string, unknown>): void;
}

/** Which changes bump `metadata.generation` (each kind's strategy `PrepareForUpdate`). */
export type GenerationRule = 'none' | 'spec' | 'spec-and-annotations' | 'all-but-metadata';

/** A served resource type with the server-side rules that apply to it. */
export interface ServedType {
  readonly type: ResourceType;
  /** Storage id, shared by every version of the resource: `group/plural`. */
  readonly storeId: string;
  /** True for custom resources (CRD-defined). */
  readonly custom: boolean;
  /** Has the status subresource: the main endpoint ignores `.status`, `/status` only writes it. */
  readonly hasStatus: boolean;
  readonly generation: GenerationRule;
  /** DELETE answers the deleted object (custom resources) instead of a Success Status. */
  readonly returnsDeletedObject: boolean;
  /** Accepted PATCH media types. */
  readonly patchTypes: readonly string[];
  /** Extra field-selector labels beyond metadata.name/namespace, with how to read them. */
  readonly fieldLabels?: Readonly<Record<string, readonly string[]>>;
  /** For custom resources, the CRD's version entry (schema, printer columns, subresources). */
  readonly crdVersion?: Readonly<Record<string, unknown>>;
  /** Set when objects are stored in another form (events.k8s.io Events live in the core store). */
  readonly conversion?: Conversion;
  /** For custom resources, the version's schema: pruning, defaulting and validation of writes. */
  readonly customSchema?: CustomResourceSchema;
  /** `Warning` sent with every request to a deprecated custom resource version. */
  readonly deprecationWarning?: string;
}

/** The ResourceRef of a served type, for error messages. */
export function refOf(served: ServedType): { group: string; plural: string; kind: string } {
  return { group: served.type.group, plural: served.type.plural, kind: served.type.kind };
}

/** `plural` and `plural.group`: the names faults scope by. */
export function resourceNames(served: ServedType): string[] {
  const { plural, group } = served.type;
  return group === '' ? [plural] : [plural, `${plural}.${group}`];
}

/** PATCH media type: JSON patch (RFC 6902). */
export const PATCH_JSON = 'application/json-patch+json';
/** PATCH media type: merge patch (RFC 7386). */
export const PATCH_MERGE = 'application/merge-patch+json';
/** PATCH media type: strategic merge patch (built-ins only). */
export const PATCH_STRATEGIC = 'application/strategic-merge-patch+json';
/** PATCH media type: server-side apply. */
export const PATCH_APPLY_YAML = 'application/apply-patch+yaml';

const BUILTIN_PATCH_TYPES = [PATCH_JSON, PATCH_MERGE, PATCH_APPLY_YAML, PATCH_STRATEGIC];
const CUSTOM_PATCH_TYPES = [PATCH_JSON, PATCH_MERGE, PATCH_APPLY_YAML];

const GENERATION: Record<string, GenerationRule> = {
  'apps/deployments': 'spec-and-annotations',
  'apps/replicasets': 'spec',
  'apps/statefulsets': 'spec',
  'apps/daemonsets': 'spec',
  'batch/jobs': 'spec',
  'batch/cronjobs': 'spec',
  'apiextensions.k8s.io/customresourcedefinitions': 'spec',
};

/** Field selector labels of built-ins beyond metadata.*, as paths into the object. */
const FIELD_LABELS: Record<string, Record<string, readonly string[]>> = {
  '/pods': {
    'spec.nodeName': ['spec', 'nodeName'],
    'spec.restartPolicy': ['spec', 'restartPolicy'],
    'spec.schedulerName': ['spec', 'schedulerName'],
    'spec.serviceAccountName': ['spec', 'serviceAccountName'],
    'spec.hostNetwork': ['spec', 'hostNetwork'],
    'status.phase': ['status', 'phase'],
    'status.podIP': ['status', 'podIP'],
    'status.nominatedNodeName': ['status', 'nominatedNodeName'],
  },
  '/secrets': { type: ['type'] },
  '/namespaces': { 'status.phase': ['status', 'phase'] },
  '/events': {
    'involvedObject.kind': ['involvedObject', 'kind'],
    'involvedObject.namespace': ['involvedObject', 'namespace'],
    'involvedObject.name': ['involvedObject', 'name'],
    'involvedObject.uid': ['involvedObject', 'uid'],
    'involvedObject.apiVersion': ['involvedObject', 'apiVersion'],
    'involvedObject.resourceVersion': ['involvedObject', 'resourceVersion'],
    'involvedObject.fieldPath': ['involvedObject', 'fieldPath'],
    reason: ['reason'],
    reportingComponent: ['reportingComponent'],
    source: ['source', 'component'],
    type: ['type'],
  },
};

/** The served rules of a built-in type. */
export function builtinServedType(type: ResourceType): ServedType {
  if (type.group === 'events.k8s.io' && type.plural === 'events') {
    // One store for both Event APIs; this one converts (see events-conversion.ts).
    return { ...builtinServedType({ ...type, group: '' }), type, conversion: EVENTS_V1_CONVERSION };
  }
  const storeId = `${type.group}/${type.plural}`;
  const served: ServedType = {
    type,
    storeId,
    custom: false,
    hasStatus: type.subresources.includes('status'),
    generation: GENERATION[storeId] ?? 'none',
    returnsDeletedObject: false,
    patchTypes: BUILTIN_PATCH_TYPES,
    ...(FIELD_LABELS[storeId] ? { fieldLabels: FIELD_LABELS[storeId] } : {}),
  };
  return served;
}

/** The served rules of a custom resource version. */
export function customServedType(
  type: ResourceType,
  crdVersion: Readonly<Record<string, unknown>>,
  fieldLabels?: Record<string, readonly string[]>,
  conversion?: Conversion,
  extra: { customSchema?: CustomResourceSchema; deprecationWarning?: string } = {},
): ServedType {
  return {
    ...(conversion ? { conversion } : {}),
    ...(extra.customSchema ? { customSchema: extra.customSchema } : {}),
    ...(extra.deprecationWarning !== undefined ? { deprecationWarning: extra.deprecationWarning } : {}),
    type,
    storeId: `${type.group}/${type.plural}`,
    custom: true,
    hasStatus: type.subresources.includes('status'),
    generation: 'all-but-metadata',
    returnsDeletedObject: true,
    patchTypes: CUSTOM_PATCH_TYPES,
    crdVersion,
    ...(fieldLabels && Object.keys(fieldLabels).length > 0 ? { fieldLabels } : {}),
  };
}

/**
 * Kubernetes version order: GA before beta before alpha, higher numbers first, then anything
 * else alphabetically (the order discovery lists versions in and the preferred version).
 */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), m[3] === undefined ? 0 : Number(m[3])];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa && pb) {
    for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pb[i] - pa[i];
    return 0;
  }
  if (pa) return -1;
  if (pb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every served type, looked up by URL parts or by `{apiVersion, kind}`. */
export class ServedTypes {
  private readonly byUrl = new Map<string, ServedType>();
  /** Group order of first registration (discovery lists groups in a stable order). */
  private readonly groupOrder: string[] = [];

  constructor(builtins: readonly ResourceType[] = BUILTIN_RESOURCE_TYPES) {
    for (const type of builtins) this.add(builtinServedType(type));
  }

  /** Serves a type (replacing one with the same group/version/plural). */
  add(served: ServedType): void {
    const { group, version, plural } = served.type;
    this.byUrl.set(`${group}/${version}/${plural}`, served);
    if (!this.groupOrder.includes(group)) this.groupOrder.push(group);
  }

  /** Stops serving every version of `group/plural`. */
  removeResource(group: string, plural: string): void {
    for (const [key, served] of this.byUrl) {
      if (served.type.group === group && served.type.plural === plural) this.byUrl.delete(key);
    }
  }

  /** The type at `/apis/{group}/{version}/{plural}` (or `/api/v1/...` for group ''). */
  byResource(group: string, version: string, plural: string): ServedType | undefined {
    return this.byUrl.get(`${group}/${version}/${plural}`);
  }

  /** The type of `{ apiVersion, kind }`, if served. */
  byTypeRef(apiVersion: string, kind: string): ServedType | undefined {
    for (const served of this.byUrl.values()) {
      if (served.type.apiVersion === apiVersion && served.type.kind === kind) return served;
    }
    return undefined;
  }

  /** Every served type. */
  all(): ServedType[] {
    return [...this.byUrl.values()];
  }

  /** Groups with their versions in preference order (core group '' first). */
  groups(): { group: string; versions: string[] }[] {
    const versions = new Map<string, Set<string>>();
    for (const served of this.byUrl.values()) {
      const set = versions.get(served.type.group) ?? new Set<string>();
      set.add(served.type.version);
      versions.set(served.type.group, set);
    }
    return this.groupOrder
      .filter((g) => versions.has(g))
      .map((group) => ({ group, versions: [...(versions.get(group) ?? [])].sort(compareKubeVersions) }));
  }

  /** The types served under one group version, in registration order. */
  inGroupVersion(group: string, version: string): ServedType[] {
    return this.all().filter((s) => s.type.group === group && s.type.version === version);
  }
}
