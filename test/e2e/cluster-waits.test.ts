/**
 * End-to-end: what clients wait on, against `kloop apiserver` (its built-in controllers on, as the
 * command runs them): `kubectl rollout status` through a first rollout and a rolling update,
 * `kubectl wait --for=condition=complete job/...` and `kubectl wait --for=condition=Ready pod/...`
 * with kubectl 1.33 (list+watch) and 1.35 (watch-list: `sendInitialEvents` and the
 * `k8s.io/initial-events-end` bookmark), and `helm upgrade --install --wait` with helm 4
 * (kstatus). Objects are created with `kubectl apply -f` (JSON). Each kubectl has a fresh
 * `--cache-dir` and its own namespace. kubectl 1.35 and helm 4 come from the test support's real clients.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { layerClients } from '../support/real-clients.js';

const KUBECTL_133 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(bin: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 90_000, env }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
let kubeconfig: string;
let child: ChildProcess;
const tools = layerClients();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kloop-waits-'));
  kubeconfig = join(dir, 'kubeconfig');
  child = spawn(
    process.execPath,
    [
      '--conditions=kloop-source',
      '--import',
      'tsx',
      'src/cli/main.ts',
      'apiserver',
      '--port',
      '0',
      '--kubeconfig',
      kubeconfig,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('kloop apiserver did not listen within 30 s')), 30_000);
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`kloop apiserver exited with ${code}`)));
  });
});

after(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

function deployment(ns: string, image: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns },
    spec: {
      replicas: 3,
      strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } },
    },
  };
}

/** The kubectl flows for one binary, in its own namespace. */
async function kubectlFlows(bin: string, label: string): Promise<void> {
  const ns = `waits-${label.replace(/\W/g, '')}`;
  const cache = join(dir, `cache-${label}`);
  const k = async (args: string[], input?: object): Promise<string> => {
    let file: string | undefined;
    if (input) {
      file = join(dir, `${ns}-${Math.random().toString(36).slice(2)}.json`);
      await writeFile(file, JSON.stringify(input));
    }
    const r = await exec(bin, [
      '--kubeconfig',
      kubeconfig,
      '--cache-dir',
      cache,
      ...(file ? [...args, '-f', file] : args),
    ]);
    assert.equal(r.code, 0, `${label}: kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  await k(['apply'], { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await k(['apply'], deployment(ns, 'nginx:1.27'));
  assert.match(
    await k(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=60s']),
    /deployment "web" successfully rolled out/,
  );
  await k(['apply'], deployment(ns, 'nginx:1.28'));
  const rolled = await k(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=60s']);
  assert.match(rolled, /deployment "web" successfully rolled out/);
  const ready = await k([
    '-n',
    ns,
    'get',
    'deployment/web',
    '-o',
    'jsonpath={.status.updatedReplicas}/{.status.availableReplicas}',
  ]);
  assert.equal(ready, '3/3');
  await k(['apply'], {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'once', namespace: ns },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  assert.match(
    await k(['-n', ns, 'wait', '--for=condition=complete', 'job/once', '--timeout=60s']),
    /job\.batch\/once condition met/,
  );
  await k(['apply'], {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: ns },
    spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
  });
  assert.match(await k(['-n', ns, 'wait', '--for=condition=Ready', 'pod/p', '--timeout=60s']), /pod\/p condition met/);
}

describe('clients waiting on the built-in controllers', { concurrency: true }, () => {
  it('kubectl 1.33: rollout status, wait for a Job to complete and a Pod to be Ready', async () => {
    await kubectlFlows(KUBECTL_133, '1.33');
  });

  it('kubectl 1.35 (watch-list): rollout status, wait for a Job to complete and a Pod to be Ready', async () => {
    const { kubectl } = await tools;
    await kubectlFlows(kubectl, '1.35');
  });

  it('helm 4: upgrade --install --wait returns once the Deployment is Available (kstatus)', async () => {
    const { helm, kubectl } = await tools;
    const chart = join(dir, 'chart');
    await mkdir(join(chart, 'templates'), { recursive: true });
    await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: waits\nversion: 0.1.0\n');
    await writeFile(
      join(chart, 'templates', 'web.yaml'),
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web}',
        'spec:',
        '  replicas: 2',
        '  selector: {matchLabels: {app: web}}',
        '  template:',
        '    metadata:',
        '      labels: {app: web}',
        // Slow to turn Ready, so returning early would show.
        '      annotations: {kloop.dev/ready-delay-ms: "1500"}',
        '    spec: {containers: [{name: c, image: "nginx:{{ .Values.tag }}"}]}',
        '---',
        'apiVersion: v1',
        'kind: Service',
        'metadata: {name: web}',
        'spec: {selector: {app: web}, ports: [{port: 80}]}',
        '',
      ].join('\n'),
    );
    const env = {
      ...process.env,
      HELM_CACHE_HOME: join(dir, 'helm-cache'),
      HELM_CONFIG_HOME: join(dir, 'helm-config'),
      HELM_DATA_HOME: join(dir, 'helm-data'),
    };
    const ns = 'waits-helm';
    const helmRun = (args: string[]) => exec(helm, ['--kubeconfig', kubeconfig, '-n', ns, ...args], env);
    const state = async () => {
      const r = await exec(kubectl, [
        '--kubeconfig',
        kubeconfig,
        '--cache-dir',
        join(dir, 'cache-helm'),
        '-n',
        ns,
        'get',
        'deployment/web',
        '-o',
        'jsonpath={.status.updatedReplicas}/{.status.availableReplicas}/{.spec.template.spec.containers[0].image}',
      ]);
      return r.stdout;
    };
    let r = await helmRun([
      'upgrade',
      '--install',
      'rel',
      chart,
      '--create-namespace',
      '--set',
      'tag=1.27',
      '--wait',
      '--timeout',
      '60s',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await state(), '2/2/nginx:1.27', 'Available when --wait returned');
    r = await helmRun(['upgrade', 'rel', chart, '--set', 'tag=1.28', '--wait', '--timeout', '60s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /REVISION: 2/);
    assert.equal(await state(), '2/2/nginx:1.28', 'rolled out when --wait returned');
  });
});
