/**
 * End to end, as a new user goes from the package to a deployed operator:
 *
 * `npm pack` (the shared, cached build of test/support/package.ts) -> `kloop init demo-op --kloop <tarball>`
 * with the installed package's bin -> `npm install` (from the npm cache) ->
 * the project's own `npm test` -> `npm run manifests` -> `kubectl apply -k config` (kubectl 1.33)
 * on the secure emulator, and again with `--dry-run=server` -> the operator's compiled process,
 * run here (the emulator runs no containers) with a kubeconfig holding a TokenRequest token of the
 * ServiceAccount the manifests made, reconciles a custom resource with no request refused in the
 * emulator's audit, and stops cleanly on SIGTERM -> with one derived rule taken from its Role, the
 * same process refuses to start and names the rule.
 *
 * Slow by nature (a build of the package, an install, two compiles): each step has its own
 * timeout. The Docker build stays out (no daemon in CI); test/cli/init-command.test.ts checks
 * the Dockerfile's shape.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { ConfigMap, type KubeClient, type KubeObject } from '../../src/index.js';
import { clientOf, requestToken } from '../integration/secure-helpers.js';
import { eventually } from '../support/index.js';
import { installPackedKloop } from '../support/package.js';
import { runKubectl, sdkKubectl } from '../support/real-clients.js';

const kubectl = sdkKubectl('1.33');
const NAME = 'demo-op';
const NAMESPACE = `${NAME}-system`;
const SERVICE_ACCOUNT = `${NAME}-controller-manager`;
const USER = `system:serviceaccount:${NAMESPACE}:${SERVICE_ACCOUNT}`;
const DEMO = { apiVersion: 'example.com/v1alpha1', kind: 'Demo' };
const MINUTE = 60_000;

/**
 * The environment of the commands: this one without `NODE_TEST_CONTEXT`, which would make the
 * project's own `node --test` report to this test runner instead of printing its results.
 */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return { ...env, npm_config_update_notifier: 'false', ...extra };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; never rejects (the caller asserts on the code, with the output). */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      { cwd, timeout: timeoutMs, maxBuffer: 64 << 20, env: childEnv() },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

function ok(result: Run, what: string): void {
  assert.equal(result.code, 0, `${what} failed:\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`);
}

/** The operator's process: compiled JavaScript, as its image runs it. */
function startOperator(
  project: string,
  kubeconfig: string,
): { child: ChildProcess; output: () => string; exit: Promise<number> } {
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: project,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv({
      KUBECONFIG: kubeconfig,
      POD_NAME: `${NAME}-e2e`,
      POD_NAMESPACE: NAMESPACE,
      HTTP_PORT: '0',
      NODE_ENV: 'production',
    }),
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c));
  child.stderr?.on('data', (c: Buffer) => (output += c));
  const exit = new Promise<number>((done) => child.on('exit', (code, signal) => done(code ?? (signal ? 128 : 1))));
  return { child, output: () => output, exit };
}

describe('from npm pack to a deployed operator', {
  skip: kubectl === undefined ? 'no kubectl 1.33 here' : false,
}, () => {
  let dir: string;
  let project: string;
  let tarball: string;
  let kloopBin: string;
  let server: ApiServer;
  let admin: KubeClient;
  let adminKubeconfig: string;
  let operator: ReturnType<typeof startOperator> | undefined;

  before(
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'kloop-e2e-deploy-'));
      project = join(dir, NAME);
      // The package as users get it, built and packed once per content (scripts/test.mjs made it
      // before the tests); its installed bin runs the compiled CLI, as `npx kloop` does.
      const installed = await installPackedKloop();
      tarball = installed.packed.tarball;
      kloopBin = join(installed.project, 'node_modules', 'kloop', 'bin', 'kloop.js');
      server = await startApiServer({ secure: true });
      admin = clientOf(server.kubeconfig);
      adminKubeconfig = join(dir, 'admin.kubeconfig');
      await server.writeKubeconfig(adminKubeconfig);
    },
    { timeout: 10 * MINUTE },
  );
  after(async () => {
    if (operator && operator.child.exitCode === null) {
      operator.child.kill('SIGKILL');
      await operator.exit;
    }
    admin?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('kloop init writes the project with the packed tarball as its kloop', { timeout: 2 * MINUTE }, async () => {
    ok(await run(process.execPath, [kloopBin, 'init', NAME, '--kloop', tarball], dir, 2 * MINUTE), 'kloop init');
    const pkg = JSON.parse(await readFile(join(project, 'package.json'), 'utf8'));
    assert.equal(pkg.dependencies.kloop, `file:${tarball}`);
  });

  it('npm install, then the project’s own tests pass on the emulator', { timeout: 10 * MINUTE }, async () => {
    ok(
      await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], project, 5 * MINUTE),
      'npm install',
    );
    const test = await run('npm', ['test'], project, 5 * MINUTE);
    ok(test, 'npm test of the generated project');
    // node --test prints TAP (`# pass 1`) or, on a terminal and from Node 23, spec (`ℹ pass 1`).
    assert.match(test.stdout, /^(?:#|ℹ) pass 1\n(?:#|ℹ) fail 0$/m);
  });

  it('npm run manifests writes a tree that kubectl 1.33 applies to the secure emulator', {
    timeout: 5 * MINUTE,
  }, async () => {
    ok(await run('npm', ['run', 'manifests'], project, 3 * MINUTE), 'npm run manifests');
    const apply = await runKubectl(kubectl!, ['apply', '-k', join(project, 'config')], { kubeconfig: adminKubeconfig });
    assert.equal(apply.code, 0, apply.stderr);
    for (const line of [
      'namespace/demo-op-system',
      'customresourcedefinition.apiextensions.k8s.io/demos.example.com',
      `serviceaccount/${SERVICE_ACCOUNT}`,
      'role.rbac.authorization.k8s.io/demo-op-manager-role',
      'role.rbac.authorization.k8s.io/demo-op-leader-election-role',
      'rolebinding.rbac.authorization.k8s.io/demo-op-manager-rolebinding',
      'deployment.apps/demo-op-controller-manager',
      'service/demo-op-metrics-service',
    ]) {
      assert.ok(apply.stdout.includes(line), `${line} in:\n${apply.stdout}`);
    }
    const dry = await runKubectl(kubectl!, ['apply', '-k', join(project, 'config'), '--dry-run=server'], {
      kubeconfig: adminKubeconfig,
    });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /deployment\.apps\/demo-op-controller-manager (unchanged|configured) \(server dry run\)/);
  });

  it('the operator runs as its ServiceAccount, reconciles a Demo with nothing refused, and stops on SIGTERM', {
    timeout: 3 * MINUTE,
  }, async () => {
    const token = await requestToken(admin, NAMESPACE, SERVICE_ACCOUNT);
    const kubeconfig = join(dir, 'operator.kubeconfig');
    await writeFile(kubeconfig, JSON.stringify(server.kubeconfigFor({ token })), { mode: 0o600 });
    operator = startOperator(project, kubeconfig);
    await admin.create({
      ...DEMO,
      metadata: { namespace: 'default', name: 'hello' },
      spec: { message: 'deployed' },
    } as KubeObject);
    await eventually(
      async () => {
        assert.equal(operator!.child.exitCode, null, `the operator exited:\n${operator!.output()}`);
        const cm = await admin.get(ConfigMap, { namespace: 'default', name: 'hello' });
        const demo = await admin.get<KubeObject & { status?: { configMap?: string } }>(DEMO, {
          namespace: 'default',
          name: 'hello',
        });
        return cm.data?.message === 'deployed' && demo.status?.configMap === 'hello';
      },
      { timeout: 2 * MINUTE, message: 'the Demo reconciled into its ConfigMap' },
    );
    operator.child.kill('SIGTERM');
    assert.equal(await operator.exit, 0, operator.output());
    const requests = server.audit({ user: USER });
    assert.ok(
      requests.some((e) => e.resource === 'selfsubjectaccessreviews'),
      'the RBAC check ran',
    );
    assert.ok(
      requests.some((e) => e.resource === 'leases' && e.verb === 'create'),
      'it campaigned for the Lease',
    );
    assert.deepEqual(
      requests.filter((e) => e.denied || e.code === 403).map((e) => `${e.verb} ${e.resource}`),
      [],
      'no request refused',
    );
  });

  it('with one derived rule taken away, the operator refuses to start and names it', {
    timeout: 2 * MINUTE,
  }, async () => {
    const roleType = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' };
    const role = await admin.get<KubeObject & { rules: { resources: string[] }[] }>(roleType, {
      namespace: 'default',
      name: 'demo-op-manager-role',
    });
    const rules = role.rules.filter((r) => !r.resources.includes('demos/status'));
    assert.equal(rules.length, role.rules.length - 1);
    await admin.update({ ...role, rules } as KubeObject);
    const token = await requestToken(admin, NAMESPACE, SERVICE_ACCOUNT);
    const kubeconfig = join(dir, 'operator-2.kubeconfig');
    await writeFile(kubeconfig, JSON.stringify(server.kubeconfigFor({ token })), { mode: 0o600 });
    operator = startOperator(project, kubeconfig);
    assert.equal(await operator.exit, 1, operator.output());
    assert.match(operator.output(), /update example\.com\/demos\/status in namespace default/);
    assert.match(operator.output(), /patch example\.com\/demos\/status in namespace default/);
  });
});
