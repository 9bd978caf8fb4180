import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { customServedType } from '../../../src/apiserver/served/served-types.js';
import { pruneAndDefault } from '../../../src/apiserver/validation/cr-schema.js';

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
