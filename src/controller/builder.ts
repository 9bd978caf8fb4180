/**
 * The controller builder: `mgr.controller(name).for(...).owns(...).watches(...).eventFilter(...)
 * .concurrency(n).reconcile(fn)` (controller-runtime's `pkg/builder`). `.reconcile(fn)` ends the
 * chain: it builds the controller and hands it to the manager.
 *
 * Scope of predicates, shown by `describe()`: `{ predicates }` given to `.for`, `.owns` or
 * `.watches` guard that source only; `.eventFilter(p)` guards every source.
 */
import type { InformerOptions } from '../cache/index.js';
import type { DeepReadonly, KubeObject, TypedRef, TypeRef } from '../core/index.js';
import {
  Controller,
  ControllerConfigError,
  type ControllerDeps,
  type ControllerOptions,
  describeController,
} from './controller.js';
import type { SourceSpec } from './sources.js';
import { sourceLabel } from './triggers.js';
import type {
  ControllerDescription,
  EventSource,
  Mapper,
  Predicate,
  RbacRule,
  Reconciler,
  SourceOptions,
} from './types.js';

function isTypeRef(value: TypeRef | EventSource): value is TypeRef {
  return typeof (value as EventSource).subscribe !== 'function' && 'kind' in value && 'apiVersion' in value;
}

/**
 * Collects sources, filters and options; `.reconcile(fn)` builds the {@link Controller}.
 *
 * @example
 * ```ts
 * import { ConfigMap, labelSelector, Manager, Secret } from 'kloop';
 *
 * const mgr = new Manager();
 * mgr.controller('mirror')
 *   .for(ConfigMap, { predicates: [labelSelector('mirror=true')] })
 *   .owns(Secret)
 *   .concurrency(4)
 *   .reconcile(async (req, ctx) => {
 *     const cm = await ctx.client.get(ConfigMap, req.key);
 *     if (cm) ctx.log.info({ name: cm.metadata.name }, 'reconciling');
 *     return { requeueAfter: 60_000 };
 *   });
 * ```
 */
export class ControllerBuilder {
  readonly #name: string;
  readonly #deps: ControllerDeps;
  readonly #register: (controller: Controller) => void;
  readonly #sources: SourceSpec[] = [];
  readonly #eventFilters: Predicate[] = [];
  readonly #options: ControllerOptions = {};
  #built = false;

  constructor(name: string, deps: ControllerDeps, register: (controller: Controller) => void = () => {}) {
    this.#name = name;
    this.#deps = deps;
    this.#register = register;
  }

  /**
   * The kind this controller reconciles: each of its events enqueues the object's own key. A
   * typed reference (`Deployment`, a defined resource) types the objects its predicates see.
   */
  for<T extends KubeObject = KubeObject>(type: TypedRef<T>, options: SourceOptions<DeepReadonly<T>> = {}): this {
    if (this.#sources.some((s) => s.kind === 'for')) {
      throw new ControllerConfigError(`controller ${this.#name}: .for() may be called once`);
    }
    this.#sources.push({
      kind: 'for',
      label: sourceLabel('for', type),
      type: { apiVersion: type.apiVersion, kind: type.kind },
      ref: type,
      informer: options.informer as InformerOptions | undefined,
      predicates: (options.predicates ?? []) as readonly Predicate[],
    });
    return this;
  }

  /**
   * A kind this controller creates and owns: its events enqueue the controlling owner (the
   * `ownerReferences` entry with `controller: true` whose group and kind are the `for` type's).
   */
  owns<T extends KubeObject = KubeObject>(type: TypedRef<T>, options: SourceOptions<DeepReadonly<T>> = {}): this {
    this.#sources.push({
      kind: 'owns',
      label: sourceLabel('owns', type),
      type: { apiVersion: type.apiVersion, kind: type.kind },
      ref: type,
      informer: options.informer as InformerOptions | undefined,
      predicates: (options.predicates ?? []) as readonly Predicate[],
    });
    return this;
  }

  /**
   * Any source (a type, whose shared informer is used, or anything with `subscribe`, such as a
   * collection) with a mapper from its objects to the keys to reconcile.
   */
  watches<T extends KubeObject = KubeObject>(
    source: TypedRef<T>,
    mapper: Mapper<DeepReadonly<T>>,
    options?: SourceOptions<DeepReadonly<T>>,
  ): this;
  watches<T extends KubeObject = KubeObject>(
    source: EventSource<T>,
    mapper: Mapper<T>,
    options?: SourceOptions<T>,
  ): this;
  watches<T extends KubeObject = KubeObject>(
    source: TypeRef | EventSource<T>,
    mapper: Mapper<T>,
    options: SourceOptions<T> = {},
  ): this {
    const common = {
      kind: 'watches' as const,
      informer: options.informer as InformerOptions | undefined,
      predicates: (options.predicates ?? []) as readonly Predicate[],
      mapper: mapper as Mapper,
    };
    if (isTypeRef(source)) {
      this.#sources.push({
        ...common,
        label: sourceLabel('watches', source),
        type: { apiVersion: source.apiVersion, kind: source.kind },
        ref: source,
      });
    } else {
      const name = source.name ?? (source.type ? `${source.type.apiVersion}/${source.type.kind}` : 'source');
      this.#sources.push({
        ...common,
        label: sourceLabel('watches', name),
        type: source.type,
        source: source as EventSource,
      });
    }
    return this;
  }

  /** Guards every source (controller-runtime's `WithEventFilter`). */
  eventFilter<T extends KubeObject = KubeObject>(...predicates: Predicate<T>[]): this {
    this.#eventFilters.push(...(predicates as Predicate[]));
    return this;
  }

  /** Workers running reconciles in parallel (never two on one key). Default 1. */
  concurrency(n: number): this {
    if (!Number.isInteger(n) || n < 1)
      throw new ControllerConfigError(`concurrency must be a positive integer, got ${n}`);
    this.#options.concurrency = n;
    return this;
  }

  /** Aborts `ctx.signal` and counts a failure when a reconcile runs longer than `ms`. */
  timeout(ms: number): this {
    this.#options.timeoutMs = ms;
    return this;
  }

  /**
   * Permissions the builder cannot see (kubebuilder's `+kubebuilder:rbac` markers): kinds the
   * reconciler reads or writes without a source, such as a ConfigMap it reads with `mgr.kube` or
   * Secrets it creates without owning them. They join the rules the manager derives
   * (`mgr.rbacRules()`), the manifests and the check at start.
   *
   * @example
   * ```ts
   * import { ConfigMap, Manager } from 'kloop';
   *
   * const mgr = new Manager();
   * mgr.controller('audit')
   *   .for(ConfigMap)
   *   .rbac({ apiGroups: [''], resources: ['secrets'], verbs: ['create'], namespaces: ['audit'] })
   *   .reconcile(async () => {});
   * ```
   */
  rbac(...rules: RbacRule[]): this {
    this.#options.rbac = [...(this.#options.rbac ?? []), ...rules];
    return this;
  }

  /** Other tunables: trigger log size, rate limiter, hot-loop threshold. */
  options(options: ControllerOptions): this {
    Object.assign(this.#options, options);
    return this;
  }

  /** What the controller will look like: sources with their predicates, filters, concurrency. */
  describe(): ControllerDescription {
    return describeController(this.#name, this.#sources, this.#eventFilters, this.#options);
  }

  /** Builds the controller with this reconcile function and registers it with the manager. */
  reconcile(fn: Reconciler): Controller {
    if (this.#built) throw new ControllerConfigError(`controller ${this.#name}: .reconcile() may be called once`);
    this.#built = true;
    const controller = new Controller(this.#name, this.#sources, this.#eventFilters, fn, this.#deps, this.#options);
    this.#register(controller);
    return controller;
  }
}
