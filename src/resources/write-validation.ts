/**
 * Client-side validation: a write of a defined resource is checked against its schema before it
 * is sent, with the validator the emulator uses, so a reconciler's mistake fails where it is made
 * with the message the API server would give. The object is prepared as the server prepares it
 * (a copy is pruned and defaulted; the original is sent unchanged), then validated as a create,
 * an update (ratcheted against the current object) or a `/status` update.
 */
import { deepClone, KloopError, type Status, type StatusCause } from '../core/index.js';
import { isResource } from './define.js';
import { type FieldError, invalidStatus } from './field-errors.js';
import type { ObjectValidator } from './validator.js';

/**
 * A write refused before it was sent (code `KLOOP_VALIDATION_FAILED`): the object breaks its
 * resource's schema. `status` is the 422 `Invalid` the API server would answer, and `message`
 * its message (`Memcached.cache.example.com "x" is invalid: spec.size: Invalid value: 50: ...`).
 *
 * @remarks Not retryable as such: the object must change. Opt out per client (`validate: false`)
 * or per write (`{ validate: false }`) to let the server decide.
 */
export class ValidationError extends KloopError {
  /** The 422 Status the API server would answer. */
  readonly status: Status;
  /** The field errors, as the server reports them. */
  readonly errors: readonly FieldError[];

  constructor(status: Status, errors: readonly FieldError[]) {
    super('KLOOP_VALIDATION_FAILED', status.message ?? 'invalid object');
    this.status = status;
    this.errors = errors;
  }

  /** `Invalid`, as the server's reason. */
  get reason(): string | undefined {
    return this.status.reason;
  }

  /** One cause per field error (`{ type, message, field }`), as in the server's Status. */
  get causes(): readonly StatusCause[] {
    return this.status.details?.causes ?? [];
  }
}

/** What kind of write is validated. */
export interface WriteValidation {
  /**
   * The object before the write: updates are ratcheted against it and transition rules compare
   * with it. Without it, a main-resource write is validated as a create.
   */
  readonly current?: unknown;
  /** A `/status` write: the status schema and rules. */
  readonly status?: boolean;
  /**
   * A server-side apply configuration: it may leave out fields other managers own, so missing
   * required fields are not errors (the server checks the merged object).
   */
  readonly partial?: boolean;
}

/**
 * Validates `object` for a write as the API server would, on a pruned and defaulted copy.
 * Returns the warnings (ratcheted rule failures); throws {@link ValidationError} with the
 * server's 422 when the object is invalid.
 *
 * @example
 * ```ts
 * import { defineResource, Type } from 'kloop';
 *
 * const Memcached = defineResource({
 *   group: 'cache.example.com', version: 'v1', kind: 'Memcached',
 *   spec: Type.Object({ size: Type.Integer({ maximum: 10 }) }),
 * });
 * const obj = { apiVersion: 'cache.example.com/v1', kind: 'Memcached', metadata: { name: 'x' }, spec: { size: 50 } };
 * try {
 *   validateWrite(Memcached.validator(), obj);
 * } catch (err) {
 *   if (err instanceof ValidationError) console.log(err.message);
 *   // Memcached.cache.example.com "x" is invalid: spec.size: Invalid value: 50: spec.size in body should be less than or equal to 10
 * }
 * ```
 */
export function validateWrite(validator: ObjectValidator, object: unknown, how: WriteValidation = {}): string[] {
  const copy = deepClone(object);
  validator.prune(copy);
  validator.applyDefaults(copy);
  const result = how.status
    ? validator.validateStatusUpdate(copy, how.current ?? {})
    : how.current === undefined
      ? validator.validateCreate(copy)
      : validator.validateUpdate(copy, how.current);
  const errors = how.partial ? withoutRequired(result.errors) : result.errors;
  if (errors.length > 0) {
    const { apiVersion, kind } = validator.source;
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    const metadata = (object as { metadata?: { name?: unknown } } | null)?.metadata;
    const name = typeof metadata?.name === 'string' ? metadata.name : '';
    throw new ValidationError(invalidStatus({ group, kind, name }, errors), errors);
  }
  return result.warnings;
}

const BLOCKING = new Set(['FieldValueNotSupported', 'FieldValueTooLong', 'FieldValueTooMany', 'FieldValueTypeInvalid']);

/**
 * The errors of a partial object: missing required fields are not errors, and the notice that
 * rules were skipped goes with them when nothing else blocked the rules.
 */
function withoutRequired(errors: readonly FieldError[]): FieldError[] {
  const kept = errors.filter((e) => e.type !== 'FieldValueRequired');
  if (kept.some((e) => BLOCKING.has(e.type))) return kept;
  return kept.filter((e) => !(e.field === '<nil>' && e.detail.startsWith('some validation rules were not checked')));
}

/**
 * The validators of the defined resources a client knows, by `apiVersion` and `kind`: those it
 * was given, and every defined resource (any version) passed to it as a type since.
 */
export class ResourceValidators {
  readonly #byType = new Map<string, () => ObjectValidator>();

  constructor(resources: readonly unknown[] = []) {
    for (const r of resources) this.learn(r);
  }

  /** Remembers `type` (and its other versions) when it is a defined resource; ignores anything else. */
  learn(type: unknown): void {
    // The brand, not `instanceof`: a resource made by another copy of kloop counts too.
    if (!isResource(type)) return;
    const id = `${type.apiVersion}\u0000${type.kind}`;
    if (this.#byType.has(id)) return;
    this.#byType.set(id, () => type.validator());
    const versions = (type as { versions?: Record<string, unknown> }).versions;
    if (versions !== undefined) for (const v of Object.values(versions)) this.learn(v);
  }

  /** The validator of `{ apiVersion, kind }`, if a defined resource of that type is known. */
  get(apiVersion: unknown, kind: unknown): ObjectValidator | undefined {
    return this.#byType.get(`${String(apiVersion)}\u0000${String(kind)}`)?.();
  }
}
