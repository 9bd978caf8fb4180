/**
 * Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet and Job validation (pkg/apis/core, apps and
 * batch validation, and the update rules of their strategies) with kube-apiserver 1.33's messages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../src/core/index.js';
import { createTexts, LABEL, updateTexts } from './helpers.js';

const meta = { name: 'x', namespace: 'default' };
const container = { name: 'c', image: 'nginx' };
const template = (
  labels: Record<string, string> | undefined,
  spec: Record<string, unknown> = { containers: [container] },
) => ({
  metadata: labels === undefined ? {} : { labels },
  spec,
});

function workload(kind: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, metadata: meta, spec } as KubeObject;
}

describe('Pod spec', () => {
  const pod = (spec: Record<string, unknown>) =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: meta, spec }) as KubeObject;

  it('a valid Pod', () => {
    assert.deepEqual(createTexts('', 'pods', pod({ containers: [container], restartPolicy: 'Never' })), []);
  });

  it('containers are required', () => {
    assert.deepEqual(createTexts('', 'pods', pod({})), ['spec.containers: Required value']);
  });

  it('container names, images, ports and mounts', () => {
    const spec = {
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [
        {
          name: 'App',
          ports: [
            { containerPort: 0 },
            { containerPort: 8080, name: 'http', protocol: 'TCPX' },
            { containerPort: 8081, name: 'http' },
          ],
          volumeMounts: [
            { name: 'data', mountPath: '/d' },
            { name: 'missing', mountPath: '/d' },
          ],
        },
        { name: 'app2', image: 'x', env: [{ value: 'v' }], imagePullPolicy: 'Sometimes' },
        { name: 'app2', image: 'x' },
      ],
      initContainers: [{ name: 'app2', image: 'x' }],
      restartPolicy: 'Sometimes',
    };
    assert.deepEqual(createTexts('', 'pods', pod(spec)), [
      `spec.containers[0].name: Invalid value: "App": ${LABEL}`,
      'spec.containers[0].image: Required value',
      'spec.containers[0].ports[0].containerPort: Required value',
      'spec.containers[0].ports[1].protocol: Unsupported value: "TCPX": supported values: "SCTP", "TCP", "UDP"',
      'spec.containers[0].ports[2].name: Duplicate value: "http"',
      'spec.containers[0].volumeMounts[1].name: Not found: "missing"',
      'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique',
      'spec.containers[1].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
      'spec.containers[1].env[0].name: Required value',
      'spec.containers[2].name: Duplicate value: "app2"',
      'spec.initContainers[0].name: Duplicate value: "app2"',
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]);
  });

  it('volumes: names unique, one source each', () => {
    const spec = {
      volumes: [
        { name: 'a' },
        { name: 'b', emptyDir: {}, hostPath: { path: '/' } },
        { name: 'c', emptyDir: {} },
        { name: 'c', emptyDir: {} },
      ],
      containers: [container],
    };
    assert.deepEqual(createTexts('', 'pods', pod(spec)), [
      'spec.volumes[0]: Required value: must specify a volume type',
      'spec.volumes[1].hostPath: Forbidden: may not specify more than 1 volume type',
      'spec.volumes[3].name: Duplicate value: "c"',
    ]);
  });
});

describe('Deployment', () => {
  it('a valid Deployment', () => {
    const spec = { replicas: 2, selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a' }) };
    assert.deepEqual(createTexts('apps', 'deployments', workload('Deployment', spec)), []);
  });

  it('no selector: required, and the template labels do not match it', () => {
    assert.deepEqual(createTexts('apps', 'deployments', workload('Deployment', { template: template({ app: 'a' }) })), [
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"a"}: `selector` does not match template `labels`',
    ]);
  });

  it('an empty selector', () => {
    assert.deepEqual(
      createTexts('apps', 'deployments', workload('Deployment', { selector: {}, template: template({ app: 'a' }) })),
      [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
      ],
    );
  });

  it('replicas, selector mismatch, restart policy, strategy and deadlines', () => {
    const spec = {
      replicas: -1,
      selector: { matchLabels: { app: 'a' } },
      template: template({ app: 'b' }, { containers: [container], restartPolicy: 'Never' }),
      strategy: { type: 'Recreate', rollingUpdate: {} },
      minReadySeconds: 10,
      progressDeadlineSeconds: 5,
    };
    assert.deepEqual(createTexts('apps', 'deployments', workload('Deployment', spec)), [
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
      'spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds',
    ]);
  });

  it('selector expressions', () => {
    const spec = {
      selector: {
        matchExpressions: [
          { key: 'app', operator: 'In' },
          { key: 'x', operator: 'Maybe', values: ['-'] },
        ],
      },
      template: template({ app: 'a' }),
    };
    const got = createTexts('apps', 'deployments', workload('Deployment', spec));
    assert.deepEqual(got.slice(0, 3), [
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      'spec.selector.matchExpressions[1].operator: Invalid value: "Maybe": not a valid selector operator',
      "spec.selector.matchExpressions[1].values[0]: Invalid value: \"-\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ]);
    assert.match(got[3], /^spec\.selector: Invalid value: v1\.LabelSelector\{.*\}: invalid label selector$/);
  });

  it('a removed selector prints as "null", as ErrorBody writes a nil pointer', () => {
    const old = workload('Deployment', { selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a' }) });
    const next = workload('Deployment', { template: template({ app: 'a' }) });
    assert.ok(
      updateTexts('apps', 'deployments', next, old).includes(
        'spec.selector: Invalid value: "null": field is immutable',
      ),
    );
  });

  it('the selector is immutable in apps/v1', () => {
    const old = workload('Deployment', {
      selector: { matchLabels: { app: 'a' } },
      template: template({ app: 'a', v: '1' }),
    });
    const next = workload('Deployment', {
      selector: { matchLabels: { app: 'a', v: '1' } },
      template: template({ app: 'a', v: '1' }),
    });
    assert.deepEqual(updateTexts('apps', 'deployments', next, old), [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"a", "v":"1"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });
});

describe('ReplicaSet, StatefulSet, DaemonSet', () => {
  it('ReplicaSet: its empty-selector text says deployment, as upstream', () => {
    assert.deepEqual(
      createTexts(
        'apps',
        'replicasets',
        workload('ReplicaSet', { selector: { matchLabels: {} }, template: template({ a: 'b' }) }),
      ),
      [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
      ],
    );
  });

  it('StatefulSet: policies, selector, template labels; the Pod spec is not checked', () => {
    const spec = {
      podManagementPolicy: 'Random',
      updateStrategy: { type: 'Sometimes' },
      selector: { matchLabels: { app: 'a' } },
      template: template({ app: 'b' }, { containers: [{ name: 'NoImage' }] }),
    };
    assert.deepEqual(createTexts('apps', 'statefulsets', workload('StatefulSet', spec)), [
      "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
      "spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:\"Sometimes\", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'",
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`',
    ]);
  });

  it('StatefulSet: the name and service name are DNS labels', () => {
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db.primary', namespace: 'default' },
      spec: { serviceName: 'db.svc', selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a' }) },
    } as KubeObject;
    assert.deepEqual(createTexts('apps', 'statefulsets', sts), [
      `metadata.name: Invalid value: "db.primary": ${LABEL}`,
      `spec.serviceName: Invalid value: "db.svc": ${LABEL}`,
    ]);
  });

  it('StatefulSet: only some spec fields may change', () => {
    const old = workload('StatefulSet', {
      serviceName: 'a',
      selector: { matchLabels: { app: 'a' } },
      template: template({ app: 'a' }),
    });
    const scaled = workload('StatefulSet', {
      serviceName: 'a',
      replicas: 3,
      selector: { matchLabels: { app: 'a' } },
      template: template({ app: 'a' }),
    });
    assert.deepEqual(updateTexts('apps', 'statefulsets', scaled, old), []);
    const renamed = workload('StatefulSet', {
      serviceName: 'b',
      selector: { matchLabels: { app: 'a' } },
      template: template({ app: 'a' }),
    });
    assert.deepEqual(updateTexts('apps', 'statefulsets', renamed, old), [
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });

  it('DaemonSet: selector match, template, restart policy', () => {
    const spec = {
      selector: { matchLabels: { app: 'a' } },
      template: template({ app: 'b' }, { containers: [container], restartPolicy: 'OnFailure' }),
    };
    assert.deepEqual(createTexts('apps', 'daemonsets', workload('DaemonSet', spec)), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`',
      'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
    ]);
  });
});

describe('Job', () => {
  it('a Job without a restart policy is refused (the Pod default Always is not allowed)', () => {
    assert.deepEqual(createTexts('batch', 'jobs', workload('Job', { template: template(undefined) })), [
      'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ]);
  });

  it('counts, completion mode, restart policy', () => {
    const spec = {
      parallelism: -1,
      backoffLimit: -2,
      completionMode: 'Indexed',
      template: template(undefined, { containers: [container], restartPolicy: 'Sometimes' }),
    };
    assert.deepEqual(createTexts('batch', 'jobs', workload('Job', spec)), [
      'spec.parallelism: Invalid value: -1: must be greater than or equal to 0',
      'spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0',
      'spec.completions: Required value: when completion mode is Indexed',
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
    ]);
  });

  it('a manual selector must be given and match', () => {
    const spec = {
      manualSelector: true,
      template: template({ a: 'b' }, { containers: [container], restartPolicy: 'Never' }),
    };
    assert.deepEqual(createTexts('batch', 'jobs', workload('Job', spec)), ['spec.selector: Required value']);
  });

  it('an Indexed Job changes completions only in tandem with parallelism', () => {
    const indexed = (completions: number, parallelism: number) =>
      workload('Job', {
        completions,
        parallelism,
        completionMode: 'Indexed',
        template: template(undefined, { containers: [container], restartPolicy: 'Never' }),
      });
    assert.deepEqual(updateTexts('batch', 'jobs', indexed(4, 4), indexed(2, 2)), []);
    assert.deepEqual(updateTexts('batch', 'jobs', indexed(4, 2), indexed(2, 2)), [
      'spec.completions: Invalid value: 4: can only be modified in tandem with spec.parallelism',
    ]);
  });

  it('selector, template and completion mode are immutable', () => {
    const spec = (image: string) => ({
      completions: 1,
      completionMode: 'NonIndexed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } },
      template: template(
        { 'batch.kubernetes.io/controller-uid': 'u' },
        { containers: [{ name: 'c', image }], restartPolicy: 'Never' },
      ),
    });
    const old = workload('Job', spec('a'));
    assert.deepEqual(updateTexts('batch', 'jobs', workload('Job', spec('a')), old), []);
    assert.deepEqual(updateTexts('batch', 'jobs', workload('Job', { ...spec('b'), completions: 2 }), old), [
      'spec.completions: Invalid value: 2: field is immutable',
      'spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable',
    ]);
  });
});

describe('CronJob', () => {
  const cronJob = (name: string, spec: Record<string, unknown>) =>
    ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace: 'default' }, spec }) as KubeObject;

  it('a schedule, a known concurrency policy, a job template whose Pods do not restart Always', () => {
    const spec = { concurrencyPolicy: 'Sometimes', jobTemplate: { spec: { template: template(undefined) } } };
    assert.deepEqual(createTexts('batch', 'cronjobs', cronJob('x'.repeat(53), spec)), [
      'spec.schedule: Required value',
      'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
      'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
      `metadata.name: Invalid value: "${'x'.repeat(53)}": must be no more than 52 characters`,
    ]);
    const ok = {
      schedule: '*/5 * * * *',
      jobTemplate: { spec: { template: template(undefined, { containers: [container], restartPolicy: 'OnFailure' }) } },
    };
    assert.deepEqual(createTexts('batch', 'cronjobs', cronJob('nightly', ok)), []);
  });
});
