/**
 * Decoders for the 256-element K-quant super-blocks, each matching ggml's dequantize_row_*
 * in float32: one rounding per C operation, in the reference's order (d * sc first, then the
 * quant, then the min), no FMA.
 *
 * `src` may sit at any byte offset, so multi-byte fields are read byte by byte. Per-group
 * scales go through small module-level scratch arrays: no allocation per block.
 */
import { fr, readHalf } from './quant-math';

const groupD = new Float32Array(16);
const groupM = new Float32Array(16);

/** matches dequantize_row_q2_K: scales[16] (4-bit scale | 4-bit min), qs[64], d, dmin. */
export function decodeQ2_K(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 256) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 84, y += 256) {
    const d = readHalf(src, o + 80);
    const min = readHalf(src, o + 82);
    for (let g = 0; g < 16; g++) {
      const sc = src[o + g]!;
      groupD[g] = fr(d * (sc & 15));
      groupM[g] = fr(min * (sc >>> 4));
    }
    for (let n = 0; n < 2; n++) {
      const q = o + 16 + 32 * n;
      for (let j = 0; j < 4; j++) {
        const shift = 2 * j;
        for (let h = 0; h < 2; h++) {
          const g = 8 * n + 2 * j + h;
          const dl = groupD[g]!;
          const ml = groupM[g]!;
          const yy = y + 128 * n + 32 * j + 16 * h;
          const qq = q + 16 * h;
          for (let l = 0; l < 16; l++) dst[yy + l] = fr(fr(dl * ((src[qq + l]! >>> shift) & 3)) - ml);
        }
      }
    }
  }
}

/** The 16 six-bit Q3_K group scales, unpacked from 12 bytes at `s` and re-centred at 0. */
function q3Scale(src: Uint8Array, s: number, j: number): number {
  const lo = j < 8 ? src[s + j]! & 15 : src[s + j - 8]! >>> 4;
  const hi = (src[s + 8 + (j & 3)]! >>> (2 * (j >>> 2))) & 3;
  return (lo | (hi << 4)) - 32;
}

/** matches dequantize_row_q3_K: hmask[32], qs[64], scales[12], d. */
export function decodeQ3_K(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 256) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 110, y += 256) {
    const dAll = readHalf(src, o + 108);
    for (let g = 0; g < 16; g++) groupD[g] = fr(dAll * q3Scale(src, o + 96, g));
    for (let n = 0; n < 2; n++) {
      const q = o + 32 + 32 * n;
      for (let j = 0; j < 4; j++) {
        const shift = 2 * j;
        const bit = 4 * n + j;
        for (let h = 0; h < 2; h++) {
          const dl = groupD[8 * n + 2 * j + h]!;
          const yy = y + 128 * n + 32 * j + 16 * h;
          const qq = q + 16 * h;
          const hm = o + 16 * h;
          for (let l = 0; l < 16; l++) {
            // a clear hmask bit means "minus 4"; done without a branch (the bits are random)
            const v = ((src[qq + l]! >>> shift) & 3) - ((~src[hm + l]! >>> bit) & 1) * 4;
            dst[yy + l] = fr(dl * v);
          }
        }
      }
    }
  }
}

/** get_scale_min_k4 for all 8 groups of a Q4_K / Q5_K block: scales at `s`, times d and dmin. */
function unpackK4(src: Uint8Array, s: number, d: number, min: number): void {
  for (let j = 0; j < 8; j++) {
    let sc: number;
    let m: number;
    if (j < 4) {
      sc = src[s + j]! & 63;
      m = src[s + j + 4]! & 63;
    } else {
      sc = (src[s + j + 4]! & 15) | ((src[s + j - 4]! >>> 6) << 4);
      m = (src[s + j + 4]! >>> 4) | ((src[s + j]! >>> 6) << 4);
    }
    groupD[j] = fr(d * sc);
    groupM[j] = fr(min * m);
  }
}

/** matches dequantize_row_q4_K: d, dmin, scales[12], qs[128]. */
export function decodeQ4_K(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 256) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 144, y += 256) {
    unpackK4(src, o + 4, readHalf(src, o), readHalf(src, o + 2));
    for (let c = 0; c < 4; c++) {
      const q = o + 16 + 32 * c;
      const d1 = groupD[2 * c]!;
      const m1 = groupM[2 * c]!;
      const d2 = groupD[2 * c + 1]!;
      const m2 = groupM[2 * c + 1]!;
      const yy = y + 64 * c;
      for (let l = 0; l < 32; l++) {
        const b = src[q + l]!;
        dst[yy + l] = fr(fr(d1 * (b & 15)) - m1);
        dst[yy + 32 + l] = fr(fr(d2 * (b >>> 4)) - m2);
      }
    }
  }
}

/** matches dequantize_row_q5_K: d, dmin, scales[12], qh[32], qs[128]. */
export function decodeQ5_K(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 256) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 176, y += 256) {
    unpackK4(src, o + 4, readHalf(src, o), readHalf(src, o + 2));
    const qh = o + 16;
    for (let c = 0; c < 4; c++) {
      const q = o + 48 + 32 * c;
      const b1 = 2 * c;
      const b2 = 2 * c + 1;
      const d1 = groupD[2 * c]!;
      const m1 = groupM[2 * c]!;
      const d2 = groupD[2 * c + 1]!;
      const m2 = groupM[2 * c + 1]!;
      const yy = y + 64 * c;
      for (let l = 0; l < 32; l++) {
        const b = src[q + l]!;
        const h = src[qh + l]!;
        dst[yy + l] = fr(fr(d1 * ((b & 15) | (((h >>> b1) & 1) << 4))) - m1);
        dst[yy + 32 + l] = fr(fr(d2 * ((b >>> 4) | (((h >>> b2) & 1) << 4))) - m2);
      }
    }
  }
}

/** matches dequantize_row_q6_K: ql[128], qh[64], scales[16] (int8), d. */
export function decodeQ6_K(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 256) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 210, y += 256) {
    const d = readHalf(src, o + 208);
    for (let g = 0; g < 16; g++) groupD[g] = fr(d * ((src[o + 192 + g]! << 24) >> 24));
    for (let n = 0; n < 2; n++) {
      const ql = o + 64 * n;
      const qh = o + 128 + 32 * n;
      const yy = y + 128 * n;
      for (let l = 0; l < 32; l++) {
        const g = 8 * n + (l >>> 4);
        const a = src[ql + l]!;
        const b = src[ql + l + 32]!;
        const h = src[qh + l]!;
        dst[yy + l] = fr(groupD[g]! * (((a & 15) | ((h & 3) << 4)) - 32));
        dst[yy + l + 32] = fr(groupD[g + 2]! * (((b & 15) | (((h >>> 2) & 3) << 4)) - 32));
        dst[yy + l + 64] = fr(groupD[g + 4]! * (((a >>> 4) | (((h >>> 4) & 3) << 4)) - 32));
        dst[yy + l + 96] = fr(groupD[g + 6]! * (((b >>> 4) | (((h >>> 6) & 3) << 4)) - 32));
      }
    }
  }
}

const f32Bits = new Float32Array(1);
const u32Bits = new Uint32Array(f32Bits.buffer);

/** matches dequantize_row_q8_K: d (float32), qs[256] (int8), bsums[16] (unused here). */
export function decodeQ8_K(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 256) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 292, y += 256) {
    u32Bits[0] = src[o]! | (src[o + 1]! << 8) | (src[o + 2]! << 16) | (src[o + 3]! << 24);
    const d = f32Bits[0]!;
    for (let j = 0; j < 256; j++) dst[y + j] = fr(d * ((src[o + 4 + j]! << 24) >> 24));
  }
}
