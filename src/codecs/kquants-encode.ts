/**
 * Encoders for the K-quant super-blocks, as ggml_quantize_chunk runs them without an
 * importance matrix: quantize_q{2..6}_K see quant_weights == NULL and call
 * quantize_row_q{2..6}_K_ref on the whole chunk. Each super-block is searched group by group
 * (kquants-search.ts), the group scales are quantized against one f16 super-scale, and then
 * every element is re-quantized against the scale the decoder will actually see.
 *
 * All scratch lives at module level; nothing is allocated per block.
 */
import { fr, nearestInt, writeHalf } from './quant-math';
import { GROUP_MAX_EPS, makeQ3Quants, makeQkx2Quants, makeQxQuants } from './kquants-search';

/** The step between tried scales, 0.1f in ggml (a float constant, not the double 0.1). */
const RDELTA = Math.fround(0.1);

const L = new Uint8Array(256);
const L8 = new Int8Array(256);
const Laux = new Uint8Array(32);
const weights = new Float32Array(32);
const scales = new Float32Array(16);
const mins = new Float32Array(16);

/** Packs 2-bit levels L[0..256) four to a byte, 32 bytes per 128 values (Q2_K / Q3_K qs). */
function pack2(src: Uint8Array | Int8Array, dst: Uint8Array, q: number): void {
  for (let j = 0; j < 256; j += 128) {
    for (let l = 0; l < 32; l++) {
      dst[q + j / 4 + l] = src[j + l]! | (src[j + l + 32]! << 2) | (src[j + l + 64]! << 4) | (src[j + l + 96]! << 6);
    }
  }
}

/** matches quantize_row_q2_K_ref: 16 groups of 16, 2-bit levels, 4-bit scales and mins. */
export function encodeQ2_K(x: Float32Array, dst: Uint8Array): void {
  const nb = (x.length / 256) | 0;
  for (let i = 0, b = 0, o = 0; i < nb; i++, b += 256, o += 84) {
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < 16; j++) {
      for (let l = 0; l < 16; l++) weights[l] = Math.abs(x[b + 16 * j + l]!);
      const s = makeQkx2Quants(16, 3, x, b + 16 * j, weights, L, 16 * j, mins, j, Laux, -0.5, RDELTA, 15, true);
      scales[j] = s;
      if (s > maxScale) maxScale = s;
      if (mins[j]! > maxMin) maxMin = mins[j]!;
    }
    let dv: number;
    if (maxScale > 0) {
      const iscale = fr(15 / maxScale);
      for (let j = 0; j < 16; j++) dst[o + j] = nearestInt(fr(iscale * scales[j]!)) & 0xff;
      dv = writeHalf(dst, o + 80, fr(maxScale / 15));
    } else {
      dst.fill(0, o, o + 16);
      dv = writeHalf(dst, o + 80, 0);
    }
    let mv: number;
    if (maxMin > 0) {
      const iscale = fr(15 / maxMin);
      for (let j = 0; j < 16; j++) dst[o + j] = dst[o + j]! | (nearestInt(fr(iscale * mins[j]!)) << 4);
      mv = writeHalf(dst, o + 82, fr(maxMin / 15));
    } else {
      mv = writeHalf(dst, o + 82, 0);
    }
    for (let j = 0; j < 16; j++) {
      const sc = dst[o + j]!;
      const d = fr(dv * (sc & 15));
      if (d === 0) continue;
      const dm = fr(mv * (sc >>> 4));
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(fr(fr(x[b + 16 * j + ii]! + dm) / d));
        L[16 * j + ii] = Math.max(0, Math.min(3, l));
      }
    }
    pack2(L, dst, o + 16);
  }
}

/** matches quantize_row_q3_K_ref: 16 groups of 16, 3-bit levels (hmask + 2 bits), 6-bit scales. */
export function encodeQ3_K(x: Float32Array, dst: Uint8Array): void {
  const nb = (x.length / 256) | 0;
  for (let i = 0, b = 0, o = 0; i < nb; i++, b += 256, o += 110) {
    let maxScale = 0;
    let amax = 0;
    for (let j = 0; j < 16; j++) {
      const s = makeQ3Quants(16, 4, x, b + 16 * j, L8, 16 * j, true);
      scales[j] = s;
      const a = Math.abs(s);
      if (a > amax) {
        amax = a;
        maxScale = s;
      }
    }
    const sc = o + 96;
    dst.fill(0, sc, sc + 12);
    let dv: number;
    if (maxScale !== 0) {
      const iscale = fr(-32 / maxScale);
      for (let j = 0; j < 16; j++) {
        let l = (nearestInt(fr(iscale * scales[j]!)) << 24) >> 24;
        l = Math.max(-32, Math.min(31, l)) + 32;
        if (j < 8) dst[sc + j] = l & 15;
        else dst[sc + j - 8] = dst[sc + j - 8]! | ((l & 15) << 4);
        dst[sc + 8 + (j & 3)] = dst[sc + 8 + (j & 3)]! | ((l >> 4) << (2 * (j >>> 2)));
      }
      dv = writeHalf(dst, o + 108, fr(1 / iscale));
    } else {
      dv = writeHalf(dst, o + 108, 0);
    }
    for (let j = 0; j < 16; j++) {
      const lo = j < 8 ? dst[sc + j]! & 15 : dst[sc + j - 8]! >>> 4;
      const s = (lo | (((dst[sc + 8 + (j & 3)]! >>> (2 * (j >>> 2))) & 3) << 4)) - 32;
      const d = fr(dv * s);
      if (d === 0) continue;
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(fr(x[b + 16 * j + ii]! / d));
        L8[16 * j + ii] = Math.max(-4, Math.min(3, l)) + 4;
      }
    }
    dst.fill(0, o, o + 32);
    for (let j = 0; j < 256; j++) {
      if (L8[j]! > 3) {
        dst[o + (j & 31)] = dst[o + (j & 31)]! | (1 << (j >>> 5));
        L8[j] = L8[j]! - 4;
      }
    }
    pack2(L8, dst, o + 32);
  }
}

/**
 * The 6-bit scale/min packing of Q4_K and Q5_K (the inverse of get_scale_min_k4), from
 * scales[] and mins[] quantized against their maxima; writes the f16 d and dmin at `o` and
 * leaves their decoded values in superD / superMin.
 */
let superD = 0;
let superMin = 0;
function packScalesK4(dst: Uint8Array, o: number, maxScale: number, maxMin: number): void {
  const invScale = maxScale > 0 ? fr(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? fr(63 / maxMin) : 0;
  const s = o + 4;
  for (let j = 0; j < 8; j++) {
    const ls = Math.min(63, nearestInt(fr(invScale * scales[j]!)) & 0xff);
    const lm = Math.min(63, nearestInt(fr(invMin * mins[j]!)) & 0xff);
    if (j < 4) {
      dst[s + j] = ls;
      dst[s + j + 4] = lm;
    } else {
      dst[s + j + 4] = (ls & 15) | ((lm & 15) << 4);
      dst[s + j - 4] = dst[s + j - 4]! | ((ls >>> 4) << 6);
      dst[s + j] = dst[s + j]! | ((lm >>> 4) << 6);
    }
  }
  superD = writeHalf(dst, o, fr(maxScale / 63));
  superMin = writeHalf(dst, o + 2, fr(maxMin / 63));
}

/** Searches the 8 groups of 32 of one Q4_K / Q5_K super-block, then re-quantizes to 0..nmax. */
function searchK4(x: Float32Array, b: number, dst: Uint8Array, o: number, nmax: number, rmin: number, nstep: number): void {
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    const xo = b + 32 * j;
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = fr(sumX2 + fr(x[xo + l]! * x[xo + l]!));
    const avX = fr(Math.sqrt(fr(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = fr(avX + Math.abs(x[xo + l]!));
    const s = makeQkx2Quants(32, nmax, x, xo, weights, L, 32 * j, mins, j, Laux, rmin, RDELTA, nstep, false);
    scales[j] = s;
    if (s > maxScale) maxScale = s;
    if (mins[j]! > maxMin) maxMin = mins[j]!;
  }
  packScalesK4(dst, o, maxScale, maxMin);
  const s = o + 4;
  for (let j = 0; j < 8; j++) {
    let sc: number;
    let m: number;
    if (j < 4) {
      sc = dst[s + j]! & 63;
      m = dst[s + j + 4]! & 63;
    } else {
      sc = (dst[s + j + 4]! & 15) | ((dst[s + j - 4]! >>> 6) << 4);
      m = (dst[s + j + 4]! >>> 4) | ((dst[s + j]! >>> 6) << 4);
    }
    const d = fr(superD * sc);
    if (d === 0) continue;
    const dm = fr(superMin * m);
    for (let ii = 0; ii < 32; ii++) {
      const l = nearestInt(fr(fr(x[b + 32 * j + ii]! + dm) / d));
      L[32 * j + ii] = Math.max(0, Math.min(nmax, l));
    }
  }
}

const RMIN_Q4 = -1;
const RMIN_Q5 = -0.5;

/** matches quantize_row_q4_K_ref: 8 groups of 32, 4-bit levels, 6-bit scales and mins. */
export function encodeQ4_K(x: Float32Array, dst: Uint8Array): void {
  const nb = (x.length / 256) | 0;
  for (let i = 0, b = 0, o = 0; i < nb; i++, b += 256, o += 144) {
    searchK4(x, b, dst, o, 15, RMIN_Q4, 20);
    for (let c = 0; c < 4; c++) {
      const q = o + 16 + 32 * c;
      for (let l = 0; l < 32; l++) dst[q + l] = L[64 * c + l]! | (L[64 * c + l + 32]! << 4);
    }
  }
}

/** matches quantize_row_q5_K_ref: 8 groups of 32, 5-bit levels (qh + nibbles), 6-bit scales and mins. */
export function encodeQ5_K(x: Float32Array, dst: Uint8Array): void {
  const nb = (x.length / 256) | 0;
  for (let i = 0, b = 0, o = 0; i < nb; i++, b += 256, o += 176) {
    searchK4(x, b, dst, o, 31, RMIN_Q5, 15);
    const qh = o + 16;
    dst.fill(0, qh, qh + 32);
    for (let c = 0; c < 4; c++) {
      const q = o + 48 + 32 * c;
      const m1 = 1 << (2 * c);
      const m2 = 2 << (2 * c);
      for (let l = 0; l < 32; l++) {
        let l1 = L[64 * c + l]!;
        let l2 = L[64 * c + l + 32]!;
        let h = dst[qh + l]!;
        if (l1 > 15) {
          l1 -= 16;
          h |= m1;
        }
        if (l2 > 15) {
          l2 -= 16;
          h |= m2;
        }
        dst[qh + l] = h;
        dst[q + l] = l1 | (l2 << 4);
      }
    }
  }
}

/** matches quantize_row_q6_K_ref: 16 groups of 16, 6-bit levels, int8 scales. */
export function encodeQ6_K(x: Float32Array, dst: Uint8Array): void {
  const nb = (x.length / 256) | 0;
  for (let i = 0, b = 0, o = 0; i < nb; i++, b += 256, o += 210) encodeQ6_KBlock(x, b, dst, o, null);
}

/**
 * One Q6_K super-block at x[b..b+256) into dst[o..o+210): quantize_row_q6_K_ref, or with `qw`
 * (importances aligned with x) quantize_row_q6_K_impl, which differs only in the group weights.
 */
export function encodeQ6_KBlock(x: Float32Array, b: number, dst: Uint8Array, o: number, qw: Float32Array | null): void {
  {
    let maxScale = 0;
    let maxAbs = 0;
    for (let g = 0; g < 16; g++) {
      const s = makeQxQuants(16, 32, x, b + 16 * g, L, 16 * g, 1, qw, b + 16 * g);
      scales[g] = s;
      const a = Math.abs(s);
      if (a > maxAbs) {
        maxAbs = a;
        maxScale = s;
      }
    }
    if (maxAbs < GROUP_MAX_EPS) {
      dst.fill(0, o, o + 210);
      return;
    }
    const iscale = fr(-128 / maxScale);
    const dv = writeHalf(dst, o + 208, fr(1 / iscale));
    for (let g = 0; g < 16; g++) dst[o + 192 + g] = Math.min(127, nearestInt(fr(iscale * scales[g]!))) & 0xff;
    for (let j = 0; j < 16; j++) {
      const d = fr(dv * ((dst[o + 192 + j]! << 24) >> 24));
      if (d === 0) continue;
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(fr(x[b + 16 * j + ii]! / d));
        L[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
      }
    }
    for (let n = 0; n < 2; n++) {
      const ql = o + 64 * n;
      const qh = o + 128 + 32 * n;
      const j = 128 * n;
      for (let l = 0; l < 32; l++) {
        const a = L[j + l]!;
        const c = L[j + l + 32]!;
        const e = L[j + l + 64]!;
        const f = L[j + l + 96]!;
        dst[ql + l] = (a & 15) | ((e & 15) << 4);
        dst[ql + l + 32] = (c & 15) | ((f & 15) << 4);
        dst[qh + l] = (a >>> 4) | ((c >>> 4) << 2) | ((e >>> 4) << 4) | ((f >>> 4) << 6);
      }
    }
  }
}
