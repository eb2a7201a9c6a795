import type { TypeName } from './catalogue';
import type { RowEncoder } from './weighted';

/** The grid-search IQ encoders with importance weights (filled in as they are ported). */
export const IQ_WEIGHTED_ENCODERS: Partial<Record<TypeName, RowEncoder>> = {};
