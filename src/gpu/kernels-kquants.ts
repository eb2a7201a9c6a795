import type { GpuCodecKernels } from './kernel';

const dec = (entry: string) => ({ module: 'kquants-decode', entry, blocksPerInvocation: 1 });
/**
 * Encoders search each super-block sequentially in one invocation (the default 64 per
 * workgroup); Q3_K (110 bytes) and Q6_K (210 bytes) go in pairs so every store is a whole
 * u32 word.
 */
const enc = (entry: string, blocksPerInvocation: 1 | 2) => ({ module: 'kquants-encode', entry, blocksPerInvocation });

export const KQUANTS_KERNELS = {
  Q2_K: { decode: dec('decode_q2_k'), encode: enc('encode_q2_k', 1), encodeWeighted: { ...enc('encode_q2_k_w', 1), weighted: true } },
  Q3_K: { decode: dec('decode_q3_k'), encode: enc('encode_q3_k', 2), encodeWeighted: { ...enc('encode_q3_k_w', 2), weighted: true } },
  Q4_K: { decode: dec('decode_q4_k'), encode: enc('encode_q4_k', 1), encodeWeighted: { ...enc('encode_q4_k_w', 1), weighted: true } },
  Q5_K: { decode: dec('decode_q5_k'), encode: enc('encode_q5_k', 1), encodeWeighted: { ...enc('encode_q5_k_w', 1), weighted: true } },
  Q6_K: { decode: dec('decode_q6_k'), encode: enc('encode_q6_k', 2), encodeWeighted: { ...enc('encode_q6_k_w', 2), weighted: true } },
  // ggml_quantize_chunk has no case for Q8_K (an activation format): decode only
  Q8_K: { decode: dec('decode_q8_k'), encode: null },
} as const satisfies Record<string, GpuCodecKernels>;
