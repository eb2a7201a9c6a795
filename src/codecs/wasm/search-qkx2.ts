/**
 * ggml's make_qkx2_quants on four groups at once, one group per f32x4 lane. Each lane runs the
 * reference's loop for its own group: the same operations in the same order, sums accumulated
 * element by element, so every lane ends with the scalar code's bits. Branches of the
 * reference become lane masks: a lane whose try does not win keeps its state.
 *
 * Input: quartet(q) rows of x and weights, two quartets at a time. Output per lane (group g of quartet q, at index
 * 4 * q + g): SCALES, MINS (-min), and, instead of the levels themselves, the iscale and min
 * of the try whose levels the group kept (LISCALE, LMIN; FLAT for the all-equal case), since
 * the K-quant encoders re-quantize every group whose scale does not round to zero and need
 * the search's levels only for the others (levelsOfSearch).
 */
import { clampV, nearestIntV, sel, quartet, OFF_W, OFF_L, QUARTET_BYTES, SCALES, MINS, LISCALE, LMIN, FLAT } from './common';

/** 1.5 * 2^23: adding it rounds a float32 of magnitude below 2^22 to an integer, half to even. */
const MAGIC: f32 = 12582912.0;
/** Below this magnitude nearest_int's bit trick and the add-and-subtract rounding agree. */
const NEAREST_RANGE: f32 = 4194303.0;

/**
 * The levels of one try as f32 lanes: clamp(nearest_int(iscale * (x - min)), 0, nmax). The fast
 * form rounds by adding and subtracting MAGIC and clamps in float, saving three instructions;
 * it is used only while every product is known to lie within NEAREST_RANGE and every x is
 * finite, where both forms give the same integer.
 */
@inline function levels(x: v128, min: v128, iscale: v128, nmax: i32, fast: bool): v128 {
  const t = f32x4.mul(iscale, f32x4.sub(x, min));
  if (fast) {
    const m = f32x4.splat(MAGIC);
    const r = f32x4.sub(f32x4.add(t, m), m);
    return f32x4.pmin(f32x4.pmax(r, f32x4.splat(0)), f32x4.splat(<f32>nmax));
  }
  return f32x4.convert_i32x4_s(clampV(nearestIntV(t), 0, nmax));
}

/**
 * Whether every iscale * (x - min) of the non-flat lanes lies within NEAREST_RANGE: x - min
 * runs between xmin - min and max - min, and the rounded products are monotone in it, so the
 * two end products bound them all (a NaN fails the test).
 */
@inline function inRange(xmin: v128, max: v128, min: v128, iscale: v128, flat: v128): bool {
  const r = f32x4.splat(NEAREST_RANGE);
  const lo = f32x4.abs(f32x4.mul(iscale, f32x4.sub(xmin, min)));
  const hi = f32x4.abs(f32x4.mul(iscale, f32x4.sub(max, min)));
  return v128.all_true<i32>(v128.or(flat, v128.and(f32x4.lt(lo, r), f32x4.lt(hi, r))));
}

/** The error term of one element: w * |diff| (use_mad) or w * diff^2, diff = scale * l + min - x. */
@inline function errTerm(x: v128, w: v128, l: v128, scale: v128, min: v128, mad: bool): v128 {
  const diff = f32x4.sub(f32x4.add(f32x4.mul(scale, l), min), x);
  return f32x4.mul(w, mad ? f32x4.abs(diff) : f32x4.mul(diff, diff));
}

/** rmin and rdelta of every make_qkx3_quants call (-0.9f, 0.05f). */
const RMIN_W: f32 = -0.9;
const RDELTA_W: f32 = 0.05;

/** The next quartet's rows, relative to a row of this one. */
const NEXT: usize = QUARTET_BYTES;

/** One quartet's prologue results (gMin..gFinite) and one try's sums (gL, gL2, gXL). */
let gMin: v128 = f32x4.splat(0);
let gMax: v128 = f32x4.splat(0);
let gSumW: v128 = f32x4.splat(0);
let gSumX: v128 = f32x4.splat(0);
let gFinite: bool = false;
let gL: v128 = f32x4.splat(0);
let gL2: v128 = f32x4.splat(0);
let gXL: v128 = f32x4.splat(0);

/** min and max of x (from x[0], as the reference), sum_w and sum_x, and whether all x are finite. */
@inline function prologue(base: usize, n: i32): void {
  const inf = f32x4.splat(Infinity);
  let min = v128.load(base);
  let max = min;
  let sumW = v128.load(base, OFF_W);
  let sumX = f32x4.mul(sumW, min);
  let finite = f32x4.lt(f32x4.abs(min), inf);
  for (let p = base + 16, end = base + (<usize>n << 4); p < end; p += 16) {
    const x = v128.load(p);
    const w = v128.load(p, OFF_W);
    min = sel(x, min, f32x4.lt(x, min));
    max = sel(x, max, f32x4.gt(x, max));
    sumW = f32x4.add(sumW, w);
    sumX = f32x4.add(sumX, f32x4.mul(w, x));
    finite = v128.and(finite, f32x4.lt(f32x4.abs(x), inf));
  }
  gMin = min;
  gMax = max;
  gSumW = sumW;
  gSumX = sumX;
  gFinite = v128.all_true<i32>(finite);
}

/** The error of the first levels, before the tries (best_error). */
@inline function firstError(base: usize, n: i32, min: v128, iscale: v128, nmax: i32, mad: bool, fast: bool): v128 {
  const scale = f32x4.div(f32x4.splat(1), iscale);
  let best = f32x4.splat(0);
  for (let p = base, end = base + (<usize>n << 4); p < end; p += 16) {
    const x = v128.load(p);
    best = f32x4.add(best, errTerm(x, v128.load(p, OFF_W), levels(x, min, iscale, nmax, fast), scale, min, mad));
  }
  return best;
}

/** One try's levels (kept at +OFF_L) and its sums, element by element in order. */
@inline function trySums(base: usize, n: i32, min: v128, iscale: v128, nmax: i32, fast: bool): void {
  let sumL = f32x4.splat(0);
  let sumL2 = f32x4.splat(0);
  let sumXL = f32x4.splat(0);
  for (let p = base, end = base + (<usize>n << 4); p < end; p += 16) {
    const x = v128.load(p);
    const l = levels(x, min, iscale, nmax, fast);
    v128.store(p, l, OFF_L);
    const wl = f32x4.mul(v128.load(p, OFF_W), l);
    sumL = f32x4.add(sumL, wl);
    sumL2 = f32x4.add(sumL2, f32x4.mul(wl, l));
    sumXL = f32x4.add(sumXL, f32x4.mul(wl, x));
  }
  gL = sumL;
  gL2 = sumL2;
  gXL = sumXL;
}

/**
 * matches make_qkx2_quants(n, nmax, x, weights, L, &the_min, Laux, rmin, rdelta, nstep, use_mad)
 * for the 8 groups of quartets qa and qa + 1, run in lockstep so that their error sums (one
 * dependent chain of additions each) overlap. The fast instance gives up (returns false,
 * having stored nothing) as soon as a try could leave its fast rounding's range; the exact
 * instance then redoes both quartets.
 */
@inline function qkx2(qa: i32, n: i32, nmax: i32, rmin: f32, rdelta: f32, nstep: i32, mad: bool, fast: bool): bool {
  const a = quartet(qa);
  const b = a + NEXT;
  const end = a + (<usize>n << 4);
  const zero = f32x4.splat(0);
  prologue(a, n);
  let minA = gMin;
  const maxA = gMax;
  const sumWA = gSumW;
  const sumXA = gSumX;
  const finiteA = gFinite;
  prologue(b, n);
  let minB = gMin;
  const maxB = gMax;
  const sumWB = gSumW;
  const sumXB = gSumX;
  if (fast && !(finiteA && gFinite)) return false;
  const xminA = minA;
  const xminB = minB;
  minA = sel(zero, minA, f32x4.gt(minA, zero));
  minB = sel(zero, minB, f32x4.gt(minB, zero));
  const flatA = f32x4.eq(maxA, minA);
  const flatB = f32x4.eq(maxB, minB);
  const flatMinA = minA;
  const flatMinB = minB;
  const nmaxV = f32x4.splat(<f32>nmax);
  let iscaleA = f32x4.div(nmaxV, f32x4.sub(maxA, minA));
  let iscaleB = f32x4.div(nmaxV, f32x4.sub(maxB, minB));
  if (fast && !(inRange(xminA, maxA, minA, iscaleA, flatA) && inRange(xminB, maxB, minB, iscaleB, flatB))) return false;
  let scaleA = f32x4.div(f32x4.splat(1), iscaleA);
  let scaleB = f32x4.div(f32x4.splat(1), iscaleB);
  let bestA = firstError(a, n, minA, iscaleA, nmax, mad, fast);
  let bestB = firstError(b, n, minB, iscaleB, nmax, mad, fast);
  let keptIscaleA = iscaleA;
  let keptIscaleB = iscaleB;
  let keptMinA = minA;
  let keptMinB = minB;
  for (let is = 0; is <= nstep; is++) {
    const num = f32x4.splat(rmin + rdelta * <f32>is + <f32>nmax);
    iscaleA = f32x4.div(num, f32x4.sub(maxA, minA));
    iscaleB = f32x4.div(num, f32x4.sub(maxB, minB));
    if (fast && !(inRange(xminA, maxA, minA, iscaleA, flatA) && inRange(xminB, maxB, minB, iscaleB, flatB))) return false;
    trySums(a, n, minA, iscaleA, nmax, fast);
    const lA = gL;
    const l2A = gL2;
    const xlA = gXL;
    trySums(b, n, minB, iscaleB, nmax, fast);
    const DA = f32x4.sub(f32x4.mul(sumWA, l2A), f32x4.mul(lA, lA));
    const DB = f32x4.sub(f32x4.mul(sumWB, gL2), f32x4.mul(gL, gL));
    const liveA = f32x4.gt(DA, zero);
    const liveB = f32x4.gt(DB, zero);
    if (!v128.any_true(v128.or(liveA, liveB))) continue;
    let thisScaleA = f32x4.div(f32x4.sub(f32x4.mul(sumWA, xlA), f32x4.mul(sumXA, lA)), DA);
    let thisMinA = f32x4.div(f32x4.sub(f32x4.mul(l2A, sumXA), f32x4.mul(lA, xlA)), DA);
    const posA = f32x4.gt(thisMinA, zero);
    thisMinA = sel(zero, thisMinA, posA);
    thisScaleA = sel(f32x4.div(xlA, l2A), thisScaleA, posA);
    let thisScaleB = f32x4.div(f32x4.sub(f32x4.mul(sumWB, gXL), f32x4.mul(sumXB, gL)), DB);
    let thisMinB = f32x4.div(f32x4.sub(f32x4.mul(gL2, sumXB), f32x4.mul(gL, gXL)), DB);
    const posB = f32x4.gt(thisMinB, zero);
    thisMinB = sel(zero, thisMinB, posB);
    thisScaleB = sel(f32x4.div(gXL, gL2), thisScaleB, posB);
    let curA = zero;
    let curB = zero;
    for (let p = a; p < end; p += 16) {
      curA = f32x4.add(curA, errTerm(v128.load(p), v128.load(p, OFF_W), v128.load(p, OFF_L), thisScaleA, thisMinA, mad));
      curB = f32x4.add(curB, errTerm(v128.load(p, NEXT), v128.load(p, NEXT + OFF_W), v128.load(p, NEXT + OFF_L), thisScaleB, thisMinB, mad));
    }
    const winA = v128.and(liveA, f32x4.lt(curA, bestA));
    const winB = v128.and(liveB, f32x4.lt(curB, bestB));
    keptIscaleA = sel(iscaleA, keptIscaleA, winA);
    keptIscaleB = sel(iscaleB, keptIscaleB, winB);
    keptMinA = sel(minA, keptMinA, winA);
    keptMinB = sel(minB, keptMinB, winB);
    bestA = sel(curA, bestA, winA);
    bestB = sel(curB, bestB, winB);
    scaleA = sel(thisScaleA, scaleA, winA);
    scaleB = sel(thisScaleB, scaleB, winB);
    minA = sel(thisMinA, minA, winA);
    minB = sel(thisMinB, minB, winB);
  }
  const r = <usize>qa << 4;
  v128.store(SCALES + r, sel(zero, scaleA, flatA));
  v128.store(SCALES + r, sel(zero, scaleB, flatB), 16);
  v128.store(MINS + r, f32x4.neg(sel(flatMinA, minA, flatA)));
  v128.store(MINS + r, f32x4.neg(sel(flatMinB, minB, flatB)), 16);
  v128.store(LISCALE + r, keptIscaleA);
  v128.store(LISCALE + r, keptIscaleB, 16);
  v128.store(LMIN + r, keptMinA);
  v128.store(LMIN + r, keptMinB, 16);
  v128.store(FLAT + r, flatA);
  v128.store(FLAT + r, flatB, 16);
  return true;
}

function q4Fast(q: i32): bool {
  return qkx2(q, 32, 15, -1.0, 0.1, 20, false, true);
}
function q4Exact(q: i32): void {
  qkx2(q, 32, 15, -1.0, 0.1, 20, false, false);
}
function q5Fast(q: i32): bool {
  return qkx2(q, 32, 31, -0.5, 0.1, 15, false, true);
}
function q5Exact(q: i32): void {
  qkx2(q, 32, 31, -0.5, 0.1, 15, false, false);
}
function q2Fast(q: i32): bool {
  return qkx2(q, 16, 3, -0.5, 0.1, 15, true, true);
}
function q2Exact(q: i32): void {
  qkx2(q, 16, 3, -0.5, 0.1, 15, true, false);
}

function q4wFast(q: i32): bool {
  return qkx2(q, 32, 15, RMIN_W, RDELTA_W, 36, false, true);
}
function q4wExact(q: i32): void {
  qkx2(q, 32, 15, RMIN_W, RDELTA_W, 36, false, false);
}
function q5wFast(q: i32): bool {
  return qkx2(q, 32, 31, RMIN_W, RDELTA_W, 36, false, true);
}
function q5wExact(q: i32): void {
  qkx2(q, 32, 31, RMIN_W, RDELTA_W, 36, false, false);
}
function q2wFast(q: i32): bool {
  return qkx2(q, 16, 3, RMIN_W, RDELTA_W, 36, false, true);
}
function q2wExact(q: i32): void {
  qkx2(q, 16, 3, RMIN_W, RDELTA_W, 36, false, false);
}

/**
 * The searches with an importance matrix: make_qkx3_quants(n, nmax, x, weights, L, &min, Laux,
 * -0.9f, 0.05f, 36, false). With weights given and nstep >= 1 its steps are make_qkx2_quants's
 * (same first fit, tries, sums, least-squares scale and min, squared error, strict improvement;
 * its flat test max <= min holds exactly when max == min, since min <= x[0] <= max or a NaN
 * fails both), so qkx2 runs it. Quartets q and q + 1; the weights at +OFF_W.
 */
export function searchQ4_Kw(q: i32): void {
  if (!q4wFast(q)) q4wExact(q);
}
export function searchQ5_Kw(q: i32): void {
  if (!q5wFast(q)) q5wExact(q);
}
export function searchQ2_Kw(q: i32): void {
  if (!q2wFast(q)) q2wExact(q);
}

/** The Q4_K search of quartets q and q + 1: n = 32, nmax = 15, rmin = -1, rdelta = 0.1, nstep = 20, squared error. */
export function searchQ4_K(q: i32): void {
  if (!q4Fast(q)) q4Exact(q);
}

/** The Q5_K search of quartets q and q + 1: n = 32, nmax = 31, rmin = -0.5, rdelta = 0.1, nstep = 15, squared error. */
export function searchQ5_K(q: i32): void {
  if (!q5Fast(q)) q5Exact(q);
}

/** The Q2_K search of quartets q and q + 1: n = 16, nmax = 3, rmin = -0.5, rdelta = 0.1, nstep = 15, absolute error. */
export function searchQ2_K(q: i32): void {
  if (!q2Fast(q)) q2Exact(q);
}

/**
 * The levels make_qkx2_quants left in L for group g of `n` elements at x (element-major):
 * those of the kept try, or zeros for a flat group. Written as bytes to l.
 */
export function levelsOfSearch(x: usize, l: usize, g: i32, n: i32, nmax: i32): void {
  const gi = <usize>g << 2;
  if (load<i32>(FLAT + gi) != 0) {
    memory.fill(l, 0, n);
    return;
  }
  const iscale = f32x4.splat(load<f32>(LISCALE + gi));
  const min = f32x4.splat(load<f32>(LMIN + gi));
  for (let i = 0; i < n; i++) {
    const v = f32x4.splat(load<f32>(x + (<usize>i << 2)));
    store<u8>(l + i, <u8>i32x4.extract_lane(clampV(nearestIntV(f32x4.mul(iscale, f32x4.sub(v, min))), 0, nmax), 0));
  }
}
