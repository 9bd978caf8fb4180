/**
 * Sources: where a controller's events come from and how they turn into keys.
 *
 * - `for(type)`: the object's own key.
 * - `owns(type)`: the key of the controlling owner (the `ownerReferences` entry with
 *   `controller: true` whose group and kind are the `for` type's), so reconciling the
 *   higher-level object is the easy path (controller-runtime's `EnqueueRequestForOwner` with
 *   `OnlyControllerOwner`).
 * - `watches(source, mapper)`: any keys the mapper returns.
 *
 * Each source's predicates guard that source only; the controller's event filters guard all.
 * Handlers run synchronously inside the informer and only enqueue.
 */
import type { InformerEvent, InformerOptions } from '../cache/index.js';
import {
  type KubeObject,
  keyOf,
  type ObjectKey,
  type OwnerReference,
  parseApiVersion,
  type TypeRef,
} from '../core/index.js';
import { eventTrigger } from './triggers.js';
import type { EventSource, Mapper, Predicate, Trigger } from './types.js';

/** A source as the builder records it. */
export interface SourceSpec {
  kind: 'for' | 'owns' | 'watches';
  /** Trigger source label: `for:v1/ConfigMap`. */
  label: string;
  type?: TypeRef;
  /**
   * The type as given (a defined resource or resource type carries its plural and scope), for the
   * RBAC rules the manager derives; `type` keeps only apiVersion and kind.
   */
  ref?: TypeRef;
  /** A ready-made event source (watches with a collection or informer). */
  source?: EventSource;
  informer?: InformerOptions;
  predicates: readonly Predicate[];
  mapper?: Mapper;
}

/** Where the wired handlers put keys. */
export type Enqueue = (key: ObjectKey, trigger: Trigger, low: boolean) => void;

/**
 * The controlling owner reference of `object` whose group and kind are `ownerType`'s, if any.
 * The version is not compared: owner references keep the version they were written with.
 */
export function controllerOwner(object: KubeObject, ownerType: TypeRef): OwnerReference | undefined {
  const group = parseApiVersion(ownerType.apiVersion).group;
  return object.metadata.ownerReferences?.find(
    (ref) => ref.controller === true && ref.kind === ownerType.kind && parseApiVersion(ref.apiVersion).group === group,
  );
}

/**
 * The handler of one source: its predicates, then the event filters, then keys, then the queue.
 * An event any predicate rejects enqueues nothing.
 */
export function sourceHandler(
  spec: SourceSpec,
  eventFilters: readonly Predicate[],
  forType: TypeRef | undefined,
  ownerScope: (ref: OwnerReference, object: KubeObject) => ObjectKey | undefined,
  enqueue: Enqueue,
  onError: (err: unknown, event: InformerEvent) => void,
): (event: InformerEvent) => void {
  return (event) => {
    try {
      for (const p of spec.predicates) {
        if (!p.test(event)) return;
      }
      for (const p of eventFilters) {
        if (!p.test(event)) return;
      }
      const keys = keysFor(spec, event, forType, ownerScope);
      if (keys.length === 0) return;
      const trigger = eventTrigger(spec.label, event.type, event.object, event.oldObject, spec.type);
      for (const key of keys) enqueue(key, trigger, event.initial);
    } catch (err) {
      // A throwing predicate or mapper drops the event; it never reaches the informer.
      onError(err, event);
    }
  };
}

function keysFor(
  spec: SourceSpec,
  event: InformerEvent,
  forType: TypeRef | undefined,
  ownerScope: (ref: OwnerReference, object: KubeObject) => ObjectKey | undefined,
): ObjectKey[] {
  const object = event.object;
  if (spec.kind === 'for') {
    return object.metadata.name ? [keyOf(object)] : [];
  }
  if (spec.kind === 'owns') {
    if (forType === undefined) return [];
    const keys: ObjectKey[] = [];
    const owner = controllerOwner(object, forType);
    const ownerKey = owner && ownerScope(owner, object);
    if (ownerKey) keys.push(ownerKey);
    // An update that moved the object to another owner must reconcile the old owner too.
    if (event.oldObject) {
      const oldOwner = controllerOwner(event.oldObject, forType);
      const oldKey = oldOwner && oldOwner.uid !== owner?.uid ? ownerScope(oldOwner, event.oldObject) : undefined;
      if (oldKey) keys.push(oldKey);
    }
    return keys;
  }
  const mapped = spec.mapper?.(object, event);
  if (mapped === undefined || mapped === null) return [];
  return Array.isArray(mapped) ? [...(mapped as readonly ObjectKey[])] : [mapped as ObjectKey];
}

/**
 * Turns a list of keys into a mapper, for `.watches` where every event maps to fixed keys.
 *
 * @example
 * ```ts
 * import { ConfigMap, Manager, Namespace } from 'kloop';
 *
 * const mgr = new Manager();
 * const configMaps = mgr.informer(ConfigMap);
 * const keysIn = (namespace: string | undefined) =>
 *   configMaps.list({ namespace }).map((cm) => ({ namespace: cm.metadata.namespace, name: cm.metadata.name! }));
 * mgr.controller('settings')
 *   .for(ConfigMap)
 *   .watches(Namespace, mapToRequests((ns) => keysIn(ns.metadata.name))) // a Namespace change: all its ConfigMaps
 *   .reconcile(async () => {});
 * ```
 */
export function mapToRequests<T extends KubeObject = KubeObject>(
  fn: (object: T) => ObjectKey | readonly ObjectKey[] | undefined | null,
): Mapper<T> {
  return (object) => fn(object);
}

/**
 * A mapper that enqueues objects named in an annotation `namespace/name` (or `name` in the
 * object's namespace), a common way to link objects across namespaces.
 */
export function mapFromAnnotation(annotation: string): Mapper {
  return (object) => {
    const value = object.metadata.annotations?.[annotation];
    if (!value) return undefined;
    const slash = value.indexOf('/');
    return slash < 0
      ? { namespace: object.metadata.namespace, name: value }
      : { namespace: value.slice(0, slash), name: value.slice(slash + 1) };
  };
}
