/**
 * The pure parts of the built-in controllers: rollout arithmetic as deployment_util.go computes it,
 * the template hash's alphabet and stability, Pod outcome parsing and rule matching, and the
 * Pod status rendering the kubelet writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextRun, parseCron } from '../../../src/apiserver/controllers/cron-schedule.js';
import {
  newReplicaSetReplicas,
  rolloutLimits,
  scaled,
  setCondition,
  withoutHash,
} from '../../../src/apiserver/controllers/deployment-rollout.js';
import { simulationSettings } from '../../../src/apiserver/controllers/index.js';
import { templateHash } from '../../../src/apiserver/controllers/objects.js';
import { parseOutcome, podScript } from '../../../src/apiserver/controllers/pod-outcomes.js';
import { normalizeImage, qosClassOf, renderPodStatus } from '../../../src/apiserver/controllers/pod-status.js';
import type { KubeObject } from '../../../src/core/index.js';

const d = (replicas: number, rollingUpdate?: Record<string, unknown>, type = 'RollingUpdate'): KubeObject => ({
  metadata: { name: 'd' },
  spec: { replicas, strategy: { type, ...(rollingUpdate ? { rollingUpdate } : {}) } },
});

describe('rollout arithmetic', () => {
  it('resolves percentages: surge rounds up, unavailable down, both zero means one unavailable', () => {
    assert.equal(scaled('25%', 10, true), 3);
    assert.equal(scaled('25%', 10, false), 2);
    assert.equal(scaled(2, 10, true), 2);
    assert.deepEqual(rolloutLimits(d(10)), { replicas: 10, maxSurge: 3, maxUnavailable: 2 });
    assert.deepEqual(rolloutLimits(d(1)), { replicas: 1, maxSurge: 1, maxUnavailable: 0 });
    assert.deepEqual(rolloutLimits(d(3, { maxSurge: 0, maxUnavailable: 0 })), {
      replicas: 3,
      maxSurge: 0,
      maxUnavailable: 1,
    });
    assert.deepEqual(rolloutLimits(d(3, undefined, 'Recreate')), { replicas: 3, maxSurge: 0, maxUnavailable: 0 });
  });

  it('grows the new ReplicaSet only within replicas + maxSurge', () => {
    const rs = (replicas: number): KubeObject => ({ metadata: {}, spec: { replicas } });
    const deploy = d(4, { maxSurge: 1, maxUnavailable: 0 });
    assert.equal(newReplicaSetReplicas(deploy, [rs(4), rs(0)], 0), 1);
    assert.equal(newReplicaSetReplicas(deploy, [rs(4), rs(1)], 1), 1, 'at 5 Pods the surge is used up');
    assert.equal(newReplicaSetReplicas(deploy, [rs(3), rs(1)], 1), 2);
    assert.equal(newReplicaSetReplicas(deploy, [rs(0), rs(4)], 4), 4, 'never above replicas');
  });

  it('sets conditions as SetDeploymentCondition: same status and reason is no change, a new one goes last', () => {
    const at = (t: string) => ({ lastUpdateTime: t, lastTransitionTime: t });
    const list = [
      { type: 'Progressing', status: 'True' as const, reason: 'NewReplicaSetCreated', ...at('t0') },
      { type: 'Available', status: 'False' as const, reason: 'MinimumReplicasUnavailable', ...at('t0') },
    ];
    assert.equal(
      setCondition(list, { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', ...at('t1') }),
      list,
    );
    const next = setCondition(list, {
      type: 'Progressing',
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      ...at('t1'),
    });
    assert.deepEqual(
      next.map((c) => [c.type, c.reason, c.lastTransitionTime, c.lastUpdateTime]),
      [
        ['Available', 'MinimumReplicasUnavailable', 't0', 't0'],
        ['Progressing', 'NewReplicaSetAvailable', 't0', 't1'],
      ],
    );
  });

  it('compares templates without the pod-template-hash label', () => {
    const a = { metadata: { labels: { app: 'x', 'pod-template-hash': 'abc' } }, spec: { c: 1 } };
    const b = { metadata: { labels: { app: 'x' } }, spec: { c: 1 } };
    assert.deepEqual(withoutHash(a), withoutHash(b));
  });

  it('hashes templates stably, whatever the key order, in the SafeEncodeString alphabet', () => {
    const h = templateHash({ spec: { a: 1, b: [1, 2] }, metadata: { labels: { x: 'y' } } });
    assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.equal(h, templateHash({ metadata: { labels: { x: 'y' } }, spec: { b: [1, 2], a: 1 } }));
    assert.notEqual(h, templateHash({ spec: { a: 2 } }));
    assert.notEqual(
      h,
      templateHash({ spec: { a: 1, b: [1, 2] }, metadata: { labels: { x: 'y' } } }, 1),
      'collisionCount changes it',
    );
  });
});

describe('pod outcomes', () => {
  const settings = simulationSettings(
    { podRules: [{ namespace: 'ns', labelSelector: 'app=db', outcome: 'crash-loop', readyDelayMs: 7 }] },
    { ip: '127.0.0.1', port: 1 },
  );

  it('parses the outcome words', () => {
    assert.equal(parseOutcome('never-ready'), 'never-ready');
    assert.deepEqual(parseOutcome('complete'), { exit: 0 });
    assert.deepEqual(parseOutcome('exit:137'), { exit: 137 });
    assert.equal(parseOutcome('exit:999'), undefined);
    assert.equal(parseOutcome('sometimes'), undefined);
  });

  it('chooses annotation, then rule, then the default (Job Pods complete)', () => {
    const pod = (extra: Partial<KubeObject['metadata']>): KubeObject => ({
      metadata: { namespace: 'ns', name: 'p', ...extra },
    });
    assert.equal(podScript(pod({ labels: { app: 'db' } }), settings).kind, 'crash-loop');
    assert.equal(podScript(pod({ labels: { app: 'db' } }), settings).readyDelayMs, 7);
    assert.equal(
      podScript(pod({ labels: { app: 'db' }, annotations: { 'kloop.dev/outcome': 'ready' } }), settings).kind,
      'ready',
    );
    assert.equal(podScript(pod({ labels: { app: 'web' } }), settings).kind, 'ready');
    const jobPod = pod({
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u', controller: true }],
    });
    assert.deepEqual([podScript(jobPod, settings).kind, podScript(jobPod, settings).exitCode], ['exit', 0]);
    assert.throws(
      () => simulationSettings({ podRules: [{ outcome: 'later' as never }] }, { ip: '127.0.0.1', port: 1 }),
      /simulation.podRules\[0\].outcome: unknown outcome "later"/,
    );
  });
});

describe('pod status', () => {
  it('normalizes images and classifies QoS as containerd and the kubelet do', () => {
    assert.equal(normalizeImage('nginx'), 'docker.io/library/nginx:latest');
    assert.equal(normalizeImage('bitnami/redis:7'), 'docker.io/bitnami/redis:7');
    assert.equal(normalizeImage('registry.k8s.io/pause:3.9'), 'registry.k8s.io/pause:3.9');
    const pod = (resources: unknown): KubeObject => ({
      metadata: {},
      spec: { containers: [{ name: 'c', resources }] },
    });
    assert.equal(qosClassOf(pod({})), 'BestEffort');
    assert.equal(qosClassOf(pod({ requests: { cpu: '1' } })), 'Burstable');
    assert.equal(qosClassOf(pod({ limits: { cpu: '1', memory: '1Gi' } })), 'Guaranteed');
  });

  it('keeps a condition transition time while its status holds', () => {
    const pod: KubeObject = {
      metadata: { name: 'p', namespace: 'n' },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
      status: { conditions: [{ type: 'Initialized', status: 'True', lastTransitionTime: 'earlier' }] },
    };
    const track = {
      uid: 'u',
      stage: 'running' as const,
      since: 0,
      ready: true,
      restarts: 0,
      podIP: '10.244.0.2',
      hostIP: '172.18.0.2',
      startTime: 's',
    };
    const status = renderPodStatus(pod, track, 'now') as {
      conditions: { type: string; lastTransitionTime: string }[];
      phase: string;
    };
    assert.equal(status.phase, 'Running');
    assert.equal(status.conditions.find((c) => c.type === 'Initialized')?.lastTransitionTime, 'earlier');
    assert.equal(status.conditions.find((c) => c.type === 'Ready')?.lastTransitionTime, 'now');
  });
});

describe('cron schedules', () => {
  const at = (iso: string) => Date.parse(iso);
  const next = (spec: string, after: string) => new Date(nextRun(parseCron(spec), at(after)) ?? 0).toISOString();

  it('finds the next time of each field form', () => {
    assert.equal(next('*/15 * * * *', '2026-01-01T10:07:30Z'), '2026-01-01T10:15:00.000Z');
    assert.equal(next('0 2 * * *', '2026-01-01T10:07:00Z'), '2026-01-02T02:00:00.000Z');
    assert.equal(next('30 9 * * mon-fri', '2026-01-03T12:00:00Z'), '2026-01-05T09:30:00.000Z', 'Saturday to Monday');
    assert.equal(next('0 0 1 feb *', '2026-01-03T12:00:00Z'), '2026-02-01T00:00:00.000Z');
    assert.equal(next('@hourly', '2026-01-01T10:00:00Z'), '2026-01-01T11:00:00.000Z', 'strictly after');
    assert.equal(next('0 0 13 * 5', '2026-01-01T00:00:00Z'), '2026-01-02T00:00:00.000Z', 'day of month OR day of week');
    assert.equal(next('0 0 * * 7', '2026-01-01T00:00:00Z'), '2026-01-04T00:00:00.000Z', '7 is Sunday too');
  });

  it('refuses what robfig/cron refuses', () => {
    assert.throws(() => parseCron('* * * *'), /expected exactly 5 fields, found 4/);
    assert.throws(() => parseCron('61 * * * *'), /out of range/);
    assert.throws(() => parseCron('*/0 * * * *'), /bad step/);
  });
});
