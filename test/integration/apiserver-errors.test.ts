import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { Status } from '../../src/core/index.js';
import { type Api, configMap, startTestServer } from '../apiserver/helpers.js';

const CM = '/api/v1/namespaces/default/configmaps';

function assertStatus(body: Status, code: number, reason: string, message?: RegExp): void {
  assert.equal(body.kind, 'Status');
  assert.equal(body.apiVersion, 'v1');
  assert.equal(body.status, 'Failure');
  assert.equal(body.code, code);
  assert.equal(body.reason, reason);
  if (message) assert.match(String(body.message), message);
}

describe('apiserver error cases: every one a Status, none a crash', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer({ maxBodyBytes: 64 * 1024, resourceVersionWaitMs: 50 }));
  });
  after(() => server.stop());

  it('malformed JSON is a 400', async () => {
    const res = await api.request<Status>('POST', CM, '{"metadata": {', 'application/json');
    assert.equal(res.status, 400);
    assertStatus(res.body, 400, 'BadRequest', /json parse error/);
    assert.equal(res.headers.get('content-type'), 'application/json');
  });

  it('a non-object body is a 400', async () => {
    const res = await api.request<Status>('POST', CM, '[1,2]', 'application/json');
    assertStatus(res.body, 400, 'BadRequest');
  });

  it('an unknown patch type is a 415 listing the accepted ones', async () => {
    await api.post(CM, configMap('p415'));
    const res = await api.patch<Status>(`${CM}/p415`, { data: {} }, 'application/x-nope');
    assertStatus(res.body, 415, 'UnsupportedMediaType', /accepted media types include: application\/json-patch\+json/);
  });

  it('a wrong apiVersion or kind is a 400 worded as the decoder words it (1.33)', async () => {
    // handlers/rest.go transformDecodeError over the legacy scheme's decode and conversion.
    const cases: [Record<string, unknown>, string, string][] = [
      // A kind the scheme does not know (the classic lower-case `kind: pod`).
      [
        { apiVersion: 'v1', kind: 'pod' },
        '/api/v1/namespaces/default/pods',
        'pod in version "v1" cannot be handled as a Pod: no kind "pod" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"',
      ],
      [
        { apiVersion: 'apps/v1', kind: 'ConfigMap' },
        CM,
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: no kind "ConfigMap" is registered for version "apps/v1" in scheme "pkg/api/legacyscheme/scheme.go:30"',
      ],
      // A known kind of another type: decoded, then no conversion to the endpoint's type.
      [
        { apiVersion: 'v1', kind: 'Secret' },
        CM,
        'Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion',
      ],
      [
        { apiVersion: 'v1', kind: 'Pod' },
        '/apis/apps/v1/namespaces/default/deployments',
        'Pod in version "v1" cannot be handled as a Deployment: converting (v1.Pod) to (apps.Deployment): unknown conversion',
      ],
      // The endpoint's kind in another registered version: converted, then refused.
      [
        { apiVersion: 'apps/v1beta1', kind: 'Deployment' },
        '/apis/apps/v1/namespaces/default/deployments',
        'the API version in the data (apps/v1beta1) does not match the expected API version (apps/v1)',
      ],
    ];
    for (const [typeMeta, path, message] of cases) {
      const res = await api.post<Status>(path, { ...configMap('x'), ...typeMeta });
      assertStatus(res.body, 400, 'BadRequest');
      assert.equal(res.body.message, message);
    }
  });

  it('a missing name is a 422 with a cause', async () => {
    const res = await api.post<Status>(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} });
    assertStatus(res.body, 422, 'Invalid', /metadata.name: Required value/);
    assert.equal(res.body.details?.causes?.[0]?.field, 'metadata.name');
    const bad = await api.post<Status>(CM, configMap('Not_Valid'));
    assertStatus(bad.body, 422, 'Invalid', /RFC 1123/);
  });

  it('a namespace in the body that differs from the URL is a 400', async () => {
    const res = await api.post<Status>(CM, { ...configMap('x'), metadata: { name: 'x', namespace: 'kube-system' } });
    assertStatus(res.body, 400, 'BadRequest', /does not match the namespace sent on the request/);
  });

  it('a name in the body that differs from the URL is a 400', async () => {
    await api.post(CM, configMap('named'));
    const res = await api.put<Status>(`${CM}/named`, configMap('other'));
    assertStatus(res.body, 400, 'BadRequest', /does not match the name on the URL/);
  });

  it('a body with a resourceVersion on create is a 500, as the real server', async () => {
    const res = await api.post<Status>(CM, { ...configMap('x'), metadata: { name: 'x', resourceVersion: '5' } });
    assertStatus(res.body, 500, 'InternalError', /resourceVersion should not be set/);
  });

  it('a body over the limit is a 413', async () => {
    const res = await api.post<Status>(CM, configMap('huge', { a: 'x'.repeat(100 * 1024) }));
    assertStatus(res.body, 413, 'RequestEntityTooLarge', /limit is 65536/);
    // The connection and the server survive.
    assert.equal((await api.get('/healthz')).status, 200);
  });

  it('a broken label or field selector is a 400', async () => {
    const label = await api.get<Status>(`${CM}?labelSelector=${encodeURIComponent('a in (')}`);
    assertStatus(label.body, 400, 'BadRequest');
    const field = await api.get<Status>(`${CM}?fieldSelector=${encodeURIComponent('spec.foo=1')}`);
    assertStatus(field.body, 400, 'BadRequest', /field label not supported: spec.foo/);
  });

  it('a malformed continue token is a 400', async () => {
    const res = await api.get<Status>(`${CM}?limit=1&continue=not-a-token!`);
    assertStatus(res.body, 400, 'BadRequest', /invalid continue token/);
    const json = Buffer.from('{"v":"meta.k8s.io/v1","rv":"x","start":"a"}').toString('base64url');
    const res2 = await api.get<Status>(`${CM}?limit=1&continue=${json}`);
    assertStatus(res2.body, 400, 'BadRequest', /invalid continue token/);
  });

  it('an unknown resource or path is a 404', async () => {
    const res = await api.get<Status>('/api/v1/namespaces/default/nothings');
    assertStatus(res.body, 404, 'NotFound', /could not find the requested resource/);
    assertStatus((await api.get<Status>('/apis/nope.io/v1/things')).body, 404, 'NotFound');
    assertStatus((await api.get<Status>('/nowhere')).body, 404, 'NotFound');
    assertStatus((await api.get<Status>(`${CM}/x/scale`)).body, 404, 'NotFound');
  });

  it('an unsupported verb is a 405', async () => {
    const post = await api.post<Status>(`${CM}/x`, configMap('x'));
    assertStatus(post.body, 405, 'MethodNotAllowed');
    const put = await api.put<Status>(CM, configMap('x'));
    assertStatus(put.body, 405, 'MethodNotAllowed');
  });

  it('an Accept the emulator cannot serve is a 406', async () => {
    const res = await api.request<Status>('GET', CM, undefined, 'application/json', {
      accept: 'text/html',
    });
    assertStatus(
      res.body,
      406,
      'NotAcceptable',
      /^only the following media types are accepted: application\/json, application\/yaml, application\/vnd.kubernetes.protobuf$/,
    );
  });

  it('resourceVersionMatch without resourceVersion is a 422', async () => {
    const res = await api.get<Status>(`${CM}?resourceVersionMatch=NotOlderThan`);
    assertStatus(res.body, 422, 'Invalid', /resourceVersionMatch/);
  });

  it('a too large resourceVersion on a list is a 504', async () => {
    const res = await api.get<Status>(`${CM}?resourceVersion=999999999`);
    assertStatus(res.body, 504, 'Timeout', /Too large resource version/);
  });

  it('a too large resourceVersion on a get is a 504 too (the watch cache cannot serve it)', async () => {
    await api.post(CM, configMap('future-get'));
    const res = await api.get<Status>(`${CM}/future-get?resourceVersion=999999999`);
    assertStatus(res.body, 504, 'Timeout', /Too large resource version/);
    const latest = await api.get(`${CM}/future-get?resourceVersion=0`);
    assert.equal(latest.status, 200);
  });

  it('the 422s of list options: continue with resourceVersionMatch, Exact with 0, unknown match', async () => {
    const withContinue = await api.get<Status>(`${CM}?resourceVersion=1&resourceVersionMatch=Exact&continue=abc`);
    assertStatus(withContinue.body, 422, 'Invalid', /forbidden when continue/);
    const exactZero = await api.get<Status>(`${CM}?resourceVersion=0&resourceVersionMatch=Exact`);
    assertStatus(exactZero.body, 422, 'Invalid', /resourceVersionMatch/);
    const unknown = await api.get<Status>(`${CM}?resourceVersion=1&resourceVersionMatch=Bogus`);
    assertStatus(unknown.body, 422, 'Invalid', /Unsupported value/);
    // Exact reads go to etcd, which refuses a revision it has not reached: no API status, a 500.
    const exactFuture = await api.get<Status>(`${CM}?resourceVersion=999999999&resourceVersionMatch=Exact`);
    assert.equal(exactFuture.status, 500);
    assert.equal(exactFuture.body.reason, undefined);
    assert.equal(exactFuture.body.message, 'etcdserver: mvcc: required revision is a future revision');
  });

  it('an update without resourceVersion of a custom resource is a 422, of a built-in unconditional', async () => {
    await api.post(CM, configMap('uncond', { a: '1' }));
    const res = await api.put(`${CM}/uncond`, configMap('uncond', { a: '2' }));
    assert.equal(res.status, 200);
  });
});
