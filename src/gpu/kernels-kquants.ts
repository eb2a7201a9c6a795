import type { GpuCodecKernels } from './kernel';

export const KQUANTS_KERNELS = {
  Q2_K: { decode: null, encode: null },
  Q3_K: { decode: null, encode: null },
  Q4_K: { decode: null, encode: null },
  Q5_K: { decode: null, encode: null },
  Q6_K: { decode: null, encode: null },
  Q8_K: { decode: null, encode: null },
} as const satisfies Record<string, GpuCodecKernels>;
