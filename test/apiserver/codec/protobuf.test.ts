import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeProtobufDeleteOptions,
  decodeProtobufObject,
  encodeProtobufObject,
  hasProtobufPrefix,
} from '../../../src/apiserver/codec/protobuf.js';
import { StatusError } from '../../../src/apiserver/errors/status-errors.js';

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

const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap', custom: false };

/** The Status a call throws. */
function statusOf(fn: () => unknown): { code: number; reason: string; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StatusError, String(err));
    const { code, reason, message } = err.status;
    return { code, reason: reason ?? '', message: message ?? '' };
  }
  assert.fail('no error');
}

describe('protobuf request bodies on the HTTP path', () => {
  it('decodes a ConfigMap with metadata, labels, data and binaryData as Go writes its JSON', () => {
    const meta = Buffer.concat([
      bytesField(1, 'c1'),
      bytesField(3, 'ns'),
      bytesField(8, Buffer.alloc(0)), // the zero time: null in JSON, as Go writes it
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
    assert.ok(hasProtobufPrefix(body));
    assert.deepEqual(decodeProtobufObject(body, CONFIGMAP), {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: {
        name: 'c1',
        namespace: 'ns',
        creationTimestamp: null,
        labels: { app: 'x' },
        finalizers: ['example.com/f'],
      },
      immutable: true,
      data: { a: 'b' },
      binaryData: { bin: 'AQI=' },
    });
  });

  it('reads the kind from the endpoint when the envelope names none (copyKindDefaults)', () => {
    const body = envelope('', '', bytesField(1, bytesField(1, 'n1')));
    const ns = decodeProtobufObject(body, { apiVersion: 'v1', kind: 'Namespace', custom: false });
    assert.equal(ns.kind, 'Namespace');
    assert.equal(ns.apiVersion, 'v1');
    assert.equal(ns.metadata.name, 'n1');
  });

  it('a body that does not decode is a 400 worded as transformDecodeError words it', () => {
    // A truncated message inside a valid envelope.
    assert.deepEqual(
      statusOf(() =>
        decodeProtobufObject(envelope('apps/v1', 'Deployment', Buffer.from([0x0a, 0x05, 0x0a])), {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          custom: false,
        }),
      ),
      {
        code: 400,
        reason: 'BadRequest',
        message: 'Deployment in version "v1" cannot be handled as a Deployment: unexpected EOF',
      },
    );
    // No envelope at all: the summary is the body's first bytes in hex.
    assert.deepEqual(
      statusOf(() => decodeProtobufObject(Buffer.from('{"a":1}'), CONFIGMAP)),
      {
        code: 400,
        reason: 'BadRequest',
        message:
          'the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] (7b2261223a317d)',
      },
    );
    assert.match(
      statusOf(() => decodeProtobufObject(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff]), CONFIGMAP)).message,
      /^the object provided is unrecognized \(must be of type ConfigMap\): .+ \(6b3873000aff\)$/,
    );
    assert.equal(
      statusOf(() => decodeProtobufObject(envelope('v1', 'Nothing', Buffer.alloc(0)), CONFIGMAP)).message,
      'Nothing in version "v1" cannot be handled as a ConfigMap: no kind "Nothing" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"',
    );
  });

  it('a custom resource has no protobuf form: a 400, not a 415', () => {
    const body = envelope('example.com/v1', 'Widget', bytesField(1, bytesField(1, 'w')));
    assert.deepEqual(
      statusOf(() => decodeProtobufObject(body, { apiVersion: 'example.com/v1', kind: 'Widget', custom: true })),
      {
        code: 400,
        reason: 'BadRequest',
        message:
          "Widget in version \"v1\" cannot be handled as a Widget: Object 'Kind' is missing in 'object has no kind field '",
      },
    );
    assert.equal(encodeProtobufObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: {} }), undefined);
  });

  it('DeleteOptions decode under v1, a group-version or meta.k8s.io/v1; a bad one is a 500 with the decoder text', () => {
    const raw = Buffer.concat([intField(1, 5), bytesField(4, 'Foreground')]);
    for (const apiVersion of ['v1', 'apps/v1', 'meta.k8s.io/v1', 'example.com/v1']) {
      assert.deepEqual(decodeProtobufDeleteOptions(envelope(apiVersion, 'DeleteOptions', raw)), {
        kind: 'DeleteOptions',
        apiVersion,
        gracePeriodSeconds: 5,
        propagationPolicy: 'Foreground',
      });
    }
    assert.deepEqual(
      statusOf(() => decodeProtobufDeleteOptions(envelope('v1', 'DeleteOptions', Buffer.from([0x08])))),
      { code: 500, reason: '', message: 'unexpected EOF' },
    );
  });
});
