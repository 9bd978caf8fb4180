import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProtobufObject, isProtobuf, ProtobufUnsupported } from '../../../src/apiserver/codec/protobuf.js';

// A tiny protobuf encoder, enough to build the bodies kubectl sends.
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}
function bytesField(field: number, value: Buffer | string): Buffer {
  const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([varint((field << 3) | 2), varint(b.length), b]);
}
function intField(field: number, value: number): Buffer {
  return Buffer.concat([varint(field << 3), varint(value)]);
}
function mapEntry(field: number, key: string, value: string | Buffer): Buffer {
  return bytesField(field, Buffer.concat([bytesField(1, key), bytesField(2, value)]));
}
function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([bytesField(1, apiVersion), bytesField(2, kind)]);
  return Buffer.concat([
    Buffer.from('k8s\u0000', 'latin1'),
    bytesField(1, typeMeta),
    bytesField(2, raw),
    bytesField(3, ''),
    bytesField(4, ''),
  ]);
}

describe('protobuf bodies (kubectl 1.32+ create)', () => {
  it('decodes a ConfigMap with metadata, labels, data and binaryData', () => {
    const meta = Buffer.concat([
      bytesField(1, 'c1'),
      bytesField(3, 'ns'),
      bytesField(8, Buffer.alloc(0)), // zero timestamp: omitted
      mapEntry(11, 'app', 'x'),
      bytesField(14, 'example.com/f'),
    ]);
    const raw = Buffer.concat([
      bytesField(1, meta),
      mapEntry(2, 'a', 'b'),
      mapEntry(3, 'bin', Buffer.from([1, 2])),
      intField(4, 1),
    ]);
    const body = envelope('v1', 'ConfigMap', raw);
    assert.ok(isProtobuf(body));
    assert.deepEqual(decodeProtobufObject(body), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c1', namespace: 'ns', labels: { app: 'x' }, finalizers: ['example.com/f'] },
      data: { a: 'b' },
      binaryData: { bin: 'AQI=' },
      immutable: true,
    });
  });

  it('decodes a Namespace and a Secret', () => {
    const ns = decodeProtobufObject(envelope('v1', 'Namespace', bytesField(1, bytesField(1, 'n1'))));
    assert.deepEqual(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n1' } });
    const secret = decodeProtobufObject(
      envelope(
        'v1',
        'Secret',
        Buffer.concat([bytesField(1, bytesField(1, 's')), mapEntry(2, 'p', 'q'), bytesField(3, 'Opaque')]),
      ),
    );
    assert.deepEqual(secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { p: 'cQ==' },
      type: 'Opaque',
    });
  });

  it('refuses kinds and bodies it does not know', () => {
    assert.throws(() => decodeProtobufObject(envelope('apps/v1', 'Deployment', Buffer.alloc(0))), ProtobufUnsupported);
    assert.throws(() => decodeProtobufObject(Buffer.from('{"a":1}')), ProtobufUnsupported);
    assert.throws(() => decodeProtobufObject(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff])), ProtobufUnsupported);
  });
});
