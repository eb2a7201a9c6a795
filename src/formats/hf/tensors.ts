import type { TypeName } from '../../codecs/catalogue';
import { bitsToF32, f16ToF32Bits, f32BitsToF16, f32ToBits } from '../../codecs/half';
import type { TensorInfo } from '../model';

/**
 * Tensors of a Hugging Face checkpoint as the converter writes them, computed per read so that a
 * chunk costs a chunk: llama's q/k rows permutation and the widening to F32 of tensors the
 * converter always stores as F32 (norms, 1-D tensors). Both are exact byte moves, so any later
 * conversion sees exactly the converter's values.
 */

/**
 * LlamaModel.permute as a row map: GGUF row `r` of a projection with `heads` heads of `d` rows
 * each is HF row h*d + (j even ? j/2 : d/2 + (j-1)/2), where h = r / d and j = r % d.
 */
export function permutedSourceRow(r: number, headRows: number): number {
  const h = Math.floor(r / headRows);
  const j = r - h * headRows;
  return h * headRows + ((j & 1) === 0 ? j >>> 1 : (headRows >>> 1) + (j >>> 1));
}

/**
 * A tensor whose rows are reordered within each head: row r reads source row `sourceRow(r, headRows)`
 * (llama's q/k permutation by default; the way back passes its inverse). Rows are whole blocks of any
 * type, so quantized tensors reorder as bytes. `rows` must be a multiple of 2 * heads (checked by the
 * caller).
 */
export class PermutedRowsTensor implements TensorInfo {
  readonly type: TypeName | null;
  readonly typeLabel: string;
  readonly shape: readonly number[];
  readonly nbytes: number;
  readonly file: string;
  /** The bytes are not stored in this order anywhere. */
  readonly fileOffset = -1;
  private readonly rowBytes: number;
  private readonly headRows: number;
  constructor(
    readonly name: string,
    private readonly src: TensorInfo,
    heads: number,
    private readonly sourceRow: (r: number, headRows: number) => number = permutedSourceRow,
  ) {
    this.type = src.type;
    this.typeLabel = src.typeLabel;
    this.shape = src.shape;
    this.nbytes = src.nbytes;
    this.file = src.file;
    const rows = src.shape[0] ?? 1;
    this.rowBytes = rows > 0 ? src.nbytes / rows : 0;
    this.headRows = rows / heads;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRead(this, offset, length);
    const out = new Uint8Array(length);
    if (length === 0) return out;
    const rb = this.rowBytes;
    const r0 = Math.floor(offset / rb);
    const r1 = Math.ceil((offset + length) / rb);
    // one source read covering every row the chunk needs: at most one head more than the chunk
    let lo = Infinity;
    let hi = -1;
    for (let r = r0; r < r1; r++) {
      const s = this.sourceRow(r, this.headRows);
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    const src = await this.src.read(lo * rb, (hi + 1 - lo) * rb);
    for (let r = r0; r < r1; r++) {
      const s = this.sourceRow(r, this.headRows);
      const a = Math.max(offset, r * rb); // tensor byte range of this row inside the chunk
      const b = Math.min(offset + length, (r + 1) * rb);
      const from = (s - lo) * rb + (a - r * rb);
      out.set(src.subarray(from, from + (b - a)), a - offset);
    }
    return out;
  }
}

/** A BF16, F16 or F32 tensor presented as F32 (what the converter writes for norms and 1-D tensors). */
export class WidenedTensor implements TensorInfo {
  readonly type: TypeName = 'F32';
  readonly typeLabel = 'F32';
  readonly shape: readonly number[];
  readonly nbytes: number;
  readonly file: string;
  readonly fileOffset: number;
  private readonly inBytes: number;
  constructor(
    readonly name: string,
    private readonly src: TensorInfo,
  ) {
    this.shape = src.shape;
    this.inBytes = src.type === 'F32' ? 4 : 2;
    this.nbytes = (src.nbytes / this.inBytes) * 4;
    this.file = src.file;
    this.fileOffset = src.type === 'F32' ? src.fileOffset : -1;
  }

  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    checkRead(this, offset, length);
    if (this.inBytes === 4) return this.src.read(offset, length, into);
    const e0 = Math.floor(offset / 4);
    const e1 = Math.ceil((offset + length) / 4);
    const raw = await this.src.read(e0 * 2, (e1 - e0) * 2);
    const bytes = new Uint8Array((e1 - e0) * 4);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const ov = new DataView(bytes.buffer);
    const bf16 = this.src.type === 'BF16';
    for (let i = 0; i < e1 - e0; i++) {
      const h = dv.getUint16(2 * i, true);
      ov.setUint32(4 * i, bf16 ? (h << 16) >>> 0 : f16ToF32Bits(h), true);
    }
    return bytes.subarray(offset - e0 * 4, offset - e0 * 4 + length);
  }
}

/**
 * A norm weight plus a constant, as F32 (Gemma's `data_torch + 1`). The converter adds in the
 * dtype the tensor has by then: BF16 was widened to float32 first (prepare_tensors), F16 stays
 * F16 (torch adds in float32 and rounds the sum to half), F32 adds in float32; the result is
 * stored as F32 (a norm).
 */
export class ShiftedTensor implements TensorInfo {
  readonly type: TypeName = 'F32';
  readonly typeLabel = 'F32';
  readonly shape: readonly number[];
  readonly nbytes: number;
  readonly file: string;
  readonly fileOffset = -1;
  private readonly inBytes: number;
  constructor(
    readonly name: string,
    private readonly src: TensorInfo,
    private readonly shift: number,
  ) {
    this.shape = src.shape;
    this.inBytes = src.type === 'F32' ? 4 : 2;
    this.nbytes = (src.nbytes / this.inBytes) * 4;
    this.file = src.file;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRead(this, offset, length);
    const e0 = Math.floor(offset / 4);
    const e1 = Math.ceil((offset + length) / 4);
    const raw = await this.src.read(e0 * this.inBytes, (e1 - e0) * this.inBytes);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const bytes = new Uint8Array((e1 - e0) * 4);
    const ov = new DataView(bytes.buffer);
    const k = Math.fround(this.shift);
    for (let i = 0; i < e1 - e0; i++) {
      let v: number;
      if (this.src.type === 'F32') v = Math.fround(dv.getFloat32(4 * i, true) + k);
      else if (this.src.type === 'BF16') v = Math.fround(bitsToF32((dv.getUint16(2 * i, true) << 16) >>> 0) + k);
      else v = bitsToF32(f16ToF32Bits(f32BitsToF16(f32ToBits(Math.fround(bitsToF32(f16ToF32Bits(dv.getUint16(2 * i, true))) + k)))));
      ov.setFloat32(4 * i, v, true);
    }
    return bytes.subarray(offset - e0 * 4, offset - e0 * 4 + length);
  }
}

/** The first `rows` rows of a tensor (Gemma3's token_embd cut to the vocabulary). */
export function firstRows(name: string, src: TensorInfo, rows: number): TensorInfo {
  const rowBytes = src.nbytes / (src.shape[0] ?? 1);
  const t: TensorInfo = {
    name,
    type: src.type,
    typeLabel: src.typeLabel,
    shape: [rows, ...src.shape.slice(1)],
    nbytes: rows * rowBytes,
    file: src.file,
    fileOffset: src.fileOffset,
    read: async (offset, length, into) => {
      checkRead(t, offset, length);
      return src.read(offset, length, into);
    },
  };
  return t;
}

/**
 * Tensors of one shape stacked on a new first axis (torch.stack(dim=0): the MoE experts of a
 * layer). A read gathers its range from the experts it spans, so memory follows the chunk.
 */
export class StackedTensor implements TensorInfo {
  readonly type: TypeName | null;
  readonly typeLabel: string;
  readonly shape: readonly number[];
  readonly nbytes: number;
  readonly file: string;
  readonly fileOffset = -1;
  private readonly each: number;
  constructor(
    readonly name: string,
    private readonly parts: readonly TensorInfo[],
  ) {
    const first = parts[0]!;
    this.type = first.type;
    this.typeLabel = first.typeLabel;
    this.shape = [parts.length, ...first.shape];
    this.each = first.nbytes;
    this.nbytes = first.nbytes * parts.length;
    this.file = first.file;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRead(this, offset, length);
    const out = new Uint8Array(length);
    let at = offset;
    while (at < offset + length) {
      const x = Math.floor(at / this.each);
      const from = at - x * this.each;
      const n = Math.min(this.each - from, offset + length - at);
      out.set(await this.parts[x]!.read(from, n), at - offset);
      at += n;
    }
    return out;
  }
}

/** The RangeError every tensor view raises for a read outside its bytes. */
export function checkRead(t: TensorInfo, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > t.nbytes) {
    throw new RangeError(`tensor '${t.name}': read of ${length} bytes at offset ${offset} is outside its ${t.nbytes} bytes`);
  }
}
