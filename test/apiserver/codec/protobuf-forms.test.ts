// The wire layout details and the special JSON forms, each against what Go writes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeKubernetesProtobuf,
  decodeProtobufMessage,
  decodeWatchFrames,
  encodeKubernetesProtobuf,
  encodeProtobufMessage,
  encodeWatchFrame,
  PROTOBUF_PREFIX,
  ProtobufEncodeError,
  protobufMessage,
} from '../../../src/apiserver/codec/protobuf-codec.js';
import {
  formatGoDuration,
  formatRfc3339,
  parseGoDuration,
  parseRfc3339,
} from '../../../src/apiserver/codec/protobuf-time.js';
import { WireWriter } from '../../../src/apiserver/codec/protobuf-wire.js';

const meta = (name: string) => protobufMessage(`k8s.io.apimachinery.pkg.apis.meta.v1.${name}`)!;
const core = (name: string) => protobufMessage(`k8s.io.api.core.v1.${name}`)!;

describe('Go time and duration texts', () => {
  it('formats durations as time.Duration.String()', () => {
    const cases: [bigint, string][] = [
      [0n, '0s'],
      [1n, '1ns'],
      [1500n, '1.5µs'],
      [1_500_000n, '1.5ms'],
      [1_000_000_000n, '1s'],
      [90_000_000_000n, '1m30s'],
      [3_723_500_000_000n, '1h2m3.5s'],
      [-5_000_000_000n, '-5s'],
      [(1n << 63n) - 1n, '2562047h47m16.854775807s'],
    ];
    for (const [nanos, text] of cases) {
      assert.equal(formatGoDuration(nanos), text);
      assert.equal(parseGoDuration(text), nanos, text);
    }
  });

  it('parses what time.ParseDuration accepts and nothing else', () => {
    assert.equal(parseGoDuration('0'), 0n);
    assert.equal(parseGoDuration('1h30m'), 5_400_000_000_000n);
    assert.equal(parseGoDuration('.5s'), 500_000_000n);
    assert.equal(parseGoDuration('300ms'), 300_000_000n);
    assert.equal(parseGoDuration('2us'), 2000n);
    for (const bad of ['', '1', 's', '1x', '1hm', '--1s', '1.s.', '9999999999999h']) {
      assert.equal(parseGoDuration(bad), undefined, bad);
    }
  });

  it('formats and parses RFC 3339 as metav1.Time and MicroTime do', () => {
    assert.equal(formatRfc3339(0), '1970-01-01T00:00:00Z');
    assert.equal(formatRfc3339(-62135596800), '0001-01-01T00:00:00Z');
    assert.equal(formatRfc3339(1714557600, 42), '2024-05-01T10:00:00.000042Z');
    assert.deepEqual(parseRfc3339('2024-05-01T12:00:00.5+02:00'), { seconds: 1714557600, nanos: 500_000_000 });
    for (const bad of ['2024-02-30T00:00:00Z', '2024-05-01 10:00:00Z', '2024-05-01T24:00:00Z', 'yesterday']) {
      assert.equal(parseRfc3339(bad), undefined, bad);
    }
  });
});

describe('special forms on the wire', () => {
  it('Time: seconds only; the zero time is an empty message and JSON null', () => {
    const condition = meta('Condition');
    const set = encodeProtobufMessage({ lastTransitionTime: '2024-05-01T10:00:00.9Z' }, condition);
    // lastTransitionTime is field 4: Timestamp{seconds=1, nanos=2} with nanos 0 (time_proto.go).
    assert.ok(set.includes(Buffer.from([0x22, 0x08, 0x08, ...[0xa0, 0xa5, 0xc8, 0xb1, 0x06], 0x10, 0x00])));
    assert.equal(
      (decodeProtobufMessage(set, condition) as { lastTransitionTime: string }).lastTransitionTime,
      '2024-05-01T10:00:00Z',
    );
    const zero = encodeProtobufMessage({}, condition);
    assert.ok(zero.includes(Buffer.from([0x22, 0x00])));
    assert.equal((decodeProtobufMessage(zero, condition) as { lastTransitionTime: null }).lastTransitionTime, null);
  });

  it('MicroTime keeps microseconds', () => {
    const lease = protobufMessage('k8s.io.api.coordination.v1.LeaseSpec')!;
    const json = { renewTime: '2024-05-01T10:00:00.123456Z' };
    assert.deepEqual(decodeProtobufMessage(encodeProtobufMessage(json, lease), lease), json);
  });

  it('IntOrString writes type, intVal and strVal, always', () => {
    const port = core('ServicePort');
    const asInt = encodeProtobufMessage({ port: 80, targetPort: 8080 }, port);
    assert.ok(asInt.includes(Buffer.from([0x22, 0x07, 0x08, 0x00, 0x10, 0x90, 0x3f, 0x1a, 0x00])));
    const asString = encodeProtobufMessage({ port: 80, targetPort: 'http' }, port);
    assert.ok(asString.includes(Buffer.from([0x22, 0x0a, 0x08, 0x01, 0x10, 0x00, 0x1a, 0x04, ...Buffer.from('http')])));
    assert.equal((decodeProtobufMessage(asString, port) as { targetPort: string }).targetPort, 'http');
  });

  it('maps are entry messages sorted by key bytes; bytes values are base64 in JSON', () => {
    const secret = core('Secret');
    const bytes = encodeProtobufMessage({ data: { b: 'AQI=', a: '' }, stringData: { é: 'x', z: 'y' } }, secret);
    const decoded = decodeProtobufMessage(bytes, secret) as { data: Record<string, string>; stringData: object };
    assert.deepEqual(decoded.data, { a: '', b: 'AQI=' });
    // 'z' (0x7a) sorts before 'é' (0xc3 0xa9) by bytes.
    const z = bytes.indexOf(Buffer.from('z'));
    assert.ok(z > 0 && z < bytes.indexOf(Buffer.from('é')));
    assert.throws(() => encodeProtobufMessage({ data: { a: 'not base64!' } }, secret), ProtobufEncodeError);
  });

  it('RawExtension holds compact JSON; Quantity its text; Duration nanoseconds', () => {
    const revision = protobufMessage('k8s.io.api.apps.v1.ControllerRevision')!;
    const data = { spec: { replicas: 2 } };
    const bytes = encodeProtobufMessage({ data, revision: 3 }, revision);
    assert.ok(bytes.includes(Buffer.from(JSON.stringify(data))));
    assert.deepEqual((decodeProtobufMessage(bytes, revision) as { data: object }).data, data);
    const requirements = core('ResourceRequirements');
    const limits = { cpu: '500m', memory: '1Gi' };
    assert.deepEqual(decodeProtobufMessage(encodeProtobufMessage({ limits }, requirements), requirements), { limits });
  });

  it('inline embedded structs (Volume.VolumeSource) are flattened in JSON and nested on the wire', () => {
    const volume = core('Volume');
    const json = { name: 'v', configMap: { name: 'cm', defaultMode: 420 } };
    const bytes = encodeProtobufMessage(json, volume);
    assert.equal(bytes[0], 0x0a); // name
    assert.equal(bytes[3], 0x12); // volumeSource, holding configMap (field 19)
    assert.deepEqual(decodeProtobufMessage(bytes, volume), json);
  });

  it('negative int32 values take ten bytes, as Go writes them', () => {
    const w = new WireWriter();
    w.int64(-1);
    assert.deepEqual([...w.finish()], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    const status = meta('Status');
    const bytes = encodeProtobufMessage({ code: -1 }, status);
    assert.equal((decodeProtobufMessage(bytes, status) as { code: number }).code, -1);
  });

  it('lengths of 128 bytes and more move the message to make room', () => {
    const configMap = core('ConfigMap');
    const json = { metadata: { name: 'x'.repeat(300), creationTimestamp: null }, data: { k: 'v'.repeat(20_000) } };
    assert.deepEqual(decodeProtobufMessage(encodeProtobufMessage(json, configMap), configMap), json);
  });

  it('refuses values of the wrong type with the path', () => {
    const deployment = protobufMessage('k8s.io.api.apps.v1.Deployment')!;
    assert.throws(
      () => encodeProtobufMessage({ spec: { replicas: 'three' } }, deployment),
      (err: ProtobufEncodeError) => err.path === 'spec.replicas' && /expected integer, got string/.test(err.message),
    );
    assert.throws(() => encodeProtobufMessage({ spec: { replicas: 2 ** 31 } }, deployment), /does not fit int32/);
  });
});

describe('objects, Status and watch frames', () => {
  it('a list writes its items without TypeMeta, as Go does', () => {
    const list = {
      kind: 'ConfigMapList',
      apiVersion: 'v1',
      metadata: { resourceVersion: '7' },
      items: [
        { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a', creationTimestamp: null }, data: { k: 'v' } },
      ],
    };
    const decoded = decodeKubernetesProtobuf(encodeKubernetesProtobuf(list));
    assert.deepEqual(decoded, {
      ...list,
      items: [{ metadata: { name: 'a', creationTimestamp: null }, data: { k: 'v' } }],
    });
  });

  it('a Status is enveloped as v1/Status', () => {
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "p" not found',
      reason: 'NotFound',
      details: { name: 'p', kind: 'pods' },
      code: 404,
    };
    const bytes = encodeKubernetesProtobuf(status);
    assert.deepEqual(
      bytes.subarray(0, 18),
      Buffer.concat([
        PROTOBUF_PREFIX,
        Buffer.from([0x0a, 0x0c, 0x0a, 0x02]),
        Buffer.from('v1'),
        Buffer.from([0x12, 0x06]),
        Buffer.from('Status'),
      ]),
    );
    assert.deepEqual(decodeKubernetesProtobuf(bytes), status);
  });

  it('a custom resource or a Table has no protobuf form', () => {
    assert.throws(
      () => encodeKubernetesProtobuf({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: {} }),
      ProtobufEncodeError,
    );
    assert.throws(() => encodeKubernetesProtobuf({ apiVersion: 'meta.k8s.io/v1', kind: 'Table' }), ProtobufEncodeError);
  });

  it('a watch frame is a big-endian length and a WatchEvent whose object.raw is the enveloped object', () => {
    const object = {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'a', resourceVersion: '5', creationTimestamp: null },
    };
    const frame = encodeWatchFrame('ADDED', object);
    const enveloped = encodeKubernetesProtobuf(object);
    assert.equal(frame.readUInt32BE(0), frame.length - 4);
    // type (1) "ADDED", then object (2) = RawExtension{raw (1) = enveloped}.
    const expected = Buffer.concat([
      Buffer.from([0x0a, 0x05]),
      Buffer.from('ADDED'),
      Buffer.from([0x12, enveloped.length + 2, 0x0a, enveloped.length]),
      enveloped,
    ]);
    assert.deepEqual(frame.subarray(4), expected);
    const two = Buffer.concat([frame, encodeWatchFrame('DELETED', object)]);
    const { events, used } = decodeWatchFrames(Buffer.concat([two, frame.subarray(0, 7)]));
    assert.deepEqual(events, [
      { type: 'ADDED', object },
      { type: 'DELETED', object },
    ]);
    assert.equal(used, two.length);
  });
});
