/**
 * The CustomResourceDefinition of a definition, as controller-gen would write it: the root schema
 * with `apiVersion`, `kind`, `metadata`, `spec` (required unless optional) and `status`, one entry
 * per version with its subresources, printer columns and selectable fields, and
 * `spec.conversion: {strategy: None}` when there are several versions.
 */
import { toCrdSchema } from './from-typebox.js';
import type {
  CrdConversion,
  CrdNames,
  CrdVersion,
  CustomResourceDefinitionObject,
  JSONSchemaProps,
  PrinterColumn,
  ScaleSubresource,
  ValidationRule,
} from './types.js';

/** A version as the definition normalises it (schemas already in CRD form). */
export interface NormalizedVersion {
  readonly name: string;
  readonly served: boolean;
  readonly storage: boolean;
  readonly deprecated: boolean;
  readonly deprecationWarning?: string;
  readonly schema: JSONSchemaProps;
  readonly statusSubresource: boolean;
  readonly scale?: ScaleSubresource;
  readonly printerColumns: readonly PrinterColumn[];
  readonly selectableFields: readonly string[];
}

/** The definition in CRD terms. */
export interface NormalizedDefinition {
  readonly group: string;
  readonly scope: 'Namespaced' | 'Cluster';
  readonly names: Required<Pick<CrdNames, 'plural' | 'singular' | 'kind' | 'listKind'>> &
    Pick<CrdNames, 'shortNames' | 'categories'>;
  readonly versions: readonly NormalizedVersion[];
}

const API_VERSION_DESCRIPTION =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND_DESCRIPTION =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

/** Input of {@link rootSchema}: one version's parts as the user wrote them. */
export interface VersionParts {
  readonly kind: string;
  readonly spec?: unknown;
  readonly status?: unknown;
  readonly description?: string;
  readonly validations?: readonly (ValidationRule | string)[];
}

function isOptional(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && (schema as Record<string, unknown>)['~optional'] === true;
}

/** The `openAPIV3Schema` of one version. */
export function rootSchema(parts: VersionParts): JSONSchemaProps {
  const properties: Record<string, JSONSchemaProps> = {
    apiVersion: { type: 'string', description: API_VERSION_DESCRIPTION },
    kind: { type: 'string', description: KIND_DESCRIPTION },
    metadata: { type: 'object' },
  };
  const required: string[] = [];
  if (parts.spec !== undefined) {
    properties.spec = toCrdSchema(parts.spec, 'spec');
    if (!isOptional(parts.spec)) required.push('spec');
  }
  if (parts.status !== undefined) properties.status = toCrdSchema(parts.status, 'status');
  const schema: JSONSchemaProps = { type: 'object' };
  if (parts.description !== undefined) schema.description = parts.description;
  schema.properties = properties;
  if (required.length > 0) schema.required = required;
  const rules = (parts.validations ?? []).map((r) => (typeof r === 'string' ? { rule: r } : { ...r }));
  if (rules.length > 0) schema['x-kubernetes-validations'] = rules;
  return schema;
}

/** Options of a resource's `crd()`. */
export interface CrdOptions {
  /** Labels and annotations to put on the CRD. */
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  /**
   * Writes `spec.conversion` as the Webhook strategy with this webhook. kloop does not serve
   * conversion webhooks (yet): this only writes the stanza, for a webhook you run.
   */
  readonly conversionWebhook?: NonNullable<CrdConversion['webhook']>;
}

/** Builds the CRD object of a normalised definition. */
export function buildCrd(def: NormalizedDefinition, options: CrdOptions = {}): CustomResourceDefinitionObject {
  const names: CrdNames = {
    kind: def.names.kind,
    listKind: def.names.listKind,
    plural: def.names.plural,
    singular: def.names.singular,
  };
  if (def.names.shortNames !== undefined && def.names.shortNames.length > 0)
    names.shortNames = [...def.names.shortNames];
  if (def.names.categories !== undefined && def.names.categories.length > 0)
    names.categories = [...def.names.categories];
  const versions: CrdVersion[] = def.versions.map((v) => {
    const out: CrdVersion = { name: v.name, served: v.served, storage: v.storage };
    if (v.deprecated) out.deprecated = true;
    if (v.deprecationWarning !== undefined) out.deprecationWarning = v.deprecationWarning;
    out.schema = { openAPIV3Schema: structuredClone(v.schema) };
    if (v.statusSubresource || v.scale !== undefined) {
      out.subresources = {};
      if (v.statusSubresource) out.subresources.status = {};
      if (v.scale !== undefined) out.subresources.scale = { ...v.scale };
    }
    if (v.printerColumns.length > 0) out.additionalPrinterColumns = v.printerColumns.map((c) => ({ ...c }));
    if (v.selectableFields.length > 0) out.selectableFields = v.selectableFields.map((jsonPath) => ({ jsonPath }));
    return out;
  });
  const metadata: CustomResourceDefinitionObject['metadata'] = { name: `${def.names.plural}.${def.group}` };
  if (options.labels !== undefined) metadata.labels = { ...options.labels };
  if (options.annotations !== undefined) metadata.annotations = { ...options.annotations };
  const crd: CustomResourceDefinitionObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata,
    spec: { group: def.group, names, scope: def.scope, versions },
  };
  if (options.conversionWebhook !== undefined) {
    crd.spec.conversion = { strategy: 'Webhook', webhook: structuredClone(options.conversionWebhook) };
  } else if (versions.length > 1) {
    crd.spec.conversion = { strategy: 'None' };
  }
  return crd;
}

/** English plural of a lower-cased kind, as kubebuilder's default names read (`policy` -> `policies`). */
export function pluralize(singular: string): string {
  if (/(s|x|z|ch|sh)$/.test(singular)) return `${singular}es`;
  if (/[^aeiou]y$/.test(singular)) return `${singular.slice(0, -1)}ies`;
  return `${singular}s`;
}
