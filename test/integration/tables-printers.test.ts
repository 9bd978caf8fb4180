/**
 * Server-side printing of the kinds the built-in controllers write, as kubectl's printers.go
 * prints them: Pods (`Completed`, `CrashLoopBackOff`, `Terminating`, restarts `N (AGE ago)`,
 * the wide columns), ReplicaSets, Jobs, StatefulSets, DaemonSets, Nodes; and ages on the
 * emulator's clock, not the machine's (custom resources' `date` printer columns too).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printerOf } from '../../src/apiserver/codec/tables.js';
import { ServedTypes } from '../../src/apiserver/served/served-types.js';
import { type KubeObject, ManualClock } from '../../src/core/index.js';
import { startTestServer } from '../apiserver/helpers.js';

const types = new ServedTypes();
const NOW = Date.parse('2026-01-01T00:10:00Z');
const CREATED = '2026-01-01T00:00:00Z';

function row(group: string, plural: string, obj: Partial<KubeObject>): (string | number | boolean | null)[] {
  const served = types.byResource(group, group === '' ? 'v1' : group === 'batch' ? 'v1' : 'v1', plural);
  assert.ok(served, plural);
  const full = {
    apiVersion: 'v1',
    kind: 'X',
    ...obj,
    metadata: { name: 'x', creationTimestamp: CREATED, ...obj.metadata },
  };
  return printerOf(served).cells(full as KubeObject, NOW);
}

function columns(group: string, plural: string): string[] {
  const served = types.byResource(group, 'v1', plural);
  assert.ok(served);
  return printerOf(served).columns.map((c) => (c.priority > 0 ? `(${c.name})` : c.name));
}

const container = (state: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: 'c',
  ready: false,
  restartCount: 0,
  state,
  ...extra,
});

describe('server-side printing of workload kinds (kubectl printers.go)', () => {
  it('prints a finished Job Pod as Completed, not Succeeded', () => {
    const cells = row('', 'pods', {
      spec: { containers: [{ name: 'c', image: 'busybox' }], nodeName: 'node-1' },
      status: {
        phase: 'Succeeded',
        podIPs: [{ ip: '10.244.0.5' }],
        containerStatuses: [container({ terminated: { exitCode: 0, reason: 'Completed' } })],
      },
    });
    assert.deepEqual(cells, ['x', '0/1', 'Completed', '0', '10m', '10.244.0.5', 'node-1', '<none>', '<none>']);
    assert.deepEqual(columns('', 'pods'), [
      'Name',
      'Ready',
      'Status',
      'Restarts',
      'Age',
      '(IP)',
      '(Node)',
      '(Nominated Node)',
      '(Readiness Gates)',
    ]);
  });

  it('prints waiting reasons, restarts with the time since the last one, Terminating and exit codes', () => {
    const crash = row('', 'pods', {
      spec: { containers: [{ name: 'c' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          container(
            { waiting: { reason: 'CrashLoopBackOff' } },
            { restartCount: 3, lastState: { terminated: { exitCode: 1, finishedAt: '2026-01-01T00:09:50Z' } } },
          ),
        ],
      },
    });
    assert.deepEqual(crash.slice(1, 4), ['0/1', 'CrashLoopBackOff', '3 (10s ago)']);
    const running = { phase: 'Running', containerStatuses: [container({ running: {} }, { ready: true })] };
    assert.equal(row('', 'pods', { spec: { containers: [{ name: 'c' }] }, status: running })[2], 'Running');
    const deleting = row('', 'pods', {
      metadata: { name: 'x', deletionTimestamp: CREATED },
      spec: { containers: [{ name: 'c' }] },
      status: running,
    });
    assert.equal(deleting[2], 'Terminating');
    const exited = row('', 'pods', {
      spec: { containers: [{ name: 'c' }] },
      status: { phase: 'Failed', containerStatuses: [container({ terminated: { exitCode: 2 } })] },
    });
    assert.equal(exited[2], 'ExitCode:2');
    const init = row('', 'pods', {
      spec: { initContainers: [{ name: 'i' }], containers: [{ name: 'c' }] },
      status: { phase: 'Pending', initContainerStatuses: [{ name: 'i', state: { running: {} } }] },
    });
    assert.equal(init[2], 'Init:0/1');
  });

  it('prints ReplicaSets with Desired, Current, Ready and the wide columns', () => {
    assert.deepEqual(columns('apps', 'replicasets'), [
      'Name',
      'Desired',
      'Current',
      'Ready',
      'Age',
      '(Containers)',
      '(Images)',
      '(Selector)',
    ]);
    const cells = row('apps', 'replicasets', {
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web', 'pod-template-hash': 'abc' } },
        template: {
          spec: {
            containers: [
              { name: 'c', image: 'nginx:1.27' },
              { name: 'd', image: 'busybox' },
            ],
          },
        },
      },
      status: { replicas: 3, readyReplicas: 2 },
    });
    assert.deepEqual(cells, ['x', 3, 3, 2, '10m', 'c,d', 'nginx:1.27,busybox', 'app=web,pod-template-hash=abc']);
  });

  it('prints Jobs with Status, Completions and Duration', () => {
    assert.deepEqual(columns('batch', 'jobs').slice(0, 5), ['Name', 'Status', 'Completions', 'Duration', 'Age']);
    const done = row('batch', 'jobs', {
      spec: { completions: 2, template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      status: {
        succeeded: 2,
        startTime: '2026-01-01T00:00:01Z',
        completionTime: '2026-01-01T00:00:06Z',
        conditions: [{ type: 'Complete', status: 'True' }],
      },
    });
    assert.deepEqual(done.slice(0, 5), ['x', 'Complete', '2/2', '5s', '10m']);
    const queue = row('batch', 'jobs', {
      spec: { parallelism: 3, template: { spec: { containers: [] } } },
      status: { startTime: '2026-01-01T00:09:00Z' },
    });
    assert.deepEqual(queue.slice(1, 4), ['Running', '0/1 of 3', '60s']);
  });

  it('prints StatefulSets, DaemonSets and Nodes', () => {
    assert.deepEqual(
      row('apps', 'statefulsets', {
        spec: { replicas: 3, template: { spec: { containers: [] } } },
        status: { readyReplicas: 2 },
      }).slice(0, 3),
      ['x', '2/3', '10m'],
    );
    assert.deepEqual(
      row('apps', 'daemonsets', {
        spec: { template: { spec: { containers: [], nodeSelector: { disk: 'ssd' } } } },
        status: {
          desiredNumberScheduled: 3,
          currentNumberScheduled: 3,
          numberReady: 2,
          updatedNumberScheduled: 3,
          numberAvailable: 2,
        },
      }).slice(0, 8),
      ['x', 3, 3, 2, 3, 2, 'disk=ssd', '10m'],
    );
    assert.deepEqual(
      row('', 'nodes', {
        spec: { unschedulable: true },
        status: {
          conditions: [{ type: 'Ready', status: 'False' }],
          addresses: [{ type: 'InternalIP', address: '172.18.0.2' }],
          nodeInfo: {
            kubeletVersion: 'v1.33.1',
            osImage: 'os',
            kernelVersion: 'k',
            containerRuntimeVersion: 'containerd://2',
          },
        },
      }),
      [
        'x',
        'NotReady,SchedulingDisabled',
        '<none>',
        '10m',
        'v1.33.1',
        '172.18.0.2',
        '<none>',
        'os',
        'k',
        'containerd://2',
      ],
    );
  });

  it('ages follow the emulator clock, not the machine clock', async () => {
    const clock = new ManualClock(Date.parse('2020-06-01T00:00:00Z'));
    const { server, api } = await startTestServer({ clock });
    try {
      await api.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'aged' } });
      clock.advance(125_000);
      const res = await api.request<{ rows: { cells: unknown[] }[] }>(
        'GET',
        '/api/v1/namespaces/default/configmaps/aged',
        undefined,
        'application/json',
        { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
      );
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.rows[0].cells, ['aged', 0, '2m5s']);
    } finally {
      server.stop();
    }
  });

  it("custom resources' date columns are ages on the emulator clock, declared or the default Age", async () => {
    const clock = new ManualClock(Date.parse('2020-06-01T00:00:00Z'));
    const { server, api } = await startTestServer({ clock });
    const version = (name: string, columns?: Record<string, unknown>[]) => ({
      name,
      served: true,
      storage: name === 'v1',
      schema: {
        openAPIV3Schema: {
          type: 'object',
          properties: { status: { type: 'object', properties: { seen: { type: 'string', format: 'date-time' } } } },
        },
      },
      ...(columns ? { additionalPrinterColumns: columns } : {}),
    });
    try {
      const crd = await api.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'clocks.tables.dev' },
        spec: {
          group: 'tables.dev',
          scope: 'Namespaced',
          names: { plural: 'clocks', kind: 'Clock' },
          versions: [
            version('v1', [
              { name: 'Seen', type: 'date', jsonPath: '.status.seen' },
              { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            ]),
            version('v2'),
          ],
        },
      });
      assert.equal(crd.status, 201, crd.text);
      const created = await api.post('/apis/tables.dev/v1/namespaces/default/clocks', {
        apiVersion: 'tables.dev/v1',
        kind: 'Clock',
        metadata: { name: 'c' },
      });
      assert.equal(created.status, 201, created.text);
      // Seen 30 s after the creation the cluster's clock stamped (seconds, as Go's RFC 3339).
      const born = Date.parse(String(created.body.metadata.creationTimestamp));
      const seen = new Date(born + 30_000).toISOString().replace(/\.\d+Z$/, 'Z');
      const patched = await api.patch('/apis/tables.dev/v1/namespaces/default/clocks/c', { status: { seen } });
      assert.equal(patched.status, 200, patched.text);
      clock.advance(3_725_000);
      const table = async (v: string) => {
        const res = await api.request<{ rows: { cells: unknown[] }[] }>(
          'GET',
          `/apis/tables.dev/${v}/namespaces/default/clocks/c`,
          undefined,
          'application/json',
          { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
        );
        assert.equal(res.status, 200, res.text);
        return res.body.rows[0].cells;
      };
      assert.deepEqual(await table('v1'), ['c', '61m', '62m']);
      assert.deepEqual(await table('v2'), ['c', '62m'], 'a version without columns gets Age');
    } finally {
      server.stop();
    }
  });
});
