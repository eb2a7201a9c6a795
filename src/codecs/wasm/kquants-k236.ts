/**
 * Q2_K, Q3_K and Q6_K super-blocks (16 groups of 16): the group searches run as four quartets
 * of lanes (search-qkx2.ts, search-qx.ts); scale packing is scalar, the final re-quantization
 * and the bit packing run 4 or 16 elements per vector.
 */
import { clampV, nearestInt, nearestIntV, quartet, transpose4, writeHalf, OFF_W, OFF_L, SCALES, MINS, LISCALE, FLAT, LB } from './common';
import { levelsOfSearch, searchQ2_K } from './search-qkx2';
import { searchQ3_K, searchQ6_K } from './search-qx';

const GROUP_MAX_EPS: f32 = 1e-15;

/** The 16 groups of a super-block as 4 quartets of 16 rows. */
@inline function transposeK16(x: usize): void {
  for (let q = 0; q < 4; q++) transpose4(x + (<usize>q << 8), 64, quartet(q), 16);
}

/** 16 i32 lanes (values 0..255) to 16 bytes. */
@inline function narrow16(a: v128, b: v128, c: v128, d: v128): v128 {
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(a, b), i16x8.narrow_i32x4_u(c, d));
}

/** Levels of the 16 elements of group j: clamp(nearest_int((x + dm) / d), lo, hi) + bias, as bytes in LB. */
@inline export function requant16(x: usize, j: i32, d: f32, dm: f32, lo: i32, hi: i32, bias: i32): void {
  const p = x + (<usize>j << 6);
  const dv = f32x4.splat(d);
  const mv = f32x4.splat(dm);
  const b = i32x4.splat(bias);
  const l0 = i32x4.add(clampV(nearestIntV(f32x4.div(f32x4.add(v128.load(p), mv), dv)), lo, hi), b);
  const l1 = i32x4.add(clampV(nearestIntV(f32x4.div(f32x4.add(v128.load(p, 16), mv), dv)), lo, hi), b);
  const l2 = i32x4.add(clampV(nearestIntV(f32x4.div(f32x4.add(v128.load(p, 32), mv), dv)), lo, hi), b);
  const l3 = i32x4.add(clampV(nearestIntV(f32x4.div(f32x4.add(v128.load(p, 48), mv), dv)), lo, hi), b);
  v128.store(LB + (<usize>j << 4), narrow16(l0, l1, l2, l3));
}

/** Four 2-bit levels per byte: byte l of each 32 holds elements l, l + 32, l + 64, l + 96 of each 128. */
@inline export function pack2(q: usize): void {
  for (let j = 0; j < 2; j++) {
    for (let h = 0; h < 2; h++) {
      const l = LB + (<usize>j << 7) + (<usize>h << 4);
      const v = v128.or(
        v128.or(v128.load(l), i8x16.shl(v128.load(l, 32), 2)),
        v128.or(i8x16.shl(v128.load(l, 64), 4), i8x16.shl(v128.load(l, 96), 6)),
      );
      v128.store(q + (<usize>j << 5) + (<usize>h << 4), v);
    }
  }
}

/** matches quantize_row_q2_K_ref: scales[16] (4-bit scale | 4-bit min), qs[64], d, dmin. */
export function encode_Q2_K(src: usize, dst: usize, nb: i32): void {
  for (let i = 0; i < nb; i++) {
    const x = src + (<usize>i << 10);
    const o = dst + <usize>i * 84;
    transposeK16(x);
    for (let q = 0; q < 4; q++) {
      const base = quartet(q);
      for (let p = base; p < base + 256; p += 16) v128.store(p, f32x4.abs(v128.load(p)), OFF_W);
    }
    searchQ2_K(0);
    searchQ2_K(2);
    let maxScale: f32 = 0;
    let maxMin: f32 = 0;
    for (let j = 0; j < 16; j++) {
      const s = load<f32>(SCALES + (<usize>j << 2));
      if (s > maxScale) maxScale = s;
      const m = load<f32>(MINS + (<usize>j << 2));
      if (m > maxMin) maxMin = m;
    }
    let dv: f32;
    if (maxScale > 0) {
      const iscale: f32 = <f32>15.0 / maxScale;
      for (let j = 0; j < 16; j++) store<u8>(o + j, <u8>nearestInt(iscale * load<f32>(SCALES + (<usize>j << 2))));
      dv = writeHalf(o + 80, maxScale / <f32>15.0);
    } else {
      memory.fill(o, 0, 16);
      dv = writeHalf(o + 80, 0);
    }
    let mv: f32;
    if (maxMin > 0) {
      const iscale: f32 = <f32>15.0 / maxMin;
      for (let j = 0; j < 16; j++) {
        store<u8>(o + j, load<u8>(o + j) | <u8>(nearestInt(iscale * load<f32>(MINS + (<usize>j << 2))) << 4));
      }
      mv = writeHalf(o + 82, maxMin / <f32>15.0);
    } else {
      mv = writeHalf(o + 82, 0);
    }
    for (let j = 0; j < 16; j++) {
      const sc = <u32>load<u8>(o + j);
      const d: f32 = dv * <f32>(sc & 15);
      if (d == 0) levelsOfSearch(x + (<usize>j << 6), LB + (<usize>j << 4), j, 16, 3);
      else requant16(x, j, d, mv * <f32>(sc >> 4), 0, 3, 0);
    }
    pack2(o + 16);
  }
}

/** matches quantize_row_q3_K_ref: hmask[32], qs[64], scales[12] (6-bit, offset 32), d. */
export function encode_Q3_K(src: usize, dst: usize, nb: i32): void {
  for (let i = 0; i < nb; i++) {
    const x = src + (<usize>i << 10);
    const o = dst + <usize>i * 110;
    transposeK16(x);
    for (let q = 0; q < 4; q++) searchQ3_K(q);
    let maxScale: f32 = 0;
    let amax: f32 = 0;
    for (let j = 0; j < 16; j++) {
      const s = load<f32>(SCALES + (<usize>j << 2));
      const a = Mathf.abs(s);
      if (a > amax) {
        amax = a;
        maxScale = s;
      }
    }
    const sc = o + 96;
    memory.fill(sc, 0, 12);
    let dv: f32;
    if (maxScale != 0) {
      const iscale: f32 = <f32>-32.0 / maxScale;
      for (let j = 0; j < 16; j++) {
        let l = <i32>(<i8>nearestInt(iscale * load<f32>(SCALES + (<usize>j << 2))));
        l = (l < -32 ? -32 : l > 31 ? 31 : l) + 32;
        if (j < 8) store<u8>(sc + j, <u8>(l & 15));
        else store<u8>(sc + j - 8, load<u8>(sc + j - 8) | <u8>((l & 15) << 4));
        const hi = sc + 8 + (j & 3);
        store<u8>(hi, load<u8>(hi) | <u8>((l >> 4) << (2 * (j >> 2))));
      }
      dv = writeHalf(o + 108, <f32>1.0 / iscale);
    } else {
      dv = writeHalf(o + 108, 0);
    }
    for (let j = 0; j < 16; j++) {
      const lo = j < 8 ? <i32>load<u8>(sc + j) & 15 : <i32>load<u8>(sc + j - 8) >> 4;
      const s = (lo | (((<i32>load<u8>(sc + 8 + (j & 3)) >> (2 * (j >> 2))) & 3) << 4)) - 32;
      const d: f32 = dv * <f32>s;
      if (d != 0) {
        requant16(x, j, d, 0, -4, 3, 4);
        continue;
      }
      // the levels make_q3_quants left: 0 for an all-zero group, else its levels + 4
      const lg = LB + (<usize>j << 4);
      if (load<i32>(FLAT + (<usize>j << 2)) != 0) {
        memory.fill(lg, 0, 16);
      } else {
        const lv = quartet(j >> 2) + OFF_L + (<usize>(j & 3) << 2);
        for (let r = 0; r < 16; r++) store<u8>(lg + r, <u8>(<i32>load<f32>(lv + (<usize>r << 4)) + 4));
      }
    }
    packQ3(o);
  }
}

/** Q3_K's hmask[32] at o (the third bit of LB's levels 0..7) and qs[64] at o + 32 (their low two bits). */
export function packQ3(o: usize): void {
  // bit m of byte l for element 32 * m + l
  const four = i8x16.splat(4);
  for (let h = 0; h < 2; h++) {
    let hm = i8x16.splat(0);
    for (let m = 0; m < 8; m++) {
      const p = LB + (<usize>m << 5) + (<usize>h << 4);
      const v = v128.load(p);
      const high = i8x16.gt_u(v, i8x16.splat(3));
      const bit: i32 = 1 << m;
      hm = v128.or(hm, v128.and(high, i8x16.splat(<i8>bit)));
      v128.store(p, i8x16.sub(v, v128.and(high, four)));
    }
    v128.store(o + (<usize>h << 4), hm);
  }
  pack2(o + 32);
}

/** matches quantize_row_q6_K_ref: ql[128], qh[64], scales[16] (int8), d. */
export function encode_Q6_K(src: usize, dst: usize, nb: i32): void {
  for (let i = 0; i < nb; i++) {
    const x = src + (<usize>i << 10);
    const o = dst + <usize>i * 210;
    transposeK16(x);
    searchQ6_K(0);
    searchQ6_K(2);
    finishQ6(x, o);
  }
}

/**
 * The rest of quantize_row_q6_K_ref / _impl once the 16 group searches have left SCALES,
 * LISCALE and FLAT: int8 scales and d, the levels re-quantized (or the search's where a
 * scale decodes to 0), ql and qh.
 */
export function finishQ6(x: usize, o: usize): void {
  const low = i8x16.splat(15);
  let maxScale: f32 = 0;
  let maxAbs: f32 = 0;
  for (let g = 0; g < 16; g++) {
    const s = load<f32>(SCALES + (<usize>g << 2));
    const a = Mathf.abs(s);
    if (a > maxAbs) {
      maxAbs = a;
      maxScale = s;
    }
  }
  if (maxAbs < GROUP_MAX_EPS) {
    memory.fill(o, 0, 210);
    return;
  }
  const iscale: f32 = <f32>-128.0 / maxScale;
  const dv = writeHalf(o + 208, <f32>1.0 / iscale);
  for (let g = 0; g < 16; g++) {
    const l = nearestInt(iscale * load<f32>(SCALES + (<usize>g << 2)));
    store<u8>(o + 192 + g, <u8>(l < 127 ? l : 127));
  }
  for (let j = 0; j < 16; j++) {
    const d: f32 = dv * <f32>load<i8>(o + 192 + j);
    if (d != 0) {
      requant16(x, j, d, 0, -32, 31, 32);
      continue;
    }
    // the levels make_qx_quants left: 0 for an all-zero group, else those of its kept iscale
    const lg = LB + (<usize>j << 4);
    if (load<i32>(FLAT + (<usize>j << 2)) != 0) {
      memory.fill(lg, 0, 16);
    } else {
      const k = f32x4.splat(load<f32>(LISCALE + (<usize>j << 2)));
      for (let r = 0; r < 16; r++) {
        const v = f32x4.splat(load<f32>(x + (<usize>(16 * j + r) << 2)));
        store<u8>(lg + r, <u8>(i32x4.extract_lane(clampV(nearestIntV(f32x4.mul(k, v)), -32, 31), 0) + 32));
      }
    }
  }
  for (let n = 0; n < 2; n++) {
    const ql = o + (<usize>n << 6);
    const qh = o + 128 + (<usize>n << 5);
    for (let h = 0; h < 2; h++) {
      const l = LB + (<usize>n << 7) + (<usize>h << 4);
      const a = v128.load(l);
      const c = v128.load(l, 32);
      const e = v128.load(l, 64);
      const f = v128.load(l, 96);
      const hOff = <usize>h << 4;
      v128.store(ql + hOff, v128.or(v128.and(a, low), i8x16.shl(v128.and(e, low), 4)));
      v128.store(ql + 32 + hOff, v128.or(v128.and(c, low), i8x16.shl(v128.and(f, low), 4)));
      const hb = v128.or(
        v128.or(i8x16.shr_u(a, 4), i8x16.shl(i8x16.shr_u(c, 4), 2)),
        v128.or(i8x16.shl(i8x16.shr_u(e, 4), 4), i8x16.shl(i8x16.shr_u(f, 4), 6)),
      );
      v128.store(qh + hOff, hb);
    }
  }
}
