// The OpenAPI endpoints over HTTP, as kube-apiserver (kube-openapi handler3 and handler, behind
// kube-aggregator) answers them: the /openapi/v3 index with hashed URLs, per group-version
// documents with Etag and immutable caching, 301 on a stale hash, 406 and 404, conditional
// requests; documents for CRDs that follow CRD changes; /openapi/v2.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { buildBuiltinOpenApiV3 } from '../../src/apiserver/discovery/openapi/openapi-v3.js';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.openapi.example.com' },
  spec: {
    group: 'openapi.example.com',
    scope: 'Namespaced',
    names: { kind: 'Gadget', listKind: 'GadgetList', plural: 'gadgets', singular: 'gadget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { colour: { type: 'string', description: 'The colour.' } } },
            },
          },
        },
      },
    ],
  },
};
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** A JSON document read field by field (the test checks the shape it walks). */
type Doc = { [key: string]: Doc } & { some: (fn: (p: { name: string }) => boolean) => boolean };

interface Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

describe('OpenAPI endpoints', () => {
  let server: ApiServer;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { headers, redirect: 'manual' });
  const index = async () => (await (await get('/openapi/v3')).json()) as Index;

  before(async () => {
    server = await startApiServer({ port: 0 });
  });
  after(() => server.stop());

  it('the index lists a document per served group-version, each URL with the SHA-512 of its body', async () => {
    const res = await get('/openapi/v3');
    assert.equal(res.status, 200);
    // The aggregator serves it with http.ServeContent, which sniffs JSON as text.
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    const { paths } = (await res.json()) as Index;
    for (const gv of ['api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/rbac.authorization.k8s.io/v1']) {
      assert.ok(paths[gv], gv);
    }
    const url = paths['apis/apps/v1'].serverRelativeURL;
    const hash = new URL(url, server.url).searchParams.get('hash') ?? '';
    assert.match(url, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const doc = await get(url, { accept: 'application/json' });
    assert.equal(doc.status, 200);
    const body = await doc.text();
    assert.equal(createHash('sha512').update(body).digest('hex').toUpperCase(), hash);
    assert.equal(doc.headers.get('etag'), `"${hash}"`);
    assert.equal(doc.headers.get('vary'), 'Accept');
    assert.equal(doc.headers.get('cache-control'), 'public, immutable');
    assert.ok(Date.parse(doc.headers.get('expires') ?? '') > Date.now() + 300 * 24 * 3600 * 1000);
  });

  it('a document is the upstream one, trimmed to the resources the emulator serves', async () => {
    const { paths } = await index();
    const served = (await (await get(paths['apis/apps/v1'].serverRelativeURL)).json()) as Doc;
    const resources = new Set(['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'controllerrevisions']);
    assert.deepEqual(served, JSON.parse(JSON.stringify(buildBuiltinOpenApiV3('apis/apps/v1', { resources }))));
    // The PATCH operation carries fieldValidation (kubectl then validates on the server).
    const patch = served.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    assert.ok(patch.parameters.some((p) => p.name === 'fieldValidation'));
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
    // A resource the emulator does not serve has no path (core v1 has several).
    const core = (await (await get(paths['api/v1'].serverRelativeURL)).json()) as Doc;
    assert.ok(core.paths['/api/v1/namespaces/{namespace}/pods']);
    assert.equal(core.paths['/api/v1/namespaces/{namespace}/replicationcontrollers'], undefined);
  });

  it('caching: no hash, no immutable; a stale hash is a 301; If-None-Match is a 304', async () => {
    const plain = await get('/openapi/v3/api/v1');
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('cache-control'), null);
    const etag = plain.headers.get('etag') ?? '';
    await plain.arrayBuffer();
    const stale = await get('/openapi/v3/api/v1?hash=0123');
    assert.equal(stale.status, 301);
    assert.equal(stale.headers.get('location'), `/openapi/v3/api/v1?hash=${etag.slice(1, -1)}`);
    const cached = await get('/openapi/v3/api/v1', { 'if-none-match': etag });
    assert.equal(cached.status, 304);
    // Go's writeNotModified: no Content-Type, and no Last-Modified beside an Etag.
    assert.equal(cached.headers.get('etag'), etag);
    assert.equal(cached.headers.get('last-modified'), null);
    assert.equal(cached.headers.get('content-type'), null);
  });

  it('406 for an Accept without JSON, 404 for a group-version nobody serves', async () => {
    const proto = await get('/openapi/v3/api/v1', {
      accept: 'application/com.github.proto-openapi.spec.v3.v1.0+protobuf',
    });
    assert.equal(proto.status, 406);
    const either = await get('/openapi/v3/api/v1', {
      accept: 'application/com.github.proto-openapi.spec.v3.v1.0+protobuf, application/json',
    });
    assert.equal(either.status, 200);
    await either.arrayBuffer();
    const none = await get('/openapi/v3/apis/nothing.example.com/v1');
    assert.equal(none.status, 404);
    assert.equal(await none.text(), '');
  });

  it('OpenAPI paths are matched exactly: a trailing slash names no document', async () => {
    // kube-aggregator's handleGroupVersion compares the rest of the path with the group-version
    // keys as is; /openapi/v2 is an exact route of the PathRecorderMux.
    for (const path of ['/openapi/v3/', '/openapi/v3/apis/apps/v1/', '/openapi/v2/']) {
      const answer = await get(path);
      assert.equal(answer.status, 404, path);
      await answer.arrayBuffer();
    }
    const exact = await get('/openapi/v3/apis/apps/v1');
    assert.equal(exact.status, 200);
    await exact.arrayBuffer();
  });

  it('documents for a CRD appear, follow its changes and go with it', async () => {
    const create = await fetch(`${server.url}${CRDS}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(CRD),
    });
    assert.equal(create.status, 201);
    const first = (await index()).paths['apis/openapi.example.com/v1'];
    assert.ok(first);
    const doc = (await (await get(first.serverRelativeURL)).json()) as Doc;
    const schema = doc.components.schemas['com.example.openapi.v1.Gadget'];
    assert.equal(schema.properties.spec.properties.colour.description, 'The colour.');
    assert.deepEqual(schema['x-kubernetes-group-version-kind'], [
      { group: 'openapi.example.com', kind: 'Gadget', version: 'v1' },
    ]);
    // A new field: a new document, a new hash; the old URL redirects.
    const crd = (await (await fetch(`${server.url}${CRDS}/${CRD.metadata.name}`)).json()) as typeof CRD;
    crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties = {
      colour: { type: 'string', description: 'The colour.' },
      size: { type: 'string', description: 'The size.' },
    } as (typeof crd.spec.versions)[0]['schema']['openAPIV3Schema']['properties']['spec']['properties'];
    const put = await fetch(`${server.url}${CRDS}/${CRD.metadata.name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(crd),
    });
    assert.equal(put.status, 200);
    const second = (await index()).paths['apis/openapi.example.com/v1'];
    assert.notEqual(second.serverRelativeURL, first.serverRelativeURL);
    const redirected = await get(first.serverRelativeURL);
    assert.equal(redirected.status, 301);
    assert.equal(redirected.headers.get('location'), second.serverRelativeURL);
    const v2 = (await (await get('/openapi/v2', { accept: 'application/json' })).json()) as Doc;
    assert.ok(v2.definitions['com.example.openapi.v1.Gadget'].properties.spec.properties.size);
    assert.ok(v2.paths['/apis/openapi.example.com/v1/namespaces/{namespace}/gadgets/{name}']);
    const del = await fetch(`${server.url}${CRDS}/${CRD.metadata.name}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.equal((await index()).paths['apis/openapi.example.com/v1'], undefined);
  });

  it('a client revalidating the index (If-Modified-Since) right after a CRD change gets the new index, not a 304', async () => {
    // kubectl's --cache-dir HTTP cache revalidates /openapi/v3 with the Last-Modified it was
    // given; a CRD applied within the same second must not leave it with the old index.
    const before = await get('/openapi/v3');
    const lastModified = before.headers.get('last-modified') ?? '';
    await before.arrayBuffer();
    const crd = structuredClone(CRD);
    crd.metadata.name = 'gizmos.revalidate.example.com';
    crd.spec.group = 'revalidate.example.com';
    crd.spec.names = { kind: 'Gizmo', listKind: 'GizmoList', plural: 'gizmos', singular: 'gizmo' };
    const create = await fetch(`${server.url}${CRDS}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(crd),
    });
    assert.equal(create.status, 201);
    const again = await get('/openapi/v3', { 'if-modified-since': lastModified });
    assert.equal(again.status, 200);
    assert.ok(((await again.json()) as Index).paths['apis/revalidate.example.com/v1']);
    // Unchanged since: a 304 is still right.
    const unchanged = await get('/openapi/v3', { 'if-modified-since': again.headers.get('last-modified') ?? '' });
    assert.equal(unchanged.status, 304);
    await fetch(`${server.url}${CRDS}/${crd.metadata.name}`, { method: 'DELETE' });
  });

  it('/openapi/v2: JSON for JSON or a wildcard, protobuf media type for protobuf, 406 otherwise', async () => {
    const json = await get('/openapi/v2', { accept: 'application/json' });
    assert.equal(json.status, 200);
    assert.equal(json.headers.get('content-type'), 'application/json');
    const doc = (await json.json()) as Doc;
    assert.equal(doc.swagger, '2.0');
    assert.ok(doc.definitions['io.k8s.api.apps.v1.Deployment']);
    const any = await get('/openapi/v2');
    assert.equal(any.headers.get('content-type'), 'application/json');
    await any.arrayBuffer();
    const proto = await get('/openapi/v2', { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    assert.equal(proto.status, 200);
    assert.equal(proto.headers.get('content-type'), 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    const bytes = Buffer.from(await proto.arrayBuffer());
    // gnostic's Document: field 1 swagger "2.0", then info and the definitions.
    assert.deepEqual([...bytes.subarray(0, 5)], [0x0a, 0x03, 0x32, 0x2e, 0x30]);
    assert.ok(bytes.includes(Buffer.from('io.k8s.api.apps.v1.Deployment')));
    const html = await get('/openapi/v2', { accept: 'text/html' });
    assert.equal(html.status, 406);
  });
});
