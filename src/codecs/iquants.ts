import type { CpuCodec } from './codec';

const NONE: CpuCodec = { decode: null, encode: null };

export const IQUANTS_CODECS = {
  IQ2_XXS: NONE,
  IQ2_XS: NONE,
  IQ2_S: NONE,
  IQ3_XXS: NONE,
  IQ3_S: NONE,
  IQ1_S: NONE,
  IQ1_M: NONE,
  IQ4_NL: NONE,
  IQ4_XS: NONE,
} as const satisfies Record<string, CpuCodec>;
