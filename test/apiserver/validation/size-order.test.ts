/**
 * The size limits inside the 422 of validation, where upstream appends them: the annotations'
 * total size right after the annotation keys (`ValidateAnnotations`, before owner references and
 * finalizers), ConfigMap data after its keys (`ValidateConfigMap`), Secret data after its keys and
 * before the rules of its type (`ValidateSecret`). Over HTTP, on create, update and patch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../../src/apiserver/index.js';
import type { KubeObject } from '../../../src/core/index.js';
import { type Api, startTestServer } from '../helpers.js';
import { CONFIG_KEY, NAME_PART } from './helpers.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const SECRETS = '/api/v1/namespaces/default/secrets';
const MiB = 1024 * 1024;
const ANNOTATIONS = 'metadata.annotations: Too long: may not be more than 262144 bytes';
const DATA = 'Too long: may not be more than 1048576 bytes';

function fields(reply: { body: KubeObject }): string[] {
  const details = (reply.body as unknown as { details?: { causes?: { field: string; message: string }[] } }).details;
  return (details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
}

describe('size limits in validation, in upstream order', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer());
  });
  after(() => server.stop());

  const badMeta = {
    labels: { 'bad key!': 'v' },
    annotations: { a: 'x'.repeat(262_144) },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: '' }],
  };
  const metaTexts = [
    `metadata.labels: Invalid value: "bad key!": ${NAME_PART}`,
    ANNOTATIONS,
    'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
  ];

  it('a ConfigMap create: labels, annotation size, owner references, data keys, data size', async () => {
    const res = await api.post(CMS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'both', ...badMeta },
      data: { 'a b': 'x'.repeat(MiB + 1) },
    });
    assert.equal(res.status, 422, res.text.slice(0, 300));
    assert.deepEqual(fields(res), [...metaTexts, `data[a b]: Invalid value: "a b": ${CONFIG_KEY}`, `[]: ${DATA}`]);
  });

  it('a Secret create: data size before the keys its type needs', async () => {
    const res = await api.post(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tls', ...badMeta },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': Buffer.alloc(MiB + 1).toString('base64') },
    });
    assert.equal(res.status, 422, res.text.slice(0, 300));
    assert.deepEqual(fields(res), [...metaTexts, `data: ${DATA}`, 'data[tls.key]: Required value']);
  });

  it("a Deployment's Pod template: its annotations' size too, on the template's path", async () => {
    const labels = { app: 'web' };
    const res = await api.post('/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: { a: 'x'.repeat(262_144) } },
          spec: { containers: [{ name: 'c', image: 'i' }] },
        },
      },
    });
    assert.equal(res.status, 422, res.text.slice(0, 300));
    assert.deepEqual(fields(res), ['spec.template.annotations: Too long: may not be more than 262144 bytes']);
  });

  it('a merge patch: the annotation size between the label and owner reference errors', async () => {
    const created = await api.post(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p' } });
    assert.equal(created.status, 201);
    const res = await api.patch(`${CMS}/p`, { metadata: badMeta }, 'application/merge-patch+json');
    assert.equal(res.status, 422, res.text.slice(0, 300));
    assert.ok(fields(res).join('\n').startsWith(metaTexts.join('\n')), fields(res).join('\n'));
  });
});
