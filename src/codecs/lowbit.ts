import type { CpuCodec } from './codec';
import { decodeTQ1_0, decodeTQ2_0, encodeTQ1_0, encodeTQ2_0 } from './lowbit-ternary';
import { decodeMXFP4, decodeNVFP4, encodeMXFP4, encodeNVFP4 } from './lowbit-fp4';

/** Ternary (TQ1_0, TQ2_0) and 4-bit float (MXFP4, NVFP4) types. */
export const LOWBIT_CODECS = {
  TQ1_0: { decode: decodeTQ1_0, encode: encodeTQ1_0 },
  TQ2_0: { decode: decodeTQ2_0, encode: encodeTQ2_0 },
  MXFP4: { decode: decodeMXFP4, encode: encodeMXFP4 },
  NVFP4: { decode: decodeNVFP4, encode: encodeNVFP4 },
} as const satisfies Record<string, CpuCodec>;
