/**
 * TQ1_0 and TQ2_0: ternary weights (-1, 0, +1) times one f16 scale per 256 elements, as
 * BitNet b1.58 and TriLM checkpoints store them.
 *
 * TQ1_0 packs five trits per byte as a base-3 fraction of 256 (so a trit is read back with a
 * multiply and a shift, no division), in three runs: 32 bytes x 5 trits strided by 32, 16 bytes
 * x 5 trits strided by 16, then 4 bytes x 4 trits strided by 4. TQ2_0 is plain 2-bit codes.
 */
import { fr, readF16, writeF16 } from './iq-math';
import { roundf } from './quant-math';

const QK_K = 256;
const TQ1_SIZE = 54; // qs[48], qh[4], d
const TQ2_SIZE = 66; // qs[64], d
const POW3 = new Uint8Array([1, 3, 9, 27, 81, 243]);

/**
 * lroundf(x) + 1 as the trit code, keeping what the C code keeps: the low bits. NaN and values
 * beyond the long range give LONG_MIN on x86-64, whose low byte is 0.
 */
function trit(x: number): number {
  return (Math.abs(x) < 9.2e18 ? roundf(x) + 1 : 1) | 0;
}

/** The block scale of both formats: amax, and 1/amax (0 for an all-zero block). */
function absMax(src: Float32Array, xo: number): number {
  let amax = 0;
  for (let j = 0; j < QK_K; j++) {
    const a = Math.abs(src[xo + j]!);
    amax = amax > a ? amax : a;
  }
  return amax;
}

/** matches quantize_row_tq1_0_ref. */
export function encodeTQ1_0(src: Float32Array, dst: Uint8Array): void {
  const nb = (src.length / QK_K) | 0;
  for (let i = 0, xo = 0, o = 0; i < nb; i++, xo += QK_K, o += TQ1_SIZE) {
    const d = absMax(src, xo);
    const id = d !== 0 ? fr(1 / d) : 0; // C truth: NaN counts as nonzero
    writeF16(dst, o + 52, d);
    for (let m = 0; m < 32; m++) {
      let q = 0;
      for (let n = 0; n < 5; n++) q = (q * 3 + trit(fr(src[xo + m + n * 32]! * id))) & 0xff;
      dst[o + m] = (((q * 256 + 242) / 243) | 0) & 0xff;
    }
    for (let m = 0; m < 16; m++) {
      let q = 0;
      for (let n = 0; n < 5; n++) q = (q * 3 + trit(fr(src[xo + 160 + m + n * 16]! * id))) & 0xff;
      dst[o + 32 + m] = (((q * 256 + 242) / 243) | 0) & 0xff;
    }
    for (let j = 0; j < 4; j++) {
      let q = 0;
      for (let m = 0; m < 4; m++) q = (q * 3 + trit(fr(src[xo + 240 + j + m * 4]! * id))) & 0xff;
      q = (q * 3) & 0xff; // the first trit goes to the most significant place
      dst[o + 48 + j] = (((q * 256 + 242) / 243) | 0) & 0xff;
    }
  }
}

/** matches dequantize_row_tq1_0. */
export function decodeTQ1_0(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / QK_K) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += TQ1_SIZE) {
    const d = readF16(src, o + 52);
    for (let n = 0; n < 5; n++) {
      const p = POW3[n]!;
      for (let m = 0; m < 32; m++) dst[y++] = (((((src[o + m]! * p) & 0xff) * 3) >> 8) - 1) * d;
    }
    for (let n = 0; n < 5; n++) {
      const p = POW3[n]!;
      for (let m = 0; m < 16; m++) dst[y++] = (((((src[o + 32 + m]! * p) & 0xff) * 3) >> 8) - 1) * d;
    }
    for (let n = 0; n < 4; n++) {
      const p = POW3[n]!;
      for (let j = 0; j < 4; j++) dst[y++] = (((((src[o + 48 + j]! * p) & 0xff) * 3) >> 8) - 1) * d;
    }
  }
}

/** matches quantize_row_tq2_0_ref. */
export function encodeTQ2_0(src: Float32Array, dst: Uint8Array): void {
  const nb = (src.length / QK_K) | 0;
  for (let i = 0, xo = 0, o = 0; i < nb; i++, xo += QK_K, o += TQ2_SIZE) {
    const d = absMax(src, xo);
    const id = d !== 0 ? fr(1 / d) : 0; // C truth: NaN counts as nonzero
    writeF16(dst, o + 64, d);
    for (let j = 0; j < 64; j += 32) {
      const xb = xo + 4 * j;
      for (let m = 0; m < 32; m++) {
        let q = 0;
        for (let n = 0; n < 4; n++) q += (trit(fr(src[xb + m + n * 32]! * id)) & 3) << (2 * n);
        dst[o + j + m] = q;
      }
    }
  }
}

/** matches dequantize_row_tq2_0. */
export function decodeTQ2_0(src: Uint8Array, dst: Float32Array): void {
  const nb = (dst.length / QK_K) | 0;
  for (let i = 0, o = 0, y = 0; i < nb; i++, o += TQ2_SIZE) {
    const d = readF16(src, o + 64);
    for (let j = 0; j < 64; j += 32) {
      for (let l = 0; l < 4; l++) {
        for (let m = 0; m < 32; m++) dst[y++] = (((src[o + j + m]! >> (2 * l)) & 3) - 1) * d;
      }
    }
  }
}
