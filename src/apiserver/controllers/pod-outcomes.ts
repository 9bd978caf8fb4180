/**
 * Which script the simulated kubelet plays for a Pod, and how fast: the Pod's `kloop.dev/outcome`
 * annotation (with `kloop.dev/start-delay-ms`, `kloop.dev/ready-delay-ms`, `kloop.dev/run-ms`),
 * else the first matching rule of the server options, else the default: Job Pods run to
 * completion, every other Pod turns Ready. kwok's "stages" are the model: a selector, a delay, a
 * next state.
 */
import { type KubeObject, parseLabelSelector } from '../../core/index.js';
import type { PodOutcome, PodRule } from '../types.js';
import { controllerRef } from './objects.js';
import type { SimulationSettings } from './types.js';

/** The annotation choosing a Pod's outcome. */
export const OUTCOME_ANNOTATION = 'kloop.dev/outcome';
/** Annotations overriding the timings for one Pod. */
export const START_DELAY_ANNOTATION = 'kloop.dev/start-delay-ms';
export const READY_DELAY_ANNOTATION = 'kloop.dev/ready-delay-ms';
export const RUN_MS_ANNOTATION = 'kloop.dev/run-ms';

/** A Pod's script, resolved. */
export interface PodScript {
  /** What happens once the containers start. */
  kind: 'ready' | 'never-ready' | 'crash-loop' | 'image-pull-error' | 'exit' | 'ignore-sigterm';
  /** Exit code for `exit` (and `crash-loop`: 1). */
  exitCode: number;
  startDelayMs: number;
  readyDelayMs: number;
  runMs: number;
}

/** Parses an outcome word; undefined when it is not one. */
export function parseOutcome(text: string | undefined): PodScript['kind'] | { exit: number } | undefined {
  if (text === undefined) return undefined;
  const word = text.trim();
  switch (word) {
    case 'ready':
    case 'never-ready':
    case 'crash-loop':
    case 'image-pull-error':
    case 'ignore-sigterm':
      return word;
    case 'complete':
      return { exit: 0 };
  }
  const m = /^exit:(\d{1,3})$/.exec(word);
  if (m && Number(m[1]) <= 255) return { exit: Number(m[1]) };
  return undefined;
}

function ruleMatches(rule: PodRule, pod: KubeObject): boolean {
  if (rule.namespace !== undefined && pod.metadata.namespace !== rule.namespace) return false;
  if (rule.namePrefix !== undefined && !String(pod.metadata.name).startsWith(rule.namePrefix)) return false;
  if (rule.labelSelector !== undefined) {
    try {
      if (!parseLabelSelector(rule.labelSelector).matches(pod.metadata.labels)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function msAnnotation(pod: KubeObject, name: string): number | undefined {
  const v = pod.metadata.annotations?.[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Resolves the script of `pod`. */
export function podScript(pod: KubeObject, settings: SimulationSettings): PodScript {
  const rule = settings.podRules.find((r) => ruleMatches(r, pod));
  const ownedByJob = controllerRef(pod)?.kind === 'Job';
  const chosen =
    parseOutcome(pod.metadata.annotations?.[OUTCOME_ANNOTATION]) ??
    parseOutcome(rule?.outcome) ??
    (ownedByJob ? { exit: 0 } : 'ready');
  const script: PodScript = {
    kind: typeof chosen === 'string' ? chosen : 'exit',
    exitCode: typeof chosen === 'string' ? (chosen === 'crash-loop' ? 1 : 0) : chosen.exit,
    startDelayMs: msAnnotation(pod, START_DELAY_ANNOTATION) ?? rule?.startDelayMs ?? settings.startDelayMs,
    readyDelayMs: msAnnotation(pod, READY_DELAY_ANNOTATION) ?? rule?.readyDelayMs ?? settings.readyDelayMs,
    runMs: msAnnotation(pod, RUN_MS_ANNOTATION) ?? rule?.runMs ?? settings.runMs,
  };
  return script;
}

/** Checks a rule list given in the options; throws a TypeError naming the bad rule. */
export function checkPodRules(rules: readonly PodRule[]): void {
  rules.forEach((rule, i) => {
    if (rule.outcome !== undefined && parseOutcome(rule.outcome) === undefined) {
      throw new TypeError(`simulation.podRules[${i}].outcome: unknown outcome ${JSON.stringify(rule.outcome)}`);
    }
    if (rule.labelSelector !== undefined) parseLabelSelector(rule.labelSelector);
  });
}

/** The outcome word of a script (for docs and messages). */
export function outcomeWord(script: PodScript): PodOutcome {
  return script.kind === 'exit' ? `exit:${script.exitCode}` : script.kind;
}
