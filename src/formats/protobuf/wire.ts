import { FormatError, type FormatErrorWhere } from '../errors';

/**
 * Protobuf wire format primitives (https://protobuf.dev/programming-guides/encoding/): base-128
 * varints, tags, and the four wire types still in use. Pure functions over a Uint8Array plus a
 * small synchronous reader for messages already in memory (TensorFlow's index entries). The
 * streaming reader for messages that live in a large file is in stream.ts and shares these.
 *
 * 64-bit varints are decoded into two uint32 halves so no BigInt is made per value; callers turn
 * them into a number with one checked conversion.
 */

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_SGROUP = 3;
export const WIRE_EGROUP = 4;
export const WIRE_I32 = 5;

/** Field numbers are 29 bits (the tag is `field << 3 | wire type` in a varint32). */
export const MAX_FIELD_NUMBER = (1 << 29) - 1;

/** A varint never needs more than 10 bytes for 64 bits. */
export const MAX_VARINT_BYTES = 10;

/** Where errors are reported: the format being parsed and the file. */
export interface ProtoWhere {
  readonly format: FormatErrorWhere['format'];
  readonly file: string;
}

/** Output of decodeVarint: the low and high 32 bits of the value, unsigned. */
export const varint = { lo: 0, hi: 0 };

export const VARINT_TRUNCATED = -1;
export const VARINT_OVERLONG = -2;

/**
 * Decodes one varint at `p` (bytes before `end` only) into `varint.lo` / `varint.hi`. Returns the
 * position after it, VARINT_TRUNCATED when `end` comes first, or VARINT_OVERLONG when it runs past
 * 10 bytes or sets bits above 64.
 */
export function decodeVarint(buf: Uint8Array, p: number, end: number): number {
  let lo = 0;
  let hi = 0;
  let b: number;
  // bytes 0..3 fill lo's 28 low bits
  for (let shift = 0; shift < 28; shift += 7) {
    if (p >= end) return VARINT_TRUNCATED;
    b = buf[p++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      varint.lo = lo >>> 0;
      varint.hi = 0;
      return p;
    }
  }
  // byte 4: 4 bits to lo, 3 bits to hi
  if (p >= end) return VARINT_TRUNCATED;
  b = buf[p++]!;
  lo |= (b & 0x0f) << 28;
  hi = (b & 0x70) >>> 4;
  if (b < 0x80) {
    varint.lo = lo >>> 0;
    varint.hi = hi;
    return p;
  }
  // bytes 5..9 fill hi from bit 3
  for (let shift = 3; shift < 32; shift += 7) {
    if (p >= end) return VARINT_TRUNCATED;
    b = buf[p++]!;
    if (shift === 31 && b > 1) return VARINT_OVERLONG; // the 10th byte holds only bit 63
    hi |= (b & 0x7f) << shift;
    if (b < 0x80) {
      varint.lo = lo >>> 0;
      varint.hi = hi >>> 0;
      return p;
    }
  }
  return VARINT_OVERLONG;
}

/** The unsigned 64-bit value lo/hi as a number, or -1 when it exceeds 2^53 - 1. */
export function u64ToSafe(lo: number, hi: number): number {
  if (hi > 0x1fffff) return -1;
  return hi * 0x100000000 + lo;
}

/** The two's-complement signed 64-bit value lo/hi as a number, or NaN when |value| exceeds 2^53 - 1. */
export function i64ToSafe(lo: number, hi: number): number {
  if (hi < 0x80000000) return hi > 0x1fffff ? NaN : hi * 0x100000000 + lo;
  // negative: -(2^64 - v)
  const nlo = (~lo + 1) >>> 0;
  const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
  if (nhi > 0x1fffff) return NaN;
  return -(nhi * 0x100000000 + nlo);
}

export function wireTypeName(w: number): string {
  return ['VARINT', 'I64', 'LEN', 'SGROUP', 'EGROUP', 'I32', '6', '7'][w] ?? String(w);
}

/**
 * A synchronous reader over one message held in memory. `base` is the absolute file offset of
 * `bytes[0]`, so errors point into the file.
 */
export class ProtoBytes {
  pos: number;
  /** Set by next(): the current field's number and wire type. */
  field = 0;
  wire = 0;
  /** The current VARINT / I64 / I32 value's halves (I32: lo only). */
  lo = 0;
  hi = 0;
  /** The current LEN field's payload is bytes[lenStart, lenEnd). */
  lenStart = 0;
  lenEnd = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly where: ProtoWhere,
    readonly base = 0,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  fail(what: string, at = this.pos): never {
    throw new FormatError({ ...this.where, offset: this.base + at }, what);
  }

  /** Reads the next field's tag and value (LEN: only its bounds). False at the end. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    const at = this.pos;
    let p = decodeVarint(this.bytes, this.pos, this.end);
    if (p < 0) this.fail(p === VARINT_TRUNCATED ? 'truncated field tag' : 'overlong field tag', at);
    if (varint.hi !== 0) this.fail(`field tag ${varint.hi * 0x100000000 + varint.lo} is larger than 32 bits`, at);
    const tag = varint.lo;
    this.field = tag >>> 3;
    this.wire = tag & 7;
    if (this.field === 0) this.fail('field number 0 is not allowed', at);
    switch (this.wire) {
      case WIRE_VARINT:
        p = decodeVarint(this.bytes, p, this.end);
        if (p < 0) this.fail(`${p === VARINT_TRUNCATED ? 'truncated' : 'overlong'} varint in field ${this.field}`, at);
        this.lo = varint.lo;
        this.hi = varint.hi;
        break;
      case WIRE_I64:
        if (this.end - p < 8) this.fail(`truncated 8-byte value in field ${this.field}`, at);
        this.lo = readU32(this.bytes, p);
        this.hi = readU32(this.bytes, p + 4);
        p += 8;
        break;
      case WIRE_I32:
        if (this.end - p < 4) this.fail(`truncated 4-byte value in field ${this.field}`, at);
        this.lo = readU32(this.bytes, p);
        this.hi = 0;
        p += 4;
        break;
      case WIRE_LEN: {
        p = decodeVarint(this.bytes, p, this.end);
        if (p < 0) this.fail(`${p === VARINT_TRUNCATED ? 'truncated' : 'overlong'} length in field ${this.field}`, at);
        const len = u64ToSafe(varint.lo, varint.hi);
        if (len < 0 || len > this.end - p) {
          this.fail(`field ${this.field} declares ${len < 0 ? 'more than 2^53' : len} bytes but its message has ${this.end - p} left`, at);
        }
        this.lenStart = p;
        this.lenEnd = p + len;
        p += len;
        break;
      }
      default:
        this.fail(`field ${this.field} has wire type ${wireTypeName(this.wire)}, which this reader does not accept`, at);
    }
    this.pos = p;
    return true;
  }

  /** The current field's payload as a sub-reader (LEN fields only; checked by the caller's schema). */
  sub(): ProtoBytes {
    this.expect(WIRE_LEN);
    return new ProtoBytes(this.bytes, this.where, this.base, this.lenStart, this.lenEnd);
  }

  expect(wire: number): void {
    if (this.wire !== wire) {
      this.fail(`field ${this.field} has wire type ${wireTypeName(this.wire)} where ${wireTypeName(wire)} was expected`);
    }
  }

  /** Unsigned varint as a number; error when above 2^53 - 1. */
  uint(): number {
    this.expect(WIRE_VARINT);
    const v = u64ToSafe(this.lo, this.hi);
    if (v < 0) this.fail(`field ${this.field} value exceeds 2^53 - 1`);
    return v;
  }

  /** int64 / int32 varint (two's complement) as a number; error when |v| exceeds 2^53 - 1. */
  int(): number {
    this.expect(WIRE_VARINT);
    const v = i64ToSafe(this.lo, this.hi);
    if (Number.isNaN(v)) this.fail(`field ${this.field} value exceeds 2^53 - 1 in magnitude`);
    return v;
  }

  fixed32(): number {
    this.expect(WIRE_I32);
    return this.lo;
  }

  bytesValue(): Uint8Array {
    this.expect(WIRE_LEN);
    return this.bytes.subarray(this.lenStart, this.lenEnd);
  }

  string(): string {
    return utf8.decode(this.bytesValue());
  }
}

const utf8 = new TextDecoder('utf-8');

export function readU32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}
