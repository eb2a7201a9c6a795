/**
 * MXFP4 and NVFP4: E2M1 (4-bit float) elements with one scale per group.
 *
 * ggml keeps the E2M1 levels doubled (kvalues_fp4 = 2 x {0, 0.5, 1, 1.5, 2, 3, 4, 6}) and halves
 * the scale instead: MXFP4 has an E8M0 exponent per 32 elements (GGML_E8M0_TO_FP32_HALF),
 * NVFP4 an unsigned E4M3 per 16 elements (ggml_ue4m3_to_fp32, which already includes the 0.5).
 */
import { bitsToF32, f32ToBits } from './half';
import { fr } from './iq-math';
import { truncI32 } from './quant-math';
import { KVALUES_FP4 } from './iq-tables';

const MXFP4_SIZE = 17; // e, qs[16]
const NVFP4_SIZE = 36; // d[4], qs[32]

/** matches ggml_e8m0_to_fp32_half: 2^(e - 128), with e = 0 and 1 as float32 subnormals. */
export function e8m0ToF32Half(e: number): number {
  return bitsToF32(e < 2 ? 0x00200000 << e : (e - 1) << 23);
}

/** ggml_ue4m3_to_fp32 for every byte (the top bit is ignored; 0 and 0x7F read as zero). */
const UE4M3_HALF = ((): Float32Array => {
  const t = new Float32Array(256);
  for (let x = 0; x < 256; x++) {
    if (x === 0 || x === 0x7f) continue;
    const exp = (x >> 3) & 0xf;
    const man = x & 7;
    const raw = exp === 0 ? man * 2 ** -9 : (1 + man / 8) * 2 ** (exp - 7);
    t[x] = fr(raw * 0.5);
  }
  return t;
})();

export function ue4m3ToF32(x: number): number {
  return UE4M3_HALF[x & 0xff]!;
}

/** matches ggml_fp32_to_ue4m3: clamps to 448, rounds the mantissa half up. */
export function f32ToUe4m3(x: number): number {
  if (!(x > 0)) return 0;
  if (x > 448) x = 448;
  const bits = f32ToBits(x);
  const fexp = ((bits >>> 23) & 0xff) - 127;
  let exp = fexp + 7;
  if (exp <= 0) {
    const man = truncI32(fr(fr(x * 512) + 0.5));
    if (man > 7) return 7;
    if (man < 1) return 0;
    return man;
  }
  if (exp >= 15) return 0x7e;
  let man = ((bits >>> 20) & 7) + ((bits >>> 19) & 1);
  if (man > 7) {
    man = 0;
    exp++;
    if (exp >= 15) return 0x7e;
  }
  return (exp << 3) | man;
}

/** matches best_index_mxfp4 by brute force: the first level with the smallest |level*d - x|. */
export function bestIndexFp4Scan(x: number, d: number): number {
  let best = 0;
  let bestErr = Math.abs(fr(fr(KVALUES_FP4[0]! * d) - x));
  for (let i = 1; i < 16; i++) {
    const err = Math.abs(fr(fr(KVALUES_FP4[i]! * d) - x));
    if (err < bestErr) {
      best = i;
      bestErr = err;
    }
  }
  return best;
}

/** Level magnitudes of kvalues_fp4 in index order: +m is index j, -m is index 8 + j (j > 0). */
const MAGS = [0, 1, 2, 3, 4, 6, 8, 12];

/**
 * matches best_index_mxfp4. The rounded error |fl(level*d - x)| never decreases away from x
 * (float subtraction is monotone), so only the two magnitudes around |x| can win; of two equal
 * errors ggml's scan keeps the lower index, which is always the smaller magnitude. That holds
 * while level steps (>= d) are far above the rounding of x, and level*d cannot overflow; other
 * cases (non-finite x, zero or huge d, |x| >= 2^16 d) take the scan.
 */
export function bestIndexFp4(x: number, d: number): number {
  const ax = Math.abs(x);
  if (!(d > 0 && d < 1e30 && ax < 65536 * d)) return bestIndexFp4Scan(x, d);
  let j = 0;
  while (j < 7 && MAGS[j + 1]! * d <= ax) j++;
  const neg = x < 0;
  const lo = neg ? -MAGS[j]! : MAGS[j]!;
  if (j === 7) return neg ? 15 : 7;
  const hi = neg ? -MAGS[j + 1]! : MAGS[j + 1]!;
  const eLo = Math.abs(fr(lo * d - x));
  const eHi = Math.abs(fr(hi * d - x));
  const m = eHi < eLo ? j + 1 : j;
  return m === 0 || !neg ? m : 8 + m;
}

/**
 * floorf(log2f(amax)) - 2 + 127 cast to uint8_t, as x86-64 does the cast. log2f is taken as
 * the double log2 rounded once to float32 (glibc's log2f is correctly rounded where it matters:
 * next to the integers that floorf separates).
 */
function mxfp4Exponent(amax: number): number {
  if (!(amax > 0)) return 0;
  const e = fr(fr(Math.floor(fr(Math.log2(amax))) - 2) + 127);
  return truncI32(e) & 0xff;
}

/** matches quantize_row_mxfp4_ref. */
export function encodeMXFP4(src: Float32Array, dst: Uint8Array): void {
  const nb = (src.length / 32) | 0;
  for (let i = 0, xo = 0, o = 0; i < nb; i++, xo += 32, o += MXFP4_SIZE) {
    let amax = 0;
    for (let j = 0; j < 32; j++) {
      const a = Math.abs(src[xo + j]!);
      if (amax < a) amax = a;
    }
    const e = mxfp4Exponent(amax);
    const d = e8m0ToF32Half(e);
    dst[o] = e;
    for (let j = 0; j < 16; j++) {
      dst[o + 1 + j] = bestIndexFp4(src[xo + j]!, d) | (bestIndexFp4(src[xo + 16 + j]!, d) << 4);
    }
  }
}

/** matches dequantize_row_mxfp4. */
export function decodeMXFP4(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 32) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += MXFP4_SIZE, y += 32) {
    const d = e8m0ToF32Half(src[o]!);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 1 + j]!;
      dst[y + j] = KVALUES_FP4[q & 15]! * d;
      dst[y + j + 16] = KVALUES_FP4[q >> 4]! * d;
    }
  }
}

/** matches quantize_row_nvfp4_ref. */
export function encodeNVFP4(src: Float32Array, dst: Uint8Array): void {
  const nb = (src.length / 64) | 0;
  for (let i = 0, xo = 0, o = 0; i < nb; i++, xo += 64, o += NVFP4_SIZE) {
    for (let s = 0; s < 4; s++) {
      const xb = xo + 16 * s;
      let amax = 0;
      for (let j = 0; j < 16; j++) {
        const a = Math.abs(src[xb + j]!);
        if (amax < a) amax = a;
      }
      const ue = f32ToUe4m3(fr(amax / 6));
      dst[o + s] = ue;
      const d = UE4M3_HALF[ue]!;
      for (let j = 0; j < 8; j++) {
        dst[o + 4 + 8 * s + j] = bestIndexFp4(src[xb + j]!, d) | (bestIndexFp4(src[xb + 8 + j]!, d) << 4);
      }
    }
  }
}

/** matches dequantize_row_nvfp4. */
export function decodeNVFP4(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 64) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += NVFP4_SIZE, y += 64) {
    for (let s = 0; s < 4; s++) {
      const d = UE4M3_HALF[src[o + s]!]!;
      const yb = y + 16 * s;
      for (let j = 0; j < 8; j++) {
        const q = src[o + 4 + 8 * s + j]!;
        dst[yb + j] = KVALUES_FP4[q & 15]! * d;
        dst[yb + j + 8] = KVALUES_FP4[q >> 4]! * d;
      }
    }
  }
}
