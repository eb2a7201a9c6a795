/**
 * Decoders of the IQ ("importance") types, each matching ggml's dequantize_row_* in float32:
 * one rounding per C operation (intermediate scales through Math.fround, the final product by
 * the Float32Array store), no FMA, as ggml's scalar base library does on baseline x86-64.
 *
 * Blocks may sit at any byte offset, so multi-byte fields are read byte by byte.
 */
import { f16ToF32 } from './half';
import { fr, readF16, readU16 } from './iq-math';
import { readU32 } from './quant-math';
import { IQ1S_GRID } from './iq-grid-1bit';
import { IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID } from './iq-grid-2bit';
import { gridBytes32, gridBytes64, IQ3S_GRID, IQ3XXS_GRID, KSIGNS_IQ2XS, KVALUES_IQ4NL } from './iq-tables';

const G_IQ2XXS = gridBytes64(IQ2XXS_GRID);
const G_IQ2XS = gridBytes64(IQ2XS_GRID);
const G_IQ2S = gridBytes64(IQ2S_GRID);
const G_IQ3XXS = gridBytes32(IQ3XXS_GRID);
const G_IQ3S = gridBytes32(IQ3S_GRID);
/** iq1s_grid bytes are int8 -1, 0, +1. */
const G_IQ1S = new Int8Array(gridBytes64(IQ1S_GRID).buffer);
const IQ1S_DELTA = 0.125;

/** Eight grid bytes times `db`, negated where `signs` has a bit set. */
function put8(dst: Float32Array, y: number, grid: Uint8Array, g: number, db: number, signs: number): void {
  for (let j = 0; j < 8; j++) {
    const v = db * grid[g + j]!;
    dst[y + j] = (signs >> j) & 1 ? -v : v;
  }
}

/** matches dequantize_row_iq2_xxs: d, then per 32: four grid bytes and a word of 4x7 sign bits + 4-bit scale. */
export function decodeIQ2_XXS(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 256) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 66) {
    const d = readF16(src, o);
    for (let ib = 0; ib < 8; ib++, y += 32) {
      const q = o + 2 + 8 * ib;
      const aux1 = readU32(src, q + 4);
      const db = fr(fr(d * (0.5 + (aux1 >>> 28))) * 0.25);
      for (let l = 0; l < 4; l++) {
        put8(dst, y + 8 * l, G_IQ2XXS, src[q + l]! * 8, db, KSIGNS_IQ2XS[(aux1 >>> (7 * l)) & 127]!);
      }
    }
  }
}

/** matches dequantize_row_iq2_xs: d, 32 u16 (9-bit grid index + 7 sign bits), 8 bytes of two 4-bit scales. */
export function decodeIQ2_XS(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 256) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 74) {
    const d = readF16(src, o);
    for (let ib = 0; ib < 8; ib++, y += 32) {
      const sc = src[o + 66 + ib]!;
      const db0 = fr(fr(d * (0.5 + (sc & 0xf))) * 0.25);
      const db1 = fr(fr(d * (0.5 + (sc >> 4))) * 0.25);
      for (let l = 0; l < 4; l++) {
        const q = readU16(src, o + 2 + 2 * (4 * ib + l));
        put8(dst, y + 8 * l, G_IQ2XS, (q & 511) * 8, l < 2 ? db0 : db1, KSIGNS_IQ2XS[q >> 9]!);
      }
    }
  }
}

/** matches dequantize_row_iq2_s: d, qs[32] grid low bits, signs[32], qh[8] (2 high bits each), scales[8]. */
export function decodeIQ2_S(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 256) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 82) {
    const d = readF16(src, o);
    for (let ib = 0; ib < 8; ib++, y += 32) {
      const sc = src[o + 74 + ib]!;
      const qh = src[o + 66 + ib]!;
      const db0 = fr(fr(d * (0.5 + (sc & 0xf))) * 0.25);
      const db1 = fr(fr(d * (0.5 + (sc >> 4))) * 0.25);
      for (let l = 0; l < 4; l++) {
        const g = src[o + 2 + 4 * ib + l]! | ((qh << (8 - 2 * l)) & 0x300);
        put8(dst, y + 8 * l, G_IQ2S, g * 8, l < 2 ? db0 : db1, src[o + 34 + 4 * ib + l]!);
      }
    }
  }
}

/** matches dequantize_row_iq3_xxs: d, 64 grid bytes, then per 32 a word of 4x7 sign bits + 4-bit scale. */
export function decodeIQ3_XXS(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 256) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 98) {
    const d = readF16(src, o);
    for (let ib = 0; ib < 8; ib++) {
      const aux = readU32(src, o + 66 + 4 * ib);
      const db = fr(fr(d * (0.5 + (aux >>> 28))) * 0.5);
      for (let l = 0; l < 4; l++, y += 8) {
        const signs = KSIGNS_IQ2XS[(aux >>> (7 * l)) & 127]!;
        const g1 = src[o + 2 + 8 * ib + 2 * l]! * 4;
        const g2 = src[o + 3 + 8 * ib + 2 * l]! * 4;
        for (let j = 0; j < 4; j++) {
          const v1 = db * G_IQ3XXS[g1 + j]!;
          const v2 = db * G_IQ3XXS[g2 + j]!;
          dst[y + j] = (signs >> j) & 1 ? -v1 : v1;
          dst[y + j + 4] = (signs >> (j + 4)) & 1 ? -v2 : v2;
        }
      }
    }
  }
}

/** matches dequantize_row_iq3_s: d, qs[64], qh[8] (9th index bits), signs[32], scales[4] (4 bits per 32). */
export function decodeIQ3_S(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 256) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 110) {
    const d = readF16(src, o);
    for (let ib = 0; ib < 8; ib++) {
      const sc = src[o + 106 + (ib >> 1)]!;
      const db = fr(d * (1 + 2 * (ib & 1 ? sc >> 4 : sc & 0xf)));
      const qh = src[o + 66 + ib]!;
      for (let l = 0; l < 4; l++, y += 8) {
        const qs = o + 2 + 8 * ib + 2 * l;
        const g1 = (src[qs]! | ((qh << (8 - 2 * l)) & 256)) * 4;
        const g2 = (src[qs + 1]! | ((qh << (7 - 2 * l)) & 256)) * 4;
        const signs = src[o + 74 + 4 * ib + l]!;
        for (let j = 0; j < 4; j++) {
          const v1 = db * G_IQ3S[g1 + j]!;
          const v2 = db * G_IQ3S[g2 + j]!;
          dst[y + j] = (signs >> j) & 1 ? -v1 : v1;
          dst[y + j + 4] = (signs >> (j + 4)) & 1 ? -v2 : v2;
        }
      }
    }
  }
}

/** matches dequantize_row_iq1_s: d, qs[32] grid low bits, qh[8] u16 (3x3 high bits, 3-bit scale, delta sign). */
export function decodeIQ1_S(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 256) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 50) {
    const d = readF16(src, o);
    for (let ib = 0; ib < 8; ib++) {
      const qh = readU16(src, o + 34 + 2 * ib);
      const dl = fr(d * (2 * ((qh >> 12) & 7) + 1));
      const delta = qh & 0x8000 ? -IQ1S_DELTA : IQ1S_DELTA;
      for (let l = 0; l < 4; l++, y += 8) {
        const g = (src[o + 2 + 4 * ib + l]! | (((qh >> (3 * l)) & 7) << 8)) * 8;
        for (let j = 0; j < 8; j++) dst[y + j] = dl * (G_IQ1S[g + j]! + delta);
      }
    }
  }
}

/** matches dequantize_row_iq1_m: qs[32], qh[16] (3 high bits + delta sign per 8), scales[8]; the f16 super-scale lives in the top nibbles of the four scale words. */
export function decodeIQ1_M(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 256) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 56) {
    const s0 = readU16(src, o + 48);
    const s1 = readU16(src, o + 50);
    const s2 = readU16(src, o + 52);
    const s3 = readU16(src, o + 54);
    const h = (s0 >> 12) | ((s1 >> 8) & 0x00f0) | ((s2 >> 4) & 0x0f00) | (s3 & 0xf000);
    const d = f16ToF32(h);
    for (let ib = 0; ib < 8; ib++) {
      const sc = readU16(src, o + 48 + 2 * (ib >> 1));
      const shift = 6 * (ib & 1);
      const dl1 = fr(d * (2 * ((sc >> shift) & 7) + 1));
      const dl2 = fr(d * (2 * ((sc >> (shift + 3)) & 7) + 1));
      const qh0 = src[o + 32 + 2 * ib]!;
      const qh1 = src[o + 33 + 2 * ib]!;
      const qs = o + 4 * ib;
      for (let l = 0; l < 4; l++, y += 8) {
        const qh = l < 2 ? qh0 : qh1;
        const hi = l & 1 ? (qh << 4) & 0x700 : (qh << 8) & 0x700;
        const neg = l & 1 ? qh & 0x80 : qh & 0x08;
        const delta = neg ? -IQ1S_DELTA : IQ1S_DELTA;
        const dl = l < 2 ? dl1 : dl2;
        const g = (src[qs + l]! | hi) * 8;
        for (let j = 0; j < 8; j++) dst[y + j] = dl * (G_IQ1S[g + j]! + delta);
      }
    }
  }
}

/** matches dequantize_row_iq4_nl: d, 16 bytes of nibbles indexing kvalues_iq4nl (low = first half). */
export function decodeIQ4_NL(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 32) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 18, y += 32) {
    const d = readF16(src, o);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 2 + j]!;
      dst[y + j] = d * KVALUES_IQ4NL[q & 15]!;
      dst[y + j + 16] = d * KVALUES_IQ4NL[q >> 4]!;
    }
  }
}

/** matches dequantize_row_iq4_xs: d, scales_h (u16), scales_l[4], qs[128]; 6-bit scales offset by 32. */
export function decodeIQ4_XS(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 256) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 136) {
    const d = readF16(src, o);
    const sh = readU16(src, o + 2);
    for (let ib = 0; ib < 8; ib++, y += 32) {
      const ls = ((src[o + 4 + (ib >> 1)]! >> (4 * (ib & 1))) & 0xf) | (((sh >> (2 * ib)) & 3) << 4);
      const dl = fr(d * (ls - 32));
      const qs = o + 8 + 16 * ib;
      for (let j = 0; j < 16; j++) {
        const q = src[qs + j]!;
        dst[y + j] = dl * KVALUES_IQ4NL[q & 15]!;
        dst[y + j + 16] = dl * KVALUES_IQ4NL[q >> 4]!;
      }
    }
  }
}
