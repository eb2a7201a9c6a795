/**
 * IQ2_XXS and IQ2_XS encoders, which ggml has only with an importance matrix
 * (quantize_row_iq2_xxs_impl / quantize_row_iq2_xs_impl, ggml-quants.c at llama.cpp 34af94cd;
 * ggml_quantize_chunk asserts imatrix != NULL for them). Per 8 elements one point of the
 * 256-point (XXS) or 512-point (XS) grid of levels 1, 3, 5 times a scale, with 7 sign bits
 * (an even count of minus signs: the cheapest element is flipped). XXS: groups of 32, a 4-bit
 * scale each, seeded by make_qp_quants; XS: groups of 16. Weights are the column importance
 * times sqrt(sigma2 + x^2), sigma2 the super-block's mean square. One fround per C float step.
 */
import { checkScale, fr, nearestIntBits as nearestInt, offGrid, writeF16 } from './iq-math';
import { bestNeighbour8, fitQ2, gridLevels, iq2xsGrid, iq2xxsGrid, weightedFit, type SearchGrid } from './iq-search';
import { makeQpQuants } from './kquants-search-weighted';
import { writeU32 } from './quant-math';

const K_MAX_Q = 3;
const GROUP_MAX_EPS = fr(1e-15);
const TENTH = fr(0.1);
const ODD_LEVELS = new Float32Array([1, 3, 5]);

/** Scratch for groups of n (32 or 16) elements. */
interface Scratch {
  readonly weight: Float32Array;
  readonly waux: Float32Array;
  readonly xval: Float32Array;
  readonly L: Int8Array;
  readonly Laux: Int8Array;
  readonly signs: Uint8Array;
}
const scratch = (n: number): Scratch => ({
  weight: new Float32Array(n),
  waux: new Float32Array(n),
  xval: new Float32Array(n),
  L: new Int8Array(n),
  Laux: new Int8Array(n),
  signs: new Uint8Array(n / 8),
});
const S32 = scratch(32);
const S16 = scratch(16);
const Lqp = new Uint8Array(32);
const scales = new Float32Array(16);
const onGrid = [true, true];
const onGridAux = [true, true];

function sigma2Of(x: Float32Array, xo: number): number {
  let sumx2 = 0;
  for (let i = 0; i < 256; i++) sumx2 = fr(sumx2 + fr(x[xo + i]! * x[xo + i]!));
  return fr(sumx2 / 256);
}

/** Weights, |x| and sign masks of the group at xb; returns the largest |x| (MAX order as ggml). */
function prepare(s: Scratch, x: Float32Array, xb: number, qw: Float32Array, sigma2: number): number {
  const n = s.weight.length;
  for (let i = 0; i < n; i++) {
    const v = x[xb + i]!;
    s.weight[i] = fr(qw[xb + i]! * fr(Math.sqrt(fr(sigma2 + fr(v * v)))));
  }
  for (let i = 0; i < n; i++) s.waux[i] = Math.sqrt(s.weight[i]!);
  for (let k = 0; k < n / 8; k++) {
    let nflip = 0;
    let sg = 0;
    for (let i = 0; i < 8; i++) {
      const v = x[xb + 8 * k + i]!;
      if (v >= 0) s.xval[8 * k + i] = v;
      else {
        s.xval[8 * k + i] = -v;
        nflip++;
        sg |= 1 << i;
      }
    }
    if (nflip % 2) {
      let imin = 0;
      let min = fr(fr(s.weight[8 * k]! * x[xb + 8 * k]!) * x[xb + 8 * k]!);
      for (let i = 1; i < 8; i++) {
        const v = x[xb + 8 * k + i]!;
        const ax = fr(fr(s.weight[8 * k + i]! * v) * v);
        if (ax < min) {
          min = ax;
          imin = i;
        }
      }
      s.xval[8 * k + imin] = -s.xval[8 * k + imin]!;
      sg ^= 1 << imin;
    }
    s.signs[k] = sg & 127;
  }
  let max = s.xval[0]!;
  for (let i = 1; i < n; i++) max = max > s.xval[i]! ? max : s.xval[i]!;
  return max;
}

/** The grid indices of s.L's 8-groups; ggml aborts when one is off the grid. */
function indices(g: SearchGrid, s: Scratch, out: Int32Array): void {
  for (let k = 0; k < s.L.length / 8; k++) {
    let u = 0;
    for (let i = 0; i < 8; i++) u |= s.L[8 * k + i]! << (2 * i);
    // ggml packs into a uint16_t: make_qp_quants' levels (up to 4, or wrapped below 0) are cut to 16 bits
    u &= 0xffff;
    const gi = g.map[u]!;
    if (gi < 0) throw offGrid(g.type, u);
    out[k] = gi;
  }
}

const gidx = new Int32Array(4);
/** Set when the last group was skipped (ggml's `continue`: its words stay zero). */
let skipped = false;

/** One IQ2_XXS group of 32: returns its scale, leaves grid indices in gidx and signs in S32.signs. */
function groupXXS(g: SearchGrid, x: Float32Array, xb: number, qw: Float32Array, sigma2: number): number {
  const s = S32;
  skipped = true;
  const max = prepare(s, x, xb, qw, sigma2);
  if (max < GROUP_MAX_EPS) {
    s.L.fill(0);
    return 0;
  }
  let scale = makeQpQuants(32, K_MAX_Q + 1, s.xval, Lqp, s.weight);
  for (let i = 0; i < 32; i++) s.L[i] = (Lqp[i]! << 24) >> 24;
  const effMax = fr(scale * K_MAX_Q);
  if (effMax <= 0) {
    s.L.fill(0);
    return 0;
  }
  let best = 0;
  for (let is = -6; is <= 6; is++) {
    const id = fr(fr(2 * K_MAX_Q - 1 + fr(is * TENTH)) / effMax);
    const thisScale = fr(1 / id);
    for (let k = 0; k < 4; k++) {
      const u = gridLevels(g, K_MAX_Q, id, s.xval, 8 * k, s.Laux);
      if (g.map[u]! < 0) bestNeighbour8(g, u, s.xval, 8 * k, s.waux, s.Laux, 8 * k, thisScale, ODD_LEVELS);
    }
    const sumqx = weightedFit(s.weight, s.xval, s.Laux);
    const sumq2 = fitQ2;
    if (sumq2 > 0 && fr(sumqx * sumqx) > fr(best * sumq2)) {
      scale = fr(sumqx / sumq2);
      best = fr(scale * sumqx);
      s.L.set(s.Laux);
    }
  }
  if (scale > 0) {
    const id = fr(1 / scale);
    for (let k = 0; k < 4; k++) {
      const u = gridLevels(g, K_MAX_Q, id, s.xval, 8 * k, s.L);
      let gi = g.map[u]!;
      if (gi < 0) gi = bestNeighbour8(g, u, s.xval, 8 * k, s.waux, s.L, 8 * k, scale, ODD_LEVELS);
      for (let i = 0; i < 8; i++) s.L[8 * k + i] = g.lev[gi * 8 + i]!;
    }
    const sumqx = weightedFit(s.weight, s.xval, s.L);
    if (fitQ2 > 0) scale = fr(sumqx / fitQ2);
  }
  if (scale < 0) {
    scale = -scale;
    for (let k = 0; k < 4; k++) s.signs[k] = ~s.signs[k]! & 127;
  }
  indices(g, s, gidx);
  checkScale('IQ2_XXS', scale);
  skipped = false;
  return scale;
}

/** matches quantize_iq2_xxs: block = d (f16), 8 pairs of u32 (4 grid bytes; 4x7 signs + 4-bit scale). */
export function encodeIQ2_XXS(src: Float32Array, dst: Uint8Array, qw?: Float32Array): void {
  if (qw === undefined) throw new Error('IQ2_XXS needs an importance matrix (ggml_quantize_chunk asserts imatrix != NULL)');
  const g = iq2xxsGrid();
  const nb = (src.length / 256) | 0;
  for (let ibl = 0, xo = 0, o = 0; ibl < nb; ibl++, xo += 256, o += 66) {
    dst.fill(0, o, o + 66);
    const sigma2 = sigma2Of(src, xo);
    let maxScale = 0;
    for (let ib = 0; ib < 8; ib++) {
      const scale = groupXXS(g, src, xo + 32 * ib, qw, sigma2);
      scales[ib] = scale;
      if (!skipped) {
        const q = o + 2 + 8 * ib;
        for (let k = 0; k < 4; k++) dst[q + k] = gidx[k]!;
        writeU32(dst, q + 4, (S32.signs[0]! | (S32.signs[1]! << 7) | (S32.signs[2]! << 14) | (S32.signs[3]! << 21)) >>> 0);
      }
      maxScale = maxScale > scale ? maxScale : scale;
    }
    if (maxScale === 0) {
      dst.fill(0, o, o + 66);
      continue;
    }
    const d = fr(maxScale / 31);
    writeF16(dst, o, d);
    const id = fr(1 / d);
    for (let ib = 0; ib < 8; ib++) {
      let l = nearestInt(fr(0.5 * fr(fr(id * scales[ib]!) - 1)));
      l = l < 0 ? 0 : l > 15 ? 15 : l;
      dst[o + 2 + 8 * ib + 7] |= l << 4;
    }
  }
}

/** One IQ2_XS group of 16: returns its scale, leaves grid indices in gidx[0..2) and signs in S16.signs. */
function groupXS(g: SearchGrid, x: Float32Array, xb: number, qw: Float32Array, sigma2: number): number {
  const s = S16;
  skipped = true;
  const max = prepare(s, x, xb, qw, sigma2);
  s.L.fill(0);
  if (max < GROUP_MAX_EPS) return 0;
  let best = 0;
  let scale = fr(max / (2 * K_MAX_Q - 1));
  onGrid[0] = onGrid[1] = true;
  for (let is = -9; is <= 9; is++) {
    const id = fr(fr(2 * K_MAX_Q - 1 + fr(is * TENTH)) / max);
    const thisScale = fr(1 / id);
    for (let k = 0; k < 2; k++) {
      const u = gridLevels(g, K_MAX_Q, id, s.xval, 8 * k, s.Laux);
      onGridAux[k] = true;
      if (g.map[u]! < 0) {
        onGridAux[k] = false;
        bestNeighbour8(g, u, s.xval, 8 * k, s.waux, s.Laux, 8 * k, thisScale, ODD_LEVELS);
      }
    }
    const sumqx = weightedFit(s.weight, s.xval, s.Laux);
    const sumq2 = fitQ2;
    if (sumq2 > 0 && fr(sumqx * sumqx) > fr(best * sumq2)) {
      scale = fr(sumqx / sumq2);
      best = fr(scale * sumqx);
      s.L.set(s.Laux);
      onGrid[0] = onGridAux[0]!;
      onGrid[1] = onGridAux[1]!;
    }
  }
  if ((!onGrid[0] || !onGrid[1]) && scale > 0) {
    const id = fr(1 / scale);
    for (let k = 0; k < 2; k++) {
      if (onGrid[k]) continue;
      const u = gridLevels(g, K_MAX_Q, id, s.xval, 8 * k, s.L);
      if (g.map[u]! < 0) bestNeighbour8(g, u, s.xval, 8 * k, s.waux, s.L, 8 * k, scale, ODD_LEVELS);
    }
    const sumqx = weightedFit(s.weight, s.xval, s.L);
    if (fitQ2 > 0) scale = fr(sumqx / fitQ2);
  }
  if (scale < 0) {
    scale = -scale;
    for (let k = 0; k < 2; k++) s.signs[k] = ~s.signs[k]! & 127;
  }
  indices(g, s, gidx);
  checkScale('IQ2_XS', scale);
  skipped = false;
  return scale;
}

/** matches quantize_iq2_xs: block = d (f16), 32 u16 (9-bit grid index | 7 signs << 9), scales[8]. */
export function encodeIQ2_XS(src: Float32Array, dst: Uint8Array, qw?: Float32Array): void {
  if (qw === undefined) throw new Error('IQ2_XS needs an importance matrix (ggml_quantize_chunk asserts imatrix != NULL)');
  const g = iq2xsGrid();
  const nb = (src.length / 256) | 0;
  for (let ibl = 0, xo = 0, o = 0; ibl < nb; ibl++, xo += 256, o += 74) {
    dst.fill(0, o, o + 74);
    const sigma2 = sigma2Of(src, xo);
    let maxScale = 0;
    for (let ib = 0; ib < 16; ib++) {
      const scale = groupXS(g, src, xo + 16 * ib, qw, sigma2);
      scales[ib] = scale;
      if (!skipped) {
        for (let k = 0; k < 2; k++) {
          const v = gidx[k]! | (S16.signs[k]! << 9);
          dst[o + 2 + 2 * (2 * ib + k)] = v & 0xff;
          dst[o + 3 + 2 * (2 * ib + k)] = (v >> 8) & 0xff;
        }
      }
      maxScale = maxScale > scale ? maxScale : scale;
    }
    if (maxScale === 0) {
      dst.fill(0, o + 2, o + 66);
      continue;
    }
    const d = fr(maxScale / 31);
    writeF16(dst, o, d);
    const id = fr(1 / d);
    for (let ib = 0; ib < 16; ib++) {
      let l = nearestInt(fr(0.5 * fr(fr(id * scales[ib]!) - 1)));
      l = l < 0 ? 0 : l > 15 ? 15 : l;
      if (ib % 2 === 0) dst[o + 66 + (ib >> 1)] = l;
      else dst[o + 66 + (ib >> 1)] |= l << 4;
    }
  }
}
