import type { GpuCodecKernels } from './kernel';

/**
 * Decoders run one block per invocation slot (a workgroup's lanes share its blocks in 4-float
 * parts); encoders take two blocks where one block is not a whole number of u32 words.
 */
const dec = (entry: string) => ({ module: 'legacy-decode', entry, blocksPerInvocation: 1 });
const enc = (entry: string, blocksPerInvocation: 1 | 2) => ({ module: 'legacy-encode', entry, blocksPerInvocation });
/** The encoders with an importance matrix share kquants-encode.wgsl's weighted searches. */
const weightedEnc = (entry: string, blocksPerInvocation: 1 | 2) => ({ module: 'kquants-encode', entry, blocksPerInvocation, weighted: true });

export const LEGACY_KERNELS = {
  Q4_0: { decode: dec('decode_q4_0'), encode: enc('encode_q4_0', 2), encodeWeighted: weightedEnc('encode_q4_0_w', 2) },
  Q4_1: { decode: dec('decode_q4_1'), encode: enc('encode_q4_1', 1), encodeWeighted: weightedEnc('encode_q4_1_w', 1) },
  Q5_0: { decode: dec('decode_q5_0'), encode: enc('encode_q5_0', 2), encodeWeighted: weightedEnc('encode_q5_0_w', 2) },
  Q5_1: { decode: dec('decode_q5_1'), encode: enc('encode_q5_1', 1), encodeWeighted: weightedEnc('encode_q5_1_w', 1) },
  Q8_0: { decode: dec('decode_q8_0'), encode: enc('encode_q8_0', 2) },
  // ggml has no to_float and no quantize_chunk case for Q8_1 (see src/codecs/legacy.ts)
  Q8_1: { decode: null, encode: null },
  Q1_0: { decode: dec('decode_q1_0'), encode: enc('encode_q1_0', 2) },
  Q2_0: { decode: dec('decode_q2_0'), encode: enc('encode_q2_0', 2) },
} as const satisfies Record<string, GpuCodecKernels>;
