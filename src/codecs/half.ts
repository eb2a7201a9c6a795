/**
 * float32 <-> f16 / bf16 conversions, done on integer bits so NaN payloads survive (a JS number
 * round trip may canonicalise them).
 *
 * Matches ggml: f32 -> f16 is ggml_compute_fp32_to_fp16 (round to nearest even, overflow to
 * Inf, NaN -> sign | 0x7E00); f16 -> f32 is ggml_compute_fp16_to_fp32 (exact, and a signalling
 * NaN comes out quiet because the reference multiplies it); f32 -> bf16 is
 * ggml_compute_fp32_to_bf16 (round to nearest even, NaN -> (bits >> 16) | 0x40);
 * bf16 -> f32 is a 16-bit shift.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function f32ToBits(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

export function bitsToF32(b: number): number {
  u32[0] = b;
  return f32[0]!;
}

/** ggml_compute_fp32_to_fp16 on the bits of a float32. */
export function f32BitsToF16(w: number): number {
  const sign = (w >>> 16) & 0x8000;
  const abs = w & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00;
  if (abs >= 0x477ff000) return sign | 0x7c00; // >= 65520 rounds to Inf (and Inf stays Inf)
  if (abs >= 0x38800000) {
    // normal f16: rebias the exponent, round the 13 dropped mantissa bits to nearest even
    return sign | ((abs - 0x38000000 + 0x0fff + ((abs >>> 13) & 1)) >>> 13);
  }
  if (abs <= 0x33000000) return sign; // <= 2^-25: the tie at 2^-25 goes to even (zero)
  // subnormal f16: value / 2^-24 = mant * 2^(e - 126), rounded to nearest even
  const e = abs >>> 23;
  const mant = (abs & 0x7fffff) | 0x800000;
  const shift = 126 - e; // 14..24
  const q = mant >>> shift;
  const rem = mant - (q << shift);
  const half = 1 << (shift - 1);
  const up = rem > half || (rem === half && (q & 1) === 1) ? 1 : 0;
  return sign | (q + up);
}

/** ggml_compute_fp16_to_fp32, returning float32 bits. */
export function f16ToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) {
    if (mant === 0) return (sign | 0x7f800000) >>> 0;
    return (sign | 0x7fc00000 | (mant << 13)) >>> 0;
  }
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // subnormal: mant * 2^-24, normalised
  const clz = Math.clz32(mant); // the leading one sits at bit 31 - clz, worth 2^(7 - clz)
  const m = (mant << (clz - 21)) & 0x3ff;
  const e = 134 - clz;
  return (sign | (e << 23) | (m << 13)) >>> 0;
}

/** ggml_compute_fp32_to_bf16 on the bits of a float32. */
export function f32BitsToBf16(w: number): number {
  if ((w & 0x7fffffff) > 0x7f800000) return ((w >>> 16) | 0x40) & 0xffff;
  return ((w + 0x7fff + ((w >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16ToF32Bits(h: number): number {
  return (h << 16) >>> 0;
}

export function f16ToF32(h: number): number {
  return bitsToF32(f16ToF32Bits(h));
}

export function f32ToF16(x: number): number {
  return f32BitsToF16(f32ToBits(x));
}
