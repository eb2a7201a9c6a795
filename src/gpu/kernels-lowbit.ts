import type { GpuCodecKernels, GpuKernel } from './kernel';

/**
 * Ternary and FP4 kernels (shaders/lowbit-ternary.wgsl, shaders/lowbit-fp4.wgsl). Decoders give
 * each lane 8 outputs of one block; encoders give a lane whole blocks whose bytes end on a word
 * boundary: TQ1_0 (54 bytes) and TQ2_0 (66) in pairs, MXFP4 (17) in fours, NVFP4 (36) alone.
 */
const dec = (module: string, entry: string, lanes: number): GpuKernel => ({ module, entry, blocksPerInvocation: 1, invocationsPerGroup: lanes });
const enc = (module: string, entry: string, blocks: number): GpuKernel => ({ module, entry, blocksPerInvocation: blocks });

export const LOWBIT_KERNELS = {
  TQ1_0: { decode: dec('lowbit-ternary', 'decode_tq1_0', 32), encode: enc('lowbit-ternary', 'encode_tq1_0', 2) },
  TQ2_0: { decode: dec('lowbit-ternary', 'decode_tq2_0', 32), encode: enc('lowbit-ternary', 'encode_tq2_0', 2) },
  MXFP4: { decode: dec('lowbit-fp4', 'decode_mxfp4', 4), encode: enc('lowbit-fp4', 'encode_mxfp4', 4) },
  NVFP4: { decode: dec('lowbit-fp4', 'decode_nvfp4', 8), encode: enc('lowbit-fp4', 'encode_nvfp4', 1) },
} as const satisfies Record<string, GpuCodecKernels>;
