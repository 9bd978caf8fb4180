/**
 * Builders for the Kubernetes extensions of CRD schemas, on top of TypeBox's `Type`. Each returns
 * a TypeBox schema whose static type says what the field holds, so the object type follows:
 * `K8s.IntOrString()` is `number | string`, `K8s.ListMap(item, ['name'])` an array of the item.
 * Plain keywords (`minimum`, `pattern`, `default`, `x-kubernetes-validations`, ...) go in
 * TypeBox's options, as in `Type.Integer({ minimum: 1, default: 1 })`.
 */
import { type Static, type TArray, type TObject, type TSchema, type TUnsafe, Type } from 'typebox';
import type { ObjectMeta } from '../core/index.js';
import type { ValidationRule } from './types.js';

/** Options every helper accepts: description, default, and further keywords. */
export type SchemaOptions = { description?: string; default?: unknown } & Record<string, unknown>;

/** An object embedded as a whole resource (`apiVersion`, `kind`, `metadata`, ...). */
export interface EmbeddedObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** A copy of a TypeBox schema with more keywords, keeping TypeBox's hidden markers (`~optional`). */
function extend<T extends TSchema>(schema: T, keywords: Record<string, unknown>): T {
  const copy = Object.create(Object.getPrototypeOf(schema), Object.getOwnPropertyDescriptors(schema)) as T;
  return Object.assign(copy, keywords);
}

/** Resource quantities as Kubernetes writes them (`500m`, `1Gi`, `2`). */
const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/**
 * The Kubernetes schema helpers (kubebuilder markers in parentheses).
 *
 * @example
 * ```ts
 * import { Type } from 'kloop';
 *
 * const Spec = Type.Object({
 *   port: K8s.IntOrString({ default: 80 }),
 *   ports: K8s.ListMap(Type.Object({ name: Type.String(), port: Type.Integer() }), ['name']),
 *   template: K8s.EmbeddedResource(),
 *   extra: K8s.PreserveUnknownFields(),
 * }, { 'x-kubernetes-validations': [K8s.Rule('self.ports.size() <= 8', { message: 'at most 8 ports' })] });
 * ```
 */
export const K8s = {
  /** `x-kubernetes-int-or-string` (intstr.IntOrString): a number or a string. */
  IntOrString(options: SchemaOptions = {}): TUnsafe<number | string> {
    return Type.Unsafe<number | string>({ 'x-kubernetes-int-or-string': true, ...options });
  },
  /** A resource quantity (resource.Quantity): int-or-string restricted to quantity syntax. */
  Quantity(options: SchemaOptions = {}): TUnsafe<number | string> {
    return Type.Unsafe<number | string>({
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      pattern: QUANTITY_PATTERN,
      ...options,
    });
  },
  /** A free-form object kept as sent (`+kubebuilder:pruning:PreserveUnknownFields`). */
  PreserveUnknownFields<T = Record<string, unknown>>(options: SchemaOptions = {}): TUnsafe<T> {
    return Type.Unsafe<T>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...options });
  },
  /** A whole Kubernetes object inside this one (`+kubebuilder:validation:EmbeddedResource`). */
  EmbeddedResource<T extends EmbeddedObject = EmbeddedObject>(options: SchemaOptions = {}): TUnsafe<T> {
    return Type.Unsafe<T>({
      type: 'object',
      'x-kubernetes-embedded-resource': true,
      'x-kubernetes-preserve-unknown-fields': true,
      ...options,
    });
  },
  /** A list whose items are unique (`+listType=set`); items must be scalars (or atomic). */
  ListSet<T extends TSchema>(items: T, options: SchemaOptions = {}): TArray<T> {
    return Type.Array(items, { 'x-kubernetes-list-type': 'set', ...options });
  },
  /** A list of objects keyed by some of their fields (`+listType=map`, `+listMapKey=...`). */
  ListMap<T extends TObject>(
    items: T,
    keys: readonly (keyof Static<T> & string)[],
    options: SchemaOptions = {},
  ): TArray<T> {
    return Type.Array(items, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': [...keys], ...options });
  },
  /** A list replaced as a whole on merges (`+listType=atomic`). */
  AtomicList<T extends TSchema>(items: T, options: SchemaOptions = {}): TArray<T> {
    return Type.Array(items, { 'x-kubernetes-list-type': 'atomic', ...options });
  },
  /** An object replaced as a whole on merges (`+mapType=atomic`). */
  Atomic<T extends TSchema>(object: T): T {
    return extend(object, { 'x-kubernetes-map-type': 'atomic' });
  },
  /** An object merged field by field (`+mapType=granular`, the default). */
  Granular<T extends TSchema>(object: T): T {
    return extend(object, { 'x-kubernetes-map-type': 'granular' });
  },
  /** A field that may hold `null` (`+nullable`). */
  Nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
    return Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });
  },
  /** A string from a fixed set (`+kubebuilder:validation:Enum=a;b`). */
  Enum<const V extends readonly string[]>(values: V, options: SchemaOptions = {}): TUnsafe<V[number]> {
    return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
  },
  /** One `x-kubernetes-validations` rule (`+kubebuilder:validation:XValidation:rule=...`). */
  Rule(rule: string, options: Omit<ValidationRule, 'rule'> = {}): ValidationRule {
    return { rule, ...options };
  },
  /** Adds `x-kubernetes-validations` rules to a schema, keeping its static type. */
  Rules<T extends TSchema>(schema: T, rules: readonly (ValidationRule | string)[]): T {
    const list = rules.map((r) => (typeof r === 'string' ? { rule: r } : r));
    const existing =
      ((schema as Record<string, unknown>)['x-kubernetes-validations'] as ValidationRule[] | undefined) ?? [];
    return extend(schema, { 'x-kubernetes-validations': [...existing, ...list] });
  },
} as const;
