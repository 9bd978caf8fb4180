// A Memcached defined as docs/guides/defining-resources.md shows it: the definition types and validates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectTypeOf } from 'expect-type';
import { defineResource, fieldErrorString, invalidStatus, K8s, Type } from '../../src/resources/index.js';

test('a Memcached definition types, validates and answers with the 422 of the server', () => {
  const Memcached = defineResource({
    group: 'cache.example.com',
    version: 'v1alpha1',
    kind: 'Memcached',
    shortNames: ['mc'],
    spec: Type.Object({
      size: Type.Integer({ minimum: 1, maximum: 10, default: 1 }),
      image: Type.String(),
      ports: K8s.ListMap(Type.Object({ name: Type.String(), port: Type.Integer() }), ['name']),
    }),
    status: Type.Object({ readyReplicas: Type.Optional(Type.Integer()) }),
    validations: [{ rule: 'self.spec.size <= 5 || self.spec.image != ""', message: 'big caches need an image' }],
    printerColumns: [{ name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' }],
    scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.readyReplicas' },
  });
  type MemcachedObject = typeof Memcached.Object;
  expectTypeOf<MemcachedObject['spec']['ports']>().toEqualTypeOf<{ name: string; port: number }[]>();
  const crd = Memcached.crd();
  assert.equal(crd.metadata.name, 'memcacheds.cache.example.com');

  const v = Memcached.validator();
  const obj = {
    apiVersion: 'cache.example.com/v1alpha1',
    kind: 'Memcached',
    metadata: { name: 'x' },
    spec: { size: 50, image: 'm', ports: [] },
  };
  const errors = v.validateCreate(obj).errors;
  assert.deepEqual(errors.map(fieldErrorString), [
    'spec.size: Invalid value: 50: spec.size in body should be less than or equal to 10',
  ]);
  assert.equal(
    invalidStatus({ group: 'cache.example.com', kind: 'Memcached', name: 'x' }, errors).message,
    'Memcached.cache.example.com "x" is invalid: spec.size: Invalid value: 50: spec.size in body should be less than or equal to 10',
  );
});
