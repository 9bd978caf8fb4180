import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { deepEqual, deepFreeze } from '../../src/core/equal.js';
import { PatchError } from '../../src/core/errors.js';
import {
  applyJsonPatch,
  createJsonPatch,
  type JsonPatchOperation,
  parseJsonPointer,
} from '../../src/core/json-patch.js';

type Case = { name: string; doc: unknown; patch: unknown[]; result?: unknown; error?: string };

// RFC 6902 Appendix A, one entry per example (A.13 is about duplicate JSON members: not representable).
const RFC6902: Case[] = [
  {
    name: 'A.1 add object member',
    doc: { foo: 'bar' },
    patch: [{ op: 'add', path: '/baz', value: 'qux' }],
    result: { baz: 'qux', foo: 'bar' },
  },
  {
    name: 'A.2 add array element',
    doc: { foo: ['bar', 'baz'] },
    patch: [{ op: 'add', path: '/foo/1', value: 'qux' }],
    result: { foo: ['bar', 'qux', 'baz'] },
  },
  {
    name: 'A.3 remove object member',
    doc: { baz: 'qux', foo: 'bar' },
    patch: [{ op: 'remove', path: '/baz' }],
    result: { foo: 'bar' },
  },
  {
    name: 'A.4 remove array element',
    doc: { foo: ['bar', 'qux', 'baz'] },
    patch: [{ op: 'remove', path: '/foo/1' }],
    result: { foo: ['bar', 'baz'] },
  },
  {
    name: 'A.5 replace a value',
    doc: { baz: 'qux', foo: 'bar' },
    patch: [{ op: 'replace', path: '/baz', value: 'boo' }],
    result: { baz: 'boo', foo: 'bar' },
  },
  {
    name: 'A.6 move a value',
    doc: { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    patch: [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    result: { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  },
  {
    name: 'A.7 move an array element',
    doc: { foo: ['all', 'grass', 'cows', 'eat'] },
    patch: [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
    result: { foo: ['all', 'cows', 'eat', 'grass'] },
  },
  {
    name: 'A.8 test a value: success',
    doc: { baz: 'qux', foo: ['a', 2, 'c'] },
    patch: [
      { op: 'test', path: '/baz', value: 'qux' },
      { op: 'test', path: '/foo/1', value: 2 },
    ],
    result: { baz: 'qux', foo: ['a', 2, 'c'] },
  },
  {
    name: 'A.9 test a value: error',
    doc: { baz: 'qux' },
    patch: [{ op: 'test', path: '/baz', value: 'bar' }],
    error: 'KLOOP_PATCH_TEST_FAILED',
  },
  {
    name: 'A.10 add a nested member object',
    doc: { foo: 'bar' },
    patch: [{ op: 'add', path: '/child', value: { grandchild: {} } }],
    result: { foo: 'bar', child: { grandchild: {} } },
  },
  {
    name: 'A.11 ignore unrecognized elements',
    doc: { foo: 'bar' },
    patch: [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }],
    result: { foo: 'bar', baz: 'qux' },
  },
  {
    name: 'A.12 add to a nonexistent target',
    doc: { foo: 'bar' },
    patch: [{ op: 'add', path: '/baz/bat', value: 'qux' }],
    error: 'KLOOP_INVALID_PATCH',
  },
  {
    name: 'A.14 ~ escape ordering',
    doc: { '/': 9, '~1': 10 },
    patch: [{ op: 'test', path: '/~01', value: 10 }],
    result: { '/': 9, '~1': 10 },
  },
  {
    name: 'A.15 comparing strings and numbers',
    doc: { '/': 9, '~1': 10 },
    patch: [{ op: 'test', path: '/~01', value: '10' }],
    error: 'KLOOP_PATCH_TEST_FAILED',
  },
  {
    name: 'A.16 add an array value',
    doc: { foo: ['bar'] },
    patch: [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }],
    result: { foo: ['bar', ['abc', 'def']] },
  },
];

describe('applyJsonPatch: RFC 6902 Appendix A', () => {
  for (const c of RFC6902) {
    it(c.name, () => {
      const doc = deepFreeze(structuredClone(c.doc));
      const ops = c.patch as JsonPatchOperation[];
      if (c.error !== undefined) {
        assert.throws(
          () => applyJsonPatch(doc, ops),
          (err: unknown) => err instanceof PatchError && err.code === c.error,
        );
      } else {
        assert.deepEqual(applyJsonPatch(doc, ops), c.result);
      }
    });
  }
});

describe('applyJsonPatch: edge cases', () => {
  it('never mutates its input and shares untouched subtrees', () => {
    const doc = deepFreeze({ a: { b: 1 }, c: { d: [1, 2] } });
    const out = applyJsonPatch(doc, [
      { op: 'replace', path: '/a/b', value: 2 },
      { op: 'add', path: '/a/e', value: 3 },
    ]);
    assert.deepEqual(out, { a: { b: 2, e: 3 }, c: { d: [1, 2] } });
    assert.equal(out.c, doc.c);
    assert.deepEqual(doc, { a: { b: 1 }, c: { d: [1, 2] } });
  });
  it('a failed operation leaves the input untouched', () => {
    const doc = { a: 1 };
    assert.throws(() =>
      applyJsonPatch(doc, [
        { op: 'add', path: '/b', value: 2 },
        { op: 'remove', path: '/zz' },
      ]),
    );
    assert.deepEqual(doc, { a: 1 });
  });
  it('copy clones, so a later write through one copy does not show through the other', () => {
    const out = applyJsonPatch({ a: { x: 1 } } as Record<string, unknown>, [
      { op: 'copy', from: '/a', path: '/b' },
      { op: 'replace', path: '/b/x', value: 2 },
    ]);
    assert.deepEqual(out, { a: { x: 1 }, b: { x: 2 } });
  });
  it('replace and remove of a missing member fail', () => {
    assert.throws(() => applyJsonPatch({}, [{ op: 'replace', path: '/a', value: 1 }]), { code: 'KLOOP_INVALID_PATCH' });
    assert.throws(() => applyJsonPatch({ a: [1] }, [{ op: 'remove', path: '/a/1' }]), { code: 'KLOOP_INVALID_PATCH' });
  });
  it('rejects malformed operations and pointers', () => {
    assert.throws(() => applyJsonPatch({}, [{ op: 'frob', path: '/a' } as unknown as JsonPatchOperation]), {
      code: 'KLOOP_INVALID_PATCH',
    });
    assert.throws(() => applyJsonPatch({}, [{ op: 'add', path: 'a', value: 1 }]), { code: 'KLOOP_INVALID_PATCH' });
    assert.throws(() => applyJsonPatch({}, [{ op: 'add', path: '/a' } as unknown as JsonPatchOperation]), {
      code: 'KLOOP_INVALID_PATCH',
    });
    assert.throws(() => applyJsonPatch({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/b/c' }]), {
      code: 'KLOOP_INVALID_PATCH',
    });
    assert.throws(() => applyJsonPatch({ a: [] }, [{ op: 'add', path: '/a/2', value: 1 }]), {
      code: 'KLOOP_INVALID_PATCH',
    });
    assert.throws(() => parseJsonPointer('/a~2'), { code: 'KLOOP_INVALID_PATCH' });
  });
  it('replaces the whole document at the empty pointer', () => {
    assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }]), { b: 2 });
  });
});

const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    tie('arr'),
    tie('obj'),
  ),
  arr: fc.array(tie('value'), { maxLength: 4 }),
  obj: fc.dictionary(fc.constantFrom('a', 'b', 'c', '~', '/x', ''), tie('value'), { maxKeys: 4 }),
}));

describe('createJsonPatch', () => {
  it('produces the expected small patch', () => {
    assert.deepEqual(createJsonPatch({ a: 1, b: [1] }, { a: 2, b: [1, 2] }), [
      { op: 'replace', path: '/a', value: 2 },
      { op: 'add', path: '/b/1', value: 2 },
    ]);
    assert.deepEqual(createJsonPatch({ a: 1 }, { a: 1 }), []);
  });
  it('property: applyJsonPatch(a, createJsonPatch(a, b)) deepEquals b', () => {
    fc.assert(
      fc.property(json.value, json.value, (a, b) => {
        const frozen = deepFreeze(structuredClone(a));
        return deepEqual(applyJsonPatch(frozen, createJsonPatch(frozen, b)), b);
      }),
      { numRuns: 500 },
    );
  });
});
