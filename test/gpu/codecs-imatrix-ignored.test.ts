import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/gpu-suite';

/**
 * The types whose ggml quantizer ignores the importance matrix (quantize_q8_0, quantize_tq1_0,
 * quantize_tq2_0, quantize_mxfp4, quantize_nvfp4, and quantize_q1_0 / quantize_q2_0, which run the
 * reference row by row): given weights, the GPU runs their plain kernel and gives
 * ggml_quantize_chunk(imatrix)'s golden bytes, every block.
 */
const s = useHarness();

const CASES: [string, string][] = [
  ['Q8_0', 'q8_0.quant.bin'],
  ['TQ1_0', 'tq1_0.quant.bin'],
  ['TQ2_0', 'tq2_0.quant.bin'],
  ['MXFP4', 'mxfp4.quant.bin'],
  ['NVFP4', 'nvfp4.quant.bin'],
  ['Q1_0', 'q1_0.quant.bin'],
  ['Q2_0', 'q2_0.quant.bin'],
];

describe('types that ignore the weights, on the GPU with weights given', () => {
  for (const [t, file] of CASES) {
    it(`${t}: every block of the golden imatrix rows identical to ggml and the CPU twin`, async () => {
      const r = (await s.page.evaluate((a, b) => window.harnessExt.imatrixGolden!(a, b), t, file)) as {
        blocks: number;
        vsGgml: { bad: number; first: number };
        vsTwin: { bad: number; first: number };
      };
      expect(r.blocks).toBeGreaterThan(0);
      expect(r.vsGgml, `${t} vs ggml`).toEqual({ bad: 0, first: -1 });
      expect(r.vsTwin, `${t} vs the CPU twin`).toEqual({ bad: 0, first: -1 });
    });
  }
});
