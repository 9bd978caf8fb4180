/**
 * A minimal decoder for the Kubernetes protobuf wire format, for the few bodies kubectl 1.32+
 * sends as protobuf: the typed clients behind `kubectl create namespace|configmap|secret`. The
 * envelope is `k8s\0` + `runtime.Unknown{typeMeta, raw}`; `raw` is decoded with the field
 * numbers of `k8s.io/api/core/v1/generated.proto` for the kinds in {@link SCHEMAS}. Anything
 * else is refused (the server answers 415 and the client can retry with JSON).
 *
 * Empty strings, zero numbers and zero timestamps are omitted, as the JSON encoding's
 * `omitempty` would, so the decoded object reads like the JSON kubectl would have sent.
 */
import { failureStatus, StatusError } from '../errors/status-errors.js';

/** The four-byte prefix of a Kubernetes protobuf body. */
export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type FieldKind = 'string' | 'int' | 'bool' | 'bytes' | 'time';

/** How one field decodes: a scalar, a nested message, a repeated value, or a map. */
type Field =
  | { name: string; kind: FieldKind; repeated?: boolean }
  | { name: string; message: Schema; repeated?: boolean }
  | { name: string; map: 'string' | 'bytes' };

type Schema = Record<number, Field>;

const OWNER_REFERENCE: Schema = {
  1: { name: 'kind', kind: 'string' },
  3: { name: 'name', kind: 'string' },
  4: { name: 'uid', kind: 'string' },
  5: { name: 'apiVersion', kind: 'string' },
  6: { name: 'controller', kind: 'bool' },
  7: { name: 'blockOwnerDeletion', kind: 'bool' },
};

const OBJECT_META: Schema = {
  1: { name: 'name', kind: 'string' },
  2: { name: 'generateName', kind: 'string' },
  3: { name: 'namespace', kind: 'string' },
  5: { name: 'uid', kind: 'string' },
  6: { name: 'resourceVersion', kind: 'string' },
  7: { name: 'generation', kind: 'int' },
  8: { name: 'creationTimestamp', kind: 'time' },
  9: { name: 'deletionTimestamp', kind: 'time' },
  10: { name: 'deletionGracePeriodSeconds', kind: 'int' },
  11: { name: 'labels', map: 'string' },
  12: { name: 'annotations', map: 'string' },
  13: { name: 'ownerReferences', message: OWNER_REFERENCE, repeated: true },
  14: { name: 'finalizers', kind: 'string', repeated: true },
};

const META: Field = { name: 'metadata', message: OBJECT_META };

/** Decodable kinds, by `apiVersion/kind`. */
const SCHEMAS: Record<string, Schema> = {
  'v1/Namespace': {
    1: META,
    2: { name: 'spec', message: { 1: { name: 'finalizers', kind: 'string', repeated: true } } },
    3: { name: 'status', message: { 1: { name: 'phase', kind: 'string' } } },
  },
  'v1/ConfigMap': {
    1: META,
    2: { name: 'data', map: 'string' },
    3: { name: 'binaryData', map: 'bytes' },
    4: { name: 'immutable', kind: 'bool' },
  },
  'v1/Secret': {
    1: META,
    2: { name: 'data', map: 'bytes' },
    3: { name: 'type', kind: 'string' },
    4: { name: 'stringData', map: 'string' },
    5: { name: 'immutable', kind: 'bool' },
  },
  'v1/ServiceAccount': {
    1: META,
    4: { name: 'automountServiceAccountToken', kind: 'bool' },
  },
};

/**
 * Thrown for bodies this decoder cannot read: a 415 Status (code `KLOOP_APISERVER_STATUS`), so a
 * client that can fall back to JSON does.
 */
export class ProtobufUnsupported extends StatusError {
  constructor(why: string) {
    super(
      failureStatus(
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (protobuf: ${why})`,
      ),
    );
  }
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new ProtobufUnsupported('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new ProtobufUnsupported('varint too long');
    }
  }

  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new ProtobufUnsupported('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new ProtobufUnsupported(`unsupported wire type ${wire}`);
  }
}

function decodeTime(buf: Buffer): string | undefined {
  const r = new Reader(buf);
  let seconds = 0n;
  while (!r.done) {
    const tag = Number(r.varint());
    if (tag >>> 3 === 1 && (tag & 7) === 0) seconds = r.varint();
    else r.skip(tag & 7);
  }
  if (seconds === 0n) return undefined;
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}Z`;
}

function decodeMapEntry(buf: Buffer, valueKind: 'string' | 'bytes'): [string, string] {
  const r = new Reader(buf);
  let key = '';
  let value = '';
  while (!r.done) {
    const tag = Number(r.varint());
    const field = tag >>> 3;
    if ((tag & 7) !== 2) {
      r.skip(tag & 7);
      continue;
    }
    const b = r.bytes();
    if (field === 1) key = b.toString('utf8');
    else if (field === 2) value = valueKind === 'bytes' ? b.toString('base64') : b.toString('utf8');
  }
  return [key, value];
}

function decodeMessage(buf: Buffer, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (!r.done) {
    const tag = Number(r.varint());
    const wire = tag & 7;
    const field = schema[tag >>> 3];
    if (!field) {
      r.skip(wire);
      continue;
    }
    let value: unknown;
    if ('map' in field) {
      if (wire !== 2) throw new ProtobufUnsupported(`bad wire type for ${field.name}`);
      const [k, v] = decodeMapEntry(r.bytes(), field.map);
      const map = (out[field.name] ??= {}) as Record<string, string>;
      map[k] = v;
      continue;
    }
    if ('message' in field) {
      if (wire !== 2) throw new ProtobufUnsupported(`bad wire type for ${field.name}`);
      value = decodeMessage(r.bytes(), field.message);
    } else if (field.kind === 'string' || field.kind === 'bytes') {
      if (wire !== 2) throw new ProtobufUnsupported(`bad wire type for ${field.name}`);
      const b = r.bytes();
      value = field.kind === 'string' ? b.toString('utf8') : b.toString('base64');
      if (value === '' && !field.repeated) continue;
    } else if (field.kind === 'time') {
      value = decodeTime(r.bytes());
      if (value === undefined) continue;
    } else {
      if (wire !== 0) throw new ProtobufUnsupported(`bad wire type for ${field.name}`);
      const n = r.varint();
      value = field.kind === 'bool' ? n !== 0n : Number(BigInt.asIntN(64, n));
      if (field.kind === 'int' && value === 0) continue;
    }
    if (field.repeated) ((out[field.name] ??= []) as unknown[]).push(value);
    else out[field.name] = value;
  }
  return out;
}

/** True when `body` starts with the Kubernetes protobuf magic. */
export function isProtobuf(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(PROTOBUF_MAGIC);
}

/**
 * Decodes a `k8s\0`-prefixed protobuf body into the object's JSON form; throws
 * {@link ProtobufUnsupported} for kinds or encodings it does not know.
 */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (!isProtobuf(body)) throw new ProtobufUnsupported('missing the k8s protobuf prefix');
  const unknown = decodeMessage(body.subarray(4), {
    1: {
      name: 'typeMeta',
      message: { 1: { name: 'apiVersion', kind: 'string' }, 2: { name: 'kind', kind: 'string' } },
    },
    2: { name: 'raw', kind: 'bytes' },
    3: { name: 'contentEncoding', kind: 'string' },
  });
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  if (unknown.contentEncoding) throw new ProtobufUnsupported('content encodings are not supported');
  const schema = SCHEMAS[`${typeMeta.apiVersion}/${typeMeta.kind}`];
  if (!schema)
    throw new ProtobufUnsupported(`protobuf bodies of ${typeMeta.apiVersion}/${typeMeta.kind} are not supported`);
  const raw = Buffer.from(String(unknown.raw ?? ''), 'base64');
  const obj = decodeMessage(raw, schema);
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, metadata: {}, ...obj };
}
