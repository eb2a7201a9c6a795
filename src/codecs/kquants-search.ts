/**
 * The scale searches behind ggml's K-quant reference quantizers (make_qx_quants,
 * make_q3_quants, make_qkx2_quants in ggml-quants.c), replicated in float32 step by step:
 * each C float operation is one Math.fround, sums accumulate in the reference's order, and
 * nearest_int is ggml's. They take arrays plus offsets so the callers never allocate.
 */
import { fr, nearestInt } from './quant-math';

/** GROUP_MAX_EPS (1e-15f): below this largest magnitude a group counts as all zero. */
export const GROUP_MAX_EPS = Math.fround(1e-15);
const TENTH = Math.fround(0.1);

/** The element weight make_qx_quants uses when it is given no quant_weights. */
function rmseWeight(rmseType: number, v: number): number {
  if (rmseType === 1) return fr(v * v);
  if (rmseType === 2) return 1;
  if (rmseType === 3) return Math.abs(v);
  return fr(Math.sqrt(Math.abs(v)));
}

/**
 * matches make_qx_quants: symmetric levels -nmax..nmax-1 stored as l + nmax in L[lo..lo+n).
 * Returns the scale. `qw` (with offset qwo) replaces the rmse_type weights when given.
 */
export function makeQxQuants(
  n: number,
  nmax: number,
  x: Float32Array,
  xo: number,
  L: Uint8Array,
  lo: number,
  rmseTypeIn: number,
  qw: Float32Array | null,
  qwo: number,
): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]!);
    if (ax > amax) {
      amax = ax;
      max = x[xo + i]!;
    }
  }
  if (amax < GROUP_MAX_EPS) {
    L.fill(0, lo, lo + n);
    return 0;
  }
  let iscale = fr(-nmax / max);
  if (rmseTypeIn === 0) {
    for (let i = 0; i < n; i++) {
      const l = nearestInt(fr(iscale * x[xo + i]!));
      L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, l));
    }
    return fr(1 / iscale);
  }
  const returnEarly = rmseTypeIn < 0;
  const rmseType = returnEarly ? -rmseTypeIn : rmseTypeIn;
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i]!;
    let l = nearestInt(fr(iscale * v));
    l = Math.max(-nmax, Math.min(nmax - 1, l));
    L[lo + i] = l + nmax;
    const w = qw ? qw[qwo + i]! : rmseWeight(rmseType, v);
    sumlx = fr(sumlx + fr(fr(w * v) * l));
    suml2 = fr(suml2 + fr(fr(w * l) * l));
  }
  let scale = suml2 !== 0 ? fr(sumlx / suml2) : 0;
  if (returnEarly) return suml2 > 0 ? fr(0.5 * fr(scale + fr(1 / iscale))) : fr(1 / iscale);
  let best = fr(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = fr(-fr(nmax + fr(TENTH * is)) / max);
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xo + i]!;
      let l = nearestInt(fr(iscale * v));
      l = Math.max(-nmax, Math.min(nmax - 1, l));
      const w = qw ? qw[qwo + i]! : rmseWeight(rmseType, v);
      sumlx = fr(sumlx + fr(fr(w * v) * l));
      suml2 = fr(suml2 + fr(fr(w * l) * l));
    }
    if (suml2 > 0 && fr(sumlx * sumlx) > fr(best * suml2)) {
      for (let i = 0; i < n; i++) {
        const l = nearestInt(fr(iscale * x[xo + i]!));
        L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, l));
      }
      scale = fr(sumlx / suml2);
      best = fr(scale * sumlx);
    }
  }
  return scale;
}

/**
 * matches make_q3_quants: levels -nmax..nmax-1 (stored + nmax in L), refined with x^2 weights
 * by up to five passes of single-element moves when doRmse is set. Returns the scale.
 */
export function makeQ3Quants(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array, lo: number, doRmse: boolean): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]!);
    if (ax > amax) {
      amax = ax;
      max = x[xo + i]!;
    }
  }
  if (amax < GROUP_MAX_EPS) {
    L.fill(0, lo, lo + n);
    return 0;
  }
  const iscale = fr(-nmax / max);
  if (!doRmse) {
    for (let i = 0; i < n; i++) {
      const l = nearestInt(fr(iscale * x[xo + i]!));
      L[lo + i] = Math.max(-nmax, Math.min(nmax - 1, l)) + nmax;
    }
    return fr(1 / iscale);
  }
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i]!;
    let l = nearestInt(fr(iscale * v));
    l = Math.max(-nmax, Math.min(nmax - 1, l));
    L[lo + i] = l;
    const w = fr(v * v);
    sumlx = fr(sumlx + fr(fr(w * v) * l));
    suml2 = fr(suml2 + fr(fr(w * l) * l));
  }
  for (let itry = 0; itry < 5; itry++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xo + i]!;
      const w = fr(v * v);
      const li = L[lo + i]!;
      let slx = fr(sumlx - fr(fr(w * v) * li));
      if (slx > 0) {
        let sl2 = fr(suml2 - fr(fr(w * li) * li));
        let nl = nearestInt(fr(fr(v * sl2) / slx));
        nl = Math.max(-nmax, Math.min(nmax - 1, nl));
        if (nl !== li) {
          slx = fr(slx + fr(fr(w * v) * nl));
          sl2 = fr(sl2 + fr(fr(w * nl) * nl));
          if (sl2 > 0 && fr(fr(slx * slx) * suml2) > fr(fr(sumlx * sumlx) * sl2)) {
            L[lo + i] = nl;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (changed === 0) break;
  }
  for (let i = 0; i < n; i++) L[lo + i] = L[lo + i]! + nmax;
  return suml2 > 0 ? fr(sumlx / suml2) : 0;
}

/** x[xo..xo+n) - min in float32, kept while min stays (it moves only when a try wins). */
const xm = new Float32Array(256);
let xmMin = NaN;
function shiftByMin(x: Float32Array, xo: number, n: number, min: number): void {
  for (let i = 0; i < n; i++) xm[i] = x[xo + i]! - min;
  xmMin = min;
}

/**
 * matches make_qkx2_quants: asymmetric levels 0..nmax with a min (x ~ scale * l - theMin),
 * trying nstep + 1 scales around nmax / (max - min) and keeping the best weighted error
 * (absolute when useMad, else squared). Writes -min to mins[mo] and returns the scale.
 * weights[0..n) are the element weights; Laux needs n bytes of scratch; n <= 256.
 */
export function makeQkx2Quants(
  n: number,
  nmax: number,
  x: Float32Array,
  xo: number,
  weights: Float32Array,
  L: Uint8Array,
  lo: number,
  mins: Float32Array,
  mo: number,
  Laux: Uint8Array,
  rmin: number,
  rdelta: number,
  nstep: number,
  useMad: boolean,
): number {
  let min = x[xo]!;
  let max = x[xo]!;
  let sumW = weights[0]!;
  let sumX = fr(sumW * x[xo]!);
  let monotone = !(sumW < 0);
  for (let i = 1; i < n; i++) {
    const v = x[xo + i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    const w = weights[i]!;
    if (w < 0) monotone = false;
    sumW = fr(sumW + w);
    sumX = fr(sumX + fr(w * v));
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0, lo, lo + n);
    mins[mo] = -min;
    return 0;
  }
  let iscale = fr(nmax / fr(max - min));
  let scale = fr(1 / iscale);
  let bestError = 0;
  shiftByMin(x, xo, n, min);
  for (let i = 0; i < n; i++) {
    const v = x[xo + i]!;
    const l = Math.max(0, Math.min(nmax, nearestInt(fr(iscale * fr(v - min)))));
    L[lo + i] = l;
    let diff = fr(fr(fr(scale * l) + min) - v);
    diff = useMad ? Math.abs(diff) : fr(diff * diff);
    bestError = fr(bestError + fr(weights[i]! * diff));
  }
  if (nstep < 1) {
    mins[mo] = -min;
    return scale;
  }
  // Two shortcuts that cannot change the result: a try whose levels equal the previous try's
  // has the same error, which was already compared; and the error only grows term by term
  // (for weights >= 0), so a try can stop once it reaches the best error.
  let fresh = true;
  for (let is = 0; is <= nstep; is++) {
    // min moves whenever a better fit is found, and the later tries start from it (as in ggml)
    iscale = fr(fr(fr(rmin + fr(rdelta * is)) + nmax) / fr(max - min));
    let changed = fresh;
    fresh = false;
    if (min !== xmMin) shiftByMin(x, xo, n, min);
    for (let i = 0; i < n; i++) {
      let l = nearestInt(fr(iscale * xm[i]!));
      l = l < 0 ? 0 : l > nmax ? nmax : l;
      if (Laux[i] !== l) {
        Laux[i] = l;
        changed = true;
      }
    }
    if (!changed) continue;
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = Laux[i]!;
      const wl = fr(weights[i]! * l);
      sumL = fr(sumL + wl);
      sumL2 = fr(sumL2 + fr(wl * l));
      sumXL = fr(sumXL + fr(wl * x[xo + i]!));
    }
    const D = fr(fr(sumW * sumL2) - fr(sumL * sumL));
    if (D > 0) {
      let thisScale = fr(fr(fr(sumW * sumXL) - fr(sumX * sumL)) / D);
      let thisMin = fr(fr(fr(sumL2 * sumX) - fr(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = fr(sumXL / sumL2);
      }
      let curError = 0;
      for (let i = 0; i < n; i++) {
        let diff = fr(fr(fr(thisScale * Laux[i]!) + thisMin) - x[xo + i]!);
        diff = useMad ? Math.abs(diff) : fr(diff * diff);
        curError = fr(curError + fr(weights[i]! * diff));
        if (monotone && curError >= bestError) break;
      }
      if (curError < bestError) {
        for (let i = 0; i < n; i++) L[lo + i] = Laux[i]!;
        bestError = curError;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  mins[mo] = -min;
  return scale;
}
