/**
 * IQ3_XXS and IQ3_S encoders: per 32 elements, eight 4-element points of a 3-bit grid (levels
 * 1, 3, ..., 15 times a scale) plus sign bits; a 4-bit scale per 32, an f16 super-scale per 256.
 *
 * matches quantize_row_iq3_xxs_impl (grid 256) and quantize_row_iq3_s_impl (grid 512, block 32)
 * as ggml_quantize_chunk calls them without importance weights (weight = x^2). Both differ in
 * small ways that are kept: IQ3_XXS forces an even number of minus signs per 8 (flipping the
 * least important element), starts with every point "on grid" and skips groups below 1e-8;
 * IQ3_S stores 8 free sign bits, starts "off grid", skips only all-zero groups and, for such a
 * group, does not advance its qs / signs write position (so later groups land earlier).
 */
import { FLT_MAX, fr, checkScale, noFiniteNeighbour, nearestIntBits as nearestInt, offGrid as offGridError, writeF16 } from './iq-math';
import { fitQ2, gridLevels, iq3sGrid, iq3xxsGrid, neighbours, weightedFit, type SearchGrid } from './iq-search';
import { writeU32 } from './quant-math';

const K_MAX_Q = 8;
const GROUP_MAX_EPS_IQ3_XXS = fr(1e-8);
const FIFTH = fr(0.2);

const scales = new Float32Array(8);
const weight = new Float32Array(32);
const waux = new Float32Array(32);
const xval = new Float32Array(32);
const L = new Int8Array(32);
const Laux = new Int8Array(32);
const onGrid = new Uint8Array(8);
const onGridAux = new Uint8Array(8);
const blockSigns = new Uint8Array(4);
const gridIndex = new Int32Array(8);
let typeName = 'IQ3_XXS';

/** Weighted squared errors per (element, level), memoised within one neighbour search. */
const terms = new Float64Array(32);
const termStamp = new Int32Array(32);
let stamp = 0;

/**
 * matches iq3_find_best_neighbour: the neighbour nearest to xval/scale (weighted), first on
 * ties. Neighbours share most of their coordinates, so each (element, level) error is computed
 * once per search; the per-neighbour sums keep ggml's element order.
 */
function bestNeighbour(g: SearchGrid, u: number, xo: number, scale: number, out: Int8Array): number {
  const list = neighbours(g, u);
  const lev = g.lev;
  stamp = (stamp + 1) | 0;
  let best = FLT_MAX;
  let gi = -1;
  for (let n = 0; n < list.length; n++) {
    const p = list[n]! * 4;
    let d2 = 0;
    for (let i = 0; i < 4; i++) {
      const t = 8 * i + lev[p + i]!;
      if (termStamp[t] !== stamp) {
        const diff = fr(fr(scale * (2 * lev[p + i]! + 1)) - xval[xo + i]!);
        terms[t] = fr(fr(waux[xo + i]! * diff) * diff);
        termStamp[t] = stamp;
      }
      d2 = fr(d2 + terms[t]!);
    }
    if (d2 < best) {
      best = d2;
      gi = list[n]!;
    }
  }
  if (gi < 0) throw noFiniteNeighbour(typeName, scale);
  for (let i = 0; i < 4; i++) out[xo + i] = lev[gi * 4 + i]!;
  return gi;
}

/**
 * The scale search shared by both types, for the 32 values in xval (signs already split off):
 * nsteps candidate scales around max/15, then a refit of the points that were off the grid.
 * Leaves the chosen levels in L and the grid indices in gridIndex; returns the scale.
 */
function search(g: SearchGrid, max: number, nsteps: number, startOnGrid: number, allRefit: boolean): number {
  let best = 0;
  let scale = fr(max / (2 * K_MAX_Q - 1));
  onGrid.fill(startOnGrid);
  for (let is = -nsteps; is <= nsteps; is++) {
    const id = fr(fr(2 * K_MAX_Q - 1 + fr(is * FIFTH)) / max);
    const thisScale = fr(1 / id);
    for (let k = 0; k < 8; k++) {
      const u = gridLevels(g, K_MAX_Q, id, xval, 4 * k, Laux);
      onGridAux[k] = 1;
      if (g.map[u]! < 0) {
        onGridAux[k] = 0;
        bestNeighbour(g, u, 4 * k, thisScale, Laux);
      }
    }
    const sumqx = weightedFit(weight, xval, Laux);
    const sumq2 = fitQ2;
    if (sumq2 > 0 && fr(sumqx * sumqx) > fr(best * sumq2)) {
      scale = fr(sumqx / sumq2);
      best = fr(scale * sumqx);
      L.set(Laux);
      onGrid.set(onGridAux);
    }
  }
  let offGrid = 0;
  for (let k = 0; k < 8; k++) if (!onGrid[k]) offGrid++;
  if (offGrid > 0 && scale > 0) {
    const id = fr(1 / scale);
    for (let k = 0; k < 8; k++) {
      if (!allRefit && onGrid[k]) continue;
      const u = gridLevels(g, K_MAX_Q, id, xval, 4 * k, L);
      if (g.map[u]! < 0) bestNeighbour(g, u, 4 * k, scale, L);
    }
    const sumqx = weightedFit(weight, xval, L);
    if (fitQ2 > 0) scale = fr(sumqx / fitQ2);
  }
  for (let k = 0; k < 8; k++) {
    let u = 0;
    for (let i = 0; i < 4; i++) u |= L[4 * k + i]! << (3 * i);
    const gi = g.map[u]!;
    if (gi < 0) throw offGridError(typeName, u);
    gridIndex[k] = gi;
  }
  return scale;
}

/** The importance weights of the call in progress (aligned with its input), and its super-block's 2 * mean square. */
let qwNow: Float32Array | undefined;
let sigma2Now = 0;

/** quantize_row_iq3_*_impl's sigma2 = 2 * sumx2 / QK_K, needed only with importance weights. */
function superBlockSigma2(x: Float32Array, xo: number): number {
  if (qwNow === undefined) return 0;
  let sumx2 = 0;
  for (let i = 0; i < 256; i++) sumx2 = fr(sumx2 + fr(x[xo + i]! * x[xo + i]!));
  return fr(fr(2 * sumx2) / 256);
}

function setWeights(x: Float32Array, xb: number): void {
  const qw = qwNow;
  for (let i = 0; i < 32; i++) {
    const v = x[xb + i]!;
    weight[i] = qw === undefined ? fr(v * v) : fr(qw[xb + i]! * fr(Math.sqrt(fr(sigma2Now + fr(v * v)))));
    waux[i] = Math.sqrt(weight[i]!);
  }
}

/** Splits off the signs of 8 values at xval[8k..]; returns the sign mask. */
function splitSigns(x: Float32Array, xb: number, k: number): number {
  let s = 0;
  for (let i = 0; i < 8; i++) {
    const v = x[xb + 8 * k + i]!;
    if (v >= 0) xval[8 * k + i] = v;
    else {
      xval[8 * k + i] = -v;
      s |= 1 << i;
    }
  }
  return s;
}

function maxOf(): number {
  let max = xval[0]!;
  for (let i = 1; i < 32; i++) max = max > xval[i]! ? max : xval[i]!;
  return max;
}

/** 4-bit group scales against the super-scale d = max_scale/31, as both types compute them. */
function scaleCode(id: number, s: number): number {
  const l = nearestInt(fr(0.5 * fr(fr(id * s) - 1)));
  return l < 0 ? 0 : l > 15 ? 15 : l;
}

/** matches quantize_iq3_xxs: block = d, qs[64] grid indices, 8 words of 4x7 signs + 4-bit scale. */
export function encodeIQ3_XXS(src: Float32Array, dst: Uint8Array, qw?: Float32Array): void {
  const g = iq3xxsGrid();
  typeName = 'IQ3_XXS';
  qwNow = qw;
  const nb = (src.length / 256) | 0;
  for (let ibl = 0, xo = 0, o = 0; ibl < nb; ibl++, xo += 256, o += 98) {
    dst.fill(0, o, o + 98);
    sigma2Now = superBlockSigma2(src, xo);
    let maxScale = 0;
    for (let ib = 0; ib < 8; ib++) {
      const xb = xo + 32 * ib;
      setWeights(src, xb);
      for (let k = 0; k < 4; k++) {
        let s = splitSigns(src, xb, k);
        if (popcount8(s) % 2) {
          // an odd count of minus signs: flip the element that costs least
          let imin = 0;
          let min = fr(fr(weight[8 * k]! * src[xb + 8 * k]!) * src[xb + 8 * k]!);
          for (let i = 1; i < 8; i++) {
            const v = src[xb + 8 * k + i]!;
            const ax = fr(fr(weight[8 * k + i]! * v) * v);
            if (ax < min) {
              min = ax;
              imin = i;
            }
          }
          xval[8 * k + imin] = -xval[8 * k + imin]!;
          s ^= 1 << imin;
        }
        blockSigns[k] = s & 127;
      }
      L.fill(0);
      const max = maxOf();
      if (max < GROUP_MAX_EPS_IQ3_XXS) {
        scales[ib] = 0;
        continue;
      }
      let scale = search(g, max, 15, 1, false);
      if (scale < 0) {
        scale = -scale;
        for (let k = 0; k < 4; k++) blockSigns[k] = ~blockSigns[k]! & 127;
      }
      for (let k = 0; k < 8; k++) dst[o + 2 + 8 * ib + k] = gridIndex[k]!;
      const w = (blockSigns[0]! | (blockSigns[1]! << 7) | (blockSigns[2]! << 14) | (blockSigns[3]! << 21)) >>> 0;
      writeU32(dst, o + 66 + 4 * ib, w);
      checkScale('IQ3_XXS', scale);
      scales[ib] = scale;
      maxScale = maxScale > scale ? maxScale : scale;
    }
    if (maxScale === 0) {
      dst.fill(0, o, o + 98);
      continue;
    }
    const d = fr(maxScale / 31);
    writeF16(dst, o, fr(d * fr(1.0125)));
    const id = fr(1 / d);
    for (let ib = 0; ib < 8; ib++) dst[o + 69 + 4 * ib] |= scaleCode(id, scales[ib]!) << 4;
  }
}

/** matches quantize_iq3_s: block = d, qs[64], qh[8], signs[32], scales[4]. */
export function encodeIQ3_S(src: Float32Array, dst: Uint8Array, qw?: Float32Array): void {
  const g = iq3sGrid();
  typeName = 'IQ3_S';
  qwNow = qw;
  const nb = (src.length / 256) | 0;
  for (let ibl = 0, xo = 0, o = 0; ibl < nb; ibl++, xo += 256, o += 110) {
    dst.fill(0, o, o + 110);
    sigma2Now = superBlockSigma2(src, xo);
    let qs = o + 2;
    let signs = o + 74;
    let maxScale = 0;
    for (let ib = 0; ib < 8; ib++) {
      const xb = xo + 32 * ib;
      setWeights(src, xb);
      for (let k = 0; k < 4; k++) blockSigns[k] = splitSigns(src, xb, k);
      L.fill(0);
      const max = maxOf();
      if (max === 0) {
        scales[ib] = 0;
        continue; // ggml leaves qs / signs where they are
      }
      let scale = search(g, max, 9, 0, true);
      if (scale < 0) {
        scale = -scale;
        for (let k = 0; k < 4; k++) blockSigns[k] = ~blockSigns[k]!;
      }
      for (let k = 0; k < 8; k++) {
        const gi = gridIndex[k]!;
        dst[qs + k] = gi & 255;
        dst[o + 66 + ib] |= (gi >> 8) << k;
      }
      qs += 8;
      for (let k = 0; k < 4; k++) dst[signs + k] = blockSigns[k]!;
      signs += 4;
      checkScale('IQ3_S', scale);
      scales[ib] = scale;
      maxScale = maxScale > scale ? maxScale : scale;
    }
    if (maxScale === 0) continue; // C `!max_scale`: NaN is not zero
    const d = fr(maxScale / 31);
    writeF16(dst, o, fr(d * fr(1.033)));
    const id = fr(1 / d);
    for (let ib = 0; ib < 8; ib += 2) {
      dst[o + 106 + (ib >> 1)] = scaleCode(id, scales[ib]!) | (scaleCode(id, scales[ib + 1]!) << 4);
    }
  }
}

function popcount8(s: number): number {
  let n = 0;
  for (let i = 0; i < 8; i++) n += (s >> i) & 1;
  return n;
}
