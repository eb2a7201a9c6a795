import type { TypeName } from '../../codecs/catalogue';
import type { ByteSource } from '../../io/byte-source';
import { UnsupportedError } from '../errors';
import type { TensorInfo } from '../model';

/**
 * One bundle entry as a TensorInfo. Numeric data is stored contiguously in its shard in the
 * byte order the header names; big-endian bundles are swapped here, element by element, so
 * callers always see little-endian bytes.
 */
export class BundleTensor implements TensorInfo {
  constructor(
    readonly name: string,
    /** The shard's name, or the index file's for entries without data of their own. */
    readonly file: string,
    readonly type: TypeName | null,
    readonly typeLabel: string,
    readonly shape: readonly number[],
    readonly nbytes: number,
    /** The shard holding the bytes, or null for entries without readable data (partitioned). */
    readonly shard: ByteSource | null,
    /** Where the stored bytes start in the shard, and how many there are (entry offset / size). */
    readonly storedOffset: number,
    readonly storedSize: number,
    /** Masked CRC-32C from the entry, or null when absent. */
    readonly storedCrc: number | null,
    /** Bytes per element to swap on read (1: no swap). */
    private readonly swapWidth: number,
  ) {}

  get fileOffset(): number {
    return this.shard !== null && this.type !== null && this.swapWidth === 1 ? this.storedOffset : -1;
  }

  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    if (this.type === null || this.shard === null) {
      throw new UnsupportedError({ format: 'tensorflow', file: this.file, tensor: this.name }, `${this.typeLabel} data cannot be decoded`);
    }
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.nbytes) {
      throw new RangeError(`${this.name}: read of ${length} bytes at offset ${offset} is outside the tensor (${this.nbytes} bytes)`);
    }
    if (length === 0) return new Uint8Array(0);
    const w = this.swapWidth;
    if (w === 1) return this.shard.read(this.storedOffset + offset, length, into);
    // big-endian: read whole elements, reverse each, hand back the asked-for window
    const first = offset - (offset % w);
    const end = offset + length;
    const last = end + ((w - (end % w)) % w);
    const bytes = (await this.shard.read(this.storedOffset + first, last - first)).slice();
    swapInPlace(bytes, w);
    return first === offset && last === end ? bytes : bytes.subarray(offset - first, offset - first + length);
  }
}

export function swapInPlace(b: Uint8Array, w: number): void {
  for (let i = 0; i + w <= b.length; i += w) {
    for (let a = i, z = i + w - 1; a < z; a++, z--) {
      const t = b[a]!;
      b[a] = b[z]!;
      b[z] = t;
    }
  }
}
