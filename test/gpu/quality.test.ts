import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/gpu-suite';

/**
 * The quantization error kernel (shaders/quality.wgsl) on real WebGPU against its float64 CPU twin
 * (src/codecs/quality.ts), itself checked against numpy in test/unit/pipeline/quality.test.ts.
 * The bound is the one the shader's header derives for its Kahan-compensated f32 partial sums:
 * ~7e-7 relative on the sums of squares (so 5e-7 on RMSE), 2e-6 on the cosine, 2e-5 dB on SNR;
 * max abs error to one f32 rounding.
 */
const s = useHarness();

interface Q {
  elements: number;
  rmse: number;
  maxAbsError: number;
  cosine: number;
  snrDb: number;
  nonFinite: number;
}

describe('quality kernel vs CPU twin', () => {
  const cases: [string, string, number, boolean][] = [
    ['F32', 'Q4_0', 4096, false],
    ['F16', 'Q8_0', 300_032, false],
    ['BF16', 'Q4_K', 1_048_576, false],
    ['F16', 'Q6_K', 65_536, false],
    ['F32', 'F16', 100_000, true],
    ['F16', 'F32', 4096, false],
  ];
  for (const [from, to, n, specials] of cases) {
    it(`${from} -> ${to}, ${n} elements${specials ? ' with NaN and Inf' : ''}: within the stated bound`, async () => {
      const r = (await s.page.evaluate((a, b, c, d, e) => window.harnessExt.qualityCompare!(a, b, c, d, e), from, to, n, 99 + n, specials)) as { gpu: Q; cpu: Q; gpuSums: { n: number; nonFinite: number }; cpuSums: { n: number; nonFinite: number } };
      expect(r.gpuSums.n).toBe(r.cpuSums.n);
      expect(r.gpuSums.nonFinite).toBe(r.cpuSums.nonFinite);
      expect(r.gpu.nonFinite).toBe(specials ? 2 : 0);
      if (to === 'F32') {
        expect(r.gpu.rmse).toBe(0);
        expect(r.cpu.rmse).toBe(0);
        expect(r.gpu.cosine).toBe(1);
        return;
      }
      expect(r.cpu.rmse).toBeGreaterThan(0);
      const dev = { rmse: Math.abs(r.gpu.rmse - r.cpu.rmse) / r.cpu.rmse, cosine: Math.abs(r.gpu.cosine - r.cpu.cosine), snrDb: Math.abs(r.gpu.snrDb - r.cpu.snrDb) };
      console.log(`${from} -> ${to}: GPU vs twin ${JSON.stringify(dev)}`);
      expect(dev.rmse).toBeLessThan(5e-7);
      expect(Math.abs(r.gpu.maxAbsError - r.cpu.maxAbsError) / r.cpu.maxAbsError).toBeLessThanOrEqual(2 ** -23);
      expect(dev.cosine).toBeLessThan(2e-6);
      expect(dev.snrDb).toBeLessThan(2e-5);
    }, 120_000);
  }
});
