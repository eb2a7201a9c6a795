/**
 * Encoding with an importance matrix: ggml_quantize_chunk's `imatrix` argument, which
 * llama-quantize fills with the per-column weights of an imatrix file. Each type's
 * quantize_<type> in ggml-quants.c (llama.cpp 34af94cd) decides what the weights do: the types
 * listed here run another quantizer with them (quantize_row_<type>_impl); Q8_0, MXFP4, NVFP4,
 * TQ1_0, TQ2_0, Q1_0, Q2_0 and the float types ignore them, so their plain encoder serves.
 *
 * The weights are per column: `weights.length` is the row length and `src` holds whole rows.
 * Rows are encoded one at a time because some quantizers weigh by the whole row's mean square.
 */
import { TYPES, type TypeName } from './catalogue';
import type { CpuCodec } from './codec';
import { encodeQ4_0Rows, encodeQ4_1Rows, encodeQ5_0Rows, encodeQ5_1Rows } from './legacy-encode-imatrix';
import { encodeQ2_KWeighted, encodeQ3_KWeighted, encodeQ4_KWeighted, encodeQ5_KWeighted, encodeQ6_KWeighted } from './kquants-encode-imatrix';
import { encodeIQ4_NL, encodeIQ4_XS } from './iq-encode-iq4';
import { IQ_WEIGHTED_ENCODERS } from './iq-weighted';

/** One row `x` into `dst` with the row's weights `qw` (same length as x). */
export type RowEncoder = (x: Float32Array, dst: Uint8Array, qw: Float32Array) => void;

export const WEIGHTED_ROW_ENCODERS: Partial<Record<TypeName, RowEncoder>> = {
  Q4_0: encodeQ4_0Rows,
  Q4_1: encodeQ4_1Rows,
  Q5_0: encodeQ5_0Rows,
  Q5_1: encodeQ5_1Rows,
  Q2_K: encodeQ2_KWeighted,
  Q3_K: encodeQ3_KWeighted,
  Q4_K: encodeQ4_KWeighted,
  Q5_K: encodeQ5_KWeighted,
  Q6_K: encodeQ6_KWeighted,
  IQ4_NL: encodeIQ4_NL,
  IQ4_XS: encodeIQ4_XS,
  ...IQ_WEIGHTED_ENCODERS,
};

/** Types whose quantizer reads the importance matrix (ggml has a quant_weights path for them). */
export const USES_WEIGHTS: ReadonlySet<TypeName> = new Set([
  'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K',
  'IQ4_NL', 'IQ4_XS', 'IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M',
] satisfies TypeName[]);

/** Runs `enc` row by row, checking that the sizes are whole rows of whole blocks. */
export function encodeRows(type: TypeName, enc: RowEncoder, src: Float32Array, dst: Uint8Array, weights: Float32Array): void {
  const { blockSize, typeSize } = TYPES[type];
  const n = weights.length;
  const rows = n > 0 ? src.length / n : 0;
  const rowBytes = (n / blockSize) * typeSize;
  if (n === 0 || n % blockSize !== 0 || !Number.isInteger(rows) || dst.length !== rows * rowBytes) {
    throw new RangeError(`${type} encode with importance weights: ${src.length} floats, ${dst.length} bytes and ${n} weights are not whole rows of whole blocks`);
  }
  for (let r = 0; r < rows; r++) enc(src.subarray(r * n, (r + 1) * n), dst.subarray(r * rowBytes, (r + 1) * rowBytes), weights);
}

/**
 * Every codec with an encode that takes the optional weights: the weighted quantizer where
 * ggml has one, the plain one where ggml ignores them. A type ggml weighs but Kiln cannot
 * yet refuses weights rather than silently dropping them.
 */
export function withImportance<K extends TypeName>(codecs: Readonly<Record<K, CpuCodec>>): Record<K, CpuCodec> {
  const out = {} as Record<K, CpuCodec>;
  for (const t of Object.keys(codecs) as K[]) {
    const base = codecs[t];
    const rows = WEIGHTED_ROW_ENCODERS[t];
    const plain = base.encode;
    let encode: CpuCodec['encode'] = plain;
    if (rows !== undefined) {
      encode = (src, dst, weights) => {
        if (weights !== undefined) encodeRows(t, rows, src, dst, weights);
        else if (plain !== null) plain(src, dst);
        else {
          const { blockSize, typeSize } = TYPES[t];
          if (src.length % blockSize !== 0 || dst.length !== (src.length / blockSize) * typeSize) {
            throw new RangeError(`${t} encode: ${src.length} floats and ${dst.length} bytes are not the same whole number of blocks`);
          }
          throw new Error(`${t} needs an importance matrix (ggml_quantize_chunk asserts imatrix != NULL)`);
        }
      };
    } else if (plain !== null && USES_WEIGHTS.has(t)) {
      encode = (src, dst, weights) => {
        if (weights !== undefined) throw new Error(`Kiln cannot yet encode ${t} with an importance matrix`);
        plain(src, dst);
      };
    } else if (plain !== null) {
      encode = (src, dst) => plain(src, dst);
    }
    out[t] = { decode: base.decode, encode };
  }
  return out;
}
