import type { CpuCodec } from './codec';

const NONE: CpuCodec = { decode: null, encode: null };

export const KQUANTS_CODECS = {
  Q2_K: NONE,
  Q3_K: NONE,
  Q4_K: NONE,
  Q5_K: NONE,
  Q6_K: NONE,
  Q8_K: NONE,
} as const satisfies Record<string, CpuCodec>;
