import type { CpuCodec } from './codec';
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
  Q2_K: { decode: decodeQ2_K, encode: encodeQ2_K },
  Q3_K: { decode: decodeQ3_K, encode: encodeQ3_K },
  Q4_K: { decode: decodeQ4_K, encode: encodeQ4_K },
  Q5_K: { decode: decodeQ5_K, encode: encodeQ5_K },
  Q6_K: { decode: decodeQ6_K, encode: encodeQ6_K },
  Q8_K: { decode: decodeQ8_K, encode: null },
} as const satisfies Record<string, CpuCodec>;
