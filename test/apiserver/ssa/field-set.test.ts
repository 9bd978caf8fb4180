import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FieldSet, formatFieldPath, keyElement, valueElement } from '../../../src/apiserver/ssa/index.js';

describe('FieldSet', () => {
  const v1 = {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} }, 'f:finalizers': { 'v:"a"': {} } },
    'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
  };

  it('parses FieldsV1: leaves and "." are members, inner nodes are not', () => {
    const s = FieldSet.fromFieldsV1(v1);
    assert.equal(s.has(['f:metadata', 'f:labels']), true);
    assert.equal(s.has(['f:metadata', 'f:labels', 'f:app']), true);
    assert.equal(s.has(['f:metadata']), false);
    assert.equal(s.has(['f:spec', 'f:containers', 'k:{"name":"app"}']), true);
    assert.equal(s.has(['f:metadata', 'f:finalizers', 'v:"a"']), true);
    assert.equal(s.size, 6);
  });

  it('serializes back to the same FieldsV1', () => {
    assert.deepEqual(FieldSet.fromFieldsV1(v1).toFieldsV1(), v1);
    assert.deepEqual(FieldSet.EMPTY.toFieldsV1(), {});
  });

  it('does set algebra', () => {
    const a = FieldSet.of([['f:a'], ['f:b']]);
    const b = FieldSet.of([['f:b'], ['f:c']]);
    assert.deepEqual(a.union(b).paths(), [['f:a'], ['f:b'], ['f:c']]);
    assert.deepEqual(a.difference(b).paths(), [['f:a']]);
    assert.deepEqual(a.intersection(b).paths(), [['f:b']]);
    assert.equal(a.union(b).equals(b.union(a)), true);
    assert.equal(a.equals(b), false);
    assert.equal(FieldSet.of([['f:x', 'f:y']]).hasPathOrDescendant(['f:x']), true);
    assert.equal(FieldSet.of([['f:xy']]).hasPathOrDescendant(['f:x']), false);
  });

  it('rejects malformed FieldsV1', () => {
    for (const bad of [{ 'x:a': {} }, { 'k:notjson': {} }, { 'k:"str"': {} }, { 'f:a': 1 }, { 'i:x': {} }]) {
      assert.throws(() => FieldSet.fromFieldsV1(bad), { code: 'KLOOP_INVALID_FIELDS' }, JSON.stringify(bad));
    }
  });

  it('formats paths as Kubernetes does', () => {
    assert.equal(formatFieldPath(['f:data', 'f:a']), '.data.a');
    assert.equal(
      formatFieldPath(['f:spec', 'f:containers', keyElement({ name: 'app', image: 'x' }, ['name']), 'f:image']),
      '.spec.containers[name="app"].image',
    );
    assert.equal(
      formatFieldPath(['f:ports', keyElement({ protocol: 'TCP', containerPort: 80 }, ['protocol', 'containerPort'])]),
      '.ports[containerPort=80,protocol="TCP"]',
    );
    assert.equal(formatFieldPath(['f:metadata', 'f:finalizers', valueElement('x')]), '.metadata.finalizers[="x"]');
    assert.equal(formatFieldPath(['f:args', 'i:0']), '.args[0]');
  });
});
