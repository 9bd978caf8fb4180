/**
 * Hostile request bodies: each limit of the real API server, reached through every body type
 * (JSON, YAML, protobuf, each patch type, apply), answers the real code and text; the server
 * stays responsive, its memory bounded, and what was stored before is untouched.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeKubernetesProtobuf, PROTOBUF_MEDIA_TYPE } from '../../src/apiserver/codec/protobuf-codec.js';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeObject } from '../../src/core/index.js';
import { type Api, configMap, type Reply, startTestServer } from '../apiserver/helpers.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const SECRETS = '/api/v1/namespaces/default/secrets';
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const BLOBS = '/apis/example.com/v1/namespaces/default/blobs';
const JSON_PATCH = 'application/json-patch+json';
const MERGE = 'application/merge-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';
const APPLY = 'application/apply-patch+yaml';
const MiB = 1024 * 1024;

const DATA_TOO_LONG = 'Too long: may not be more than 1048576 bytes';
const ANNOTATIONS_TOO_LONG = 'metadata.annotations: Too long: may not be more than 262144 bytes';
const NOT_APPLIED = 'the server rejected our request due to an error in our request';

/** The billion-laughs YAML of CVE-2019-11253: ~440 bytes, 10^9 strings once expanded. */
function yamlBomb(): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: bomb', 'data:'];
  lines.push('  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]');
  const names = 'abcdefghi';
  for (let i = 1; i < names.length; i++) {
    const prev = `*${names[i - 1]}`;
    lines.push(`  ${names[i]}: &${names[i]} [${Array(9).fill(prev).join(',')}]`);
  }
  return `${lines.join('\n')}\n`;
}

function nested(depth: number, open = '[', close = ']'): string {
  return `${open.repeat(depth)}${close.repeat(depth)}`;
}

function expectStatus(reply: Reply, code: number, message: string, reason?: string): void {
  assert.equal(reply.status, code, reply.text.slice(0, 500));
  assert.equal(reply.body.kind, 'Status', reply.text.slice(0, 500));
  assert.equal(reply.body.message, message);
  if (reason !== undefined) assert.equal(reply.body.reason, reason);
}

describe('apiserver hostile bodies: the real limits, codes and texts', () => {
  let server: ApiServer;
  let api: Api;
  let keep: KubeObject;
  let heapBefore = 0;

  const healthy = async (): Promise<void> => {
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
  };

  before(async () => {
    ({ server, api } = await startTestServer());
    const kept = await api.post(CMS, configMap('keep', { k: 'v' }));
    assert.equal(kept.status, 201);
    keep = kept.body;
    const crd = await api.post(CRDS, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'blobs.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'blobs', kind: 'Blob' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    });
    assert.equal(crd.status, 201, crd.text);
    heapBefore = process.memoryUsage().heapUsed;
  });

  after(async () => {
    // Earlier data is intact and the server still answers.
    const now = await api.get<KubeObject>(`${CMS}/keep`);
    assert.deepEqual(now.body, keep);
    await healthy();
    // Nothing above may have grown memory past a small multiple of the limits.
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 256 * MiB, `heap grew by ${Math.round(grown / MiB)} MiB`);
    await server.stop();
  });

  describe('request body: 3 MiB', () => {
    const big = JSON.stringify(configMap('huge', { k: 'x'.repeat(3 * MiB) }));
    const tooLarge = 'Request entity too large: limit is 3145728';

    it('refuses a bigger create body, JSON or YAML, with 413 RequestEntityTooLarge', async () => {
      expectStatus(await api.request('POST', CMS, big), 413, tooLarge, 'RequestEntityTooLarge');
      expectStatus(await api.request('POST', CMS, big, 'application/yaml'), 413, tooLarge, 'RequestEntityTooLarge');
      await healthy();
    });

    it('refuses a bigger protobuf body and a bigger patch of every type', async () => {
      const pb = encodeKubernetesProtobuf(configMap('huge', { k: 'x'.repeat(3 * MiB) }) as never);
      expectStatus(await api.request('POST', CMS, pb, PROTOBUF_MEDIA_TYPE), 413, tooLarge);
      for (const type of [MERGE, STRATEGIC, APPLY]) {
        expectStatus(await api.request('PATCH', `${CMS}/keep?fieldManager=t`, big, type), 413, tooLarge);
      }
      const ops = JSON.stringify([{ op: 'add', path: '/data/big', value: 'x'.repeat(3 * MiB) }]);
      expectStatus(await api.request('PATCH', `${CMS}/keep`, ops, JSON_PATCH), 413, tooLarge);
      await healthy();
    });
  });

  describe('ConfigMap and Secret data: 1 MiB', () => {
    const over = 'x'.repeat(MiB + 1);
    const cmInvalid = (name: string): string => `ConfigMap "${name}" is invalid: []: ${DATA_TOO_LONG}`;

    it('refuses a create over 1 MiB in JSON, YAML and protobuf with 422 on the field path []', async () => {
      const json = await api.post(CMS, configMap('big', { k: over }));
      expectStatus(json, 422, cmInvalid('big'), 'Invalid');
      assert.deepEqual(json.body.details, {
        name: 'big',
        kind: 'ConfigMap',
        causes: [{ reason: 'FieldValueTooLong', message: DATA_TOO_LONG, field: '[]' }],
      });
      const yaml = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  k: ${over}\n`;
      expectStatus(await api.request('POST', CMS, yaml, 'application/yaml'), 422, cmInvalid('big'));
      const pb = encodeKubernetesProtobuf(configMap('big', { k: over }) as never);
      expectStatus(await api.request('POST', CMS, pb, PROTOBUF_MEDIA_TYPE), 422, cmInvalid('big'));
      // binaryData counts decoded bytes: 1 MiB + 1 of them, in base64.
      const binary = { ...configMap('bin'), binaryData: { b: Buffer.alloc(MiB + 1).toString('base64') } };
      expectStatus(await api.post(CMS, binary), 422, cmInvalid('bin'));
      assert.equal((await api.get(`${CMS}/big`)).status, 404);
    });

    it('accepts exactly 1 MiB', async () => {
      const ok = await api.post(CMS, configMap('full', { k: 'x'.repeat(MiB) }));
      assert.equal(ok.status, 201);
      assert.equal((await api.delete(`${CMS}/full`)).status, 200);
    });

    it('refuses growth past 1 MiB by every patch type and apply; the object stays as it was', async () => {
      const created = await api.post(CMS, configMap('grow', { a: 'x'.repeat(600_000) }));
      assert.equal(created.status, 201);
      const add = { data: { b: 'y'.repeat(600_000) } };
      expectStatus(await api.patch(`${CMS}/grow`, add, MERGE), 422, cmInvalid('grow'));
      expectStatus(await api.patch(`${CMS}/grow`, add, STRATEGIC), 422, cmInvalid('grow'));
      const ops = [{ op: 'copy', from: '/data/a', path: '/data/b' }];
      expectStatus(await api.patch(`${CMS}/grow`, ops, JSON_PATCH), 422, cmInvalid('grow'));
      const applied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'grow' }, ...add };
      expectStatus(await api.patch(`${CMS}/grow?fieldManager=t&force=true`, applied, APPLY), 422, cmInvalid('grow'));
      const put = { ...created.body, data: { ...(created.body.data as object), ...add.data } };
      expectStatus(await api.put(`${CMS}/grow`, put), 422, cmInvalid('grow'));
      const now = await api.get<KubeObject>(`${CMS}/grow`);
      assert.deepEqual(now.body, created.body);
    });

    it('refuses Secret data over 1 MiB decoded, stringData included, on the field path data', async () => {
      const secret = (name: string, extra: Record<string, unknown>): KubeObject => ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name },
        ...extra,
      });
      const message = `Secret "s" is invalid: data: ${DATA_TOO_LONG}`;
      const data = { k: Buffer.alloc(MiB + 1).toString('base64') };
      expectStatus(await api.post(SECRETS, secret('s', { data })), 422, message);
      expectStatus(await api.post(SECRETS, secret('s', { stringData: { k: over } })), 422, message);
      // Base64 text over 1 MiB that decodes to less is fine.
      const fits = { k: Buffer.alloc(MiB - 10).toString('base64') };
      assert.equal((await api.post(SECRETS, secret('fits', { data: fits }))).status, 201);
    });
  });

  describe('annotations: 256 KiB', () => {
    it('refuses a create and a patch over the limit with the 1.33 text', async () => {
      const big = { ...configMap('ann'), metadata: { name: 'ann', annotations: { a: 'x'.repeat(262_144) } } };
      expectStatus(await api.post(CMS, big), 422, `ConfigMap "ann" is invalid: ${ANNOTATIONS_TOO_LONG}`);
      const blob = { apiVersion: 'example.com/v1', kind: 'Blob', metadata: big.metadata };
      expectStatus(await api.post(BLOBS, blob), 422, `Blob.example.com "ann" is invalid: ${ANNOTATIONS_TOO_LONG}`);
      const patch = { metadata: { annotations: { a: 'x'.repeat(200_000), b: 'y'.repeat(70_000) } } };
      expectStatus(
        await api.patch(`${CMS}/keep`, patch, MERGE),
        422,
        `ConfigMap "keep" is invalid: ${ANNOTATIONS_TOO_LONG}`,
      );
    });
  });

  describe('stored object: etcd 1.5 MiB', () => {
    const tooLarge = 'etcdserver: request is too large';

    it('answers 500 with no reason, as etcd refuses the write; dry runs pass', async () => {
      const blob = {
        apiVersion: 'example.com/v1',
        kind: 'Blob',
        metadata: { name: 'b' },
        spec: { x: 'x'.repeat(1.6 * MiB) },
      };
      const refused = await api.post(BLOBS, blob);
      expectStatus(refused, 500, tooLarge);
      assert.equal(refused.body.reason, undefined);
      assert.equal((await api.post(`${BLOBS}?dryRun=All`, blob)).status, 201);
      assert.equal((await api.get(`${BLOBS}/b`)).status, 404);
    });

    it('refuses growth past it by a JSON patch copy and by apply, leaving the object as it was', async () => {
      const small = {
        apiVersion: 'example.com/v1',
        kind: 'Blob',
        metadata: { name: 'g' },
        spec: { x: 'x'.repeat(600_000) },
      };
      const created = await api.post(BLOBS, small);
      assert.equal(created.status, 201);
      const copies = [
        { op: 'copy', from: '/spec/x', path: '/spec/y' },
        { op: 'copy', from: '/spec/x', path: '/spec/z' },
      ];
      expectStatus(await api.patch(`${BLOBS}/g`, copies, JSON_PATCH), 500, tooLarge);
      const applied = { ...small, spec: { ...small.spec, y: 'y'.repeat(1_000_000) } };
      expectStatus(await api.patch(`${BLOBS}/g?fieldManager=t`, applied, APPLY), 500, tooLarge);
      assert.deepEqual((await api.get<KubeObject>(`${BLOBS}/g`)).body, created.body);
      await healthy();
    });
  });

  describe('JSON patch: 10,000 operations and 3 MiB of copies', () => {
    it('refuses more than 10,000 operations with 413', async () => {
      const ops = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/data/k', value: 'v' }));
      expectStatus(
        await api.patch(`${CMS}/keep`, ops, JSON_PATCH),
        413,
        'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
        'RequestEntityTooLarge',
      );
      const fine = Array.from({ length: 10_000 }, () => ({ op: 'test', path: '/data/k', value: 'v' }));
      assert.equal((await api.patch(`${CMS}/keep`, fine, JSON_PATCH)).status, 200);
    });

    it('stops doubling copies at the accumulated copy limit with the bare 422 (CVE-2019-1002100)', async () => {
      const blob = {
        apiVersion: 'example.com/v1',
        kind: 'Blob',
        metadata: { name: 'copies' },
        spec: { v: ['x'.repeat(1000)] },
      };
      const created = await api.post<KubeObject>(BLOBS, blob);
      assert.equal(created.status, 201);
      // Each copy doubles the array: 21 of them would be 2 GiB; the 3 MiB limit stops the 12th.
      const ops = Array.from({ length: 21 }, () => ({ op: 'copy', from: '/spec/v', path: '/spec/v/-' }));
      const refused = await api.patch(`${BLOBS}/copies`, ops, JSON_PATCH);
      expectStatus(refused, 422, NOT_APPLIED, 'Invalid');
      assert.deepEqual(refused.body.details, {});
      assert.deepEqual((await api.get<KubeObject>(`${BLOBS}/copies`)).body, created.body);
      // Under the limit, copies apply.
      const fine = await api.patch(`${BLOBS}/copies`, ops.slice(0, 4), JSON_PATCH);
      assert.equal(fine.status, 200, fine.text.slice(0, 300));
      await healthy();
    });
  });

  describe('YAML alias bombs (CVE-2019-11253)', () => {
    it('refuses the billion laughs on create, update and apply with go-yaml text', async () => {
      const bomb = yamlBomb();
      assert.ok(bomb.length < 600);
      const summary = `${Buffer.from(bomb).subarray(0, 30).toString('hex')} ...`;
      const createText = `the object provided is unrecognized (must be of type ConfigMap): yaml: document contains excessive aliasing (${summary})`;
      expectStatus(await api.request('POST', CMS, bomb, 'application/yaml'), 400, createText, 'BadRequest');
      expectStatus(await api.request('PUT', `${CMS}/bomb`, bomb, 'application/yaml'), 400, createText);
      expectStatus(
        await api.request('PATCH', `${CMS}/bomb?fieldManager=t`, bomb, APPLY),
        400,
        'error decoding YAML: error converting YAML to JSON: yaml: document contains excessive aliasing',
      );
      await healthy();
    });

    it('accepts a few aliases, each its own copy once stored', async () => {
      const yaml = [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: aliased',
        '  labels: &l {app: web}',
        '  annotations: *l',
        'data: {a: &v hello, b: *v}',
        '',
      ].join('\n');
      const created = await api.request<KubeObject>('POST', CMS, yaml, 'application/yaml');
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.body.metadata.labels, { app: 'web' });
      assert.deepEqual(created.body.metadata.annotations, { app: 'web' });
      assert.deepEqual(created.body.data, { a: 'hello', b: 'hello' });
    });
  });

  describe('nesting depth', () => {
    const deep = (depth: number): string =>
      `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":{"k":${nested(depth - 2)}}}`;

    it('answers a JSON body nested 10,001 deep with the real decoder text, never a 500', async () => {
      const body = deep(10_001);
      expectStatus(
        await api.request('POST', CMS, body),
        400,
        `the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: invalid character '[' exceeded max depth ({"apiVersion":"v1","kind":"Con ...)`,
        'BadRequest',
      );
      expectStatus(
        await api.request('POST', CMS, body, 'application/yaml'),
        400,
        `the object provided is unrecognized (must be of type ConfigMap): yaml: exceeded max depth of 10000 ({"apiVersion":"v1","kind":"Con ...)`,
      );
      await healthy();
    });

    it('answers deep patches of every type and apply as each real reader does', async () => {
      const patch = `{"data":{"k":${nested(10_000)}}}`;
      const depthText = "invalid character '[' exceeded max depth";
      expectStatus(await api.request('PATCH', `${CMS}/keep`, patch, MERGE), 400, `error decoding patch: ${depthText}`);
      expectStatus(await api.request('PATCH', `${CMS}/keep`, patch, STRATEGIC), 400, depthText);
      const ops = `[{"op":"add","path":"/data/x","value":${nested(10_000)}}]`;
      expectStatus(
        await api.request('PATCH', `${CMS}/keep`, ops, JSON_PATCH),
        400,
        `error decoding patch: ${depthText}`,
      );
      expectStatus(
        await api.request('PATCH', `${CMS}/keep?fieldManager=t`, patch, APPLY),
        400,
        'error decoding YAML: error converting YAML to JSON: yaml: exceeded max depth of 10000',
      );
      const blockYaml = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  k:\n  ${'- '.repeat(5000)}x\n`;
      const refused = await api.request('POST', CMS, blockYaml, 'application/yaml');
      assert.equal(refused.status, 400, refused.text.slice(0, 300));
      // Go would read 5000 levels; the emulator stops at its own limit, in go-yaml's words.
      assert.match(String(refused.body.message), /: yaml: line 7: exceeded max depth of 1000 \(/);
    });

    it('refuses deep JSON inside a protobuf body with a 400', async () => {
      // A ControllerRevision whose data (a RawExtension) is JSON nested 20,000 deep.
      const raw = Buffer.from(`{"x":${nested(20_000)}}`);
      const revision = Buffer.concat([
        field(1, field(1, Buffer.from('deep'))),
        field(2, field(1, raw)),
        Buffer.from([0x18, 0x01]),
      ]);
      const unknown = Buffer.concat([
        field(1, Buffer.concat([field(1, Buffer.from('apps/v1')), field(2, Buffer.from('ControllerRevision'))])),
        field(2, revision),
      ]);
      const body = Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), unknown]);
      const refused = await api.request(
        'POST',
        '/apis/apps/v1/namespaces/default/controllerrevisions',
        body,
        PROTOBUF_MEDIA_TYPE,
      );
      assert.equal(refused.status, 400, refused.text.slice(0, 300));
      assert.match(String(refused.body.message), /invalid character '\[' exceeded max depth/);
      await healthy();
    });

    it('stores, reads, patches and applies a custom resource nested as deep as the emulator allows', async () => {
      const value = JSON.parse(nested(990, '{"a":', '}').replace(/\{"a":\}/, '{"a":1}')) as unknown;
      const blob = { apiVersion: 'example.com/v1', kind: 'Blob', metadata: { name: 'deep' }, spec: { v: value } };
      const created = await api.post(BLOBS, blob);
      assert.equal(created.status, 201, created.text.slice(0, 300));
      const yaml = await api.request('GET', `${BLOBS}/deep`, undefined, 'application/json', {
        accept: 'application/yaml',
      });
      assert.equal(yaml.status, 200);
      const merged = await api.patch(`${BLOBS}/deep`, { spec: { w: 1 } }, MERGE);
      assert.equal(merged.status, 200, merged.text.slice(0, 300));
      const patched = await api.patch(`${BLOBS}/deep`, [{ op: 'copy', from: '/spec/v', path: '/spec/u' }], JSON_PATCH);
      assert.equal(patched.status, 200, patched.text.slice(0, 300));
      const applied = await api.patch(`${BLOBS}/deep?fieldManager=t`, blob, APPLY);
      assert.equal(applied.status, 200, applied.text.slice(0, 300));
      await healthy();
    });
  });
});

/** A protobuf length-delimited field: its tag, the length as a varint, the bytes. */
function field(number: number, bytes: Buffer): Buffer {
  const length: number[] = [];
  let n = bytes.length;
  while (n >= 0x80) {
    length.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  length.push(n);
  return Buffer.concat([Buffer.from([(number << 3) | 2, ...length]), bytes]);
}
