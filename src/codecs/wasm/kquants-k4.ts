/**
 * Q4_K and Q5_K super-blocks (8 groups of 32, 6-bit scales and mins): the group searches run
 * as two quartets of lanes (search-qkx2.ts), the packing and the final re-quantization are
 * element-wise and run 4 elements per vector.
 */
import { clampV, nearestInt, nearestIntV, quartet, transpose4, writeHalf, OFF_W, SCALES, MINS, LB } from './common';
import { levelsOfSearch, searchQ4_K, searchQ5_K } from './search-qkx2';

/** Transposes the 8 groups into two quartets and computes the weights av_x + |x|, av_x = sqrt(sum x^2 / 32). */
function prepareK4(x: usize): void {
  for (let q = 0; q < 2; q++) {
    const base = quartet(q);
    const end = base + 512;
    transpose4(x + (<usize>q << 9), 128, base, 32);
    let s = f32x4.splat(0);
    for (let p = base; p < end; p += 16) {
      const v = v128.load(p);
      s = f32x4.add(s, f32x4.mul(v, v));
    }
    const av = f32x4.sqrt(f32x4.div(s, f32x4.splat(32)));
    for (let p = base; p < end; p += 16) v128.store(p, f32x4.add(av, f32x4.abs(v128.load(p))), OFF_W);
  }
}

let superD: f32 = 0;
let superMin: f32 = 0;

/** The inverse of get_scale_min_k4, as quantize_row_q4_K_ref packs it; writes d and dmin at o. */
function packScalesK4(o: usize): void {
  let maxScale: f32 = 0;
  let maxMin: f32 = 0;
  for (let j = 0; j < 8; j++) {
    const s = load<f32>(SCALES + (<usize>j << 2));
    if (s > maxScale) maxScale = s;
    const m = load<f32>(MINS + (<usize>j << 2));
    if (m > maxMin) maxMin = m;
  }
  const invScale: f32 = maxScale > 0 ? <f32>63.0 / maxScale : 0;
  const invMin: f32 = maxMin > 0 ? <f32>63.0 / maxMin : 0;
  const s = o + 4;
  for (let j = 0; j < 8; j++) {
    let ls = <u32>nearestInt(invScale * load<f32>(SCALES + (<usize>j << 2))) & 0xff;
    let lm = <u32>nearestInt(invMin * load<f32>(MINS + (<usize>j << 2))) & 0xff;
    if (ls > 63) ls = 63;
    if (lm > 63) lm = 63;
    if (j < 4) {
      store<u8>(s + j, <u8>ls);
      store<u8>(s + j + 4, <u8>lm);
    } else {
      store<u8>(s + j + 4, <u8>((ls & 15) | ((lm & 15) << 4)));
      store<u8>(s + j - 4, load<u8>(s + j - 4) | <u8>((ls >> 4) << 6));
      store<u8>(s + j, load<u8>(s + j) | <u8>((lm >> 4) << 6));
    }
  }
  superD = writeHalf(o, maxScale / <f32>63.0);
  superMin = writeHalf(o + 2, maxMin / <f32>63.0);
}

/** 16 i32 lanes (values 0..255) to 16 bytes. */
@inline function narrow16(a: v128, b: v128, c: v128, d: v128): v128 {
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(a, b), i16x8.narrow_i32x4_u(c, d));
}

/** Searches and packs the scales of one super-block, then re-quantizes its 256 levels into LB. */
function levelsK4(x: usize, o: usize, nmax: i32, q5: bool): void {
  prepareK4(x);
  if (q5) searchQ5_K(0);
  else searchQ4_K(0);
  packScalesK4(o);
  requantK4(x, o, nmax, superD, superMin);
}

/**
 * The 256 levels into LB from the packed 6-bit scales and mins at o + 4 and the decoded super
 * scales dv, mv: clamp(nearest_int((x + dm) / d), 0, nmax) per group, or, where d is 0, the
 * levels the group search kept (search-qkx2.ts levelsOfSearch).
 */
export function requantK4(x: usize, o: usize, nmax: i32, dv0: f32, mv0: f32): void {
  const s = o + 4;
  for (let j = 0; j < 8; j++) {
    let sc: u32;
    let m: u32;
    if (j < 4) {
      sc = load<u8>(s + j) & 63;
      m = load<u8>(s + j + 4) & 63;
    } else {
      sc = (load<u8>(s + j + 4) & 15) | ((load<u8>(s + j - 4) >> 6) << 4);
      m = (load<u8>(s + j + 4) >> 4) | ((load<u8>(s + j) >> 6) << 4);
    }
    const xg = x + (<usize>j << 7);
    const lg = LB + (<usize>j << 5);
    const d: f32 = dv0 * <f32>sc;
    if (d == 0) {
      levelsOfSearch(xg, lg, j, 32, nmax);
      continue;
    }
    const dv = f32x4.splat(d);
    const dm = f32x4.splat(mv0 * <f32>m);
    for (let k = 0; k < 2; k++) {
      const p = xg + (<usize>k << 6);
      const l0 = clampV(nearestIntV(f32x4.div(f32x4.add(v128.load(p), dm), dv)), 0, nmax);
      const l1 = clampV(nearestIntV(f32x4.div(f32x4.add(v128.load(p, 16), dm), dv)), 0, nmax);
      const l2 = clampV(nearestIntV(f32x4.div(f32x4.add(v128.load(p, 32), dm), dv)), 0, nmax);
      const l3 = clampV(nearestIntV(f32x4.div(f32x4.add(v128.load(p, 48), dm), dv)), 0, nmax);
      v128.store(lg + (<usize>k << 4), narrow16(l0, l1, l2, l3));
    }
  }
}

/** matches quantize_row_q4_K_ref: d, dmin (f16), scales[12], qs[128] (elements l and l + 32 of each 64). */
export function encode_Q4_K(src: usize, dst: usize, nb: i32): void {
  for (let i = 0; i < nb; i++) {
    const x = src + (<usize>i << 10);
    const o = dst + <usize>i * 144;
    levelsK4(x, o, 15, false);
    packQ4(o);
  }
}

/** Q4_K's qs[128] at o + 16 from LB: byte l of each 32 holds elements l and l + 32 of each 64. */
export function packQ4(o: usize): void {
  for (let c = 0; c < 4; c++) {
    const l = LB + (<usize>c << 6);
    const q = o + 16 + (<usize>c << 5);
    v128.store(q, v128.or(v128.load(l), i8x16.shl(v128.load(l, 32), 4)));
    v128.store(q, v128.or(v128.load(l, 16), i8x16.shl(v128.load(l, 48), 4)), 16);
  }
}

/** matches quantize_row_q5_K_ref: d, dmin, scales[12], qh[32] (fifth bits), qs[128] (low nibbles). */
export function encode_Q5_K(src: usize, dst: usize, nb: i32): void {
  for (let i = 0; i < nb; i++) {
    const x = src + (<usize>i << 10);
    const o = dst + <usize>i * 176;
    levelsK4(x, o, 31, true);
    packQ5(o);
  }
}

/** Q5_K's qh[32] at o + 16 (fifth bits) and qs[128] at o + 48 (low nibbles) from LB. */
export function packQ5(o: usize): void {
  const low = i8x16.splat(15);
  for (let half = 0; half < 2; half++) {
    const hOff = <usize>half << 4;
    let h = i8x16.splat(0);
    for (let c = 0; c < 4; c++) {
      const l = LB + (<usize>c << 6) + hOff;
      const a = v128.load(l);
      const b = v128.load(l, 32);
      h = v128.or(h, i8x16.shl(i8x16.shr_u(a, 4), 2 * c));
      h = v128.or(h, i8x16.shl(i8x16.shr_u(b, 4), 2 * c + 1));
      v128.store(o + 48 + (<usize>c << 5) + hOff, v128.or(v128.and(a, low), i8x16.shl(v128.and(b, low), 4)));
    }
    v128.store(o + 16 + hOff, h);
  }
}
