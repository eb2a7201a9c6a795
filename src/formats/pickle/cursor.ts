/**
 * Byte-level reading for the pickle VM: every read is checked against the end of the data before
 * it happens (a PickleTruncatedError says how many bytes were wanted), and integer reads go through
 * one DataView so an opcode costs no allocation.
 */
import { FormatError } from '../errors';
import { decodeUtf8 } from './text';

/** The bytes ended inside the pickle. A caller reading a stream may fetch more and try again. */
export class PickleTruncatedError extends FormatError {
  override readonly name: string = 'PickleTruncatedError';
}

export class PickleCursor {
  protected pos: number;
  /** Offset of the opcode being executed, for error messages. */
  protected opAt = 0;
  private readonly dv: DataView;

  constructor(
    protected readonly b: Uint8Array,
    start: number,
    private readonly file: string,
    /** Added to offsets in errors, so they point into the file when the pickle is a part of it. */
    protected readonly base: number,
    private readonly maxLongBytes: number,
  ) {
    this.pos = start;
    this.dv = new DataView(b.buffer, b.byteOffset, b.length);
  }

  error(what: string, at = this.opAt): FormatError {
    return new FormatError({ format: 'pickle', file: this.file, offset: this.base + at }, what);
  }

  protected need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.b.length) {
      throw new PickleTruncatedError(
        { format: 'pickle', file: this.file, offset: this.base + this.opAt },
        `${what} needs ${n} bytes at offset ${this.base + this.pos} but the pickle data ends at ${this.base + this.b.length}`,
      );
    }
  }

  protected take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  protected u8(what: string): number {
    this.need(1, what);
    return this.b[this.pos++]!;
  }

  protected u16(what: string): number {
    this.need(2, what);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  protected u32(what: string): number {
    this.need(4, what);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  protected i32(what: string): number {
    this.need(4, what);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  protected f64be(what: string): number {
    this.need(8, what);
    const v = this.dv.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  /** A 64-bit length, which cannot exceed the pickle itself. */
  protected len64(what: string): number {
    this.need(8, what);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(this.b.length)) throw this.error(`${what} of ${v} bytes is larger than the whole pickle (${this.b.length} bytes)`);
    return Number(v);
  }

  /** Little-endian two's complement, as LONG1 / LONG4 store Python ints. */
  protected long(n: number): bigint {
    if (n > this.maxLongBytes) throw this.error(`integer of ${n} bytes, more than ${this.maxLongBytes}`);
    const d = this.take(n, 'a long integer');
    if (n === 0) return 0n;
    let hex = '';
    for (let i = n - 1; i >= 0; i--) hex += d[i]!.toString(16).padStart(2, '0');
    let v = BigInt('0x' + hex);
    if (d[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v;
  }

  protected line(what: string, max = Infinity): Uint8Array {
    const nl = this.b.indexOf(0x0a, this.pos);
    if (nl < 0) this.need(this.b.length - this.pos + 1, `${what} (a line ending in \\n)`);
    if (nl - this.pos > max) throw this.error(`${what} line is ${nl - this.pos} bytes, more than ${max}`);
    const out = this.b.subarray(this.pos, nl);
    this.pos = nl + 1;
    return out;
  }

  protected asciiLine(what: string, max: number): string {
    const l = this.line(what, max);
    let s = '';
    for (let i = 0; i < l.length; i++) s += String.fromCharCode(l[i]!);
    return s.replace(/\r$/, '');
  }

  protected str(bytes: Uint8Array, what: string): string {
    const s = decodeUtf8(bytes);
    if (s === null) throw this.error(`${what} is not valid UTF-8`);
    return s;
  }
}
