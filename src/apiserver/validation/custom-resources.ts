/**
 * Custom resources on the write path (apiextensions-apiserver's `customresource` strategy and its
 * `pkg/apiserver/schema` pruning, defaulting and validation), with the validator of the resources
 * module, so the emulator and client-side validation answer alike:
 *
 * - decoding: fields the version's `openAPIV3Schema` does not declare are pruned (unknown
 *   `metadata` fields too) and `fieldValidation` decides what that means: Strict refuses them
 *   (400 `strict decoding error: unknown field "spec.foo"`), Warn (the default) answers with a
 *   `Warning` header per field, Ignore says nothing; then the version's defaults are applied;
 * - validation after the strategy prepared the object (status dropped on create, kept on update):
 *   every schema keyword, list types, embedded resources, scale paths and CEL rules, ratcheted on
 *   update; `/status` writes validate the status. Failures are the 422 `Invalid` with the real
 *   message and causes; rule failures that ratcheting forgives come back as warnings;
 * - storage: objects converted into the storage version get its defaults, as the real server
 *   applies them when it reads an object back from etcd (a write answers what a read returns).
 *
 * Everything here works in the request's version; conversion to and from the stored form is the
 * cluster's (`registry/cluster.ts`).
 */
import {
  applyDefaults,
  compileObjectValidator,
  type FieldError,
  invalidStatus,
  type JSONSchemaProps,
  OBJECT_META_FIELDS,
  type ObjectValidator,
  type ScaleSubresource,
} from '../../resources/index.js';
import { badRequest, StatusError } from '../errors/status-errors.js';
import type { CustomResourceSchema, FieldValidation } from '../served/served-types.js';

/** What one served version of a CRD validates with: its schema, scale paths and the storage schema. */
export interface CustomResourceSchemaSource {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The version's `openAPIV3Schema` (absent only in CRDs the server would refuse). */
  readonly schema: JSONSchemaProps | undefined;
  readonly scale?: ScaleSubresource;
  /** The storage version's schema, whose defaults stored objects get. */
  readonly storageSchema: JSONSchemaProps | undefined;
}

/**
 * The validation of one served version of a custom resource. The validator (with its compiled
 * CEL rules) is built on first use and lives as long as the CRD is unchanged.
 */
export class CustomResourceValidation implements CustomResourceSchema {
  #validator: ObjectValidator | undefined;

  constructor(readonly source: CustomResourceSchemaSource) {}

  /** The version's validator, or undefined without a schema. */
  get validator(): ObjectValidator | undefined {
    const { schema, group, version, kind, scale } = this.source;
    if (schema === undefined) return undefined;
    this.#validator ??= compileObjectValidator({
      apiVersion: `${group}/${version}`,
      kind,
      schema,
      ...(scale !== undefined ? { scale } : {}),
    });
    return this.#validator;
  }

  /**
   * Prunes what the schema does not declare and applies its defaults, in place (the request's
   * decoding). Returns the `Warning` texts; throws 400 for unknown fields under Strict.
   */
  decode(object: Record<string, unknown>, fieldValidation: FieldValidation = 'Warn'): string[] {
    const unknown = pruneMetadata(object);
    const validator = this.validator;
    if (validator !== undefined) {
      unknown.push(...validator.prune(object));
      validator.applyDefaults(object);
    }
    if (unknown.length === 0 || fieldValidation === 'Ignore') return [];
    const texts = unknown.map((path) => `unknown field ${JSON.stringify(path)}`);
    if (fieldValidation === 'Strict') throw badRequest(`strict decoding error: ${texts.join(', ')}`);
    return texts;
  }

  /** Validates a create (after the strategy dropped what create ignores). Throws the 422. */
  validateCreate(object: Record<string, unknown>): string[] {
    const validator = this.validator;
    if (validator === undefined) return [];
    return this.#answer(object, validator.validateCreate(object));
  }

  /**
   * Validates an update of the main resource or of `/status` (after the strategy kept what the
   * endpoint does not write), ratcheting against `old`. Throws the 422.
   */
  validateUpdate(object: Record<string, unknown>, old: Record<string, unknown>, subresource?: string): string[] {
    const validator = this.validator;
    if (validator === undefined) return [];
    const result =
      subresource === 'status' ? validator.validateStatusUpdate(object, old) : validator.validateUpdate(object, old);
    return this.#answer(object, result);
  }

  /** Applies the storage version's defaults to an object in its stored form. */
  applyStorageDefaults(object: Record<string, unknown>): void {
    const schema = this.source.storageSchema;
    if (schema !== undefined) applyDefaults(object, schema);
  }

  #answer(object: Record<string, unknown>, result: { errors: FieldError[]; warnings: string[] }): string[] {
    if (result.errors.length > 0) {
      const metadata = object.metadata as Record<string, unknown> | undefined;
      const name = typeof metadata?.name === 'string' ? metadata.name : '';
      throw new StatusError(invalidStatus({ group: this.source.group, kind: this.source.kind, name }, result.errors));
    }
    return result.warnings;
  }
}

/** Removes unknown `metadata` fields (the server's ObjectMeta decoding drops them); returns their paths. */
function pruneMetadata(object: Record<string, unknown>): string[] {
  const metadata = object.metadata;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return [];
  const unknown: string[] = [];
  for (const key of Object.keys(metadata)) {
    if (OBJECT_META_FIELDS.has(key)) continue;
    unknown.push(`metadata.${key}`);
    delete (metadata as Record<string, unknown>)[key];
  }
  return unknown;
}
