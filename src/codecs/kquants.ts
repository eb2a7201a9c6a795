import type { CpuCodec } from './codec';
import { blockCodec } from './quant-math';
import { decodeQ2_K, decodeQ3_K, decodeQ4_K, decodeQ5_K, decodeQ6_K, decodeQ8_K } from './kquants-decode';
import { encodeQ2_K, encodeQ3_K, encodeQ4_K, encodeQ5_K, encodeQ6_K } from './kquants-encode';

/**
 * The K-quants (256-element super-blocks).
 *
 * Q8_K is ggml's intermediate activation format: ggml_quantize_chunk has no case for it, so
 * Kiln does not encode it. It decodes as dequantize_row_q8_K does (ggml has that function,
 * though its type traits list no to_float for Q8_K).
 */
export const KQUANTS_CODECS = {
  Q2_K: blockCodec('Q2_K', decodeQ2_K, encodeQ2_K),
  Q3_K: blockCodec('Q3_K', decodeQ3_K, encodeQ3_K),
  Q4_K: blockCodec('Q4_K', decodeQ4_K, encodeQ4_K),
  Q5_K: blockCodec('Q5_K', decodeQ5_K, encodeQ5_K),
  Q6_K: blockCodec('Q6_K', decodeQ6_K, encodeQ6_K),
  Q8_K: blockCodec('Q8_K', decodeQ8_K, null),
} as const satisfies Record<string, CpuCodec>;
