/**
 * The shapes of apiextensions.k8s.io/v1 CustomResourceDefinitions: `JSONSchemaProps` (a CRD's
 * `openAPIV3Schema`), validation rules, printer columns, versions and the CRD itself. Field names
 * and meanings follow `k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1`. Written as type
 * aliases (not interfaces) so that a CRD is also a `KubeObject`. Types only.
 */

/** One `x-kubernetes-validations` entry (Go: `ValidationRule`). */
export type ValidationRule = {
  /** The CEL expression; `self` is the value at this node, `oldSelf` the previous one. */
  rule: string;
  /** Shown when the rule fails; defaults to `failed rule: <rule>`. */
  message?: string;
  /** A CEL expression giving the message (a non-empty string without line breaks). */
  messageExpression?: string;
  /** The cause type reported; `FieldValueInvalid` when absent. */
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  /** A relative path (`.spec.x`, `['a.b']`) naming the field the error is reported on. */
  fieldPath?: string;
  /** With `oldSelf` in the rule: evaluate on create too, `oldSelf` then being an optional. */
  optionalOldSelf?: boolean;
};

/** `JSONSchemaProps`: the OpenAPI v3 schema subset (plus extensions) CRDs accept. */
export type JSONSchemaProps = {
  id?: string;
  $schema?: string;
  $ref?: string;
  description?: string;
  type?: string;
  format?: string;
  title?: string;
  default?: unknown;
  maximum?: number;
  exclusiveMaximum?: boolean;
  minimum?: number;
  exclusiveMinimum?: boolean;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  multipleOf?: number;
  enum?: unknown[];
  maxProperties?: number;
  minProperties?: number;
  required?: string[];
  items?: JSONSchemaProps | JSONSchemaProps[];
  allOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  patternProperties?: Record<string, JSONSchemaProps>;
  dependencies?: Record<string, JSONSchemaProps | string[]>;
  additionalItems?: JSONSchemaProps | boolean;
  definitions?: Record<string, JSONSchemaProps>;
  externalDocs?: { description?: string; url?: string };
  example?: unknown;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-validations'?: ValidationRule[];
};

/** `additionalPrinterColumns[]` (Go: `CustomResourceColumnDefinition`). */
export type PrinterColumn = {
  name: string;
  type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  /** A kubectl JSONPath evaluated against each object, e.g. `.status.replicas`. */
  jsonPath: string;
  format?: 'int32' | 'int64' | 'float' | 'double' | 'byte' | 'date' | 'date-time' | 'password';
  description?: string;
  /** 0 is shown by default; higher numbers only with `-o wide`. */
  priority?: number;
};

/** `subresources.scale` (Go: `CustomResourceSubresourceScale`). */
export type ScaleSubresource = {
  /** e.g. `.spec.replicas`. */
  specReplicasPath: string;
  /** e.g. `.status.replicas`. */
  statusReplicasPath: string;
  /** e.g. `.status.selector` (a label selector in string form). */
  labelSelectorPath?: string;
};

/** `subresources` of a version. */
export type Subresources = {
  status?: Record<string, never>;
  scale?: ScaleSubresource;
};

/** One `spec.versions[]` entry of a CRD. */
export type CrdVersion = {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema?: { openAPIV3Schema: JSONSchemaProps };
  subresources?: Subresources;
  additionalPrinterColumns?: PrinterColumn[];
  selectableFields?: { jsonPath: string }[];
};

/** `spec.names` of a CRD. */
export type CrdNames = {
  plural: string;
  singular?: string;
  kind: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
};

/** `spec.conversion` of a CRD. */
export type CrdConversion = {
  strategy: 'None' | 'Webhook';
  webhook?: {
    conversionReviewVersions: string[];
    clientConfig?: {
      url?: string;
      service?: { namespace: string; name: string; path?: string; port?: number };
      caBundle?: string;
    };
  };
};

/** `spec` of a CustomResourceDefinition. */
export type CustomResourceDefinitionSpec = {
  group: string;
  names: CrdNames;
  scope: 'Namespaced' | 'Cluster';
  versions: CrdVersion[];
  conversion?: CrdConversion;
  preserveUnknownFields?: boolean;
};

/** `status` of a CustomResourceDefinition, as the API server writes it. */
export type CustomResourceDefinitionStatus = {
  conditions?: {
    type: string;
    status: 'True' | 'False' | 'Unknown';
    lastTransitionTime?: string;
    reason?: string;
    message?: string;
  }[];
  acceptedNames?: CrdNames;
  storedVersions?: string[];
};

/** An apiextensions.k8s.io/v1 CustomResourceDefinition as `crd()` of a defined resource produces it. */
export type CustomResourceDefinitionObject = {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: CustomResourceDefinitionSpec;
};
