import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pruneAndDefault } from '../../src/apiserver/cr-schema.js';
import { aggregatedDiscoveryVersion, negotiate } from '../../src/apiserver/negotiation.js';
import { customServedType } from '../../src/apiserver/resources.js';

describe('Accept negotiation', () => {
  it('picks the first representation it can serve', () => {
    assert.deepEqual(negotiate(undefined), { kind: 'object' });
    assert.deepEqual(negotiate('application/json, */*;q=0.8'), { kind: 'object' });
    assert.deepEqual(
      negotiate(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
      { kind: 'table', version: 'v1' },
    );
    assert.deepEqual(negotiate('application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1'), {
      kind: 'metadata',
      version: 'v1',
    });
    assert.deepEqual(negotiate('application/vnd.kubernetes.protobuf,application/json'), { kind: 'object' });
    assert.equal(negotiate('application/vnd.kubernetes.protobuf'), undefined);
    assert.equal(negotiate('application/json;as=Unknown;g=meta.k8s.io;v=v1'), undefined);
  });

  it('recognizes aggregated discovery requests', () => {
    assert.equal(
      aggregatedDiscoveryVersion(
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      ),
      'v2',
    );
    assert.equal(
      aggregatedDiscoveryVersion(
        'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
      ),
      'v2beta1',
    );
    assert.equal(aggregatedDiscoveryVersion('application/json'), undefined);
    assert.equal(aggregatedDiscoveryVersion(undefined), undefined);
  });
});

describe('structural schema pruning and defaulting', () => {
  const served = customServedType(
    {
      apiVersion: 'x.dev/v1',
      kind: 'X',
      group: 'x.dev',
      version: 'v1',
      plural: 'xs',
      singular: 'x',
      namespaced: true,
      subresources: [],
      listKind: 'XList',
    },
    {
      name: 'v1',
      schema: {
        openAPIV3Schema: {
          type: 'object',
          properties: {
            spec: {
              type: 'object',
              properties: {
                mode: { type: 'string', default: 'auto' },
                labels: { type: 'object', additionalProperties: { type: 'string' } },
                raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                list: { type: 'array', items: { type: 'object', properties: { a: { type: 'integer' } } } },
              },
            },
          },
        },
      },
    },
  );

  it('drops undeclared fields, keeps maps and preserved subtrees, fills defaults', () => {
    const obj: Record<string, unknown> = {
      apiVersion: 'x.dev/v1',
      kind: 'X',
      metadata: { name: 'x', anything: 1 },
      spec: { labels: { k: 'v' }, raw: { deep: { er: 1 } }, list: [{ a: 1, b: 2 }], nope: true },
      status: { gone: true },
    };
    const unknown = pruneAndDefault(obj, served);
    assert.deepEqual(unknown.sort(), ['spec.list[0].b', 'spec.nope', 'status']);
    assert.deepEqual(obj.spec, { labels: { k: 'v' }, raw: { deep: { er: 1 } }, list: [{ a: 1 }], mode: 'auto' });
    assert.deepEqual(obj.metadata, { name: 'x', anything: 1 }, 'metadata is never pruned by the schema');
  });
});
