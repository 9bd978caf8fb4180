/**
 * `kloop/collections`: krt-style derived state. Build collections from informers, by hand,
 * or from other collections with transforms that `ctx.fetch` what they need; kloop tracks each
 * fetch and its filter, and when an input changes it recomputes only the outputs that fetched
 * something the change touches (every filter but `where` has a reverse index). One scheduler
 * per registry recomputes dirty keys once per tick in creation (topological) order, so nothing
 * ever observes a half-updated graph, bursts fold into one recompute, and outputs equal to the
 * previous ones emit nothing. A throwing transform keeps its last good output.
 *
 * @example
 * ```ts
 * import { Manager, Pod, Service } from 'kloop';
 *
 * const mgr = new Manager();
 * const pods = fromInformer(mgr.informer(Pod)); // typed (readonly) Pods
 * const services = fromInformer(mgr.informer(Service));
 * const endpoints = derive('endpoints', services, (ctx, svc) => ({
 *   key: { namespace: svc.metadata.namespace, name: svc.metadata.name! },
 *   ips: ctx
 *     .fetch(pods, { namespace: svc.metadata.namespace, labelSelector: svc.spec?.selector })
 *     .map((p) => p.status?.podIP),
 * }));
 * endpoints.subscribe((batch) => console.log(batch.length, 'changes'));
 * await endpoints.synced;
 * ```
 */
export { CollectionError, type CollectionErrorCode } from './errors.js';
export { asEventSource, type CollectionEventSource, type CollectionSourceEvent, isCollection } from './event-source.js';
export { derive, deriveMany, index, type JoinOptions, join, singleton } from './kinds.js';
export { registerCollectionMetrics } from './metrics.js';
export {
  CollectionRegistry,
  type CollectionRegistryOptions,
  defaultRegistry,
  type TickScheduling,
  toMermaid,
} from './registry.js';
export { fromInformer, staticCollection } from './sources.js';
export type { IndexFn } from './store.js';
export type {
  BatchHandler,
  Collection,
  CollectionDescription,
  CollectionEvent,
  CollectionEventType,
  CollectionIndex,
  CollectionKind,
  CollectionMetricsSink,
  CollectionOptions,
  CollectionStats,
  CollectionSubscribeOptions,
  DependencyDescription,
  FetchContext,
  Filter,
  ItemMeta,
  RegistryDescription,
  SelectorInput,
  SingletonCollection,
  StaticCollection,
} from './types.js';
