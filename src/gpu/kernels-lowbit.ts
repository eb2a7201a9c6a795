import type { GpuCodecKernels } from './kernel';

export const LOWBIT_KERNELS = {
  TQ1_0: { decode: null, encode: null },
  TQ2_0: { decode: null, encode: null },
  MXFP4: { decode: null, encode: null },
  NVFP4: { decode: null, encode: null },
} as const satisfies Record<string, GpuCodecKernels>;
