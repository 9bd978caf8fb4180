/**
 * `POST pods/NAME/binding`, what a scheduler sends: the Pod gets `spec.nodeName`, the Binding's
 * annotations and `PodScheduled=True`; the answer is `Status Success` (201). A second binding, a
 * Pod being deleted and a stale uid are 409 Conflicts as upstream words them; a name that differs
 * from the URL's is a 400. No built-in controllers run here: this is the custom-scheduler case.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import { type Api, startTestServer } from '../apiserver/helpers.js';

const PODS = '/api/v1/namespaces/default/pods';

function binding(name: string, node: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name, ...extra },
    target: { apiVersion: 'v1', kind: 'Node', name: node },
  };
}

describe('the pods/binding subresource', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer());
  });
  after(() => server.stop());

  const pod = async (name: string) => {
    const res = await api.post(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    assert.equal(res.status, 201);
    return res.body;
  };

  it('binds a Pod to a Node: nodeName, annotations, PodScheduled=True; answers Status Success 201', async () => {
    const created = await pod('a');
    const res = await api.post(
      `${PODS}/a/binding`,
      binding('a', 'node-7', { annotations: { 'scheduled-by': 'test' } }),
    );
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    const bound = (await api.get<typeof created>(`${PODS}/a`)).body;
    assert.equal((bound.spec as { nodeName?: string }).nodeName, 'node-7');
    assert.equal(bound.metadata.annotations?.['scheduled-by'], 'test');
    const scheduled = ((bound.status as { conditions?: Record<string, unknown>[] }).conditions ?? []).find(
      (c) => c.type === 'PodScheduled',
    );
    assert.equal(scheduled?.status, 'True');
    assert.notEqual(bound.metadata.resourceVersion, created.metadata.resourceVersion);
  });

  it('refuses a second binding with the upstream 409', async () => {
    await pod('b');
    assert.equal((await api.post(`${PODS}/b/binding`, binding('b', 'node-1'))).status, 201);
    const again = await api.post<{ message: string; reason: string }>(`${PODS}/b/binding`, binding('b', 'node-2'));
    assert.equal(again.status, 409);
    assert.equal(again.body.reason, 'Conflict');
    assert.equal(
      again.body.message,
      'Operation cannot be fulfilled on pods/binding "b": pod b is already assigned to node "node-1"',
    );
  });

  it('refuses a Binding named otherwise (400), a stale uid (409) and a missing Pod (404)', async () => {
    await pod('c');
    const other = await api.post<{ message: string }>(`${PODS}/c/binding`, binding('d', 'node-1'));
    assert.equal(other.status, 400);
    assert.equal(other.body.message, 'name in URL does not match name in Binding object');
    const stale = await api.post<{ message: string }>(
      `${PODS}/c/binding`,
      binding('c', 'node-1', { uid: 'not-the-uid' }),
    );
    assert.equal(stale.status, 409);
    assert.equal(
      stale.body.message,
      'Operation cannot be fulfilled on pods "c": pod UID in binding does not match the existing pod UID',
    );
    assert.equal((await api.post(`${PODS}/nope/binding`, binding('nope', 'node-1'))).status, 404);
    const noTarget = await api.post<{ message: string }>(`${PODS}/c/binding`, {
      kind: 'Binding',
      metadata: { name: 'c' },
      target: {},
    });
    assert.equal(noTarget.status, 500, 'ValidatePodBinding errors surface as an internal error upstream');
    assert.equal(noTarget.body.message, 'Internal error occurred: target.name: Required value');
    assert.equal((await api.get(`${PODS}/c/binding`)).status, 405);
  });
});
