/**
 * The K-quants with an importance matrix: quantize_row_q{2..6}_K_impl in ggml-quants.c
 * (llama.cpp 34af94cd), which ggml_quantize_chunk runs instead of the _ref quantizers when it
 * is given quant_weights. Element weights are the column's importance times sqrt(sigma2 + x^2),
 * sigma2 being the super-block's mean square (doubled for Q3_K..Q5_K); the group scales are then
 * quantized by a weighted search (make_qp_quants / make_qx_quants) instead of by their maximum.
 * Q6_K uses the importances alone. `qw` holds one weight per element of `x`, aligned with it.
 */
import { fr, nearestInt, writeHalf } from './quant-math';
import { makeQxQuants } from './kquants-search';
import { makeQkx3Quants, makeQpQuants, RDELTA_QKX3, RMIN_QKX3 } from './kquants-search-weighted';
import { encodeQ6_KBlock } from './kquants-encode';

const L = new Uint8Array(256);
const Laux = new Uint8Array(32);
const Ls = new Uint8Array(16);
const Lm = new Uint8Array(16);
const weight = new Float32Array(32);
const sw = new Float32Array(16);
const scales = new Float32Array(16);
const mins = new Float32Array(16);

function sumSquares(x: Float32Array, b: number): number {
  let s = 0;
  for (let l = 0; l < 256; l++) s = fr(s + fr(x[b + l]! * x[b + l]!));
  return s;
}

/** weight[0..n) for the group at xo, and their sum (the group's weight for the scale search). */
function groupWeights(x: Float32Array, qw: Float32Array, xo: number, n: number, sigma2: number): number {
  let sumw = 0;
  for (let l = 0; l < n; l++) {
    const v = x[xo + l]!;
    weight[l] = fr(qw[xo + l]! * fr(Math.sqrt(fr(sigma2 + fr(v * v)))));
  }
  for (let l = 0; l < n; l++) sumw = fr(sumw + weight[l]!);
  return sumw;
}

function pack2(src: Uint8Array, dst: Uint8Array, q: number): void {
  for (let j = 0; j < 256; j += 128) {
    for (let l = 0; l < 32; l++) {
      dst[q + j / 4 + l] = src[j + l]! | (src[j + l + 32]! << 2) | (src[j + l + 64]! << 4) | (src[j + l + 96]! << 6);
    }
  }
}

/** matches quantize_row_q2_K_impl. */
export function encodeQ2_KWeighted(x: Float32Array, dst: Uint8Array, qw: Float32Array): void {
  for (let b = 0, o = 0; b < x.length; b += 256, o += 84) {
    const sigma2 = fr(sumSquares(x, b) / 256);
    for (let j = 0; j < 16; j++) {
      sw[j] = groupWeights(x, qw, b + 16 * j, 16, sigma2);
      scales[j] = makeQkx3Quants(16, 3, x, b + 16 * j, weight, 0, L, 16 * j, mins, j, Laux, RMIN_QKX3, RDELTA_QKX3, 36, false);
    }
    const dm = writeHalf(dst, o + 80, makeQpQuants(16, 15, scales, Ls, sw));
    const mm = writeHalf(dst, o + 82, makeQpQuants(16, 15, mins, Lm, sw));
    for (let j = 0; j < 16; j++) dst[o + j] = (Ls[j]! | (Lm[j]! << 4)) & 0xff;
    for (let j = 0; j < 16; j++) {
      const sc = dst[o + j]!;
      const d = fr(dm * (sc & 15));
      if (d === 0) continue;
      const m = fr(mm * (sc >>> 4));
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(fr(fr(x[b + 16 * j + ii]! + m) / d));
        L[16 * j + ii] = Math.max(0, Math.min(3, l));
      }
    }
    pack2(L, dst, o + 16);
  }
}

/** matches quantize_row_q3_K_impl with quant_weights. */
export function encodeQ3_KWeighted(x: Float32Array, dst: Uint8Array, qw: Float32Array): void {
  for (let b = 0, o = 0; b < x.length; b += 256, o += 110) {
    const sigma2 = fr(fr(2 * sumSquares(x, b)) / 256);
    for (let j = 0; j < 16; j++) {
      sw[j] = groupWeights(x, qw, b + 16 * j, 16, sigma2);
      scales[j] = makeQxQuants(16, 4, x, b + 16 * j, L, 16 * j, 1, weight, 0);
    }
    const sc = o + 96;
    dst.fill(0, sc, sc + 12);
    const dBlock = makeQxQuants(16, 32, scales, 0, Ls, 0, 1, sw, 0);
    for (let j = 0; j < 16; j++) {
      const l = Ls[j]!;
      if (j < 8) dst[sc + j] = l & 15;
      else dst[sc + j - 8] = dst[sc + j - 8]! | ((l & 15) << 4);
      dst[sc + 8 + (j & 3)] = dst[sc + 8 + (j & 3)]! | ((l >> 4) << (2 * (j >>> 2)));
    }
    const dv = writeHalf(dst, o + 108, dBlock);
    for (let j = 0; j < 16; j++) {
      const lo = j < 8 ? dst[sc + j]! & 15 : dst[sc + j - 8]! >>> 4;
      const s = ((lo | (((dst[sc + 8 + (j & 3)]! >>> (2 * (j >>> 2))) & 3) << 4)) << 24 >> 24) - 32;
      const d = fr(dv * s);
      if (d === 0) continue;
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(fr(x[b + 16 * j + ii]! / d));
        L[16 * j + ii] = Math.max(-4, Math.min(3, l)) + 4;
      }
    }
    dst.fill(0, o, o + 32);
    for (let j = 0; j < 256; j++) {
      if (L[j]! > 3) {
        dst[o + (j & 31)] = dst[o + (j & 31)]! | (1 << (j >>> 5));
        L[j] = L[j]! - 4;
      }
    }
    pack2(L, dst, o + 32);
  }
}

/** The Q4_K / Q5_K super-block: weighted group searches, make_qp_quants scales, re-quantized levels in L. */
function searchK4Weighted(x: Float32Array, qw: Float32Array, b: number, dst: Uint8Array, o: number, nmax: number): void {
  const sigma2 = fr(fr(2 * sumSquares(x, b)) / 256);
  for (let j = 0; j < 8; j++) {
    sw[j] = groupWeights(x, qw, b + 32 * j, 32, sigma2);
    scales[j] = makeQkx3Quants(32, nmax, x, b + 32 * j, weight, 0, L, 32 * j, mins, j, Laux, RMIN_QKX3, RDELTA_QKX3, 36, false);
  }
  const dBlock = makeQpQuants(8, 63, scales, Ls, sw);
  const mBlock = makeQpQuants(8, 63, mins, Lm, sw);
  const s = o + 4;
  for (let j = 0; j < 8; j++) {
    // Q5_K clamps to 63; for Q4_K make_qp_quants already keeps them there
    const ls = Math.min(63, Ls[j]!);
    const lm = Math.min(63, Lm[j]!);
    if (j < 4) {
      dst[s + j] = ls;
      dst[s + j + 4] = lm;
    } else {
      dst[s + j + 4] = (ls & 15) | ((lm & 15) << 4);
      dst[s + j - 4] = dst[s + j - 4]! | ((ls >>> 4) << 6);
      dst[s + j] = dst[s + j]! | ((lm >>> 4) << 6);
    }
  }
  const dv = writeHalf(dst, o, dBlock);
  const mv = writeHalf(dst, o + 2, mBlock);
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
    const d = fr(dv * sc);
    if (d === 0) continue;
    const dm = fr(mv * m);
    for (let ii = 0; ii < 32; ii++) {
      const l = nearestInt(fr(fr(x[b + 32 * j + ii]! + dm) / d));
      L[32 * j + ii] = Math.max(0, Math.min(nmax, l));
    }
  }
}

/** matches quantize_row_q4_K_impl with quant_weights. */
export function encodeQ4_KWeighted(x: Float32Array, dst: Uint8Array, qw: Float32Array): void {
  for (let b = 0, o = 0; b < x.length; b += 256, o += 144) {
    searchK4Weighted(x, qw, b, dst, o, 15);
    for (let c = 0; c < 4; c++) {
      const q = o + 16 + 32 * c;
      for (let l = 0; l < 32; l++) dst[q + l] = L[64 * c + l]! | (L[64 * c + l + 32]! << 4);
    }
  }
}

/** matches quantize_row_q5_K_impl with quant_weights. */
export function encodeQ5_KWeighted(x: Float32Array, dst: Uint8Array, qw: Float32Array): void {
  for (let b = 0, o = 0; b < x.length; b += 256, o += 176) {
    searchK4Weighted(x, qw, b, dst, o, 31);
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

/** matches quantize_row_q6_K_impl with quant_weights: make_qx_quants weighted by the importances alone. */
export function encodeQ6_KWeighted(x: Float32Array, dst: Uint8Array, qw: Float32Array): void {
  for (let b = 0, o = 0; b < x.length; b += 256, o += 210) encodeQ6_KBlock(x, b, dst, o, qw);
}
