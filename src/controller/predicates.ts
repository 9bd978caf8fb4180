/**
 * Predicates: which informer events may enqueue a reconcile (controller-runtime's
 * `pkg/predicate`, kube-rs' `predicates`). Each carries a name, so a controller's description
 * shows plainly which predicate guards which source: the scope confusion of controller-runtime's
 * `WithPredicates` versus `WithEventFilter` (issue #2684) is answered by showing it.
 *
 * Update predicates (`generationChanged` and the other `...Changed`) let creates and deletes
 * through and filter updates only, as controller-runtime's do.
 */
import type { InformerEvent } from '../cache/index.js';
import {
  deepEqual,
  type KubeObject,
  type LabelSelector,
  type LabelSelectorSpec,
  labelSelectorFromSpec,
  parseLabelSelector,
} from '../core/index.js';
import type { Predicate } from './types.js';

/**
 * A predicate from a name and a function.
 *
 * @example
 * ```ts
 * const notSystem = predicate('notSystem', (e) => !e.object.metadata.namespace?.startsWith('kube-'));
 * ```
 */
export function predicate<T extends KubeObject = KubeObject>(
  name: string,
  test: (event: InformerEvent<T>) => boolean,
): Predicate<T> {
  return { name, test };
}

/** Passes creates and deletes; passes updates when `changed(old, new)` says so. */
function updatePredicate(name: string, changed: (oldObject: KubeObject, object: KubeObject) => boolean): Predicate {
  return {
    name,
    test(event) {
      if (event.type !== 'updated' || event.oldObject === undefined) return true;
      return changed(event.oldObject, event.object);
    },
  };
}

/**
 * Updates pass only when `metadata.generation` changed: spec changes, not status or metadata
 * (controller-runtime's `GenerationChangedPredicate`).
 *
 * @remarks Kinds without a generation (ConfigMap, Secret) never have one change; guard their
 * sources with {@link resourceVersionChanged} or a field predicate instead.
 */
export function generationChanged(): Predicate {
  return updatePredicate('generationChanged', (o, n) => o.metadata.generation !== n.metadata.generation);
}

/** Updates pass when `metadata.resourceVersion` changed: drops resyncs of unchanged objects. */
export function resourceVersionChanged(): Predicate {
  return updatePredicate('resourceVersionChanged', (o, n) => o.metadata.resourceVersion !== n.metadata.resourceVersion);
}

/** Updates pass when `metadata.labels` changed. */
export function labelsChanged(): Predicate {
  return updatePredicate('labelsChanged', (o, n) => !deepEqual(o.metadata.labels ?? {}, n.metadata.labels ?? {}));
}

/** Updates pass when `metadata.annotations` changed. */
export function annotationsChanged(): Predicate {
  return updatePredicate(
    'annotationsChanged',
    (o, n) => !deepEqual(o.metadata.annotations ?? {}, n.metadata.annotations ?? {}),
  );
}

/** Updates pass when `metadata.finalizers` changed. */
export function finalizersChanged(): Predicate {
  return updatePredicate(
    'finalizersChanged',
    (o, n) => !deepEqual(o.metadata.finalizers ?? [], n.metadata.finalizers ?? []),
  );
}

/** Updates pass when `metadata.deletionTimestamp` appeared or changed. */
export function deletionStarted(): Predicate {
  return updatePredicate('deletionStarted', (o, n) => o.metadata.deletionTimestamp !== n.metadata.deletionTimestamp);
}

/**
 * Events pass when the object's labels match the selector (text like `'mirror=true,tier in (a,b)'`
 * or a `metav1.LabelSelector` spec).
 *
 * @remarks An update passes when the old object or the new one matches, unlike
 * controller-runtime's `LabelSelectorPredicate` which looks at the new one only: an object that
 * stops matching must still reach the reconciler once, or it would never clean up what it made.
 *
 * @example
 * ```ts
 * import { ConfigMap, Manager } from 'kloop';
 *
 * const mgr = new Manager();
 * mgr.controller('mirror').for(ConfigMap, { predicates: [labelSelector('mirror=true')] });
 * ```
 */
export function labelSelector(selector: string | LabelSelectorSpec | LabelSelector): Predicate {
  const parsed: LabelSelector =
    typeof selector === 'string'
      ? parseLabelSelector(selector)
      : 'matches' in selector && typeof selector.matches === 'function'
        ? (selector as LabelSelector)
        : labelSelectorFromSpec(selector as LabelSelectorSpec);
  return {
    name: `labelSelector(${parsed.toString()})`,
    test(event) {
      if (parsed.matches(event.object.metadata.labels)) return true;
      return (
        event.type === 'updated' && event.oldObject !== undefined && parsed.matches(event.oldObject.metadata.labels)
      );
    },
  };
}

/**
 * Passes when every predicate passes (an empty list passes everything).
 *
 * @example
 * ```ts
 * and(labelSelector('app=web'), or(generationChanged(), labelsChanged()))
 * ```
 */
export function and<T extends KubeObject = KubeObject>(...predicates: Predicate<T>[]): Predicate<T> {
  return {
    name: `and(${predicates.map((p) => p.name).join(', ')})`,
    test: (event) => predicates.every((p) => p.test(event)),
  };
}

/** Passes when any predicate passes (an empty list passes nothing). */
export function or<T extends KubeObject = KubeObject>(...predicates: Predicate<T>[]): Predicate<T> {
  return {
    name: `or(${predicates.map((p) => p.name).join(', ')})`,
    test: (event) => predicates.some((p) => p.test(event)),
  };
}

/** Passes when the predicate does not. */
export function not<T extends KubeObject = KubeObject>(p: Predicate<T>): Predicate<T> {
  return { name: `not(${p.name})`, test: (event) => !p.test(event) };
}
