// Exec credential plugins written as small scripts: v1 and v1beta1, KUBERNETES_EXEC_INFO with
// and without cluster info, caching until expirationTimestamp, a re-run after a 401, client
// certificates from the plugin, and the errors (missing command with its installHint, a failing
// plugin, bad output, interactive modes).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { issueClientCertificate } from '../../src/apiserver/auth/certificates.js';
import { KubeClient, KubeconfigError, loadKubeconfig } from '../../src/client/index.js';
import { ConfigMap } from '../../src/core/index.js';
import { InstantClock, json, startServer } from './helpers.js';
import { b64, kubeconfigFor, makePki, startHttpsServer, tempDir } from './secure-helpers.js';

const silent = pino({ level: 'silent' });
const V1 = 'client.authentication.k8s.io/v1';
const V1BETA1 = 'client.authentication.k8s.io/v1beta1';

/**
 * Writes a plugin script. Each run appends its KUBERNETES_EXEC_INFO, argv and MY_VAR to
 * `runs.jsonl` and prints `credential(n)` (n = 1, 2, ...) as the ExecCredential's status.
 */
function writePlugin(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const log = path.join(__dirname, ${JSON.stringify(`${name}.runs.jsonl`)});
const n = (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\\n').filter(Boolean).length : 0) + 1;
fs.appendFileSync(log, JSON.stringify({ info: JSON.parse(process.env.KUBERNETES_EXEC_INFO || 'null'), argv: process.argv.slice(2), myVar: process.env.MY_VAR }) + '\\n');
${body}
`,
  );
  chmodSync(file, 0o755);
  return file;
}

function runs(dir: string, name: string): Array<{ info: Record<string, unknown>; argv: string[]; myVar?: string }> {
  const log = join(dir, `${name}.runs.jsonl`);
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

const tokenPlugin = (apiVersion: string, expiry = 'undefined') => `
const expirationTimestamp = ${expiry};
process.stdout.write(JSON.stringify({ apiVersion: ${JSON.stringify(apiVersion)}, kind: 'ExecCredential',
  status: { token: 'tok-' + n, expirationTimestamp } }));`;

describe('exec credential plugins', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir('kloop-exec-'));
  });
  after(() => cleanup());

  it('v1: runs command with args and env, sends the token, passes KUBERNETES_EXEC_INFO without the cluster', async () => {
    const plugin = writePlugin(dir, 'v1.js', tokenPlugin(V1));
    const server = await startServer((_req, res) => json(res, 200, { kind: 'ConfigMap', metadata: { name: 'a' } }));
    const client = KubeClient.fromKubeconfig(
      kubeconfigFor(
        { server: server.url },
        {
          exec: {
            apiVersion: V1,
            command: plugin,
            args: ['--flag', 'value'],
            env: [{ name: 'MY_VAR', value: 'from-kubeconfig' }],
            interactiveMode: 'Never',
          },
        },
      ),
      { logger: silent, registry: new Registry(), clock: new InstantClock() },
    );
    try {
      await client.get(ConfigMap, { namespace: 'default', name: 'a' });
      await client.get(ConfigMap, { namespace: 'default', name: 'a' });
      assert.deepEqual(
        server.requests.map((r) => r.headers.authorization),
        ['Bearer tok-1', 'Bearer tok-1'],
        'no expiry: the answer is kept',
      );
      const [run] = runs(dir, 'v1.js');
      assert.equal(runs(dir, 'v1.js').length, 1);
      assert.deepEqual(run.argv, ['--flag', 'value']);
      assert.equal(run.myVar, 'from-kubeconfig');
      assert.deepEqual(run.info, { apiVersion: V1, kind: 'ExecCredential', spec: { interactive: false } });
    } finally {
      client.close();
      await server.close();
    }
  });

  it('v1beta1 with provideClusterInfo: the cluster (CA, server name, exec extension) in KUBERNETES_EXEC_INFO', async () => {
    const plugin = writePlugin(dir, 'beta.js', tokenPlugin(V1BETA1));
    const pki = makePki();
    const kc = loadKubeconfig({
      ...kubeconfigFor(
        {
          server: 'https://127.0.0.1:6443',
          'certificate-authority-data': b64(pki.ca.certPem),
          'tls-server-name': 'api.example',
          extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { audience: 'kloop' } }],
        },
        // v1beta1 defaults interactiveMode to IfAvailable.
        { exec: { apiVersion: V1BETA1, command: plugin, provideClusterInfo: true } },
      ),
    });
    const material = await kc.auth();
    assert.equal(material.headers.Authorization, 'Bearer tok-1');
    assert.deepEqual(runs(dir, 'beta.js')[0].info, {
      apiVersion: V1BETA1,
      kind: 'ExecCredential',
      spec: {
        interactive: false,
        cluster: {
          server: 'https://127.0.0.1:6443',
          'tls-server-name': 'api.example',
          'certificate-authority-data': b64(pki.ca.certPem),
          config: { audience: 'kloop' },
        },
      },
    });
  });

  it('keeps the answer until expirationTimestamp, then runs the plugin again', async () => {
    const plugin = writePlugin(
      dir,
      'expiring.js',
      tokenPlugin(V1, 'new Date(Date.UTC(2030, 0, 1, 0, n)).toISOString()'),
    );
    let now = Date.UTC(2029, 11, 31, 23, 0); // an hour before the first expiry (00:01)
    const kc = loadKubeconfig(
      kubeconfigFor(
        { server: 'http://127.0.0.1:1' },
        { exec: { apiVersion: V1, command: plugin, interactiveMode: 'IfAvailable' } },
      ),
      { now: () => now },
    );
    assert.equal(kc.dynamicAuth, true);
    assert.equal((await kc.auth()).headers.Authorization, 'Bearer tok-1');
    now = Date.UTC(2030, 0, 1, 0, 0, 59); // one second before expiry
    assert.equal((await kc.auth()).headers.Authorization, 'Bearer tok-1');
    assert.equal(runs(dir, 'expiring.js').length, 1);
    now = Date.UTC(2030, 0, 1, 0, 1); // expired
    assert.equal((await kc.auth()).headers.Authorization, 'Bearer tok-2');
    assert.equal(runs(dir, 'expiring.js').length, 2);
    // Concurrent requests while expired share one run.
    now = Date.UTC(2030, 0, 1, 0, 5);
    const all = await Promise.all([kc.auth(), kc.auth(), kc.auth()]);
    assert.deepEqual(
      all.map((m) => m.headers.Authorization),
      ['Bearer tok-3', 'Bearer tok-3', 'Bearer tok-3'],
    );
    assert.equal(runs(dir, 'expiring.js').length, 3);
  });

  it('a 401 runs the plugin again and the request is retried once with the new token', async () => {
    const plugin = writePlugin(dir, 'rotating.js', tokenPlugin(V1));
    const server = await startServer((req, res) => {
      if (req.headers.authorization !== 'Bearer tok-2') {
        json(res, 401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 });
        return;
      }
      json(res, 200, { kind: 'ConfigMap', metadata: { name: 'a' } });
    });
    const client = KubeClient.fromKubeconfig(
      kubeconfigFor({ server: server.url }, { exec: { apiVersion: V1, command: plugin, interactiveMode: 'Never' } }),
      { logger: silent, registry: new Registry(), clock: new InstantClock() },
    );
    try {
      assert.equal((await client.get(ConfigMap, { namespace: 'default', name: 'a' })).metadata.name, 'a');
      assert.deepEqual(
        server.requests.map((r) => r.headers.authorization),
        ['Bearer tok-1', 'Bearer tok-2'],
      );
      assert.equal(runs(dir, 'rotating.js').length, 2);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('a client certificate and key from the plugin authenticate over TLS', async () => {
    const pki = makePki();
    const bob = issueClientCertificate(pki.ca, 'bob', ['team-a']);
    writeFileSync(join(dir, 'bob.json'), JSON.stringify({ cert: bob.certPem, key: bob.keyPem }));
    const plugin = writePlugin(
      dir,
      'cert.js',
      `const { cert, key } = JSON.parse(fs.readFileSync(path.join(__dirname, 'bob.json'), 'utf8'));
process.stdout.write(JSON.stringify({ apiVersion: ${JSON.stringify(V1)}, kind: 'ExecCredential',
  status: { clientCertificateData: cert, clientKeyData: key } }));`,
    );
    const server = await startHttpsServer(pki.serving, { clientCa: pki.ca.certPem });
    const client = KubeClient.fromKubeconfig(
      kubeconfigFor(
        { server: server.url, 'certificate-authority-data': b64(pki.ca.certPem) },
        { exec: { apiVersion: V1, command: plugin, interactiveMode: 'Never' } },
      ),
      { logger: silent, registry: new Registry(), clock: new InstantClock() },
    );
    try {
      await client.get(ConfigMap, { namespace: 'default', name: 'c' });
      assert.deepEqual(server.requests[0].user, { cn: 'bob', groups: ['team-a'] });
      assert.equal(server.requests[0].headers.authorization, undefined);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('a relative command with a slash is resolved against the kubeconfig folder', async () => {
    writePlugin(dir, 'relative.js', tokenPlugin(V1));
    const file = join(dir, 'relative.kubeconfig');
    writeFileSync(
      file,
      JSON.stringify(
        kubeconfigFor(
          { server: 'http://127.0.0.1:1' },
          { exec: { apiVersion: V1, command: './relative.js', interactiveMode: 'Never' } },
        ),
      ),
    );
    assert.equal((await loadKubeconfig(file).auth()).headers.Authorization, 'Bearer tok-1');
  });

  it('a missing command is an error naming the field, with the plugin installHint; nothing is retried', async () => {
    const server = await startServer((_req, res) => json(res, 200, {}));
    const client = KubeClient.fromKubeconfig(
      kubeconfigFor(
        { server: server.url },
        {
          exec: {
            apiVersion: V1,
            command: 'kloop-no-such-credential-plugin',
            interactiveMode: 'Never',
            installHint: 'Install it with: brew install kloop-no-such-credential-plugin',
          },
        },
      ),
      { logger: silent, registry: new Registry(), clock: new InstantClock() },
    );
    try {
      await assert.rejects(
        client.get(ConfigMap, { namespace: 'default', name: 'a' }),
        (err: unknown) =>
          err instanceof KubeconfigError &&
          err.code === 'KLOOP_KUBECONFIG_INVALID' &&
          err.field === 'users[u].user.exec.command' &&
          err.message.includes('exec: executable kloop-no-such-credential-plugin not found') &&
          err.message.includes('Install it with: brew install kloop-no-such-credential-plugin'),
      );
      assert.equal(server.requests.length, 0, 'nothing was sent');
    } finally {
      client.close();
      await server.close();
    }
  });

  it('a failing plugin and a plugin with bad output are errors that never quote the output', async () => {
    const failing = writePlugin(dir, 'failing.js', `process.stdout.write('tok-secret-output'); process.exit(3);`);
    const wrongVersion = writePlugin(dir, 'wrong.js', tokenPlugin(V1BETA1));
    const notJson = writePlugin(dir, 'notjson.js', `process.stdout.write('tok-secret-output');`);
    const noStatus = writePlugin(
      dir,
      'nostatus.js',
      `process.stdout.write(JSON.stringify({ apiVersion: ${JSON.stringify(V1)}, kind: 'ExecCredential' }));`,
    );
    const cases: Array<[string, RegExp]> = [
      [failing, /failed with exit code 3/],
      [
        wrongVersion,
        /configured to use API version client\.authentication\.k8s\.io\/v1, plugin returned version client\.authentication\.k8s\.io\/v1beta1/,
      ],
      [notJson, /not a JSON ExecCredential/],
      [noStatus, /didn't return a status field/],
    ];
    for (const [command, expected] of cases) {
      const kc = loadKubeconfig(
        kubeconfigFor(
          { server: 'http://127.0.0.1:1' },
          { exec: { apiVersion: V1, command, interactiveMode: 'Never' } },
        ),
      );
      await assert.rejects(
        kc.auth(),
        (err: unknown) =>
          err instanceof KubeconfigError &&
          err.code === 'KLOOP_CREDENTIALS_UNAVAILABLE' &&
          err.field === 'users[u].user.exec' &&
          expected.test(err.message) &&
          !err.message.includes('tok-'),
        command,
      );
    }
  });

  it('interactiveMode Always is refused (kloop is never interactive); v1 must name a mode', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ apiVersion: V1, command: 'x', interactiveMode: 'Always' }, /never runs exec plugins interactively/],
      [{ apiVersion: V1, command: 'x' }, /must be specified for u to use exec authentication plugin/],
      [{ apiVersion: V1, command: 'x', interactiveMode: 'Sometimes' }, /invalid interactiveMode for u: "Sometimes"/],
      [{ apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'x' }, /is not supported/],
      [{ apiVersion: V1, interactiveMode: 'Never' }, /command.*|must be specified/],
    ];
    for (const [exec, expected] of cases) {
      assert.throws(
        () => loadKubeconfig(kubeconfigFor({ server: 'http://127.0.0.1:1' }, { exec })),
        (err: unknown) =>
          err instanceof KubeconfigError && err.field.startsWith('users[u].user.exec.') && expected.test(err.message),
        JSON.stringify(exec),
      );
    }
  });

  it("passes the plugin's stderr through to the process's stderr", async () => {
    const plugin = writePlugin(
      dir,
      'chatty.js',
      `process.stderr.write('please log in at https://sso.example\\n');\n${tokenPlugin(V1)}`,
    );
    const script = join(dir, 'run-chatty.mts');
    const entry = resolve('src/client/index.ts');
    writeFileSync(
      script,
      `import { loadKubeconfig } from ${JSON.stringify(entry)};
const kc = loadKubeconfig({ 'current-context': 'x', clusters: [{ name: 'c', cluster: { server: 'http://127.0.0.1:1' } }],
  users: [{ name: 'u', user: { exec: { apiVersion: '${V1}', command: ${JSON.stringify(plugin)}, interactiveMode: 'Never' } } }],
  contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }] });
const m = await kc.auth();
process.stdout.write(String(m.headers.Authorization).length > 0 ? 'ok' : 'no');
`,
    );
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      encoding: 'utf8',
    });
    assert.equal(stdout, 'ok', 'the token is not printed');
    assert.match(stderr, /please log in at https:\/\/sso\.example/);
  });
});
