/**
 * The protobuf wire format: a reader that treats every byte as hostile and a writer that lays
 * bytes out as Go's generated marshallers do. The reader never allocates more than the input it
 * has (lengths are checked against what is left before anything is sliced) and reports every
 * malformation with the text of Go's generated `Unmarshal` methods.
 */
import { ProtobufDecodeError } from './protobuf-errors.js';

/** Wire types (the low three bits of a tag). */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

const TWO_32 = 0x1_0000_0000;

/** A view over one message's bytes: `[pos, end)` of `buf`. */
export class WireReader {
  pos: number;
  /** The field being read, added to `path` in error messages. */
  field: string | undefined;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
    /** The JSON path of the message, for error messages. */
    readonly path = '',
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(message: string): never {
    const path = this.field === undefined ? this.path : this.path === '' ? this.field : `${this.path}.${this.field}`;
    throw new ProtobufDecodeError(message, path);
  }

  /**
   * A varint as a number when it fits in 53 bits (every length, tag and realistic value),
   * otherwise as a bigint holding its low 64 bits. Go rejects more than ten bytes.
   */
  varint(): number | bigint {
    const buf = this.buf;
    let pos = this.pos;
    // Fast path: up to four bytes (28 bits) without leaving small-integer arithmetic.
    let result = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= this.end) this.fail('unexpected EOF');
      const b = buf[pos++];
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return result >>> 0;
      }
    }
    let big = BigInt(result >>> 0);
    for (let shift = 28n; ; shift += 7n) {
      if (shift >= 70n) this.fail('proto: integer overflow');
      if (pos >= this.end) this.fail('unexpected EOF');
      const b = buf[pos++];
      big |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    this.pos = pos;
    big = BigInt.asUintN(64, big);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }

  /** A tag: field number and wire type, checked as Go's generated code checks them. */
  tag(messageName: string): { number: number; wire: number } {
    const raw = this.varint();
    const wire = Number(typeof raw === 'bigint' ? raw & 7n : raw % 8);
    // Go: fieldNum := int32(wire >> 3); the top bits of an oversized tag make it <= 0.
    const shifted = typeof raw === 'bigint' ? raw >> 3n : Math.floor(raw / 8);
    const number = Number(BigInt.asIntN(32, BigInt(shifted)));
    if (wire === WIRE_END_GROUP) this.fail(`proto: ${messageName}: wiretype end group for non-group`);
    // Go prints the whole tag value as "wire type" here.
    if (number <= 0) this.fail(`proto: ${messageName}: illegal tag ${number} (wire type ${raw})`);
    return { number, wire };
  }

  /** A length prefix, checked against the bytes left; returns the end offset of the payload. */
  lengthEnd(): number {
    const raw = this.varint();
    // Go reads lengths into an int: anything past 2^63 is negative.
    if (typeof raw === 'bigint' && BigInt.asIntN(64, raw) < 0n)
      this.fail('proto: negative length found during unmarshaling');
    const length = Number(raw);
    if (length > this.end - this.pos) this.fail('unexpected EOF');
    return this.pos + length;
  }

  /** A length-delimited payload as a view (no copy). */
  bytes(): Buffer {
    const end = this.lengthEnd();
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  fixed64(): Buffer {
    if (this.end - this.pos < 8) this.fail('unexpected EOF');
    const out = this.buf.subarray(this.pos, this.pos + 8);
    this.pos += 8;
    return out;
  }

  fixed32(): Buffer {
    if (this.end - this.pos < 4) this.fail('unexpected EOF');
    const out = this.buf.subarray(this.pos, this.pos + 4);
    this.pos += 4;
    return out;
  }

  /** Skips a field of an unknown number, as Go's `skipGenerated` does (groups included). */
  skip(wire: number): void {
    let depth = 0;
    for (;;) {
      switch (wire) {
        case WIRE_VARINT:
          this.varint();
          break;
        case WIRE_FIXED64:
          this.fixed64();
          break;
        case WIRE_BYTES:
          this.pos = this.lengthEnd();
          break;
        case WIRE_START_GROUP:
          depth++;
          break;
        case WIRE_END_GROUP:
          if (depth === 0) this.fail('proto: unexpected end of group');
          depth--;
          break;
        case WIRE_FIXED32:
          this.fixed32();
          break;
        default:
          this.fail(`proto: illegal wireType ${wire}`);
      }
      if (depth === 0) return;
      const raw = this.varint();
      wire = Number(typeof raw === 'bigint' ? raw & 7n : raw % 8);
    }
  }
}

/** The low 64 bits of a varint as a signed integer, as a JS number (precision as JSON would give). */
export function varintToInt64(v: number | bigint): number {
  if (typeof v === 'number') return v;
  return Number(BigInt.asIntN(64, v));
}

/** The low 32 bits of a varint as a signed integer (Go's int32 fields truncate so). */
export function varintToInt32(v: number | bigint): number {
  if (typeof v === 'number') return v > 0xffff_ffff ? (v % TWO_32) | 0 : v | 0;
  return Number(BigInt.asIntN(32, v));
}

export function varintToUint32(v: number | bigint): number {
  if (typeof v === 'number') return v > 0xffff_ffff ? v % TWO_32 : v;
  return Number(BigInt.asUintN(32, v));
}

export function varintToUint64(v: number | bigint): number {
  return Number(v);
}

/** A growable output buffer with Go's layout for varints, length prefixes and scalars. */
export class WireWriter {
  private buf: Buffer;
  pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** An unsigned varint of a non-negative safe integer. */
  uvarint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** A signed 64-bit integer as Go writes it (negative numbers take ten bytes). */
  int64(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0 && Number.isSafeInteger(v)) {
      this.uvarint(v);
      return;
    }
    let u = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  tag(number: number, wire: number): void {
    this.uvarint(number * 8 + wire);
  }

  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  float(v: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.pos);
    this.pos += 4;
  }

  /** Bytes as they are, with no length prefix. */
  raw(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** A length-prefixed byte string. */
  bytes(v: Uint8Array): void {
    this.uvarint(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** A length-prefixed UTF-8 string. */
  string(v: string): void {
    const length = Buffer.byteLength(v);
    this.uvarint(length);
    this.ensure(length);
    this.buf.write(v, this.pos, length, 'utf8');
    this.pos += length;
  }

  /** Starts a length-delimited message; pass the result to {@link endMessage}. */
  beginMessage(): number {
    this.ensure(1);
    this.pos++; // room for a one-byte length, the common case
    return this.pos;
  }

  /** Writes the length before the message started at `start`, moving it if the length needs more bytes. */
  endMessage(start: number): void {
    const length = this.pos - start;
    let size = 1;
    for (let v = length; v >= 0x80; v = Math.floor(v / 0x80)) size++;
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copyWithin(start + size - 1, start, this.pos);
      this.pos += size - 1;
    }
    let at = start - 1;
    let v = length;
    while (v >= 0x80) {
      this.buf[at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[at] = v;
  }

  /** The bytes written so far (a copy the caller owns). */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
