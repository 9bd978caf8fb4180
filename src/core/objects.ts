/**
 * Typed objects: type references that carry the type of their objects, the shape built-in
 * objects take (from the `kubernetes-types` package, types only, nothing at run time), and the
 * deep `readonly` view the cache hands objects out in.
 *
 * A reference such as `Deployment` is `{ apiVersion: 'apps/v1', kind: 'Deployment' }` at run time
 * and, at the type level, also names its object type, so `client.get(Deployment, key)` returns a
 * `Deployment` object (the type of the same name, see `resources.ts`) without a type argument or
 * a cast.
 */
import type { KubeObject, ObjectMeta, TypeRef } from './types.js';

/** The key under which a reference carries its object type; it exists only at the type level. */
declare const objectType: unique symbol;

/**
 * A type reference that also names the type of its objects (at the type level only: the
 * property is never present at run time). The built-in constants and `defineResource`'s
 * resources are typed references; a plain `{ apiVersion, kind }` is one of `KubeObject`.
 */
export interface TypedRef<T = KubeObject> extends TypeRef {
  readonly [objectType]?: T;
}

/**
 * The object type of a typed reference (`ObjectOf<typeof Deployment>`), of a defined resource
 * (`ObjectOf<typeof Memcached>`), or `KubeObject` for a plain `{ apiVersion, kind }`.
 */
export type ObjectOf<R> = R extends { readonly Object: infer O }
  ? O
  : R extends { readonly [objectType]?: infer O }
    ? unknown extends O
      ? KubeObject
      : Exclude<O, undefined>
    : KubeObject;

/**
 * `T` with every property, at every depth, `readonly`: how objects handed out by the cache are
 * typed, matching their run-time immutability (they are shared; frozen in tests). Change a copy
 * (`mutate` hands out one as a draft).
 */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? readonly DeepReadonly<U>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/**
 * A built-in object as kloop types it: the `kubernetes-types` shape with `apiVersion` and `kind`
 * set to the kind's, `metadata` present (kloop's {@link ObjectMeta}: what the server always
 * returns) and `status` writable (controllers write it through `/status`).
 */
export type BuiltinObject<T, ApiVersion extends string, Kind extends string> = Omit<
  T,
  'apiVersion' | 'kind' | 'metadata' | 'status'
> & { apiVersion: ApiVersion; kind: Kind; metadata: ObjectMeta } & {
  -readonly [P in Extract<keyof T, 'status'>]?: T[P];
};

/** A typed reference to a built-in kind: literal `apiVersion` and `kind`, and its object type. */
export type BuiltinRef<ApiVersion extends string, Kind extends string, T> = {
  readonly apiVersion: ApiVersion;
  readonly kind: Kind;
} & TypedRef<T>;
