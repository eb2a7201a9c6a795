import type { ByteSource } from '../../io/byte-source';
import { UnsupportedError } from '../errors';
import type { TensorInfo } from '../model';
import { swapPlan, swapToLittle, swapUnit, type SwapPlan } from './byteswap';
import type { GgufHeader, GgufTensorEntry } from './header';

function checkTensorRange(name: string, nbytes: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > nbytes) {
    throw new RangeError(`tensor '${name}': read of ${length} bytes at offset ${offset} is outside its ${nbytes} bytes`);
  }
}

class GgufTensor implements TensorInfo {
  readonly name: string;
  readonly type: TensorInfo['type'];
  readonly typeLabel: string;
  readonly shape: readonly number[];
  readonly nbytes: number;
  readonly file: string;
  readonly fileOffset: number;

  constructor(
    private readonly src: ByteSource,
    e: GgufTensorEntry,
    dataOffset: number,
    /** null for little-endian files: bytes are already canonical. */
    private readonly swap: SwapPlan | null,
  ) {
    this.name = e.name;
    this.type = e.type;
    this.typeLabel = e.typeLabel;
    this.shape = e.ne.slice().reverse();
    this.nbytes = e.nbytes;
    this.file = src.name;
    this.fileOffset = dataOffset + e.offset;
  }

  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    checkTensorRange(this.name, this.nbytes, offset, length);
    const swap = this.swap;
    if (swap === null || swap.kind === 'none') return this.src.read(this.fileOffset + offset, length, into);
    if (swap.kind === 'refuse') {
      throw new UnsupportedError(
        { format: 'gguf', file: this.file, offset: this.fileOffset, tensor: this.name },
        `${this.typeLabel} data in a big-endian GGUF has no defined byte order (gguf_convert_endian.py cannot convert it either); convert the file to little-endian first`,
      );
    }
    const unit = swapUnit(swap);
    const start = Math.floor(offset / unit) * unit;
    const end = Math.min(Math.ceil((offset + length) / unit) * unit, this.nbytes);
    const raw = await this.src.read(this.fileOffset + start, end - start);
    const le = swapToLittle(swap, raw);
    return le.subarray(offset - start, offset - start + length);
  }
}

export function ggufTensors(src: ByteSource, h: GgufHeader): TensorInfo[] {
  return h.tensors.map((e) => {
    let swap: SwapPlan | null = null;
    if (!h.littleEndian) swap = e.type === null ? { kind: 'none' } : swapPlan(e.type);
    return new GgufTensor(src, e, h.dataOffset, swap);
  });
}

export function ggufDetails(h: GgufHeader): Map<string, string> {
  return new Map([
    ['version', String(h.version)],
    ['byte order', h.littleEndian ? 'little-endian' : 'big-endian'],
    ['alignment', String(h.alignment)],
    ['data offset', String(h.dataOffset)],
    ['key-value pairs', String(h.metadata.size)],
    ['tensor count', String(h.tensors.length)],
  ]);
}
