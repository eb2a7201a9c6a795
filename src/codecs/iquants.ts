import type { CpuCodec } from './codec';
import {
  decodeIQ1_M,
  decodeIQ1_S,
  decodeIQ2_S,
  decodeIQ2_XS,
  decodeIQ2_XXS,
  decodeIQ3_S,
  decodeIQ3_XXS,
  decodeIQ4_NL,
  decodeIQ4_XS,
} from './iq-decode';
import { encodeIQ4_NL, encodeIQ4_XS } from './iq-encode-iq4';
import { encodeIQ2_S } from './iq-encode-iq2s';
import { encodeIQ3_S, encodeIQ3_XXS } from './iq-encode-iq3';
import { encodeIQ1_M } from './iq-encode-iq1m';

/**
 * The IQ types. IQ2_XXS, IQ2_XS and IQ1_S have no encoder: ggml refuses to quantize them
 * without an importance matrix (ggml_quantize_requires_imatrix), and Kiln quantizes as
 * ggml_quantize_chunk does with imatrix = NULL.
 */
export const IQUANTS_CODECS = {
  IQ2_XXS: { decode: decodeIQ2_XXS, encode: null },
  IQ2_XS: { decode: decodeIQ2_XS, encode: null },
  IQ2_S: { decode: decodeIQ2_S, encode: encodeIQ2_S },
  IQ3_XXS: { decode: decodeIQ3_XXS, encode: encodeIQ3_XXS },
  IQ3_S: { decode: decodeIQ3_S, encode: encodeIQ3_S },
  IQ1_S: { decode: decodeIQ1_S, encode: null },
  IQ1_M: { decode: decodeIQ1_M, encode: encodeIQ1_M },
  IQ4_NL: { decode: decodeIQ4_NL, encode: encodeIQ4_NL },
  IQ4_XS: { decode: decodeIQ4_XS, encode: encodeIQ4_XS },
} as const satisfies Record<string, CpuCodec>;
