import type { CpuCodec } from './codec';

const NONE: CpuCodec = { decode: null, encode: null };

export const LOWBIT_CODECS = {
  TQ1_0: NONE,
  TQ2_0: NONE,
  MXFP4: NONE,
  NVFP4: NONE,
} as const satisfies Record<string, CpuCodec>;
