/**
 * Encoders for the legacy blocks and Q1_0 / Q2_0, as ggml_quantize_chunk runs them without an
 * importance matrix: quantize_q4_0 and friends then call quantize_row_*_ref on the whole chunk.
 *
 * Every float operation is rounded to float32 as C does it. `d ? 1/d : 0` is written
 * `d !== 0` because C treats NaN as true. Casts from float to int8_t / uint8_t go through
 * truncI32 and keep the low byte, as the x86-64 build does.
 */
import { fr, roundf, truncI32, writeHalf, writeU32 } from './quant-math';

/** The value of largest magnitude among the 32 at b, sign kept (the first of equals): Q4_0 and Q5_0 scale by it. */
function absMaxSigned32(x: Float32Array, b: number): number {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < 32; j++) {
    const v = x[b + j]!;
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  return max;
}

/** matches quantize_row_q4_0_ref: d = (signed value of largest magnitude) / -8. */
export function encodeQ4_0(x: Float32Array, dst: Uint8Array): void {
  const nb = (x.length / 32) | 0;
  for (let i = 0, b = 0, o = 0; i < nb; i++, b += 32, o += 18) {
    const d = fr(absMaxSigned32(x, b) / -8);
    const id = d !== 0 ? fr(1 / d) : 0;
    writeHalf(dst, o, d);
    for (let j = 0; j < 16; j++) {
      const x0 = fr(x[b + j]! * id);
      const x1 = fr(x[b + 16 + j]! * id);
      const q0 = Math.min(15, (truncI32(fr(x0 + 8.5)) << 24) >> 24) & 0xff;
      const q1 = Math.min(15, (truncI32(fr(x1 + 8.5)) << 24) >> 24) & 0xff;
      dst[o + 2 + j] = q0 | (q1 << 4);
    }
  }
}

// Shared by Q4_1 / Q5_1: the block's min and max, starting from +-FLT_MAX as ggml does.
let blockMin = 0;
let blockMax = 0;
function minMax32(x: Float32Array, b: number): void {
  let min = 3.4028234663852886e38;
  let max = -3.4028234663852886e38;
  for (let j = 0; j < 32; j++) {
    const v = x[b + j]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  blockMin = min;
  blockMax = max;
}

/** matches quantize_row_q4_1_ref: d = (max - min) / 15, m = min. */
export function encodeQ4_1(x: Float32Array, dst: Uint8Array): void {
  const nb = (x.length / 32) | 0;
  for (let i = 0, b = 0, o = 0; i < nb; i++, b += 32, o += 20) {
    minMax32(x, b);
    const min = blockMin;
    const d = fr(fr(blockMax - min) / 15);
    const id = d !== 0 ? fr(1 / d) : 0;
    writeHalf(dst, o, d);
    writeHalf(dst, o + 2, min);
    for (let j = 0; j < 16; j++) {
      const x0 = fr(fr(x[b + j]! - min) * id);
      const x1 = fr(fr(x[b + 16 + j]! - min) * id);
      const q0 = Math.min(15, (truncI32(fr(x0 + 0.5)) << 24) >> 24) & 0xff;
      const q1 = Math.min(15, (truncI32(fr(x1 + 0.5)) << 24) >> 24) & 0xff;
      dst[o + 4 + j] = q0 | (q1 << 4);
    }
  }
}

/** matches quantize_row_q5_0_ref: d = (signed value of largest magnitude) / -16. */
export function encodeQ5_0(x: Float32Array, dst: Uint8Array): void {
  const nb = (x.length / 32) | 0;
  for (let i = 0, b = 0, o = 0; i < nb; i++, b += 32, o += 22) {
    const d = fr(absMaxSigned32(x, b) / -16);
    const id = d !== 0 ? fr(1 / d) : 0;
    writeHalf(dst, o, d);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = fr(x[b + j]! * id);
      const x1 = fr(x[b + 16 + j]! * id);
      const q0 = Math.min(31, (truncI32(fr(x0 + 16.5)) << 24) >> 24) & 0xff;
      const q1 = Math.min(31, (truncI32(fr(x1 + 16.5)) << 24) >> 24) & 0xff;
      dst[o + 6 + j] = (q0 & 15) | ((q1 & 15) << 4);
      qh |= ((q0 & 16) >>> 4) << j;
      qh |= ((q1 & 16) >>> 4) << (j + 16);
    }
    writeU32(dst, o + 2, qh);
  }
}

/** matches quantize_row_q5_1_ref: d = (max - min) / 31, m = min. */
export function encodeQ5_1(x: Float32Array, dst: Uint8Array): void {
  const nb = (x.length / 32) | 0;
  for (let i = 0, b = 0, o = 0; i < nb; i++, b += 32, o += 24) {
    minMax32(x, b);
    const min = blockMin;
    const d = fr(fr(blockMax - min) / 31);
    const id = d !== 0 ? fr(1 / d) : 0;
    writeHalf(dst, o, d);
    writeHalf(dst, o + 2, min);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = fr(fr(x[b + j]! - min) * id);
      const x1 = fr(fr(x[b + 16 + j]! - min) * id);
      const q0 = truncI32(fr(x0 + 0.5)) & 0xff;
      const q1 = truncI32(fr(x1 + 0.5)) & 0xff;
      dst[o + 8 + j] = (q0 & 15) | ((q1 & 15) << 4);
      qh |= ((q0 & 16) >>> 4) << j;
      qh |= ((q1 & 16) >>> 4) << (j + 16);
    }
    writeU32(dst, o + 4, qh);
  }
}

/** matches quantize_row_q8_0_ref: d = amax / 127, q = roundf(x / d). */
export function encodeQ8_0(x: Float32Array, dst: Uint8Array): void {
  const nb = (x.length / 32) | 0;
  for (let i = 0, b = 0, o = 0; i < nb; i++, b += 32, o += 34) {
    let amax = 0;
    for (let j = 0; j < 32; j++) {
      const a = Math.abs(x[b + j]!);
      amax = amax > a ? amax : a;
    }
    const d = fr(amax / 127);
    const id = d !== 0 ? fr(1 / d) : 0;
    writeHalf(dst, o, d);
    for (let j = 0; j < 32; j++) dst[o + 2 + j] = truncI32(roundf(fr(x[b + j]! * id))) & 0xff;
  }
}

/** matches quantize_row_q1_0_ref: d = mean |x| over 128 values, one bit per value for x >= 0. */
export function encodeQ1_0(x: Float32Array, dst: Uint8Array): void {
  const nb = (x.length / 128) | 0;
  for (let i = 0, b = 0, o = 0; i < nb; i++, b += 128, o += 18) {
    let sum = 0;
    for (let j = 0; j < 128; j++) sum = fr(sum + Math.abs(x[b + j]!));
    writeHalf(dst, o, fr(sum / 128));
    for (let k = 0; k < 16; k++) {
      let q = 0;
      for (let t = 0; t < 8; t++) if (x[b + 8 * k + t]! >= 0) q |= 1 << t;
      dst[o + 2 + k] = q;
    }
  }
}

/** matches quantize_row_q2_0_ref: d = amax, code = clamp(roundf(x / d) + 1, 0, 3). */
export function encodeQ2_0(x: Float32Array, dst: Uint8Array): void {
  const nb = (x.length / 64) | 0;
  for (let i = 0, b = 0, o = 0; i < nb; i++, b += 64, o += 18) {
    let amax = 0;
    for (let j = 0; j < 64; j++) {
      const a = Math.abs(x[b + j]!);
      if (a > amax) amax = a;
    }
    const id = amax > 0 ? fr(1 / amax) : 0;
    writeHalf(dst, o, amax);
    for (let k = 0; k < 16; k++) {
      let q = 0;
      for (let t = 0; t < 4; t++) {
        let c = truncI32(roundf(fr(x[b + 4 * k + t]! * id))) + 1;
        if (c < 0) c = 0;
        if (c > 3) c = 3;
        q |= c << (2 * t);
      }
      dst[o + 2 + k] = q;
    }
  }
}
