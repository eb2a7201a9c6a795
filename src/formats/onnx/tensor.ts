import type { TypeName } from '../../codecs/catalogue';
import type { ByteSource } from '../../io/byte-source';
import { invariant, UnsupportedError } from '../errors';
import type { TensorInfo } from '../model';
import { readFixed, type Segments, type VarintData } from './typed-data';

/** Where an initializer's canonical bytes come from. */
export type OnnxData =
  /** Contiguous little-endian bytes: raw_data, external data, or one packed float/double run. */
  | { readonly kind: 'bytes'; readonly src: ByteSource; readonly offset: number }
  /** float_data / double_data in several runs. */
  | { readonly kind: 'fixed'; readonly src: ByteSource; readonly segs: Segments }
  /** int32_data / int64_data / uint64_data: decoded on read. */
  | { readonly kind: 'varint'; readonly data: VarintData }
  /** Nothing Kiln can read (types it only lists, sparse tensors). */
  | { readonly kind: 'none' };

export class OnnxTensor implements TensorInfo {
  constructor(
    readonly name: string,
    readonly type: TypeName | null,
    readonly typeLabel: string,
    readonly shape: readonly number[],
    readonly nbytes: number,
    readonly file: string,
    readonly fileOffset: number,
    private readonly data: OnnxData,
  ) {}

  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    const d = this.data;
    if (this.type === null) {
      throw new UnsupportedError({ format: 'onnx', file: this.file, tensor: this.name }, `${this.typeLabel} data cannot be decoded`);
    }
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.nbytes) {
      throw new RangeError(`${this.name}: read of ${length} bytes at offset ${offset} is outside the tensor (${this.nbytes} bytes)`);
    }
    if (length === 0) return new Uint8Array(0);
    invariant(d.kind !== 'none', `${this.name} has a type but no data`);
    if (d.kind === 'bytes') return d.src.read(d.offset + offset, length, into);
    if (d.kind === 'fixed') return readFixed(d.src, d.segs, offset, length);
    return d.data.read(offset, length);
  }
}
