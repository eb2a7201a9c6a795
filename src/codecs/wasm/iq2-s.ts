/**
 * IQ2_S: quantize_row_iq2_s_impl of ggml-quants.c at llama.cpp 34af94cd as quantize_iq2_s
 * calls it, with importance weights (weight = qw * sqrt(sigma2 + x^2)) or without
 * (sigma2 / 4 + x^2), ported from the TypeScript twin (src/codecs/iq-encode-iq2s.ts) one f32
 * operation per C float step.
 *
 * encode_IQ2_S_w(src, dst, rows, n, w, table) and encode_IQ2_S(src, dst, blocks, table):
 * 0, or an abort code (common.ts).
 */
import { writeHalf } from './common';
import { GIDX, gridIndices, groupAbort, LV, prepareGroup, scaleNibble, scaleOk, searchXS, SIGNS, status, sumSquares256 } from './iq2-search';

const SIZE: i32 = 1024;
const BLOCK: usize = 82; // d, qs[32], signs[32], qh[8], scales[8]
const GROUP_MAX_EPS: f32 = 1e-8;
const D_FUDGE: f32 = 0.9875;
const SCALES: usize = memory.data(16 * 4, 16);

/** One group of 16 at x into block o (group ib); its scale. qw == 0: no importance weights. */
function group(table: usize, x: usize, qw: usize, sigma2: f32, o: usize, ib: i32): f32 {
  const max = prepareGroup(x, qw, 16, sigma2, false);
  memory.fill(LV, 0, 16);
  if (max < GROUP_MAX_EPS) return 0;
  let scale = searchXS(table, SIZE, max, 16);
  if (status != 0) return scale;
  if (scale < 0) {
    scale = -scale;
    store<u8>(SIGNS, ~load<u8>(SIGNS));
    store<u8>(SIGNS, ~load<u8>(SIGNS, 1), 1);
  }
  if (!gridIndices(table, SIZE, 16)) return scale;
  for (let k = 0; k < 2; k++) {
    const gi = load<i32>(GIDX + (<usize>k << 2));
    const i8 = 2 * ib + k;
    store<u8>(o + 2 + <usize>i8, <u8>gi);
    const qh = o + 66 + <usize>(i8 >> 2);
    store<u8>(qh, load<u8>(qh) | <u8>((gi >> 8) << (2 * (i8 & 3))));
    store<u8>(o + 34 + <usize>i8, load<u8>(SIGNS + <usize>k));
  }
  scaleOk(scale);
  return scale;
}

/** One super-block of 256 at x into o; 0, or an abort code naming `block`. */
function superBlock(table: usize, x: usize, qw: usize, o: usize, block: i32): i32 {
  memory.fill(o, 0, BLOCK);
  const sigma2 = (<f32>2 * sumSquares256(x)) / <f32>256;
  let maxScale: f32 = 0;
  for (let ib = 0; ib < 16; ib++) {
    const s = group(table, x + (<usize>ib << 6), qw != 0 ? qw + (<usize>ib << 6) : 0, sigma2, o, ib);
    const st = groupAbort(block);
    if (st != 0) return st;
    store<f32>(SCALES + (<usize>ib << 2), s);
    maxScale = maxScale > s ? maxScale : s;
  }
  if (maxScale == 0) return 0;
  const d = maxScale / <f32>31;
  writeHalf(o, d * D_FUDGE);
  const id = <f32>1 / d;
  for (let ib = 0; ib < 16; ib++) {
    const l = scaleNibble(id, load<f32>(SCALES + (<usize>ib << 2)));
    const p = o + 74 + <usize>(ib >> 1);
    if ((ib & 1) == 0) store<u8>(p, <u8>l);
    else store<u8>(p, load<u8>(p) | <u8>(l << 4));
  }
  return 0;
}

/** matches quantize_iq2_s with quant_weights. */
export function encode_IQ2_S_w(src: usize, dst: usize, rows: i32, n: i32, w: usize, table: usize): i32 {
  const nbr = n >> 8;
  for (let r = 0; r < rows; r++) {
    for (let ibl = 0; ibl < nbr; ibl++) {
      const b = r * nbr + ibl;
      const st = superBlock(table, src + (<usize>b << 10), w + (<usize>ibl << 10), dst + <usize>b * BLOCK, b);
      if (st != 0) return st;
    }
  }
  return 0;
}

/** matches quantize_iq2_s with quant_weights = NULL. */
export function encode_IQ2_S(src: usize, dst: usize, blocks: i32, table: usize): i32 {
  for (let b = 0; b < blocks; b++) {
    const st = superBlock(table, src + (<usize>b << 10), 0, dst + <usize>b * BLOCK, b);
    if (st != 0) return st;
  }
  return 0;
}
