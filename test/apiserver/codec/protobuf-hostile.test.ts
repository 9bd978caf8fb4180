// Malformed and crafted protobuf bodies: each must end in a ProtobufDecodeError (the emulator's
// 400), with Go's text where Go has one, never in another exception, a hang or a large allocation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeKubernetesProtobuf,
  decodeProtobufMessage,
  encodeKubernetesProtobuf,
  MAX_DEPTH,
  PROTOBUF_PREFIX,
  ProtobufDecodeError,
  protobufKinds,
  protobufMessage,
} from '../../../src/apiserver/codec/protobuf-codec.js';
import { kindSample } from './samples.js';

const deployment = protobufMessage('k8s.io.api.apps.v1.Deployment')!;
const deploymentSpec = protobufMessage('k8s.io.api.apps.v1.DeploymentSpec')!;
const podSpec = protobufMessage('k8s.io.api.core.v1.PodSpec')!;
const schemaProps = protobufMessage('k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps')!;

function varint(n: number | bigint): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function field(number: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(varint(number * 8 + 2)), Buffer.from(varint(payload.length)), payload]);
}

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([field(1, Buffer.from(apiVersion)), field(2, Buffer.from(kind))]);
  return Buffer.concat([PROTOBUF_PREFIX, field(1, typeMeta), field(2, raw)]);
}

function decodeError(fn: () => unknown): ProtobufDecodeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtobufDecodeError) return err;
    throw err;
  }
  assert.fail('expected a ProtobufDecodeError');
}

/** Decodes, and fails the property on any exception other than ProtobufDecodeError. */
function decodesOrRefuses(body: Buffer): void {
  try {
    decodeKubernetesProtobuf(body);
  } catch (err) {
    if (!(err instanceof ProtobufDecodeError)) throw err;
    assert.equal(err.code, 'KLOOP_PROTOBUF_INVALID');
  }
}

describe('protobuf envelope errors, as the API server words them', () => {
  it('empty, unprefixed and prefix-only bodies', () => {
    assert.equal(decodeError(() => decodeKubernetesProtobuf(Buffer.alloc(0))).message, 'empty data');
    assert.equal(
      decodeError(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Pod"}'))).message,
      'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]',
    );
    assert.equal(decodeError(() => decodeKubernetesProtobuf(Buffer.from('k8s'))).message.startsWith('provided'), true);
    assert.equal(decodeError(() => decodeKubernetesProtobuf(PROTOBUF_PREFIX)).message, 'empty body');
  });

  it('a body naming no kind, unless the endpoint supplies it', () => {
    const body = envelope('apps/v1', '', Buffer.alloc(0));
    const err = decodeError(() => decodeKubernetesProtobuf(body));
    assert.equal(err.reason, 'missingKind');
    assert.equal(err.message, `Object 'Kind' is missing in 'runtime.TypeMeta{APIVersion:"apps/v1", Kind:""}'`);
    const defaulted = decodeKubernetesProtobuf(body, { defaults: { apiVersion: 'apps/v1', kind: 'Deployment' } });
    assert.equal(defaulted.kind, 'Deployment');
  });

  it('a custom resource has no protobuf form', () => {
    const err = decodeError(() => decodeKubernetesProtobuf(envelope('example.com/v1', 'Widget', Buffer.alloc(0))));
    assert.equal(err.reason, 'unknownKind');
  });
});

describe('malformed messages get the text of Go generated Unmarshal', () => {
  const cases: [string, Buffer, string][] = [
    ['a truncated varint', Buffer.from([0x08, 0x80]), 'unexpected EOF'],
    ['a length past the end', Buffer.from([0x1a, 0x05, 0x01]), 'unexpected EOF'],
    ['a huge declared length', Buffer.from([0x1a, ...varint(2n ** 56n)]), 'unexpected EOF'],
    [
      'a length Go reads as negative',
      Buffer.from([0x1a, ...varint(2n ** 63n + 5n)]),
      'proto: negative length found during unmarshaling',
    ],
    ['an eleven-byte varint', Buffer.from([0x08, ...Array(10).fill(0xff), 0x01]), 'proto: integer overflow'],
    ['a wrong wire type', Buffer.from([0x0a, 0x00]), 'proto: wrong wireType = 2 for field Replicas'],
    ['field number 0', Buffer.from([0x00, 0x00]), 'proto: DeploymentSpec: illegal tag 0 (wire type 0)'],
    ['an end group with no group', Buffer.from([0x0c]), 'proto: DeploymentSpec: wiretype end group for non-group'],
    ['an unknown field of wire type 6', Buffer.from([...varint(99 * 8 + 6)]), 'proto: illegal wireType 6'],
    ['an unclosed unknown group', Buffer.from([...varint(99 * 8 + 3), 0x08, 0x01]), 'unexpected EOF'],
    [
      'a second end after a skipped unknown group',
      Buffer.from([...varint(99 * 8 + 3), ...varint(99 * 8 + 4), ...varint(99 * 8 + 4)]),
      'proto: DeploymentSpec: wiretype end group for non-group',
    ],
  ];
  for (const [what, bytes, message] of cases) {
    it(what, () => {
      const err = decodeError(() => decodeProtobufMessage(bytes, deploymentSpec));
      assert.equal(err.message, message);
      assert.equal(err.code, 'KLOOP_PROTOBUF_INVALID');
    });
  }

  it('unknown fields, unknown groups and packed repeated integers are read as Go reads them', () => {
    const group = [...varint(99 * 8 + 3), 0x08, 0x01, ...varint(99 * 8 + 4)];
    const replicas = [0x08, 0x03];
    assert.equal(
      (decodeProtobufMessage(Buffer.from([...group, ...replicas]), deploymentSpec) as { replicas: number }).replicas,
      3,
    );
    // PodSecurityContext.supplementalGroups (4, repeated int64): one unpacked, then two packed.
    const securityContext = protobufMessage('k8s.io.api.core.v1.PodSecurityContext')!;
    const groups = Buffer.from([0x20, 0x01, 0x22, 0x03, 0x02, ...varint(300)]);
    assert.deepEqual(decodeProtobufMessage(groups, securityContext), { supplementalGroups: [1, 2, 300] });
  });

  it('reports where in the object a failure is', () => {
    // Deployment.spec (2) -> template (3) -> spec (2) -> containers (2) -> name (1) truncated.
    const container = Buffer.from([0x0a, 0x05, 0x61]);
    const body = field(2, field(3, field(2, field(2, container))));
    const err = decodeError(() => decodeProtobufMessage(body, deployment));
    assert.equal(err.path, 'spec.template.spec.containers[0].name');
  });

  it(`refuses nesting deeper than ${MAX_DEPTH} levels without exhausting the stack`, () => {
    let nested: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 2000; i++) nested = field(28, nested); // JSONSchemaProps.not
    const err = decodeError(() => decodeProtobufMessage(nested, schemaProps));
    assert.match(err.message, /nested deeper than 256/);
    // 200 levels are fine.
    let ok: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 200; i++) ok = field(28, ok);
    assert.doesNotThrow(() => decodeProtobufMessage(ok, schemaProps));
  });

  it('refuses a small body crafted to expand into millions of zero-filled values', () => {
    // 500,000 empty containers: 1 MB that Go would fill with a name and resources each.
    const body = Buffer.alloc(1_000_000);
    for (let i = 0; i < body.length; i += 2) body[i] = 0x12; // PodSpec.containers, length 0
    const err = decodeError(() => decodeProtobufMessage(body, podSpec));
    assert.equal(err.message, 'proto: the body expands into more JSON values than allowed');
    // A caller can allow more.
    const few = body.subarray(0, 2000);
    assert.equal(
      (decodeProtobufMessage(few, podSpec, { maxValues: 10_000 }) as { containers: unknown[] }).containers.length,
      1000,
    );
  });

  it('refuses floating-point values JSON cannot carry', () => {
    const nan = Buffer.alloc(8);
    nan.writeDoubleLE(Number.NaN);
    const err = decodeError(() => decodeProtobufMessage(Buffer.from([...varint(9 * 8 + 1), ...nan]), schemaProps));
    assert.match(err.message, /unsupported value: NaN/);
  });

  it('refuses embedded JSON that is not JSON (RawExtension.raw)', () => {
    const revision = protobufMessage('k8s.io.api.apps.v1.ControllerRevision')!;
    const body = field(2, field(1, Buffer.from('{not json')));
    assert.match(decodeError(() => decodeProtobufMessage(body, revision)).message, /MarshalJSON/);
  });

  it('keeps a map key named __proto__ as data', () => {
    const labels = field(11, Buffer.concat([field(1, Buffer.from('__proto__')), field(2, Buffer.from('x'))]));
    const meta = decodeProtobufMessage(field(1, labels), deployment) as {
      metadata: { labels: Record<string, string> };
    };
    assert.equal(Object.getOwnPropertyDescriptor(meta.metadata.labels, '__proto__')?.value, 'x');
    assert.equal(Object.getPrototypeOf(meta.metadata.labels), Object.prototype);
  });
});

describe('fuzzed bodies (fast-check)', () => {
  const samples = protobufKinds()
    .filter((_, i) => i % 7 === 0)
    .map(({ apiVersion, kind, message }) => encodeKubernetesProtobuf(kindSample(apiVersion, kind, message)));

  it('random bytes after the prefix decode or fail with a ProtobufDecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) =>
        decodesOrRefuses(Buffer.concat([PROTOBUF_PREFIX, bytes])),
      ),
      { numRuns: 2000 },
    );
  });

  it('random bytes as a Deployment, a PodSpec and a JSONSchemaProps decode or fail typed', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.constantFrom(deployment, podSpec, schemaProps),
        (bytes, message) => {
          try {
            decodeProtobufMessage(Buffer.from(bytes), message);
          } catch (err) {
            if (!(err instanceof ProtobufDecodeError)) throw err;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('valid bodies with bytes flipped, cut or inserted decode or fail typed', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }),
      }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (sample, mutations) => {
          let body = Buffer.from(sample);
          for (const m of mutations) {
            const at = 4 + (m.at % Math.max(1, body.length - 4));
            if (m.kind === 'flip') body[Math.min(at, body.length - 1)] = m.value;
            else if (m.kind === 'cut') body = body.subarray(0, at);
            else body = Buffer.concat([body.subarray(0, at), m.bytes, body.subarray(at)]);
          }
          decodesOrRefuses(body);
        },
      ),
      { numRuns: 1500 },
    );
  });
});
