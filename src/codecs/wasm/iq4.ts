/**
 * IQ4_NL and IQ4_XS: 4-bit indices into the non-linear kvalues_iq4nl levels, one scale per 32
 * elements found by 15 candidate scales (quantize_row_iq4_nl_impl with ntry = 7 and no
 * importance weights). One 32-element block per lane; the per-element sums run in element
 * order in each lane, as the reference's loop.
 *
 * best_index_int8 is done 16 values at a time: for an integer level v, v <= x exactly when
 * v <= floor(x), so counting the levels at or below floor(x) (in int8 lanes) gives the index
 * the reference's bisection ends on; its final float comparison then picks that level or the
 * one below, as in C.
 */
import { nearestInt, quartet, transpose4, writeHalf, OFF_W } from './common';

/** GROUP_MAX_EPS (1e-15f). */
const GROUP_MAX_EPS: f32 = 1e-15;

/** kvalues_iq4nl, the 16 levels (data, as in ggml). */
@inline function levelBytes(): v128 {
  return i8x16(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
}

/** int8 lanes (16) to 4 f32x4. */
@inline function i8ToF32(v: v128, part: i32): v128 {
  const h = part < 2 ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_high_i8x16_s(v);
  return f32x4.convert_i32x4_s((part & 1) == 0 ? i32x4.extend_low_i16x8_s(h) : i32x4.extend_high_i16x8_s(h));
}

/** Whether the lower candidate wins: x - lo < hi - x (false for NaN). */
@inline function lower(x: v128, lo: v128, hi: v128): v128 {
  return f32x4.lt(f32x4.sub(x, lo), f32x4.sub(hi, x));
}

/** Four i32 masks (all ones / zero) as 16 i8 masks. */
@inline function masks8(a: v128, b: v128, c: v128, d: v128): v128 {
  return i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, d));
}

/**
 * The index of the first level above each of the 16 values a..d (within 1..15), as the
 * reference's bisection ends: 1 + #{k in 1..14 : level k <= floor(x)}.
 */
@inline function firstAbove(a: v128, b: v128, c: v128, d: v128): v128 {
  const fl = i8x16.narrow_i16x8_s(
    i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(f32x4.floor(a)), i32x4.trunc_sat_f32x4_s(f32x4.floor(b))),
    i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(f32x4.floor(c)), i32x4.trunc_sat_f32x4_s(f32x4.floor(d))),
  );
  let mu = i8x16.splat(1);
  mu = i8x16.sub(mu, i8x16.ge_s(fl, i8x16.splat(-104)));
  mu = i8x16.sub(mu, i8x16.ge_s(fl, i8x16.splat(-83)));
  mu = i8x16.sub(mu, i8x16.ge_s(fl, i8x16.splat(-65)));
  mu = i8x16.sub(mu, i8x16.ge_s(fl, i8x16.splat(-49)));
  mu = i8x16.sub(mu, i8x16.ge_s(fl, i8x16.splat(-35)));
  mu = i8x16.sub(mu, i8x16.ge_s(fl, i8x16.splat(-22)));
  mu = i8x16.sub(mu, i8x16.ge_s(fl, i8x16.splat(-10)));
  mu = i8x16.sub(mu, i8x16.ge_s(fl, i8x16.splat(1)));
  mu = i8x16.sub(mu, i8x16.ge_s(fl, i8x16.splat(13)));
  mu = i8x16.sub(mu, i8x16.ge_s(fl, i8x16.splat(25)));
  mu = i8x16.sub(mu, i8x16.ge_s(fl, i8x16.splat(38)));
  mu = i8x16.sub(mu, i8x16.ge_s(fl, i8x16.splat(53)));
  mu = i8x16.sub(mu, i8x16.ge_s(fl, i8x16.splat(69)));
  return i8x16.sub(mu, i8x16.ge_s(fl, i8x16.splat(89)));
}

/**
 * The level best_index_int8 picks for the 4 values x (part `part` of 16), as f32: the lower
 * candidate when x - lo < hi - x; a NaN fails every comparison of the bisection and ends on
 * the top level (113), which only `nan` instances handle.
 */
@inline function level4(x: v128, lo8: v128, hi8: v128, part: i32, nan: bool): v128 {
  const lo = i8ToF32(lo8, part);
  const hi = i8ToF32(hi8, part);
  const q = v128.bitselect(lo, hi, lower(x, lo, hi));
  return nan ? v128.bitselect(f32x4.splat(113), q, f32x4.ne(x, x)) : q;
}

/** matches best_index_int8(16, kvalues_iq4nl, x) for the 16 values a..d: the indices as i8 lanes. */
@inline function bestIndex16(a: v128, b: v128, c: v128, d: v128): v128 {
  const vals = levelBytes();
  const mu = firstAbove(a, b, c, d);
  const lo8 = v128.swizzle(vals, i8x16.sub(mu, i8x16.splat(1)));
  const hi8 = v128.swizzle(vals, mu);
  const m = masks8(
    lower(a, i8ToF32(lo8, 0), i8ToF32(hi8, 0)),
    lower(b, i8ToF32(lo8, 1), i8ToF32(hi8, 1)),
    lower(c, i8ToF32(lo8, 2), i8ToF32(hi8, 2)),
    lower(d, i8ToF32(lo8, 3), i8ToF32(hi8, 3)),
  );
  const nan = masks8(f32x4.ne(a, a), f32x4.ne(b, b), f32x4.ne(c, c), f32x4.ne(d, d));
  // an all-ones i8 lane is -1: mu - 1 where the lower level won; index 15 for NaN
  return v128.bitselect(i8x16.splat(15), i8x16.add(mu, m), nan);
}

/**
 * matches the first loop of quantize_row_iq4_nl_impl (no quant_weights, ntry = 7) for the 4
 * blocks of quartet qi: their scales d (0 for an all-zero block), as f32 lanes. The `nan`
 * instance handles quartets holding a non-finite value; in the others every id * x of a
 * block that is not all zero is finite (|id| <= 134 / 1e-15).
 */
@inline function search(qi: i32, nan: bool): v128 {
  const zero = f32x4.splat(0);
  const vals = levelBytes();
  const base = quartet(qi);
  const end = base + 512;
  let max = zero;
  let amax = zero;
  for (let p = base; p < end; p += 16) {
    const x = v128.load(p);
    v128.store(p, f32x4.mul(x, x), OFF_W);
    const ax = f32x4.abs(x);
    const upd = f32x4.gt(ax, amax);
    amax = v128.bitselect(ax, amax, upd);
    max = v128.bitselect(x, max, upd);
  }
  const allZero = f32x4.lt(amax, f32x4.splat(GROUP_MAX_EPS));
  let d = zero;
  let best = zero;
  // itry = -8 stands for the first fit, id = 1 / (-max / -127)
  for (let itry = -8; itry <= 7; itry++) {
    const id = itry < -7 ? f32x4.div(f32x4.splat(1), f32x4.div(f32x4.neg(max), f32x4.splat(-127))) : f32x4.div(f32x4.splat(<f32>(itry - 127)), max);
    let sumqx = zero;
    let sumq2 = zero;
    for (let p = base; p < end; p += 64) {
      const x0 = v128.load(p);
      const x1 = v128.load(p, 16);
      const x2 = v128.load(p, 32);
      const x3 = v128.load(p, 48);
      const a0 = f32x4.mul(id, x0);
      const a1 = f32x4.mul(id, x1);
      const a2 = f32x4.mul(id, x2);
      const a3 = f32x4.mul(id, x3);
      const mu = firstAbove(a0, a1, a2, a3);
      const lo8 = v128.swizzle(vals, i8x16.sub(mu, i8x16.splat(1)));
      const hi8 = v128.swizzle(vals, mu);
      let q = level4(a0, lo8, hi8, 0, nan);
      let wq = f32x4.mul(v128.load(p, OFF_W), q);
      sumqx = f32x4.add(sumqx, f32x4.mul(wq, x0));
      sumq2 = f32x4.add(sumq2, f32x4.mul(wq, q));
      q = level4(a1, lo8, hi8, 1, nan);
      wq = f32x4.mul(v128.load(p, OFF_W + 16), q);
      sumqx = f32x4.add(sumqx, f32x4.mul(wq, x1));
      sumq2 = f32x4.add(sumq2, f32x4.mul(wq, q));
      q = level4(a2, lo8, hi8, 2, nan);
      wq = f32x4.mul(v128.load(p, OFF_W + 32), q);
      sumqx = f32x4.add(sumqx, f32x4.mul(wq, x2));
      sumq2 = f32x4.add(sumq2, f32x4.mul(wq, q));
      q = level4(a3, lo8, hi8, 3, nan);
      wq = f32x4.mul(v128.load(p, OFF_W + 48), q);
      sumqx = f32x4.add(sumqx, f32x4.mul(wq, x3));
      sumq2 = f32x4.add(sumq2, f32x4.mul(wq, q));
    }
    const pos = f32x4.gt(sumq2, zero);
    if (itry < -7) {
      d = v128.and(f32x4.div(sumqx, sumq2), pos);
      best = f32x4.mul(d, sumqx);
      continue;
    }
    const win = v128.and(pos, f32x4.gt(f32x4.mul(sumqx, sumqx), f32x4.mul(best, sumq2)));
    if (!v128.any_true(win)) continue;
    const s = f32x4.div(sumqx, sumq2);
    d = v128.bitselect(s, d, win);
    best = v128.bitselect(f32x4.mul(s, sumqx), best, win);
  }
  return v128.andnot(d, allZero);
}

function searchFinite(qi: i32): v128 {
  return search(qi, false);
}
function searchAny(qi: i32): v128 {
  return search(qi, true);
}

/** The block scales of quartet qi (see search). */
function searchIQ4(qi: i32): v128 {
  const base = quartet(qi);
  const inf = f32x4.splat(Infinity);
  let finite = f32x4.splat(1);
  for (let p = base; p < base + 512; p += 16) finite = v128.and(finite, f32x4.lt(f32x4.abs(v128.load(p)), inf));
  return v128.all_true<i32>(finite) ? searchFinite(qi) : searchAny(qi);
}

/** Indices best_index_int8(idl * x) of the 32 elements at x, packed as nibbles (j low, j + 16 high) at q. */
function packIndices(x: usize, idl: f32, q: usize): void {
  const v = f32x4.splat(idl);
  const lo = bestIndex16(f32x4.mul(v, v128.load(x)), f32x4.mul(v, v128.load(x, 16)), f32x4.mul(v, v128.load(x, 32)), f32x4.mul(v, v128.load(x, 48)));
  const hi = bestIndex16(f32x4.mul(v, v128.load(x, 64)), f32x4.mul(v, v128.load(x, 80)), f32x4.mul(v, v128.load(x, 96)), f32x4.mul(v, v128.load(x, 112)));
  v128.store(q, v128.or(lo, i8x16.shl(hi, 4)));
}

const LANES: usize = memory.data(32, 16);

/** matches quantize_iq4_nl (no imatrix): d (f16), qs[16]. */
export function encode_IQ4_NL(src: usize, dst: usize, nb: i32): void {
  for (let g = 0; g < nb; g += 4) {
    transpose4(src + (<usize>g << 7), 128, quartet(0), 32);
    v128.store(LANES, searchIQ4(0));
    for (let k = 0; k < 4 && g + k < nb; k++) {
      const o = dst + <usize>(g + k) * 18;
      const d = load<f32>(LANES + (<usize>k << 2));
      writeHalf(o, d);
      packIndices(src + (<usize>(g + k) << 7), d != 0 ? <f32>1.0 / d : 0, o + 2);
    }
  }
}

/** matches quantize_iq4_xs (no imatrix): d (f16), scales_h, scales_l[4], qs[128]. */
export function encode_IQ4_XS(src: usize, dst: usize, nb: i32): void {
  for (let i = 0; i < nb; i++) {
    const x = src + (<usize>i << 10);
    const o = dst + <usize>i * 136;
    transpose4(x, 128, quartet(0), 32);
    transpose4(x + 512, 128, quartet(1), 32);
    v128.store(LANES, searchIQ4(0));
    v128.store(LANES + 16, searchIQ4(1));
    let maxScale: f32 = 0;
    let amaxScale: f32 = 0;
    for (let ib = 0; ib < 8; ib++) {
      const s = load<f32>(LANES + (<usize>ib << 2));
      const a = Mathf.abs(s);
      if (a > amaxScale) {
        amaxScale = a;
        maxScale = s;
      }
    }
    const d: f32 = -maxScale / <f32>32.0;
    writeHalf(o, d);
    const id: f32 = d != 0 ? <f32>1.0 / d : 0;
    let sh: u32 = 0;
    memory.fill(o + 4, 0, 4);
    for (let ib = 0; ib < 8; ib++) {
      let l = nearestInt(id * load<f32>(LANES + (<usize>ib << 2)));
      l = l < -32 ? -32 : l > 31 ? 31 : l;
      const dl: f32 = d * <f32>l;
      packIndices(x + (<usize>ib << 7), dl != 0 ? <f32>1.0 / dl : 0, o + 8 + (<usize>ib << 4));
      l += 32;
      const sl = o + 4 + (ib >> 1);
      store<u8>(sl, load<u8>(sl) | <u8>((l & 15) << ((ib & 1) << 2)));
      sh |= <u32>(l >> 4) << (2 * ib);
    }
    store<u16>(o + 2, <u16>sh);
  }
}
