import type { CpuCodec } from './codec';
import { blockCodec } from './quant-math';
import { decodeTQ1_0, decodeTQ2_0, encodeTQ1_0, encodeTQ2_0 } from './lowbit-ternary';
import { decodeMXFP4, decodeNVFP4, encodeMXFP4, encodeNVFP4 } from './lowbit-fp4';

/** Ternary (TQ1_0, TQ2_0) and 4-bit float (MXFP4, NVFP4) types. */
export const LOWBIT_CODECS = {
  TQ1_0: blockCodec('TQ1_0', decodeTQ1_0, encodeTQ1_0),
  TQ2_0: blockCodec('TQ2_0', decodeTQ2_0, encodeTQ2_0),
  MXFP4: blockCodec('MXFP4', decodeMXFP4, encodeMXFP4),
  NVFP4: blockCodec('NVFP4', decodeNVFP4, encodeNVFP4),
} as const satisfies Record<string, CpuCodec>;
