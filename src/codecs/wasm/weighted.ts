/**
 * The encoders with an importance matrix (ggml_quantize_chunk's quant_weights) other than the
 * K-quants (kquants-weighted.ts, which uses make_qp_quants and make_qx_quants from here for its
 * super-block scales): scalar float32 ports of the TypeScript twins in src/codecs
 * (legacy-encode-imatrix.ts, kquants-search-weighted.ts, iq-encode-iq4.ts), which match quantize_row_<type>_impl of
 * ggml-quants.c at llama.cpp 34af94cd. Every C float operation is one f32 operation here in the
 * C order (wasm has no fused multiply-add), so the bytes are the C code's; the speed over the
 * TypeScript twins comes from not rounding every double with Math.fround.
 *
 * encode_<type>_w(src, dst, rows, n, w): `rows` rows of n floats at src (n a whole number of
 * blocks), n weights at w (one per column, the same for every row), the rows' blocks at dst.
 * Q4_0..Q5_1 weigh by the whole row's mean square, hence the row interface for all of them.
 */
import { nearestInt, writeHalf } from './common';
import { f, setF, b, setB } from './mem';

const GROUP_MAX_EPS: f32 = 1e-15;
const RMIN: f32 = -0.9;
const RDELTA: f32 = 0.05;
const TENTH: f32 = 0.1;

/** Levels (256 bytes: an IQ4_XS super-block), the search scratch, the element weights and the results. */
const L: usize = memory.data(256, 16);
const LAUX: usize = memory.data(32, 16);
const WEIGHT: usize = memory.data(32 * 4, 16);
const SCALES: usize = memory.data(16 * 4, 16);
const MINS: usize = memory.data(16 * 4, 16);

@inline function imin(a: i32, c: i32): i32 {
  return a < c ? a : c;
}
@inline function imax(a: i32, c: i32): i32 {
  return a > c ? a : c;
}

/** make_qkx3_quants with weights (see kquants-search-weighted.ts): levels at l, -min to mins[mo]; returns the scale. */
function makeQkx3(n: i32, nmax: i32, x: usize, w: usize, l: usize, mins: usize, mo: i32, nstep: i32): f32 {
  let min = f(x, 0);
  let max = f(x, 0);
  let sumW = f(w, 0);
  let sumX = sumW * f(x, 0);
  for (let i = 1; i < n; i++) {
    const v = f(x, i);
    if (v < min) min = v;
    if (v > max) max = v;
    const wi = f(w, i);
    sumW += wi;
    sumX += wi * v;
  }
  if (min > 0) min = 0;
  if (max <= min) {
    memory.fill(l, 0, n);
    setF(mins, mo, -min);
    return 0;
  }
  const fn = <f32>nmax;
  let iscale: f32 = fn / (max - min);
  let scale: f32 = <f32>1.0 / iscale;
  let bestMad: f32 = 0;
  for (let i = 0; i < n; i++) {
    const q = imax(0, imin(nmax, nearestInt(iscale * (f(x, i) - min))));
    setB(l, i, q);
    const diff = scale * <f32>q + min - f(x, i);
    bestMad += f(w, i) * (diff * diff);
  }
  for (let is = 0; is <= nstep; is++) {
    iscale = (RMIN + RDELTA * <f32>is + fn) / (max - min);
    let sumL: f32 = 0;
    let sumL2: f32 = 0;
    let sumXL: f32 = 0;
    for (let i = 0; i < n; i++) {
      const v = f(x, i);
      const q = imax(0, imin(nmax, nearestInt(iscale * (v - min))));
      setB(LAUX, i, q);
      const wl = f(w, i) * <f32>q;
      sumL += wl;
      sumL2 += wl * <f32>q;
      sumXL += wl * v;
    }
    const D = sumW * sumL2 - sumL * sumL;
    if (D > 0) {
      let thisScale = (sumW * sumXL - sumX * sumL) / D;
      let thisMin = (sumL2 * sumX - sumL * sumXL) / D;
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = sumXL / sumL2;
      }
      let mad: f32 = 0;
      for (let i = 0; i < n; i++) {
        const diff = thisScale * <f32>b(LAUX, i) + thisMin - f(x, i);
        mad += f(w, i) * (diff * diff);
      }
      if (mad < bestMad) {
        memory.copy(l, LAUX, n);
        bestMad = mad;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  setF(mins, mo, -min);
  return scale;
}

/** make_qp_quants (see kquants-search-weighted.ts): levels in l (uint8, as ggml's L), returns the scale. */
export function makeQp(n: i32, nmax: i32, x: usize, l: usize, qw: usize): f32 {
  let max: f32 = 0;
  for (let i = 0; i < n; i++) max = Mathf.max(max, f(x, i));
  if (max < GROUP_MAX_EPS) {
    memory.fill(l, 0, n);
    return 0;
  }
  const fn = <f32>nmax;
  let iscale: f32 = fn / max;
  for (let i = 0; i < n; i++) setB(l, i, nearestInt(iscale * f(x, i)) & 0xff);
  const scale: f32 = <f32>1.0 / iscale;
  let bestMse: f32 = 0;
  for (let i = 0; i < n; i++) {
    const diff = f(x, i) - scale * <f32>b(l, i);
    bestMse += f(qw, i) * diff * diff;
  }
  for (let is = -4; is <= 4; is++) {
    if (is == 0) continue;
    const iscaleIs: f32 = (TENTH * <f32>is + fn) / max;
    const scaleIs: f32 = <f32>1.0 / iscaleIs;
    let mse: f32 = 0;
    for (let i = 0; i < n; i++) {
      const q = imin(nmax, nearestInt(iscaleIs * f(x, i)));
      const diff = f(x, i) - scaleIs * <f32>q;
      mse += f(qw, i) * diff * diff;
    }
    if (mse < bestMse) {
      bestMse = mse;
      iscale = iscaleIs;
    }
  }
  let sumlx: f32 = 0;
  let suml2: f32 = 0;
  for (let i = 0; i < n; i++) {
    const q = imin(nmax, nearestInt(iscale * f(x, i)));
    setB(l, i, q & 0xff);
    const wi = f(qw, i);
    sumlx += wi * f(x, i) * <f32>q;
    suml2 += wi * <f32>q * <f32>q;
  }
  for (let itry = 0; itry < 5; itry++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const wi = f(qw, i);
      const li = <f32>b(l, i);
      let slx = sumlx - wi * f(x, i) * li;
      let sl2 = suml2 - wi * li * li;
      if (slx > 0 && sl2 > 0) {
        const newL = imin(nmax, nearestInt((f(x, i) * sl2) / slx));
        if (newL != b(l, i)) {
          slx += wi * f(x, i) * <f32>newL;
          sl2 += wi * <f32>newL * <f32>newL;
          if (slx * slx * suml2 > sumlx * sumlx * sl2) {
            setB(l, i, newL & 0xff);
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (changed == 0) break;
  }
  return suml2 > 0 ? sumlx / suml2 : 0;
}

/** make_qx_quants with weights (rmse_type 1; see kquants-search.ts): levels + nmax in l; returns the scale. */
export function makeQx(n: i32, nmax: i32, x: usize, l: usize, qw: usize): f32 {
  let max: f32 = 0;
  let amax: f32 = 0;
  for (let i = 0; i < n; i++) {
    const ax = Mathf.abs(f(x, i));
    if (ax > amax) {
      amax = ax;
      max = f(x, i);
    }
  }
  if (amax < GROUP_MAX_EPS) {
    memory.fill(l, 0, n);
    return 0;
  }
  const fn = <f32>nmax;
  let iscale: f32 = -fn / max;
  let sumlx: f32 = 0;
  let suml2: f32 = 0;
  for (let i = 0; i < n; i++) {
    const v = f(x, i);
    const q = imax(-nmax, imin(nmax - 1, nearestInt(iscale * v)));
    setB(l, i, q + nmax);
    const w = f(qw, i);
    sumlx += w * v * <f32>q;
    suml2 += w * <f32>q * <f32>q;
  }
  let scale: f32 = suml2 != 0 ? sumlx / suml2 : 0;
  let best: f32 = scale * sumlx;
  for (let is = -9; is <= 9; is++) {
    if (is == 0) continue;
    iscale = -(fn + TENTH * <f32>is) / max;
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const v = f(x, i);
      const q = imax(-nmax, imin(nmax - 1, nearestInt(iscale * v)));
      const w = f(qw, i);
      sumlx += w * v * <f32>q;
      suml2 += w * <f32>q * <f32>q;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (let i = 0; i < n; i++) setB(l, i, nmax + imax(-nmax, imin(nmax - 1, nearestInt(iscale * f(x, i)))));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

@inline function sumSquares(x: usize, n: i32): f32 {
  let s: f32 = 0;
  for (let i = 0; i < n; i++) s += f(x, i) * f(x, i);
  return s;
}

/** WEIGHT[0..n) = qw * sqrt(sigma2 + x^2) for the group at x; returns their sum. */
function groupWeights(x: usize, qw: usize, n: i32, sigma2: f32): f32 {
  for (let i = 0; i < n; i++) {
    const v = f(x, i);
    setF(WEIGHT, i, f(qw, i) * Mathf.sqrt(sigma2 + v * v));
  }
  let s: f32 = 0;
  for (let i = 0; i < n; i++) s += f(WEIGHT, i);
  return s;
}

/** Nibbles of L: byte j holds elements j and j + 16 (low 4 bits each). */
function packNibbles32(q: usize): void {
  for (let j = 0; j < 16; j++) setB(q, j, (b(L, j) & 15) | ((b(L, j + 16) & 15) << 4));
}
function highBits32(): u32 {
  let qh: u32 = 0;
  for (let j = 0; j < 16; j++) {
    qh |= <u32>((b(L, j) & 16) >> 4) << j;
    qh |= <u32>((b(L, j + 16) & 16) >> 4) << (j + 16);
  }
  return qh;
}

/** quantize_row_q{4,5}_{0,1}_impl: weights from the row's mean square, one 32-block at a time. */
function legacyRows(src: usize, dst: usize, rows: i32, n: i32, w: usize, nmax: i32, asym: bool, size: i32): void {
  let o = dst;
  for (let r = 0; r < rows; r++) {
    const row = src + (<usize>r * <usize>n << 2);
    const sigma2 = sumSquares(row, n) / <f32>n;
    for (let i = 0; i < n; i += 32) {
      const x = row + (<usize>i << 2);
      groupWeights(x, w + (<usize>i << 2), 32, sigma2);
      if (!asym) {
        writeHalf(o, makeQx(32, nmax, x, L, WEIGHT));
        if (nmax == 8) packNibbles32(o + 2);
        else {
          store<u32>(o + 2, highBits32());
          packNibbles32(o + 6);
        }
      } else {
        const d = makeQkx3(32, nmax, x, WEIGHT, L, MINS, 0, 36);
        writeHalf(o, d);
        writeHalf(o + 2, -f(MINS, 0));
        if (nmax == 15) packNibbles32(o + 4);
        else {
          store<u32>(o + 4, highBits32());
          packNibbles32(o + 8);
        }
      }
      o += <usize>size;
    }
  }
}

/** matches quantize_row_q4_0_impl with quant_weights. */
export function encode_Q4_0_w(src: usize, dst: usize, rows: i32, n: i32, w: usize): void {
  legacyRows(src, dst, rows, n, w, 8, false, 18);
}
/** matches quantize_row_q4_1_impl with quant_weights. */
export function encode_Q4_1_w(src: usize, dst: usize, rows: i32, n: i32, w: usize): void {
  legacyRows(src, dst, rows, n, w, 15, true, 20);
}
/** matches quantize_row_q5_0_impl with quant_weights. */
export function encode_Q5_0_w(src: usize, dst: usize, rows: i32, n: i32, w: usize): void {
  legacyRows(src, dst, rows, n, w, 16, false, 22);
}
/** matches quantize_row_q5_1_impl with quant_weights. */
export function encode_Q5_1_w(src: usize, dst: usize, rows: i32, n: i32, w: usize): void {
  legacyRows(src, dst, rows, n, w, 31, true, 24);
}

/** kvalues_iq4nl. */
const KV: usize = memory.data<i8>([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]);
@inline function kv(i: i32): f32 {
  return <f32>load<i8>(KV + <usize>i);
}

/** best_index_int8(16, kvalues_iq4nl, x), the C bisection. */
function bestIndex(x: f32): i32 {
  if (x <= kv(0)) return 0;
  if (x >= kv(15)) return 15;
  let ml = 0;
  let mu = 15;
  while (mu - ml > 1) {
    const mid = (ml + mu) >> 1;
    if (x < kv(mid)) mu = mid;
    else ml = mid;
  }
  return x - kv(mu - 1) < kv(mu) - x ? mu - 1 : mu;
}

/** The first loop of quantize_row_iq4_nl_impl (ntry 7) for the 32 elements at x, with weights; levels in L + lo. */
function iq4Scale(x: usize, qw: usize, lo: usize, sigma2: f32): f32 {
  let amax: f32 = 0;
  let max: f32 = 0;
  for (let j = 0; j < 32; j++) {
    const v = f(x, j);
    setF(WEIGHT, j, f(qw, j) * Mathf.sqrt(sigma2 + v * v));
    const ax = Mathf.abs(v);
    if (ax > amax) {
      amax = ax;
      max = v;
    }
  }
  if (amax < GROUP_MAX_EPS) return 0;
  let d: f32 = -max / kv(0);
  let id: f32 = <f32>1.0 / d;
  let sumqx: f32 = 0;
  let sumq2: f32 = 0;
  for (let j = 0; j < 32; j++) {
    const xj = f(x, j);
    const l = bestIndex(id * xj);
    setB(L + lo, j, l);
    const q = kv(l);
    const wq = f(WEIGHT, j) * q;
    sumqx += wq * xj;
    sumq2 += wq * q;
  }
  d = sumq2 > 0 ? sumqx / sumq2 : 0;
  let best: f32 = d * sumqx;
  for (let itry = -7; itry <= 7; itry++) {
    id = (<f32>itry + kv(0)) / max;
    sumqx = 0;
    sumq2 = 0;
    for (let j = 0; j < 32; j++) {
      const xj = f(x, j);
      const q = kv(bestIndex(id * xj));
      const wq = f(WEIGHT, j) * q;
      sumqx += wq * xj;
      sumq2 += wq * q;
    }
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      d = sumqx / sumq2;
      best = d * sumqx;
    }
  }
  return d;
}

function packIq4(q: usize, blocks: i32): void {
  for (let i = 0; i < blocks; i++) {
    for (let j = 0; j < 16; j++) setB(q, 16 * i + j, b(L, 32 * i + j) | (b(L, 32 * i + 16 + j) << 4));
  }
}

/** matches quantize_iq4_nl with quant_weights: d (f16), qs[16]. */
export function encode_IQ4_NL_w(src: usize, dst: usize, rows: i32, n: i32, w: usize): void {
  let o = dst;
  for (let r = 0; r < rows; r++) {
    const row = src + (<usize>r * <usize>n << 2);
    for (let i = 0; i < n; i += 32) {
      const x = row + (<usize>i << 2);
      const sigma2 = sumSquares(x, 32) * (<f32>2 / <f32>32);
      const d = iq4Scale(x, w + (<usize>i << 2), 0, sigma2);
      writeHalf(o, d);
      const id: f32 = d != 0 ? <f32>1.0 / d : 0;
      for (let j = 0; j < 32; j++) setB(L, j, bestIndex(id * f(x, j)));
      packIq4(o + 2, 1);
      o += 18;
    }
  }
}

/** matches quantize_iq4_xs with quant_weights: d (f16), scales_h, scales_l[4], qs[128]. */
export function encode_IQ4_XS_w(src: usize, dst: usize, rows: i32, n: i32, w: usize): void {
  let o = dst;
  for (let r = 0; r < rows; r++) {
    const row = src + (<usize>r * <usize>n << 2);
    for (let i = 0; i < n; i += 256) {
      const x = row + (<usize>i << 2);
      const qw = w + (<usize>i << 2);
      const sigma2 = sumSquares(x, 256) * (<f32>2 / <f32>256);
      let maxScale: f32 = 0;
      let amaxScale: f32 = 0;
      for (let ib = 0; ib < 8; ib++) {
        const s = iq4Scale(x + (<usize>ib << 7), qw + (<usize>ib << 7), <usize>(32 * ib), sigma2);
        setF(SCALES, ib, s);
        const a = Mathf.abs(s);
        if (a > amaxScale) {
          amaxScale = a;
          maxScale = s;
        }
      }
      const d: f32 = -maxScale / <f32>32;
      writeHalf(o, d);
      const id: f32 = d != 0 ? <f32>1.0 / d : 0;
      let sh: u32 = 0;
      memory.fill(o + 4, 0, 4);
      for (let ib = 0; ib < 8; ib++) {
        let l = nearestInt(id * f(SCALES, ib));
        l = imax(-32, imin(31, l));
        const dl: f32 = d * <f32>l;
        const idl: f32 = dl != 0 ? <f32>1.0 / dl : 0;
        const xb = x + (<usize>ib << 7);
        for (let j = 0; j < 32; j++) setB(L, 32 * ib + j, bestIndex(idl * f(xb, j)));
        l += 32;
        const sl = o + 4 + <usize>(ib >> 1);
        store<u8>(sl, load<u8>(sl) | <u8>((l & 15) << ((ib & 1) << 2)));
        sh |= <u32>(l >> 4) << (2 * ib);
      }
      store<u16>(o + 2, <u16>sh);
      packIq4(o + 8, 8);
      o += 136;
    }
  }
}
