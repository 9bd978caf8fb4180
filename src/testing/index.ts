/**
 * `kloop/testing`: what an operator's tests need, on the emulator (see
 * `docs/guides/testing-on-the-emulator.md`).
 *
 * - {@link startEmulator}: an emulator per test or per file, with the built-in controllers, the
 *   secure mode and custom resources as options; an admin client; CRDs installed from
 *   definitions; {@link TestEmulator.waitForCondition} moving a manual clock; service-account
 *   kubeconfigs in secure mode.
 * - {@link startManager}: a `Manager` on it that fails `start()` at once on a missing CRD.
 * - {@link eventually} for what happens in real time; {@link advance} and {@link advanceUntil}
 *   for what is about time, on a `ManualClock`.
 * - {@link waitForCondition}, {@link installResources}; {@link podOutcome} to script a Pod.
 * - {@link recordWrites} (count, kind, bytes of the operator's writes) and
 *   {@link assertNoDenials} / {@link deniedRequests} (RBAC refusals in the secure emulator's audit).
 * - {@link TestingUsageError} (`KLOOP_TESTING_USAGE`) when a helper is used where it cannot work
 *   (an RBAC helper without the secure mode).
 *
 * Everything here is built on public surfaces (`startApiServer`, `Manager`, the debug record,
 * metrics, `server.audit()`); nothing is test-only inside the library.
 *
 * @example
 * ```ts
 * import { ConfigMap } from 'kloop';
 * import { startEmulator, startManager } from 'kloop/testing';
 *
 * const emulator = await startEmulator();
 * const mgr = await startManager(emulator, (m) => {
 *   m.controller('noop').for(ConfigMap).reconcile(async () => {});
 * });
 * await mgr.stop();
 * await emulator.stop();
 * ```
 */

export { type AdvanceOptions, type AdvanceUntilOptions, advance, advanceUntil, flush } from './clock.js';
export {
  installResources,
  type ObjectRef,
  type WaitForConditionOptions,
  waitForCondition,
} from './conditions.js';
export {
  type EmulatorOptions,
  type NamespaceRbacRules,
  type RbacRule,
  type ServiceAccountOptions,
  startEmulator,
  type TestEmulator,
} from './emulator.js';
export { TestingUsageError } from './errors.js';
export { type EventuallyOptions, eventually } from './eventually.js';
export { startFailingFast, startManager, type TestManagerOptions } from './manager.js';
export { type PodTimings, podOutcome } from './pods.js';
export {
  assertNoDenials,
  deniedRequests,
  type ObservedWrite,
  recordWrites,
  type WriteExpectation,
  type WriteFilter,
  type WriteRecorder,
} from './writes.js';
