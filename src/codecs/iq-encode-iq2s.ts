/**
 * IQ2_S encoder: per 16 elements, two 8-element points of the 1024-point grid (levels 1, 3, 5
 * times a scale) plus sign bytes; a 4-bit scale per 16 and an f16 super-scale per 256.
 *
 * matches quantize_row_iq2_s_impl as quantize_iq2_s calls it from ggml_quantize_chunk: without
 * importance weights weight = sigma2/4 + x^2; with them (`qw`, aligned with the input)
 * qw * sqrt(sigma2 + x^2). Every float operation is rounded to float32.
 */
import { fr, checkScale, nearestIntBits as nearestInt, offGrid, writeF16 } from './iq-math';
import { bestNeighbour8, fitQ2, gridLevels, iq2sGrid, weightedFit, type SearchGrid } from './iq-search';

const SIZE = 82; // d, qs[32], signs[32], qh[8], scales[8]
const K_MAX_Q = 3;
const GROUP_MAX_EPS = fr(1e-8);
const TENTH = fr(0.1);
const D_FUDGE = fr(0.9875);

const scales = new Float32Array(16);
const weight = new Float32Array(16);
const waux = new Float32Array(16);
const xval = new Float32Array(16);
const L = new Int8Array(16);
const Laux = new Int8Array(16);
const onGrid = [true, true];
const onGridAux = [true, true];
const blockSigns = new Uint8Array(2);

/** The level values 2l+1 of iq2_find_best_neighbour, for bestNeighbour8. */
const ODD_LEVELS = new Float32Array([1, 3, 5]);

/** Quantizes one group of 16 at `xb` into block `o` (group `ib`); returns its scale. */
function group(g: SearchGrid, x: Float32Array, xb: number, sigma2: number, dst: Uint8Array, o: number, ib: number, qw: Float32Array | undefined): number {
  const quarterSigma = fr(0.25 * sigma2);
  for (let i = 0; i < 16; i++) {
    const v = x[xb + i]!;
    weight[i] = qw === undefined ? fr(quarterSigma + fr(v * v)) : fr(qw[xb + i]! * fr(Math.sqrt(fr(sigma2 + fr(v * v)))));
    waux[i] = Math.sqrt(weight[i]!);
  }
  for (let k = 0; k < 2; k++) {
    let s = 0;
    for (let i = 0; i < 8; i++) {
      const v = x[xb + 8 * k + i]!;
      if (v >= 0) xval[8 * k + i] = v;
      else {
        xval[8 * k + i] = -v;
        s |= 1 << i;
      }
    }
    blockSigns[k] = s;
  }
  let max = xval[0]!;
  for (let i = 1; i < 16; i++) max = max > xval[i]! ? max : xval[i]!;
  L.fill(0);
  if (max < GROUP_MAX_EPS) return 0;
  let best = 0;
  let scale = fr(max / (2 * K_MAX_Q - 1));
  onGrid[0] = onGrid[1] = true;
  for (let is = -9; is <= 9; is++) {
    const id = fr(fr(2 * K_MAX_Q - 1 + fr(is * TENTH)) / max);
    const thisScale = fr(1 / id);
    for (let k = 0; k < 2; k++) {
      const u = gridLevels(g, K_MAX_Q, id, xval, 8 * k, Laux);
      onGridAux[k] = true;
      if (g.map[u]! < 0) {
        onGridAux[k] = false;
        bestNeighbour8(g, u, xval, 8 * k, waux, Laux, 8 * k, thisScale, ODD_LEVELS);
      }
    }
    const sumqx = weightedFit(weight, xval, Laux);
    const sumq2 = fitQ2;
    if (sumq2 > 0 && fr(sumqx * sumqx) > fr(best * sumq2)) {
      scale = fr(sumqx / sumq2);
      best = fr(scale * sumqx);
      L.set(Laux);
      onGrid[0] = onGridAux[0]!;
      onGrid[1] = onGridAux[1]!;
    }
  }
  if ((!onGrid[0] || !onGrid[1]) && scale > 0) {
    const id = fr(1 / scale);
    for (let k = 0; k < 2; k++) {
      if (onGrid[k]) continue;
      const u = gridLevels(g, K_MAX_Q, id, xval, 8 * k, L);
      if (g.map[u]! < 0) bestNeighbour8(g, u, xval, 8 * k, waux, L, 8 * k, scale, ODD_LEVELS);
    }
    const sumqx = weightedFit(weight, xval, L);
    if (fitQ2 > 0) scale = fr(sumqx / fitQ2);
  }
  if (scale < 0) {
    scale = -scale;
    blockSigns[0] = ~blockSigns[0]!;
    blockSigns[1] = ~blockSigns[1]!;
  }
  for (let k = 0; k < 2; k++) {
    let u = 0;
    for (let i = 0; i < 8; i++) u |= L[8 * k + i]! << (2 * i);
    const gi = g.map[u]!;
    if (gi < 0) throw offGrid('IQ2_S', u);
    const i8 = 2 * ib + k;
    dst[o + 2 + i8] = gi & 255;
    dst[o + 66 + (i8 >> 2)] |= (gi >> 8) << (2 * (i8 % 4));
    dst[o + 34 + i8] = blockSigns[k]!;
  }
  checkScale('IQ2_S', scale);
  return scale;
}

/** matches quantize_iq2_s (ggml_quantize_chunk, with or without importance weights). */
export function encodeIQ2_S(src: Float32Array, dst: Uint8Array, qw?: Float32Array): void {
  const g = iq2sGrid();
  const nb = (src.length / 256) | 0;
  for (let ibl = 0, xo = 0, o = 0; ibl < nb; ibl++, xo += 256, o += SIZE) {
    dst.fill(0, o, o + SIZE);
    let sumx2 = 0;
    for (let i = 0; i < 256; i++) sumx2 = fr(sumx2 + fr(src[xo + i]! * src[xo + i]!));
    const sigma2 = fr(fr(2 * sumx2) / 256);
    let maxScale = 0;
    for (let ib = 0; ib < 16; ib++) {
      const s = group(g, src, xo + 16 * ib, sigma2, dst, o, ib, qw);
      scales[ib] = s;
      maxScale = maxScale > s ? maxScale : s;
    }
    if (maxScale === 0) continue; // C `!max_scale`: NaN is not zero
    const d = fr(maxScale / 31);
    writeF16(dst, o, fr(d * D_FUDGE));
    const id = fr(1 / d);
    for (let ib = 0; ib < 16; ib++) {
      let l = nearestInt(fr(0.5 * fr(fr(id * scales[ib]!) - 1)));
      l = l < 0 ? 0 : l > 15 ? 15 : l;
      if (ib % 2 === 0) dst[o + 74 + (ib >> 1)] = l;
      else dst[o + 74 + (ib >> 1)] |= l << 4;
    }
  }
}
