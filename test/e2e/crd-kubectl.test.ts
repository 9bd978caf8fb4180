/**
 * End-to-end with kubectl 1.33: CRDs printed by `kloop crd` apply cleanly and round-trip, their
 * printer columns print (JSONPath filters included), and invalid custom resources are refused
 * with the real messages, as kubectl shows them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { Website } from '../../examples/website-resource.js';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { Probe } from '../fixtures/probe-resource.js';
import { caseObjectName, invalidMessage, VALIDATION_CASES } from '../fixtures/validation-cases.js';
import { runKubectl, sdkKubectl } from '../support/real-clients.js';

const kubectl = sdkKubectl('1.33');

/** Runs the kloop CLI (from the sources) and returns its stdout. */
function kloop(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`kloop ${args.join(' ')}: ${stderr}`)),
    );
  });
}

describe('kloop crd output with kubectl 1.33', { skip: kubectl === undefined ? 'no kubectl 1.33 here' : false }, () => {
  let server: ApiServer;
  let dir: string;
  let kubeconfig: string;
  const k = (args: string[], input?: string) =>
    runKubectl(kubectl!, args, { kubeconfig, ...(input !== undefined ? { input } : {}) });

  before(async () => {
    server = await startApiServer();
    dir = await mkdtemp(join(tmpdir(), 'kloop-crd-kubectl-'));
    kubeconfig = join(dir, 'kubeconfig');
    await server.writeKubeconfig(kubeconfig);
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies the generated CRDs, which round-trip (kubectl diff finds nothing)', async () => {
    const crds = join(dir, 'crds');
    await kloop(['crd', 'examples/website-resource.ts', '--out', crds]);
    const applied = await k(['apply', '-f', crds]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(applied.stdout.trim(), 'customresourcedefinition.apiextensions.k8s.io/websites.kloop.dev created');
    const probe = await k(['apply', '-f', '-'], await kloop(['crd', 'test/fixtures/probe-resource.ts']));
    assert.equal(probe.code, 0, probe.stderr);
    assert.equal(
      probe.stdout.trim(),
      'customresourcedefinition.apiextensions.k8s.io/probes.validation.kloop.dev created',
    );

    const live = await k(['get', 'crd', 'websites.kloop.dev', '-o', 'json']);
    const spec = (JSON.parse(live.stdout) as { spec: Record<string, unknown> }).spec;
    // The server adds only its default conversion strategy.
    assert.deepEqual(spec, { ...Website.crd().spec, conversion: { strategy: 'None' } });
    const diff = await k(['diff', '-f', crds]);
    assert.equal(diff.code, 0, `kubectl diff: ${diff.stdout}${diff.stderr}`);
    const again = await k(['apply', '-f', crds]);
    assert.equal(again.stdout.trim(), 'customresourcedefinition.apiextensions.k8s.io/websites.kloop.dev unchanged');
  });

  it("kubectl explain shows the generated schema's fields and descriptions", async () => {
    const kind = await k(['explain', 'websites']);
    assert.equal(kind.code, 0, kind.stderr);
    assert.match(kind.stdout, /KIND:\s+Website/);
    assert.match(kind.stdout, /A website served by a Deployment of web servers behind a Service\./);
    assert.match(kind.stdout, /spec\t<Object>/);
    const spec = await k(['explain', 'websites.spec']);
    assert.match(spec.stdout, /image\t<string>\n\s+Container image of the web server\./);
    assert.match(spec.stdout, /replicas\t<integer>\n\s+Web servers\./);
    const field = await k(['explain', 'ws.status.conditions.status']);
    assert.equal(field.code, 0, field.stderr);
    assert.match(field.stdout, /FIELD: status <string>/);
    assert.match(field.stdout, /ENUM:\s+True\s+False\s+Unknown/);
  });

  it('prints the printer columns, a JSONPath filter included', async () => {
    const site = {
      apiVersion: 'kloop.dev/v1',
      kind: 'Website',
      metadata: { name: 'blog', namespace: 'default' },
      spec: { image: 'nginx:1.27', replicas: 2 },
    };
    const created = await k(['apply', '-f', '-'], yaml.dump(site));
    assert.equal(created.code, 0, created.stderr);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const status = await fetch(`${server.url}/apis/kloop.dev/v1/namespaces/default/websites/blog/status`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({
        status: {
          conditions: [
            { type: 'Progressing', status: 'False', reason: 'Done', message: '', lastTransitionTime: now },
            { type: 'Ready', status: 'True', reason: 'Available', message: '2/2', lastTransitionTime: now },
          ],
        },
      }),
    });
    assert.equal(status.status, 200, await status.text());
    const got = await k(['get', 'websites']);
    assert.equal(got.code, 0, got.stderr);
    const [header, row] = got.stdout.trim().split('\n');
    assert.match(header!, /^NAME\s+IMAGE\s+REPLICAS\s+READY\s+AGE$/);
    assert.match(row!, /^blog\s+nginx:1\.27\s+2\s+True\s+\d+s$/);
    const short = await k(['get', 'ws', 'blog', '-o', 'wide']);
    assert.match(short.stdout, /blog\s+nginx:1\.27\s+2\s+True/);
    const defaulted = await k(['get', 'ws', 'blog', '-o', 'jsonpath={.spec.port}']);
    assert.equal(defaulted.stdout, '80', 'the schema default was applied');
  });

  it('refuses each invalid object with the upstream message (one kubectl apply of them all)', async () => {
    const cases = VALIDATION_CASES.map((c, i) => ({ c, name: caseObjectName(c, i) })).filter(({ c }) => !c.before);
    const casesDir = join(dir, 'cases');
    await mkdir(casesDir);
    for (const { c, name } of cases) {
      const object = {
        apiVersion: 'validation.kloop.dev/v1',
        kind: 'Probe',
        metadata: { name, namespace: 'default' },
        spec: c.spec,
      };
      await writeFile(join(casesDir, `${name}.yaml`), yaml.dump(object));
    }
    const run = await k(['apply', '-f', casesDir]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '', 'nothing was created');
    const lines = run.stderr.trim().split('\n');
    const byFile = new Map<string, string>();
    for (const line of lines) {
      const m = /^Error from server \(Invalid\): error when creating "(.+?\.yaml)": (.*)$/.exec(line);
      assert.ok(m, `an Invalid error per object, got: ${line}`);
      byFile.set(m[1]!, m[2]!);
    }
    assert.equal(byFile.size, cases.length, run.stderr);
    for (const { c, name } of cases) {
      assert.equal(byFile.get(join(casesDir, `${name}.yaml`)), invalidMessage(name, c.errors), c.name);
    }
  });

  it('shows a single invalid object as kubectl does, one line per cause; transition rules on update', async () => {
    const bad = {
      apiVersion: 'validation.kloop.dev/v1',
      kind: 'Probe',
      metadata: { name: 'single', namespace: 'default' },
      spec: { max: 50, range: { low: 5, high: 1 } },
    };
    const run = await k(['apply', '-f', '-'], yaml.dump(bad));
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr.trim(),
      [
        'The Probe "single" is invalid: ',
        '* spec.max: Invalid value: 50: spec.max in body should be less than or equal to 10',
        '* spec.range: Invalid value: "object": failed rule: self.low <= self.high',
      ].join('\n'),
    );
    const frozen = { ...bad, metadata: { name: 'frozen', namespace: 'default' }, spec: { frozen: 'a' } };
    assert.equal((await k(['apply', '-f', '-'], yaml.dump(frozen))).code, 0);
    const changed = await k(['apply', '-f', '-'], yaml.dump({ ...frozen, spec: { frozen: 'b' } }));
    assert.equal(changed.code, 1);
    assert.equal(
      changed.stderr.trim(),
      'The Probe "frozen" is invalid: spec.frozen: Invalid value: "string": frozen is immutable',
    );
  });

  it('refuses a CRD whose schema is not structural, with the upstream message', async () => {
    const crd = Probe.crd();
    const spec = crd.spec.versions[0]!.schema!.openAPIV3Schema.properties!.spec!;
    delete spec.type;
    const run = await k(['apply', '-f', '-'], yaml.dump({ ...crd, metadata: { name: 'probes.validation.kloop.dev' } }));
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /spec\.versions\[0\]\.schema\.openAPIV3Schema\.properties\[spec\]\.type: Required value: must not be empty for specified object fields/,
    );
  });
});
