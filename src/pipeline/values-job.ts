import { TYPES } from '../codecs/catalogue';
import { CPU_CODECS } from '../codecs/registry';
import type { TensorInfo } from '../formats/model';
import { elementCount } from '../formats/model';
import { StatsUnavailableError } from './stats-job';

/** The first values of a tensor's first rows, decoded with the CPU codecs (a few blocks only). */
export interface TensorValues {
  readonly type: string;
  /** Elements per block of the type (1 for plain types). */
  readonly blockSize: number;
  /** Elements per row (the last dimension). */
  readonly rowLength: number;
  readonly rows: readonly {
    readonly row: number;
    /** Decoded f32 values of the row's first elements. */
    readonly values: readonly number[];
    /** The block (index in the tensor) each value comes from. */
    readonly blocks: readonly number[];
  }[];
}

/**
 * Decodes the first `cols` values of the first `rows` rows: each row's first blocks are read at
 * their byte offset (TensorInfo.read) and decoded by CPU_CODECS[type].decode, so a quantized tensor
 * shows the numbers its blocks stand for.
 */
export async function tensorValues(t: TensorInfo, rows = 4, cols = 16): Promise<TensorValues> {
  if (t.type === null) throw new StatsUnavailableError(`${t.name}: ${t.typeLabel} cannot be decoded`);
  const type = t.type;
  const info = TYPES[type];
  const decode = CPU_CODECS[type].decode;
  if (decode === null && type !== 'F32') throw new StatsUnavailableError(`${t.name}: Kiln cannot decode ${type} yet`);
  const elements = elementCount(t.shape);
  const rowLength = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1]!;
  const out: { row: number; values: number[]; blocks: number[] }[] = [];
  if (elements === 0 || rowLength === 0) return { type, blockSize: info.blockSize, rowLength, rows: out };
  const nRows = Math.min(rows, Math.floor(elements / rowLength));
  for (let r = 0; r < nRows; r++) {
    const start = r * rowLength;
    // whole blocks from the block holding the row's first element
    const firstBlock = Math.floor(start / info.blockSize);
    const want = Math.min(cols, rowLength);
    const lastBlock = Math.min(Math.ceil(elements / info.blockSize), Math.ceil((start + want) / info.blockSize));
    const nBlocks = lastBlock - firstBlock;
    const bytes = await t.read(firstBlock * info.typeSize, nBlocks * info.typeSize);
    const f = new Float32Array(nBlocks * info.blockSize);
    if (type === 'F32') f.set(new Float32Array(bytes.slice().buffer, 0, f.length));
    else decode!(bytes, f);
    const skip = start - firstBlock * info.blockSize;
    const values: number[] = [];
    const blocks: number[] = [];
    for (let j = 0; j < want; j++) {
      values.push(f[skip + j]!);
      blocks.push(Math.floor((start + j) / info.blockSize));
    }
    out.push({ row: r, values, blocks });
  }
  return { type, blockSize: info.blockSize, rowLength, rows: out };
}
