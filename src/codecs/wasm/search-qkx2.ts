// @ts-nocheck  AssemblyScript (compiled by asc, not by the project's tsc)
/**
 * ggml's make_qkx2_quants on four groups at once, one group per f32x4 lane. Each lane runs the
 * reference's loop for its own group: the same operations in the same order, sums accumulated
 * element by element, so every lane ends with the scalar code's bits. Branches of the
 * reference become lane masks: a lane whose try does not win keeps its state.
 *
 * Input: XT / WT rows (element i of the 4 groups at +16 * i). Output per lane (group g of the
 * quartet q, at index 4 * q + g): SCALES, MINS (-min), and, instead of the levels themselves,
 * the iscale and min of the try whose levels the group kept (LISCALE, LMIN; FLAT for the
 * all-equal case), since the K-quant encoders re-quantize every group whose scale does not
 * round to zero and need the search's levels only for the others (see levelsOfSearch).
 */
import { clampV, nearestIntV, sel, LT, SCALES, MINS, LISCALE, LMIN, FLAT } from './common';

/** The levels of one try as f32 lanes: clamp(nearest_int(iscale * (x - min)), 0, nmax). */
@inline function levels(x: v128, min: v128, iscale: v128, nmax: i32): v128 {
  return f32x4.convert_i32x4_s(clampV(nearestIntV(f32x4.mul(iscale, f32x4.sub(x, min))), 0, nmax));
}

/** The error term of one element: w * |diff| (use_mad) or w * diff^2, diff = scale * l + min - x. */
@inline function errTerm(x: v128, w: v128, l: v128, scale: v128, min: v128, mad: bool): v128 {
  const diff = f32x4.sub(f32x4.add(f32x4.mul(scale, l), min), x);
  return f32x4.mul(w, mad ? f32x4.abs(diff) : f32x4.mul(diff, diff));
}

/**
 * matches make_qkx2_quants(n, nmax, x, weights, L, &the_min, Laux, rmin, rdelta, nstep, use_mad)
 * for the 4 groups of quartet q.
 */
@inline function qkx2(xt: usize, wt: usize, q: i32, n: i32, nmax: i32, rmin: f32, rdelta: f32, nstep: i32, mad: bool): void {
  const zero = f32x4.splat(0);
  let min = v128.load(xt);
  let max = min;
  let sumW = v128.load(wt);
  let sumX = f32x4.mul(sumW, min);
  for (let i = 1; i < n; i++) {
    const x = v128.load(xt + (<usize>i << 4));
    const w = v128.load(wt + (<usize>i << 4));
    min = sel(x, min, f32x4.lt(x, min));
    max = sel(x, max, f32x4.gt(x, max));
    sumW = f32x4.add(sumW, w);
    sumX = f32x4.add(sumX, f32x4.mul(w, x));
  }
  min = sel(zero, min, f32x4.gt(min, zero));
  const flat = f32x4.eq(max, min);
  const flatMin = min;
  let iscale = f32x4.div(f32x4.splat(<f32>nmax), f32x4.sub(max, min));
  let scale = f32x4.div(f32x4.splat(1), iscale);
  let best = zero;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 4;
    const x = v128.load(xt + o);
    best = f32x4.add(best, errTerm(x, v128.load(wt + o), levels(x, min, iscale, nmax), scale, min, mad));
  }
  let keptIscale = iscale;
  let keptMin = min;
  for (let is = 0; is <= nstep; is++) {
    const num: f32 = rmin + rdelta * <f32>is + <f32>nmax;
    iscale = f32x4.div(f32x4.splat(num), f32x4.sub(max, min));
    let sumL = zero;
    let sumL2 = zero;
    let sumXL = zero;
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 4;
      const x = v128.load(xt + o);
      const l = levels(x, min, iscale, nmax);
      v128.store(LT + o, l);
      const wl = f32x4.mul(v128.load(wt + o), l);
      sumL = f32x4.add(sumL, wl);
      sumL2 = f32x4.add(sumL2, f32x4.mul(wl, l));
      sumXL = f32x4.add(sumXL, f32x4.mul(wl, x));
    }
    const D = f32x4.sub(f32x4.mul(sumW, sumL2), f32x4.mul(sumL, sumL));
    const live = f32x4.gt(D, zero);
    if (!v128.any_true(live)) continue;
    let thisScale = f32x4.div(f32x4.sub(f32x4.mul(sumW, sumXL), f32x4.mul(sumX, sumL)), D);
    let thisMin = f32x4.div(f32x4.sub(f32x4.mul(sumL2, sumX), f32x4.mul(sumL, sumXL)), D);
    const pos = f32x4.gt(thisMin, zero);
    thisMin = sel(zero, thisMin, pos);
    thisScale = sel(f32x4.div(sumXL, sumL2), thisScale, pos);
    // Every error term is >= 0 or NaN (weights are |x|-based), so a partial sum that has
    // reached best_error can only end >= best_error: stop once no live lane can still win.
    let cur = zero;
    for (let i = 0; i < n; i += 8) {
      for (let k = 0; k < 8; k++) {
        const o = <usize>(i + k) << 4;
        cur = f32x4.add(cur, errTerm(v128.load(xt + o), v128.load(wt + o), v128.load(LT + o), thisScale, thisMin, mad));
      }
      if (v128.all_true<i32>(v128.or(v128.not(live), f32x4.ge(cur, best)))) break;
    }
    const win = v128.and(live, f32x4.lt(cur, best));
    keptIscale = sel(iscale, keptIscale, win);
    keptMin = sel(min, keptMin, win);
    best = sel(cur, best, win);
    scale = sel(thisScale, scale, win);
    min = sel(thisMin, min, win);
  }
  const r = <usize>q << 4;
  v128.store(SCALES + r, sel(zero, scale, flat));
  v128.store(MINS + r, f32x4.neg(sel(flatMin, min, flat)));
  v128.store(LISCALE + r, keptIscale);
  v128.store(LMIN + r, keptMin);
  v128.store(FLAT + r, flat);
}

/** The Q4_K search: n = 32, nmax = 15, rmin = -1, rdelta = 0.1, nstep = 20, squared error. */
export function searchQ4_K(xt: usize, wt: usize, q: i32): void {
  qkx2(xt, wt, q, 32, 15, -1.0, 0.1, 20, false);
}

/** The Q5_K search: n = 32, nmax = 31, rmin = -0.5, rdelta = 0.1, nstep = 15, squared error. */
export function searchQ5_K(xt: usize, wt: usize, q: i32): void {
  qkx2(xt, wt, q, 32, 31, -0.5, 0.1, 15, false);
}

/** The Q2_K search: n = 16, nmax = 3, rmin = -0.5, rdelta = 0.1, nstep = 15, absolute error. */
export function searchQ2_K(xt: usize, wt: usize, q: i32): void {
  qkx2(xt, wt, q, 16, 3, -0.5, 0.1, 15, true);
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
