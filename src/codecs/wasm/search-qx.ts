// @ts-nocheck  AssemblyScript (compiled by asc, not by the project's tsc)
/**
 * ggml's symmetric searches, make_qx_quants (as Q6_K calls it: rmse_type 1, no quant weights)
 * and make_q3_quants (as Q3_K calls it: do_rmse), on four groups of 16 at once, one group per
 * f32x4 lane, each lane doing the reference's operations in the reference's order.
 *
 * Input: XT rows of one quartet (element i of its 4 groups at +16 * i). Output at index
 * 4 * q + lane: SCALES, and FLAT for an all-zero group (levels all 0); make_qx_quants also
 * leaves LISCALE (the iscale whose levels the group kept), make_q3_quants its final levels
 * (-nmax..nmax-1, as f32 lanes) in LVT at quartet q.
 */
import { clampV, nearestIntV, sel, LT, LVT, SCALES, LISCALE, FLAT, WT, WXT } from './common';

/** GROUP_MAX_EPS (1e-15f): below this largest magnitude a group counts as all zero. */
const GROUP_MAX_EPS: f32 = 1e-15;

/** The value of largest magnitude in each lane (the first one on ties), and whether it is below GROUP_MAX_EPS. */
@inline function signedMax(xt: usize, n: i32): v128 {
  let max = f32x4.splat(0);
  let amax = f32x4.splat(0);
  for (let i = 0; i < n; i++) {
    const x = v128.load(xt + (<usize>i << 4));
    const ax = f32x4.abs(x);
    const upd = f32x4.gt(ax, amax);
    amax = sel(ax, amax, upd);
    max = sel(x, max, upd);
  }
  v128.store(LT, f32x4.lt(amax, f32x4.splat(GROUP_MAX_EPS)));
  return max;
}

/** Levels clamp(nearest_int(iscale * x), -nmax, nmax - 1) as f32 lanes. */
@inline function symLevels(x: v128, iscale: v128, nmax: i32): v128 {
  return f32x4.convert_i32x4_s(clampV(nearestIntV(f32x4.mul(iscale, x)), -nmax, nmax - 1));
}

let sumLX: v128 = f32x4.splat(0);
let sumL2: v128 = f32x4.splat(0);

/** sumlx += (w * x) * l and suml2 += (w * l) * l over the quartet, w = x^2 (WT, WXT = w * x). */
@inline function qxSums(xt: usize, iscale: v128, n: i32, nmax: i32): void {
  let slx = f32x4.splat(0);
  let sl2 = f32x4.splat(0);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 4;
    const l = symLevels(v128.load(xt + o), iscale, nmax);
    slx = f32x4.add(slx, f32x4.mul(v128.load(WXT + o), l));
    sl2 = f32x4.add(sl2, f32x4.mul(f32x4.mul(v128.load(WT + o), l), l));
  }
  sumLX = slx;
  sumL2 = sl2;
}

/** matches make_qx_quants(16, 32, x, L, 1, NULL), the Q6_K group search, for quartet q. */
export function searchQ6_K(xt: usize, q: i32): void {
  const n = 16;
  const nmax = 32;
  const zero = f32x4.splat(0);
  const max = signedMax(xt, n);
  const allZero = v128.load(LT);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 4;
    const x = v128.load(xt + o);
    const w = f32x4.mul(x, x);
    v128.store(WT + o, w);
    v128.store(WXT + o, f32x4.mul(w, x));
  }
  let iscale = f32x4.div(f32x4.splat(<f32>-nmax), max);
  qxSums(xt, iscale, n, nmax);
  let scale = sel(f32x4.div(sumLX, sumL2), zero, f32x4.ne(sumL2, zero));
  let best = f32x4.mul(scale, sumLX);
  let kept = iscale;
  for (let is = -9; is <= 9; is++) {
    if (is == 0) continue;
    const num: f32 = -(<f32>nmax + <f32>0.1 * <f32>is);
    iscale = f32x4.div(f32x4.splat(num), max);
    qxSums(xt, iscale, n, nmax);
    const win = v128.and(f32x4.gt(sumL2, zero), f32x4.gt(f32x4.mul(sumLX, sumLX), f32x4.mul(best, sumL2)));
    if (!v128.any_true(win)) continue;
    const s = f32x4.div(sumLX, sumL2);
    scale = sel(s, scale, win);
    best = sel(f32x4.mul(s, sumLX), best, win);
    kept = sel(iscale, kept, win);
  }
  const r = <usize>q << 4;
  v128.store(SCALES + r, sel(zero, scale, allZero));
  v128.store(LISCALE + r, kept);
  v128.store(FLAT + r, allZero);
}

/** matches make_q3_quants(16, 4, x, L, true), the Q3_K group search, for quartet q. */
export function searchQ3_K(xt: usize, q: i32): void {
  const n = 16;
  const nmax = 4;
  const zero = f32x4.splat(0);
  const max = signedMax(xt, n);
  const allZero = v128.load(LT);
  const lv = LVT + (<usize>q << 8);
  const iscale = f32x4.div(f32x4.splat(<f32>-nmax), max);
  let sumlx = zero;
  let suml2 = zero;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 4;
    const x = v128.load(xt + o);
    const l = symLevels(x, iscale, nmax);
    v128.store(lv + o, l);
    const w = f32x4.mul(x, x);
    sumlx = f32x4.add(sumlx, f32x4.mul(f32x4.mul(w, x), l));
    suml2 = f32x4.add(suml2, f32x4.mul(f32x4.mul(w, l), l));
  }
  // A lane whose pass changes nothing would change nothing in any later pass (same state,
  // same arithmetic), so running the passes until every lane is settled matches the
  // reference's per-group early exit.
  for (let itry = 0; itry < 5; itry++) {
    let changed = zero;
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 4;
      const x = v128.load(xt + o);
      const w = f32x4.mul(x, x);
      const wx = f32x4.mul(w, x);
      const li = v128.load(lv + o);
      let slx = f32x4.sub(sumlx, f32x4.mul(wx, li));
      const pos = f32x4.gt(slx, zero);
      let sl2 = f32x4.sub(suml2, f32x4.mul(f32x4.mul(w, li), li));
      const nl = f32x4.convert_i32x4_s(clampV(nearestIntV(f32x4.div(f32x4.mul(x, sl2), slx)), -nmax, nmax - 1));
      const moved = f32x4.ne(nl, li);
      slx = f32x4.add(slx, f32x4.mul(wx, nl));
      sl2 = f32x4.add(sl2, f32x4.mul(f32x4.mul(w, nl), nl));
      const better = v128.and(
        f32x4.gt(sl2, zero),
        f32x4.gt(f32x4.mul(f32x4.mul(slx, slx), suml2), f32x4.mul(f32x4.mul(sumlx, sumlx), sl2)),
      );
      const take = v128.and(v128.and(pos, moved), better);
      v128.store(lv + o, sel(nl, li, take));
      sumlx = sel(slx, sumlx, take);
      suml2 = sel(sl2, suml2, take);
      changed = v128.or(changed, take);
    }
    if (!v128.any_true(changed)) break;
  }
  const r = <usize>q << 4;
  v128.store(SCALES + r, sel(zero, sel(f32x4.div(sumlx, suml2), zero, f32x4.gt(suml2, zero)), allZero));
  v128.store(FLAT + r, allZero);
}
