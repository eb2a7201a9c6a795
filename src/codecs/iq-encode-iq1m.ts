/**
 * IQ1_M encoder: per 8 elements one point of the 2048-point ternary grid (-1, 0, +1) shifted
 * by +-IQ1M_DELTA; per 16 a 3-bit scale and the two shift signs; the f16 super-scale is spread
 * over the top nibbles of the four scale words.
 *
 * matches quantize_row_iq1_m_impl as quantize_iq1_m calls it from ggml_quantize_chunk without
 * importance weights (weight = x^2). The exhaustive split search sums in the same order as
 * ggml (sorted position 0..15, level by level), reusing the running sums of the first two
 * levels, which does not change any float32 result. ggml sorts with glibc qsort, a stable merge
 * sort for arrays this small, so ties keep element order here too (with a NaN in the group,
 * every split's sums are NaN and the order never matters).
 */
import { FLT_MAX, fr, checkScale, nearestIntBits as nearestInt } from './iq-math';
import { f32ToF16 } from './half';
import { bestNeighbour8, iq1Grid, type SearchGrid } from './iq-search';

const SIZE = 56; // qs[32], qh[16], scales[8]
const GROUP_MAX_EPS_IQ1_M = fr(1e-7);
const DELTA = 0.125;
const X_P = new Float32Array([-1 + DELTA, DELTA, 1 + DELTA]);
const X_M = new Float32Array([-1 - DELTA, -DELTA, 1 - DELTA]);
const MASKS = [0x00, 0x80, 0x08, 0x88];
const D_FUDGE = fr(1.1125);

const scales = new Float32Array(16);
const shifts = new Int8Array(16);
const weight = new Float32Array(16);
const L = new Int8Array(16);
const order = new Int32Array(16);
const index = new Int32Array(2);
/** Per sorted position and level (3): the w*x_p*x, w*x_m*x, w*x_p^2, w*x_m^2 terms. */
const tPX = new Float32Array(48);
const tMX = new Float32Array(48);
const tPP = new Float32Array(48);
const tMM = new Float32Array(48);
const firstHalf = new Uint8Array(16);
const sc = new Int32Array(4);

/** Sorts the 16 element indices of xb by value (stable insertion sort). */
function sortOrder(x: Float32Array, xb: number): void {
  for (let j = 0; j < 16; j++) {
    const v = x[xb + j]!;
    let k = j;
    while (k > 0 && x[xb + order[k - 1]!]! > v) {
      order[k] = order[k - 1]!;
      k--;
    }
    order[k] = j;
  }
}

let bestK = -1;
/**
 * The exhaustive search over the two split points (i1, i2) of the sorted values into levels
 * -1, 0, +1 and the four shift patterns. Returns the scale; sets L, bestK (-1 when none fits).
 */
function splitSearch(x: Float32Array, xb: number, max: number): number {
  for (let j = 0; j < 16; j++) {
    const i = order[j]!;
    const v = x[xb + i]!;
    const w = weight[i]!;
    firstHalf[j] = i < 8 ? 1 : 0;
    for (let lv = 0; lv < 3; lv++) {
      const wp = fr(w * X_P[lv]!);
      const wm = fr(w * X_M[lv]!);
      tPX[3 * j + lv] = wp * v;
      tMX[3 * j + lv] = wm * v;
      tPP[3 * j + lv] = wp * X_P[lv]!;
      tMM[3 * j + lv] = wm * X_M[lv]!;
    }
  }
  let bestScore = -FLT_MAX;
  let scale = max;
  let bi1 = -1;
  let bi2 = -1;
  bestK = -1;
  // running sums after the level-0 prefix (a*) and after the level-1 middle (b*)
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, aq0 = 0, aq1 = 0, aq2 = 0, aq3 = 0;
  for (let i1 = 0; i1 <= 16; i1++) {
    if (i1 > 0) {
      const t = 3 * (i1 - 1);
      const px = tPX[t]!, mx = tMX[t]!, pp = tPP[t]!, mm = tMM[t]!;
      a0 = fr(a0 + px); aq0 = fr(aq0 + pp); a3 = fr(a3 + mx); aq3 = fr(aq3 + mm);
      if (firstHalf[i1 - 1]) {
        a1 = fr(a1 + px); aq1 = fr(aq1 + pp); a2 = fr(a2 + mx); aq2 = fr(aq2 + mm);
      } else {
        a2 = fr(a2 + px); aq2 = fr(aq2 + pp); a1 = fr(a1 + mx); aq1 = fr(aq1 + mm);
      }
    }
    let b0 = a0, b1 = a1, b2 = a2, b3 = a3, bq0 = aq0, bq1 = aq1, bq2 = aq2, bq3 = aq3;
    for (let i2 = i1; i2 <= 16; i2++) {
      if (i2 > i1) {
        const t = 3 * (i2 - 1) + 1;
        const px = tPX[t]!, mx = tMX[t]!, pp = tPP[t]!, mm = tMM[t]!;
        b0 = fr(b0 + px); bq0 = fr(bq0 + pp); b3 = fr(b3 + mx); bq3 = fr(bq3 + mm);
        if (firstHalf[i2 - 1]) {
          b1 = fr(b1 + px); bq1 = fr(bq1 + pp); b2 = fr(b2 + mx); bq2 = fr(bq2 + mm);
        } else {
          b2 = fr(b2 + px); bq2 = fr(bq2 + pp); b1 = fr(b1 + mx); bq1 = fr(bq1 + mm);
        }
      }
      let s0 = b0, s1 = b1, s2 = b2, s3 = b3, q0 = bq0, q1 = bq1, q2 = bq2, q3 = bq3;
      for (let j = i2; j < 16; j++) {
        const t = 3 * j + 2;
        const px = tPX[t]!, mx = tMX[t]!, pp = tPP[t]!, mm = tMM[t]!;
        s0 = fr(s0 + px); q0 = fr(q0 + pp); s3 = fr(s3 + mx); q3 = fr(q3 + mm);
        if (firstHalf[j]) {
          s1 = fr(s1 + px); q1 = fr(q1 + pp); s2 = fr(s2 + mx); q2 = fr(q2 + mm);
        } else {
          s2 = fr(s2 + px); q2 = fr(q2 + pp); s1 = fr(s1 + mx); q1 = fr(q1 + mm);
        }
      }
      if (q0 > 0 && fr(s0 * s0) > fr(bestScore * q0)) {
        scale = fr(s0 / q0); bestScore = fr(scale * s0); bi1 = i1; bi2 = i2; bestK = 0;
      }
      if (q1 > 0 && fr(s1 * s1) > fr(bestScore * q1)) {
        scale = fr(s1 / q1); bestScore = fr(scale * s1); bi1 = i1; bi2 = i2; bestK = 1;
      }
      if (q2 > 0 && fr(s2 * s2) > fr(bestScore * q2)) {
        scale = fr(s2 / q2); bestScore = fr(scale * s2); bi1 = i1; bi2 = i2; bestK = 2;
      }
      if (q3 > 0 && fr(s3 * s3) > fr(bestScore * q3)) {
        scale = fr(s3 / q3); bestScore = fr(scale * s3); bi1 = i1; bi2 = i2; bestK = 3;
      }
    }
  }
  if (bestK < 0) return 0;
  for (let j = 0; j < 16; j++) L[order[j]!] = j < bi1 ? 0 : j < bi2 ? 1 : 2;
  return scale;
}

/** Shifted levels of 8-group k under shift pattern `k4` (bit 1: first group, bit 0: second). */
function levelsFor(k4: number, k: number): Float32Array {
  return k === 0 ? (k4 < 2 ? X_P : X_M) : k4 % 2 === 0 ? X_P : X_M;
}

/** Quantizes the 16 values at xb (group ib) into block `o`; returns its scale. */
function group(g: SearchGrid, x: Float32Array, xb: number, dst: Uint8Array, o: number, ib: number, qw: Float32Array | undefined, sigma2: number): number {
  let max = Math.abs(x[xb]!);
  for (let i = 0; i < 16; i++) {
    const v = x[xb + i]!;
    weight[i] = elementWeight(v, qw, xb + i, sigma2);
    const a = Math.abs(v);
    if (i > 0) max = max > a ? max : a; // MAX(max, fabsf(x)), NaN handling included
  }
  shifts[ib] = 0;
  if (max < GROUP_MAX_EPS_IQ1_M) return 0;
  sortOrder(x, xb);
  let scale = splitSearch(x, xb, max);
  if (bestK < 0) return 0;
  if (scale < 0) {
    for (let j = 0; j < 16; j++) L[j] = 2 - L[j]!;
    scale = -scale;
    bestK = 3 - bestK;
  }
  let allOnGrid = true;
  for (let k = 0; k < 2; k++) {
    let u = 0;
    for (let j = 0; j < 8; j++) u |= L[8 * k + j]! << (2 * j);
    let gi = g.map[u]!;
    if (gi < 0) {
      allOnGrid = false;
      gi = bestNeighbour8(g, u, x, xb + 8 * k, weight, L, 8 * k, scale, levelsFor(bestK, k));
    }
    index[k] = gi;
  }
  if (!allOnGrid) {
    let sumqx = 0;
    let sumq2 = 0;
    for (let k = 0; k < 2; k++) {
      const xx = levelsFor(bestK, k);
      const p = index[k]! * 8;
      for (let j = 0; j < 8; j++) {
        const w = weight[8 * k + j]!;
        const q = xx[(g.pos[p + j]! - 1) >> 1]!;
        sumqx = fr(sumqx + fr(fr(w * q) * x[xb + 8 * k + j]!));
        sumq2 = fr(sumq2 + fr(fr(w * q) * q));
      }
    }
    if (sumqx > 0 && sumq2 > 0) scale = fr(sumqx / sumq2);
  }
  dst[o + 2 * ib] = index[0]! & 255;
  dst[o + 2 * ib + 1] = index[1]! & 255;
  dst[o + 32 + ib] = (index[0]! >> 8) | ((index[1]! >> 8) << 4);
  checkScale('IQ1_M', scale);
  shifts[ib] = bestK;
  return scale;
}

/** x^2 without importance weights; with them qw * sqrt(sigma2 + x^2) (quantize_row_iq1_m_impl). */
function elementWeight(v: number, qw: Float32Array | undefined, at: number, sigma2: number): number {
  return qw === undefined ? fr(v * v) : fr(qw[at]! * fr(Math.sqrt(fr(sigma2 + fr(v * v)))));
}

/** matches quantize_iq1_m (ggml_quantize_chunk; `qw`, the importance weights, aligned with src). */
export function encodeIQ1_M(src: Float32Array, dst: Uint8Array, qw?: Float32Array): void {
  const g = iq1Grid();
  const nb = (src.length / 256) | 0;
  for (let ibl = 0, xo = 0, o = 0; ibl < nb; ibl++, xo += 256, o += SIZE) {
    dst.fill(0, o, o + SIZE);
    let sigma2 = 0;
    if (qw !== undefined) {
      let sumx2 = 0;
      for (let i = 0; i < 256; i++) sumx2 = fr(sumx2 + fr(src[xo + i]! * src[xo + i]!));
      sigma2 = fr(fr(2 * sumx2) / 256);
    }
    let maxScale = 0;
    for (let ib = 0; ib < 16; ib++) {
      const s = group(g, src, xo + 16 * ib, dst, o, ib, qw, sigma2);
      scales[ib] = s;
      maxScale = maxScale > s ? maxScale : s;
    }
    if (maxScale === 0) continue; // C `!max_scale`: NaN is not zero
    let d = fr(maxScale / 15);
    const id = fr(1 / d);
    let sumqx = 0;
    let sumq2 = 0;
    sc.fill(0);
    for (let ib = 0; ib < 16; ib++) {
      let l = nearestInt(fr(0.5 * fr(fr(id * scales[ib]!) - 1)));
      l = l < 0 ? 0 : l > 7 ? 7 : l;
      sc[ib >> 2] |= l << (3 * (ib % 4));
      dst[o + 32 + ib] |= MASKS[shifts[ib]!]!;
      const qh = dst[o + 32 + ib]!;
      const xb = xo + 16 * ib;
      const m = 2 * l + 1;
      for (let k = 0; k < 2; k++) {
        const xx = levelsFor(shifts[ib]!, k);
        const p = (dst[o + 2 * ib + k]! + ((qh << (8 - 4 * k)) & 0x700)) * 8;
        for (let j = 0; j < 8; j++) {
          const v = src[xb + 8 * k + j]!;
          const w = elementWeight(v, qw, xb + 8 * k + j, sigma2);
          const q = fr(xx[(g.pos[p + j]! - 1) >> 1]! * m);
          sumqx = fr(sumqx + fr(fr(w * q) * v));
          sumq2 = fr(sumq2 + fr(fr(w * q) * q));
        }
      }
    }
    if (sumq2 > 0) d = fr(sumqx / sumq2);
    const s = f32ToF16(fr(d * D_FUDGE));
    sc[0] |= (s & 0x000f) << 12;
    sc[1] |= (s & 0x00f0) << 8;
    sc[2] |= (s & 0x0f00) << 4;
    sc[3] |= s & 0xf000;
    for (let m = 0; m < 4; m++) {
      dst[o + 48 + 2 * m] = sc[m]! & 0xff;
      dst[o + 49 + 2 * m] = (sc[m]! >> 8) & 0xff;
    }
  }
}
