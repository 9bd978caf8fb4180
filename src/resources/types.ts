/**
 * The shapes of apiextensions.k8s.io/v1 this module reads and writes (`JSONSchemaProps`, rules,
 * columns, the CustomResourceDefinition): defined in core, so the built-in
 * `CustomResourceDefinition` reference and `crd()` share them.
 */
export type {
  CrdConversion,
  CrdNames,
  CrdVersion,
  CustomResourceDefinitionObject,
  CustomResourceDefinitionSpec,
  CustomResourceDefinitionStatus,
  JSONSchemaProps,
  PrinterColumn,
  ScaleSubresource,
  Subresources,
  ValidationRule,
} from '../core/index.js';
