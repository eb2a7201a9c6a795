// @ts-nocheck  AssemblyScript (compiled by asc, not by the project's tsc)
/**
 * ggml's symmetric searches, make_qx_quants (as Q6_K calls it: rmse_type 1, no quant weights)
 * and make_q3_quants (as Q3_K calls it: do_rmse), on four groups of 16 at once, one group per
 * f32x4 lane, each lane doing the reference's operations in the reference's order.
 *
 * Input: quartet(q) rows of x (element i of its 4 groups at +16 * i). Output at index
 * 4 * q + lane: SCALES, and FLAT for an all-zero group (levels all 0); make_qx_quants also
 * leaves LISCALE (the iscale whose levels the group kept), make_q3_quants its final levels.
 */
import { clampV, nearestIntV, sel, quartet, OFF_W, OFF_L, SCALES, LISCALE, FLAT } from './common';

/** GROUP_MAX_EPS (1e-15f): below this largest magnitude a group counts as all zero. */
const GROUP_MAX_EPS: f32 = 1e-15;
/** 1.5 * 2^23: adding it rounds a float32 of magnitude below 2^22 to an integer, half to even. */
const MAGIC: f32 = 12582912.0;

/** The value of largest magnitude in each lane of quartet rows [base, end), the first one on ties. */
@inline function signedMax(base: usize, end: usize): v128 {
  let max = f32x4.splat(0);
  let amax = f32x4.splat(0);
  for (let p = base; p < end; p += 16) {
    const x = v128.load(p);
    const ax = f32x4.abs(x);
    const upd = f32x4.gt(ax, amax);
    amax = sel(ax, amax, upd);
    max = sel(x, max, upd);
  }
  return max;
}

/**
 * Levels clamp(nearest_int(iscale * x), -nmax, nmax - 1) as f32 lanes. The fast form (for
 * finite x, where |iscale * x| <= nmax + 1 is far inside nearest_int's range) rounds by adding
 * and subtracting MAGIC and clamps in float.
 */
@inline function symLevels(x: v128, iscale: v128, nmax: i32, fast: bool): v128 {
  const t = f32x4.mul(iscale, x);
  if (fast) {
    const m = f32x4.splat(MAGIC);
    const r = f32x4.sub(f32x4.add(t, m), m);
    return f32x4.pmin(f32x4.pmax(r, f32x4.splat(<f32>-nmax)), f32x4.splat(<f32>(nmax - 1)));
  }
  return f32x4.convert_i32x4_s(clampV(nearestIntV(t), -nmax, nmax - 1));
}

/**
 * matches make_qx_quants(16, 32, x, L, 1, NULL), the Q6_K group search, for quartet q
 * (w = x^2 at +OFF_W, w * x at +OFF_L). The fast instance refuses a quartet holding a
 * non-finite value (returns false), which the exact instance then takes.
 */
@inline function qx(q: i32, fast: bool): bool {
  const n = 16;
  const nmax = 32;
  const zero = f32x4.splat(0);
  const base = quartet(q);
  const end = base + (<usize>n << 4);
  const max = signedMax(base, end);
  if (fast) {
    const inf = f32x4.splat(Infinity);
    let finite = f32x4.splat(1);
    for (let p = base; p < end; p += 16) finite = v128.and(finite, f32x4.lt(f32x4.abs(v128.load(p)), inf));
    if (!v128.all_true<i32>(finite)) return false;
  }
  const allZero = f32x4.lt(f32x4.abs(max), f32x4.splat(GROUP_MAX_EPS));
  for (let p = base; p < end; p += 16) {
    const x = v128.load(p);
    const w = f32x4.mul(x, x);
    v128.store(p, w, OFF_W);
    v128.store(p, f32x4.mul(w, x), OFF_L);
  }
  let iscale = f32x4.div(f32x4.splat(<f32>-nmax), max);
  let kept = iscale;
  let scale = zero;
  let best = zero;
  // is = 0 is the first fit; is = -9..9 (not 0) are the tries
  for (let is = -10; is <= 9; is++) {
    if (is == 0) continue;
    if (is > -10) iscale = f32x4.div(f32x4.splat(-(<f32>nmax + <f32>0.1 * <f32>is)), max);
    let sumlx = zero;
    let suml2 = zero;
    for (let p = base; p < end; p += 16) {
      const l = symLevels(v128.load(p), iscale, nmax, fast);
      sumlx = f32x4.add(sumlx, f32x4.mul(v128.load(p, OFF_L), l));
      suml2 = f32x4.add(suml2, f32x4.mul(f32x4.mul(v128.load(p, OFF_W), l), l));
    }
    if (is == -10) {
      scale = sel(f32x4.div(sumlx, suml2), zero, f32x4.ne(suml2, zero));
      best = f32x4.mul(scale, sumlx);
      continue;
    }
    const win = v128.and(f32x4.gt(suml2, zero), f32x4.gt(f32x4.mul(sumlx, sumlx), f32x4.mul(best, suml2)));
    if (!v128.any_true(win)) continue;
    const s = f32x4.div(sumlx, suml2);
    scale = sel(s, scale, win);
    best = sel(f32x4.mul(s, sumlx), best, win);
    kept = sel(iscale, kept, win);
  }
  const r = <usize>q << 4;
  v128.store(SCALES + r, sel(zero, scale, allZero));
  v128.store(LISCALE + r, kept);
  v128.store(FLAT + r, allZero);
  return true;
}

function q6Fast(q: i32): bool {
  return qx(q, true);
}
function q6Exact(q: i32): void {
  qx(q, false);
}

/** The Q6_K search of quartet q. */
export function searchQ6_K(q: i32): void {
  if (!q6Fast(q)) q6Exact(q);
}

/**
 * matches make_q3_quants(16, 4, x, L, true), the Q3_K group search, for quartet q; the levels
 * it settles on (-4..3, as f32 lanes) stay at +OFF_L.
 */
export function searchQ3_K(q: i32): void {
  const n = 16;
  const nmax = 4;
  const zero = f32x4.splat(0);
  const base = quartet(q);
  const end = base + (<usize>n << 4);
  const max = signedMax(base, end);
  const allZero = f32x4.lt(f32x4.abs(max), f32x4.splat(GROUP_MAX_EPS));
  const iscale = f32x4.div(f32x4.splat(<f32>-nmax), max);
  let sumlx = zero;
  let suml2 = zero;
  for (let p = base; p < end; p += 16) {
    const x = v128.load(p);
    const l = symLevels(x, iscale, nmax, false);
    v128.store(p, l, OFF_L);
    const w = f32x4.mul(x, x);
    sumlx = f32x4.add(sumlx, f32x4.mul(f32x4.mul(w, x), l));
    suml2 = f32x4.add(suml2, f32x4.mul(f32x4.mul(w, l), l));
  }
  // A lane whose pass changes nothing would change nothing in any later pass (same state,
  // same arithmetic), so running the passes until every lane is settled matches the
  // reference's per-group early exit.
  for (let itry = 0; itry < 5; itry++) {
    let changed = zero;
    for (let p = base; p < end; p += 16) {
      const x = v128.load(p);
      const w = f32x4.mul(x, x);
      const wx = f32x4.mul(w, x);
      const li = v128.load(p, OFF_L);
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
      v128.store(p, sel(nl, li, take), OFF_L);
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
