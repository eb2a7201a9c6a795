import { describe, expect, it } from 'vitest';
import { TYPES, type TypeName } from '../../../src/codecs/catalogue';
import { CPU_CODECS } from '../../../src/codecs/registry';
import { wasmWeightedEncoder, WASM_WEIGHTED_MAX_ROW } from '../../../src/codecs/wasm-codecs';
import { CpuEngine } from '../../../src/pipeline/engine';
import { fixtureBytes } from '../../support/fixtures';

/**
 * The WebAssembly encoders with importance weights (encode_<type>_w): ggml's bytes on the golden
 * imatrix rows (ggml_quantize_chunk with imatrix, 6 rows of 4096), and the TypeScript weighted
 * twins' bytes on random rows with corners (zero groups, constant groups, outliers, tiny and huge
 * magnitudes, zero weights).
 */
const N = 4096;
const input = new Float32Array(fixtureBytes('golden/imatrix/input.f32').buffer);
const weights = new Float32Array(fixtureBytes('golden/imatrix/imatrix.f32').buffer);

const TYPES_W: TypeName[] = ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'IQ4_NL', 'IQ4_XS', 'IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M'];

function ggmlFile(t: TypeName): string {
  const lower = t.toLowerCase();
  return `golden/imatrix/${lower.endsWith('_k') ? `${lower.slice(0, -2)}_K` : lower}.quant.bin`;
}

function badBlocks(t: TypeName, got: Uint8Array, want: Uint8Array): { bad: number; first: number } {
  const ts = TYPES[t].typeSize;
  let bad = 0;
  let first = -1;
  for (let b = 0; b < want.length / ts; b++) {
    for (let k = 0; k < ts; k++) {
      if (got[b * ts + k] !== want[b * ts + k]) {
        bad++;
        if (first < 0) first = b;
        break;
      }
    }
  }
  return { bad, first };
}

/** The twin's error message, or '' when it encodes. */
function thrown(f: () => void): string {
  try {
    f();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

/** Row by row (an abort stops a whole call): same bytes, or the same error; returns the rows that encoded. */
function sameAsTwin(t: TypeName, enc: (x: Float32Array, d: Uint8Array, w: Float32Array) => void, x: Float32Array, w: Float32Array, label: string): number {
  const n = w.length;
  let encoded = 0;
  for (let r = 0; r < x.length / n; r++) {
    const row = x.subarray(r * n, (r + 1) * n);
    const a = bytesFor(t, n);
    const b = bytesFor(t, n);
    const want = thrown(() => CPU_CODECS[t].encode!(row, a, w));
    expect(thrown(() => enc(row, b, w)), `${label} row ${r}: the twin's error`).toBe(want);
    if (want !== '') continue;
    encoded++;
    const m = badBlocks(t, b, a);
    expect(m.bad, `${label} row ${r}: ${m.bad} blocks differ from the TypeScript twin, first ${m.first}`).toBe(0);
  }
  return encoded;
}

function bytesFor(t: TypeName, elements: number): Uint8Array {
  return new Uint8Array((elements / TYPES[t].blockSize) * TYPES[t].typeSize);
}

/** A deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The grid types (IQ2_*, IQ3_*, IQ1_*): ggml aborts where a weighted error overflows float32 (values around
 * 1e10 and beyond) or a scale is NaN, so their twins throw there; the wasm encoder must throw
 * the same error, and their random rows stop at 1e8 so most rows encode.
 */
const GRID = new Set<TypeName>(['IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M']);

/** Rows of n with corners in some groups, and n weights (some zero, some huge); magnitudes up to `top`. */
function randomCase(seed: number, rows: number, n: number, top = 1e20): { x: Float32Array; w: Float32Array } {
  const r = rng(seed);
  const x = new Float32Array(rows * n);
  const scale = [1e-30, 1e-3, 1, 1e4, top][seed % 5]!;
  for (let i = 0; i < x.length; i++) x[i] = (r() - 0.5) * 2 * scale * (r() < 0.01 ? 40 : 1);
  for (let g = 0; g < x.length; g += 32) {
    const c = r();
    if (c < 0.05) x.fill(0, g, g + 32);
    else if (c < 0.1) x.fill(x[g]!, g, g + 32);
    else if (c < 0.13) for (let k = 0; k < 32; k++) x[g + k] = Math.round(x[g + k]! / scale * 8) / 8 * scale; // ties
  }
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = r();
    w[i] = c < 0.05 ? 0 : c < 0.08 ? 1e6 * r() : r() * r() * 3;
  }
  return { x, w };
}

/**
 * Kinds of abort these cases reach, where fewer than two: IQ3's end in the neighbour search (a
 * NaN or Inf error), IQ1_S's at the scale check (its overflowing sums give a NaN scale), IQ2_XXS's
 * at the grid lookup (make_qp_quants' out-of-range levels, cut to 16 bits as ggml's uint16_t cuts
 * them, are no grid point before any scale is checked).
 */
const ABORT_KINDS: Partial<Record<TypeName, number>> = { IQ3_XXS: 1, IQ3_S: 1, IQ1_S: 1, IQ2_XXS: 1 };

describe('wasm encoders with importance weights', () => {
  for (const t of TYPES_W) {
    it(`${t}: golden imatrix rows byte for byte, and random rows as the TypeScript twin`, () => {
      const enc = wasmWeightedEncoder(t);
      expect(enc, `${t} has a wasm weighted encoder`).not.toBeNull();
      const want = fixtureBytes(ggmlFile(t));
      const got = new Uint8Array(want.length);
      enc!(input, got, weights);
      const g = badBlocks(t, got, want);
      expect(g.bad, `${t}: ${g.bad} of ${want.length / TYPES[t].typeSize} golden blocks differ, first ${g.first}`).toBe(0);
      let encoded = 0;
      for (let seed = 1; seed <= 10; seed++) {
        const n = [256, 512, 2048][seed % 3]!;
        if (GRID.has(t)) {
          const { x, w } = randomCase(seed * 7919 + t.length, 3, n, 1e8);
          encoded += sameAsTwin(t, enc!, x, w, `${t} seed ${seed}`);
          continue;
        }
        const { x, w } = randomCase(seed * 7919 + t.length, 3, n);
        const a = bytesFor(t, x.length);
        const b = bytesFor(t, x.length);
        CPU_CODECS[t].encode!(x, a, w);
        enc!(x, b, w);
        const m = badBlocks(t, b, a);
        expect(m.bad, `${t} seed ${seed}: ${m.bad} blocks differ from the TypeScript twin, first ${m.first}`).toBe(0);
      }
      if (GRID.has(t)) expect(encoded, `${t}: random rows the twin encodes`).toBeGreaterThanOrEqual(20);
    });
  }

  for (const t of TYPES_W.filter((t) => GRID.has(t))) {
    it(`${t}: throws the twin's error where ggml aborts (a weighted error overflowing float32, a NaN scale, levels off the grid)`, () => {
      const enc = wasmWeightedEncoder(t)!;
      const cases: [string, Float32Array, Float32Array][] = [];
      for (const v of [3e19, NaN, Infinity]) {
        const block = input.slice(0, N);
        for (let i = 512; i < 768; i++) block[i] = v * Math.sin(i);
        const one = input.slice(0, N);
        one[1000] = v;
        cases.push([`a block of ${v}`, block, weights], [`one ${v}`, one, weights]);
      }
      // random rows at 1e20, where the twins stop on levels off the grid or a NaN scale
      const { x, w } = randomCase(8 * 7919 + 7, 3, 2048);
      for (let r = 0; r < 3; r++) cases.push([`random row ${r}`, x.slice(r * 2048, (r + 1) * 2048), w]);
      const reasons = new Set<string>();
      for (const [label, row, rw] of cases) {
        const want = thrown(() => CPU_CODECS[t].encode!(row, bytesFor(t, row.length), rw));
        if (want !== '') reasons.add(want.replace(/.*\(|.*levels \d+ /, '').slice(0, 20));
        expect(thrown(() => enc(row, bytesFor(t, row.length), rw)), `${t}, ${label}`).toBe(want);
      }
      expect(reasons.size, `${t}: kinds of abort among the cases: ${[...reasons].join('; ')}`).toBeGreaterThanOrEqual(ABORT_KINDS[t] ?? 2);
    });
  }

  /**
   * The K-quant encoders search four groups at once, one per SIMD lane, with the reference's
   * branches as lane masks: rows whose groups (of 16, so every lane of a quartet differs) take
   * different corners, in the values (NaN, ±Inf, -0, all zero, constant, subnormal, huge) and in
   * the weights (all zero, all -0, half zero, a NaN or Inf, subnormal), next to plain groups and
   * blocks.
   */
  function laneCorners(seed: number, rows: number, n: number): { x: Float32Array; w: Float32Array } {
    const r = rng(seed);
    const x = new Float32Array(rows * n);
    for (let i = 0; i < x.length; i++) x[i] = (r() - 0.5) * 2 * (r() < 0.02 ? 40 : 1);
    const at = (g: number) => g + Math.floor(r() * 16);
    // a NaN or Inf spreads through its super-block's scale search: only some blocks get one
    let wild = false;
    for (let g = 0; g < x.length; g += 16) {
      if (g % 256 === 0) wild = r() < 0.3;
      const c = Math.floor(r() * 16);
      if (c <= 2 && !wild) continue;
      if (c === 0) x[at(g)] = NaN;
      else if (c === 1) x[at(g)] = Infinity;
      else if (c === 2) x[at(g)] = -Infinity;
      else if (c === 3) x.fill(0, g, g + 16);
      else if (c === 4) x.fill(x[g]!, g, g + 16);
      else if (c === 5) x[at(g)] = -0;
      else if (c === 6) for (let k = g; k < g + 16; k++) x[k] = x[k]! * 1e-40;
      else if (c === 7) for (let k = g; k < g + 16; k++) x[k] = x[k]! * 1e30;
      else if (c === 8) for (let k = g; k < g + 16; k++) x[k] = Math.abs(x[k]!);
    }
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = r() * r() * 3;
    for (let g = 0; g < n; g += 16) {
      const c = Math.floor(r() * 12);
      if ((c === 3 || c === 4) && g >= 256) continue;
      if (c === 0) w.fill(0, g, g + 16);
      else if (c === 1) w.fill(-0, g, g + 16);
      else if (c === 2) w.fill(0, g, g + 8);
      else if (c === 3) w[at(g)] = NaN;
      else if (c === 4) w[at(g)] = Infinity;
      else if (c === 5) for (let k = g; k < g + 16; k++) w[k] = w[k]! * 1e-40;
    }
    return { x, w };
  }

  for (const t of ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'] as const) {
    it(`${t}: groups taking different corners side by side (lanes of one search) as the TypeScript twin`, () => {
      const enc = wasmWeightedEncoder(t)!;
      for (let seed = 1; seed <= 6; seed++) {
        const { x, w } = laneCorners(seed * 104729 + t.length, 4, 1024);
        const a = bytesFor(t, x.length);
        const b = bytesFor(t, x.length);
        CPU_CODECS[t].encode!(x, a, w);
        enc(x, b, w);
        const m = badBlocks(t, b, a);
        expect(m.bad, `${t} seed ${seed}: ${m.bad} blocks differ from the TypeScript twin, first ${m.first}`).toBe(0);
      }
    });
  }

  it('several pieces of rows (more than one call into wasm) give the same bytes', () => {
    const n = 4096 * 4;
    const rows = Math.ceil((WASM_WEIGHTED_MAX_ROW * 2.5) / n);
    const { x, w } = randomCase(42, rows, n);
    // IQ2_XXS: the search table's pointer reaches every piece's call
    for (const t of ['Q4_K', 'IQ2_XXS'] as const) {
      const a = bytesFor(t, x.length);
      const b = bytesFor(t, x.length);
      CPU_CODECS[t].encode!(x, a, w);
      wasmWeightedEncoder(t)!(x, b, w);
      expect(b, t).toEqual(a);
    }
  });

  it('refuses sizes that are not whole rows', () => {
    expect(() => wasmWeightedEncoder('Q4_0')!(new Float32Array(96), new Uint8Array(54), new Float32Array(64))).toThrow(RangeError);
  });

  it('CpuEngine uses them with weights: same bytes as the TypeScript twin, F16 input included', async () => {
    const engine = new CpuEngine();
    const f32 = input.subarray(0, 2 * N);
    const want = bytesFor('Q5_K', f32.length);
    CPU_CODECS.Q5_K.encode!(f32, want, weights);
    const got = await engine.transform('F32', 'Q5_K', new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength), f32.length, undefined, weights);
    expect(got).toEqual(want);
    const half = new Uint8Array(f32.length * 2);
    CPU_CODECS.F16.encode!(f32, half);
    const back = new Float32Array(f32.length);
    CPU_CODECS.F16.decode!(half, back);
    const wantHalf = bytesFor('IQ4_XS', back.length);
    CPU_CODECS.IQ4_XS.encode!(back, wantHalf, weights);
    expect(await engine.transform('F16', 'IQ4_XS', half, back.length, undefined, weights)).toEqual(wantHalf);
  });

  it('CpuEngine uses them for the grid types with weights (and IQ2_S without, from F32 and F16): same bytes as the TypeScript twin', async () => {
    const engine = new CpuEngine();
    const f32 = input.subarray(0, 2 * N);
    for (const t of TYPES_W.filter((t) => GRID.has(t))) {
      const want = bytesFor(t, f32.length);
      CPU_CODECS[t].encode!(f32, want, weights);
      const got = await engine.transform('F32', t, new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength), f32.length, undefined, weights);
      expect(got, t).toEqual(want);
    }
    // IQ2_S without weights, from F32 and from F16 (wasmEncoder / wasmEncoderFromF16)
    const plain = bytesFor('IQ2_S', f32.length);
    CPU_CODECS.IQ2_S.encode!(f32, plain);
    expect(await engine.transform('F32', 'IQ2_S', new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength), f32.length)).toEqual(plain);
    const half = new Uint8Array(f32.length * 2);
    CPU_CODECS.F16.encode!(f32, half);
    const back = new Float32Array(f32.length);
    CPU_CODECS.F16.decode!(half, back);
    const plainHalf = bytesFor('IQ2_S', back.length);
    CPU_CODECS.IQ2_S.encode!(back, plainHalf);
    expect(await engine.transform('F16', 'IQ2_S', half, back.length)).toEqual(plainHalf);
  });
});
