import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/gpu-suite';

/**
 * loadTensorsToGpu, the public browser API, on headless Chromium's WebGPU device: raw bytes equal
 * the file's, dequantized f32 equals the CPU decode bit for bit, whole or split by rows.
 */
const s = useHarness();
type Result = { tensors: number; rawDiff: number; f32Diff: number; parts: number; progressEvents: number };

describe('loadTensorsToGpu', () => {
  for (const type of ['Q4_K', 'Q6_K', 'F32']) {
    it(`${type} tensors of the tiny llama (Q4_K_M): raw and dequantized equal the CPU`, async () => {
      const r = (await s.page.evaluate((t) => window.harnessExt.loaderVsCpu!(t), type)) as Result;
      expect(r.tensors).toBeGreaterThan(0);
      expect(r.rawDiff).toBe(0);
      expect(r.f32Diff).toBe(0);
      expect(r.parts).toBe(r.tensors);
    });
  }

  it('split by whole rows under a 64 KiB buffer limit, same values', async () => {
    const r = (await s.page.evaluate(() => window.harnessExt.loaderVsCpu!('Q4_K', 65536))) as Result;
    expect(r.parts).toBeGreaterThan(r.tensors);
    expect(r.rawDiff).toBe(0);
    expect(r.f32Diff).toBe(0);
  });

  it('refuses what cannot fit, naming the sizes', async () => {
    const r = (await s.page.evaluate(() => window.harnessExt.loaderRefusals!())) as { tooSmall: string; noSplit: string };
    expect(r.tooSmall).toMatch(/KilnApiError: .*one row is \d+ bytes, more than this device's buffer limit of 16 bytes/);
    expect(r.noSplit).toMatch(/KilnApiError: .*needs \d+ bytes, .*allow splitting it by rows \(split: true\)/);
  });
});
