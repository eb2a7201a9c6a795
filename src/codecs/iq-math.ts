/**
 * Scalar helpers of the IQ / low-bit twins that quant-math.ts does not hold: f16 fields at any
 * byte offset, the float32 constants ggml writes as `1e-15f` and friends, and ggml's
 * best_index_int8 nearest-level search.
 */
import { f16ToF32, f32ToF16 } from './half';

export const fr = Math.fround;

/** The little-endian f16 at byte `o`, as a float32 value (GGML_FP16_TO_FP32). */
export function readF16(src: Uint8Array, o: number): number {
  return f16ToF32(src[o]! | (src[o + 1]! << 8));
}

/** GGML_FP32_TO_FP16(x), stored little-endian at byte `o`; returns the f16 bits. */
export function writeF16(dst: Uint8Array, o: number, x: number): number {
  const h = f32ToF16(x);
  dst[o] = h & 0xff;
  dst[o + 1] = h >>> 8;
  return h;
}

export function readU16(src: Uint8Array, o: number): number {
  return src[o]! | (src[o + 1]! << 8);
}

/** ggml's float32 FLT_MAX. */
export const FLT_MAX = 3.4028234663852886e38;

/**
 * matches best_index_int8 (ggml-quants.c, the bisection version of 34af94cd): the index of the
 * level of `val` (ascending) nearest to the float32 `x`; an exact midpoint goes to the upper one.
 */
export function bestIndexInt8(val: Int8Array, x: number): number {
  const n = val.length;
  if (x <= val[0]!) return 0;
  if (x >= val[n - 1]!) return n - 1;
  let ml = 0;
  let mu = n - 1;
  while (mu - ml > 1) {
    const mav = (ml + mu) >> 1;
    if (x < val[mav]!) mu = mav;
    else ml = mav;
  }
  return fr(x - val[mu - 1]!) < fr(val[mu]! - x) ? mu - 1 : mu;
}

const nearF32 = new Float32Array(1);
const nearI32 = new Int32Array(nearF32.buffer);

/**
 * ggml's nearest_int, bit for bit: x + 1.5 * 2^23 in float32 (round half to even), then the
 * low 23 mantissa bits minus 2^22. Release builds drop ggml's |x| <= 4194303 assert, so Inf
 * and NaN (an all-zero block can make a scale infinite) follow the same bit extraction.
 */
export function nearestIntBits(x: number): number {
  const v = fr(x + 12582912);
  if (v >= 8388608 && v < 16777216) return v - 12582912;
  nearF32[0] = v;
  return (nearI32[0]! & 0x007fffff) - 0x00400000;
}

/**
 * Where ggml's quantizer aborts (a failed GGML_ASSERT) there is no ggml output to match, so the
 * encoder stops with this error instead of inventing bytes. The grid-search quantizers do so
 * when no grid neighbour has a weighted error below FLT_MAX (the error is weight * diff^2 with
 * weight ~ |x| or x^2, so it overflows float32 for values around 1e10 and beyond, or is NaN),
 * and when a group's scale comes out NaN (GGML_ASSERT(scale >= 0)).
 */
export class QuantizeAbort extends Error {
  constructor(type: string, reason: string) {
    super(`${type}: ggml's quantizer aborts on this block (${reason})`);
    this.name = 'QuantizeAbort';
  }
}

export function noFiniteNeighbour(type: string, scale: number): QuantizeAbort {
  return new QuantizeAbort(type, `no grid point has a finite error at scale ${scale}; values around 1e10 and beyond overflow float32`);
}

/** GGML_ASSERT(scale >= 0) at the end of each group: false for a NaN scale (NaN or Inf input). */
export function checkScale(type: string, scale: number): void {
  if (!(scale >= 0)) throw badScale(type, scale);
}

export function badScale(type: string, scale: number): QuantizeAbort {
  return new QuantizeAbort(type, `group scale ${scale} is not >= 0; the input holds NaN or Inf`);
}

/** A group's final levels packed as the grid map's key (`u`) that name no grid point: ggml aborts there. */
export function offGrid(type: string, u: number): Error {
  return new Error(`${type}: levels ${u} are not on the grid (ggml aborts here too)`);
}
