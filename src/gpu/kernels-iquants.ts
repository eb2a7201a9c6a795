import type { GpuCodecKernels } from './kernel';

export const IQUANTS_KERNELS = {
  IQ2_XXS: { decode: null, encode: null },
  IQ2_XS: { decode: null, encode: null },
  IQ2_S: { decode: null, encode: null },
  IQ3_XXS: { decode: null, encode: null },
  IQ3_S: { decode: null, encode: null },
  IQ1_S: { decode: null, encode: null },
  IQ1_M: { decode: null, encode: null },
  IQ4_NL: { decode: null, encode: null },
  IQ4_XS: { decode: null, encode: null },
} as const satisfies Record<string, GpuCodecKernels>;
