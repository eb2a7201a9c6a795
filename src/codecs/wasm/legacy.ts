/**
 * The legacy 32-element blocks (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1). Each block's reduction (its
 * largest magnitude, or its min and max) runs in element order with one block per lane, four
 * blocks at a time, exactly as the reference's loop; the per-element quantization then runs
 * four elements per vector. Float-to-integer casts behave as the x86-64 build's cvttss2si
 * (0x80000000 for NaN or out of range), of which the reference keeps the low byte.
 */
import { quartet, writeHalf, transpose4 } from './common';

const FLT_MAX: f32 = 3.4028234663852886e38;

/** cvttss2si on each lane: truncation toward zero, 0x80000000 for NaN or out of range. */
@inline function truncX86(v: v128): v128 {
  const bad = v128.or(f32x4.ge(v, f32x4.splat(2147483648.0)), f32x4.ne(v, v));
  return v128.bitselect(i32x4.splat(0x80000000), i32x4.trunc_sat_f32x4_s(v), bad);
}

/** (int8_t) of an int: the low byte, sign-extended. */
@inline function int8(v: v128): v128 {
  return i32x4.shr_s(i32x4.shl(v, 24), 24);
}

/** C roundf on each lane: half away from zero. */
@inline function roundfV(v: v128): v128 {
  const t = f32x4.trunc(v);
  const half = f32x4.ge(f32x4.abs(f32x4.sub(v, t)), f32x4.splat(0.5));
  const one = v128.or(v128.and(v, i32x4.splat(0x80000000)), f32x4.splat(1.0));
  return f32x4.add(t, v128.and(half, one));
}

/** The low bytes of 16 i32 lanes, in order. */
@inline function lowBytes(a: v128, b: v128, c: v128, d: v128): v128 {
  const m = i32x4.splat(0xff);
  return i8x16.narrow_i16x8_u(
    i16x8.narrow_i32x4_u(v128.and(a, m), v128.and(b, m)),
    i16x8.narrow_i32x4_u(v128.and(c, m), v128.and(d, m)),
  );
}

/** Per-lane block statistics of the current 4 blocks (one f32 lane per block). */
let statA: v128 = f32x4.splat(0);
let statB: v128 = f32x4.splat(0);

/** Transposes blocks 4g..4g+3 (those past nb read stale floats, never written back). */
@inline function load4(src: usize, g: i32): usize {
  const base = quartet(0);
  transpose4(src + (<usize>g << 9), 128, base, 32);
  return base;
}

/** amax and the signed value that has it (the first on ties), as Q4_0 / Q5_0 find them: statA = max. */
@inline function signedMax4(base: usize): void {
  let amax = f32x4.splat(0);
  let max = f32x4.splat(0);
  for (let p = base; p < base + 512; p += 16) {
    const v = v128.load(p);
    const a = f32x4.abs(v);
    const upd = f32x4.lt(amax, a);
    amax = v128.bitselect(a, amax, upd);
    max = v128.bitselect(v, max, upd);
  }
  statA = max;
}

/** min and max from +-FLT_MAX, as Q4_1 / Q5_1 find them: statA = min, statB = max. */
@inline function minMax4(base: usize): void {
  let min = f32x4.splat(FLT_MAX);
  let max = f32x4.splat(-FLT_MAX);
  for (let p = base; p < base + 512; p += 16) {
    const v = v128.load(p);
    min = v128.bitselect(v, min, f32x4.lt(v, min));
    max = v128.bitselect(v, max, f32x4.gt(v, max));
  }
  statA = min;
  statB = max;
}

/** `d ? 1.0f/d : 0.0f` per lane (NaN counts as true, as in C). */
@inline function inverse(d: v128): v128 {
  return v128.and(f32x4.div(f32x4.splat(1.0), d), f32x4.ne(d, f32x4.splat(0)));
}

/** Lane k of v (k not a constant, so through memory). */
const LANES: usize = memory.data(16, 16);
@inline function lane(v: v128, k: i32): f32 {
  v128.store(LANES, v);
  return load<f32>(LANES + (<usize>k << 2));
}

/** matches quantize_row_q8_0_ref: d = amax / 127 (f16), qs[32] = roundf(x / d). */
export function encode_Q8_0(src: usize, dst: usize, nb: i32): void {
  for (let g = 0; g < nb; g += 4) {
    const base = load4(src, g >> 2);
    let amax = f32x4.splat(0);
    for (let p = base; p < base + 512; p += 16) {
      const a = f32x4.abs(v128.load(p));
      amax = v128.bitselect(amax, a, f32x4.gt(amax, a));
    }
    const d = f32x4.div(amax, f32x4.splat(127.0));
    const id = inverse(d);
    for (let k = 0; k < 4 && g + k < nb; k++) {
      const x = src + (<usize>(g + k) << 7);
      const o = dst + <usize>(g + k) * 34;
      writeHalf(o, lane(d, k));
      const idv = f32x4.splat(lane(id, k));
      for (let h = 0; h < 2; h++) {
        const p = x + (<usize>h << 6);
        const q0 = truncX86(roundfV(f32x4.mul(v128.load(p), idv)));
        const q1 = truncX86(roundfV(f32x4.mul(v128.load(p, 16), idv)));
        const q2 = truncX86(roundfV(f32x4.mul(v128.load(p, 32), idv)));
        const q3 = truncX86(roundfV(f32x4.mul(v128.load(p, 48), idv)));
        v128.store(o + 2 + (<usize>h << 4), lowBytes(q0, q1, q2, q3));
      }
    }
  }
}

/** x - min for the asymmetric types, x itself for the others. */
@inline function shifted(v: v128, min: v128, asym: bool): v128 {
  return asym ? f32x4.sub(v, min) : v;
}

/**
 * The 16 levels (uint8_t)MIN(hi, (int8_t)(x' * id + add)) of elements [p, p + 16) when `clamp`,
 * else (uint8_t)(x' * id + add), x' = x - min or x; as bytes.
 */
@inline function levels16(p: usize, min: v128, asym: bool, idv: v128, add: v128, hi: i32, clamp: bool): v128 {
  const h = i32x4.splat(hi);
  let a = truncX86(f32x4.add(f32x4.mul(shifted(v128.load(p), min, asym), idv), add));
  let b = truncX86(f32x4.add(f32x4.mul(shifted(v128.load(p, 16), min, asym), idv), add));
  let c = truncX86(f32x4.add(f32x4.mul(shifted(v128.load(p, 32), min, asym), idv), add));
  let d = truncX86(f32x4.add(f32x4.mul(shifted(v128.load(p, 48), min, asym), idv), add));
  if (clamp) {
    a = i32x4.min_s(int8(a), h);
    b = i32x4.min_s(int8(b), h);
    c = i32x4.min_s(int8(c), h);
    d = i32x4.min_s(int8(d), h);
  }
  return lowBytes(a, b, c, d);
}

/**
 * The shared body of the 4- and 5-bit blocks: per block, the scale d (and min m) from the lane
 * statistics, then levels x -> (x - min) * id + add, clamped to hi when `clamp`, packed as nibbles
 * (element j low, j + 16 high) and, for 5 bits, the fifth bits into qh.
 */
@inline function encodeLegacy(src: usize, dst: usize, nb: i32, size: i32, asym: bool, five: bool, div: f32, add: f32, hi: i32, clamp: bool): void {
  const low = i8x16.splat(15);
  const addV = f32x4.splat(add);
  for (let g = 0; g < nb; g += 4) {
    const base = load4(src, g >> 2);
    let d: v128;
    if (asym) {
      minMax4(base);
      d = f32x4.div(f32x4.sub(statB, statA), f32x4.splat(div));
    } else {
      signedMax4(base);
      d = f32x4.div(statA, f32x4.splat(div));
    }
    const id = inverse(d);
    for (let k = 0; k < 4 && g + k < nb; k++) {
      const x = src + (<usize>(g + k) << 7);
      const o = dst + <usize>(g + k) * size;
      writeHalf(o, lane(d, k));
      let q = o + 2;
      let subV = f32x4.splat(0);
      if (asym) {
        const m = lane(statA, k);
        writeHalf(o + 2, m);
        subV = f32x4.splat(m);
        q += 2;
      }
      const idv = f32x4.splat(lane(id, k));
      const l0 = levels16(x, subV, asym, idv, addV, hi, clamp);
      const l1 = levels16(x + 64, subV, asym, idv, addV, hi, clamp);
      if (five) {
        const bit = i8x16.splat(16);
        const qh = <u32>i8x16.bitmask(i8x16.ne(v128.and(l0, bit), i8x16.splat(0))) | (<u32>i8x16.bitmask(i8x16.ne(v128.and(l1, bit), i8x16.splat(0))) << 16);
        store<u32>(q, qh);
        q += 4;
      }
      // 4 bits: xi0 | xi1 << 4 unmasked, as the reference writes it; 5 bits: the low nibbles
      if (five) v128.store(q, v128.or(v128.and(l0, low), i8x16.shl(v128.and(l1, low), 4)));
      else v128.store(q, v128.or(l0, i8x16.shl(l1, 4)));
    }
  }
}

/** matches quantize_row_q4_0_ref: d = max / -8, levels MIN(15, (int8_t)(x / d + 8.5)). */
export function encode_Q4_0(src: usize, dst: usize, nb: i32): void {
  encodeLegacy(src, dst, nb, 18, false, false, -8.0, 8.5, 15, true);
}

/** matches quantize_row_q4_1_ref: d = (max - min) / 15, m = min, levels MIN(15, (int8_t)((x - min) / d + 0.5)). */
export function encode_Q4_1(src: usize, dst: usize, nb: i32): void {
  encodeLegacy(src, dst, nb, 20, true, false, 15.0, 0.5, 15, true);
}

/** matches quantize_row_q5_0_ref: d = max / -16, levels MIN(31, (int8_t)(x / d + 16.5)). */
export function encode_Q5_0(src: usize, dst: usize, nb: i32): void {
  encodeLegacy(src, dst, nb, 22, false, true, -16.0, 16.5, 31, true);
}

/** matches quantize_row_q5_1_ref: d = (max - min) / 31, m = min, levels (uint8_t)((x - min) / d + 0.5). */
export function encode_Q5_1(src: usize, dst: usize, nb: i32): void {
  encodeLegacy(src, dst, nb, 24, true, true, 31.0, 0.5, 31, false);
}
