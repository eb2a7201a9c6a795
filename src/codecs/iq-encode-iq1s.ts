/**
 * IQ1_S encoder, which ggml has only with an importance matrix (quantize_row_iq1_s_impl,
 * ggml-quants.c at llama.cpp 34af94cd): per 8 elements one point of the 2048-point ternary grid
 * (-1, 0, +1), shifted for the whole group of 32 by +IQ1S_DELTA or -IQ1S_DELTA; per 32 a 3-bit
 * scale and the shift sign in qh; an f16 super-scale. The split of the sorted group into the
 * three levels is searched exhaustively over prefix sums, as ggml does (so its rounding, which
 * differs from IQ1_M's running sums, is kept). ggml's qsort of 32 pairs is glibc's stable merge
 * sort; a stable insertion sort gives the same order.
 */
import { checkScale, FLT_MAX, fr, nearestIntBits as nearestInt, writeF16 } from './iq-math';
import { bestNeighbour8, iq1sGrid } from './iq-search';

const SIZE = 50; // d, qs[32], qh[8] (u16)
const GROUP_MAX_EPS_IQ1_S = fr(1e-12);
const DELTA = 0.125;
const X_P = new Float32Array([-1 + DELTA, DELTA, 1 + DELTA]);
const X_M = new Float32Array([-1 - DELTA, -DELTA, 1 - DELTA]);
const D_FUDGE = fr(1.125);

const scales = new Float32Array(8);
const shifts = new Int8Array(8);
const weight = new Float32Array(32);
const L = new Int8Array(32);
const order = new Int32Array(32);
const sumx = new Float32Array(33);
const sumw = new Float32Array(33);
const index = new Int32Array(4);
const qh = new Uint16Array(8);

function sortOrder(x: Float32Array, xb: number): void {
  for (let j = 0; j < 32; j++) {
    const v = x[xb + j]!;
    let k = j;
    while (k > 0 && x[xb + order[k - 1]!]! > v) {
      order[k] = order[k - 1]!;
      k--;
    }
    order[k] = j;
  }
}

/** sumqx and sumq2 of the split (i1, i2) with levels xx, as ggml writes them. */
function splitSums(i1: number, i2: number, xx: Float32Array): [number, number] {
  const sx = fr(fr(fr(fr(sumx[i1]! - sumx[0]!) * xx[0]!) + fr(fr(sumx[i2]! - sumx[i1]!) * xx[1]!)) + fr(fr(sumx[32]! - sumx[i2]!) * xx[2]!));
  const sq = fr(
    fr(fr(fr(fr(sumw[i1]! - sumw[0]!) * xx[0]!) * xx[0]!) + fr(fr(fr(sumw[i2]! - sumw[i1]!) * xx[1]!) * xx[1]!)) + fr(fr(fr(sumw[32]! - sumw[i2]!) * xx[2]!) * xx[2]!),
  );
  return [sx, sq];
}

/** One group of 32 at xb into block o (group ib); returns its scale, sets shifts[ib] and qh[ib]. */
function group(x: Float32Array, xb: number, dst: Uint8Array, o: number, ib: number, qw: Float32Array, sigma2: number): number {
  const g = iq1sGrid();
  for (let i = 0; i < 32; i++) {
    const v = x[xb + i]!;
    weight[i] = fr(qw[xb + i]! * fr(Math.sqrt(fr(sigma2 + fr(v * v)))));
  }
  let max = Math.abs(x[xb]!);
  for (let i = 1; i < 32; i++) {
    const a = Math.abs(x[xb + i]!);
    max = max > a ? max : a;
  }
  shifts[ib] = 1;
  if (max < GROUP_MAX_EPS_IQ1_S) return 0;
  sortOrder(x, xb);
  sumx[0] = 0;
  sumw[0] = 0;
  for (let j = 0; j < 32; j++) {
    const i = order[j]!;
    sumx[j + 1] = fr(sumx[j]! + fr(weight[i]! * x[xb + i]!));
    sumw[j + 1] = fr(sumw[j]! + weight[i]!);
  }
  let bestScore = -FLT_MAX;
  let scale = max;
  let bi1 = -1;
  let bi2 = -1;
  let bestShift = 0;
  for (let i1 = 0; i1 <= 32; i1++) {
    for (let i2 = i1; i2 <= 32; i2++) {
      let [sx, sq] = splitSums(i1, i2, X_P);
      if (sq > 0 && fr(sx * sx) > fr(bestScore * sq)) {
        scale = fr(sx / sq);
        bestScore = fr(scale * sx);
        bi1 = i1;
        bi2 = i2;
        bestShift = 1;
      }
      [sx, sq] = splitSums(i1, i2, X_M);
      if (sq > 0 && fr(sx * sx) > fr(bestScore * sq)) {
        scale = fr(sx / sq);
        bestScore = fr(scale * sx);
        bi1 = i1;
        bi2 = i2;
        bestShift = -1;
      }
    }
  }
  if (bi1 < 0 || bi2 < 0 || bestShift === 0) return 0;
  for (let j = 0; j < 32; j++) L[order[j]!] = j < bi1 ? 0 : j < bi2 ? 1 : 2;
  if (scale < 0) {
    for (let j = 0; j < 32; j++) L[j] = 2 - L[j]!;
    scale = -scale;
    bestShift = -bestShift;
  }
  const xx = bestShift === 1 ? X_P : X_M;
  let allOnGrid = true;
  for (let k = 0; k < 4; k++) {
    let u = 0;
    for (let j = 0; j < 8; j++) u |= L[8 * k + j]! << (2 * j);
    let gi = g.map[u]!;
    if (gi < 0) {
      allOnGrid = false;
      gi = bestNeighbour8(g, u, x, xb + 8 * k, weight, L, 8 * k, scale, xx);
    }
    index[k] = gi;
  }
  if (!allOnGrid) {
    let sumqx = 0;
    let sumq2 = 0;
    for (let k = 0; k < 4; k++) {
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
  let h = 0;
  for (let k = 0; k < 4; k++) {
    dst[o + 2 + 4 * ib + k] = index[k]! & 255;
    h |= (index[k]! >> 8) << (3 * k);
  }
  qh[ib] = h;
  checkScale('IQ1_S', scale);
  shifts[ib] = bestShift;
  return scale;
}

/** matches quantize_iq1_s (ggml_quantize_chunk with the importance weights `qw`, aligned with src). */
export function encodeIQ1_S(src: Float32Array, dst: Uint8Array, qw?: Float32Array): void {
  if (qw === undefined) throw new Error('IQ1_S needs an importance matrix (ggml_quantize_chunk asserts imatrix != NULL)');
  const nb = (src.length / 256) | 0;
  for (let ibl = 0, xo = 0, o = 0; ibl < nb; ibl++, xo += 256, o += SIZE) {
    dst.fill(0, o, o + SIZE);
    qh.fill(0);
    let sumx2 = 0;
    for (let i = 0; i < 256; i++) sumx2 = fr(sumx2 + fr(src[xo + i]! * src[xo + i]!));
    const sigma2 = fr(fr(2 * sumx2) / 256);
    let maxScale = 0;
    for (let ib = 0; ib < 8; ib++) {
      const s = group(src, xo + 32 * ib, dst, o, ib, qw, sigma2);
      scales[ib] = s;
      maxScale = maxScale > s ? maxScale : s;
    }
    if (maxScale !== 0) {
      const d = fr(maxScale / 15);
      writeF16(dst, o, fr(d * D_FUDGE));
      const id = fr(1 / d);
      for (let ib = 0; ib < 8; ib++) {
        let l = nearestInt(fr(0.5 * fr(fr(id * scales[ib]!) - 1)));
        l = l < 0 ? 0 : l > 7 ? 7 : l;
        if (shifts[ib] === -1) l |= 8;
        qh[ib] = qh[ib]! | (l << 12);
      }
    }
    for (let ib = 0; ib < 8; ib++) {
      dst[o + 34 + 2 * ib] = qh[ib]! & 0xff;
      dst[o + 35 + 2 * ib] = qh[ib]! >> 8;
    }
  }
}
