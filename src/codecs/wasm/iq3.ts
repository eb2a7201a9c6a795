/**
 * IQ3_XXS and IQ3_S: per 32 elements eight 4-element points of a 3-bit grid (levels 2l + 1)
 * and sign bits, a 4-bit scale per 32, an f16 super-scale. A scalar float32 port of the
 * TypeScript twin (src/codecs/iq-encode-iq3.ts), which matches quantize_row_iq3_xxs_impl
 * (grid 256) and quantize_row_iq3_s_impl (grid 512, block 32) of ggml-quants.c at llama.cpp
 * 34af94cd, with and without quant_weights. Every C float operation is one f32 operation here
 * in the C order, so the bytes are ggml's; the twin's notes on where the two types differ
 * (sign parity, on-grid start, skipped groups) hold here too.
 *
 * The search table (grid-table.ts) is ggml's kgrid / kmap / neighbour lists for the type.
 */
import { ABORT_NO_NEIGHBOUR, ABORT_OFF_GRID, ABORT_SCALE, abortAt, clampV, nearestInt, nearestIntV, writeHalf } from './common';
import { firstBatch, firstLeast, gridCode, gridMap, least, neighbourList } from './grid-table';
import { f, setF, b, setB } from './mem';

const MAP_SIZE: i32 = 4096;
const FLT_MAX: f32 = 3.4028234663852886e38;
const EPS_XXS: f32 = 1e-8;
const FIFTH: f32 = 0.2;

/** Per group of 32: weights, their square roots, |x| with the kept signs, levels, trial levels. */
const WEIGHT: usize = memory.data(32 * 4, 16);
const WAUX: usize = memory.data(32 * 4, 16);
const XVAL: usize = memory.data(32 * 4, 16);
const L: usize = memory.data(32, 16);
const LAUX: usize = memory.data(32, 16);
const ON_GRID: usize = memory.data(8, 16);
const ON_GRID_AUX: usize = memory.data(8, 16);
/** The packed levels of the 8 points at one trial scale. */
const CODES: usize = memory.data(8 * 4, 16);
const SIGNS: usize = memory.data(4, 16);
const INDEX: usize = memory.data(8 * 4, 16);
const SCALES: usize = memory.data(8 * 4, 16);
/** Per element of one point, the weighted squared errors of levels 0..3 and 4..7: two v128 each. */
const TERMS: usize = memory.data(4 * 32, 16);
/** Per element and level, (w * x) * q and (w * q) * q for the fit: 32 x 8 f32 each. */
const FIT_QX: usize = memory.data(32 * 8 * 4, 16);
const FIT_Q2: usize = memory.data(32 * 8 * 4, 16);


let gridSize: i32 = 256;
let table: usize = 0;
/** Where the search stopped: 0, or an ABORT_* code with abortScale / abortU. */
let status: i32 = 0;
let abortScale: f32 = 0;
let abortU: i32 = 0;

/**
 * Each lane's f32 at the byte indices idx (0..31) of the pair of v128 holding levels 0..3 and
 * 4..7: a swizzle index of 16 or more gives zero, so one swizzle gives the value, the other zero.
 */
@inline function pickTerm(lo: v128, hi: v128, idx: v128): v128 {
  return v128.or(i8x16.swizzle(lo, idx), i8x16.swizzle(hi, i8x16.sub(idx, i8x16.splat(16))));
}

/**
 * matches iq3_find_best_neighbour: the neighbour of off-grid u nearest to XVAL[xo..xo+4) at
 * `scale` (weighted by WAUX), the first on ties; its levels into out[xo..]. Sets status when
 * no neighbour has an error below FLT_MAX.
 *
 * The (element, level) terms are computed once per call, lane-wise as C computes each; the
 * regrouped list (grid-table.ts firstBatch) gives four neighbours' byte indices per element
 * and batch, summed one per lane, each in element order as ggml sums one, compared in list order.
 */
function bestNeighbour(u: i32, xo: i32, scale: f32, out: usize): void {
  const vs = f32x4.splat(scale);
  const qlo = f32x4.mul(vs, f32x4(1, 3, 5, 7));
  const qhi = f32x4.mul(vs, f32x4(9, 11, 13, 15));
  for (let i = 0; i < 4; i++) {
    const w = f32x4.splat(f(WAUX, xo + i));
    const x = f32x4.splat(f(XVAL, xo + i));
    const dlo = f32x4.sub(qlo, x);
    const dhi = f32x4.sub(qhi, x);
    v128.store(TERMS + (<usize>i << 5), f32x4.mul(f32x4.mul(w, dlo), dlo));
    v128.store(TERMS + (<usize>i << 5), f32x4.mul(f32x4.mul(w, dhi), dhi), 16);
  }
  const list = neighbourList(table, gridSize, MAP_SIZE, gridMap(table, gridSize, u));
  const count = load<i32>(list);
  const t0 = v128.load(TERMS);
  const t0h = v128.load(TERMS, 16);
  const t1 = v128.load(TERMS, 32);
  const t1h = v128.load(TERMS, 48);
  const t2 = v128.load(TERMS, 64);
  const t2h = v128.load(TERMS, 80);
  const t3 = v128.load(TERMS, 96);
  const t3h = v128.load(TERMS, 112);
  let best = FLT_MAX;
  let won: usize = 0;
  const end = firstBatch(list) + <usize>((count + 3) >> 2) * 80;
  for (let bt = firstBatch(list); bt < end; bt += 80) {
    let d2 = pickTerm(t0, t0h, v128.load(bt, 16));
    d2 = f32x4.add(d2, pickTerm(t1, t1h, v128.load(bt, 32)));
    d2 = f32x4.add(d2, pickTerm(t2, t2h, v128.load(bt, 48)));
    d2 = f32x4.add(d2, pickTerm(t3, t3h, v128.load(bt, 64)));
    // a batch with nothing below the best so far is passed over with one lane-wise test
    if (!v128.any_true(f32x4.lt(d2, f32x4.splat(best)))) continue;
    const j = firstLeast(d2, best);
    best = least;
    won = bt + (<usize>j << 2);
  }
  if (won == 0) {
    status = ABORT_NO_NEIGHBOUR;
    abortScale = scale;
    return;
  }
  // element i's byte index 4l of the winner sits 16 (i + 1) bytes past its index word
  for (let i = 0; i < 4; i++) setB(out, xo + i, load<u8>(won + 16 + (<usize>i << 4)) >> 2);
}

/** nearest_int((id * x - 1) / 2) clamped to 0..7 for XVAL[xo..xo+4), lane-wise, into out; returns them packed. */
@inline function gridLevels(id: f32, xo: i32, out: usize): i32 {
  const v = v128.load(XVAL + (<usize>xo << 2));
  const t = f32x4.mul(f32x4.splat(0.5), f32x4.sub(f32x4.mul(f32x4.splat(id), v), f32x4.splat(1)));
  const l = clampV(nearestIntV(t), 0, 7);
  v128.store32_lane(out + <usize>xo, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(l, l), i16x8.splat(0)), 0);
  // 3 bits per element: the lanes times 8^i do not overlap, so their sum is the OR
  const s = i32x4.mul(l, i32x4(1, 8, 64, 512));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
}

/**
 * The fit's per-element products for the group in XVAL / WEIGHT: C's w * xval[i] * q is
 * (w * x) * q and w * q * q is (w * q) * q, each one rounding per step as here.
 */
function fitTables(): void {
  const qlo = f32x4(1, 3, 5, 7);
  const qhi = f32x4(9, 11, 13, 15);
  for (let i = 0; i < 32; i++) {
    const w = f32x4.splat(f(WEIGHT, i));
    const wx = f32x4.splat(f(WEIGHT, i) * f(XVAL, i));
    const o = <usize>i << 5;
    v128.store(FIT_QX + o, f32x4.mul(wx, qlo));
    v128.store(FIT_QX + o, f32x4.mul(wx, qhi), 16);
    v128.store(FIT_Q2 + o, f32x4.mul(f32x4.mul(w, qlo), qlo));
    v128.store(FIT_Q2 + o, f32x4.mul(f32x4.mul(w, qhi), qhi), 16);
  }
}

let fitQ2: f32 = 0;
/** sumqx (returned) and sumq2 (fitQ2) of the levels at lv, in element order, from fitTables. */
function weightedFit(lv: usize): f32 {
  let sumqx: f32 = 0;
  let sumq2: f32 = 0;
  for (let i = 0; i < 32; i++) {
    const o = (<usize>i << 5) + (<usize>b(lv, i) << 2);
    sumqx += load<f32>(FIT_QX + o);
    sumq2 += load<f32>(FIT_Q2 + o);
  }
  fitQ2 = sumq2;
  return sumqx;
}

/**
 * The scale search of both types for XVAL (signs split off): 2 * nsteps + 1 candidate scales
 * around max / 15, then a refit of the points that were off the grid (all of them for IQ3_S).
 * Leaves the levels in L, the grid indices in INDEX; returns the scale (status on abort).
 */
function search(max: f32, nsteps: i32, startOnGrid: i32, allRefit: bool): f32 {
  let best: f32 = 0;
  let scale: f32 = max / <f32>15;
  memory.fill(ON_GRID, <u8>startOnGrid, 8);
  fitTables();
  for (let is = -nsteps; is <= nsteps; is++) {
    const id: f32 = (<f32>15 + <f32>is * FIFTH) / max;
    const thisScale: f32 = <f32>1 / id;
    // every point's levels and map entry first, so the table loads overlap
    let off = 0;
    for (let k = 0; k < 8; k++) {
      const u = gridLevels(id, 4 * k, LAUX);
      store<i32>(CODES + (<usize>k << 2), u);
      const on = gridMap(table, gridSize, u) >= 0;
      setB(ON_GRID_AUX, k, <i32>on);
      off |= <i32>!on << k;
    }
    while (off != 0) {
      const k = ctz(off);
      off &= off - 1;
      bestNeighbour(load<i32>(CODES + (<usize>k << 2)), 4 * k, thisScale, LAUX);
      if (status != 0) return 0;
    }
    const sumqx = weightedFit(LAUX);
    const sumq2 = fitQ2;
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      scale = sumqx / sumq2;
      best = scale * sumqx;
      memory.copy(L, LAUX, 32);
      memory.copy(ON_GRID, ON_GRID_AUX, 8);
    }
  }
  let offGrid = 0;
  for (let k = 0; k < 8; k++) if (b(ON_GRID, k) == 0) offGrid++;
  if (offGrid > 0 && scale > 0) {
    const id: f32 = <f32>1 / scale;
    for (let k = 0; k < 8; k++) {
      if (!allRefit && b(ON_GRID, k) != 0) continue;
      const u = gridLevels(id, 4 * k, L);
      if (gridMap(table, gridSize, u) < 0) {
        bestNeighbour(u, 4 * k, scale, L);
        if (status != 0) return 0;
      }
    }
    const sumqx = weightedFit(L);
    if (fitQ2 > 0) scale = sumqx / fitQ2;
  }
  for (let k = 0; k < 8; k++) {
    let u = 0;
    for (let i = 0; i < 4; i++) u |= b(L, 4 * k + i) << (3 * i);
    const gi = gridMap(table, gridSize, u);
    if (gi < 0) {
      status = ABORT_OFF_GRID;
      abortU = u;
      return 0;
    }
    store<i32>(INDEX + (<usize>k << 2), gi);
  }
  return scale;
}

/** 2 * mean square of the super-block (quantize_row_iq3_*_impl's sigma2). */
function sigma2Of(x: usize): f32 {
  let sumx2: f32 = 0;
  for (let i = 0; i < 256; i++) {
    const v = f(x, i);
    sumx2 += v * v;
  }
  return <f32>2 * sumx2 / <f32>256;
}

/** x^2 without weights; qw * sqrt(sigma2 + x^2) with them; lane-wise, each lane the scalar steps. */
function setWeights(x: usize, qw: usize, weighted: bool, sigma2: f32): void {
  const vs = f32x4.splat(sigma2);
  for (let i = 0; i < 32; i += 4) {
    const p = <usize>i << 2;
    const v = v128.load(x + p);
    const v2 = f32x4.mul(v, v);
    const w = weighted ? f32x4.mul(v128.load(qw + p), f32x4.sqrt(f32x4.add(vs, v2))) : v2;
    v128.store(WEIGHT + p, w);
    v128.store(WAUX + p, f32x4.sqrt(w));
  }
}

/** |x| (as `v >= 0 ? v : -v`, NaN and -0 keeping that rule's bits) of the 8 values of 8-group k into XVAL; returns the mask of the others. */
function splitSigns(x: usize, k: i32): i32 {
  const p = <usize>k << 5;
  const a = v128.load(x + p);
  const b = v128.load(x + p, 16);
  const ga = f32x4.ge(a, f32x4.splat(0));
  const gb = f32x4.ge(b, f32x4.splat(0));
  v128.store(XVAL + p, v128.bitselect(a, f32x4.neg(a), ga));
  v128.store(XVAL + p, v128.bitselect(b, f32x4.neg(b), gb), 16);
  return i32x4.bitmask(v128.not(ga)) | (i32x4.bitmask(v128.not(gb)) << 4);
}

function maxOf(): f32 {
  let max = f(XVAL, 0);
  for (let i = 1; i < 32; i++) {
    const v = f(XVAL, i);
    max = max > v ? max : v;
  }
  return max;
}

@inline function scaleCode(id: f32, s: f32): i32 {
  const l = nearestInt(<f32>0.5 * (id * s - <f32>1));
  return l < 0 ? 0 : l > 15 ? 15 : l;
}

/** The failure status for block `blk`, from the search's abort state. */
function abortStatus(blk: i32): i32 {
  return abortAt(status, blk, abortScale, abortU);
}

/** One IQ3_XXS super-block (98 bytes: d, qs[64], 8 words of 4x7 signs + 4-bit scale); 0 or an abort status. */
function xxsBlock(x: usize, qw: usize, weighted: bool, o: usize, blk: i32): i32 {
  memory.fill(o, 0, 98);
  const sigma2: f32 = weighted ? sigma2Of(x) : 0;
  let maxScale: f32 = 0;
  for (let ib = 0; ib < 8; ib++) {
    const xb = x + (<usize>ib << 7);
    setWeights(xb, qw + (<usize>ib << 7), weighted, sigma2);
    for (let k = 0; k < 4; k++) {
      let s = splitSigns(xb, k);
      if ((popcnt<i32>(s) & 1) != 0) {
        // an odd count of minus signs: flip the element that costs least
        let imin = 0;
        const v0 = f(xb, 8 * k);
        let min: f32 = f(WEIGHT, 8 * k) * v0 * v0;
        for (let i = 1; i < 8; i++) {
          const v = f(xb, 8 * k + i);
          const ax: f32 = f(WEIGHT, 8 * k + i) * v * v;
          if (ax < min) {
            min = ax;
            imin = i;
          }
        }
        setF(XVAL, 8 * k + imin, -f(XVAL, 8 * k + imin));
        s ^= 1 << imin;
      }
      setB(SIGNS, k, s & 127);
    }
    memory.fill(L, 0, 32);
    const max = maxOf();
    if (max < EPS_XXS) {
      setF(SCALES, ib, 0);
      continue;
    }
    let scale = search(max, 15, 1, false);
    if (status != 0) return abortStatus(blk);
    if (scale < 0) {
      scale = -scale;
      for (let k = 0; k < 4; k++) setB(SIGNS, k, ~b(SIGNS, k) & 127);
    }
    for (let k = 0; k < 8; k++) setB(o + 2 + <usize>(8 * ib), k, load<i32>(INDEX + (<usize>k << 2)));
    const w = <u32>b(SIGNS, 0) | (<u32>b(SIGNS, 1) << 7) | (<u32>b(SIGNS, 2) << 14) | (<u32>b(SIGNS, 3) << 21);
    store<u32>(o + 66 + <usize>(4 * ib), w);
    if (!(scale >= 0)) return abortAt(ABORT_SCALE, blk, scale, 0);
    setF(SCALES, ib, scale);
    maxScale = maxScale > scale ? maxScale : scale;
  }
  if (maxScale == 0) {
    memory.fill(o, 0, 98);
    return 0;
  }
  const d: f32 = maxScale / <f32>31;
  writeHalf(o, d * <f32>1.0125);
  const id: f32 = <f32>1 / d;
  for (let ib = 0; ib < 8; ib++) {
    const p = o + 69 + <usize>(4 * ib);
    store<u8>(p, load<u8>(p) | <u8>(scaleCode(id, f(SCALES, ib)) << 4));
  }
  return 0;
}

/** One IQ3_S super-block (110 bytes: d, qs[64], qh[8], signs[32], scales[4]); 0 or an abort status. */
function sBlock(x: usize, qw: usize, weighted: bool, o: usize, blk: i32): i32 {
  memory.fill(o, 0, 110);
  const sigma2: f32 = weighted ? sigma2Of(x) : 0;
  let qs = o + 2;
  let signs = o + 74;
  let maxScale: f32 = 0;
  for (let ib = 0; ib < 8; ib++) {
    const xb = x + (<usize>ib << 7);
    setWeights(xb, qw + (<usize>ib << 7), weighted, sigma2);
    for (let k = 0; k < 4; k++) setB(SIGNS, k, splitSigns(xb, k));
    memory.fill(L, 0, 32);
    const max = maxOf();
    if (max == 0) {
      setF(SCALES, ib, 0);
      continue; // ggml leaves qs / signs where they are
    }
    let scale = search(max, 9, 0, true);
    if (status != 0) return abortStatus(blk);
    if (scale < 0) {
      scale = -scale;
      for (let k = 0; k < 4; k++) setB(SIGNS, k, ~b(SIGNS, k) & 255);
    }
    let qh = 0;
    for (let k = 0; k < 8; k++) {
      const gi = load<i32>(INDEX + (<usize>k << 2));
      setB(qs, k, gi & 255);
      qh |= (gi >> 8) << k;
    }
    setB(o + 66, ib, qh);
    qs += 8;
    for (let k = 0; k < 4; k++) setB(signs, k, b(SIGNS, k));
    signs += 4;
    if (!(scale >= 0)) return abortAt(ABORT_SCALE, blk, scale, 0);
    setF(SCALES, ib, scale);
    maxScale = maxScale > scale ? maxScale : scale;
  }
  if (maxScale == 0) return 0; // C `!max_scale`: NaN is not zero
  const d: f32 = maxScale / <f32>31;
  writeHalf(o, d * <f32>1.033);
  const id: f32 = <f32>1 / d;
  for (let ib = 0; ib < 8; ib += 2) {
    setB(o + 106, ib >> 1, scaleCode(id, f(SCALES, ib)) | (scaleCode(id, f(SCALES, ib + 1)) << 4));
  }
  return 0;
}

/**
 * `rows` rows of n floats at src (n a multiple of 256), weights at w (n, per column) when
 * `weighted`; IQ3_XXS when xxs, else IQ3_S. Returns 0, or the first abort's status.
 */
function encodeRows(src: usize, dst: usize, rows: i32, n: i32, w: usize, t: usize, weighted: bool, xxs: bool): i32 {
  table = t;
  gridSize = xxs ? 256 : 512;
  status = 0;
  const nb = n >> 8;
  const size: usize = xxs ? 98 : 110;
  let o = dst;
  let blk = 0;
  for (let r = 0; r < rows; r++) {
    const row = src + (<usize>r * <usize>n << 2);
    for (let i = 0; i < nb; i++) {
      const off = <usize>i << 10;
      const s = xxs ? xxsBlock(row + off, w + off, weighted, o, blk) : sBlock(row + off, w + off, weighted, o, blk);
      if (s != 0) return s;
      o += size;
      blk++;
    }
  }
  return 0;
}

/** matches quantize_iq3_xxs with quant_weights. */
export function encode_IQ3_XXS_w(src: usize, dst: usize, rows: i32, n: i32, w: usize, t: usize): i32 {
  return encodeRows(src, dst, rows, n, w, t, true, true);
}
/** matches quantize_iq3_s with quant_weights. */
export function encode_IQ3_S_w(src: usize, dst: usize, rows: i32, n: i32, w: usize, t: usize): i32 {
  return encodeRows(src, dst, rows, n, w, t, true, false);
}
/** matches quantize_iq3_xxs without quant_weights: nb super-blocks. */
export function encode_IQ3_XXS(src: usize, dst: usize, nb: i32, t: usize): i32 {
  return encodeRows(src, dst, 1, nb << 8, 0, t, false, true);
}
/** matches quantize_iq3_s without quant_weights: nb super-blocks. */
export function encode_IQ3_S(src: usize, dst: usize, nb: i32, t: usize): i32 {
  return encodeRows(src, dst, 1, nb << 8, 0, t, false, false);
}
