import type { CpuCodec } from './codec';

const NONE: CpuCodec = { decode: null, encode: null };

export const LEGACY_CODECS = {
  Q4_0: NONE,
  Q4_1: NONE,
  Q5_0: NONE,
  Q5_1: NONE,
  Q8_0: NONE,
  Q8_1: NONE,
  Q1_0: NONE,
  Q2_0: NONE,
} as const satisfies Record<string, CpuCodec>;
