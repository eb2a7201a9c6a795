import type { ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import { HEADER_CHUNK_BYTES } from '../limits';

const utf8 = new TextDecoder('utf-8');

/**
 * Sequential reads of a GGUF header through a bounded window of the file. `need(n)` makes sure
 * n bytes are buffered (one ranged read of at least HEADER_CHUNK_BYTES); the typed getters are
 * synchronous so a 250k-token vocabulary costs a handful of awaits, not one per item.
 */
export class HeaderCursor {
  private buf: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.buf.buffer);
  private bufStart = 0;
  private pos = 0;

  constructor(
    readonly src: ByteSource,
    readonly littleEndian: boolean,
  ) {}

  /** Absolute file offset of the next byte. */
  get offset(): number {
    return this.bufStart + this.pos;
  }

  get remainingInFile(): number {
    return this.src.size - this.offset;
  }

  has(n: number): boolean {
    return this.pos + n <= this.buf.length;
  }

  fail(what: string, offset = this.offset): FormatError {
    return new FormatError({ format: 'gguf', file: this.src.name, offset }, what);
  }

  /** Buffers at least n bytes at the current offset, or fails naming what was being read. */
  async need(n: number, what: string): Promise<void> {
    if (this.has(n)) return;
    const at = this.offset;
    const left = this.src.size - at;
    if (n > left) throw this.fail(`file ends inside ${what}: ${n} bytes needed, ${left} left in the ${this.src.size}-byte file`, at);
    const len = Math.min(Math.max(n, HEADER_CHUNK_BYTES), left);
    const bytes = await this.src.read(at, len);
    this.buf = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.bufStart = at;
    this.pos = 0;
  }

  /** Moves to an absolute offset (forward or backward); the next read refills the window. */
  seek(offset: number): void {
    if (offset >= this.bufStart && offset <= this.bufStart + this.buf.length) {
      this.pos = offset - this.bufStart;
      return;
    }
    this.buf = new Uint8Array(0);
    this.view = new DataView(this.buf.buffer);
    this.bufStart = offset;
    this.pos = 0;
  }

  u8(): number {
    return this.buf[this.pos++] as number;
  }
  i8(): number {
    return this.view.getInt8(this.pos++);
  }
  u16(): number {
    const v = this.view.getUint16(this.pos, this.littleEndian);
    this.pos += 2;
    return v;
  }
  i16(): number {
    const v = this.view.getInt16(this.pos, this.littleEndian);
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.view.getUint32(this.pos, this.littleEndian);
    this.pos += 4;
    return v;
  }
  i32(): number {
    const v = this.view.getInt32(this.pos, this.littleEndian);
    this.pos += 4;
    return v;
  }
  f32(): number {
    const v = this.view.getFloat32(this.pos, this.littleEndian);
    this.pos += 4;
    return v;
  }
  f64(): number {
    const v = this.view.getFloat64(this.pos, this.littleEndian);
    this.pos += 8;
    return v;
  }
  u64(): bigint {
    const v = this.view.getBigUint64(this.pos, this.littleEndian);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    const v = this.view.getBigInt64(this.pos, this.littleEndian);
    this.pos += 8;
    return v;
  }

  /** Decodes n buffered bytes as UTF-8 (malformed sequences become U+FFFD, as gguf-py's readers show them). */
  text(n: number): string {
    const s = utf8.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
}
