/**
 * The WebAssembly encoders' entry point. Each encode_<type>(src, dst, nb) reads nb blocks of
 * f32 at src (16-byte aligned) and writes nb blocks of <type> at dst (any alignment). The
 * host copies rows in and bytes out of the area that starts at ioBase(), growing memory.
 * widen_f16 turns f16 input into those f32 rows inside wasm memory. The grid types (IQ2_*)
 * take the pointer to their search table last and return 0 or an abort code (common.ts abortAt).
 */
export { encode_Q4_K, encode_Q5_K } from './kquants-k4';
export { encode_Q2_K, encode_Q3_K, encode_Q6_K } from './kquants-k236';
export { encode_Q8_0, encode_Q4_0, encode_Q4_1, encode_Q5_0, encode_Q5_1 } from './legacy';
export { encode_IQ4_NL, encode_IQ4_XS } from './iq4';
export { widen_f16 } from './widen';
export { encode_IQ3_XXS, encode_IQ3_S, encode_IQ3_XXS_w, encode_IQ3_S_w } from './iq3';
export { encode_IQ1_S_w } from './iq1s';
export { encode_IQ1_M, encode_IQ1_M_w } from './iq1m';
export { abortInfo } from './common';
export { encode_IQ2_XXS_w, encode_IQ2_XS_w } from './iq2-xxs';
export { encode_IQ2_S, encode_IQ2_S_w } from './iq2-s';
export { encode_Q2_K_w, encode_Q3_K_w, encode_Q4_K_w, encode_Q5_K_w, encode_Q6_K_w } from './kquants-weighted';
export { encode_Q4_0_w, encode_Q4_1_w, encode_Q5_0_w, encode_Q5_1_w, encode_IQ4_NL_w, encode_IQ4_XS_w } from './weighted';

/** The first free byte after the static scratch, 16-byte aligned. */
export function ioBase(): usize {
  return (__heap_base + 15) & ~15;
}
