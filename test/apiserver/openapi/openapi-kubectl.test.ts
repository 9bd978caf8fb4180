// Real kubectl reading the OpenAPI documents the emulator serves (/openapi/v3 and its
// group-version documents, built-in and from CRDs). A recording proxy in front of the emulator
// forwards every request unchanged and keeps the request lines, so the test can see what kubectl
// asked for.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiServer, startApiServer } from '../../../src/apiserver/index.js';
import { CRONTAB_CRD } from '../../support/crontab-crd.js';
import { layerClients, runKubectl, sdkKubectl } from '../../support/real-clients.js';

function startProxy(upstream: URL, seen: string[]): Promise<Server> {
  const proxy = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url}`);
    const forward = request(
      new URL(req.url ?? '/', upstream),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // A watch may send nothing for a while: its headers must not wait for a body.
        res.flushHeaders();
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(proxy)));
}

describe('kubectl explain and validation read the served documents', () => {
  let server: ApiServer;
  let proxy: Server;
  let dir: string;
  let kubeconfig: string;
  const seen: string[] = [];

  before(async () => {
    server = await startApiServer({ port: 0 });
    proxy = await startProxy(new URL(server.url), seen);
    dir = await mkdtemp(join(tmpdir(), 'kloop-openapi-kubectl-'));
    kubeconfig = join(dir, 'kubeconfig');
    const { port } = proxy.address() as { port: number };
    await writeFile(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\n` +
        'users: [{name: u, user: {}}]\ncontexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]\ncurrent-context: c\n',
    );
    await writeFile(join(dir, 'crd.json'), JSON.stringify(CRONTAB_CRD));
  });

  after(async () => {
    await new Promise((resolve) => proxy.close(resolve));
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const kubectls = async () => [
    { label: 'kubectl 1.33', bin: sdkKubectl('1.33')! },
    { label: 'kubectl 1.27', bin: sdkKubectl('1.27')! },
    { label: 'kubectl 1.35', bin: (await layerClients()).kubectl },
  ];

  it('explains a built-in field', async () => {
    for (const { label, bin } of await kubectls()) {
      const r = await runKubectl(bin, ['explain', 'deployment.spec.replicas'], { kubeconfig });
      assert.equal(r.code, 0, `${label}: ${r.stderr}`);
      assert.match(r.stdout, /KIND:\s+Deployment/, label);
      assert.match(r.stdout, /FIELD: replicas <integer>/, label);
      assert.match(r.stdout, /Number of desired pods/, label);
    }
  });

  it('explains a custom resource from its CRD', async () => {
    const kubectl = sdkKubectl('1.33')!;
    const apply = await runKubectl(kubectl, ['apply', '-f', join(dir, 'crd.json')], { kubeconfig });
    assert.equal(apply.code, 0, apply.stderr);
    for (const { label, bin } of await kubectls()) {
      const r = await runKubectl(bin, ['explain', 'crontab.spec.cronSpec'], { kubeconfig });
      assert.equal(r.code, 0, `${label}: ${r.stderr}`);
      assert.match(r.stdout, /KIND:\s+CronTab/, label);
      assert.match(r.stdout, /FIELD: cronSpec <string>/, label);
      assert.match(r.stdout, /When to run, in cron syntax\./, label);
    }
  });

  it('finds fieldValidation on PATCH and leaves validation to the server (fieldValidation=Strict)', async () => {
    const manifest = join(dir, 'cm.json');
    await writeFile(manifest, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'validated' } }));
    seen.length = 0;
    const r = await runKubectl(sdkKubectl('1.33')!, ['create', '-f', manifest], { kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      seen.some((s) => s.startsWith('GET /openapi/v3/api/v1?hash=')),
      seen.join('\n'),
    );
    assert.ok(
      seen.some(
        (s) => s.startsWith('POST /api/v1/namespaces/default/configmaps') && s.includes('fieldValidation=Strict'),
      ),
      seen.join('\n'),
    );
  });
});
