// Real kubectl reading the documents these builders make. Until the emulator serves /openapi/v3
// itself, a small proxy in front of it answers the OpenAPI paths with the builders' documents
// (built-in group-versions and the CRDs the emulator holds) and forwards everything else.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildCrdsOpenApiV3, type CrdForOpenApi } from '../../../src/apiserver/discovery/openapi/openapi-crd.js';
import { builtinOpenApiGroupVersions } from '../../../src/apiserver/discovery/openapi/openapi-data.js';
import {
  buildBuiltinOpenApiV3,
  buildOpenApiV3Index,
  type PublishedOpenApiDocument,
  publishOpenApiDocument,
} from '../../../src/apiserver/discovery/openapi/openapi-v3.js';
import { type ApiServer, startApiServer } from '../../../src/apiserver/index.js';
import { layerClients, runKubectl, sdkKubectl } from '../../support/real-clients.js';

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'crontabs.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    scope: 'Namespaced',
    names: { kind: 'CronTab', listKind: 'CronTabList', plural: 'crontabs', singular: 'crontab' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: { cronSpec: { type: 'string', description: 'When to run, in cron syntax.' } },
              },
            },
          },
        },
      },
    ],
  },
};

const builtin = new Map<string, PublishedOpenApiDocument>(
  builtinOpenApiGroupVersions.map((gv) => [gv, publishOpenApiDocument(gv, buildBuiltinOpenApiV3(gv)!)]),
);

function get(url: URL): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    })
      .on('error', reject)
      .end();
  });
}

/** Every document the server would publish: the built-ins and one per CRD group-version. */
async function documents(upstream: URL): Promise<Map<string, PublishedOpenApiDocument>> {
  const crds = JSON.parse(await get(new URL('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', upstream))) as {
    items: CrdForOpenApi[];
  };
  const out = new Map(builtin);
  for (const crd of crds.items) {
    for (const v of crd.spec.versions) {
      const path = `apis/${crd.spec.group}/${v.name}`;
      out.set(path, publishOpenApiDocument(path, buildCrdsOpenApiV3(crds.items, crd.spec.group, v.name)));
    }
  }
  return out;
}

function startProxy(upstream: URL, seen: string[]): Promise<Server> {
  const proxy = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    seen.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname === '/openapi/v3' || url.pathname.startsWith('/openapi/v3/')) {
      const docs = await documents(upstream);
      const body =
        url.pathname === '/openapi/v3'
          ? { json: JSON.stringify(buildOpenApiV3Index([...docs.values()])), hash: undefined }
          : docs.get(url.pathname.slice('/openapi/v3/'.length));
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', ...(body.hash ? { Etag: `"${body.hash}"` } : {}) });
      res.end(body.json);
      return;
    }
    const forward = request(
      new URL(req.url ?? '/', upstream),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(proxy)));
}

describe('kubectl explain and validation read the built documents', () => {
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
    await writeFile(join(dir, 'crd.json'), JSON.stringify(CRD));
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
