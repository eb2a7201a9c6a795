import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/gpu-suite';

/** The heat-map kernel (shaders/heatmap.wgsl) on real WebGPU against its CPU twin, bit for bit. */
const s = useHarness();

describe('heat-map kernel vs CPU twin', () => {
  const cases: [string, number, number, number][] = [
    ['F32', 7, 5, 7],
    ['F32', 300, 1000, 37],
    ['F16', 1024, 512, 100],
    ['BF16', 129, 4096, 64],
  ];
  for (const [type, rows, cols, chunk] of cases) {
    it(`${type} [${rows}, ${cols}] in chunks of ${chunk} rows: every cell's sum, max and skipped count identical`, async () => {
      const r = (await s.page.evaluate((a, b, c, d) => window.harnessExt.heatmapCompare!(a, b, c, d), type, rows, cols, chunk)) as { mismatches: number; first: string[]; words: number; gridRows: number; gridCols: number; skipped: number; meanMax: number };
      expect(r.first).toEqual([]);
      expect(r.mismatches).toBe(0);
      expect([r.gridRows, r.gridCols]).toEqual([Math.min(rows, 128), Math.min(cols, 128)]);
      expect(r.skipped).toBe(2);
      expect(r.meanMax).toBeGreaterThan(0);
    }, 120_000);
  }
});
