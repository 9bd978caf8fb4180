/**
 * Scripting what a Pod does on the emulator's simulated kubelet: the annotations it reads from a
 * Pod (or a Deployment's, Job's, StatefulSet's Pod template). Rules for many Pods at once are the
 * emulator's `simulation.podRules` option (`startEmulator({ controllers: true, simulation: {
 * podRules } })`); this covers one object, from the test that creates it.
 */
import type { PodOutcome } from '../apiserver/index.js';

/** Timings of one scripted Pod, in milliseconds of the emulator's clock. */
export interface PodTimings {
  /** Scheduled -> containers running. */
  startDelayMs?: number;
  /** Running -> Ready. */
  readyDelayMs?: number;
  /** How long containers that exit (`complete`, `exit:N`, `crash-loop`) run first. */
  runMs?: number;
}

/**
 * The annotations that make the simulated kubelet play `outcome` for a Pod (`ready`,
 * `never-ready`, `crash-loop`, `image-pull-error`, `complete`, `exit:N`, `ignore-sigterm`), with
 * the given timings. Spread them into the Pod's (or the Pod template's) `metadata.annotations`.
 *
 * @example
 * ```ts
 * import { Pod } from 'kloop';
 * import { podOutcome } from 'kloop/testing';
 *
 * const failing = {
 *   ...Pod,
 *   metadata: { name: 'migrate', namespace: 'default', annotations: podOutcome('exit:1', { runMs: 500 }) },
 *   spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
 * };
 * ```
 */
export function podOutcome(outcome: PodOutcome, timings: PodTimings = {}): Record<string, string> {
  const annotations: Record<string, string> = { 'kloop.dev/outcome': outcome };
  if (timings.startDelayMs !== undefined) annotations['kloop.dev/start-delay-ms'] = String(timings.startDelayMs);
  if (timings.readyDelayMs !== undefined) annotations['kloop.dev/ready-delay-ms'] = String(timings.readyDelayMs);
  if (timings.runMs !== undefined) annotations['kloop.dev/run-ms'] = String(timings.runMs);
  return annotations;
}
