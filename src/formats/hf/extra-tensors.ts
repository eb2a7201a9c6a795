import type { TensorInfo } from '../model';
import type { HfConfig } from './arch-table';
import { ropeParameters } from './hparams';

/**
 * Tensors the converter generates rather than reads (ModelBase.generate_extra_tensors), written
 * before the checkpoint's own. Llama 3's rope scaling becomes rope_freqs.weight: one factor per
 * rotary pair (LlamaModel.generate_extra_tensors at llama.cpp 34af94cd).
 */

const f = Math.fround;

/**
 * The llama3 rope factors in float32, operation by operation as torch evaluates the converter's
 * expression: float32 tensors with Python scalars cast to float32, `scalar / tensor` as
 * reciprocal(tensor) * scalar (Tensor.__rtruediv__), comparisons against the scalar in float32.
 * `base ** (i / dim)` is torch.pow in float32, which vectorized CPU code computes with SLEEF's
 * powf (error <= 1 ulp); here it is the double power rounded to float32 (the correctly rounded
 * value), so a factor in the smooth band may differ by an ulp where SLEEF's result is not the
 * correctly rounded one. Null when the config has no llama3 rope scaling.
 */
export function llama3RopeFactors(hp: HfConfig): Float32Array | null {
  const rope = ropeParameters(hp);
  const full = rope['full_attention'];
  const rp = (typeof full === 'object' && full !== null ? full : rope) as Record<string, unknown>;
  const type = rp['rope_type'];
  if (typeof type !== 'string' || type.toLowerCase() !== 'llama3') return null;
  const num = (k: string, d: number): number => (typeof rp[k] === 'number' ? (rp[k] as number) : d);
  const base = num('rope_theta', 10000.0);
  const hd = hp['head_dim'];
  const dim = typeof hd === 'number' ? hd : Math.floor((hp['hidden_size'] as number) / (hp['num_attention_heads'] as number));
  const factor = num('factor', 8.0);
  const lowFF = num('low_freq_factor', 1.0);
  const highFF = num('high_freq_factor', 4.0);
  const oldCtx = num('original_max_position_embeddings', 8192);
  const lowWavelen = f(oldCtx / lowFF);
  const highWavelen = f(oldCtx / highFF);
  const twoPi = f(2 * Math.PI);
  const out = new Float32Array(Math.ceil(dim / 2));
  for (let k = 0; 2 * k < dim; k++) {
    const e = f((2 * k) / dim);
    const freq = f(1 / f(Math.pow(f(base), e)));
    const wavelen = f(f(1 / freq) * twoPi);
    if (wavelen < highWavelen) out[k] = 1;
    else if (wavelen > lowWavelen) out[k] = f(factor);
    else {
      const smooth = f(f(f(f(1 / wavelen) * f(oldCtx)) - f(lowFF)) / f(highFF - lowFF));
      out[k] = f(1 / f(f(f(1 - smooth) / f(factor)) + smooth));
    }
  }
  return out;
}

export interface Phi3RopeFactors {
  readonly long: Float32Array;
  readonly short: Float32Array;
  /** rope.scaling.attn_factor, as Python computes it in double. */
  readonly attnFactor: number;
}

/**
 * Phi3MiniModel.generate_extra_tensors: a long-context Phi-3 lists its rope factors in rope_scaling
 * (long_factor, short_factor, n_rot/2 each), written as rope_factors_long/short.weight; the
 * attention factor follows from the context extension. Null when there are no long factors; a
 * string when the converter would stop (its message, in words).
 */
export function phi3RopeFactors(hp: HfConfig, ropeDims: number): Phi3RopeFactors | string | null {
  const rp = ropeParameters(hp);
  const long = rp['long_factor'];
  const short = rp['short_factor'];
  if (!Array.isArray(long) || long.length === 0) return null;
  const maxPos = hp['n_positions'] ?? hp['max_position_embeddings'];
  const orig = rp['original_max_position_embeddings'];
  if (typeof maxPos !== 'number' || typeof orig !== 'number') return 'rope_scaling has long factors but no original_max_position_embeddings / max_position_embeddings';
  const scale = maxPos / orig;
  const type = typeof rp['rope_type'] === 'string' ? (rp['rope_type'] as string).toLowerCase() : '';
  if (type === '') return 'rope_scaling has long factors but no type';
  let attnFactor: number;
  if (type === 'su' || type === 'longrope') attnFactor = scale > 1.0 ? Math.sqrt(1 + Math.log(scale) / Math.log(orig)) : 1.0;
  else if (type === 'yarn') attnFactor = scale > 1.0 ? 0.1 * Math.log(scale) + 1.0 : 1.0;
  else return `rope_scaling type ${JSON.stringify(rp['rope_type'])} with long factors is not supported (nor by the converter)`;
  if (!Array.isArray(short)) return 'rope_scaling has long_factor but no short_factor';
  if (long.length !== short.length || long.length !== ropeDims / 2) return `rope long and short factors must hold ${ropeDims / 2} values each; they hold ${long.length} and ${short.length}`;
  if (![...long, ...short].every((x) => typeof x === 'number')) return 'rope_scaling long_factor / short_factor hold something other than numbers';
  return { long: Float32Array.from(long as number[]), short: Float32Array.from(short as number[]), attnFactor };
}

/** A small F32 tensor held in memory. */
export function memoryF32Tensor(name: string, values: Float32Array, file: string): TensorInfo {
  const bytes = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  return {
    name,
    type: 'F32',
    typeLabel: 'F32',
    shape: [values.length],
    nbytes: bytes.length,
    file,
    fileOffset: -1,
    read: async (offset, length) => {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > bytes.length) {
        throw new RangeError(`tensor '${name}': read of ${length} bytes at offset ${offset} is outside its ${bytes.length} bytes`);
      }
      return bytes.slice(offset, offset + length);
    },
  };
}
