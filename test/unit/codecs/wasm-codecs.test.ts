import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TYPES, type TypeName } from '../../../src/codecs/catalogue';
import { CPU_CODECS } from '../../../src/codecs/registry';
import { WASM_ENCODE_TYPES, WASM_GRID_TYPES, wasmDecodeF16, wasmEncoder, wasmEncoderFromF16 } from '../../../src/codecs/wasm-codecs';
import { blockMismatches, encodeTypes, goldenEncode } from '../../support/golden';

/**
 * The WebAssembly encoders against ggml's own bytes (golden vectors) and against the TypeScript
 * twins on rows built to reach the corners: magnitudes from subnormal to 1e34, all-zero and
 * constant groups, values on rounding ties, lone outliers, and non-finite values.
 */

const GOLDEN = new Set(encodeTypes());

function wasm(type: TypeName): (src: Float32Array, dst: Uint8Array) => void {
  const enc = wasmEncoder(type);
  if (!enc) throw new Error(`no wasm encoder for ${type} (the module did not load, or lacks the type)`);
  return enc;
}

function twin(type: TypeName, x: Float32Array): Uint8Array {
  const out = new Uint8Array((x.length / TYPES[type].blockSize) * TYPES[type].typeSize);
  CPU_CODECS[type].encode!(x, out);
  return out;
}

function viaWasm(type: TypeName, x: Float32Array): Uint8Array {
  const out = new Uint8Array((x.length / TYPES[type].blockSize) * TYPES[type].typeSize);
  wasm(type)(x, out);
  return out;
}

/**
 * The grid types (IQ2_S) abort where ggml does (a weighted error overflowing float32: values
 * around 1e10 and beyond anywhere in the super-block; a NaN scale), their twins with an error:
 * there the wasm encoder must throw the same error. Their random groups stop at 2^20 * 1000 so
 * most rows encode.
 */
const GRID = new Set<TypeName>(WASM_GRID_TYPES);

/** The bytes `f` returns, or its error message. */
function outcome(f: () => Uint8Array): Uint8Array | string {
  try {
    return f();
  } catch (e) {
    return (e as Error).message;
  }
}

/** '' when both give the same bytes or the same error, else what differs. */
function compareOutcomes(type: TypeName, got: Uint8Array | string, want: Uint8Array | string, x: Float32Array): string {
  if (typeof want === 'string' || typeof got === 'string') return got === want ? '' : `got ${typeof got === 'string' ? got : 'bytes'}, want ${typeof want === 'string' ? want : 'bytes'}`;
  return Buffer.from(got).equals(Buffer.from(want)) ? '' : describeMismatch(type, got, want, x);
}

/** "block 3 (bytes 0..4 of 144 differ, first at 17)" for the first few differing blocks. */
function describeMismatch(type: TypeName, got: Uint8Array, want: Uint8Array, x: Float32Array): string {
  const ts = TYPES[type].typeSize;
  const bad = blockMismatches(got, want, ts);
  return bad
    .slice(0, 3)
    .map((b) => {
      let first = -1;
      for (let i = 0; i < ts; i++) if (got[b * ts + i] !== want[b * ts + i] && first < 0) first = i;
      const bs = TYPES[type].blockSize;
      const head = Array.from(x.subarray(b * bs, b * bs + 4)).join(', ');
      return `block ${b}: first differing byte ${first} (got ${got[b * ts + first]}, want ${want[b * ts + first]}); x starts ${head}`;
    })
    .join('\n');
}

/** One group of 16 values in one of the shapes that stress the searches; magnitudes up to 1000 * 2^maxExp. */
const group16Upto = (maxExp: number, big: number) =>
  fc.oneof(
    // ordinary values at one magnitude, 2^-140 (subnormal) .. 2^maxExp
    fc.tuple(fc.array(fc.float({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true }), { minLength: 16, maxLength: 16 }), fc.integer({ min: -140, max: maxExp })).map(([v, e]) => v.map((a) => a * 2 ** e)),
    // a small integer grid, so many products land exactly on .5 ties
    fc.tuple(fc.array(fc.integer({ min: -16, max: 16 }), { minLength: 16, maxLength: 16 }), fc.integer({ min: -8, max: 8 })).map(([v, e]) => v.map((a) => (a / 2) * 2 ** e)),
    // all equal (zero, negative zero, or a constant)
    fc.constantFrom(0, -0, 1, -1, 3.5, -7e-30, big).map((c) => new Array<number>(16).fill(c)),
    // one outlier among tiny values
    fc.tuple(fc.nat(15), fc.float({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true })).map(([k, big]) => Array.from({ length: 16 }, (_, i) => (i === k ? big : (i - 8) * 1e-7))),
  );
const group16 = group16Upto(100, 2e20);
const group16Grid = group16Upto(20, 2e8);

/** A row of `blocks` blocks of `type` made of such groups. */
function rowOf(type: TypeName, maxBlocks: number): fc.Arbitrary<Float32Array> {
  const bs = TYPES[type].blockSize;
  return fc
    .integer({ min: 1, max: maxBlocks })
    .chain((nb) => fc.array(GRID.has(type) ? group16Grid : group16, { minLength: (nb * bs) / 16, maxLength: (nb * bs) / 16 }))
    .map((gs) => Float32Array.from(gs.flat()));
}

const implemented = WASM_ENCODE_TYPES.filter((t) => wasmEncoder(t) !== null);

describe('the wasm module', () => {
  it('loads in Node and encodes every type it lists', () => {
    expect(implemented).toEqual([...WASM_ENCODE_TYPES]);
  });

  it('offers nothing for types it does not encode', () => {
    expect(wasmEncoder('F16')).toBeNull();
    expect(wasmEncoder('IQ2_XXS')).toBeNull();
  });
});

describe('wasm encoders reproduce ggml_quantize_chunk (golden vectors)', () => {
  for (const type of WASM_ENCODE_TYPES) {
    it.runIf(GOLDEN.has(type))(`${type}: 24 rows x 4096, bit for bit`, () => {
      const g = goldenEncode(type);
      const x = g.input.subarray(0, g.nrows * 4096);
      const out = viaWasm(type, x);
      const bad = blockMismatches(out, g.quant, TYPES[type].typeSize);
      expect(bad.length, `${bad.length} of ${g.quant.length / TYPES[type].typeSize} blocks differ\n${describeMismatch(type, out, g.quant, x)}`).toBe(0);
    });
  }
});

describe('wasm encoders equal the TypeScript twins', () => {
  for (const type of WASM_ENCODE_TYPES) {
    it(`${type}: random rows of stressing groups`, () => {
      let aborted = 0;
      fc.assert(
        fc.property(rowOf(type, 4), (x) => {
          const want = outcome(() => twin(type, x));
          const diff = compareOutcomes(type, outcome(() => viaWasm(type, x)), want, x);
          if (diff !== '') throw new Error(diff);
          if (typeof want === 'string') aborted++;
        }),
        { numRuns: GRID.has(type) ? 60 : 150 },
      );
      expect(aborted, `${type}: rows the twin refused`).toBeLessThanOrEqual(GRID.has(type) ? 10 : 0);
    });

    it(`${type}: non-finite values (Inf, -Inf, NaN) in otherwise ordinary blocks`, () => {
      const bs = TYPES[type].blockSize;
      const x = new Float32Array(6 * bs);
      for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) * 3;
      x[3] = Infinity;
      x[bs + 40] = -Infinity;
      x[2 * bs + 7] = NaN;
      x.fill(Infinity, 3 * bs, 3 * bs + 16);
      x[4 * bs + 1] = 3e38;
      x[4 * bs + 2] = -3e38;
      x.fill(NaN, 5 * bs, 6 * bs);
      // grid types: the twin aborts at the first such block, and so must wasm
      for (let b = 0; b < 6; b++) {
        const xb = GRID.has(type) ? x.subarray(b * bs, (b + 1) * bs) : x;
        expect(compareOutcomes(type, outcome(() => viaWasm(type, xb)), outcome(() => twin(type, xb)), xb)).toBe('');
        if (!GRID.has(type)) break;
      }
    });

    it(`${type}: odd output offsets, a row longer than one copy piece, and the size contract`, () => {
      const { blockSize: bs, typeSize: ts } = TYPES[type];
      const nb = Math.ceil(70_000 / bs) + 3; // more than the 65536 floats copied per call
      const x = new Float32Array(nb * bs + 5);
      for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 1.618) * (1 + (i % 97)) * 0.01;
      const src = x.subarray(3, 3 + nb * bs); // a float view 12 bytes into its buffer
      const want = twin(type, src);
      for (const pad of [1, 3, 7]) {
        const buf = new Uint8Array(pad + want.length + 2).fill(0xa5);
        wasm(type)(src, buf.subarray(pad, pad + want.length));
        expect(buf.subarray(0, pad).every((v) => v === 0xa5)).toBe(true);
        expect(buf.subarray(pad + want.length).every((v) => v === 0xa5)).toBe(true);
        expect(describeMismatch(type, buf.subarray(pad, pad + want.length), want, src)).toBe('');
      }
      expect(() => wasm(type)(new Float32Array(bs + 1), new Uint8Array(ts))).toThrow(RangeError);
      expect(() => wasm(type)(new Float32Array(bs), new Uint8Array(ts + 1))).toThrow(RangeError);
      expect(() => wasm(type)(new Float32Array(0), new Uint8Array(0))).not.toThrow();
    });
  }
});

describe('grid encoders stop where ggml aborts', () => {
  const unweighted = WASM_GRID_TYPES.filter((t) => (WASM_ENCODE_TYPES as readonly TypeName[]).includes(t));
  for (const type of unweighted) {
    it(`${type}: a group of ~3e19 throws the TypeScript twin's error; Inf and NaN groups do as the twin does`, () => {
      for (const bad of [3e19, Infinity, NaN]) {
        const x = new Float32Array(3 * 256);
        for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.61) * 2;
        x.fill(bad, 256 + 64, 256 + 96);
        const want = outcome(() => twin(type, x));
        if (bad === 3e19) expect(want, `${type} twin on ${bad}`).toMatch(/^\w+: ggml's quantizer aborts on this block/);
        expect(outcome(() => viaWasm(type, x)), `${type} on ${bad}`).toEqual(want);
      }
    });
  }
});

describe('F16 input widened inside wasm', () => {
  it('decodes all 65536 f16 patterns to the TypeScript twin\'s bits (NaN payloads included), across copy pieces', () => {
    const decode = wasmDecodeF16();
    if (!decode) throw new Error('the wasm module did not load');
    const n = 3 * 65536 + 5; // every pattern three times, past several 65536-float pieces
    const half = new Uint16Array(n);
    for (let i = 0; i < n; i++) half[i] = Math.imul(i, 40503) & 0xffff; // odd multiplier: a permutation per 65536
    const bytes = new Uint8Array(half.buffer);
    const want = new Float32Array(n);
    CPU_CODECS.F16.decode!(bytes, want);
    const got = new Float32Array(n);
    decode(bytes, got);
    expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    const odd = new Uint8Array(bytes.length + 1);
    odd.set(bytes, 1);
    const got2 = new Float32Array(n);
    decode(odd.subarray(1), got2);
    expect(Buffer.from(got2.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    expect(() => decode(new Uint8Array(6), new Float32Array(2))).toThrow(RangeError);
  });

  for (const type of WASM_ENCODE_TYPES) {
    it(`${type}: encoding f16 bytes equals the twin decoding them and encoding`, () => {
      const enc = wasmEncoderFromF16(type);
      if (!enc) throw new Error(`no F16 wasm encoder for ${type}`);
      const { blockSize: bs, typeSize: ts } = TYPES[type];
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.boolean(), (nb, seed, wild) => {
          const half = new Uint16Array(nb * bs);
          // ordinary weights, or any f16 pattern at all (subnormals, Inf, NaN) when wild
          for (let i = 0; i < half.length; i++) {
            const r = Math.imul(seed ^ (i * 2654435761), 0x85ebca6b) >>> 0;
            half[i] = wild ? r >>> 16 : (r & 0x8000) | (0x2000 + ((r >>> 8) % 0x1800));
          }
          const bytes = new Uint8Array(half.buffer);
          const floats = new Float32Array(half.length);
          CPU_CODECS.F16.decode!(bytes, floats);
          // the float path it replaces; and the twin where every value is finite. Wild rows hold
          // NaNs with payloads (f16 0x7C01...), which ggml's nearest_int bit trick reads: there
          // the twin and wasm may each differ from ggml (with canonical NaNs both matched ggml on
          // 4,800 such blocks, measured against libggml 34af94cd), and llama-quantize refuses NaN
          // anyway, as Kiln's presets do.
          const want = outcome(() => (wild ? viaWasm(type, floats) : twin(type, floats)));
          const got = outcome(() => {
            const out = new Uint8Array(nb * ts);
            enc(bytes, out);
            return out;
          });
          const diff = compareOutcomes(type, got, want, floats);
          if (diff !== '') throw new Error(diff);
        }),
        { numRuns: 60 },
      );
      expect(() => enc(new Uint8Array(bs * 2 + 2), new Uint8Array(ts))).toThrow(RangeError);
    });
  }

  it('a long F16 row (several copy pieces) encodes as the float path does', () => {
    const n = 70_000 * 4 - ((70_000 * 4) % 256);
    const half = new Uint16Array(n);
    for (let i = 0; i < n; i++) half[i] = 0x2000 + ((i * 7919) % 0x1800) + (i & 1 ? 0x8000 : 0);
    const floats = new Float32Array(n);
    CPU_CODECS.F16.decode!(new Uint8Array(half.buffer), floats);
    const want = viaWasm('Q4_K', floats);
    const got = new Uint8Array(want.length);
    wasmEncoderFromF16('Q4_K')!(new Uint8Array(half.buffer), got);
    expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
  });
});
