/**
 * Decoders for the 32-element legacy blocks and the 1- and 2-bit Q1_0 / Q2_0 blocks, each
 * matching ggml's dequantize_row_* in float32 (one rounding per C operation, no FMA: the
 * reference is ggml's scalar base library built for baseline x86-64).
 *
 * `src` may sit at any byte offset, so every multi-byte field is read byte by byte.
 */
import { fr, readHalf, readU32 } from './quant-math';

/** matches dequantize_row_q4_0: block = d (f16), 16 bytes of nibbles (low = first half). */
export function decodeQ4_0(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 32) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 18, y += 32) {
    const d = readHalf(src, o);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 2 + j]!;
      dst[y + j] = fr(((q & 15) - 8) * d);
      dst[y + j + 16] = fr(((q >>> 4) - 8) * d);
    }
  }
}

/** matches dequantize_row_q4_1: d, m (f16), 16 bytes of nibbles; x = q*d + m. */
export function decodeQ4_1(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 32) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 20, y += 32) {
    const d = readHalf(src, o);
    const m = readHalf(src, o + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 4 + j]!;
      dst[y + j] = fr(fr((q & 15) * d) + m);
      dst[y + j + 16] = fr(fr((q >>> 4) * d) + m);
    }
  }
}

/** matches dequantize_row_q5_0: d (f16), qh (32 fifth bits), 16 bytes of nibbles. */
export function decodeQ5_0(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 32) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 22, y += 32) {
    const d = readHalf(src, o);
    const qh = readU32(src, o + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 6 + j]!;
      const h0 = ((qh >>> j) << 4) & 16;
      const h1 = (qh >>> (j + 12)) & 16;
      dst[y + j] = fr((((q & 15) | h0) - 16) * d);
      dst[y + j + 16] = fr((((q >>> 4) | h1) - 16) * d);
    }
  }
}

/** matches dequantize_row_q5_1: d, m (f16), qh, 16 bytes of nibbles; x = q*d + m. */
export function decodeQ5_1(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 32) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 24, y += 32) {
    const d = readHalf(src, o);
    const m = readHalf(src, o + 2);
    const qh = readU32(src, o + 4);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 8 + j]!;
      const h0 = ((qh >>> j) << 4) & 16;
      const h1 = (qh >>> (j + 12)) & 16;
      dst[y + j] = fr(fr(((q & 15) | h0) * d) + m);
      dst[y + j + 16] = fr(fr(((q >>> 4) | h1) * d) + m);
    }
  }
}

/** matches dequantize_row_q8_0: d (f16), 32 signed bytes. */
export function decodeQ8_0(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 32) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 34, y += 32) {
    const d = readHalf(src, o);
    for (let j = 0; j < 32; j++) dst[y + j] = fr(((src[o + 2 + j]! << 24) >> 24) * d);
  }
}

// -d and +d, picked by each bit without a branch (the bits are as good as random).
const signed = new Float32Array(2);

/** matches dequantize_row_q1_0: d (f16), 128 sign bits (set = +d, clear = -d). */
export function decodeQ1_0(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 128) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 18, y += 128) {
    const d = readHalf(src, o);
    signed[0] = -d;
    signed[1] = d;
    for (let b = 0; b < 16; b++) {
      const q = src[o + 2 + b]!;
      for (let k = 0; k < 8; k++) dst[y + 8 * b + k] = signed[(q >>> k) & 1]!;
    }
  }
}

/** matches dequantize_row_q2_0: d (f16), 64 two-bit codes meaning -1, 0, 1, 2 times d. */
export function decodeQ2_0(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / 64) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += 18, y += 64) {
    const d = readHalf(src, o);
    for (let b = 0; b < 16; b++) {
      const q = src[o + 2 + b]!;
      for (let k = 0; k < 4; k++) dst[y + 4 * b + k] = fr((((q >>> (2 * k)) & 3) - 1) * d);
    }
  }
}
