/**
 * Controllers: sources, predicates, a coalescing work queue, the reconcile loop, provenance, and
 * the cached client.
 *
 * Events from shared informers (or any `subscribe`-able source) pass the source's predicates and
 * the controller's event filters, map to keys (`for`: the object, `owns`: its controlling owner,
 * `watches`: a mapper) and fold into one pending entry per key that keeps the triggers behind it.
 * Workers reconcile each key at most once at a time; results requeue, errors retry with backoff,
 * `TerminalError`s stop. Reconcilers read and write through `ctx.client`, which reads the cache,
 * sends only what changed, and attributes every write to the reconcile that made it.
 *
 * Most programs reach all of this through `Manager` (`mgr.controller(name)`, `mgr.client`).
 */
export { ControllerBuilder } from './builder.js';
export {
  CachedClient,
  ClientUsageError,
  WriteFencedError,
  type CachedClientOptions,
} from './cached-client.js';
export {
  findCondition,
  isConditionTrue,
  removeCondition,
  setCondition,
  type Condition,
  type ConditionUpdate,
} from './conditions.js';
export {
  Controller,
  ControllerConfigError,
  ControllerStoppedError,
  OWNER_INDEX,
  ReconcileTimeoutError,
  type ControllerDeps,
  type ControllerOptions,
  type RecentReconcile,
} from './controller.js';
export { EventRecorder, type EventRecorderOptions } from './events.js';
export { HotLoopDetector, type HotLoopReport } from './hot-loop.js';
export { controllerMetrics, type ControllerMetrics } from './metrics.js';
export {
  and,
  annotationsChanged,
  deletionStarted,
  finalizersChanged,
  generationChanged,
  labelSelector,
  labelsChanged,
  not,
  or,
  predicate,
  resourceVersionChanged,
} from './predicates.js';
export {
  WorkQueue,
  type AddOptions,
  type Priority,
  type QueueItem,
  type QueueObserver,
  type WorkQueueOptions,
} from './queue.js';
export {
  ExponentialRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
  defaultRateLimiter,
  type RateLimiter,
} from './rate-limiter.js';
export { rvAtLeast } from './read-your-writes.js';
export { controllerOwner, mapFromAnnotation, mapToRequests } from './sources.js';
export { changedPaths, objectRef, sourceLabel } from './triggers.js';
export type * from './types.js';
