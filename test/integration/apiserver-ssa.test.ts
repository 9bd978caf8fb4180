import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeObject, Status } from '../../src/core/index.js';
import { type Api, configMap, startTestServer } from '../apiserver/helpers.js';

const CM = '/api/v1/namespaces/default/configmaps';
const APPLY = 'application/apply-patch+yaml';

describe('apiserver server-side apply over HTTP', () => {
  let server: ApiServer;
  let api: Api;
  const apply = (name: string, body: unknown, manager: string, force = false, base = CM) =>
    api.patch<KubeObject>(`${base}/${name}?fieldManager=${manager}${force ? '&force=true' : ''}`, body, APPLY);
  before(async () => {
    ({ server, api } = await startTestServer());
  });
  after(() => server.stop());

  it('records managedFields, shares equal values, conflicts on different ones, and force takes ownership', async () => {
    const a = await apply('shared', configMap('shared', { x: '1', y: '1' }), 'alice');
    assert.equal(a.status, 201);
    const entries = a.body.metadata.managedFields ?? [];
    assert.equal(entries.length, 1);
    assert.equal(entries[0].manager, 'alice');
    assert.equal(entries[0].operation, 'Apply');
    assert.deepEqual(entries[0].fieldsV1, { 'f:data': { 'f:x': {}, 'f:y': {} } });

    const same = await apply('shared', configMap('shared', { x: '1' }), 'bob');
    assert.equal(same.status, 200, 'an equal value is shared, not a conflict');

    const conflict = await apply('shared', configMap('shared', { x: '2' }), 'bob');
    assert.equal(conflict.status, 409);
    const status = conflict.body as unknown as Status;
    assert.equal(status.reason, 'Conflict');
    assert.match(String(status.message), /^Apply failed with \d conflicts?: conflict with "alice"/);
    assert.equal(status.details?.causes?.[0]?.reason, 'FieldManagerConflict');
    assert.equal(status.details?.causes?.[0]?.field, '.data.x');

    const forced = await apply('shared', configMap('shared', { x: '2' }), 'bob', true);
    assert.equal(forced.status, 200);
    assert.equal((forced.body.data as Record<string, string>).x, '2');
    const alice = forced.body.metadata.managedFields?.find((m) => m.manager === 'alice');
    assert.deepEqual(alice?.fieldsV1, { 'f:data': { 'f:y': {} } }, 'force moved .data.x to bob');
  });

  it('removes fields a manager applied before and now omits, unless another owns them', async () => {
    await apply('omit', configMap('omit', { a: '1', b: '1', c: '1' }), 'one');
    await apply('omit', configMap('omit', { c: '1' }), 'two');
    const res = await apply('omit', configMap('omit', { a: '1' }), 'one');
    assert.deepEqual(res.body.data, { a: '1', c: '1' }, 'b removed, c kept for "two"');
  });

  it('a write that owns nothing leaves no managedFields (never an empty list)', async () => {
    const res = await api.post<KubeObject>(`${CM}?fieldManager=bare`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'bare' },
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.metadata.managedFields, undefined, JSON.stringify(res.body.metadata.managedFields));
  });

  it('refuses an applied body that carries managedFields (400) and a bad force value (400)', async () => {
    const withFields = await apply(
      'mf-body',
      { ...configMap('mf-body'), metadata: { name: 'mf-body', managedFields: [{ manager: 'x', operation: 'Apply' }] } },
      'mf',
    );
    assert.equal(withFields.status, 400);
    assert.match(JSON.stringify(withFields.body), /managedFields must be nil/);
    const badForce = await api.patch<Status>(`${CM}/mf-body?fieldManager=mf&force=maybe`, configMap('mf-body'), APPLY);
    assert.equal(badForce.status, 400);
  });

  it('keeps the resourceVersion for a repeated identical apply', async () => {
    const first = await apply('same', configMap('same', { a: '1' }), 'm');
    const again = await apply('same', configMap('same', { a: '1' }), 'm');
    assert.equal(again.status, 200);
    assert.equal(again.body.metadata.resourceVersion, first.body.metadata.resourceVersion);
  });

  it('merges keyed lists of built-ins by their merge keys', async () => {
    const base = '/apis/apps/v1/namespaces/default/deployments';
    const dep = (containers: unknown[]) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'keyed' },
      spec: {
        selector: { matchLabels: { app: 'k' } },
        template: { metadata: { labels: { app: 'k' } }, spec: { containers } },
      },
    });
    await apply('keyed', dep([{ name: 'app', image: 'app:1' }]), 'app-team', false, base);
    const res = await apply('keyed', dep([{ name: 'sidecar', image: 'side:1' }]), 'mesh', false, base);
    assert.equal(res.status, 200);
    const containers = (res.body.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec
      .containers;
    assert.deepEqual(
      containers.map((c) => c.name),
      ['app', 'sidecar'],
    );
  });

  it('non-apply writes record Update entries and take ownership of what they change', async () => {
    await apply('upd', configMap('upd', { a: '1' }), 'applier');
    const patched = await api.patch<KubeObject>(`${CM}/upd?fieldManager=editor`, { data: { a: '2' } });
    const editor = patched.body.metadata.managedFields?.find((m) => m.manager === 'editor');
    assert.equal(editor?.operation, 'Update');
    assert.deepEqual(editor?.fieldsV1, { 'f:data': { 'f:a': {} } });
    const back = await apply('upd', configMap('upd', { a: '1' }), 'applier');
    assert.equal(back.status, 409, 'the editor now owns .data.a');
  });

  it('applies to /status of a custom resource with a status subresource', async () => {
    await api.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'things.ssa.dev' },
      spec: {
        group: 'ssa.dev',
        scope: 'Namespaced',
        names: { plural: 'things', kind: 'Thing' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  spec: {
                    type: 'object',
                    properties: {
                      ports: {
                        type: 'array',
                        'x-kubernetes-list-type': 'map',
                        'x-kubernetes-list-map-keys': ['port'],
                        items: { type: 'object', required: ['port'], properties: { port: { type: 'integer' } } },
                      },
                    },
                  },
                },
              },
            },
          },
        ],
      },
    });
    const base = '/apis/ssa.dev/v1/namespaces/default/things';
    const thing = (spec: unknown, status?: unknown) => ({
      apiVersion: 'ssa.dev/v1',
      kind: 'Thing',
      metadata: { name: 't' },
      spec,
      ...(status ? { status } : {}),
    });
    const created = await apply('t', thing({ ports: [{ port: 80 }] }, { ignored: true }), 'a', false, base);
    assert.equal(created.status, 201);
    assert.equal(created.body.status, undefined, 'the main endpoint ignores status');
    const merged = await apply('t', thing({ ports: [{ port: 443 }] }), 'b', false, base);
    assert.deepEqual(
      (merged.body.spec as { ports: unknown[] }).ports,
      [{ port: 80 }, { port: 443 }],
      'map list merged by key',
    );
    const st = await api.patch<KubeObject>(
      `${base}/t/status?fieldManager=c`,
      { apiVersion: 'ssa.dev/v1', kind: 'Thing', metadata: { name: 't' }, status: { ready: true } },
      APPLY,
    );
    assert.equal(st.status, 200);
    assert.deepEqual(st.body.status, { ready: true });
    const entry = st.body.metadata.managedFields?.find((m) => m.manager === 'c');
    assert.equal(entry?.subresource, 'status');
  });
});
