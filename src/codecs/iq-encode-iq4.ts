/**
 * IQ4_NL and IQ4_XS encoders: 4-bit indices into the non-linear kvalues_iq4nl levels, with a
 * scale per 32 elements found by trying 15 candidate scales and keeping the best weighted fit.
 *
 * matches quantize_row_iq4_nl_impl as quantize_iq4_nl / quantize_iq4_xs call it from
 * ggml_quantize_chunk (ntry = 7). Without importance weights, weight = x^2; with them (`qw`,
 * aligned with the input), qw * sqrt(sigma2 + x^2), sigma2 being twice the super-block's mean square.
 */
import { fr, nearestIntBits as nearestInt, writeF16 } from './iq-math';
import { KVALUES_IQ4NL as V } from './iq-tables';

/** GROUP_MAX_EPS = 1e-15f */
const GROUP_MAX_EPS = fr(1e-15);
const NTRY = 7;

/**
 * For x in (-127, 113): the first level above x depends only on floor(x), the levels being
 * integers; indexed by floor(x) + 127.
 */
const FIRST_ABOVE = ((): Uint8Array => {
  const t = new Uint8Array(240);
  for (let f = -127; f < 113; f++) {
    let mu = 1;
    while (V[mu]! <= f) mu++;
    t[f + 127] = mu;
  }
  return t;
})();

/**
 * matches best_index_int8(16, kvalues_iq4nl, x): the bisection ends on the first level above
 * x, found here by table, then the same float32 comparison picks it or the one below.
 */
export function bestIndexIQ4(x: number): number {
  if (x <= -127) return 0;
  if (x >= 113) return 15;
  if (x !== x) return 15; // NaN: every comparison fails, the bisection runs to the top
  const mu = FIRST_ABOVE[Math.floor(x) + 127]!;
  return fr(x - V[mu - 1]!) < fr(V[mu]! - x) ? mu - 1 : mu;
}

const L = new Uint8Array(256);
const scales = new Float32Array(8);
const weight = new Float32Array(32);

/**
 * The best scale for the 32 elements at `xo` (leaving their level indices in L at `lo`), or 0
 * for a block of (near) zeros; the first loop of quantize_row_iq4_nl_impl.
 */
function blockScale(x: Float32Array, xo: number, lo: number, qw: Float32Array | undefined, sigma2: number): number {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < 32; j++) {
    const v = x[xo + j]!;
    weight[j] = qw === undefined ? fr(v * v) : fr(qw[xo + j]! * fr(Math.sqrt(fr(sigma2 + fr(v * v)))));
    const ax = Math.abs(v);
    if (ax > amax) {
      amax = ax;
      max = v;
    }
  }
  if (amax < GROUP_MAX_EPS) return 0;
  let d = fr(-max / V[0]!);
  let id = fr(1 / d);
  let sumqx = 0;
  let sumq2 = 0;
  for (let j = 0; j < 32; j++) {
    const xj = x[xo + j]!;
    const l = bestIndexIQ4(fr(id * xj));
    L[lo + j] = l;
    const q = V[l]!;
    const wq = fr(weight[j]! * q);
    sumqx = fr(sumqx + fr(wq * xj));
    sumq2 = fr(sumq2 + fr(wq * q));
  }
  d = sumq2 > 0 ? fr(sumqx / sumq2) : 0;
  let best = fr(d * sumqx);
  for (let itry = -NTRY; itry <= NTRY; itry++) {
    id = fr((itry + V[0]!) / max);
    sumqx = 0;
    sumq2 = 0;
    for (let j = 0; j < 32; j++) {
      const xj = x[xo + j]!;
      const q = V[bestIndexIQ4(fr(id * xj))]!;
      const wq = fr(weight[j]! * q);
      sumqx = fr(sumqx + fr(wq * xj));
      sumq2 = fr(sumq2 + fr(wq * q));
    }
    if (sumq2 > 0 && fr(sumqx * sumqx) > fr(best * sumq2)) {
      d = fr(sumqx / sumq2);
      best = fr(d * sumqx);
    }
  }
  return d;
}

/** Nibble packing shared by both types: byte j of a 32-group holds elements j and j + 16. */
function packNibbles(dst: Uint8Array, o: number, n: number): void {
  for (let i = 0; i < n / 32; i++) {
    for (let j = 0; j < 16; j++) dst[o + 16 * i + j] = L[32 * i + j]! | (L[32 * i + 16 + j]! << 4);
  }
}

/** quantize_row_iq4_nl_impl's sigma2: the super-block's squares summed, times 2 / its size. */
function superSigma2(x: Float32Array, xo: number, n: number, qw: Float32Array | undefined): number {
  if (qw === undefined) return 0;
  let s = 0;
  for (let j = 0; j < n; j++) s = fr(s + fr(x[xo + j]! * x[xo + j]!));
  return fr(s * fr(2 / n));
}

/** matches quantize_iq4_nl: block = d (f16), qs[16]. */
export function encodeIQ4_NL(src: Float32Array, dst: Uint8Array, qw?: Float32Array): void {
  const nb = (src.length / 32) | 0;
  for (let i = 0, xo = 0, o = 0; i < nb; i++, xo += 32, o += 18) {
    const d = blockScale(src, xo, 0, qw, superSigma2(src, xo, 32, qw));
    writeF16(dst, o, d);
    const id = d !== 0 ? fr(1 / d) : 0; // C truth: NaN counts as nonzero
    for (let j = 0; j < 32; j++) L[j] = bestIndexIQ4(fr(id * src[xo + j]!));
    packNibbles(dst, o + 2, 32);
  }
}

/** matches quantize_iq4_xs: block = d (f16), scales_h (u16), scales_l[4], qs[128]. */
export function encodeIQ4_XS(src: Float32Array, dst: Uint8Array, qw?: Float32Array): void {
  const nb = (src.length / 256) | 0;
  for (let i = 0, xo = 0, o = 0; i < nb; i++, xo += 256, o += 136) {
    const sigma2 = superSigma2(src, xo, 256, qw);
    let maxScale = 0;
    let amaxScale = 0;
    for (let ib = 0; ib < 8; ib++) {
      const s = blockScale(src, xo + 32 * ib, 32 * ib, qw, sigma2);
      scales[ib] = s;
      const a = Math.abs(s);
      if (a > amaxScale) {
        amaxScale = a;
        maxScale = s;
      }
    }
    const d = fr(-maxScale / 32);
    writeF16(dst, o, d);
    const id = d !== 0 ? fr(1 / d) : 0; // C truth: NaN counts as nonzero
    let sh = 0;
    for (let ib = 0; ib < 8; ib++) {
      let l = nearestInt(fr(id * scales[ib]!));
      l = Math.max(-32, Math.min(31, l));
      const dl = fr(d * l);
      const idl = dl !== 0 ? fr(1 / dl) : 0;
      const xb = xo + 32 * ib;
      for (let j = 0; j < 32; j++) L[32 * ib + j] = bestIndexIQ4(fr(idl * src[xb + j]!));
      l += 32;
      if (ib % 2 === 0) dst[o + 4 + (ib >> 1)] = l & 0xf;
      else dst[o + 4 + (ib >> 1)] |= (l & 0xf) << 4;
      sh |= (l >> 4) << (2 * ib);
    }
    dst[o + 2] = sh & 0xff;
    dst[o + 3] = sh >> 8;
    packNibbles(dst, o + 8, 256);
  }
}
