/**
 * The grid-search IQ encoders with importance weights (quantize_row_iq*_impl with quant_weights).
 * Their weights only scale each element's error, so they stay block-local and take any whole
 * blocks with weights aligned to them; a row is what the caller gives.
 */
import type { TypeName } from './catalogue';
import type { RowEncoder } from './weighted';
import { encodeIQ2_S } from './iq-encode-iq2s';
import { encodeIQ3_S, encodeIQ3_XXS } from './iq-encode-iq3';
import { encodeIQ1_M } from './iq-encode-iq1m';
import { encodeIQ2_XS, encodeIQ2_XXS } from './iq-encode-iq2xxs';
import { encodeIQ1_S } from './iq-encode-iq1s';

export const IQ_WEIGHTED_ENCODERS: Partial<Record<TypeName, RowEncoder>> = {
  IQ2_S: encodeIQ2_S,
  IQ3_XXS: encodeIQ3_XXS,
  IQ3_S: encodeIQ3_S,
  IQ1_M: encodeIQ1_M,
  IQ2_XXS: encodeIQ2_XXS,
  IQ2_XS: encodeIQ2_XS,
  IQ1_S: encodeIQ1_S,
};
