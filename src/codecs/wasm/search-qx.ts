/**
 * ggml's symmetric searches, make_qx_quants (rmse_type 1: as Q6_K calls it without quant weights,
 * and as Q3_K and Q6_K call it with them) and make_q3_quants (as Q3_K calls it: do_rmse), on four groups of 16 at once, one group per
 * f32x4 lane (make_qx_quants on two such quartets in lockstep), each lane doing the reference's
 * operations in the reference's order.
 *
 * Input: quartet(q) rows of x (element i of its 4 groups at +16 * i). Output at index
 * 4 * q + lane: SCALES, and FLAT for an all-zero group (levels all 0); make_qx_quants also
 * leaves LISCALE (the iscale whose levels the group kept), make_q3_quants its final levels.
 */
import { clampV, nearestIntV, sel, quartet, OFF_W, OFF_L, QUARTET_BYTES, SCALES, LISCALE, FLAT } from './common';

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

/** The next quartet's rows, relative to a row of this one. */
const NEXT: usize = QUARTET_BYTES;

/** Whether every x of the quartet rows [base, end) is finite. */
@inline function allFinite(base: usize, end: usize): bool {
  const inf = f32x4.splat(Infinity);
  let finite = f32x4.splat(1);
  for (let p = base; p < end; p += 16) finite = v128.and(finite, f32x4.lt(f32x4.abs(v128.load(p)), inf));
  return v128.all_true<i32>(finite);
}

/** w = x^2 at +OFF_W and w * x at +OFF_L, for the rows [base, end). */
@inline function weights(base: usize, end: usize): void {
  for (let p = base; p < end; p += 16) {
    const x = v128.load(p);
    const w = f32x4.mul(x, x);
    v128.store(p, w, OFF_W);
    v128.store(p, f32x4.mul(w, x), OFF_L);
  }
}

/**
 * matches make_qx_quants(16, nmax, x, L, 1, weights) for quartets qa and qa + 1 in lockstep
 * (their sums are independent chains that overlap): with weights (given), the caller has put
 * them at +OFF_W and weight * x at +OFF_L; without (Q6_K's _ref), they are x^2, as ggml's
 * rmse_type 1. The fast instance refuses quartets holding a non-finite x (returns false),
 * which the exact one then takes; the weights do not enter the levels, so they may be anything.
 */
@inline function qx(qa: i32, nmax: i32, given: bool, fast: bool): bool {
  const n = 16;
  const zero = f32x4.splat(0);
  const a = quartet(qa);
  const end = a + (<usize>n << 4);
  const maxA = signedMax(a, end);
  const maxB = signedMax(a + NEXT, end + NEXT);
  if (fast && !(allFinite(a, end) && allFinite(a + NEXT, end + NEXT))) return false;
  const eps = f32x4.splat(GROUP_MAX_EPS);
  const allZeroA = f32x4.lt(f32x4.abs(maxA), eps);
  const allZeroB = f32x4.lt(f32x4.abs(maxB), eps);
  if (!given) {
    weights(a, end);
    weights(a + NEXT, end + NEXT);
  }
  const first = f32x4.splat(<f32>-nmax);
  let iscaleA = f32x4.div(first, maxA);
  let iscaleB = f32x4.div(first, maxB);
  let keptA = iscaleA;
  let keptB = iscaleB;
  let scaleA = zero;
  let scaleB = zero;
  let bestA = zero;
  let bestB = zero;
  // is = -10 stands for the first fit; is = -9..9 (not 0) are the tries
  for (let is = -10; is <= 9; is++) {
    if (is == 0) continue;
    if (is > -10) {
      const num = f32x4.splat(-(<f32>nmax + <f32>0.1 * <f32>is));
      iscaleA = f32x4.div(num, maxA);
      iscaleB = f32x4.div(num, maxB);
    }
    let lxA = zero;
    let l2A = zero;
    let lxB = zero;
    let l2B = zero;
    for (let p = a; p < end; p += 16) {
      const la = symLevels(v128.load(p), iscaleA, nmax, fast);
      lxA = f32x4.add(lxA, f32x4.mul(v128.load(p, OFF_L), la));
      l2A = f32x4.add(l2A, f32x4.mul(f32x4.mul(v128.load(p, OFF_W), la), la));
      const lb = symLevels(v128.load(p, NEXT), iscaleB, nmax, fast);
      lxB = f32x4.add(lxB, f32x4.mul(v128.load(p, NEXT + OFF_L), lb));
      l2B = f32x4.add(l2B, f32x4.mul(f32x4.mul(v128.load(p, NEXT + OFF_W), lb), lb));
    }
    if (is == -10) {
      scaleA = sel(f32x4.div(lxA, l2A), zero, f32x4.ne(l2A, zero));
      scaleB = sel(f32x4.div(lxB, l2B), zero, f32x4.ne(l2B, zero));
      bestA = f32x4.mul(scaleA, lxA);
      bestB = f32x4.mul(scaleB, lxB);
      continue;
    }
    const winA = v128.and(f32x4.gt(l2A, zero), f32x4.gt(f32x4.mul(lxA, lxA), f32x4.mul(bestA, l2A)));
    const winB = v128.and(f32x4.gt(l2B, zero), f32x4.gt(f32x4.mul(lxB, lxB), f32x4.mul(bestB, l2B)));
    if (!v128.any_true(v128.or(winA, winB))) continue;
    const sA = f32x4.div(lxA, l2A);
    const sB = f32x4.div(lxB, l2B);
    scaleA = sel(sA, scaleA, winA);
    scaleB = sel(sB, scaleB, winB);
    bestA = sel(f32x4.mul(sA, lxA), bestA, winA);
    bestB = sel(f32x4.mul(sB, lxB), bestB, winB);
    keptA = sel(iscaleA, keptA, winA);
    keptB = sel(iscaleB, keptB, winB);
  }
  const r = <usize>qa << 4;
  v128.store(SCALES + r, sel(zero, scaleA, allZeroA));
  v128.store(SCALES + r, sel(zero, scaleB, allZeroB), 16);
  v128.store(LISCALE + r, keptA);
  v128.store(LISCALE + r, keptB, 16);
  v128.store(FLAT + r, allZeroA);
  v128.store(FLAT + r, allZeroB, 16);
  return true;
}

function q6Fast(q: i32): bool {
  return qx(q, 32, false, true);
}
function q6Exact(q: i32): void {
  qx(q, 32, false, false);
}
function q6wFast(q: i32): bool {
  return qx(q, 32, true, true);
}
function q6wExact(q: i32): void {
  qx(q, 32, true, false);
}
function q3wFast(q: i32): bool {
  return qx(q, 4, true, true);
}
function q3wExact(q: i32): void {
  qx(q, 4, true, false);
}

/** The Q6_K search of quartets q and q + 1. */
export function searchQ6_K(q: i32): void {
  if (!q6Fast(q)) q6Exact(q);
}

/** quantize_row_q6_K_impl's search (nmax 32) of quartets q and q + 1, weights and weight * x given. */
export function searchQ6_Kw(q: i32): void {
  if (!q6wFast(q)) q6wExact(q);
}

/** quantize_row_q3_K_impl's search (make_qx_quants, nmax 4) of quartets q and q + 1, weights and weight * x given. */
export function searchQ3_Kw(q: i32): void {
  if (!q3wFast(q)) q3wExact(q);
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
