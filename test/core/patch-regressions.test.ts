// Regressions found in review of the patch engines and JSON helpers, each named after what
// broke. `__proto__` is a valid ConfigMap data key (`[-._a-zA-Z0-9]+`), and JSON.parse makes it
// an own member, so every engine must treat it as data, never as the prototype.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deepClone, deepEqual } from '../../src/core/equal.js';
import { applyJsonPatch, createJsonPatch } from '../../src/core/json-patch.js';
import { applyMergePatch, createMergePatch } from '../../src/core/merge-patch.js';
import { ConfigMap, Pod } from '../../src/core/resources.js';
import { applyStrategicMergePatch } from '../../src/core/strategic-merge.js';

type Data = { data: Record<string, unknown> };

function assertOwnData(obj: Data, want: unknown): void {
  assert.equal(Object.getPrototypeOf(obj.data), Object.prototype, 'prototype unchanged');
  assert.ok(Object.hasOwn(obj.data, '__proto__'), 'own __proto__ member');
  assert.deepEqual(Object.getOwnPropertyDescriptor(obj.data, '__proto__')?.value, want);
  // And it survives the wire: JSON.stringify writes it, JSON.parse reads it back as a member.
  assert.deepEqual(Object.getOwnPropertyDescriptor(JSON.parse(JSON.stringify(obj)).data, '__proto__')?.value, want);
}

describe('a __proto__ member is data in every engine', () => {
  const doc = (): Data => JSON.parse('{"data":{"a":"1"}}');
  const withProto = (): Data => JSON.parse('{"data":{"a":"1","__proto__":"x"}}');

  it('applyMergePatch', () => {
    assertOwnData(applyMergePatch<Data>(doc(), JSON.parse('{"data":{"__proto__":"x"}}')), 'x');
  });
  it('createMergePatch', () => {
    const patch = createMergePatch(doc(), withProto()) as Data;
    assertOwnData(patch, 'x');
  });
  it('applyJsonPatch add and copy', () => {
    assertOwnData(applyJsonPatch<Data>(doc(), [{ op: 'add', path: '/data/__proto__', value: 'x' }]), 'x');
    assertOwnData(applyJsonPatch<Data>(doc(), [{ op: 'copy', from: '/data/a', path: '/data/__proto__' }]), '1');
  });
  it('applyJsonPatch replace, test and remove of an own __proto__', () => {
    const out = applyJsonPatch<Data>(withProto(), [
      { op: 'test', path: '/data/__proto__', value: 'x' },
      { op: 'replace', path: '/data/__proto__', value: 'y' },
    ]);
    assertOwnData(out, 'y');
    const removed = applyJsonPatch<Data>(withProto(), [{ op: 'remove', path: '/data/__proto__' }]);
    assert.deepEqual(removed, { data: { a: '1' } });
    assert.throws(() => applyJsonPatch(doc(), [{ op: 'remove', path: '/data/__proto__' }]), {
      code: 'KLOOP_INVALID_PATCH',
    });
  });
  it('createJsonPatch round-trips it', () => {
    const out = applyJsonPatch<Data>(doc(), createJsonPatch(doc(), withProto()));
    assertOwnData(out, 'x');
  });
  it('applyStrategicMergePatch', () => {
    assertOwnData(applyStrategicMergePatch<Data>(doc(), JSON.parse('{"data":{"__proto__":"x"}}'), ConfigMap), 'x');
  });
  it('deepClone and deepEqual', () => {
    assertOwnData(deepClone(withProto()), 'x');
    assert.equal(deepEqual(withProto(), doc()), false);
    assert.equal(deepEqual(doc(), withProto()), false);
    assert.equal(deepEqual(withProto(), withProto()), true);
  });
});

describe('applyJsonPatch: move', () => {
  it('a move onto itself still needs its from location to exist (RFC 6902 4.4)', () => {
    assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'move', from: '/x', path: '/x' }]), {
      code: 'KLOOP_INVALID_PATCH',
    });
    assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'move', from: '/a', path: '/a' }]), { a: 1 });
  });
  it("'-' appends on add and move, and names no element for remove, replace, test or from", () => {
    assert.deepEqual(applyJsonPatch({ a: [1], b: 2 }, [{ op: 'move', from: '/b', path: '/a/-' }]), { a: [1, 2] });
    assert.throws(() => applyJsonPatch({ a: [1] }, [{ op: 'remove', path: '/a/-' }]), { code: 'KLOOP_INVALID_PATCH' });
    assert.throws(() => applyJsonPatch({ a: [1] }, [{ op: 'replace', path: '/a/-', value: 2 }]), {
      code: 'KLOOP_INVALID_PATCH',
    });
    assert.throws(() => applyJsonPatch({ a: [1] }, [{ op: 'test', path: '/a/-', value: 1 }]), {
      code: 'KLOOP_PATCH_TEST_FAILED',
    });
    assert.throws(() => applyJsonPatch({ a: [1] }, [{ op: 'copy', from: '/a/-', path: '/b' }]), {
      code: 'KLOOP_INVALID_PATCH',
    });
  });
  it('test compares numbers by value and containers deeply, whatever the key order', () => {
    const doc = JSON.parse('{"n":1.0,"o":{"x":[1,{"y":2}],"z":null}}');
    assert.deepEqual(
      applyJsonPatch(doc, [
        { op: 'test', path: '/n', value: 1 },
        { op: 'test', path: '/o', value: { z: null, x: [1, { y: 2 }] } },
      ]),
      doc,
    );
    assert.throws(() => applyJsonPatch(doc, [{ op: 'test', path: '/o', value: { x: [1, { y: 2 }] } }]), {
      code: 'KLOOP_PATCH_TEST_FAILED',
    });
    assert.throws(() => applyJsonPatch(doc, [{ op: 'test', path: '/n', value: '1' }]), {
      code: 'KLOOP_PATCH_TEST_FAILED',
    });
  });
});

describe('applyStrategicMergePatch: directives inside keyed lists, as apimachinery reads them', () => {
  const pod = () => ({
    spec: {
      containers: [
        { name: 'a', image: '1' },
        { name: 'b', image: '1' },
      ],
    },
  });
  it('an element carrying $patch: replace besides its key replaces the whole list with the plain elements', () => {
    const out = applyStrategicMergePatch(
      pod(),
      {
        spec: {
          containers: [
            { name: 'b', $patch: 'replace' },
            { name: 'c', image: '2' },
            { name: 'a', $patch: 'delete' },
          ],
        },
      },
      Pod,
    );
    assert.deepEqual(out.spec.containers, [{ name: 'c', image: '2' }]);
  });
  it('$patch: merge on a list element is refused ("merging lists cannot yet be specified")', () => {
    assert.throws(
      () =>
        applyStrategicMergePatch(pod(), { spec: { containers: [{ name: 'a', $patch: 'merge', image: '2' }] } }, Pod),
      {
        code: 'KLOOP_INVALID_PATCH',
        message: /merging lists cannot yet be specified/,
      },
    );
    assert.throws(
      () => applyStrategicMergePatch(pod(), { spec: { containers: [{ name: 'a', $patch: 'frob' }] } }, Pod),
      {
        code: 'KLOOP_INVALID_PATCH',
      },
    );
  });
  it('$patch: delete in a keyed list removes every element with that key and ignores a missing one', () => {
    const doc = { spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'a', image: 'dup' }] } };
    assert.deepEqual(
      applyStrategicMergePatch(doc, { spec: { containers: [{ name: 'a', $patch: 'delete' }] } }, Pod).spec.containers,
      [{ name: 'b' }],
    );
    assert.deepEqual(
      applyStrategicMergePatch(doc, { spec: { containers: [{ name: 'zz', $patch: 'delete' }] } }, Pod),
      doc,
    );
  });
});
