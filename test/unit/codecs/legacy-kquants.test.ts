import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TYPES, type TypeName } from '../../../src/codecs/catalogue';
import { CPU_CODECS } from '../../../src/codecs/registry';
import { nearestInt, roundf, truncI32 } from '../../../src/codecs/quant-math';

/**
 * Properties of the legacy and K-quant CPU twins that the golden vectors cannot show on their
 * own: bounded reconstruction error on arbitrary rows, block-local encoding (a row split at
 * any block boundary encodes to the same bytes), and indifference to byte offsets.
 */

const ENCODED = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q1_0', 'Q2_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'] as const;
const DECODED = [...ENCODED, 'Q8_K'] as const;

/**
 * Worst |x - decode(encode(x))| as a fraction of the block's (super-block's) largest |x|.
 * Legacy bounds follow from the level spacing: e.g. Q4_0 spaces 16 levels amax/8 apart and
 * clamps the far end, so one full step; Q4_1 spaces them range/15 <= 2*amax/15 apart, so half
 * a step. Each gets ~1% on top for the f16 scale. The K-quants also quantize their group
 * scales (and mins), and their searches minimise a weighted error rather than the maximum, so
 * their bounds are measured ones (worst seen on 786k random values: Q2_K 0.61, Q3_K 0.27,
 * Q4_K 0.096, Q5_K 0.062, Q6_K 0.021) with a margin.
 */
const ERROR_BOUND: Record<Exclude<(typeof ENCODED)[number], 'Q1_0'>, number> = {
  Q4_0: 0.126,
  Q4_1: 0.068,
  Q5_0: 0.0635,
  Q5_1: 0.034,
  Q8_0: 0.0045,
  Q2_0: 0.501,
  Q2_K: 0.75,
  Q3_K: 0.32,
  Q4_K: 0.12,
  Q5_K: 0.08,
  Q6_K: 0.026,
};

/**
 * Absolute slack for blocks so small that the f16 scales go subnormal (resolution 2^-24):
 * a legacy scale is off by up to 2^-25 times at most 128 levels; a K-quant super-scale by
 * 2^-25 times 63 (group scale) times 63 (level).
 */
const FLOOR_LEGACY = 128 * 2 ** -25;
const FLOOR_K = 63 * 63 * 2 ** -25;

const f32 = fc.float({ min: Math.fround(-1000), max: Math.fround(1000), noNaN: true });

/** A row of 1..maxBlocks whole blocks of `type`, values in [-1000, 1000]. */
function rowOf(type: TypeName, maxBlocks: number): fc.Arbitrary<Float32Array> {
  const bs = TYPES[type].blockSize;
  return fc
    .integer({ min: 1, max: maxBlocks })
    .chain((nb) => fc.array(f32, { minLength: nb * bs, maxLength: nb * bs }))
    .map((a) => Float32Array.from(a));
}

/** Same values, but each block scaled by its own power of two, so blocks differ in magnitude. */
function scaledRowOf(type: TypeName, maxBlocks: number): fc.Arbitrary<Float32Array> {
  const bs = TYPES[type].blockSize;
  return rowOf(type, maxBlocks).chain((x) =>
    fc.array(fc.integer({ min: -20, max: 5 }), { minLength: x.length / bs, maxLength: x.length / bs }).map((e) => {
      for (let i = 0; i < x.length; i++) x[i] = Math.fround(x[i]! * 2 ** e[(i / bs) | 0]!);
      return x;
    }),
  );
}

function encode(type: TypeName, x: Float32Array): Uint8Array {
  const out = new Uint8Array((x.length / TYPES[type].blockSize) * TYPES[type].typeSize);
  CPU_CODECS[type].encode!(x, out);
  return out;
}

function decode(type: TypeName, q: Uint8Array): Float32Array {
  const out = new Float32Array((q.length / TYPES[type].typeSize) * TYPES[type].blockSize);
  CPU_CODECS[type].decode!(q, out);
  return out;
}

describe('encode -> decode error is bounded by the block maximum', () => {
  for (const type of ENCODED) {
    if (type === 'Q1_0') continue;
    it(`${type}`, () => {
      const bound = ERROR_BOUND[type];
      const floor = TYPES[type].blockSize === 256 ? FLOOR_K : FLOOR_LEGACY;
      const bs = TYPES[type].blockSize;
      fc.assert(
        fc.property(scaledRowOf(type, 3), (x) => {
          const y = decode(type, encode(type, x));
          for (let b = 0; b < x.length / bs; b++) {
            let amax = 0;
            for (let i = b * bs; i < (b + 1) * bs; i++) amax = Math.max(amax, Math.abs(x[i]!));
            for (let i = b * bs; i < (b + 1) * bs; i++) {
              const err = Math.abs(x[i]! - y[i]!);
              if (!(err <= bound * amax + floor)) {
                throw new Error(`block ${b} [${i}]: x=${x[i]} decoded ${y[i]}, error ${err} > ${bound} * ${amax} + ${floor}`);
              }
            }
          }
        }),
        { numRuns: TYPES[type].blockSize === 256 ? 60 : 150 },
      );
    });
  }

  it('Q1_0 keeps every sign and stores the mean magnitude', () => {
    fc.assert(
      fc.property(scaledRowOf('Q1_0', 3), (x) => {
        const y = decode('Q1_0', encode('Q1_0', x));
        for (let b = 0; b < x.length / 128; b++) {
          let sum = 0;
          for (let i = b * 128; i < (b + 1) * 128; i++) sum += Math.abs(x[i]!);
          const mean = sum / 128;
          const d = Math.abs(y[b * 128]!);
          expect(Math.abs(d - mean)).toBeLessThanOrEqual(mean * 2 ** -10 + 2 ** -24);
          for (let i = b * 128; i < (b + 1) * 128; i++) {
            expect(y[i], `[${i}] x=${x[i]}`).toBe(x[i]! >= 0 ? d : -d);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('encoding is block-local and offset-blind', () => {
  for (const type of ENCODED) {
    it(`${type}: a row split at a block boundary, written at odd byte offsets, gives the same bytes`, () => {
      const { blockSize: bs, typeSize: ts } = TYPES[type];
      fc.assert(
        fc.property(rowOf(type, 4), fc.nat(), fc.integer({ min: 1, max: 7 }), (x, cut, pad) => {
          const whole = encode(type, x);
          const nb = x.length / bs;
          const k = cut % (nb + 1);
          const buf = new Uint8Array(pad + whole.length).fill(0xa5);
          CPU_CODECS[type].encode!(x.subarray(0, k * bs), buf.subarray(pad, pad + k * ts));
          CPU_CODECS[type].encode!(x.subarray(k * bs), buf.subarray(pad + k * ts));
          expect(buf.subarray(0, pad).every((v) => v === 0xa5)).toBe(true);
          expect(Buffer.from(buf.subarray(pad)).equals(Buffer.from(whole))).toBe(true);
        }),
        { numRuns: TYPES[type].blockSize === 256 ? 40 : 100 },
      );
    });
  }

  for (const type of DECODED) {
    it(`${type}: decoding from any byte offset, in pieces, equals decoding aligned and whole`, () => {
      const { blockSize: bs, typeSize: ts } = TYPES[type];
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 4 }), fc.nat(), fc.integer({ min: 1, max: 7 }), fc.infiniteStream(fc.nat(255)), (nb, cut, pad, bytes) => {
          const it8 = bytes[Symbol.iterator]();
          const q = Uint8Array.from({ length: nb * ts }, () => it8.next().value as number);
          const whole = decode(type, q);
          const buf = new Uint8Array(pad + q.length);
          buf.set(q, pad);
          const k = cut % (nb + 1);
          const out = new Float32Array(nb * bs);
          CPU_CODECS[type].decode!(buf.subarray(pad, pad + k * ts), out.subarray(0, k * bs));
          CPU_CODECS[type].decode!(buf.subarray(pad + k * ts), out.subarray(k * bs));
          expect(Buffer.from(out.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
        }),
        { numRuns: 50 },
      );
    });
  }
});

describe('size contract', () => {
  for (const type of DECODED) {
    it(`${type}: refuses a partial block or a src/dst block-count mismatch`, () => {
      const { blockSize: bs, typeSize: ts } = TYPES[type];
      const c = CPU_CODECS[type];
      expect(() => c.decode!(new Uint8Array(2 * ts), new Float32Array(bs))).toThrow(/not the same whole number of blocks/);
      expect(() => c.decode!(new Uint8Array(ts - 1), new Float32Array(bs))).toThrow(RangeError);
      expect(() => c.decode!(new Uint8Array(ts), new Float32Array(bs + 1))).toThrow(RangeError);
      if (c.encode) {
        expect(() => c.encode!(new Float32Array(bs + 1), new Uint8Array(ts))).toThrow(RangeError);
        expect(() => c.encode!(new Float32Array(bs), new Uint8Array(ts + 1))).toThrow(RangeError);
      }
      expect(() => c.decode!(new Uint8Array(0), new Float32Array(0))).not.toThrow();
    });
  }
});

describe('formats ggml only uses for activations', () => {
  it('Q8_1 has no decoder (no to_float in ggml) and no encoder (no ggml_quantize_chunk case)', () => {
    expect(CPU_CODECS.Q8_1).toEqual({ decode: null, encode: null });
  });

  it('Q8_K decodes as float32 d times int8 quants, ignoring bsums; it has no encoder', () => {
    expect(CPU_CODECS.Q8_K.encode).toBeNull();
    const block = new Uint8Array(292);
    new DataView(block.buffer).setFloat32(0, -0.375, true);
    const qs = [-128, -1, 0, 1, 2, 127];
    qs.forEach((q, i) => (block[4 + i] = q & 0xff));
    block.fill(0x7f, 260); // bsums: garbage must not matter
    const y = decode('Q8_K', block);
    expect(Array.from(y.subarray(0, 6))).toEqual([48, 0.375, -0, -0.375, -0.75, -47.625]);
    expect(y.subarray(6).every((v) => v === 0)).toBe(true);
  });
});

describe('quant-math scalar helpers', () => {
  it('nearestInt rounds half to even inside ggml range', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 4194303, -4194303].map(nearestInt)).toEqual([0, 2, 2, 0, -2, 4194303, -4194303]);
  });

  it('nearestInt outside the range returns the low mantissa bits, as ggml without asserts', () => {
    // 2^23: + 1.5*2^23 = 2.5*2^23 -> exponent 2^24, mantissa 0x200000 -> 0x200000 - 0x400000
    expect(nearestInt(8388608)).toBe(-2097152);
    expect(nearestInt(Infinity)).toBe(-4194304);
    expect(nearestInt(NaN)).toBe(0);
    // at the edges of the range (values printed by ggml's nearest_int compiled with gcc -O2)
    const edge = [4194303.25, 4194303.5, 4194303.75, -4194304, -4194304.5, -4194303.5, 1e30].map((v) => nearestInt(Math.fround(v)));
    expect(edge).toEqual([4194303, -4194304, -4194304, -4194304, 4194303, -4194304, 651978]);
  });

  it('roundf rounds half away from zero; truncI32 saturates like cvttss2si', () => {
    expect([0.5, 1.5, 2.5, -0.5, -2.5, Math.fround(0.49999997)].map(roundf)).toEqual([1, 2, 3, -1, -3, 0]);
    expect([1.9, -1.9, 3e9, -3e9, NaN].map(truncI32)).toEqual([1, -1, -2147483648, -2147483648, -2147483648]);
  });
});
