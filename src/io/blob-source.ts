import { checkRange, intoView, type ByteSource } from './byte-source';

// FileReaderSync exists only in workers; the DOM lib does not declare it.
interface SyncReader {
  readAsArrayBuffer(blob: Blob): ArrayBuffer;
}
declare const FileReaderSync: (new () => SyncReader) | undefined;

/**
 * A File or Blob read by ranges through Blob.slice, so a multi-gigabyte file is never in memory.
 * In a dedicated Worker, FileReaderSync is used: measured ~30% faster than slice().arrayBuffer()
 * in headless Chromium (PLATFORM.md).
 */
/**
 * Streams with a read in progress. Chromium does not keep a Blob's stream alive for its pending
 * read: when the stream and its reader are reachable only from the awaiting code (which the
 * pending promise itself holds), a collection takes them all and the read never settles. That lost
 * wake-up froze conversions in the page (issue 8: 12 of 18 runs of a 1 GB model); holding them
 * here until the read ends makes every read settle (test/reliability/blob-read-gc.test.ts).
 */
const readsInFlight = new Set<{ stream: ReadableStream<Uint8Array>; reader: ReadableStreamBYOBReader }>();

export class BlobSource implements ByteSource {
  readonly size: number;
  readonly name: string;
  private readonly syncReader: SyncReader | null;

  constructor(
    private readonly blob: Blob,
    name?: string,
  ) {
    this.size = blob.size;
    this.name = name ?? ((blob as File).name || 'blob');
    this.syncReader = typeof FileReaderSync === 'function' ? new FileReaderSync() : null;
  }

  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    checkRange(this, offset, length);
    const target = intoView(into, length);
    if (target !== null && length > 0) return this.readInto(offset, target);
    const part = this.blob.slice(offset, offset + length);
    const buf = this.syncReader ? this.syncReader.readAsArrayBuffer(part) : await part.arrayBuffer();
    if (buf.byteLength !== length) {
      throw new Error(`${this.name}: short read, ${buf.byteLength} of ${length} bytes at offset ${offset} (was the file changed?)`);
    }
    return new Uint8Array(buf);
  }

  /**
   * Streams the range into the caller's buffer with a BYOB reader, so no buffer is allocated per
   * read. The reader transfers the buffer on every read; the result views the final transfer.
   */
  private async readInto(offset: number, target: Uint8Array): Promise<Uint8Array> {
    const length = target.length;
    const stream = this.blob.slice(offset, offset + length).stream();
    const reader = stream.getReader({ mode: 'byob' });
    const held = { stream, reader };
    readsInFlight.add(held);
    const base = target.byteOffset;
    let buffer = target.buffer as ArrayBuffer;
    let filled = 0;
    try {
      while (filled < length) {
        const { value, done } = await reader.read(new Uint8Array(buffer, base + filled, length - filled));
        if (done || value === undefined) break;
        buffer = value.buffer as ArrayBuffer;
        filled += value.byteLength;
      }
    } finally {
      readsInFlight.delete(held);
      reader.releaseLock();
    }
    if (filled !== length) throw new Error(`${this.name}: short read, ${filled} of ${length} bytes at offset ${offset} (was the file changed?)`);
    return new Uint8Array(buffer, base, length);
  }
}
