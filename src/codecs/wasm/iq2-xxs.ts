/**
 * IQ2_XXS and IQ2_XS with importance weights: quantize_row_iq2_xxs_impl and
 * quantize_row_iq2_xs_impl of ggml-quants.c at llama.cpp 34af94cd, ported from the TypeScript
 * twins (src/codecs/iq-encode-iq2xxs.ts) one f32 operation per C float step. ggml has no
 * unweighted path for either (ggml_quantize_chunk asserts an imatrix).
 *
 * encode_IQ2_XXS_w / encode_IQ2_XS_w(src, dst, rows, n, w, table): rows of n floats, the n
 * column weights, the type's search table (iq-search-table.ts); 0, or an abort code.
 */
import { writeHalf } from './common';
import {
  fitQ2, GIDX, gridIndices, groupAbort, LAUX, LV, prepareGroup, scaleNibble, scaleOk, searchPieces, searchXS, SIGNS,
  status, sumSquares256, TENTH, weightedFit, WEIGHT, XVAL,
} from './iq2-search';
import { makeQp } from './weighted';

const XXS_SIZE: i32 = 256;
const XS_SIZE: i32 = 512;
const GROUP_MAX_EPS: f32 = 1e-15;
const SCALES: usize = memory.data(16 * 4, 16);
const LQP: usize = memory.data(32, 16);

/** The last group was skipped (ggml's `continue`: its words stay zero). */
let skipped = false;

/** Final pieces: indices, then GGML_ASSERT(scale >= 0). False when either aborts. */
function finish(table: usize, size: i32, n: i32, scale: f32): bool {
  if (!gridIndices(table, size, n) || !scaleOk(scale)) return false;
  skipped = false;
  return true;
}

/** One IQ2_XXS group of 32 at x: its scale; grid indices in GIDX, signs in SIGNS unless skipped or aborted. */
function groupXXS(table: usize, x: usize, qw: usize, sigma2: f32): f32 {
  skipped = true;
  const max = prepareGroup(x, qw, 32, sigma2, true);
  if (max < GROUP_MAX_EPS) {
    memory.fill(LV, 0, 32);
    return 0;
  }
  let scale = makeQp(32, 4, XVAL, LQP, WEIGHT);
  memory.copy(LV, LQP, 32);
  const effMax = scale * <f32>3;
  if (effMax <= 0) {
    memory.fill(LV, 0, 32);
    return 0;
  }
  let best: f32 = 0;
  for (let is = -6; is <= 6; is++) {
    const id = (<f32>5 + <f32>is * TENTH) / effMax;
    const thisScale = <f32>1 / id;
    if (searchPieces(table, XXS_SIZE, id, thisScale, LAUX, 32) < 0) return scale;
    const sumqx = weightedFit(32, LAUX);
    const sumq2 = fitQ2;
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      scale = sumqx / sumq2;
      best = scale * sumqx;
      memory.copy(LV, LAUX, 32);
    }
  }
  if (scale > 0) {
    const id = <f32>1 / scale;
    if (searchPieces(table, XXS_SIZE, id, scale, LV, 32) < 0) return scale;
    const sumqx = weightedFit(32, LV);
    if (fitQ2 > 0) scale = sumqx / fitQ2;
  }
  if (scale < 0) {
    scale = -scale;
    for (let k = 0; k < 4; k++) store<u8>(SIGNS + <usize>k, ~load<u8>(SIGNS + <usize>k) & 127);
  }
  finish(table, XXS_SIZE, 32, scale);
  return scale;
}

/** One IQ2_XS group of 16 at x. */
function groupXS(table: usize, x: usize, qw: usize, sigma2: f32): f32 {
  skipped = true;
  const max = prepareGroup(x, qw, 16, sigma2, true);
  memory.fill(LV, 0, 16);
  if (max < GROUP_MAX_EPS) return 0;
  const scale = searchXS(table, XS_SIZE, max, 16);
  return status != 0 ? scale : finishXS(table, scale);
}

function finishXS(table: usize, scale: f32): f32 {
  if (scale < 0) {
    scale = -scale;
    for (let k = 0; k < 2; k++) store<u8>(SIGNS + <usize>k, ~load<u8>(SIGNS + <usize>k) & 127);
  }
  finish(table, XS_SIZE, 16, scale);
  return scale;
}

/** matches quantize_iq2_xxs: d (f16), 8 x (4 grid bytes, u32 of 4 x 7 signs | 4-bit scale << 28). */
export function encode_IQ2_XXS_w(src: usize, dst: usize, rows: i32, n: i32, w: usize, table: usize): i32 {
  const nbr = n >> 8;
  let o = dst;
  for (let r = 0; r < rows; r++) {
    for (let ibl = 0; ibl < nbr; ibl++, o += 66) {
      const x = src + ((<usize>r * <usize>n + (<usize>ibl << 8)) << 2);
      const qw = w + (<usize>ibl << 10);
      memory.fill(o, 0, 66);
      const sigma2 = sumSquares256(x) / <f32>256;
      let maxScale: f32 = 0;
      for (let ib = 0; ib < 8; ib++) {
        const scale = groupXXS(table, x + (<usize>ib << 7), qw + (<usize>ib << 7), sigma2);
        const st = groupAbort(r * nbr + ibl);
        if (st != 0) return st;
        store<f32>(SCALES + (<usize>ib << 2), scale);
        if (!skipped) {
          const q = o + 2 + (<usize>ib << 3);
          for (let k = 0; k < 4; k++) store<u8>(q + <usize>k, <u8>load<i32>(GIDX + (<usize>k << 2)));
          const sg = <u32>load<u8>(SIGNS) | (<u32>load<u8>(SIGNS, 1) << 7) | (<u32>load<u8>(SIGNS, 2) << 14) | (<u32>load<u8>(SIGNS, 3) << 21);
          store<u32>(q + 4, sg);
        }
        maxScale = maxScale > scale ? maxScale : scale;
      }
      if (maxScale == 0) {
        memory.fill(o, 0, 66);
        continue;
      }
      const d = maxScale / <f32>31;
      writeHalf(o, d);
      const id = <f32>1 / d;
      for (let ib = 0; ib < 8; ib++) {
        const p = o + 9 + (<usize>ib << 3);
        store<u8>(p, load<u8>(p) | <u8>(scaleNibble(id, load<f32>(SCALES + (<usize>ib << 2))) << 4));
      }
    }
  }
  return 0;
}

/** matches quantize_iq2_xs: d (f16), 32 u16 (9-bit grid index | 7 signs << 9), scales[8]. */
export function encode_IQ2_XS_w(src: usize, dst: usize, rows: i32, n: i32, w: usize, table: usize): i32 {
  const nbr = n >> 8;
  let o = dst;
  for (let r = 0; r < rows; r++) {
    for (let ibl = 0; ibl < nbr; ibl++, o += 74) {
      const x = src + ((<usize>r * <usize>n + (<usize>ibl << 8)) << 2);
      const qw = w + (<usize>ibl << 10);
      memory.fill(o, 0, 74);
      const sigma2 = sumSquares256(x) / <f32>256;
      let maxScale: f32 = 0;
      for (let ib = 0; ib < 16; ib++) {
        const scale = groupXS(table, x + (<usize>ib << 6), qw + (<usize>ib << 6), sigma2);
        const st = groupAbort(r * nbr + ibl);
        if (st != 0) return st;
        store<f32>(SCALES + (<usize>ib << 2), scale);
        if (!skipped) {
          for (let k = 0; k < 2; k++) {
            const v = load<i32>(GIDX + (<usize>k << 2)) | (<i32>load<u8>(SIGNS + <usize>k) << 9);
            store<u16>(o + 2 + (<usize>(2 * ib + k) << 1), <u16>v);
          }
        }
        maxScale = maxScale > scale ? maxScale : scale;
      }
      if (maxScale == 0) {
        memory.fill(o + 2, 0, 64);
        continue;
      }
      const d = maxScale / <f32>31;
      writeHalf(o, d);
      const id = <f32>1 / d;
      for (let ib = 0; ib < 16; ib++) {
        const l = scaleNibble(id, load<f32>(SCALES + (<usize>ib << 2)));
        const p = o + 66 + <usize>(ib >> 1);
        if ((ib & 1) == 0) store<u8>(p, <u8>l);
        else store<u8>(p, load<u8>(p) | <u8>(l << 4));
      }
    }
  }
  return 0;
}
