/**
 * The API server's defaulting for the kinds the built-in controllers run, and the fields
 * admission adds to every new Pod (kube-apiserver defaulting and its ServiceAccount, DefaultTolerationSeconds and Priority plugins). With controllers
 * on, an object reads back as a real cluster returns it: a Deployment has `replicas: 1`, its
 * rolling-update strategy, `revisionHistoryLimit` and `progressDeadlineSeconds`; a Job its
 * generated selector and labels; a Pod its `serviceAccountName`, the `kube-api-access-*` volume,
 * the 300 s NotReady/Unreachable tolerations and `priority: 0`.
 *
 * Sources: pkg/apis/apps/v1/defaults.go, pkg/apis/batch/v1/defaults.go, pkg/apis/core/v1/defaults.go,
 * pkg/registry/batch/job/strategy.go (`generateSelector`), plugin/pkg/admission/serviceaccount,
 * defaulttolerationseconds, priority.
 */
import { isPlainObject, type KubeObject } from '../../core/index.js';
import { generateName } from '../registry/strategy.js';
import type { AdmissionHook } from '../registry/types.js';
import type { ServedType } from '../served/served-types.js';

type Obj = Record<string, unknown>;

function objectAt(parent: Obj, field: string): Obj {
  const v = parent[field];
  if (isPlainObject(v)) return v;
  const made: Obj = {};
  parent[field] = made;
  return made;
}

function setDefault(obj: Obj, field: string, value: unknown): void {
  if (obj[field] === undefined || obj[field] === null) obj[field] = value;
}

/** `SetDefaults_PodSpec` and `SetDefaults_Container` for a Pod spec (in place). */
export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const field of ['containers', 'initContainers']) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!isPlainObject(c)) continue;
      const image = String(c.image ?? '');
      const tag = image.includes('@') ? 'digest' : (/:([^:/]+)$/.exec(image)?.[1] ?? 'latest');
      setDefault(c, 'imagePullPolicy', tag === 'latest' ? 'Always' : 'IfNotPresent');
      setDefault(c, 'terminationMessagePath', '/dev/termination-log');
      setDefault(c, 'terminationMessagePolicy', 'File');
      setDefault(c, 'resources', {});
      if (Array.isArray(c.ports)) for (const p of c.ports) if (isPlainObject(p)) setDefault(p, 'protocol', 'TCP');
    }
  }
}

function defaultTemplate(spec: Obj): void {
  const template = objectAt(spec, 'template');
  defaultPodSpec(objectAt(template, 'spec'));
}

function defaultWorkload(kind: string, obj: KubeObject, old: KubeObject | undefined): void {
  const creating = old === undefined;
  const spec = objectAt(obj as Obj, 'spec');
  switch (kind) {
    case 'Deployment': {
      setDefault(spec, 'replicas', 1);
      const strategy = objectAt(spec, 'strategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        const rolling = objectAt(strategy, 'rollingUpdate');
        setDefault(rolling, 'maxUnavailable', '25%');
        setDefault(rolling, 'maxSurge', '25%');
      }
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'progressDeadlineSeconds', 600);
      defaultTemplate(spec);
      return;
    }
    case 'ReplicaSet':
      setDefault(spec, 'replicas', 1);
      defaultTemplate(spec);
      return;
    case 'StatefulSet': {
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'podManagementPolicy', 'OrderedReady');
      const strategy = objectAt(spec, 'updateStrategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') setDefault(objectAt(strategy, 'rollingUpdate'), 'partition', 0);
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'persistentVolumeClaimRetentionPolicy', { whenDeleted: 'Retain', whenScaled: 'Retain' });
      defaultTemplate(spec);
      return;
    }
    case 'DaemonSet': {
      const strategy = objectAt(spec, 'updateStrategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        const rolling = objectAt(strategy, 'rollingUpdate');
        setDefault(rolling, 'maxUnavailable', 1);
        setDefault(rolling, 'maxSurge', 0);
      }
      setDefault(spec, 'revisionHistoryLimit', 10);
      defaultTemplate(spec);
      templateGeneration(obj, old);
      return;
    }
    case 'Job':
      defaultJob(obj, spec, creating);
      return;
    case 'CronJob': {
      setDefault(spec, 'concurrencyPolicy', 'Allow');
      setDefault(spec, 'suspend', false);
      setDefault(spec, 'successfulJobsHistoryLimit', 3);
      setDefault(spec, 'failedJobsHistoryLimit', 1);
      const jobTemplate = objectAt(spec, 'jobTemplate');
      defaultTemplate(objectAt(jobTemplate, 'spec'));
      return;
    }
  }
}

const TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

/**
 * The DaemonSet strategy's template generation (pkg/registry/apps/daemonset/strategy.go): 1 on
 * create, one more each time an update changes the Pod template, kept in the annotation apps/v1
 * shows it in; the controller labels its Pods `pod-template-generation` with it.
 */
function templateGeneration(obj: KubeObject, old: KubeObject | undefined): void {
  const previous = Number(old?.metadata.annotations?.[TEMPLATE_GENERATION] ?? 0) || 0;
  const spec = (isPlainObject(obj.spec) ? obj.spec : {}) as Obj;
  const oldSpec = (isPlainObject(old?.spec) ? old?.spec : {}) as Obj;
  const changed = old === undefined || JSON.stringify(spec.template) !== JSON.stringify(oldSpec.template);
  const generation = old === undefined ? 1 : changed ? previous + 1 : Math.max(previous, 1);
  obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [TEMPLATE_GENERATION]: String(generation) };
}

/** The labels a Job's selector and Pods carry (pkg/registry/batch/job/strategy.go). */
export function jobLabels(obj: KubeObject): Record<string, string> {
  const uid = String(obj.metadata.uid);
  const name = String(obj.metadata.name);
  return {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
}

function defaultJob(obj: KubeObject, spec: Obj, creating: boolean): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'podReplacementPolicy', 'TerminatingOrFailed');
  const template = objectAt(spec, 'template');
  defaultTemplate(spec);
  if (creating && spec.manualSelector !== true && obj.metadata.uid !== undefined) {
    const labels = jobLabels(obj);
    spec.selector = {
      matchLabels: { 'batch.kubernetes.io/controller-uid': labels['batch.kubernetes.io/controller-uid'] },
    };
    const meta = objectAt(template, 'metadata');
    meta.labels = { ...(isPlainObject(meta.labels) ? meta.labels : {}), ...labels };
  }
  // batch/v1 `SetDefaults_Job`: a Job without labels takes its template's (applied again when the
  // stored object is decoded, so the generated selector labels show on the Job too).
  const templateLabels = isPlainObject(template.metadata) ? template.metadata.labels : undefined;
  const own = obj.metadata.labels;
  if (
    isPlainObject(templateLabels) &&
    Object.keys(templateLabels).length > 0 &&
    (!own || Object.keys(own).length === 0)
  ) {
    obj.metadata.labels = { ...(templateLabels as Record<string, string>) };
  }
}

const SA_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** What admission adds to a new Pod: service account token volume, tolerations, priority. */
function admitPod(obj: KubeObject, random: () => number): void {
  const spec = objectAt(obj as Obj, 'spec');
  defaultPodSpec(spec);
  setDefault(spec, 'enableServiceLinks', true);
  setDefault(spec, 'serviceAccountName', 'default');
  spec.serviceAccount = spec.serviceAccountName;
  if (spec.automountServiceAccountToken !== false) {
    const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
    const hasMount = (c: Obj) =>
      Array.isArray(c.volumeMounts) &&
      c.volumeMounts.some((m: unknown) => isPlainObject(m) && m.mountPath === SA_MOUNT);
    const name = generateName('kube-api-access-', random);
    volumes.push({
      name,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
            },
          },
        ],
      },
    });
    spec.volumes = volumes;
    for (const field of ['containers', 'initContainers']) {
      const list = spec[field];
      if (!Array.isArray(list)) continue;
      for (const c of list) {
        if (!isPlainObject(c) || hasMount(c)) continue;
        c.volumeMounts = [
          ...(Array.isArray(c.volumeMounts) ? c.volumeMounts : []),
          { name, readOnly: true, mountPath: SA_MOUNT },
        ];
      }
    }
  }
  const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations.filter(isPlainObject) : [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const has = tolerations.some((t) => t.key === key && (t.effect === undefined || t.effect === 'NoExecute'));
    if (!has) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
  setDefault(spec, 'priority', 0);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
}

const WORKLOADS: Record<string, string> = {
  'apps/deployments': 'Deployment',
  'apps/replicasets': 'ReplicaSet',
  'apps/statefulsets': 'StatefulSet',
  'apps/daemonsets': 'DaemonSet',
  'batch/jobs': 'Job',
  'batch/cronjobs': 'CronJob',
};

/** The defaulting and Pod admission hook. */
export function defaultsAdmission(random: () => number): AdmissionHook {
  return (served: ServedType, obj: KubeObject, old: KubeObject | undefined) => {
    if (served.custom) return;
    const kind = WORKLOADS[served.storeId];
    if (kind !== undefined) {
      defaultWorkload(kind, obj, old);
      return;
    }
    if (served.storeId === '/pods' && old === undefined) admitPod(obj, random);
  };
}
