/**
 * The two scale searches ggml uses only when it has an importance matrix: make_qkx3_quants
 * (asymmetric levels with a min, from quantize_row_q{2,4,5}_K_impl and q4_1/q5_1) and
 * make_qp_quants (non-negative levels for the super-block scales), ggml-quants.c at llama.cpp
 * 34af94cd. One Math.fround per C float operation, sums in the reference's order.
 */
import { fr, nearestInt } from './quant-math';
import { GROUP_MAX_EPS } from './kquants-search';

/** -0.9f and 0.05f, the rmin / rdelta every imatrix caller passes (float constants). */
export const RMIN_QKX3 = Math.fround(-0.9);
export const RDELTA_QKX3 = Math.fround(0.05);
const TENTH = Math.fround(0.1);

/**
 * matches make_qkx3_quants with weights: levels 0..nmax in L[lo..lo+n) for x[xo..xo+n) with
 * element weights w[wo..wo+n); writes -min to mins[mo]; returns the scale. Laux: n bytes scratch.
 */
export function makeQkx3Quants(
  n: number,
  nmax: number,
  x: Float32Array,
  xo: number,
  w: Float32Array,
  wo: number,
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
  let sumW = w[wo]!;
  let sumX = fr(sumW * x[xo]!);
  for (let i = 1; i < n; i++) {
    const v = x[xo + i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    const wi = w[wo + i]!;
    sumW = fr(sumW + wi);
    sumX = fr(sumX + fr(wi * v));
  }
  if (min > 0) min = 0;
  if (max <= min) {
    L.fill(0, lo, lo + n);
    mins[mo] = -min;
    return 0;
  }
  let iscale = fr(nmax / fr(max - min));
  let scale = fr(1 / iscale);
  let bestMad = 0;
  for (let i = 0; i < n; i++) {
    const l = Math.max(0, Math.min(nmax, nearestInt(fr(iscale * fr(x[xo + i]! - min)))));
    L[lo + i] = l;
    let diff = fr(fr(fr(scale * l) + min) - x[xo + i]!);
    diff = useMad ? Math.abs(diff) : fr(diff * diff);
    bestMad = fr(bestMad + fr(w[wo + i]! * diff));
  }
  if (nstep < 1) {
    mins[mo] = -min;
    return scale;
  }
  for (let is = 0; is <= nstep; is++) {
    // min moves when a better fit is found, and later tries start from it, as in ggml
    iscale = fr(fr(fr(rmin + fr(rdelta * is)) + nmax) / fr(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xo + i]!;
      const l = Math.max(0, Math.min(nmax, nearestInt(fr(iscale * fr(v - min)))));
      Laux[i] = l;
      const wl = fr(w[wo + i]! * l);
      sumL = fr(sumL + wl);
      sumL2 = fr(sumL2 + fr(wl * l));
      sumXL = fr(sumXL + fr(wl * v));
    }
    const D = fr(fr(sumW * sumL2) - fr(sumL * sumL));
    if (D > 0) {
      let thisScale = fr(fr(fr(sumW * sumXL) - fr(sumX * sumL)) / D);
      let thisMin = fr(fr(fr(sumL2 * sumX) - fr(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = fr(sumXL / sumL2);
      }
      let mad = 0;
      for (let i = 0; i < n; i++) {
        let diff = fr(fr(fr(thisScale * Laux[i]!) + thisMin) - x[xo + i]!);
        diff = useMad ? Math.abs(diff) : fr(diff * diff);
        mad = fr(mad + fr(w[wo + i]! * diff));
      }
      if (mad < bestMad) {
        for (let i = 0; i < n; i++) L[lo + i] = Laux[i]!;
        bestMad = mad;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  mins[mo] = -min;
  return scale;
}

/**
 * matches make_qp_quants: levels 0..nmax for the non-negative x[0..n) (super-block scales or
 * mins) weighted by qw, refined by up to five passes of single-level moves. Returns the scale.
 */
export function makeQpQuants(n: number, nmax: number, x: Float32Array, L: Uint8Array, qw: Float32Array): number {
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, x[i]!);
  if (max < GROUP_MAX_EPS) {
    L.fill(0, 0, n);
    return 0;
  }
  let iscale = fr(nmax / max);
  for (let i = 0; i < n; i++) L[i] = nearestInt(fr(iscale * x[i]!)) & 0xff;
  const scale = fr(1 / iscale);
  let bestMse = 0;
  for (let i = 0; i < n; i++) {
    const diff = fr(x[i]! - fr(scale * L[i]!));
    bestMse = fr(bestMse + fr(fr(qw[i]! * diff) * diff));
  }
  for (let is = -4; is <= 4; is++) {
    if (is === 0) continue;
    const iscaleIs = fr(fr(fr(TENTH * is) + nmax) / max);
    const scaleIs = fr(1 / iscaleIs);
    let mse = 0;
    for (let i = 0; i < n; i++) {
      const l = Math.min(nmax, nearestInt(fr(iscaleIs * x[i]!)));
      const diff = fr(x[i]! - fr(scaleIs * l));
      mse = fr(mse + fr(fr(qw[i]! * diff) * diff));
    }
    if (mse < bestMse) {
      bestMse = mse;
      iscale = iscaleIs;
    }
  }
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const l = Math.min(nmax, nearestInt(fr(iscale * x[i]!)));
    // L is uint8_t in ggml: a negative level (IQ2_XXS feeds a flipped sign) wraps there, but
    // these sums use the int
    L[i] = l & 0xff;
    const wi = qw[i]!;
    sumlx = fr(sumlx + fr(fr(wi * x[i]!) * l));
    suml2 = fr(suml2 + fr(fr(wi * l) * l));
  }
  for (let itry = 0; itry < 5; itry++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const wi = qw[i]!;
      let slx = fr(sumlx - fr(fr(wi * x[i]!) * L[i]!));
      let sl2 = fr(suml2 - fr(fr(wi * L[i]!) * L[i]!));
      if (slx > 0 && sl2 > 0) {
        const newL = Math.min(nmax, nearestInt(fr(fr(x[i]! * sl2) / slx)));
        if (newL !== L[i]) {
          slx = fr(slx + fr(fr(wi * x[i]!) * newL));
          sl2 = fr(sl2 + fr(fr(wi * newL) * newL));
          if (fr(fr(slx * slx) * suml2) > fr(fr(sumlx * sumlx) * sl2)) {
            L[i] = newL & 0xff;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (changed === 0) break;
  }
  return suml2 > 0 ? fr(sumlx / suml2) : 0;
}
