import type { CpuCodec } from './codec';
import { blockCodec } from './quant-math';
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
 * The IQ types. IQ2_XXS, IQ2_XS and IQ1_S have no encoder here: ggml quantizes them only with
 * an importance matrix (ggml_quantize_requires_imatrix); their weighted encoders are added with
 * the others' in weighted.ts.
 *
 * The grid-search encoders (IQ2_S, IQ3_XXS, IQ3_S, IQ1_M) throw QuantizeAbort where ggml
 * aborts: blocks whose weighted errors overflow float32 (values around 1e10 and beyond) or
 * whose scale comes out NaN (NaN or Inf input).
 */
export const IQUANTS_CODECS = {
  IQ2_XXS: blockCodec('IQ2_XXS', decodeIQ2_XXS, null),
  IQ2_XS: blockCodec('IQ2_XS', decodeIQ2_XS, null),
  IQ2_S: blockCodec('IQ2_S', decodeIQ2_S, encodeIQ2_S),
  IQ3_XXS: blockCodec('IQ3_XXS', decodeIQ3_XXS, encodeIQ3_XXS),
  IQ3_S: blockCodec('IQ3_S', decodeIQ3_S, encodeIQ3_S),
  IQ1_S: blockCodec('IQ1_S', decodeIQ1_S, null),
  IQ1_M: blockCodec('IQ1_M', decodeIQ1_M, encodeIQ1_M),
  IQ4_NL: blockCodec('IQ4_NL', decodeIQ4_NL, encodeIQ4_NL),
  IQ4_XS: blockCodec('IQ4_XS', decodeIQ4_XS, encodeIQ4_XS),
} as const satisfies Record<string, CpuCodec>;
