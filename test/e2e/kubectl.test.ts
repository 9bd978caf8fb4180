/**
 * End-to-end: real kubectl binaries against the emulator, each with a fresh `--cache-dir` and a
 * kubeconfig written by `writeKubeconfig`. Runs on the default `kubectl` and on 1.27 and 1.33
 * from the Google Cloud SDK; a version whose binary is absent is skipped (and says so).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { eventually } from '../support/index.js';

const SDK = '/usr/lib/google-cloud-sdk/bin';

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

const BINARIES: { label: string; path: string | undefined }[] = [
  { label: 'kubectl (default)', path: onPath('kubectl') },
  { label: 'kubectl 1.27', path: existsSync(`${SDK}/kubectl.1.27`) ? `${SDK}/kubectl.1.27` : undefined },
  { label: 'kubectl 1.33', path: existsSync(`${SDK}/kubectl.1.33`) ? `${SDK}/kubectl.1.33` : undefined },
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

class Kubectl {
  constructor(
    private readonly bin: string,
    private readonly kubeconfig: string,
    private readonly cacheDir: string,
  ) {}

  args(args: string[]): string[] {
    return ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args];
  }

  run(args: string[], input?: string): Promise<Run> {
    return new Promise((resolve) => {
      const child = execFile(this.bin, this.args(args), { timeout: 30_000 }, (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      });
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  async ok(args: string[], input?: string): Promise<string> {
    const r = await this.run(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  spawn(args: string[]): ChildProcess {
    return spawn(this.bin, this.args(args), { stdio: ['ignore', 'pipe', 'pipe'] });
  }
}

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.e2e.kloop.dev' },
  spec: {
    group: 'e2e.kloop.dev',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wdg'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

describe('kubectl end-to-end', { concurrency: true }, () => {
  for (const { label, path } of BINARIES) {
    const skip = path === undefined ? `${label} is not installed` : false;
    describe(`${label}${skip ? ' (skipped: binary absent)' : ''}`, { concurrency: true, skip }, () => {
      let server: ApiServer;
      let dir: string;
      let k: Kubectl;
      before(async () => {
        server = await startApiServer({ port: 0 });
        dir = await mkdtemp(join(tmpdir(), 'kloop-e2e-'));
        await server.writeKubeconfig(join(dir, 'kubeconfig'));
        k = new Kubectl(String(path), join(dir, 'kubeconfig'), join(dir, 'cache'));
        // Fill the discovery cache once before the concurrent flows.
        await k.ok(['api-resources']);
      });
      after(async () => {
        await server?.stop();
        if (dir) await rm(dir, { recursive: true, force: true });
      });

      it('version and api-resources', async () => {
        const version = JSON.parse(await k.ok(['version', '-o', 'json']));
        assert.match(version.serverVersion.gitVersion, /kloop/);
        const resources = await k.ok(['api-resources']);
        for (const r of ['configmaps', 'namespaces', 'deployments', 'leases', 'customresourcedefinitions']) {
          assert.match(resources, new RegExp(`^${r}\\s`, 'm'));
        }
      });

      it('create namespace, create configmap --from-literal, get -o json, get -l, get -A', async () => {
        await k.ok(['create', 'namespace', 'e2e-basic']);
        await k.ok(['-n', 'e2e-basic', 'create', 'configmap', 'c1', '--from-literal=a=1', '--from-literal=b=2']);
        await k.ok(['-n', 'e2e-basic', 'label', 'configmap', 'c1', 'tier=web']);
        await k.ok(['-n', 'e2e-basic', 'create', 'configmap', 'c2', '--from-literal=x=y']);
        const got = JSON.parse(await k.ok(['-n', 'e2e-basic', 'get', 'configmap', 'c1', '-o', 'json']));
        assert.deepEqual(got.data, { a: '1', b: '2' });
        const byLabel = await k.ok(['-n', 'e2e-basic', 'get', 'configmaps', '-l', 'tier=web', '-o', 'name']);
        assert.equal(byLabel.trim(), 'configmap/c1');
        const all = await k.ok(['get', 'configmaps', '-A']);
        assert.match(all, /e2e-basic\s+c1/);
        assert.match(all, /e2e-basic\s+c2/);
      });

      it('apply -f twice (second unchanged) and apply --server-side', async () => {
        await k.ok(['create', 'namespace', 'e2e-apply']);
        const file = join(dir, 'applied.json');
        await writeFile(
          file,
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'applied', namespace: 'e2e-apply' },
            data: { k: 'v' },
          }),
        );
        assert.match(await k.ok(['apply', '-f', file]), /configmap\/applied created/);
        assert.match(await k.ok(['apply', '-f', file]), /configmap\/applied unchanged/);
        const ssaFile = join(dir, 'ssa.json');
        await writeFile(
          ssaFile,
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'ssa', namespace: 'e2e-apply' },
            data: { s: '1' },
          }),
        );
        assert.match(await k.ok(['apply', '--server-side', '-f', ssaFile]), /configmap\/ssa serverside-applied/);
        assert.match(await k.ok(['apply', '--server-side', '-f', ssaFile]), /serverside-applied/);
        const got = JSON.parse(await k.ok(['-n', 'e2e-apply', 'get', 'cm', 'ssa', '-o', 'json']));
        assert.deepEqual(got.data, { s: '1' });
      });

      it('apply --server-side with two field managers: conflict, then --force-conflicts wins', async () => {
        await k.ok(['create', 'namespace', 'e2e-ssa']);
        const file = join(dir, 'ssa-conflict.json');
        const write = (value: string) =>
          writeFile(
            file,
            JSON.stringify({
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: 'owned', namespace: 'e2e-ssa' },
              data: { k: value },
            }),
          );
        await write('first');
        await k.ok(['apply', '--server-side', '--field-manager', 'team-a', '-f', file]);
        await write('second');
        const conflict = await k.run(['apply', '--server-side', '--field-manager', 'team-b', '-f', file]);
        assert.notEqual(conflict.code, 0);
        assert.match(conflict.stderr, /conflict/i);
        assert.match(conflict.stderr, /team-a/);
        await k.ok(['apply', '--server-side', '--field-manager', 'team-b', '--force-conflicts', '-f', file]);
        const got = JSON.parse(
          await k.ok(['-n', 'e2e-ssa', 'get', 'cm', 'owned', '-o', 'json', '--show-managed-fields']),
        );
        assert.equal(got.data.k, 'second');
        assert.ok(got.metadata.managedFields.some((m: { manager: string }) => m.manager === 'team-b'));
      });

      it('patch with each --type, label, annotate, replace', async () => {
        await k.ok(['create', 'namespace', 'e2e-patch']);
        await k.ok(['-n', 'e2e-patch', 'create', 'configmap', 'p', '--from-literal=a=1']);
        const ns = ['-n', 'e2e-patch'];
        assert.match(await k.ok([...ns, 'patch', 'cm', 'p', '-p', '{"data":{"s":"1"}}']), /patched/);
        assert.match(await k.ok([...ns, 'patch', 'cm', 'p', '--type', 'merge', '-p', '{"data":{"m":"1"}}']), /patched/);
        assert.match(
          await k.ok([
            ...ns,
            'patch',
            'cm',
            'p',
            '--type',
            'json',
            '-p',
            '[{"op":"add","path":"/data/j","value":"1"}]',
          ]),
          /patched/,
        );
        assert.match(
          await k.ok([...ns, 'patch', 'cm', 'p', '--type', 'merge', '-p', '{"data":{"m":"1"}}']),
          /no change/,
        );
        assert.match(await k.ok([...ns, 'label', 'cm', 'p', 'team=a']), /labeled/);
        assert.match(await k.ok([...ns, 'annotate', 'cm', 'p', 'note=x']), /annotate/);
        const current = JSON.parse(await k.ok([...ns, 'get', 'cm', 'p', '-o', 'json']));
        assert.deepEqual(current.data, { a: '1', s: '1', m: '1', j: '1' });
        assert.equal(current.metadata.labels.team, 'a');
        assert.equal(current.metadata.annotations.note, 'x');
        current.data = { replaced: 'yes' };
        const file = join(dir, 'replace.json');
        await writeFile(file, JSON.stringify(current));
        assert.match(await k.ok(['replace', '-f', file]), /replaced/);
        const after = JSON.parse(await k.ok([...ns, 'get', 'cm', 'p', '-o', 'json']));
        assert.deepEqual(after.data, { replaced: 'yes' });
      });

      it('delete of an object with a finalizer completes once the finalizer is removed', async () => {
        await k.ok(['create', 'namespace', 'e2e-fin']);
        const ns = ['-n', 'e2e-fin'];
        await k.ok([...ns, 'create', 'configmap', 'held', '--from-literal=a=1']);
        await k.ok([
          ...ns,
          'patch',
          'cm',
          'held',
          '--type',
          'merge',
          '-p',
          '{"metadata":{"finalizers":["e2e.kloop.dev/hold"]}}',
        ]);
        await k.ok([...ns, 'delete', 'cm', 'held', '--wait=false']);
        const ts = await k.ok([...ns, 'get', 'cm', 'held', '-o', 'jsonpath={.metadata.deletionTimestamp}']);
        assert.match(ts, /^\d{4}-/);
        await k.ok([
          ...ns,
          'patch',
          'cm',
          'held',
          '--type',
          'json',
          '-p',
          '[{"op":"remove","path":"/metadata/finalizers"}]',
        ]);
        const gone = await k.run([...ns, 'get', 'cm', 'held']);
        assert.notEqual(gone.code, 0);
        assert.match(gone.stderr, /NotFound|not found/);
      });

      it('a CRD and a custom resource, full lifecycle', async () => {
        await k.ok(['create', 'namespace', 'e2e-crd']);
        const crdFile = join(dir, 'crd.json');
        await writeFile(crdFile, JSON.stringify(CRD));
        await k.ok(['apply', '-f', crdFile]);
        const ns = ['-n', 'e2e-crd'];
        const crFile = join(dir, 'widget.json');
        await writeFile(
          crFile,
          JSON.stringify({
            apiVersion: 'e2e.kloop.dev/v1',
            kind: 'Widget',
            metadata: { name: 'w1', namespace: 'e2e-crd' },
            spec: { size: 1 },
          }),
        );
        assert.match(await k.ok(['apply', '-f', crFile]), /widget.e2e.kloop.dev\/w1 created/);
        assert.match(await k.ok([...ns, 'get', 'widgets']), /w1/);
        assert.match(await k.ok([...ns, 'get', 'wdg', 'w1', '-o', 'name']), /widget.e2e.kloop.dev\/w1/);
        await k.ok([...ns, 'patch', 'widget', 'w1', '--type', 'merge', '-p', '{"spec":{"size":2}}']);
        const w = JSON.parse(await k.ok([...ns, 'get', 'widget', 'w1', '-o', 'json']));
        assert.equal(w.spec.size, 2);
        assert.equal(w.metadata.generation, 2);
        const strategic = await k.run([...ns, 'patch', 'widget', 'w1', '-p', '{"spec":{"size":3}}']);
        assert.notEqual(strategic.code, 0, 'strategic merge is refused for custom resources');
        await k.ok([...ns, 'delete', 'widget', 'w1']);
        await k.ok(['delete', 'crd', 'widgets.e2e.kloop.dev']);
        await eventually(
          async () => !(await k.run(['get', 'crd', '-o', 'name'])).stdout.includes('widgets.e2e.kloop.dev'),
          { message: 'the CRD gone from `kubectl get crd`', interval: 50 },
        );
      });

      it('get -w sees a change', async () => {
        await k.ok(['create', 'namespace', 'e2e-watch']);
        const ns = ['-n', 'e2e-watch'];
        await k.ok([...ns, 'create', 'configmap', 'watched', '--from-literal=a=1']);
        const child = k.spawn([...ns, 'get', 'configmaps', '-w', '-o', 'name']);
        let out = '';
        // One listener for the whole run: a flowing stream drops chunks nobody listens to.
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        try {
          const lines = () => out.split('\n').filter((l) => l.includes('watched')).length;
          await eventually(
            () => {
              assert.ok(lines() >= 1, out);
              return true;
            },
            { message: 'the initial list printed', timeout: 15_000, interval: 50 },
          );
          await k.ok([...ns, 'label', 'configmap', 'watched', 'changed=yes']);
          await eventually(
            () => {
              assert.ok(lines() >= 2, out);
              return true;
            },
            { message: 'the change printed', timeout: 15_000, interval: 50 },
          );
        } finally {
          child.kill('SIGTERM');
        }
      });

      it('get -w prints table rows: the header once, then a row per change', async () => {
        await k.ok(['create', 'namespace', 'e2e-wtable']);
        const ns = ['-n', 'e2e-wtable'];
        await k.ok([...ns, 'create', 'configmap', 'tab', '--from-literal=a=1']);
        const child = k.spawn([...ns, 'get', 'configmaps', '-w']);
        let out = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        try {
          const rows = () => out.split('\n').filter((l) => /^tab\s+\d+\s+\S+/.test(l));
          await eventually(() => rows().length >= 1, { message: 'the first row', timeout: 15_000, interval: 50 });
          assert.match(out, /^NAME\s+DATA\s+AGE/m, out);
          assert.match(rows()[0] ?? '', /^tab\s+1\s+/, out);
          await k
            .ok([
              ...ns,
              'create',
              'configmap',
              'tab',
              '--from-literal=a=1',
              '--from-literal=b=2',
              '--dry-run=client',
              '-o',
              'json',
            ])
            .then((json) => k.ok([...ns, 'replace', '-f', '-'], json));
          await eventually(() => rows().length >= 2, { message: 'the second row', timeout: 15_000, interval: 50 });
          assert.match(rows()[1] ?? '', /^tab\s+2\s+/, out);
          assert.equal(out.match(/^NAME\s+DATA/gm)?.length, 1, 'one header');
        } finally {
          child.kill('SIGTERM');
        }
      });

      it('delete pod: an unscheduled pod goes at once, a scheduled one after its grace period', async () => {
        await k.ok(['create', 'namespace', 'e2e-pods']);
        const ns = ['-n', 'e2e-pods'];
        const pod = (name: string, nodeName?: string) =>
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name, namespace: 'e2e-pods' },
            spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] },
          });
        await k.ok(['create', '-f', '-'], pod('loose'));
        await k.ok(['create', '-f', '-'], pod('placed', 'node-1'));
        assert.match(await k.ok([...ns, 'delete', 'pod', 'loose']), /deleted/);
        const started = Date.now();
        assert.match(await k.ok([...ns, 'delete', 'pod', 'placed', '--grace-period=1']), /deleted/);
        assert.ok(Date.now() - started >= 900, 'kubectl waited for the grace period');
        assert.equal((await k.ok([...ns, 'get', 'pods', '-o', 'name'])).trim(), '');
      });

      it('get shows table columns; diff; scale; delete -l --wait; delete namespace with contents', async () => {
        await k.ok(['create', 'namespace', 'e2e-more']);
        const ns = ['-n', 'e2e-more'];
        await k.ok([...ns, 'create', 'configmap', 'cols', '--from-literal=a=1', '--from-literal=b=2']);
        const table = await k.ok([...ns, 'get', 'configmaps']);
        assert.match(table, /^NAME\s+DATA\s+AGE/m);
        assert.match(table, /^cols\s+2\s+\d+s/m);
        const file = join(dir, 'diff.json');
        const cm = (value: string) =>
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'cols', namespace: 'e2e-more' },
            data: { a: value, b: '2' },
          });
        await writeFile(file, cm('1'));
        await k.ok(['apply', '-f', file]);
        assert.equal((await k.run(['diff', '-f', file])).code, 0, 'no difference');
        await writeFile(file, cm('changed'));
        const diff = await k.run(['diff', '-f', file]);
        assert.equal(diff.code, 1, `a difference: ${diff.stderr}`);
        assert.match(diff.stdout, /changed/);
        const unchanged = JSON.parse(await k.ok([...ns, 'get', 'configmap', 'cols', '-o', 'json']));
        assert.equal(unchanged.data.a, '1', 'diff does not persist');
        const deployment = join(dir, 'deploy.json');
        await writeFile(
          deployment,
          JSON.stringify({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'web', namespace: 'e2e-more' },
            spec: {
              replicas: 1,
              selector: { matchLabels: { app: 'web' } },
              template: {
                metadata: { labels: { app: 'web' } },
                spec: { containers: [{ name: 'web', image: 'nginx' }] },
              },
            },
          }),
        );
        await k.ok(['apply', '-f', deployment]);
        assert.match(await k.ok([...ns, 'scale', 'deployment', 'web', '--replicas=3']), /scaled/);
        assert.equal((await k.ok([...ns, 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'])).trim(), '3');
        assert.match(await k.ok([...ns, 'get', 'deployments']), /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/m);
        await k.ok([...ns, 'create', 'configmap', 'l1', '--from-literal=a=1']);
        await k.ok([...ns, 'create', 'configmap', 'l2', '--from-literal=a=1']);
        await k.ok([...ns, 'label', 'configmap', 'l1', 'l2', 'group=del']);
        assert.match(await k.ok([...ns, 'delete', 'configmap', '-l', 'group=del', '--wait']), /deleted/);
        assert.equal((await k.ok([...ns, 'get', 'configmaps', '-l', 'group=del', '-o', 'name'])).trim(), '');
        assert.match(await k.ok(['delete', 'namespace', 'e2e-more', '--wait']), /deleted/);
        const left = await k.run(['get', 'namespace', 'e2e-more']);
        assert.notEqual(left.code, 0, 'the namespace and its contents are gone');
        const leftovers = await k.ok(['get', 'configmaps', '-A', '-o', 'name']);
        assert.ok(!leftovers.includes('cols'));
      });

      it('--dry-run=server does not persist', async () => {
        await k.ok(['create', 'namespace', 'e2e-dry']);
        const ns = ['-n', 'e2e-dry'];
        assert.match(
          await k.ok([...ns, 'create', 'configmap', 'dry', '--from-literal=a=1', '--dry-run=server']),
          /server dry run/,
        );
        const get = await k.run([...ns, 'get', 'configmap', 'dry']);
        assert.notEqual(get.code, 0);
        await k.ok([...ns, 'create', 'configmap', 'real', '--from-literal=a=1']);
        await k.ok([...ns, 'label', 'configmap', 'real', 'x=y', '--dry-run=server']);
        const labels = await k.ok([...ns, 'get', 'configmap', 'real', '-o', 'jsonpath={.metadata.labels}']);
        assert.ok(!labels.includes('"x"'));
      });
    });
  }
});
