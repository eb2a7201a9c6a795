import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/gpu-suite';

/**
 * The weighted encode kernels on real rows of the tiny llama (golden/imatrix-rows) where the GPU
 * once chose another try than ggml in one block: every block identical to the CPU twin, and to
 * llama-quantize's bytes for the type the row was taken from. Then the whole model the same way
 * (before the fix: Q4_1 2, Q2_K 2, Q5_K 1 blocks differed, those rows).
 */
const s = useHarness();

interface RowResult {
  row: string;
  blocks: number;
  vsTwin: { bad: number; first: number };
  vsGgml?: { bad: number; first: number };
}

const TYPES = ['Q4_1', 'Q5_K', 'Q2_K', 'Q4_0', 'Q5_0', 'Q5_1', 'Q3_K', 'Q4_K', 'Q6_K'];

describe('weighted encode kernels on the tiny llama rows that once differed from ggml', () => {
  for (const t of TYPES) {
    it(`${t}: every block of the fixture rows identical to the CPU twin${['Q4_1', 'Q5_K', 'Q2_K'].includes(t) ? ' and to llama-quantize' : ''}`, async () => {
      const rows = (await s.page.evaluate((a) => window.harnessExt.imatrixRowsVsTwin!(a), t)) as RowResult[];
      expect(rows.length).toBe(5);
      for (const r of rows) {
        expect(r.vsTwin, `${t} ${r.row} vs the CPU twin: ${JSON.stringify(r)}`).toEqual({ bad: 0, first: -1 });
        if (r.vsGgml) expect(r.vsGgml, `${t} ${r.row} vs llama-quantize: ${JSON.stringify(r)}`).toEqual({ bad: 0, first: -1 });
      }
      expect(rows.filter((r) => r.vsGgml).length).toBe({ Q4_1: 2, Q5_K: 1, Q2_K: 2 }[t] ?? 0);
    });
  }
});

describe('weighted encode kernels on the whole tiny llama with its importance matrix', () => {
  for (const t of TYPES) {
    it(`${t}: every block of the 14 weighted tensors identical to the CPU twin`, async () => {
      const r = (await s.page.evaluate((a) => window.harnessExt.imatrixTinyLlamaVsTwin!(a, null), t)) as { tensors: number; blocks: number; bad: number; first: string[] };
      expect(r.tensors).toBe(14);
      expect(r.blocks).toBe(t.endsWith('_K') ? 4608 : 36864);
      expect(r.first).toEqual([]);
      expect(r.bad).toBe(0);
    }, 120_000);
  }
});
