/**
 * Scalar helpers shared by the quantizers, each matching one ggml idiom exactly in float32.
 */
import { TYPES, type TypeName } from './catalogue';
import type { CpuCodec } from './codec';
import { f16ToF32, f32ToF16 } from './half';

const bitsF32 = new Float32Array(1);
const bitsI32 = new Int32Array(bitsF32.buffer);

/**
 * ggml's nearest_int: adds 1.5 * 2^23 in float32, so the float adder rounds half to even,
 * then reads the low mantissa bits. ggml asserts |x| <= 4194303, but release builds drop the
 * assert, so beyond that (and for Inf / NaN) the bit extraction is replicated as well.
 * `x` must already be a float32 value.
 */
export function nearestInt(x: number): number {
  // Inside ggml's range both adders round x half to even, so the double one (1.5 * 2^52,
  // no fround) gives the same integer, faster.
  if (x >= -4194303 && x <= 4194303) return (x + 6755399441055744 - 6755399441055744) | 0;
  const v = Math.fround(x + 12582912);
  bitsF32[0] = v;
  return (bitsI32[0]! & 0x007fffff) - 0x00400000;
}

/** C roundf: half away from zero. Exact for float32 inputs. */
export function roundf(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

export const fr = Math.fround;

/**
 * A C cast from float to a 32-bit int as x86-64 does it (cvttss2si): truncation toward zero,
 * and 0x80000000 for NaN or anything out of range. Narrower casts (int8_t, uint8_t) then keep
 * the low byte, which callers do with `& 0xff` or `<< 24 >> 24`.
 */
export function truncI32(x: number): number {
  return x > -2147483649 && x < 2147483648 ? Math.trunc(x) | 0 : -2147483648;
}

/** The little-endian u32 at byte `o` (no alignment needed). */
export function readU32(src: Uint8Array, o: number): number {
  return (src[o]! | (src[o + 1]! << 8) | (src[o + 2]! << 16) | (src[o + 3]! << 24)) >>> 0;
}

/** v stored as a little-endian u32 at byte `o`. */
export function writeU32(dst: Uint8Array, o: number, v: number): void {
  dst[o] = v & 0xff;
  dst[o + 1] = (v >>> 8) & 0xff;
  dst[o + 2] = (v >>> 16) & 0xff;
  dst[o + 3] = v >>> 24;
}

/** Every f16 bit pattern as float32 (ggml_compute_fp16_to_fp32), so a block scale is one load. */
export const F16_TO_F32 = ((): Float32Array => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = f16ToF32(h);
  return t;
})();

/** The little-endian f16 at byte `o`, as float32 (no alignment needed). */
export function readHalf(src: Uint8Array, o: number): number {
  return F16_TO_F32[src[o]! | (src[o + 1]! << 8)]!;
}

/** GGML_FP32_TO_FP16(x) stored little-endian at byte `o`; returns the value it now holds. */
export function writeHalf(dst: Uint8Array, o: number, x: number): number {
  const h = f32ToF16(x);
  dst[o] = h & 0xff;
  dst[o + 1] = h >>> 8;
  return F16_TO_F32[h]!;
}

/**
 * A CpuCodec over whole blocks of `type`, refusing calls whose sizes break the codec contract
 * (a partial block, or src and dst holding different block counts): the block loops index
 * by count and would otherwise read past the end or leave floats unwritten.
 */
export function blockCodec(
  type: TypeName,
  decode: ((src: Uint8Array, dst: Float32Array) => void) | null,
  encode: ((src: Float32Array, dst: Uint8Array) => void) | null,
): CpuCodec {
  const { blockSize, typeSize } = TYPES[type];
  const check = (bytes: number, floats: number, what: string): void => {
    const nb = floats / blockSize;
    if (!Number.isInteger(nb) || bytes !== nb * typeSize) {
      throw new RangeError(
        `${type} ${what}: ${floats} floats and ${bytes} bytes are not the same whole number of blocks ` +
          `(${blockSize} floats = ${typeSize} bytes per block)`,
      );
    }
  };
  return {
    decode:
      decode &&
      ((src, dst) => {
        check(src.length, dst.length, 'decode');
        decode(src, dst);
      }),
    encode:
      encode &&
      ((src, dst) => {
        check(dst.length, src.length, 'encode');
        encode(src, dst);
      }),
  };
}
