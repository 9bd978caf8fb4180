// The emulator validates custom resources as the API server does, on every write path, with the
// upstream messages (the case table is shared with the kubectl test in test/e2e/crd-kubectl.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeObject, Status } from '../../src/core/index.js';
import { type Api, startTestServer } from '../apiserver/helpers.js';
import { Probe } from '../fixtures/probe-resource.js';
import {
  caseObjectName,
  invalidMessage,
  RULES_NOT_CHECKED,
  VALIDATION_CASES,
  type ValidationCase,
} from '../fixtures/validation-cases.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const PROBES = '/apis/validation.kloop.dev/v1/namespaces/default/probes';
const APPLY = 'application/apply-patch+yaml';
const JSON_PATCH = 'application/json-patch+json';

type ProbeObject = KubeObject & { spec: Record<string, unknown>; status?: Record<string, unknown> };

function probe(name: string, spec: Record<string, unknown>, status?: Record<string, unknown>): ProbeObject {
  return {
    apiVersion: 'validation.kloop.dev/v1',
    kind: 'Probe',
    metadata: { name },
    spec,
    ...(status ? { status } : {}),
  };
}

/** Asserts a 422 with the upstream message, reason, details and one cause per error. */
function assertInvalid(
  reply: { status: number; body: unknown; text: string },
  name: string,
  errors: readonly string[],
) {
  assert.equal(reply.status, 422, reply.text);
  const status = reply.body as Status;
  assert.equal(status.reason, 'Invalid');
  assert.equal(status.message, invalidMessage(name, errors));
  assert.equal(status.details?.name, name);
  assert.equal(status.details?.group, 'validation.kloop.dev');
  assert.equal(status.details?.kind, 'Probe');
  assert.deepEqual(
    status.details?.causes?.map((c) => `${c.field}: ${c.message}`),
    errors,
    'one cause per error: field and message',
  );
}

describe('custom resource validation over HTTP', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer({ resources: [Probe] }));
  });
  after(() => server.stop());

  describe('each keyword and CEL feature, with the upstream message', () => {
    VALIDATION_CASES.forEach((c: ValidationCase, i) => {
      it(c.name, async () => {
        const name = caseObjectName(c, i);
        if (c.before !== undefined) {
          const created = await api.post<ProbeObject>(PROBES, probe(name, c.before));
          assert.equal(created.status, 201, created.text);
          const update = { ...created.body, spec: c.spec };
          assertInvalid(await api.put(`${PROBES}/${name}`, update), name, c.errors);
        } else {
          assertInvalid(await api.post(PROBES, probe(name, c.spec)), name, c.errors);
        }
        assert.equal((await api.get(`${PROBES}/${name}`)).status, c.before === undefined ? 404 : 200, 'nothing stored');
      });
    });
  });

  describe('every write path validates', () => {
    const tooBig = ['spec.max: Invalid value: 50: spec.max in body should be less than or equal to 10'];
    let stored: ProbeObject;
    before(async () => {
      const created = await api.post<ProbeObject>(PROBES, probe('paths', { max: 3 }));
      assert.equal(created.status, 201, created.text);
      stored = created.body;
    });

    it('PUT', async () => {
      assertInvalid(await api.put(`${PROBES}/paths`, { ...stored, spec: { max: 50 } }), 'paths', tooBig);
    });
    it('merge patch', async () => {
      assertInvalid(await api.patch(`${PROBES}/paths`, { spec: { max: 50 } }), 'paths', tooBig);
    });
    it('JSON patch', async () => {
      const ops = [{ op: 'replace', path: '/spec/max', value: 50 }];
      assertInvalid(await api.patch(`${PROBES}/paths`, ops, JSON_PATCH), 'paths', tooBig);
    });
    it('server-side apply, to an existing object and as a create', async () => {
      const applied = JSON.stringify(probe('paths', { max: 50 }));
      // force: the field belongs to the creator; without it the apply is a 409 conflict first.
      assertInvalid(await api.patch(`${PROBES}/paths?fieldManager=t&force=true`, applied, APPLY), 'paths', tooBig);
      const fresh = JSON.stringify(probe('applied', { max: 50 }));
      assertInvalid(await api.patch(`${PROBES}/applied?fieldManager=t`, fresh, APPLY), 'applied', tooBig);
    });
    it('/status validates the status with its schema and the scale status path', async () => {
      const phase = await api.patch(`${PROBES}/paths/status`, { status: { phase: 'Gone' } });
      assertInvalid(phase, 'paths', [
        'status.phase: Unsupported value: "Gone": supported values: "Pending", "Ready"',
        RULES_NOT_CHECKED,
      ]);
      const count = await api.patch(`${PROBES}/paths/status`, { status: { count: -1 } });
      assertInvalid(count, 'paths', [
        // The status validator is rooted at the status: kube-openapi names the field from there.
        'status.count: Invalid value: -1: count in body should be greater than or equal to 0',
        // The scale subresource's statusReplicasPath, named as written (upstream ValidateScaleStatus).
        '.status.count: Invalid value: -1: should be a non-negative integer',
      ]);
      const ok = await api.patch<ProbeObject>(`${PROBES}/paths/status`, { status: { phase: 'Ready', count: 2 } });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(ok.body.status, { phase: 'Ready', count: 2 });
    });
    it('/scale validates the object it changes', async () => {
      assertInvalid(await api.patch(`${PROBES}/paths/scale`, { spec: { replicas: 50 } }), 'paths', tooBig);
      const ok = await api.patch<{ spec: { replicas: number } }>(`${PROBES}/paths/scale`, { spec: { replicas: 7 } });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.spec.replicas, 7);
    });
    it('dryRun validates too, and stores nothing', async () => {
      assertInvalid(await api.post(`${PROBES}?dryRun=All`, probe('dry', { max: 50 })), 'dry', tooBig);
      assert.equal((await api.post(`${PROBES}?dryRun=All`, probe('dry', { max: 5 }))).status, 201);
      assert.equal((await api.get(`${PROBES}/dry`)).status, 404);
    });
  });

  describe('status subresource semantics', () => {
    it('create drops status; main writes keep it; /status keeps the rest; generation follows spec only', async () => {
      const created = await api.post<ProbeObject>(PROBES, probe('st', { max: 1 }, { phase: 'Ready' }));
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.status, undefined, 'create drops status');
      const withStatus = await api.patch<ProbeObject>(`${PROBES}/st/status`, {
        status: { phase: 'Pending' },
        spec: { max: 9 },
      });
      assert.deepEqual(withStatus.body.status, { phase: 'Pending' });
      assert.deepEqual(withStatus.body.spec, { max: 1 }, '/status ignores spec');
      assert.equal(withStatus.body.metadata.generation, 1, 'a status change keeps the generation');
      const main = await api.patch<ProbeObject>(`${PROBES}/st`, { spec: { max: 2 }, status: { phase: 'Ready' } });
      assert.deepEqual(main.body.status, { phase: 'Pending' }, 'the main resource ignores status');
      assert.equal(main.body.metadata.generation, 2);
      // An invalid status sent to the main resource is dropped, not validated (the old one stays).
      const ignored = await api.patch<ProbeObject>(`${PROBES}/st`, { status: { phase: 'Gone' } });
      assert.equal(ignored.status, 200, ignored.text);
    });
  });

  describe('pruning, defaulting and warnings', () => {
    it('unknown fields: a Warning each by default, 400 with Strict, silence with Ignore; metadata too', async () => {
      const body = { ...probe('unknown', { max: 1, extra: true }), other: 1 };
      (body.metadata as Record<string, unknown>).bogus = 'x';
      const warned = await api.post<ProbeObject>(PROBES, body);
      assert.equal(warned.status, 201, warned.text);
      assert.deepEqual(warned.body.spec, { max: 1 });
      assert.equal((warned.body as Record<string, unknown>).other, undefined);
      assert.equal(warned.body.metadata.bogus, undefined);
      assert.equal(
        warned.headers.get('warning'),
        '299 - "unknown field \\"metadata.bogus\\"", 299 - "unknown field \\"other\\"", 299 - "unknown field \\"spec.extra\\""',
      );
      const strict = await api.post<Status>(`${PROBES}?fieldValidation=Strict`, {
        ...probe('u2', { max: 1, extra: true }),
      });
      assert.equal(strict.status, 400);
      assert.equal(strict.body.message, 'strict decoding error: unknown field "spec.extra"');
      const quiet = await api.post(`${PROBES}?fieldValidation=Ignore`, probe('u3', { max: 1, extra: true }));
      assert.equal(quiet.status, 201);
      assert.equal(quiet.headers.get('warning'), null);
    });

    it('a rule failing on a value the update left unchanged is a warning (ratcheting); schema errors there are dropped', async () => {
      await createCrd(api, 'ratchets', { max: { type: 'integer' }, name: { type: 'string' } });
      const base = '/apis/ratchet.kloop.dev/v1/namespaces/default/ratchets';
      const created = await api.post<ProbeObject>(base, {
        apiVersion: 'ratchet.kloop.dev/v1',
        kind: 'Ratchet',
        metadata: { name: 'r' },
        spec: { max: 50, name: 'Z' },
      });
      assert.equal(created.status, 201, created.text);
      // The CRD tightens: max at most 10, names lower-case by rule. The stored object breaks both.
      await updateCrd(api, 'ratchets', {
        max: { type: 'integer', maximum: 10 },
        name: {
          type: 'string',
          'x-kubernetes-validations': [{ rule: 'self.lowerAscii() == self', message: 'lower case' }],
        },
        note: { type: 'string' },
      });
      const touched = await api.patch<ProbeObject>(`${base}/r`, { spec: { note: 'hi' } });
      assert.equal(touched.status, 200, touched.text);
      assert.equal(touched.headers.get('warning'), '299 - "spec.name: Invalid value: \\"string\\": lower case"');
      const changed = await api.patch<Status>(`${base}/r`, { spec: { max: 51 } });
      assert.equal(changed.status, 422);
      assert.equal(
        changed.body.message,
        'Ratchet.ratchet.kloop.dev "r" is invalid: spec.max: Invalid value: 51: spec.max in body should be less than or equal to 10',
      );
    });

    it('defaults apply on write, and on read when the storage schema gains one (without a new resourceVersion)', async () => {
      await createCrd(api, 'defaulteds', { size: { type: 'integer', default: 3 } });
      const base = '/apis/ratchet.kloop.dev/v1/namespaces/default/defaulteds';
      const created = await api.post<ProbeObject>(base, {
        apiVersion: 'ratchet.kloop.dev/v1',
        kind: 'Defaulted',
        metadata: { name: 'd' },
        spec: {},
      });
      assert.deepEqual(created.body.spec, { size: 3 });
      await updateCrd(api, 'defaulteds', {
        size: { type: 'integer', default: 3 },
        mode: { type: 'string', default: 'auto' },
      });
      const read = await api.get<ProbeObject>(`${base}/d`);
      assert.deepEqual(read.body.spec, { size: 3, mode: 'auto' });
      assert.equal(read.body.metadata.resourceVersion, created.body.metadata.resourceVersion);
      const listed = await api.get<{ items: ProbeObject[] }>(base);
      assert.deepEqual(listed.body.items[0]!.spec, { size: 3, mode: 'auto' });
    });
  });

  describe('CRDs the API server refuses', () => {
    const crd = (name: string, schema: unknown) => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${name}.refused.kloop.dev` },
      spec: {
        group: 'refused.kloop.dev',
        scope: 'Namespaced',
        names: { plural: name, kind: 'Refused' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }],
      },
    });

    it('a schema that is not structural', async () => {
      const reply = await api.post<Status>(
        CRDS,
        crd('nonstructurals', { type: 'object', properties: { spec: { properties: { a: { type: 'string' } } } } }),
      );
      assert.equal(reply.status, 422, reply.text);
      assert.equal(
        reply.body.message,
        'CustomResourceDefinition.apiextensions.k8s.io "nonstructurals.refused.kloop.dev" is invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
      );
      assert.equal(reply.body.details?.causes?.[0]?.reason, 'FieldValueRequired');
    });

    it('a missing schema, a bad default, a rule that does not compile', async () => {
      const missing = await api.post<Status>(CRDS, crd('schemaless', undefined));
      assert.equal(missing.status, 422);
      assert.match(
        String(missing.body.message),
        /spec\.versions\[0\]\.schema\.openAPIV3Schema: Required value: schemas are required/,
      );
      const badDefault = await api.post<Status>(
        CRDS,
        crd('defaults', {
          type: 'object',
          properties: { spec: { type: 'object', properties: { n: { type: 'integer', maximum: 1, default: 5 } } } },
        }),
      );
      assert.equal(badDefault.status, 422);
      assert.match(
        String(badDefault.body.message),
        // The default is validated on its own: kube-openapi names it '' (two spaces, as upstream).
        /properties\[n\]\.default: Invalid value: 5: {2}in body should be less than or equal to 1/,
      );
      const rule = await api.post<Status>(
        CRDS,
        crd('rules', {
          type: 'object',
          properties: { spec: { type: 'object', 'x-kubernetes-validations': [{ rule: 'self.nope >' }] } },
        }),
      );
      assert.equal(rule.status, 422);
      assert.match(String(rule.body.message), /x-kubernetes-validations\[0\]\.rule: Invalid value:/);
    });

    it('an update that changes the group, plural or scope, or drops a stored version', async () => {
      const created = await api.post<KubeObject & { spec: Record<string, unknown> }>(
        CRDS,
        crd('keepers', { type: 'object' }),
      );
      assert.equal(created.status, 201, created.text);
      const scoped = await api.put<Status>(`${CRDS}/keepers.refused.kloop.dev`, {
        ...created.body,
        spec: { ...created.body.spec, scope: 'Cluster' },
      });
      assert.equal(scoped.status, 422);
      assert.equal(
        scoped.body.message,
        'CustomResourceDefinition.apiextensions.k8s.io "keepers.refused.kloop.dev" is invalid: spec.scope: Invalid value: "Cluster": field is immutable',
      );
      const renamed = await api.put<Status>(`${CRDS}/keepers.refused.kloop.dev`, {
        ...created.body,
        spec: {
          ...created.body.spec,
          versions: [{ name: 'v2', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
        },
      });
      assert.equal(renamed.status, 422);
      assert.match(
        String(renamed.body.message),
        /status\.storedVersions\[0\]: Invalid value: "v1": must appear in spec\.versions/,
      );
    });

    it('a body that does not decode into a CRD is a 400', async () => {
      const reply = await api.post<Status>(CRDS, { ...crd('bad', { type: 'object' }), spec: { versions: 'v1' } });
      assert.equal(reply.status, 400);
      assert.match(String(reply.body.message), /cannot unmarshal string into Go struct field/);
    });
  });
});

async function createCrd(api: Api, plural: string, spec: Record<string, unknown>): Promise<void> {
  const kind = plural[0]!.toUpperCase() + plural.slice(1, -1);
  const reply = await api.post(CRDS, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.ratchet.kloop.dev` },
    spec: {
      group: 'ratchet.kloop.dev',
      scope: 'Namespaced',
      names: { plural, kind },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: spec } } } },
        },
      ],
    },
  });
  assert.equal(reply.status, 201, reply.text);
}

async function updateCrd(api: Api, plural: string, spec: Record<string, unknown>): Promise<void> {
  const path = `${CRDS}/${plural}.ratchet.kloop.dev`;
  const reply = await api.patch(
    path,
    [
      {
        op: 'replace',
        path: '/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties',
        value: spec,
      },
    ],
    JSON_PATCH,
  );
  assert.equal(reply.status, 200, reply.text);
}
