/**
 * A deflated zip entry seen as random-access bytes. Deflate can only be decoded from the start,
 * so this inflates forwards with fflate's streaming Inflate, keeps the output from the start of
 * the last read onwards, and restarts from the beginning only when a read goes back before that.
 * Readers that walk a storage front to back (every contiguous tensor) inflate it exactly once.
 */
import { Inflate } from 'fflate';
import { checkRange, type ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import { crc32Update } from './crc32';

/**
 * Compressed bytes fed per push. fflate emits everything one push yields as one chunk, and deflate
 * expands at most ~1032x, so this bounds a single chunk to ~66 MiB even for a hostile stream.
 */
const INPUT_CHUNK = 64 * 1024;

export interface InflateWhere {
  /** The archive file, for errors. */
  readonly file: string;
  /** Absolute offset of the compressed data in the archive, for errors. */
  readonly offset: number;
}

export class InflateSource implements ByteSource {
  readonly name: string;
  /** How many times the stream was restarted from its beginning (for tests and diagnostics). */
  restarts = 0;

  private inflater: Inflate | null = null;
  private fed = 0;
  private produced = 0;
  private finished = false;
  private running = 0;
  private crcChecked = false;
  /** Output chunks still held, in order; `heldStart` is the uncompressed offset of the first one. */
  private held: Uint8Array[] = [];
  private heldStart = 0;
  private failure: FormatError | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly compressed: ByteSource,
    readonly size: number,
    private readonly expectedCrc: number | null,
    private readonly where: InflateWhere,
  ) {
    this.name = compressed.name;
  }

  /** Reads run one at a time: the inflater's position is shared state. */
  read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    const run = this.queue.then(() => this.readNow(offset, length));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readNow(offset: number, length: number): Promise<Uint8Array> {
    if (length === 0) return new Uint8Array(0);
    if (offset < this.heldStart || this.inflater === null) this.restart();
    const end = offset + length;
    while (this.produced < end) await this.pump();
    this.drop(offset);
    return this.gather(offset, length);
  }

  private restart(): void {
    if (this.inflater !== null) this.restarts++;
    this.inflater = new Inflate((chunk, final) => this.accept(chunk, final));
    this.fed = 0;
    this.produced = 0;
    this.finished = false;
    this.running = 0;
    this.held = [];
    this.heldStart = 0;
    this.failure = null;
  }

  private error(what: string, atCompressed: number): FormatError {
    return new FormatError({ format: 'zip', file: this.where.file, offset: this.where.offset + atCompressed }, `${this.name}: ${what}`);
  }

  private accept(chunk: Uint8Array, final: boolean): void {
    if (this.failure) return;
    if (this.produced + chunk.length > this.size) {
      this.failure = this.error(`inflates to more than the ${this.size} bytes the directory declares`, this.fed);
      return;
    }
    if (chunk.length > 0) {
      this.held.push(chunk);
      this.produced += chunk.length;
      if (!this.crcChecked) this.running = crc32Update(this.running, chunk);
    }
    if (final) this.finished = true;
  }

  private async pump(): Promise<void> {
    const inflater = this.inflater!;
    if (this.finished || this.fed >= this.compressed.size) {
      throw this.error(`deflate stream ends after ${this.produced} of ${this.size} bytes`, this.fed);
    }
    const n = Math.min(INPUT_CHUNK, this.compressed.size - this.fed);
    const input = await this.compressed.read(this.fed, n);
    const last = this.fed + n === this.compressed.size;
    try {
      inflater.push(input, last);
    } catch (e) {
      throw this.error(`corrupt deflate data (${(e as Error).message})`, this.fed);
    }
    this.fed += n;
    if (this.failure) throw this.failure;
    if (last && this.produced === this.size && !this.crcChecked && this.expectedCrc !== null) {
      if (this.running !== this.expectedCrc) {
        throw this.error(`CRC-32 is 0x${this.running.toString(16)}, the directory says 0x${this.expectedCrc.toString(16)}`, 0);
      }
      this.crcChecked = true;
    }
  }

  /** Forgets chunks that end at or before `offset`; later reads at or after it need no restart. */
  private drop(offset: number): void {
    let i = 0;
    let start = this.heldStart;
    while (i < this.held.length - 1 && start + this.held[i]!.length <= offset) start += this.held[i++]!.length;
    if (i > 0) {
      this.held = this.held.slice(i);
      this.heldStart = start;
    }
  }

  private gather(offset: number, length: number): Uint8Array {
    let i = 0;
    let start = this.heldStart;
    while (start + this.held[i]!.length <= offset) start += this.held[i++]!.length;
    const first = this.held[i]!;
    const from = offset - start;
    if (from + length <= first.length) return first.subarray(from, from + length);
    const out = new Uint8Array(length);
    let done = 0;
    for (; done < length; i++) {
      const c = this.held[i]!;
      const s = done === 0 ? from : 0;
      const take = Math.min(c.length - s, length - done);
      out.set(c.subarray(s, s + take), done);
      done += take;
    }
    return out;
  }
}
