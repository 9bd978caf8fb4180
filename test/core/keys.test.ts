import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changedTopLevelPaths } from '../../src/core/diff.js';
import { keyOf, keyString, keysEqual, parseKeyString } from '../../src/core/keys.js';
import { compareResourceVersions, isNewerResourceVersion } from '../../src/core/resource-version.js';

describe('keys', () => {
  it("keyString takes a key or an object's metadata, and gives the same string", () => {
    assert.equal(keyString({ namespace: 'ns', name: 'a' }), 'ns/a');
    const pod = { metadata: { namespace: 'ns', name: 'a', uid: 'u', labels: {} } };
    assert.equal(keyString(pod.metadata), 'ns/a');
    assert.equal(keyString({ name: 'node-1' }), 'node-1');
    assert.equal(keyString({ namespace: '', name: 'a' }), 'a');
  });
  it('keyOf, keyString and parseKeyString round-trip', () => {
    assert.deepEqual(keyOf({ metadata: { namespace: 'ns', name: 'a' } }), { namespace: 'ns', name: 'a' });
    assert.deepEqual(keyOf({ metadata: { name: 'a' } }), { name: 'a' });
    assert.deepEqual(keyOf({ metadata: { namespace: '', name: 'a' } }), { name: 'a' });
    assert.equal(keyString({ namespace: 'ns', name: 'a' }), 'ns/a');
    assert.equal(keyString({ name: 'a' }), 'a');
    assert.deepEqual(parseKeyString('ns/a'), { namespace: 'ns', name: 'a' });
    assert.deepEqual(parseKeyString('a'), { name: 'a' });
    assert.equal(keysEqual({ name: 'a', namespace: '' }, { name: 'a' }), true);
  });
  it('rejects nameless objects and malformed keys', () => {
    assert.throws(() => keyOf({ metadata: {} }), { code: 'KLOOP_INVALID_KEY' });
    for (const bad of ['', 'a/', 'a/b/c', '/'])
      assert.throws(() => parseKeyString(bad), { code: 'KLOOP_INVALID_KEY' }, bad);
  });
});

describe('compareResourceVersions', () => {
  it('compares integers numerically, beyond 2^53 too', () => {
    assert.ok((compareResourceVersions('9', '10') ?? 0) < 0);
    assert.ok((compareResourceVersions('10', '9') ?? 0) > 0);
    assert.equal(compareResourceVersions('7', '7'), 0);
    assert.ok((compareResourceVersions('9007199254740993', '9007199254740992') ?? 0) > 0);
    assert.equal(isNewerResourceVersion('11', '10'), true);
  });
  it('only tests equality for non-integers', () => {
    assert.equal(compareResourceVersions('abc', 'abd'), undefined);
    assert.equal(compareResourceVersions('abc', 'abc'), 0);
    assert.equal(compareResourceVersions('01', '1'), undefined);
    assert.equal(isNewerResourceVersion('x', '1'), false);
  });
});

describe('changedTopLevelPaths', () => {
  it('reports metadata fields that matter and top-level fields, ignoring the rest', () => {
    const a = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a', resourceVersion: '1', labels: { x: '1' }, managedFields: [] },
      spec: { a: 1 },
      status: { p: 1 },
    };
    const b = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a', resourceVersion: '2', labels: { x: '2' }, finalizers: ['f'] },
      spec: { a: 1 },
      status: { p: 2 },
      data: {},
    };
    assert.deepEqual(changedTopLevelPaths(a, b), ['data', 'metadata.finalizers', 'metadata.labels', 'status']);
    assert.deepEqual(changedTopLevelPaths(a, a), []);
    assert.deepEqual(
      changedTopLevelPaths(
        { metadata: { generation: 1 } },
        { metadata: { generation: 2, deletionTimestamp: 't', ownerReferences: [], annotations: {} } },
      ),
      ['metadata.annotations', 'metadata.deletionTimestamp', 'metadata.generation', 'metadata.ownerReferences'],
    );
  });
});
