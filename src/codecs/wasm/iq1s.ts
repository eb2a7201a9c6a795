/**
 * IQ1_S (with importance weights only, as ggml has it): per 8 elements one point of the
 * 2048-point ternary grid shifted by +-1/8 for the whole group of 32, a 3-bit scale and the
 * shift sign per 32, an f16 super-scale. A scalar float32 port of the TypeScript twin
 * (src/codecs/iq-encode-iq1s.ts), which matches quantize_row_iq1_s_impl of ggml-quants.c at
 * llama.cpp 34af94cd: the exhaustive split of the sorted group over prefix sums, in ggml's
 * order of operations.
 */
import { ABORT_NO_NEIGHBOUR, ABORT_SCALE, abortAt, nearestInt, writeHalf } from './common';
import { gridMap } from './grid-table';
import { bestNeighbour8, IQ1_GRID_SIZE, sortOrder } from './iq1-search';
import { f, setF, n32, setN } from './mem';

const FLT_MAX: f32 = 3.4028234663852886e38;
const EPS: f32 = 1e-12;
/** x_p and x_m: the levels -1, 0, +1 shifted by +IQ1S_DELTA and by -IQ1S_DELTA. */
const X_P: usize = memory.data<f32>([-0.875, 0.125, 1.125]);
const X_M: usize = memory.data<f32>([-1.125, -0.125, 0.875]);

const WEIGHT: usize = memory.data(32 * 4, 16);
const L: usize = memory.data(32, 16);
const ORDER: usize = memory.data(32 * 4, 16);
const SUMX: usize = memory.data(33 * 4, 16);
const SUMW: usize = memory.data(33 * 4, 16);
const INDEX: usize = memory.data(4 * 4, 16);
const SCALES: usize = memory.data(8 * 4, 16);
const SHIFTS: usize = memory.data(8 * 4, 16);
const QH: usize = memory.data(8 * 4, 16);


let sumSq: f32 = 0;
/** sumqx (returned) and sumq2 (sumSq) of the split (i1, i2) with the levels at xx, as ggml writes them. */
@inline function splitSums(i1: i32, i2: i32, xx: usize): f32 {
  const x0 = f(xx, 0);
  const x1 = f(xx, 1);
  const x2 = f(xx, 2);
  const a = f(SUMX, i1);
  const c = f(SUMX, i2);
  const wa = f(SUMW, i1);
  const wc = f(SUMW, i2);
  sumSq = (wa - f(SUMW, 0)) * x0 * x0 + (wc - wa) * x1 * x1 + (f(SUMW, 32) - wc) * x2 * x2;
  return (a - f(SUMX, 0)) * x0 + (c - a) * x1 + (f(SUMX, 32) - c) * x2;
}

let groupStatus: i32 = 0;
let groupScale: f32 = 0;

/** The group of 32 at x (group ib of block o); returns its scale, sets SHIFTS[ib], QH[ib] (groupStatus on abort). */
function group(t: usize, x: usize, qw: usize, o: usize, ib: i32, sigma2: f32): f32 {
  for (let i = 0; i < 32; i++) {
    const v = f(x, i);
    setF(WEIGHT, i, f(qw, i) * Mathf.sqrt(sigma2 + v * v));
  }
  let max = Mathf.abs(f(x, 0));
  for (let i = 1; i < 32; i++) {
    const a = Mathf.abs(f(x, i));
    max = max > a ? max : a;
  }
  setN(SHIFTS, ib, 1);
  if (max < EPS) return 0;
  sortOrder(x, 32, ORDER);
  setF(SUMX, 0, 0);
  setF(SUMW, 0, 0);
  for (let j = 0; j < 32; j++) {
    const i = n32(ORDER, j);
    setF(SUMX, j + 1, f(SUMX, j) + f(WEIGHT, i) * f(x, i));
    setF(SUMW, j + 1, f(SUMW, j) + f(WEIGHT, i));
  }
  let bestScore: f32 = -FLT_MAX;
  let scale = max;
  let bi1 = -1;
  let bi2 = -1;
  let bestShift = 0;
  for (let i1 = 0; i1 <= 32; i1++) {
    for (let i2 = i1; i2 <= 32; i2++) {
      let sx = splitSums(i1, i2, X_P);
      let sq = sumSq;
      if (sq > 0 && sx * sx > bestScore * sq) {
        scale = sx / sq;
        bestScore = scale * sx;
        bi1 = i1;
        bi2 = i2;
        bestShift = 1;
      }
      sx = splitSums(i1, i2, X_M);
      sq = sumSq;
      if (sq > 0 && sx * sx > bestScore * sq) {
        scale = sx / sq;
        bestScore = scale * sx;
        bi1 = i1;
        bi2 = i2;
        bestShift = -1;
      }
    }
  }
  if (bi1 < 0 || bi2 < 0 || bestShift == 0) return 0;
  for (let j = 0; j < 32; j++) store<u8>(L + <usize>n32(ORDER, j), j < bi1 ? 0 : j < bi2 ? 1 : 2);
  if (scale < 0) {
    for (let j = 0; j < 32; j++) store<u8>(L + <usize>j, 2 - load<u8>(L + <usize>j));
    scale = -scale;
    bestShift = -bestShift;
  }
  const xx = bestShift == 1 ? X_P : X_M;
  let allOnGrid = true;
  for (let k = 0; k < 4; k++) {
    let u = 0;
    for (let j = 0; j < 8; j++) u |= <i32>load<u8>(L + <usize>(8 * k + j)) << (2 * j);
    let gi = gridMap(t, IQ1_GRID_SIZE, u);
    if (gi < 0) {
      allOnGrid = false;
      const off = <usize>(8 * k);
      gi = bestNeighbour8(t, u, x + (off << 2), WEIGHT + (off << 2), L + off, scale, xx);
      if (gi < 0) {
        groupStatus = ABORT_NO_NEIGHBOUR;
        groupScale = scale;
        return 0;
      }
    }
    setN(INDEX, k, gi);
  }
  if (!allOnGrid) {
    let sumqx: f32 = 0;
    let sumq2: f32 = 0;
    for (let j = 0; j < 32; j++) {
      const w = f(WEIGHT, j);
      const q = f(xx, <i32>load<u8>(L + <usize>j));
      sumqx += w * q * f(x, j);
      sumq2 += w * q * q;
    }
    if (sumqx > 0 && sumq2 > 0) scale = sumqx / sumq2;
  }
  let h = 0;
  for (let k = 0; k < 4; k++) {
    store<u8>(o + 2 + <usize>(4 * ib + k), <u8>(n32(INDEX, k) & 255));
    h |= (n32(INDEX, k) >> 8) << (3 * k);
  }
  setN(QH, ib, h);
  if (!(scale >= 0)) {
    groupStatus = ABORT_SCALE;
    groupScale = scale;
    return 0;
  }
  setN(SHIFTS, ib, bestShift);
  return scale;
}

/**
 * matches quantize_iq1_s with quant_weights: `rows` rows of n floats at src, n weights at w,
 * 50-byte blocks (d, qs[32], qh[8]) at dst. Returns 0, or an abort status (common.ts).
 */
export function encode_IQ1_S_w(src: usize, dst: usize, rows: i32, n: i32, w: usize, t: usize): i32 {
  const nb = n >> 8;
  let o = dst;
  let blk = 0;
  groupStatus = 0;
  for (let r = 0; r < rows; r++) {
    const row = src + (<usize>r * <usize>n << 2);
    for (let i = 0; i < nb; i++, blk++, o += 50) {
      const x = row + (<usize>i << 10);
      const qw = w + (<usize>i << 10);
      memory.fill(o, 0, 50);
      memory.fill(QH, 0, 32);
      let sumx2: f32 = 0;
      for (let j = 0; j < 256; j++) {
        const v = f(x, j);
        sumx2 += v * v;
      }
      const sigma2: f32 = <f32>2 * sumx2 / <f32>256;
      let maxScale: f32 = 0;
      for (let ib = 0; ib < 8; ib++) {
        const off = <usize>ib << 7;
        const s = group(t, x + off, qw + off, o, ib, sigma2);
        if (groupStatus != 0) return abortAt(groupStatus, blk, groupScale, 0);
        setF(SCALES, ib, s);
        maxScale = maxScale > s ? maxScale : s;
      }
      if (maxScale != 0) {
        const d: f32 = maxScale / <f32>15;
        writeHalf(o, d * <f32>1.125);
        const id: f32 = <f32>1 / d;
        for (let ib = 0; ib < 8; ib++) {
          let l = nearestInt(<f32>0.5 * (id * f(SCALES, ib) - <f32>1));
          l = l < 0 ? 0 : l > 7 ? 7 : l;
          if (n32(SHIFTS, ib) == -1) l |= 8;
          setN(QH, ib, n32(QH, ib) | (l << 12));
        }
      }
      for (let ib = 0; ib < 8; ib++) store<u16>(o + 34 + <usize>(2 * ib), <u16>n32(QH, ib));
    }
  }
  return 0;
}
