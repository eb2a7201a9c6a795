import { llama3RopeFactors } from '../hf/extra-tensors';

/**
 * Llama 3's rope_scaling read back from the rope_freqs.weight the converter generated from it
 * (LlamaModel.generate_extra_tensors): factor is the largest factor; the other three parameters
 * are found among the values Llama 3.x checkpoints use, by computing the factors for each candidate
 * and keeping the one that gives the tensor's values (to an ulp: torch's powf may differ there).
 * Null when none does: the caller then says the scaling is lost rather than guess.
 */
export interface Llama3Rope {
  readonly factor: number;
  readonly low_freq_factor: number;
  readonly high_freq_factor: number;
  readonly original_max_position_embeddings: number;
}

const LOW = [1, 2];
const HIGH = [4, 8, 2];
const ORIGINAL = [8192, 4096, 16384, 32768, 131072];

function close(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > Math.abs(b[i]!) * 2.5e-7) return false;
  return true;
}

export function recoverLlama3Rope(factors: Float32Array, ropeTheta: number, headDim: number): Llama3Rope | null {
  let factor = 0;
  for (const x of factors) factor = Math.max(factor, x);
  if (!(factor > 0)) return null;
  for (const original of ORIGINAL) {
    for (const low of LOW) {
      for (const high of HIGH) {
        if (high <= low) continue;
        const rope = { factor, low_freq_factor: low, high_freq_factor: high, original_max_position_embeddings: original };
        const want = llama3RopeFactors({ head_dim: headDim, rope_theta: ropeTheta, rope_scaling: { rope_type: 'llama3', ...rope } });
        if (want !== null && close(want, factors)) return rope;
      }
    }
  }
  return null;
}
