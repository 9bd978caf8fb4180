/**
 * Validation of the workload kinds, ported from `pkg/apis/apps/validation` and
 * `pkg/apis/batch/validation` (1.33) with the update rules their registry strategies add:
 * Deployment, ReplicaSet, StatefulSet and DaemonSet (replicas, a selector that matches the
 * template's labels, the template, restart policy Always, strategies; selectors immutable in
 * apps/v1, StatefulSet spec fields other than replicas, template, update strategy, ordinals, PVC
 * retention and minReadySeconds immutable), Job (counts, selector, restart policy OnFailure or
 * Never; selector, template, completion mode immutable) and CronJob (schedule, concurrency policy,
 * the job template).
 *
 * Values upstream prints with `%#v` of a whole Pod template (`spec.template: Invalid value:
 * core.PodTemplateSpec{...}: field is immutable`) are abbreviated to `core.PodTemplateSpec{...}`.
 */
import {
  deepEqual,
  isPlainObject,
  type KubeObject,
  type LabelSelector,
  labelSelectorFromSpec,
} from '../../core/index.js';
import { validateDeploymentStrategy } from './deployment-strategy.js';
import { type FieldErrors, GoSyntax, goLabelSelector, goStringMap } from './field-errors.js';
import { isDns1123Label } from './names.js';
import { validateAnnotations, validateLabelSelector, validateLabels } from './object-meta.js';
import { validatePodTemplateSpec } from './pod-spec.js';

type Obj = Record<string, unknown>;

function objectAt(value: unknown): Obj {
  return isPlainObject(value) ? value : {};
}

function nonNegative(value: unknown, path: string, errs: FieldErrors): void {
  if (typeof value === 'number' && value < 0) errs.invalid(path, value, 'must be greater than or equal to 0');
}

function templateLabels(spec: Obj): Record<string, string> | undefined {
  const labels = objectAt(objectAt(spec.template).metadata).labels;
  return isPlainObject(labels) ? (labels as Record<string, string>) : undefined;
}

/** `metav1.LabelSelectorAsSelector`: undefined when the selector cannot be built. */
function asSelector(selector: unknown): LabelSelector | undefined {
  try {
    return labelSelectorFromSpec(isPlainObject(selector) ? (selector as never) : undefined);
  } catch {
    return undefined;
  }
}

function isEmptySelector(selector: Obj): boolean {
  const labels = isPlainObject(selector.matchLabels) ? Object.keys(selector.matchLabels).length : 0;
  const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions.length : 0;
  return labels + exprs === 0;
}

/** The template's restart policy, `Always` when absent (the Pod template's default). */
function restartPolicyOf(spec: Obj): string {
  const restart = objectAt(objectAt(spec.template).spec).restartPolicy;
  return typeof restart === 'string' && restart !== '' ? restart : 'Always';
}

/**
 * The selector checks the ReplicaSet-like kinds share: required, valid, not empty, and (when it can
 * be built) matching the template's labels.
 */
function validateSelector(
  spec: Obj,
  kindWord: string,
  errs: FieldErrors,
  invalidDetail: string,
): LabelSelector | undefined {
  if (spec.selector === undefined || spec.selector === null) errs.required('spec.selector');
  else {
    validateLabelSelector(spec.selector, 'spec.selector', errs);
    if (isEmptySelector(objectAt(spec.selector))) {
      errs.invalid('spec.selector', goLabelSelector(spec.selector), `empty selector is invalid for ${kindWord}`);
    }
  }
  const selector = asSelector(spec.selector);
  if (selector === undefined) errs.invalid('spec.selector', goLabelSelector(spec.selector), invalidDetail);
  return selector;
}

function checkTemplateMatches(selector: LabelSelector, spec: Obj, errs: FieldErrors): void {
  if (selector.isEmpty()) return;
  const labels = templateLabels(spec);
  if (!selector.matches(labels ?? {})) {
    errs.invalid('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`');
  }
}

/** `spec.selector`, when it parses, must select the template's labels (DaemonSet, Job). */
function checkSelectsTemplate(spec: Obj, errs: FieldErrors): void {
  const selector = asSelector(spec.selector);
  const labels = templateLabels(spec);
  if (selector !== undefined && !selector.matches(labels ?? {})) {
    errs.invalid('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`');
  }
}

/** `ValidatePodTemplateSpecForReplicaSet`: selector match, template, restart policy Always, no deadline. */
function validateReplicaSetTemplate(selector: LabelSelector, spec: Obj, kind: string, errs: FieldErrors): void {
  checkTemplateMatches(selector, spec, errs);
  validateAlwaysRunningTemplate(spec, kind, errs);
}

/** The template, restart policy Always and no `activeDeadlineSeconds`: pods that keep running. */
function validateAlwaysRunningTemplate(spec: Obj, kind: string, errs: FieldErrors): void {
  validatePodTemplateSpec(spec.template, 'spec.template', errs);
  const restart = restartPolicyOf(spec);
  if (restart !== 'Always') errs.notSupported('spec.template.spec.restartPolicy', restart, ['Always']);
  const deadline = objectAt(objectAt(spec.template).spec).activeDeadlineSeconds;
  if (typeof deadline === 'number') {
    errs.invalid(
      'spec.template.spec.activeDeadlineSeconds',
      deadline,
      `activeDeadlineSeconds in ${kind} is not Supported`,
    );
  }
}

/** `ValidateDeploymentSpec`. */
export function validateDeployment(obj: KubeObject, errs: FieldErrors): void {
  const spec = objectAt(obj.spec);
  nonNegative(spec.replicas, 'spec.replicas', errs);
  const selector = validateSelector(spec, 'deployment', errs, 'invalid label selector');
  if (selector !== undefined) validateReplicaSetTemplate(selector, spec, 'ReplicaSet', errs);
  validateDeploymentStrategy(obj, errs);
  const minReady = typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
  nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', errs);
  nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit', errs);
  if (typeof spec.progressDeadlineSeconds === 'number') {
    nonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds', errs);
    if (spec.progressDeadlineSeconds <= minReady) {
      errs.invalid(
        'spec.progressDeadlineSeconds',
        spec.progressDeadlineSeconds,
        'must be greater than minReadySeconds',
      );
    }
  }
}

/** `ValidateReplicaSetSpec` (its empty-selector text says "deployment" upstream too). */
export function validateReplicaSet(obj: KubeObject, errs: FieldErrors): void {
  const spec = objectAt(obj.spec);
  nonNegative(spec.replicas, 'spec.replicas', errs);
  nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', errs);
  const selector = validateSelector(spec, 'deployment', errs, 'invalid label selector');
  if (selector !== undefined) validateReplicaSetTemplate(selector, spec, 'ReplicaSet', errs);
}

/** `ValidateStatefulSetSpec` (the Pod template's spec is not validated upstream, only its metadata). */
export function validateStatefulSet(obj: KubeObject, errs: FieldErrors): void {
  const spec = objectAt(obj.spec);
  // The service name becomes the Pods' subdomain, a DNS label (checked since 1.33).
  if (typeof spec.serviceName === 'string' && spec.serviceName !== '') {
    for (const msg of isDns1123Label(spec.serviceName)) errs.invalid('spec.serviceName', spec.serviceName, msg);
  }
  const policy = spec.podManagementPolicy;
  if (typeof policy === 'string' && policy !== 'OrderedReady' && policy !== 'Parallel') {
    errs.invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'");
  }
  const strategy = objectAt(spec.updateStrategy);
  if (strategy.type === 'OnDelete' && strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
    errs.invalid(
      'spec.updateStrategy.rollingUpdate',
      new GoSyntax('&apps.RollingUpdateStatefulSetStrategy{...}'),
      "only allowed for updateStrategy 'RollingUpdate'",
    );
  } else if (typeof strategy.type === 'string' && strategy.type !== 'RollingUpdate' && strategy.type !== 'OnDelete') {
    errs.invalid(
      'spec.updateStrategy',
      new GoSyntax(
        `apps.StatefulSetUpdateStrategy{Type:${JSON.stringify(strategy.type)}, RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}`,
      ),
      "must be 'RollingUpdate' or 'OnDelete'",
    );
  }
  const partition = objectAt(strategy.rollingUpdate).partition;
  nonNegative(partition, 'spec.updateStrategy.rollingUpdate.partition', errs);
  nonNegative(spec.replicas, 'spec.replicas', errs);
  nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', errs);
  const selector = validateSelector(spec, 'statefulset', errs, '');
  if (selector !== undefined) {
    checkTemplateMatches(selector, spec, errs);
    const meta = objectAt(objectAt(spec.template).metadata);
    validateLabels(meta.labels, 'spec.template.labels', errs);
    validateAnnotations(meta.annotations, 'spec.template.annotations', errs);
  }
  const restart = restartPolicyOf(spec);
  if (restart !== 'Always') errs.notSupported('spec.template.spec.restartPolicy', restart, ['Always']);
  if (typeof objectAt(objectAt(spec.template).spec).activeDeadlineSeconds === 'number') {
    errs.forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in StatefulSet is not Supported');
  }
}

/** `ValidateDaemonSetSpec`. */
export function validateDaemonSet(obj: KubeObject, errs: FieldErrors): void {
  const spec = objectAt(obj.spec);
  validateLabelSelector(spec.selector, 'spec.selector', errs);
  checkSelectsTemplate(spec, errs);
  if (isPlainObject(spec.selector) && isEmptySelector(spec.selector)) {
    errs.invalid('spec.selector', goLabelSelector(spec.selector), 'empty selector is invalid for daemonset');
  }
  validateAlwaysRunningTemplate(spec, 'DaemonSet', errs);
  nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', errs);
  const strategy = objectAt(spec.updateStrategy);
  if (typeof strategy.type === 'string' && strategy.type !== 'RollingUpdate' && strategy.type !== 'OnDelete') {
    errs.notSupported(
      'spec.updateStrategy',
      new GoSyntax(
        `apps.DaemonSetUpdateStrategy{Type:${JSON.stringify(strategy.type)}, RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}`,
      ),
      ['RollingUpdate', 'OnDelete'],
    );
  }
}

/**
 * `validateJobSpec` (what a Job and a CronJob's job template share): counts, completion mode, the
 * Pod template, restart policy OnFailure or Never. `path` is the spec's (`spec`,
 * `spec.jobTemplate.spec`).
 */
function validateJobSpec(spec: Obj, path: string, errs: FieldErrors): void {
  for (const field of [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'ttlSecondsAfterFinished',
  ]) {
    nonNegative(spec[field], `${path}.${field}`, errs);
  }
  const mode = spec.completionMode;
  if (typeof mode === 'string' && mode !== 'NonIndexed' && mode !== 'Indexed') {
    errs.notSupported(`${path}.completionMode`, mode, ['NonIndexed', 'Indexed']);
  }
  if (mode === 'Indexed' && (spec.completions === undefined || spec.completions === null)) {
    errs.required(`${path}.completions`, 'when completion mode is Indexed');
  }
  validatePodTemplateSpec(spec.template, `${path}.template`, errs);
  // The Pod template's default restart policy (Always) is refused, so an absent one is too.
  const restart = objectAt(objectAt(spec.template).spec).restartPolicy;
  if (restart === undefined || restart === null || restart === '' || restart === 'Always') {
    errs.required(`${path}.template.spec.restartPolicy`, 'valid values: "OnFailure", "Never"');
  } else if (restart !== 'OnFailure' && restart !== 'Never') {
    errs.notSupported(`${path}.template.spec.restartPolicy`, String(restart), ['OnFailure', 'Never']);
  }
}

/** `ValidateJob`: the spec, then the selector and the template labels it must match. */
export function validateJob(obj: KubeObject, errs: FieldErrors): void {
  const spec = objectAt(obj.spec);
  validateJobSpec(spec, 'spec', errs);
  // Without `manualSelector` the registry generates the selector (`generateSelector`), so only a
  // manual Job must bring one.
  if (spec.selector === undefined || spec.selector === null) {
    if (spec.manualSelector === true) errs.required('spec.selector');
    return;
  }
  validateLabelSelector(spec.selector, 'spec.selector', errs);
  checkSelectsTemplate(spec, errs);
}

/**
 * `ValidateCronJobCreate` / `validateCronJobSpec`: a name that leaves room for the Job suffix, a
 * schedule, the concurrency policy, and the job template as a Job's spec. The schedule's syntax is
 * not checked here.
 */
export function validateCronJob(obj: KubeObject, creating: boolean, errs: FieldErrors): void {
  const spec = objectAt(obj.spec);
  if (typeof spec.schedule !== 'string' || spec.schedule === '') errs.required('spec.schedule');
  nonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds', errs);
  const policy = spec.concurrencyPolicy;
  if (typeof policy === 'string' && policy !== '' && !['Allow', 'Forbid', 'Replace'].includes(policy)) {
    errs.notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']);
  }
  const jobSpec = objectAt(objectAt(spec.jobTemplate).spec);
  validateJobSpec(jobSpec, 'spec.jobTemplate.spec', errs);
  // `ValidateJobTemplateSpec`: the Jobs' selectors are generated.
  if (jobSpec.selector !== undefined && jobSpec.selector !== null) {
    errs.invalid(
      'spec.jobTemplate.spec.selector',
      goLabelSelector(jobSpec.selector),
      '`selector` will be auto-generated',
    );
  }
  if (jobSpec.manualSelector === true) {
    errs.notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']);
  }
  // The controller appends an 11-character suffix to name its Jobs (checked on create only).
  const name = typeof obj.metadata.name === 'string' ? obj.metadata.name : '';
  if (creating && name.length > 52) errs.invalid('metadata.name', name, 'must be no more than 52 characters');
}

/** A selector as `Semantic.DeepEqual` compares them: empty lists and maps equal absent ones. */
function normalizedSelector(selector: unknown): unknown {
  if (!isPlainObject(selector)) return null;
  const out: Obj = {};
  if (isPlainObject(selector.matchLabels) && Object.keys(selector.matchLabels).length > 0) {
    out.matchLabels = selector.matchLabels;
  }
  if (Array.isArray(selector.matchExpressions) && selector.matchExpressions.length > 0) {
    out.matchExpressions = selector.matchExpressions;
  }
  return out;
}

function immutableSelector(spec: Obj, oldSpec: Obj, errs: FieldErrors): void {
  if (!deepEqual(normalizedSelector(spec.selector), normalizedSelector(oldSpec.selector))) {
    const value = isPlainObject(spec.selector) ? goLabelSelector(spec.selector) : null;
    errs.invalid('spec.selector', value, 'field is immutable');
  }
}

/** Update rules of the apps/v1 kinds: selectors immutable; most of a StatefulSet's spec too. */
export function validateAppsUpdate(kind: string, obj: KubeObject, old: KubeObject, errs: FieldErrors): void {
  const spec = objectAt(obj.spec);
  const oldSpec = objectAt(old.spec);
  if (kind === 'StatefulSet') {
    const mutable = new Set([
      'replicas',
      'template',
      'updateStrategy',
      'minReadySeconds',
      'ordinals',
      'persistentVolumeClaimRetentionPolicy',
    ]);
    const strip = (s: Obj) => Object.fromEntries(Object.entries(s).filter(([k]) => !mutable.has(k)));
    if (!deepEqual(strip(spec), strip(oldSpec))) {
      errs.forbidden(
        'spec',
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      );
    }
    return;
  }
  immutableSelector(spec, oldSpec, errs);
}

/** The scheduling directives a suspended Job that never started may change (`AllowMutableSchedulingDirectives`). */
function schedulingFree(template: unknown): unknown {
  const t = objectAt(template);
  const meta = objectAt(t.metadata);
  const podSpec = objectAt(t.spec);
  const { labels: _l, annotations: _a, ...restMeta } = meta;
  const { nodeSelector: _n, tolerations: _t, affinity: _f, schedulingGates: _g, ...restSpec } = podSpec;
  return { ...t, metadata: restMeta, spec: restSpec };
}

/** `ValidateJobSpecUpdate`: selector, template, completion mode and failure policies immutable. */
export function validateJobUpdate(obj: KubeObject, old: KubeObject, errs: FieldErrors): void {
  const spec = objectAt(obj.spec);
  const oldSpec = objectAt(old.spec);
  // `validateCompletions`: immutable, except that an Indexed Job scales by changing completions
  // together with parallelism (elastic Indexed Jobs).
  const completions = typeof spec.completions === 'number' ? spec.completions : null;
  if (completions !== (typeof oldSpec.completions === 'number' ? oldSpec.completions : null)) {
    if (spec.completionMode !== 'Indexed') errs.invalid('spec.completions', completions, 'field is immutable');
    else if (completions !== null && completions !== spec.parallelism) {
      errs.invalid('spec.completions', completions, 'can only be modified in tandem with spec.parallelism');
    }
  }
  immutableSelector(spec, oldSpec, errs);
  const neverStarted = oldSpec.suspend === true && objectAt(old.status).startTime === undefined;
  const same = neverStarted
    ? deepEqual(schedulingFree(spec.template), schedulingFree(oldSpec.template))
    : deepEqual(spec.template, oldSpec.template);
  if (!same) errs.invalid('spec.template', new GoSyntax('core.PodTemplateSpec{...}'), 'field is immutable');
  for (const field of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy']) {
    if (!deepEqual(spec[field] ?? null, oldSpec[field] ?? null)) {
      const value = spec[field];
      errs.invalid(
        `spec.${field}`,
        typeof value === 'string' || typeof value === 'number' ? value : null,
        'field is immutable',
      );
    }
  }
}
