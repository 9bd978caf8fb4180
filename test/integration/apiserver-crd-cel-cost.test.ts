// The emulator refuses, over HTTP, a CustomResourceDefinition whose CEL rules are over the API
// server's static cost limits, with the upstream 422 (reason Invalid, one Forbidden cause per
// error), on create and on an update that introduces the costly rule.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeObject, Status } from '../../src/core/index.js';
import { type Api, startTestServer } from '../apiserver/helpers.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const HINT =
  '(try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)';
const RULE_PATH =
  'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[items].x-kubernetes-validations[0].rule';

function crd(plural: string, items: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.cost.kloop.dev` },
    spec: {
      group: 'cost.kloop.dev',
      scope: 'Namespaced',
      names: { plural, kind: plural[0]!.toUpperCase() + plural.slice(1, -1) },
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
                  properties: {
                    items: { ...items, 'x-kubernetes-validations': [{ rule: "self.all(x, x.matches('^[a-z]+$'))" }] },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

describe('CRD admission: static CEL cost over HTTP', () => {
  let server: ApiServer;
  let api: Api;
  before(async () => {
    ({ server, api } = await startTestServer());
  });
  after(() => server.stop());

  it('a regex per item of a list with maxItems but unbounded strings: 422 with the factor', async () => {
    const reply = await api.post<Status>(
      CRDS,
      crd('lists', { type: 'array', maxItems: 100, items: { type: 'string' } }),
    );
    assert.equal(reply.status, 422, reply.text);
    assert.equal(reply.body.reason, 'Invalid');
    assert.equal(
      reply.body.message,
      `CustomResourceDefinition.apiextensions.k8s.io "lists.cost.kloop.dev" is invalid: ${RULE_PATH}: Forbidden: estimated rule cost exceeds budget by factor of 6.3x ${HINT}`,
    );
    assert.deepEqual(reply.body.details?.causes, [
      {
        reason: 'FieldValueForbidden',
        message: `Forbidden: estimated rule cost exceeds budget by factor of 6.3x ${HINT}`,
        field: RULE_PATH,
      },
    ]);
    assert.equal((await api.get(`${CRDS}/lists.cost.kloop.dev`)).status, 404, 'nothing stored');
  });

  it('an unbounded list: the rule and the whole schema are over budget', async () => {
    const reply = await api.post<Status>(CRDS, crd('unboundeds', { type: 'array', items: { type: 'string' } }));
    assert.equal(reply.status, 422, reply.text);
    assert.deepEqual(
      reply.body.details?.causes?.map((c) => `${c.field}: ${c.message}`),
      [
        `${RULE_PATH}: Forbidden: estimated rule cost exceeds budget by factor of more than 100x ${HINT}`,
        `${RULE_PATH}: Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema`,
        `spec.versions[0].schema.openAPIV3Schema: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of more than 100x ${HINT}`,
      ],
    );
  });

  it('bounded lists of bounded strings are accepted; an update dropping maxLength is refused', async () => {
    const bounded = crd('boundeds', { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 64 } });
    const created = await api.post<KubeObject>(CRDS, bounded);
    assert.equal(created.status, 201, created.text);
    const next = crd('boundeds', { type: 'array', maxItems: 100, items: { type: 'string' } });
    next.metadata = created.body.metadata;
    const updated = await api.put<Status>(`${CRDS}/boundeds.cost.kloop.dev`, next);
    assert.equal(updated.status, 422, updated.text);
    assert.match(String(updated.body.message), /estimated rule cost exceeds budget by factor of 6\.3x/);
    // An update that keeps the schema (a label) is accepted.
    const relabel = { ...created.body, metadata: { ...created.body.metadata, labels: { tier: 'a' } } };
    assert.equal((await api.put(`${CRDS}/boundeds.cost.kloop.dev`, relabel)).status, 200);
  });
});
