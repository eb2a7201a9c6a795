import type { CpuCodec } from './codec';
import { blockCodec } from './quant-math';
import { decodeQ1_0, decodeQ2_0, decodeQ4_0, decodeQ4_1, decodeQ5_0, decodeQ5_1, decodeQ8_0 } from './legacy-decode';
import { encodeQ1_0, encodeQ2_0, encodeQ4_0, encodeQ4_1, encodeQ5_0, encodeQ5_1, encodeQ8_0 } from './legacy-encode';

/**
 * The 32-element legacy types and the 1/2-bit Q1_0 / Q2_0.
 *
 * Q8_1 is the activation format ggml's matmuls quantize into: ggml gives it no to_float and
 * ggml_quantize_chunk has no case for it, so Kiln neither decodes nor encodes it.
 */
export const LEGACY_CODECS = {
  Q4_0: blockCodec('Q4_0', decodeQ4_0, encodeQ4_0),
  Q4_1: blockCodec('Q4_1', decodeQ4_1, encodeQ4_1),
  Q5_0: blockCodec('Q5_0', decodeQ5_0, encodeQ5_0),
  Q5_1: blockCodec('Q5_1', decodeQ5_1, encodeQ5_1),
  Q8_0: blockCodec('Q8_0', decodeQ8_0, encodeQ8_0),
  Q8_1: blockCodec('Q8_1', null, null),
  Q1_0: blockCodec('Q1_0', decodeQ1_0, encodeQ1_0),
  Q2_0: blockCodec('Q2_0', decodeQ2_0, encodeQ2_0),
} as const satisfies Record<string, CpuCodec>;
