import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/gpu-suite';

/**
 * The GPU encoders with an importance matrix on real WebGPU (SwiftShader here): every block of
 * ggml_quantize_chunk's golden imatrix rows identical to ggml's and to the CPU twin's.
 */
const s = useHarness();

const CASES: [string, string][] = [
  ['Q4_0', 'q4_0.quant.bin'],
  ['Q4_1', 'q4_1.quant.bin'],
  ['Q5_0', 'q5_0.quant.bin'],
  ['Q5_1', 'q5_1.quant.bin'],
  ['Q2_K', 'q2_K.quant.bin'],
  ['Q3_K', 'q3_K.quant.bin'],
  ['Q4_K', 'q4_K.quant.bin'],
  ['Q5_K', 'q5_K.quant.bin'],
  ['Q6_K', 'q6_K.quant.bin'],
  ['IQ4_NL', 'iq4_nl.quant.bin'],
  ['IQ4_XS', 'iq4_xs.quant.bin'],
  ['IQ3_XXS', 'iq3_xxs.quant.bin'],
  ['IQ3_S', 'iq3_s.quant.bin'],
  ['IQ2_S', 'iq2_s.quant.bin'],
  ['IQ1_S', 'iq1_s.quant.bin'],
  ['IQ1_M', 'iq1_m.quant.bin'],
  ['IQ2_XXS', 'iq2_xxs.quant.bin'],
  ['IQ2_XS', 'iq2_xs.quant.bin'],
];

describe('weighted encode kernels vs ggml_quantize_chunk(imatrix) and the CPU twin', () => {
  for (const [t, file] of CASES) {
    it(`${t}: every block of the golden imatrix rows identical`, async () => {
      const r = (await s.page.evaluate((a, b) => window.harnessExt.imatrixGolden!(a, b), t, file)) as {
        blocks: number;
        vsGgml: { bad: number; first: number };
        vsTwin: { bad: number; first: number };
      };
      expect(r.blocks).toBe(t === 'IQ4_NL' || t.startsWith('Q4_') || t.startsWith('Q5_') ? (t.endsWith('_K') ? 96 : 768) : 96);
      expect(r.vsGgml, `${t} vs ggml`).toEqual({ bad: 0, first: -1 });
      expect(r.vsTwin, `${t} vs the CPU twin`).toEqual({ bad: 0, first: -1 });
    });

    it(`${t}: random rows with random weights (3 seeds, rows of 512 and 2048) identical to the CPU twin`, async () => {
      for (const [seed, rows, n] of [[1, 24, 512], [2, 6, 2048], [3, 40, 256]] as const) {
        const r = (await s.page.evaluate((a, b, c, d) => window.harnessExt.imatrixRandomVsTwin!(a, b, c, d), t, rows, n, seed)) as { blocks: number; vsTwin: { bad: number; first: number } };
        expect(r.vsTwin, `${t} seed ${seed}: ${r.blocks} blocks ${JSON.stringify(r)}`).toEqual({ bad: 0, first: -1 });
      }
    });
  }
});

describe('IQ1 weighted kernels where the sums are subnormal', () => {
  for (const t of ['IQ1_S', 'IQ1_M']) {
    it(`${t}: rows down to 2^-45 with weights 2^-70..2^-30 identical to the CPU twin`, async () => {
      for (const [seed, rows, n] of [[4, 24, 512], [6, 12, 1024]] as const) {
        const r = (await s.page.evaluate((a, b, c, d) => window.harnessExt.imatrixRandomVsTwin!(a, b, c, d, -45, 20, true), t, rows, n, seed)) as { blocks: number; vsTwin: { bad: number; first: number } };
        expect(r.vsTwin, `${t} seed ${seed}: ${r.blocks} blocks ${JSON.stringify(r)}`).toEqual({ bad: 0, first: -1 });
      }
    });
  }
});

/**
 * The grid-search kernels on rows of 2^-64..2^-30: products and sums of ggml's search below the
 * float32 normal range, where SwiftShader (like many GPUs) flushes to zero in plain arithmetic.
 */
describe('weighted grid-search kernels on tiny rows vs the CPU twin', () => {
  for (const t of ['IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S']) {
    it(`${t}: rows of 2^-64..2^-30 with random weights (2 seeds) identical to the CPU twin`, async () => {
      for (const seed of [4, 5]) {
        const r = (await s.page.evaluate((a, b) => window.harnessExt.imatrixRandomVsTwin!(a, 16, 512, b, -64, -30), t, seed)) as { blocks: number; vsTwin: { bad: number; first: number } };
        expect(r.blocks).toBe(32);
        expect(r.vsTwin, `${t} seed ${seed}: ${JSON.stringify(r)}`).toEqual({ bad: 0, first: -1 });
      }
    });
  }
});
