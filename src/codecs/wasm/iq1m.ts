/**
 * IQ1_M: per 8 elements one point of the 2048-point ternary grid shifted by +-1/8 (per 8), a
 * 3-bit scale per 16, the f16 super-scale spread over the scale words' top nibbles. A scalar
 * float32 port of the TypeScript twin (src/codecs/iq-encode-iq1m.ts), which matches
 * quantize_row_iq1_m_impl of ggml-quants.c at llama.cpp 34af94cd with and without
 * quant_weights: the exhaustive split of the sorted 16 values into -1, 0, +1 under the four
 * shift patterns, with ggml's sums (sorted position order, level by level) kept as running
 * sums of the per-position terms, which gives the same float32 results.
 */
import { ABORT_NO_NEIGHBOUR, ABORT_SCALE, abortAt, f32ToF16, nearestInt } from './common';
import { gridCode, gridMap } from './grid-table';
import { bestNeighbour8, IQ1_GRID_SIZE, sortOrder } from './iq1-search';
import { f, setF, n32, setN } from './mem';

const FLT_MAX: f32 = 3.4028234663852886e38;
const EPS: f32 = 1e-7;
const X_P: usize = memory.data<f32>([-0.875, 0.125, 1.125]);
const X_M: usize = memory.data<f32>([-1.125, -0.125, 0.875]);
/** The qh bits of each shift pattern (bit 1: the first 8 shifted down, bit 0: the second). */
const MASKS: usize = memory.data<u8>([0x00, 0x80, 0x08, 0x88]);

const WEIGHT: usize = memory.data(16 * 4, 16);
const L: usize = memory.data(16, 16);
const ORDER: usize = memory.data(16 * 4, 16);
const INDEX: usize = memory.data(2 * 4, 16);
const SCALES: usize = memory.data(16 * 4, 16);
const SHIFTS: usize = memory.data(16 * 4, 16);
/** Per sorted position and level: w*x_p*x, w*x_m*x, w*x_p^2, w*x_m^2. */
const TPX: usize = memory.data(48 * 4, 16);
const TMX: usize = memory.data(48 * 4, 16);
const TPP: usize = memory.data(48 * 4, 16);
const TMM: usize = memory.data(48 * 4, 16);
const FIRST_HALF: usize = memory.data(16, 16);
const SC: usize = memory.data(4 * 4, 16);


/** The shifted levels of 8-group k under shift pattern k4. */
@inline function levelsFor(k4: i32, k: i32): usize {
  return k == 0 ? (k4 < 2 ? X_P : X_M) : (k4 & 1) == 0 ? X_P : X_M;
}

let bestK: i32 = -1;

/** The split search over the sorted 16 values at x; returns the scale, sets L and bestK (-1: none fits). */
function splitSearch(x: usize, max: f32): f32 {
  for (let j = 0; j < 16; j++) {
    const i = n32(ORDER, j);
    const v = f(x, i);
    const w = f(WEIGHT, i);
    store<u8>(FIRST_HALF + <usize>j, i < 8 ? 1 : 0);
    for (let lv = 0; lv < 3; lv++) {
      const wp: f32 = w * f(X_P, lv);
      const wm: f32 = w * f(X_M, lv);
      setF(TPX, 3 * j + lv, wp * v);
      setF(TMX, 3 * j + lv, wm * v);
      setF(TPP, 3 * j + lv, wp * f(X_P, lv));
      setF(TMM, 3 * j + lv, wm * f(X_M, lv));
    }
  }
  let bestScore: f32 = -FLT_MAX;
  let scale = max;
  let bi1 = -1;
  let bi2 = -1;
  bestK = -1;
  // running sums after the level-0 prefix (a*) and after the level-1 middle (b*)
  let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0, aq0: f32 = 0, aq1: f32 = 0, aq2: f32 = 0, aq3: f32 = 0;
  for (let i1 = 0; i1 <= 16; i1++) {
    if (i1 > 0) {
      const t = 3 * (i1 - 1);
      const px = f(TPX, t), mx = f(TMX, t), pp = f(TPP, t), mm = f(TMM, t);
      a0 += px; aq0 += pp; a3 += mx; aq3 += mm;
      if (load<u8>(FIRST_HALF + <usize>(i1 - 1)) != 0) {
        a1 += px; aq1 += pp; a2 += mx; aq2 += mm;
      } else {
        a2 += px; aq2 += pp; a1 += mx; aq1 += mm;
      }
    }
    let b0 = a0, b1 = a1, b2 = a2, b3 = a3, bq0 = aq0, bq1 = aq1, bq2 = aq2, bq3 = aq3;
    for (let i2 = i1; i2 <= 16; i2++) {
      if (i2 > i1) {
        const t = 3 * (i2 - 1) + 1;
        const px = f(TPX, t), mx = f(TMX, t), pp = f(TPP, t), mm = f(TMM, t);
        b0 += px; bq0 += pp; b3 += mx; bq3 += mm;
        if (load<u8>(FIRST_HALF + <usize>(i2 - 1)) != 0) {
          b1 += px; bq1 += pp; b2 += mx; bq2 += mm;
        } else {
          b2 += px; bq2 += pp; b1 += mx; bq1 += mm;
        }
      }
      let s0 = b0, s1 = b1, s2 = b2, s3 = b3, q0 = bq0, q1 = bq1, q2 = bq2, q3 = bq3;
      for (let j = i2; j < 16; j++) {
        const t = 3 * j + 2;
        const px = f(TPX, t), mx = f(TMX, t), pp = f(TPP, t), mm = f(TMM, t);
        s0 += px; q0 += pp; s3 += mx; q3 += mm;
        if (load<u8>(FIRST_HALF + <usize>j) != 0) {
          s1 += px; q1 += pp; s2 += mx; q2 += mm;
        } else {
          s2 += px; q2 += pp; s1 += mx; q1 += mm;
        }
      }
      if (q0 > 0 && s0 * s0 > bestScore * q0) {
        scale = s0 / q0; bestScore = scale * s0; bi1 = i1; bi2 = i2; bestK = 0;
      }
      if (q1 > 0 && s1 * s1 > bestScore * q1) {
        scale = s1 / q1; bestScore = scale * s1; bi1 = i1; bi2 = i2; bestK = 1;
      }
      if (q2 > 0 && s2 * s2 > bestScore * q2) {
        scale = s2 / q2; bestScore = scale * s2; bi1 = i1; bi2 = i2; bestK = 2;
      }
      if (q3 > 0 && s3 * s3 > bestScore * q3) {
        scale = s3 / q3; bestScore = scale * s3; bi1 = i1; bi2 = i2; bestK = 3;
      }
    }
  }
  if (bestK < 0) return 0;
  for (let j = 0; j < 16; j++) store<u8>(L + <usize>n32(ORDER, j), j < bi1 ? 0 : j < bi2 ? 1 : 2);
  return scale;
}

@inline function elementWeight(v: f32, qw: usize, i: i32, weighted: bool, sigma2: f32): f32 {
  return weighted ? f(qw, i) * Mathf.sqrt(sigma2 + v * v) : v * v;
}

let groupStatus: i32 = 0;
let groupScale: f32 = 0;

/** The 16 values at x (group ib of block o); returns the scale, sets SHIFTS[ib] (groupStatus on abort). */
function group(t: usize, x: usize, qw: usize, weighted: bool, sigma2: f32, o: usize, ib: i32): f32 {
  let max = Mathf.abs(f(x, 0));
  for (let i = 0; i < 16; i++) {
    const v = f(x, i);
    setF(WEIGHT, i, elementWeight(v, qw, i, weighted, sigma2));
    const a = Mathf.abs(v);
    if (i > 0) max = max > a ? max : a;
  }
  setN(SHIFTS, ib, 0);
  if (max < EPS) return 0;
  sortOrder(x, 16, ORDER);
  let scale = splitSearch(x, max);
  if (bestK < 0) return 0;
  if (scale < 0) {
    for (let j = 0; j < 16; j++) store<u8>(L + <usize>j, 2 - load<u8>(L + <usize>j));
    scale = -scale;
    bestK = 3 - bestK;
  }
  let allOnGrid = true;
  for (let k = 0; k < 2; k++) {
    let u = 0;
    for (let j = 0; j < 8; j++) u |= <i32>load<u8>(L + <usize>(8 * k + j)) << (2 * j);
    let gi = gridMap(t, IQ1_GRID_SIZE, u);
    if (gi < 0) {
      allOnGrid = false;
      const off = <usize>(8 * k);
      gi = bestNeighbour8(t, u, x + (off << 2), WEIGHT + (off << 2), L + off, scale, levelsFor(bestK, k));
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
    for (let j = 0; j < 16; j++) {
      const xx = levelsFor(bestK, j >> 3);
      const w = f(WEIGHT, j);
      const q = f(xx, <i32>load<u8>(L + <usize>j));
      sumqx += w * q * f(x, j);
      sumq2 += w * q * q;
    }
    if (sumqx > 0 && sumq2 > 0) scale = sumqx / sumq2;
  }
  const i0 = n32(INDEX, 0);
  const i1 = n32(INDEX, 1);
  store<u8>(o + <usize>(2 * ib), <u8>(i0 & 255));
  store<u8>(o + <usize>(2 * ib + 1), <u8>(i1 & 255));
  store<u8>(o + 32 + <usize>ib, <u8>((i0 >> 8) | ((i1 >> 8) << 4)));
  if (!(scale >= 0)) {
    groupStatus = ABORT_SCALE;
    groupScale = scale;
    return 0;
  }
  setN(SHIFTS, ib, bestK);
  return scale;
}

/** One 56-byte block (qs[32], qh[16], scales[8]) of the 256 floats at x. */
function block(t: usize, x: usize, qw: usize, weighted: bool, o: usize, blk: i32): i32 {
  memory.fill(o, 0, 56);
  let sigma2: f32 = 0;
  if (weighted) {
    let sumx2: f32 = 0;
    for (let i = 0; i < 256; i++) {
      const v = f(x, i);
      sumx2 += v * v;
    }
    sigma2 = <f32>2 * sumx2 / <f32>256;
  }
  let maxScale: f32 = 0;
  for (let ib = 0; ib < 16; ib++) {
    const off = <usize>ib << 6;
    const s = group(t, x + off, qw + off, weighted, sigma2, o, ib);
    if (groupStatus != 0) return abortAt(groupStatus, blk, groupScale, 0);
    setF(SCALES, ib, s);
    maxScale = maxScale > s ? maxScale : s;
  }
  if (maxScale == 0) return 0; // C `!max_scale`: NaN is not zero
  let d: f32 = maxScale / <f32>15;
  const id: f32 = <f32>1 / d;
  let sumqx: f32 = 0;
  let sumq2: f32 = 0;
  memory.fill(SC, 0, 16);
  for (let ib = 0; ib < 16; ib++) {
    let l = nearestInt(<f32>0.5 * (id * f(SCALES, ib) - <f32>1));
    l = l < 0 ? 0 : l > 7 ? 7 : l;
    setN(SC, ib >> 2, n32(SC, ib >> 2) | (l << (3 * (ib & 3))));
    const shift = n32(SHIFTS, ib);
    const qhp = o + 32 + <usize>ib;
    const qh = <i32>(load<u8>(qhp) | load<u8>(MASKS + <usize>shift));
    store<u8>(qhp, <u8>qh);
    const xb = x + (<usize>ib << 6);
    const wb = qw + (<usize>ib << 6);
    const odd: i32 = 2 * l + 1;
    const m = <f32>odd;
    for (let k = 0; k < 2; k++) {
      const xx = levelsFor(shift, k);
      const gi = <i32>load<u8>(o + <usize>(2 * ib + k)) + ((qh << (8 - 4 * k)) & 0x700);
      const c = gridCode(t, gi);
      for (let j = 0; j < 8; j++) {
        const v = f(xb, 8 * k + j);
        const w = elementWeight(v, wb, 8 * k + j, weighted, sigma2);
        const q: f32 = f(xx, <i32>((c >> (2 * j)) & 3)) * m;
        sumqx += w * q * v;
        sumq2 += w * q * q;
      }
    }
  }
  if (sumq2 > 0) d = sumqx / sumq2;
  const s = <i32>f32ToF16(d * <f32>1.1125);
  setN(SC, 0, n32(SC, 0) | ((s & 0x000f) << 12));
  setN(SC, 1, n32(SC, 1) | ((s & 0x00f0) << 8));
  setN(SC, 2, n32(SC, 2) | ((s & 0x0f00) << 4));
  setN(SC, 3, n32(SC, 3) | (s & 0xf000));
  for (let k = 0; k < 4; k++) store<u16>(o + 48 + <usize>(2 * k), <u16>n32(SC, k));
  return 0;
}

function encodeRows(src: usize, dst: usize, rows: i32, n: i32, w: usize, t: usize, weighted: bool): i32 {
  const nb = n >> 8;
  let o = dst;
  let blk = 0;
  groupStatus = 0;
  for (let r = 0; r < rows; r++) {
    const row = src + (<usize>r * <usize>n << 2);
    for (let i = 0; i < nb; i++, blk++, o += 56) {
      const off = <usize>i << 10;
      const s = block(t, row + off, w + off, weighted, o, blk);
      if (s != 0) return s;
    }
  }
  return 0;
}

/** matches quantize_iq1_m with quant_weights: `rows` rows of n floats at src, n weights at w. */
export function encode_IQ1_M_w(src: usize, dst: usize, rows: i32, n: i32, w: usize, t: usize): i32 {
  return encodeRows(src, dst, rows, n, w, t, true);
}
/** matches quantize_iq1_m without quant_weights: nb super-blocks. */
export function encode_IQ1_M(src: usize, dst: usize, nb: i32, t: usize): i32 {
  return encodeRows(src, dst, 1, nb << 8, 0, t, false);
}
