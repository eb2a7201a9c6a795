import type { ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import {
  decodeVarint,
  MAX_VARINT_BYTES,
  readU32,
  u64ToSafe,
  i64ToSafe,
  varint,
  VARINT_TRUNCATED,
  WIRE_I32,
  WIRE_I64,
  WIRE_LEN,
  WIRE_VARINT,
  wireTypeName,
  type ProtoWhere,
} from './wire';

/** Bytes fetched per refill: small enough to keep memory flat, large enough that a header of many small fields needs few reads. */
export const PROTO_WINDOW_BYTES = 256 * 1024;

/** Nesting depth of entered messages; ONNX nests graphs in attributes, but the readers here go a few levels deep. */
export const PROTO_MAX_DEPTH = 32;

/**
 * Walks the fields of a protobuf message that lives in a ByteSource, without loading it: the
 * reader keeps one window of at most PROTO_WINDOW_BYTES (or the longest value read with
 * readBytes) and moves through the file with bounded reads. LEN fields are reported as
 * (offset, length) and are either entered (their fields walked next, like CodedInputStream's
 * PushLimit), read (when small) or skipped, which costs nothing: a 2 GB raw_data is passed over
 * by moving an offset.
 */
export class ProtoStream {
  /** Absolute offset of the next unread byte. */
  pos: number;
  /** End of the message being walked (absolute). */
  limit: number;
  private readonly limits: number[] = [];
  private buf = new Uint8Array(0);
  private bufStart = 0;

  /** Set by next(): the current field, its wire type, where its tag started and where its value starts. */
  field = 0;
  wire = 0;
  tagAt = 0;
  valueAt = 0;
  lo = 0;
  hi = 0;
  /** The current LEN field's payload: [lenStart, lenStart + len). */
  lenStart = 0;
  len = 0;
  /** Where the current field ends; next() continues from here unless enter() was called. */
  private fieldEnd = 0;

  constructor(
    readonly src: ByteSource,
    readonly where: ProtoWhere,
    start = 0,
    end = src.size,
    private readonly windowBytes = PROTO_WINDOW_BYTES,
  ) {
    this.pos = start;
    this.fieldEnd = start;
    this.limit = end;
  }

  fail(what: string, at = this.pos, tensor?: string): never {
    throw new FormatError({ ...this.where, offset: at, ...(tensor !== undefined ? { tensor } : {}) }, what);
  }

  /** Makes [pos, pos + n) (clipped to the file) available in the window. */
  private async fill(n: number): Promise<void> {
    const have = this.bufStart + this.buf.length - this.pos;
    if (this.pos >= this.bufStart && have >= n) return;
    const want = Math.min(Math.max(n, this.windowBytes), this.src.size - this.pos);
    if (want <= 0) {
      this.buf = new Uint8Array(0);
      this.bufStart = this.pos;
      return;
    }
    // copy: a source may hand out views into a cache that its next read overwrites
    this.buf = (await this.src.read(this.pos, want)).slice();
    this.bufStart = this.pos;
  }

  /**
   * Reads the next field's tag and scalar value; for LEN fields only the bounds. False at the end
   * of the current message. A LEN field not entered or read is skipped.
   */
  async next(): Promise<boolean> {
    this.pos = this.fieldEnd;
    if (this.pos >= this.limit) return false;
    await this.fill(2 * MAX_VARINT_BYTES);
    const end = Math.min(this.bufStart + this.buf.length, this.limit) - this.bufStart;
    const at = this.pos;
    this.tagAt = at;
    let p = decodeVarint(this.buf, at - this.bufStart, end);
    if (p < 0) this.fail(p === VARINT_TRUNCATED ? 'truncated field tag' : 'overlong field tag', at);
    if (varint.hi !== 0) this.fail('field tag is larger than 32 bits', at);
    this.field = varint.lo >>> 3;
    this.wire = varint.lo & 7;
    if (this.field === 0) this.fail('field number 0 is not allowed', at);
    this.valueAt = this.bufStart + p;
    switch (this.wire) {
      case WIRE_VARINT:
        p = decodeVarint(this.buf, p, end);
        if (p < 0) this.fail(`${p === VARINT_TRUNCATED ? 'truncated' : 'overlong'} varint in field ${this.field}`, at);
        this.lo = varint.lo;
        this.hi = varint.hi;
        break;
      case WIRE_I64:
        if (end - p < 8) this.fail(`truncated 8-byte value in field ${this.field}`, at);
        this.lo = readU32(this.buf, p);
        this.hi = readU32(this.buf, p + 4);
        p += 8;
        break;
      case WIRE_I32:
        if (end - p < 4) this.fail(`truncated 4-byte value in field ${this.field}`, at);
        this.lo = readU32(this.buf, p);
        this.hi = 0;
        p += 4;
        break;
      case WIRE_LEN: {
        p = decodeVarint(this.buf, p, end);
        if (p < 0) this.fail(`${p === VARINT_TRUNCATED ? 'truncated' : 'overlong'} length in field ${this.field}`, at);
        const len = u64ToSafe(varint.lo, varint.hi);
        const left = this.limit - (this.bufStart + p);
        if (len < 0 || len > left) {
          this.fail(`field ${this.field} declares ${len < 0 ? 'more than 2^53' : len} bytes but its message has ${left} left`, at);
        }
        this.lenStart = this.bufStart + p;
        this.len = len;
        p += len;
        break;
      }
      default:
        this.fail(`field ${this.field} has wire type ${wireTypeName(this.wire)}, which this reader does not accept`, at);
    }
    this.fieldEnd = this.bufStart + p;
    this.pos = this.fieldEnd;
    return true;
  }

  expect(wire: number): void {
    if (this.wire !== wire) {
      this.fail(`field ${this.field} has wire type ${wireTypeName(this.wire)} where ${wireTypeName(wire)} was expected`, this.tagAt);
    }
  }

  /** Walks the current LEN field's payload as a message until leave(). */
  enter(): void {
    this.expect(WIRE_LEN);
    if (this.limits.length >= PROTO_MAX_DEPTH) this.fail(`messages nested deeper than ${PROTO_MAX_DEPTH}`, this.tagAt);
    this.limits.push(this.limit);
    this.limit = this.lenStart + this.len;
    this.pos = this.lenStart;
    this.fieldEnd = this.lenStart;
  }

  /** Returns to the enclosing message, after the entered field. */
  leave(): void {
    const outer = this.limits.pop();
    if (outer === undefined) throw new Error('internal error: ProtoStream.leave without enter');
    this.pos = this.limit;
    this.fieldEnd = this.limit;
    this.limit = outer;
  }

  get depth(): number {
    return this.limits.length;
  }

  uint(): number {
    this.expect(WIRE_VARINT);
    const v = u64ToSafe(this.lo, this.hi);
    if (v < 0) this.fail(`field ${this.field} value exceeds 2^53 - 1`, this.tagAt);
    return v;
  }

  int(): number {
    this.expect(WIRE_VARINT);
    const v = i64ToSafe(this.lo, this.hi);
    if (Number.isNaN(v)) this.fail(`field ${this.field} value exceeds 2^53 - 1 in magnitude`, this.tagAt);
    return v;
  }

  /** The current LEN payload, copied; refused when longer than `max` bytes (what: for the message). */
  async bytes(max: number, what: string): Promise<Uint8Array> {
    this.expect(WIRE_LEN);
    if (this.len > max) this.fail(`${what} is ${this.len} bytes, over the limit of ${max}`, this.tagAt);
    if (this.len === 0) return new Uint8Array(0);
    const rel = this.lenStart - this.bufStart;
    if (rel >= 0 && rel + this.len <= this.buf.length) return this.buf.slice(rel, rel + this.len);
    return (await this.src.read(this.lenStart, this.len)).slice();
  }

  async string(max: number, what: string): Promise<string> {
    return utf8.decode(await this.bytes(max, what));
  }
}

const utf8 = new TextDecoder('utf-8');
