import type { GpuCodecKernels } from './kernel';

export const LEGACY_KERNELS = {
  Q4_0: { decode: null, encode: null },
  Q4_1: { decode: null, encode: null },
  Q5_0: { decode: null, encode: null },
  Q5_1: { decode: null, encode: null },
  Q8_0: { decode: null, encode: null },
  Q8_1: { decode: null, encode: null },
  Q1_0: { decode: null, encode: null },
  Q2_0: { decode: null, encode: null },
} as const satisfies Record<string, GpuCodecKernels>;
