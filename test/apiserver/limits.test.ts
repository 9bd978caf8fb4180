/**
 * The decoder limits on their own: Go's JSON depth scan, go-yaml's alias count, the JSON patch
 * copy limit, and the size rules. The HTTP answers are in the hostile-input integration tests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeProtobufObject } from '../../src/apiserver/codec/protobuf.js';
import { parseYamlLimited } from '../../src/apiserver/codec/yaml.js';
import { jsonDepthViolation, MAX_NESTING_DEPTH } from '../../src/apiserver/limits/nesting.js';
import { checkStoredSize, sizeViolations } from '../../src/apiserver/limits/object-size.js';
import {
  allowedAliasRatio,
  checkYamlAliases,
  ExcessiveAliasingError,
} from '../../src/apiserver/limits/yaml-aliases.js';
import { applyJsonPatch, type JsonObject, type KubeObject, PatchError } from '../../src/core/index.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('JSON nesting depth, as Go scans it', () => {
  it('counts openings outside strings only, and names the one past the limit', () => {
    assert.equal(jsonDepthViolation(bytes('[[1]]'), 2), undefined);
    assert.deepEqual(jsonDepthViolation(bytes('{"a":[[1]]}'), 2), { char: '[', offset: 6, pastApiServer: false });
    // Brackets in strings, escaped quotes included, are not levels.
    assert.equal(jsonDepthViolation(bytes(`["${'['.repeat(50)}\\"${'{'.repeat(50)}"]`), 2), undefined);
  });

  it('tells the emulator limit from the API server one', () => {
    const atLimit = `${'['.repeat(MAX_NESTING_DEPTH)}${']'.repeat(MAX_NESTING_DEPTH)}`;
    assert.equal(jsonDepthViolation(bytes(atLimit)), undefined);
    assert.equal(jsonDepthViolation(bytes(`[${atLimit}]`))?.pastApiServer, false);
    const past = `${'{"a":'.repeat(10_001)}1${'}'.repeat(10_001)}`;
    assert.deepEqual(jsonDepthViolation(bytes(past)), {
      char: '{',
      offset: 5 * MAX_NESTING_DEPTH,
      pastApiServer: true,
    });
  });
});

describe('YAML aliases, counted as go-yaml v2 counts them', () => {
  it('allows 99% aliased operations up to 400,000 and slides to 10% at 4,000,000', () => {
    assert.equal(allowedAliasRatio(1000), 0.99);
    assert.equal(allowedAliasRatio(400_000), 0.99);
    assert.ok(Math.abs(allowedAliasRatio(2_200_000) - 0.545) < 1e-9);
    assert.equal(allowedAliasRatio(4_000_000), 0.1);
  });

  it('refuses a bomb after a few thousand steps and passes documents without or with few aliases', () => {
    const lol = ['lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol'];
    let level: unknown[] = lol;
    for (let i = 0; i < 8; i++) level = Array(9).fill(level);
    assert.throws(() => checkYamlAliases({ bomb: level }), ExcessiveAliasingError);
    assert.equal(checkYamlAliases({ a: [1, 2, { b: 'c' }] }), false);
    const shared = { x: 1 };
    assert.equal(checkYamlAliases({ a: shared, b: shared }), true);
  });

  it('gives each alias its own copy once read', () => {
    const value = parseYamlLimited('a: &x {k: v}\nb: *x\n') as { a: { k: string }; b: { k: string } };
    assert.deepEqual(value, { a: { k: 'v' }, b: { k: 'v' } });
    assert.notEqual(value.a, value.b);
  });
});

describe('the JSON patch copy limit', () => {
  it('fails with evanphx/json-patch text once copies add more than the limit, leaving the input alone', () => {
    const doc = { v: ['x'.repeat(10)] };
    const ops = Array.from({ length: 6 }, () => ({ op: 'copy' as const, from: '/v', path: '/v/-' }));
    // Each copy doubles the array: 14, 29, 59, 119, 239, 479 bytes of JSON (939 in all).
    assert.throws(
      () => applyJsonPatch(doc, ops, { maxCopyBytes: 500 }),
      (err: unknown) =>
        err instanceof PatchError &&
        err.code === 'KLOOP_INVALID_PATCH' &&
        err.copyLimit?.accumulated === 939 &&
        err.message ===
          'Unable to complete the copy, the accumulated size increase of copy is 939, exceeding the limit 500',
    );
    assert.deepEqual(doc, { v: ['x'.repeat(10)] });
    assert.equal((applyJsonPatch(doc, ops.slice(0, 4), { maxCopyBytes: 500 }) as { v: unknown[] }).v.length, 5);
  });
});

const protobufSize = (object: KubeObject): number | undefined =>
  encodeProtobufObject(object as unknown as JsonObject)?.length;

describe('size rules', () => {
  const cm = (extra: Partial<KubeObject>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c' },
    ...extra,
  });

  it('counts annotation keys and values in UTF-8 bytes', () => {
    assert.deepEqual(sizeViolations(cm({ metadata: { name: 'c', annotations: { k: 'é'.repeat(131_071) } } })), []);
    assert.deepEqual(sizeViolations(cm({ metadata: { name: 'c', annotations: { k: 'é'.repeat(131_072) } } })), [
      {
        reason: 'FieldValueTooLong',
        message: 'Too long: may not be more than 262144 bytes',
        field: 'metadata.annotations',
      },
    ]);
  });

  it('counts binaryData and Secret data decoded, stringData over data', () => {
    const b64 = (n: number): string => Buffer.alloc(n).toString('base64');
    assert.deepEqual(
      sizeViolations(cm({ data: { a: 'x'.repeat(1000) }, binaryData: { b: b64(1024 * 1024 - 1000) } })),
      [],
    );
    assert.equal(
      sizeViolations(cm({ data: { a: 'x'.repeat(1001) }, binaryData: { b: b64(1024 * 1024 - 1000) } }))[0]?.field,
      '[]',
    );
    const secret = (extra: Partial<KubeObject>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      ...extra,
    });
    assert.deepEqual(sizeViolations(secret({ data: { a: b64(1024 * 1024) } })), []);
    // stringData replaces the data key of the same name.
    assert.deepEqual(sizeViolations(secret({ data: { a: b64(1024 * 1024) }, stringData: { a: 'small' } })), []);
    assert.equal(sizeViolations(secret({ data: { a: b64(1024 * 1024) }, stringData: { b: 'x' } }))[0]?.field, 'data');
  });

  it('measures a built-in in protobuf when its JSON is over the etcd limit', () => {
    const limit = 1000;
    // Base64 in JSON is a third larger than the bytes protobuf stores.
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { a: Buffer.alloc(900).toString('base64') },
    };
    checkStoredSize(secret as KubeObject, JSON.stringify(secret), protobufSize, limit);
    const blob = { apiVersion: 'example.com/v1', kind: 'Blob', metadata: { name: 'b' }, spec: { a: 'x'.repeat(1000) } };
    assert.throws(
      () => checkStoredSize(blob as KubeObject, JSON.stringify(blob), protobufSize, limit),
      /etcdserver: request is too large/,
    );
  });
});
