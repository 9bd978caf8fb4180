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
export { CachedClient, type CachedClientOptions } from './cached-client.js';
export {
  type Condition,
  type ConditionUpdate,
  findCondition,
  isConditionTrue,
  removeCondition,
  setCondition,
} from './conditions.js';
export {
  Controller,
  ControllerConfigError,
  type ControllerDeps,
  type ControllerOptions,
  ControllerStoppedError,
  OWNER_INDEX,
  type RecentReconcile,
  ReconcileTimeoutError,
} from './controller.js';
export { EventRecorder, type EventRecorderOptions } from './events.js';
export {
  type ChangedPathOptions,
  changedFieldPaths,
  DEFAULT_MAX_CHANGED_PATHS,
  DEFAULT_MAX_PATH_DEPTH,
  TRUNCATED_PATH,
} from './field-paths.js';
export { HotLoopDetector, type HotLoopRecord, type HotLoopReport, MAX_HOT_LOOP_RECORDS } from './hot-loop.js';
export { type ControllerMetrics, controllerMetrics } from './metrics.js';
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
  type AddOptions,
  type Priority,
  type QueueItem,
  type QueueObserver,
  WorkQueue,
  type WorkQueueOptions,
} from './queue.js';
export {
  defaultRateLimiter,
  ExponentialRateLimiter,
  MaxOfRateLimiter,
  type RateLimiter,
  TokenBucketRateLimiter,
} from './rate-limiter.js';
export { rvAtLeast } from './read-your-writes.js';
export {
  DEFAULT_RECORD_SIZE,
  type ReconcileOutcome,
  type ReconcileRecord,
  type ReconcileRecordFilter,
  ReconcileRing,
  type RecordedSkip,
  type RecordedWrite,
} from './record.js';
export { controllerOwner, mapFromAnnotation, mapToRequests } from './sources.js';
export { changedPaths, objectRef, sourceLabel } from './triggers.js';
export type * from './types.js';
export { ClientUsageError } from './writes.js';
