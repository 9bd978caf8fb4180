/**
 * `defineResource`: one definition of a custom resource gives its TypeScript object type, the
 * resource type used everywhere a type is given, its validator and its CustomResourceDefinition.
 * The definition is checked as the API server would check the CRD (structural schema, rules that
 * compile, names, columns, ...): a definition the server would refuse throws here, with the
 * server's message.
 */
import type { Static, TSchema } from 'typebox';
import {
  deepClone,
  KloopError,
  type KubeObject,
  type ObjectMeta,
  type ResourceType,
  type TypedRef,
} from '../core/index.js';
import {
  buildCrd,
  type CrdOptions,
  type NormalizedDefinition,
  type NormalizedVersion,
  pluralize,
  rootSchema,
} from './crd.js';
import { validateCustomResourceDefinition } from './crd-validation.js';
import { aggregateFieldErrors, type FieldError } from './field-errors.js';
import { SchemaConversionError } from './from-typebox.js';
import type {
  CustomResourceDefinitionObject,
  JSONSchemaProps,
  PrinterColumn,
  ScaleSubresource,
  ValidationRule,
} from './types.js';
import { compileObjectValidator, type ObjectValidator } from './validator.js';

/** The brand marking resource definitions; `Symbol.for`, so two copies of kloop agree on it. */
export const RESOURCE_BRAND: unique symbol = Symbol.for('kloop.resource') as never;

/** Thrown by {@link defineResource} for a definition the API server would refuse. */
export class ResourceDefinitionError extends KloopError {
  /** The field errors, as the server would report them for the generated CRD. */
  readonly errors: readonly FieldError[];

  constructor(message: string, errors: readonly FieldError[] = []) {
    super('KLOOP_INVALID_RESOURCE_DEFINITION', message);
    this.errors = errors;
  }
}

/** What one version of a resource declares. */
export interface VersionDefinition<
  Spec extends TSchema | undefined = TSchema | undefined,
  Status extends TSchema | undefined = TSchema | undefined,
> {
  /** The `spec` schema (TypeBox); required in objects unless wrapped in `Type.Optional`. */
  readonly spec?: Spec;
  /** The `status` schema (TypeBox); always optional in objects. */
  readonly status?: Status;
  /** Description of the kind, shown by `kubectl explain`. */
  readonly description?: string;
  /** `x-kubernetes-validations` at the root: rules over the whole object (`self.spec.a < self.spec.b`). */
  readonly validations?: readonly (ValidationRule | string)[];
  /** `additionalPrinterColumns`: what `kubectl get` shows. */
  readonly printerColumns?: readonly PrinterColumn[];
  /** `selectableFields`: JSON paths usable in field selectors (`.spec.color`). */
  readonly selectableFields?: readonly string[];
  /** Whether `/status` is a subresource; defaults to true when a `status` schema is given. */
  readonly statusSubresource?: boolean;
  /** The `/scale` subresource and its paths. */
  readonly scale?: ScaleSubresource;
  /** Whether the version is served (default true). */
  readonly served?: boolean;
  readonly deprecated?: boolean;
  readonly deprecationWarning?: string;
}

/** The parts of a definition common to all its versions. */
export interface DefinitionBase<G extends string, K extends string> {
  /** API group, a domain with a dot: `cache.example.com`. */
  readonly group: G;
  /** Kind, CamelCase: `Memcached`. */
  readonly kind: K;
  /** `Namespaced` (default) or `Cluster`. */
  readonly scope?: 'Namespaced' | 'Cluster';
  /** Lower-case plural (default: the kind pluralised, `memcacheds`). */
  readonly plural?: string;
  /** Lower-case singular (default: the kind lower-cased). */
  readonly singular?: string;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  /** Default: `<Kind>List`. */
  readonly listKind?: string;
}

type SpecPart<S> = S extends TSchema
  ? S extends { '~optional': true }
    ? { spec?: Static<S> }
    : { spec: Static<S> }
  : unknown;
type StatusPart<S> = S extends TSchema ? { status?: Static<S> } : unknown;

/** The object type of one version: apiVersion and kind as literal types, typed spec and status. */
export type CustomObject<ApiVersion extends string, Kind extends string, Spec, Status> = {
  apiVersion: ApiVersion;
  kind: Kind;
  metadata: ObjectMeta;
} & SpecPart<Spec> &
  StatusPart<Status>;

type ObjectOfVersion<G extends string, K extends string, V extends string, D> =
  D extends VersionDefinition<infer Sp, infer St> ? CustomObject<`${G}/${V}`, K, Sp, St> : never;

/** One version of a resource: a resource type (usable wherever a type is given) with its object type. */
export interface ResourceVersion<
  G extends string = string,
  K extends string = string,
  V extends string = string,
  Obj = KubeObject,
> extends ResourceType,
    TypedRef<Obj> {
  readonly [RESOURCE_BRAND]: true;
  readonly apiVersion: `${G}/${V}`;
  readonly kind: K;
  readonly group: G;
  readonly version: V;
  /** Type only: `typeof Memcached.Object` is the object type (reading it at run time throws). */
  readonly Object: Obj;
  /** This version's `openAPIV3Schema`. */
  readonly schema: JSONSchemaProps;
  readonly served: boolean;
  readonly storage: boolean;
  readonly deprecated: boolean;
  /** The validator of this version (compiled on first use). */
  validator(): ObjectValidator;
}

/** A defined resource: its storage version's resource type, every version, conversion and the CRD. */
export interface Resource<
  G extends string = string,
  K extends string = string,
  S extends string = string,
  Objects extends Record<string, unknown> = Record<string, KubeObject>,
> extends ResourceVersion<G, K, S, Objects[S]> {
  /** Each version by name. */
  readonly versions: { readonly [V in keyof Objects & string]: ResourceVersion<G, K, V, Objects[V]> };
  /** The name of the storage version. */
  readonly storageVersion: S;
  /**
   * Converts an object of any version to version `to` (through the storage version, with the
   * conversion functions given; versions with identical schemas convert by their apiVersion).
   */
  convert<To extends keyof Objects & string>(object: Objects[keyof Objects], to: To): Objects[To];
  /** The apiextensions.k8s.io/v1 CustomResourceDefinition. */
  crd(options?: CrdOptions): CustomResourceDefinitionObject;
}

/** A single-version definition. */
export interface SingleVersionDefinition<
  G extends string,
  K extends string,
  V extends string,
  Spec extends TSchema | undefined,
  Status extends TSchema | undefined,
> extends DefinitionBase<G, K>,
    VersionDefinition<Spec, Status> {
  /** The version name: `v1alpha1`. */
  readonly version: V;
}

/** Conversion of a non-storage version to and from the storage version (hub and spoke). */
export interface VersionConverter<Obj, StorageObj> {
  /** This version -> storage version. `apiVersion` is set by kloop afterwards. */
  toStorage(object: Obj): Omit<StorageObj, 'apiVersion'> & { apiVersion?: string };
  /** Storage version -> this version. */
  fromStorage(object: StorageObj): Omit<Obj, 'apiVersion'> & { apiVersion?: string };
}

/** A multi-version definition. */
export interface MultiVersionDefinition<
  G extends string,
  K extends string,
  Vs extends Record<string, VersionDefinition>,
  S extends keyof Vs & string,
> extends DefinitionBase<G, K> {
  readonly versions: Vs;
  /** The version objects are stored in (the hub of conversion). */
  readonly storage: S;
  /**
   * Converters for versions whose schema differs from the storage version's. kloop's emulator
   * runs them in-process; on a real cluster such a CRD needs a conversion webhook, which kloop
   * does not serve yet.
   */
  readonly conversion?: {
    readonly [V in Exclude<keyof Vs, S> & string]?: VersionConverter<
      ObjectOfVersion<G, K, V, Vs[V]>,
      ObjectOfVersion<G, K, S, Vs[S]>
    >;
  };
}

type AnyConverter = VersionConverter<Record<string, unknown>, Record<string, unknown>>;

/** Whether a value is a resource definition made by `defineResource` (any copy of kloop). */
export function isResource(value: unknown): value is Resource {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[RESOURCE_BRAND] === true;
}

function fail(kind: string, group: string, plural: string, errors: FieldError[]): never {
  const name = `${plural}.${group}`;
  throw new ResourceDefinitionError(
    `CustomResourceDefinition.apiextensions.k8s.io "${name}" is invalid: ${aggregateFieldErrors(errors)} (defining ${kind})`,
    errors,
  );
}

function normalize(
  base: DefinitionBase<string, string>,
  versions: [string, VersionDefinition][],
  storage: string,
): NormalizedDefinition {
  const singular = base.singular ?? base.kind.toLowerCase();
  const names = {
    kind: base.kind,
    plural: base.plural ?? pluralize(singular),
    singular,
    listKind: base.listKind ?? `${base.kind}List`,
    shortNames: base.shortNames === undefined ? undefined : [...base.shortNames],
    categories: base.categories === undefined ? undefined : [...base.categories],
  };
  const normalized: NormalizedVersion[] = versions.map(([name, v]) => {
    let schema: JSONSchemaProps;
    try {
      schema = rootSchema({
        kind: base.kind,
        spec: v.spec,
        status: v.status,
        description: v.description,
        validations: v.validations,
      });
    } catch (err) {
      if (err instanceof SchemaConversionError) {
        throw new ResourceDefinitionError(`${base.kind} ${name}: ${err.message}`);
      }
      throw err;
    }
    return {
      name,
      served: v.served ?? true,
      storage: name === storage,
      deprecated: v.deprecated ?? false,
      deprecationWarning: v.deprecationWarning,
      schema,
      statusSubresource: v.statusSubresource ?? v.status !== undefined,
      scale: v.scale,
      printerColumns: v.printerColumns ?? [],
      selectableFields: v.selectableFields ?? [],
    };
  });
  return { group: base.group, scope: base.scope ?? 'Namespaced', names, versions: normalized };
}

function thrower(kind: string): () => never {
  return () => {
    throw new KloopError('KLOOP_TYPE_ONLY', `${kind}.Object is a type: write \`typeof ${kind}.Object\``);
  };
}

function makeVersion(def: NormalizedDefinition, v: NormalizedVersion): ResourceVersion {
  let validator: ObjectValidator | undefined;
  const subresources = [...(v.statusSubresource ? ['status'] : []), ...(v.scale !== undefined ? ['scale'] : [])];
  const out = { apiVersion: `${def.group}/${v.name}`, kind: def.names.kind } as Record<string | symbol, unknown>;
  // Only apiVersion and kind are enumerable: a resource spreads (and serialises) as the built-in
  // constants do, so `{ ...Memcached, metadata, spec }` is an object to send as it is.
  const hidden: Record<string, unknown> = {
    group: def.group,
    version: v.name,
    plural: def.names.plural,
    singular: def.names.singular,
    namespaced: def.scope === 'Namespaced',
    subresources,
    listKind: def.names.listKind,
    ...(def.names.shortNames !== undefined ? { shortNames: def.names.shortNames } : {}),
    ...(def.names.categories !== undefined ? { categories: def.names.categories } : {}),
    schema: v.schema,
    served: v.served,
    storage: v.storage,
    deprecated: v.deprecated,
    validator(): ObjectValidator {
      validator ??= compileObjectValidator({
        apiVersion: `${def.group}/${v.name}`,
        kind: def.names.kind,
        schema: v.schema,
        scale: v.scale,
      });
      return validator;
    },
  };
  for (const [k, value] of Object.entries(hidden)) Object.defineProperty(out, k, { value, enumerable: false });
  Object.defineProperty(out, RESOURCE_BRAND, { value: true, enumerable: false });
  Object.defineProperty(out, 'Object', { get: thrower(def.names.kind), enumerable: false });
  return out as unknown as ResourceVersion;
}

function build(
  base: DefinitionBase<string, string>,
  versionList: [string, VersionDefinition][],
  storage: string,
  converters: Record<string, AnyConverter | undefined>,
): Resource {
  const def = normalize(base, versionList, storage);
  const crd = buildCrd(def);
  const errors = validateCustomResourceDefinition(crd);
  if (errors.length > 0) fail(base.kind, base.group, def.names.plural, errors);
  const byName = new Map(def.versions.map((v) => [v.name, v]));
  const storageSchema = byName.get(storage)!.schema;
  for (const v of def.versions) {
    if (v.name === storage || converters[v.name] !== undefined) continue;
    if (JSON.stringify(v.schema) !== JSON.stringify(storageSchema)) {
      throw new ResourceDefinitionError(
        `${base.kind} ${v.name}: its schema differs from the storage version ${storage}'s; give conversion.${v.name} { toStorage, fromStorage }`,
      );
    }
  }
  for (const name of Object.keys(converters)) {
    if (!byName.has(name) || name === storage) {
      throw new ResourceDefinitionError(
        `${base.kind}: conversion.${name} names no version other than the storage version ${storage}`,
      );
    }
  }
  const versions: Record<string, ResourceVersion> = {};
  for (const v of def.versions) versions[v.name] = makeVersion(def, v);
  const resource = versions[storage] as unknown as Record<string | symbol, unknown>;
  const group = def.group;
  const convert = (object: unknown, to: string): unknown => {
    const obj = deepClone(object) as Record<string, unknown>;
    const apiVersion = String(obj.apiVersion ?? '');
    const from = apiVersion.startsWith(`${group}/`) ? apiVersion.slice(group.length + 1) : '';
    if (!byName.has(from))
      throw new KloopError(
        'KLOOP_CONVERSION_FAILED',
        `${base.kind}: cannot convert from apiVersion ${JSON.stringify(apiVersion)}`,
      );
    if (!byName.has(to))
      throw new KloopError('KLOOP_CONVERSION_FAILED', `${base.kind}: no version ${JSON.stringify(to)}`);
    if (from === to) return obj;
    let hub: Record<string, unknown> = obj;
    if (from !== storage) hub = (converters[from]?.toStorage(obj) ?? obj) as Record<string, unknown>;
    hub = { ...hub, apiVersion: `${group}/${storage}` };
    let out: Record<string, unknown> = hub;
    if (to !== storage) out = (converters[to]?.fromStorage(deepClone(hub)) ?? hub) as Record<string, unknown>;
    return { ...out, apiVersion: `${group}/${to}` };
  };
  const extra = {
    versions: Object.freeze({ ...versions }),
    storageVersion: storage,
    convert,
    crd: (options?: CrdOptions) => buildCrd(def, options),
  };
  for (const [k, v] of Object.entries(extra)) Object.defineProperty(resource, k, { value: v, enumerable: false });
  return Object.freeze(resource) as unknown as Resource;
}

/**
 * Defines a custom resource. One definition gives the object type (`typeof Memcached.Object`),
 * the resource type (`Memcached` is `{ apiVersion, kind, group, version, plural, ... }`), a
 * validator with the API server's rules and messages, and the CRD (`Memcached.crd()`).
 *
 * @throws ResourceDefinitionError (`KLOOP_INVALID_RESOURCE_DEFINITION`) when the API server would
 *   refuse the CRD (a non-structural schema, a rule that does not compile, bad names), with its
 *   message.
 * @example
 * ```ts
 * import { Type } from 'typebox';
 * export const Memcached = defineResource({
 *   group: 'cache.example.com', version: 'v1alpha1', kind: 'Memcached',
 *   spec: Type.Object({ size: Type.Integer({ minimum: 1, maximum: 10 }), image: Type.String() }),
 *   status: Type.Object({ readyReplicas: Type.Optional(Type.Integer()) }),
 *   printerColumns: [{ name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' }],
 * });
 * type MemcachedObject = typeof Memcached.Object;
 * ```
 */
export function defineResource<
  const G extends string,
  const K extends string,
  const V extends string,
  Spec extends TSchema | undefined = undefined,
  Status extends TSchema | undefined = undefined,
>(
  definition: SingleVersionDefinition<G, K, V, Spec, Status>,
): Resource<G, K, V, { [P in V]: CustomObject<`${G}/${V}`, K, Spec, Status> }>;
export function defineResource<
  const G extends string,
  const K extends string,
  const Vs extends Record<string, VersionDefinition>,
  const S extends keyof Vs & string,
>(
  definition: MultiVersionDefinition<G, K, Vs, S>,
): Resource<G, K, S, { [V in keyof Vs & string]: ObjectOfVersion<G, K, V, Vs[V]> }>;
export function defineResource(
  definition:
    | SingleVersionDefinition<string, string, string, TSchema | undefined, TSchema | undefined>
    | MultiVersionDefinition<string, string, Record<string, VersionDefinition>, string>,
): Resource {
  if ('versions' in definition && definition.versions !== undefined) {
    const list = Object.entries(definition.versions);
    if (list.length === 0) throw new ResourceDefinitionError(`${definition.kind}: versions is empty`);
    if (!Object.hasOwn(definition.versions, definition.storage)) {
      throw new ResourceDefinitionError(
        `${definition.kind}: storage version ${JSON.stringify(definition.storage)} is not among its versions`,
      );
    }
    return build(definition, list, definition.storage, (definition.conversion ?? {}) as Record<string, AnyConverter>);
  }
  const single = definition as SingleVersionDefinition<
    string,
    string,
    string,
    TSchema | undefined,
    TSchema | undefined
  >;
  return build(single, [[single.version, single]], single.version, {});
}
