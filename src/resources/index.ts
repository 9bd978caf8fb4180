/**
 * kloop resources: custom resources defined once, and the API server's validation of them.
 * Nothing here does I/O; the emulator and the client both build on it.
 *
 * - Definition (`define.ts`, `crd.ts`, `schema-helpers.ts`, `from-typebox.ts`): `defineResource`
 *   takes TypeBox schemas (`Type`, re-exported) plus the Kubernetes extensions (`K8s`) and gives
 *   the object type, the resource type, the validator and the CRD; several versions convert
 *   through the storage version. Resources carry a `Symbol.for('kloop.resource')` brand.
 * - CRD admission (`crd-validation.ts`, `schema-admission.ts`, `structural.ts`): what
 *   apiextensions.k8s.io/v1 refuses, with its messages: non-structural schemas, bad defaults,
 *   misused extensions, rules that do not compile, bad names, columns and selectable fields.
 * - Object validation (`validator.ts` over `pruning.ts`, `defaulting.ts`, `schema-validator.ts`,
 *   `embedded.ts`, `list-type.ts`, `cel/`): pruning, defaulting, every OpenAPI keyword, list-type
 *   uniqueness and CEL rules with the Kubernetes libraries, ratcheting on update, and the 422
 *   `Status` (`field-errors.ts`), all with Kubernetes 1.33's texts.
 * - Client-side validation (`write-validation.ts`): a write checked before it is sent, refused
 *   with `ValidationError` carrying the 422 the server would answer.
 * - `jsonpath.ts`: kubectl JSONPath with filters, and the Table cell of a printer column.
 * - Go's renderings (`go-format.ts`) and RE2 regular expressions (`regex.ts`) that the texts and
 *   patterns depend on.
 */

export { type Static, Type } from 'typebox';
export type { ObjectOf } from '../core/index.js';
export { CelCompileError, PER_CALL_LIMIT, RUNTIME_COST_BUDGET } from './cel/environment.js';
export { compileRuleValidator, type RuleResult, type RuleValidator, resolveFieldPath } from './cel/rules.js';
export type { CrdOptions } from './crd.js';
export { validateCustomResourceDefinition } from './crd-validation.js';
export { applyDefaults } from './defaulting.js';
export {
  type CustomObject,
  type DefinitionBase,
  defineResource,
  isResource,
  type MultiVersionDefinition,
  RESOURCE_BRAND,
  type Resource,
  ResourceDefinitionError,
  type ResourceVersion,
  type SingleVersionDefinition,
  type VersionConverter,
  type VersionDefinition,
} from './define.js';
export { validateEmbeddedResources } from './embedded.js';
export {
  aggregateFieldErrors,
  childPath,
  type FieldError,
  type FieldErrorType,
  type FieldPath,
  fieldErrorBody,
  fieldErrorString,
  type InvalidTarget,
  indexPath,
  invalidStatus,
} from './field-errors.js';
export { SchemaConversionError, toCrdSchema } from './from-typebox.js';
export { goQuote } from './go-format.js';
export {
  type JsonPath,
  JsonPathError,
  type PrinterColumnType,
  parseJsonPath,
  printerColumnCell,
  printJsonPathValue,
} from './jsonpath.js';
export { validateListTypes } from './list-type.js';
export { OBJECT_META_FIELDS, pruneUnknownFields } from './pruning.js';
export { compileGoRegex, type GoRegex, RegexSyntaxError } from './regex.js';
export { checkStructural, type StructuralCheckOptions } from './schema-admission.js';
export { type EmbeddedObject, K8s, type SchemaOptions } from './schema-helpers.js';
export { type SchemaValidationOptions, validateAgainstSchema } from './schema-validator.js';
export type {
  CrdConversion,
  CrdNames,
  CrdVersion,
  CustomResourceDefinitionObject,
  JSONSchemaProps,
  PrinterColumn,
  ScaleSubresource,
  Subresources,
  ValidationRule,
} from './types.js';
export {
  compileObjectValidator,
  type ObjectValidator,
  type ValidationResult,
  type ValidatorSource,
} from './validator.js';
export {
  ResourceValidators,
  ValidationError,
  validateWrite,
  type WriteValidation,
} from './write-validation.js';
