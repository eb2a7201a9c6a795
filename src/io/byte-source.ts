/**
 * Random-access, read-only bytes: a user's file, a part of one, or memory. Readers never ask
 * for the whole file; they ask for ranges and the source decides how to fetch them.
 */
export interface ByteSource {
  /** What the user would call this file (used in error messages and shard matching). */
  readonly name: string;
  /** Total size in bytes. Files larger than 2^53 bytes do not exist in practice. */
  readonly size: number;
  /**
   * Reads exactly `length` bytes at `offset`. Rejects with a RangeError when the range does
   * not lie inside the source. Each call returns its own bytes (a later read never overwrites
   * them), which callers must not modify: a view may share memory with the source itself.
   */
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
}

/**
 * When a source is given `into` (a buffer the caller recycles to keep allocation, and so garbage
 * collection, out of streaming loops) it may read into it; the result is then a view of `into`'s
 * memory, possibly on a transferred ArrayBuffer.
 */
export function intoView(into: Uint8Array | undefined, length: number): Uint8Array | null {
  return into !== undefined && into.length >= length ? into.subarray(0, length) : null;
}

export function checkRange(src: { name: string; size: number }, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > src.size) {
    throw new RangeError(`${src.name}: read of ${length} bytes at offset ${offset} is outside the file (${src.size} bytes)`);
  }
}

export class MemorySource implements ByteSource {
  readonly size: number;
  constructor(
    readonly name: string,
    private readonly bytes: Uint8Array,
  ) {
    this.size = bytes.length;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
}

/** A window [offset, offset + size) of another source, addressed from 0. */
export class SliceSource implements ByteSource {
  constructor(
    readonly name: string,
    private readonly inner: ByteSource,
    private readonly offset: number,
    readonly size: number,
  ) {
    checkRange(inner, offset, size);
  }
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    checkRange(this, offset, length);
    return this.inner.read(this.offset + offset, length, into);
  }
}
