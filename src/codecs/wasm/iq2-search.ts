/**
 * The pieces the IQ2 grid encoders share (src/codecs/iq-search.ts in f32): the levels of 8
 * values at an inverse scale, the best grid neighbour of an off-grid vector
 * (iq2_find_best_neighbour of ggml-quants.c at llama.cpp 34af94cd), the weighted scale fit,
 * and the group preparation with importance weights. One f32 operation per C float step.
 *
 * A search that hits one of ggml's aborts sets `status` (an ABORT_* code of common.ts) with
 * the scale or levels for the host's message; callers check it after each group.
 */
import { abortAt, ABORT_NO_NEIGHBOUR, ABORT_OFF_GRID, ABORT_SCALE, clampV, nearestInt, nearestIntV } from './common';
import { firstBatch, firstLeast, gridCode, gridMap, least, neighbourList } from './grid-table';

/** Map entries of the 8-element grids: every code of levels 0..2 is below this. */
export const IQ2_MAP: i32 = 43692;

export let status: i32 = 0;
export let statusScale: f32 = 0;
export let statusLevels: i32 = 0;

/** GGML_ASSERT(scale >= 0) at the end of a group (false for NaN); false when it fails. */
export function scaleOk(scale: f32): bool {
  if (scale >= 0) return true;
  status = ABORT_SCALE;
  statusScale = scale;
  return false;
}

/** The pending abort of the group just searched as encode's return value (0 when none), cleared. */
export function groupAbort(block: i32): i32 {
  const s = status;
  if (s == 0) return 0;
  status = 0;
  return abortAt(s, block, statusScale, statusLevels);
}

/** The 4-bit group scales: nearest_int(0.5 * (id * scale - 1)) clamped to 0..15. */
@inline export function scaleNibble(id: f32, s: f32): i32 {
  const l = nearestInt(<f32>0.5 * (id * s - <f32>1));
  return l < 0 ? 0 : l > 15 ? 15 : l;
}

/** Per-group scratch for up to 32 elements: weights, their square roots, |x|; levels as i8. */
export const WEIGHT: usize = memory.data(32 * 4, 16);
export const WAUX: usize = memory.data(32 * 4, 16);
export const XVAL: usize = memory.data(32 * 4, 16);
export const LV: usize = memory.data(32, 16);
export const LAUX: usize = memory.data(32, 16);
/** 7- (XXS, XS) or 8-bit (S) sign masks of the group's 8-element pieces. */
export const SIGNS: usize = memory.data(4, 4);
/** Grid index of each 8-element piece, after gridIndices. */
export const GIDX: usize = memory.data(16, 16);
/** Per element, the error terms of levels 0, 1, 2 (and a spare lane): 16 bytes each. */
const TERMS: usize = memory.data(8 * 16, 16);

@inline export function fl(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}
@inline export function setFl(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}
@inline export function lv(p: usize, i: i32): i32 {
  return <i32>load<i8>(p + <usize>i);
}

/**
 * The levels l = nearest_int((id * x - 1) / 2), clamped to 0..2, of x[o..o+8) into out[o..);
 * returns them packed, 2 bits each (the map key). Lane-wise, so each level is the scalar one.
 */
export function gridLevels8(id: f32, x: usize, out: usize, o: i32): i32 {
  const p = x + (<usize>o << 2);
  const vid = f32x4.splat(id);
  const one = f32x4.splat(1);
  const half = f32x4.splat(0.5);
  const lo = clampV(nearestIntV(f32x4.mul(half, f32x4.sub(f32x4.mul(vid, v128.load(p)), one))), 0, 2);
  const hi = clampV(nearestIntV(f32x4.mul(half, f32x4.sub(f32x4.mul(vid, v128.load(p, 16)), one))), 0, 2);
  const bytes = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(lo, hi), i16x8.splat(0));
  v128.store64_lane(out + <usize>o, bytes, 0);
  // 2 bits per element: the lanes times 4^i do not overlap, so their sum is the OR
  const s = i32x4.add(i32x4.mul(lo, i32x4(1, 4, 16, 64)), i32x4.mul(hi, i32x4(256, 1024, 4096, 16384)));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
}

/** The four neighbours' summed errors of the batch at bt: each lane's terms in element order. */
@inline function batchErrors(bt: usize, t0: v128, t1: v128, t2: v128, t3: v128, t4: v128, t5: v128, t6: v128, t7: v128): v128 {
  const lo = v128.load(bt, 16);
  const hi = v128.load(bt, 32);
  let d2 = i8x16.swizzle(t0, byteIndices(lo, 0));
  d2 = f32x4.add(d2, i8x16.swizzle(t1, byteIndices(lo, 1)));
  d2 = f32x4.add(d2, i8x16.swizzle(t2, byteIndices(lo, 2)));
  d2 = f32x4.add(d2, i8x16.swizzle(t3, byteIndices(lo, 3)));
  d2 = f32x4.add(d2, i8x16.swizzle(t4, byteIndices(hi, 0)));
  d2 = f32x4.add(d2, i8x16.swizzle(t5, byteIndices(hi, 1)));
  d2 = f32x4.add(d2, i8x16.swizzle(t6, byteIndices(hi, 2)));
  return f32x4.add(d2, i8x16.swizzle(t7, byteIndices(hi, 3)));
}

/**
 * iq2_find_best_neighbour for the off-grid code with map entry m (< 0): the listed point
 * nearest to x[o..o+8) at scale * (1, 3, 5), weighted by w[o..o+8), the first on ties; its
 * levels into out[o..o+8). Returns its grid index, or -1 with status set when no error is
 * finite (ggml's GGML_ASSERT(grid_index >= 0)).
 *
 * Each element's three error terms sit in one v128 (TERMS + 16 i); the regrouped list gives
 * four neighbours' byte indices into it per element and batch: one swizzle per element, summed
 * one neighbour per lane in element order as ggml sums one, then compared as in list order.
 */
export function bestNeighbour8(table: usize, size: i32, m: i32, x: usize, w: usize, out: usize, o: i32, scale: f32): i32 {
  const levels = f32x4(scale, scale * <f32>3, scale * <f32>5, 0);
  for (let i = 0; i < 8; i++) {
    const diff = f32x4.sub(levels, f32x4.splat(fl(x, o + i)));
    v128.store(TERMS + (<usize>i << 4), f32x4.mul(f32x4.mul(f32x4.splat(fl(w, o + i)), diff), diff));
  }
  const list = neighbourList(table, size, IQ2_MAP, m);
  const count = load<i32>(list);
  const t0 = v128.load(TERMS);
  const t1 = v128.load(TERMS, 16);
  const t2 = v128.load(TERMS, 32);
  const t3 = v128.load(TERMS, 48);
  const t4 = v128.load(TERMS, 64);
  const t5 = v128.load(TERMS, 80);
  const t6 = v128.load(TERMS, 96);
  const t7 = v128.load(TERMS, 112);
  let best: f32 = f32.MAX_VALUE;
  let won: usize = 0;
  const end = firstBatch(list) + <usize>((count + 3) >> 2) * 144;
  for (let bt = firstBatch(list); bt < end; bt += 144) {
    let d2 = i8x16.swizzle(t0, v128.load(bt, 16));
    d2 = f32x4.add(d2, i8x16.swizzle(t1, v128.load(bt, 32)));
    d2 = f32x4.add(d2, i8x16.swizzle(t2, v128.load(bt, 48)));
    d2 = f32x4.add(d2, i8x16.swizzle(t3, v128.load(bt, 64)));
    d2 = f32x4.add(d2, i8x16.swizzle(t4, v128.load(bt, 80)));
    d2 = f32x4.add(d2, i8x16.swizzle(t5, v128.load(bt, 96)));
    d2 = f32x4.add(d2, i8x16.swizzle(t6, v128.load(bt, 112)));
    d2 = f32x4.add(d2, i8x16.swizzle(t7, v128.load(bt, 128)));
    // most batches hold nothing below the best so far: one lane-wise test skips them
    if (!v128.any_true(f32x4.lt(d2, f32x4.splat(best)))) continue;
    const j = firstLeast(d2, best);
    best = least;
    won = bt + (<usize>j << 2);
  }
  if (won == 0) {
    status = ABORT_NO_NEIGHBOUR;
    statusScale = scale;
    return -1;
  }
  // element i's byte index 4l of the winner sits 16 (i + 1) bytes past its index word
  for (let i = 0; i < 8; i++) store<u8>(out + <usize>(o + i), load<u8>(won + 16 + (<usize>i << 4)) >> 2);
  return load<i32>(won);
}

/** Levels at `id` for the piece at o, moved to the best neighbour when off the grid; false when that aborted. */
export function searchPiece(table: usize, size: i32, id: f32, scale: f32, out: usize, o: i32): bool {
  const u = gridLevels8(id, XVAL, out, o);
  const m = gridMap(table, size, u);
  if (m >= 0) return true;
  return bestNeighbour8(table, size, m, XVAL, WAUX, out, o, scale) >= 0;
}

/** Map entries of the pieces of one trial scale (searchPieces). */
const MAPS: usize = memory.data(4 * 4, 16);

/**
 * searchPiece for the n / 8 pieces of the group, in piece order as ggml's loop: every piece's
 * levels and map entry first, so the table loads overlap, then the neighbour searches of those
 * off the grid. Returns the mask of pieces that were off the grid, or -1 when a search aborted.
 */
export function searchPieces(table: usize, size: i32, id: f32, scale: f32, out: usize, n: i32): i32 {
  let off = 0;
  for (let k = 0; k < n >> 3; k++) {
    const m = gridMap(table, size, gridLevels8(id, XVAL, out, 8 * k));
    store<i32>(MAPS + (<usize>k << 2), m);
    off |= <i32>(m < 0) << k;
  }
  const mask = off;
  while (off != 0) {
    const k = ctz(off);
    off &= off - 1;
    if (bestNeighbour8(table, size, load<i32>(MAPS + (<usize>k << 2)), XVAL, WAUX, out, 8 * k, scale) < 0) return -1;
  }
  return mask;
}

export const TENTH: f32 = 0.1;

export let fitQ2: f32 = 0;

/** Per element (16 bytes each), (w * x) * q and (w * q) * q of levels 0, 1, 2 (q = 1, 3, 5) and a spare lane. */
const FIT_QX: usize = memory.data(32 * 16, 16);
const FIT_Q2: usize = memory.data(32 * 16, 16);

/** The fit's products of the group in XVAL / WEIGHT, each with C's roundings: w * xval[i] * q is (w * x) * q. */
function fitTables(n: i32): void {
  const q = f32x4(1, 3, 5, 0);
  for (let i = 0; i < n; i++) {
    const w = fl(WEIGHT, i);
    const o = <usize>i << 4;
    v128.store(FIT_QX + o, f32x4.mul(f32x4.splat(w * fl(XVAL, i)), q));
    v128.store(FIT_Q2 + o, f32x4.mul(f32x4.mul(f32x4.splat(w), q), q));
  }
}

/** sumqx (returned) and sumq2 (fitQ2) of q = 2l + 1 over n elements, in element order, from fitTables. */
export function weightedFit(n: i32, levels: usize): f32 {
  let sumqx: f32 = 0;
  let sumq2: f32 = 0;
  for (let i = 0; i < n; i++) {
    const o = (<usize>i << 4) + (<usize>lv(levels, i) << 2);
    sumqx += load<f32>(FIT_QX + o);
    sumq2 += load<f32>(FIT_Q2 + o);
  }
  fitQ2 = sumq2;
  return sumqx;
}

/**
 * The grid indices of LV's n / 8 pieces into GIDX. ggml packs the levels into a uint16_t, so
 * make_qp_quants' out-of-range levels (from NaN or Inf input) are cut to 16 bits, as the twins
 * cut them; a code that is no grid point aborts (OFF_GRID with the code); false then.
 */
export function gridIndices(table: usize, size: i32, n: i32): bool {
  for (let k = 0; k < n >> 3; k++) {
    let u = 0;
    for (let i = 0; i < 8; i++) u |= lv(LV, 8 * k + i) << (2 * i);
    u &= 0xffff;
    let gi = -1;
    if (u < IQ2_MAP) {
      const m = gridMap(table, size, u);
      // unreachable codes hold 0 in the table: a grid point only when its code is u
      if (m >= 0 && <i32>gridCode(table, m) == u) gi = m;
    }
    if (gi < 0) {
      status = ABORT_OFF_GRID;
      statusLevels = u;
      return false;
    }
    store<i32>(GIDX + (<usize>k << 2), gi);
  }
  return true;
}

/** sum x^2 over the 256 values at x, in order. */
export function sumSquares256(x: usize): f32 {
  let s: f32 = 0;
  for (let i = 0; i < 256; i++) {
    const v = fl(x, i);
    s += v * v;
  }
  return s;
}

/**
 * WEIGHT = qw * sqrt(sigma2 + x^2) (or sigma2 / 4 + x^2 without qw: qw == 0), WAUX = sqrt(WEIGHT),
 * XVAL = |x| with the sign bits in SIGNS per 8 (when `even`, the cheapest element by
 * weight * x * x flipped back so each 8 has an even count, 7 bits kept). Returns max |x| in
 * the twins' order (a NaN takes over only where it is compared last). Fills the fit's tables.
 */
export function prepareGroup(x: usize, qw: usize, n: i32, sigma2: f32, even: bool): f32 {
  // lane-wise, each lane the scalar steps: qw * sqrt(sigma2 + x * x) or sigma2 / 4 + x * x
  const vs = f32x4.splat(sigma2);
  const vq = f32x4.splat(<f32>0.25 * sigma2);
  for (let i = 0; i < n; i += 4) {
    const p = <usize>i << 2;
    const v = v128.load(x + p);
    const v2 = f32x4.mul(v, v);
    const w = qw != 0 ? f32x4.mul(v128.load(qw + p), f32x4.sqrt(f32x4.add(vs, v2))) : f32x4.add(vq, v2);
    v128.store(WEIGHT + p, w);
    v128.store(WAUX + p, f32x4.sqrt(w));
  }
  for (let k = 0; k < n >> 3; k++) {
    // |x| as `v >= 0 ? v : -v` (NaN and -0 keep that rule's bits), a sign bit where v >= 0 fails
    const p = <usize>k << 5;
    const a = v128.load(x + p);
    const b = v128.load(x + p, 16);
    const ga = f32x4.ge(a, f32x4.splat(0));
    const gb = f32x4.ge(b, f32x4.splat(0));
    v128.store(XVAL + p, v128.bitselect(a, f32x4.neg(a), ga));
    v128.store(XVAL + p, v128.bitselect(b, f32x4.neg(b), gb), 16);
    let sg = i32x4.bitmask(v128.not(ga)) | (i32x4.bitmask(v128.not(gb)) << 4);
    if (even) {
      if (popcnt(sg) & 1) {
        let imin = 0;
        let min = fl(WEIGHT, 8 * k) * fl(x, 8 * k) * fl(x, 8 * k);
        for (let i = 1; i < 8; i++) {
          const v = fl(x, 8 * k + i);
          const ax = fl(WEIGHT, 8 * k + i) * v * v;
          if (ax < min) {
            min = ax;
            imin = i;
          }
        }
        setFl(XVAL, 8 * k + imin, -fl(XVAL, 8 * k + imin));
        sg ^= 1 << imin;
      }
      sg &= 127;
    }
    store<u8>(SIGNS + <usize>k, <u8>sg);
  }
  fitTables(n);
  let max = fl(XVAL, 0);
  for (let i = 1; i < n; i++) {
    const v = fl(XVAL, i);
    max = max > v ? max : v;
  }
  return max;
}

/**
 * The search IQ2_XS and IQ2_S share (groups of 16, two pieces): 19 trial scales, then the
 * pieces that ended off the grid searched again at the best scale. Returns the scale.
 */
export function searchXS(table: usize, size: i32, max: f32, n: i32): f32 {
  let best: f32 = 0;
  let scale = max / <f32>5;
  let onGrid0 = true;
  let onGrid1 = true;
  for (let is = -9; is <= 9; is++) {
    const id = (<f32>5 + <f32>is * TENTH) / max;
    const thisScale = <f32>1 / id;
    const off = searchPieces(table, size, id, thisScale, LAUX, 16);
    if (off < 0) return scale;
    const aux0 = (off & 1) == 0;
    const aux1 = (off & 2) == 0;
    const sumqx = weightedFit(n, LAUX);
    const sumq2 = fitQ2;
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      scale = sumqx / sumq2;
      best = scale * sumqx;
      memory.copy(LV, LAUX, 16);
      onGrid0 = aux0;
      onGrid1 = aux1;
    }
  }
  if ((!onGrid0 || !onGrid1) && scale > 0) {
    const id = <f32>1 / scale;
    for (let k = 0; k < 2; k++) {
      if (k == 0 ? onGrid0 : onGrid1) continue;
      if (!searchPiece(table, size, id, scale, LV, 8 * k)) return scale;
    }
    const sumqx = weightedFit(n, LV);
    if (fitQ2 > 0) scale = sumqx / fitQ2;
  }
  return scale;
}
