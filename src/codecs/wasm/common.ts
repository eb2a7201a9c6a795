/**
 * Shared pieces of the WebAssembly encoders: ggml's scalar idioms in float32, their f32x4
 * lane-wise versions, the f16 conversions, and the static scratch every encoder reuses.
 *
 * Exactness: wasm f32 arithmetic is IEEE single precision and SIMD128 has no fused
 * multiply-add, so a lane that performs the C code's operations in the C code's order gets
 * the C code's bits. Helpers here never reorder a sum or merge two roundings.
 */

/** ggml's nearest_int (the 1.5 * 2^23 trick): round half to even, and its bit extraction for any input. */
@inline export function nearestInt(x: f32): i32 {
  return (reinterpret<i32>(x + 12582912.0) & 0x007fffff) - 0x00400000;
}

/** nearest_int on each f32 lane, giving i32 lanes. */
@inline export function nearestIntV(x: v128): v128 {
  const v = f32x4.add(x, f32x4.splat(12582912.0));
  return i32x4.sub(v128.and(v, i32x4.splat(0x007fffff)), i32x4.splat(0x00400000));
}

/** C's MAX(lo, MIN(hi, l)) on i32 lanes. */
@inline export function clampV(l: v128, lo: i32, hi: i32): v128 {
  return i32x4.max_s(i32x4.splat(lo), i32x4.min_s(i32x4.splat(hi), l));
}

/** `c ? a : b` per lane, for a lane mask c (all ones or all zeros). */
@inline export function sel(a: v128, b: v128, c: v128): v128 {
  return v128.bitselect(a, b, c);
}

/** C roundf: half away from zero (exact for float32 values). */
@inline export function roundf(x: f32): f32 {
  const t = Mathf.trunc(x);
  return Mathf.abs(x - t) >= 0.5 ? t + Mathf.copysign(1.0, x) : t;
}

/** x86-64 cvttss2si: truncation toward zero, 0x80000000 for NaN or out of range. */
@inline export function truncI32(x: f32): i32 {
  return x > -2147483648.0 && x < 2147483648.0 ? <i32>x : <i32>0x80000000;
}

/** ggml_compute_fp32_to_fp16: round to nearest even, overflow to Inf, NaN -> sign | 0x7E00. */
export function f32ToF16(x: f32): u32 {
  const w = reinterpret<u32>(x);
  const sign = (w >>> 16) & 0x8000;
  const abs = w & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00;
  if (abs >= 0x477ff000) return sign | 0x7c00;
  if (abs >= 0x38800000) return sign | ((abs - 0x38000000 + 0x0fff + ((abs >>> 13) & 1)) >>> 13);
  if (abs <= 0x33000000) return sign;
  // subnormal f16: the value in units of 2^-24, rounded to nearest even
  const shift = 126 - (abs >>> 23);
  const mant = (abs & 0x7fffff) | 0x800000;
  const q = mant >>> shift;
  const rem = mant - (q << shift);
  const half: u32 = 1 << (shift - 1);
  return sign | (q + (rem > half || (rem == half && (q & 1) == 1) ? 1 : 0));
}

/** ggml_compute_fp16_to_fp32 (exact). */
export function f16ToF32(h: u32): f32 {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  let bits: u32;
  if (exp == 0x1f) bits = mant == 0 ? sign | 0x7f800000 : sign | 0x7fc00000 | (mant << 13);
  else if (exp != 0) bits = sign | ((exp + 112) << 23) | (mant << 13);
  else if (mant == 0) bits = sign;
  else {
    const lz = <u32>clz<i32>(mant);
    bits = sign | ((134 - lz) << 23) | (((mant << (lz - 21)) & 0x3ff) << 13);
  }
  return reinterpret<f32>(bits);
}

/** GGML_FP32_TO_FP16(x) stored little-endian at p; returns the value the decoder will see. */
export function writeHalf(p: usize, x: f32): f32 {
  const h = f32ToF16(x);
  store<u16>(p, <u16>h);
  return f16ToF32(h);
}

/**
 * Copies 4 groups of n floats (group k at src + k * stride bytes) into lane-major order:
 * dst + 16 * i holds element i of the 4 groups. n is a multiple of 4.
 */
export function transpose4(src: usize, stride: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const r0 = v128.load(src + o);
    const r1 = v128.load(src + stride + o);
    const r2 = v128.load(src + 2 * stride + o);
    const r3 = v128.load(src + 3 * stride + o);
    const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
    const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
    const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
    const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
    const d = dst + (o << 2);
    v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
    v128.store(d, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 16);
    v128.store(d, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 32);
    v128.store(d, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 48);
  }
}

/**
 * The lane-major work area of one super-block: up to 4 quartets (4 groups each), quartet q at
 * quartet(q). Row i of a quartet (16 bytes: element i of its 4 groups) sits at +16 * i in three
 * parallel arrays a constant distance apart, so a loop walks them with one pointer:
 * x at +0, the weights at +OFF_W, the levels (or a second per-element array) at +OFF_L.
 */
export const OFF_W: usize = 512;
export const OFF_L: usize = 1024;
export const QUARTET_BYTES: usize = 1536;
const QUARTETS: usize = memory.data(4 * 1536, 16);
@inline export function quartet(q: i32): usize {
  return QUARTETS + <usize>q * QUARTET_BYTES;
}

/** Per-group results of a search: 16 groups at most, one f32 / i32 each. */
export const SCALES: usize = memory.data(64, 16);
export const MINS: usize = memory.data(64, 16);
/** The iscale, and the min it was applied to, of the try whose levels a group kept. */
export const LISCALE: usize = memory.data(64, 16);
export const LMIN: usize = memory.data(64, 16);
/** All-ones for a group the search found flat or all zero (its levels are all zero). */
export const FLAT: usize = memory.data(64, 16);

/** One super-block's levels, one byte each. */
export const LB: usize = memory.data(256, 16);

/**
 * Grid encoders return 0, or one of these codes after abortAt has stored where and why at
 * abortInfo(): block (i32, within the call), scale (f32), packed levels (i32). The host
 * (wasm-codecs.ts, Loaded.check) throws the TypeScript twin's error for it: noFiniteNeighbour,
 * badScale or offGrid of src/codecs/iq-math.ts.
 */
export const ABORT_NO_NEIGHBOUR: i32 = 1;
export const ABORT_SCALE: i32 = 2;
export const ABORT_OFF_GRID: i32 = 3;
const ABORT: usize = memory.data(16, 16);

export function abortAt(code: i32, block: i32, scale: f32, levels: i32): i32 {
  store<i32>(ABORT, block);
  store<f32>(ABORT, scale, 4);
  store<i32>(ABORT, levels, 8);
  return code;
}

export function abortInfo(): usize {
  return ABORT;
}
