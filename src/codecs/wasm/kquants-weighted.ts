/**
 * The K-quants with an importance matrix (quantize_row_q{2..6}_K_impl of ggml-quants.c at
 * llama.cpp 34af94cd, with quant_weights; TypeScript twin kquants-encode-imatrix.ts). The group
 * searches run four groups per f32x4 lane set, as the encoders without weights do: Q2_K, Q4_K
 * and Q5_K's make_qkx3_quants on search-qkx2.ts's lanes, Q3_K and Q6_K's weighted
 * make_qx_quants on search-qx.ts's. Each lane does the reference's float operations in its
 * order, so the bytes are ggml's. The super-block scale searches (make_qp_quants, make_qx_quants
 * over 8 or 16 scales) are one chain each and stay scalar (weighted.ts).
 *
 * encode_<type>_w(src, dst, rows, n, w): `rows` rows of n floats at src (n a multiple of 256),
 * n importances at w (one per column, the same for every row), the rows' blocks at dst.
 */
import { clampV, nearestIntV, quartet, transpose4, writeHalf, OFF_W, OFF_L, SCALES, MINS, LISCALE, FLAT, LB } from './common';
import { levelsOfSearch, searchQ2_Kw, searchQ4_Kw, searchQ5_Kw } from './search-qkx2';
import { searchQ3_Kw, searchQ6_Kw } from './search-qx';
import { packQ4, packQ5, requantK4 } from './kquants-k4';
import { finishQ6, pack2, packQ3, requant16 } from './kquants-k236';
import { makeQp, makeQx } from './weighted';

/** Each group's weight for the super-block scale search (the sum of its element weights), and the scales' levels. */
const SW: usize = memory.data(16 * 4, 16);
const LS: usize = memory.data(16, 16);
const LM: usize = memory.data(16, 16);

/** sum of x^2 over the super-block, element by element (one chain, as the reference). */
function sumSquares(x: usize): f32 {
  let s: f32 = 0;
  for (let i = 0; i < 256; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

/**
 * The super-block's groups of n as nq quartets (x rows at +0), with the element weights
 * qw * sqrt(sigma2 + x^2) at +OFF_W and their sums, from 0 in element order, in SW (as
 * groupWeights of the reference's callers). With wx, +OFF_L then holds weight * x (the weighted
 * make_qx_quants' input), else it is scratch.
 */
function prepare(x: usize, qw: usize, n: i32, nq: i32, sigma2: f32, wx: bool): void {
  const stride = <usize>n << 2;
  const s2 = f32x4.splat(sigma2);
  for (let q = 0; q < nq; q++) {
    const base = quartet(q);
    const end = base + (<usize>n << 4);
    const from = (<usize>q * stride) << 2;
    transpose4(x + from, stride, base, n);
    transpose4(qw + from, stride, base + OFF_L, n);
    let sum = f32x4.splat(0);
    for (let p = base; p < end; p += 16) {
      const v = v128.load(p);
      const w = f32x4.mul(v128.load(p, OFF_L), f32x4.sqrt(f32x4.add(s2, f32x4.mul(v, v))));
      v128.store(p, w, OFF_W);
      if (wx) v128.store(p, f32x4.mul(w, v), OFF_L);
      sum = f32x4.add(sum, w);
    }
    v128.store(SW + (<usize>q << 4), sum);
  }
}

/** Q4_K / Q5_K: searches, make_qp_quants scales and mins packed as 6 bits, levels into LB. */
function blockK4(x: usize, qw: usize, o: usize, nmax: i32): void {
  prepare(x, qw, 32, 2, (<f32>2 * sumSquares(x)) / <f32>256, false);
  if (nmax == 15) searchQ4_Kw(0);
  else searchQ5_Kw(0);
  const dBlock = makeQp(8, 63, SCALES, LS, SW);
  const mBlock = makeQp(8, 63, MINS, LM, SW);
  const s = o + 4;
  for (let j = 0; j < 8; j++) {
    // Q5_K's reference clamps to 63; make_qp_quants(.., 63, ..) already stays there
    let ls = <i32>load<u8>(LS + <usize>j);
    let lm = <i32>load<u8>(LM + <usize>j);
    if (ls > 63) ls = 63;
    if (lm > 63) lm = 63;
    if (j < 4) {
      store<u8>(s + j, <u8>ls);
      store<u8>(s + j + 4, <u8>lm);
    } else {
      store<u8>(s + j + 4, <u8>((ls & 15) | ((lm & 15) << 4)));
      store<u8>(s + j - 4, load<u8>(s + j - 4) | <u8>((ls >> 4) << 6));
      store<u8>(s + j, load<u8>(s + j) | <u8>((lm >> 4) << 6));
    }
  }
  const dv = writeHalf(o, dBlock);
  const mv = writeHalf(o + 2, mBlock);
  requantK4(x, o, nmax, dv, mv);
}

function q4kBlock(x: usize, qw: usize, o: usize): void {
  blockK4(x, qw, o, 15);
  packQ4(o);
}

function q5kBlock(x: usize, qw: usize, o: usize): void {
  blockK4(x, qw, o, 31);
  packQ5(o);
}

function q2kBlock(x: usize, qw: usize, o: usize): void {
  prepare(x, qw, 16, 4, sumSquares(x) / <f32>256, false);
  searchQ2_Kw(0);
  searchQ2_Kw(2);
  const dm = writeHalf(o + 80, makeQp(16, 15, SCALES, LS, SW));
  const mm = writeHalf(o + 82, makeQp(16, 15, MINS, LM, SW));
  for (let j = 0; j < 16; j++) store<u8>(o + j, load<u8>(LS + <usize>j) | (load<u8>(LM + <usize>j) << 4));
  for (let j = 0; j < 16; j++) {
    const sc = <u32>load<u8>(o + j);
    const d: f32 = dm * <f32>(sc & 15);
    if (d == 0) levelsOfSearch(x + (<usize>j << 6), LB + (<usize>j << 4), j, 16, 3);
    else requant16(x, j, d, mm * <f32>(sc >> 4), 0, 3, 0);
  }
  pack2(o + 16);
}

function q3kBlock(x: usize, qw: usize, o: usize): void {
  prepare(x, qw, 16, 4, (<f32>2 * sumSquares(x)) / <f32>256, true);
  searchQ3_Kw(0);
  searchQ3_Kw(2);
  const sc = o + 96;
  memory.fill(sc, 0, 12);
  const dBlock = makeQx(16, 32, SCALES, LS, SW);
  for (let j = 0; j < 16; j++) {
    const l = <i32>load<u8>(LS + <usize>j);
    if (j < 8) store<u8>(sc + j, <u8>(l & 15));
    else store<u8>(sc + j - 8, load<u8>(sc + j - 8) | <u8>((l & 15) << 4));
    const hi = sc + 8 + (j & 3);
    store<u8>(hi, load<u8>(hi) | <u8>((l >> 4) << (2 * (j >> 2))));
  }
  const dv = writeHalf(o + 108, dBlock);
  for (let j = 0; j < 16; j++) {
    const lo = j < 8 ? <i32>load<u8>(sc + j) & 15 : <i32>load<u8>(sc + j - 8) >> 4;
    const s = (lo | (((<i32>load<u8>(sc + 8 + (j & 3)) >> (2 * (j >> 2))) & 3) << 4)) - 32;
    const d: f32 = dv * <f32>s;
    if (d != 0) {
      // (x + 0) / d rounds to the level of x / d: they differ only for x = -0, both giving 0
      requant16(x, j, d, 0, -4, 3, 4);
      continue;
    }
    // the levels make_qx_quants left: 0 for an all-zero group, else those of its kept iscale + 4
    const lg = LB + (<usize>j << 4);
    if (load<i32>(FLAT + (<usize>j << 2)) != 0) {
      memory.fill(lg, 0, 16);
    } else {
      const k = f32x4.splat(load<f32>(LISCALE + (<usize>j << 2)));
      for (let r = 0; r < 16; r++) {
        const v = f32x4.splat(load<f32>(x + (<usize>(16 * j + r) << 2)));
        store<u8>(lg + r, <u8>(i32x4.extract_lane(clampV(nearestIntV(f32x4.mul(k, v)), -4, 3), 0) + 4));
      }
    }
  }
  packQ3(o);
}

/** Q6_K weighs by the importances alone: they go to +OFF_W as they are, importance * x to +OFF_L. */
function q6kBlock(x: usize, qw: usize, o: usize): void {
  for (let q = 0; q < 4; q++) {
    const base = quartet(q);
    const from = <usize>q << 8;
    transpose4(x + from, 64, base, 16);
    transpose4(qw + from, 64, base + OFF_W, 16);
    for (let p = base; p < base + 256; p += 16) v128.store(p, f32x4.mul(v128.load(p, OFF_W), v128.load(p)), OFF_L);
  }
  searchQ6_Kw(0);
  searchQ6_Kw(2);
  finishQ6(x, o);
}

/** Runs a 256-element super-block encoder over every block of every row. */
@inline function superBlocks(src: usize, dst: usize, rows: i32, n: i32, w: usize, size: i32, kind: i32): void {
  const nb = n >> 8;
  let o = dst;
  for (let r = 0; r < rows; r++) {
    const row = src + ((<usize>r * <usize>n) << 2);
    for (let i = 0; i < nb; i++) {
      const x = row + (<usize>i << 10);
      const qw = w + (<usize>i << 10);
      if (kind == 2) q2kBlock(x, qw, o);
      else if (kind == 3) q3kBlock(x, qw, o);
      else if (kind == 4) q4kBlock(x, qw, o);
      else if (kind == 5) q5kBlock(x, qw, o);
      else q6kBlock(x, qw, o);
      o += <usize>size;
    }
  }
}

/** matches quantize_row_q2_K_impl with quant_weights. */
export function encode_Q2_K_w(src: usize, dst: usize, rows: i32, n: i32, w: usize): void {
  superBlocks(src, dst, rows, n, w, 84, 2);
}
/** matches quantize_row_q3_K_impl with quant_weights. */
export function encode_Q3_K_w(src: usize, dst: usize, rows: i32, n: i32, w: usize): void {
  superBlocks(src, dst, rows, n, w, 110, 3);
}
/** matches quantize_row_q4_K_impl with quant_weights. */
export function encode_Q4_K_w(src: usize, dst: usize, rows: i32, n: i32, w: usize): void {
  superBlocks(src, dst, rows, n, w, 144, 4);
}
/** matches quantize_row_q5_K_impl with quant_weights. */
export function encode_Q5_K_w(src: usize, dst: usize, rows: i32, n: i32, w: usize): void {
  superBlocks(src, dst, rows, n, w, 176, 5);
}
/** matches quantize_row_q6_K_impl with quant_weights. */
export function encode_Q6_K_w(src: usize, dst: usize, rows: i32, n: i32, w: usize): void {
  superBlocks(src, dst, rows, n, w, 210, 6);
}
