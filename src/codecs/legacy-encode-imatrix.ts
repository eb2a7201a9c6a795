/**
 * Q4_0, Q4_1, Q5_0 and Q5_1 with an importance matrix: quantize_row_q{4,5}_{0,1}_impl in
 * ggml-quants.c (llama.cpp 34af94cd). Each element is weighted by its column's importance times
 * sqrt(sigma2 + x^2), where sigma2 is the mean square of the whole row, so these take exactly
 * one row. The Q*_0 scale comes from make_qx_quants, the Q*_1 scale and min from make_qkx3_quants.
 */
import { fr, writeHalf, writeU32 } from './quant-math';
import { makeQxQuants } from './kquants-search';
import { makeQkx3Quants, RDELTA_QKX3, RMIN_QKX3 } from './kquants-search-weighted';

const L = new Uint8Array(32);
const Laux = new Uint8Array(32);
const weight = new Float32Array(32);
const theMin = new Float32Array(1);

/** The row's mean square, summed in float32 as the reference does. */
function rowSigma2(x: Float32Array): number {
  let s = 0;
  for (let j = 0; j < x.length; j++) s = fr(s + fr(x[j]! * x[j]!));
  return fr(s / x.length);
}

function blockWeights(x: Float32Array, qw: Float32Array, b: number, sigma2: number): void {
  for (let j = 0; j < 32; j++) {
    const v = x[b + j]!;
    weight[j] = fr(qw[b + j]! * fr(Math.sqrt(fr(sigma2 + fr(v * v)))));
  }
}

/** Nibbles of L (0..15 or the low 4 bits of 0..31): byte j holds elements j and j + 16. */
function packNibbles(dst: Uint8Array, q: number): void {
  for (let j = 0; j < 16; j++) dst[q + j] = (L[j]! & 15) | ((L[j + 16]! & 15) << 4);
}

function highBits(): number {
  let qh = 0;
  for (let j = 0; j < 16; j++) {
    qh |= ((L[j]! & 16) >>> 4) << j;
    qh |= ((L[j + 16]! & 16) >>> 4) << (j + 16);
  }
  return qh >>> 0;
}

/** Symmetric types (Q4_0: nmax 8, Q5_0: nmax 16): make_qx_quants(32, nmax, xb, L, 1, weight). */
function encodeSymmetric(x: Float32Array, dst: Uint8Array, qw: Float32Array, nmax: number, typeSize: number): void {
  const sigma2 = rowSigma2(x);
  for (let b = 0, o = 0; b < x.length; b += 32, o += typeSize) {
    blockWeights(x, qw, b, sigma2);
    const d = makeQxQuants(32, nmax, x, b, L, 0, 1, weight, 0);
    writeHalf(dst, o, d);
    if (nmax === 8) packNibbles(dst, o + 2);
    else {
      writeU32(dst, o + 2, highBits());
      packNibbles(dst, o + 6);
    }
  }
}

/** Asymmetric types (Q4_1: nmax 15, Q5_1: nmax 31): make_qkx3_quants, m = -min. */
function encodeAsymmetric(x: Float32Array, dst: Uint8Array, qw: Float32Array, nmax: number, typeSize: number): void {
  const sigma2 = rowSigma2(x);
  for (let b = 0, o = 0; b < x.length; b += 32, o += typeSize) {
    blockWeights(x, qw, b, sigma2);
    const d = makeQkx3Quants(32, nmax, x, b, weight, 0, L, 0, theMin, 0, Laux, RMIN_QKX3, RDELTA_QKX3, 36, false);
    writeHalf(dst, o, d);
    writeHalf(dst, o + 2, -theMin[0]!);
    if (nmax === 15) packNibbles(dst, o + 4);
    else {
      writeU32(dst, o + 4, highBits());
      packNibbles(dst, o + 8);
    }
  }
}

/** matches quantize_row_q4_0_impl with quant_weights; `x` is one whole row. */
export function encodeQ4_0Rows(x: Float32Array, dst: Uint8Array, qw: Float32Array): void {
  encodeSymmetric(x, dst, qw, 8, 18);
}

/** matches quantize_row_q5_0_impl with quant_weights; `x` is one whole row. */
export function encodeQ5_0Rows(x: Float32Array, dst: Uint8Array, qw: Float32Array): void {
  encodeSymmetric(x, dst, qw, 16, 22);
}

/** matches quantize_row_q4_1_impl with quant_weights; `x` is one whole row. */
export function encodeQ4_1Rows(x: Float32Array, dst: Uint8Array, qw: Float32Array): void {
  encodeAsymmetric(x, dst, qw, 15, 20);
}

/** matches quantize_row_q5_1_impl with quant_weights; `x` is one whole row. */
export function encodeQ5_1Rows(x: Float32Array, dst: Uint8Array, qw: Float32Array): void {
  encodeAsymmetric(x, dst, qw, 31, 24);
}
