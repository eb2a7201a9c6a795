import type { CpuCodec } from './codec';
import { bf16ToF32Bits, f16ToF32Bits, f32BitsToBf16, f32BitsToF16 } from './half';

/** Views that tolerate any byte offset: copy to an aligned buffer only when needed. */
function aligned(src: Uint8Array, align: number): ArrayBuffer {
  if (src.byteOffset % align === 0) return src.buffer as ArrayBuffer;
  return src.slice().buffer as ArrayBuffer;
}
function u16(src: Uint8Array): Uint16Array {
  const b = aligned(src, 2);
  return new Uint16Array(b, b === src.buffer ? src.byteOffset : 0, src.length >>> 1);
}
function u32(src: Uint8Array): Uint32Array {
  const b = aligned(src, 4);
  return new Uint32Array(b, b === src.buffer ? src.byteOffset : 0, src.length >>> 2);
}
function viewOf(src: Uint8Array): DataView {
  return new DataView(src.buffer, src.byteOffset, src.length);
}

const F32: CpuCodec = {
  decode: (src, dst) => new Uint32Array(dst.buffer, dst.byteOffset, dst.length).set(u32(src)),
  encode: (src, dst) => u32(dst).set(new Uint32Array(src.buffer, src.byteOffset, src.length)),
};

// The encoders write through a temporary when dst is unaligned, then copy the bytes back.
function encodeHalf(conv: (w: number) => number): (src: Float32Array, dst: Uint8Array) => void {
  return (src, dst) => {
    const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
    const out = dst.byteOffset % 2 === 0 ? new Uint16Array(dst.buffer, dst.byteOffset, src.length) : new Uint16Array(src.length);
    for (let i = 0; i < bits.length; i++) out[i] = conv(bits[i]!);
    if (out.buffer !== dst.buffer) dst.set(new Uint8Array(out.buffer));
  };
}
function decodeHalf(conv: (h: number) => number): (src: Uint8Array, dst: Float32Array) => void {
  return (src, dst) => {
    const h = u16(src);
    const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
    for (let i = 0; i < h.length; i++) out[i] = conv(h[i]!);
  };
}

const F16: CpuCodec = { decode: decodeHalf(f16ToF32Bits), encode: encodeHalf(f32BitsToF16) };
const BF16: CpuCodec = { decode: decodeHalf(bf16ToF32Bits), encode: encodeHalf(f32BitsToBf16) };

const F64: CpuCodec = {
  decode: (src, dst) => {
    const v = viewOf(src);
    for (let i = 0; i < dst.length; i++) dst[i] = v.getFloat64(i * 8, true);
  },
  encode: null,
};

/**
 * OCP 8-bit floats (as torch.float8_e4m3fn / float8_e5m2 and safetensors store them).
 * E4M3FN: bias 7, no infinities, S.1111.111 is NaN. E5M2: bias 15, IEEE-style Inf and NaN.
 */
function f8Table(expBits: number, bias: number, fn: boolean): Float32Array {
  const t = new Float32Array(256);
  const manBits = 7 - expBits;
  for (let b = 0; b < 256; b++) {
    const sign = b & 0x80 ? -1 : 1;
    const e = (b >> manBits) & ((1 << expBits) - 1);
    const m = b & ((1 << manBits) - 1);
    const eMax = (1 << expBits) - 1;
    let v: number;
    if (fn && e === eMax && m === (1 << manBits) - 1) v = NaN;
    else if (!fn && e === eMax) v = m === 0 ? Infinity : NaN;
    else if (e === 0) v = m * 2 ** (1 - bias - manBits);
    else v = (1 + m / (1 << manBits)) * 2 ** (e - bias);
    t[b] = sign * v;
  }
  return t;
}
const E4M3 = f8Table(4, 7, true);
const E5M2 = f8Table(5, 15, false);
const tableCodec = (t: Float32Array): CpuCodec => ({
  decode: (src, dst) => {
    for (let i = 0; i < dst.length; i++) dst[i] = t[src[i]!]!;
  },
  encode: null,
});

/**
 * The 64-bit integer hi * 2^32 + lo (lo unsigned) as a double that rounds to the same float32
 * as the integer itself does. Below 2^53 it is exact. Above, converting straight to a double
 * would round once there and again when stored as float32, which can land on a false tie; so
 * the low 12 bits are folded into one sticky bit (0x800 if any is set). The result is exact as
 * a double (at most 53 significant bits), and float32's rounding points up there are multiples
 * of 2^28, never strictly between the folded and the true value, so the float32 store rounds
 * both alike: to nearest, ties to even, once.
 */
export function int64ToF32Exact(hi: number, lo: number): number {
  if (hi >= -0x200000 && hi < 0x200000) return hi * 4294967296 + lo;
  return hi * 4294967296 + ((lo & ~0xfff) >>> 0) + ((lo & 0xfff) !== 0 ? 0x800 : 0);
}

type Getter = (v: DataView, off: number) => number;
function intCodec(size: number, get: Getter): CpuCodec {
  return {
    decode: (src, dst) => {
      const v = viewOf(src);
      for (let i = 0; i < dst.length; i++) dst[i] = get(v, i * size);
    },
    encode: null,
  };
}

export const PLAIN_CODECS = {
  F64,
  F32,
  F16,
  BF16,
  F8_E4M3: tableCodec(E4M3),
  F8_E5M2: tableCodec(E5M2),
  I64: intCodec(8, (v, o) => int64ToF32Exact(v.getInt32(o + 4, true), v.getUint32(o, true))),
  I32: intCodec(4, (v, o) => v.getInt32(o, true)),
  I16: intCodec(2, (v, o) => v.getInt16(o, true)),
  I8: intCodec(1, (v, o) => v.getInt8(o)),
  U64: intCodec(8, (v, o) => int64ToF32Exact(v.getUint32(o + 4, true), v.getUint32(o, true))),
  U32: intCodec(4, (v, o) => v.getUint32(o, true)),
  U16: intCodec(2, (v, o) => v.getUint16(o, true)),
  U8: intCodec(1, (v, o) => v.getUint8(o)),
  BOOL: intCodec(1, (v, o) => (v.getUint8(o) !== 0 ? 1 : 0)),
} as const satisfies Record<string, CpuCodec>;
