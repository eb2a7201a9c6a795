import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/gpu-suite';

/**
 * The cast and statistics kernels on real WebGPU (SwiftShader in headless Chromium here),
 * against ggml's conversion vectors and the CPU twins, bit for bit.
 */
const s = useHarness();

describe('cast kernels vs ggml (golden/fpconv, golden/dequant_only)', () => {
  it('has a WebGPU adapter', async () => {
    const info = await s.page.evaluate(() => window.harness.gpuInfo());
    expect(info.maxBinding).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(await s.page.evaluate(() => window.harnessExt.adapterLabel!())).toBe(info.adapter);
  });
  const cases: [string, string, string, string][] = [
    ['F32', 'F16', 'golden/fpconv/input.f32', 'golden/fpconv/f16.bin'],
    ['F32', 'BF16', 'golden/fpconv/input.f32', 'golden/fpconv/bf16.bin'],
    ['F16', 'F32', 'golden/dequant_only/f16.blocks.bin', 'golden/dequant_only/f16.dequant.f32'],
    ['BF16', 'F32', 'golden/dequant_only/bf16.blocks.bin', 'golden/dequant_only/bf16.dequant.f32'],
  ];
  for (const [from, to, input, want] of cases) {
    it(`${from} -> ${to}: every pattern matches ggml`, async () => {
      const d = await s.page.evaluate((a, b, c, e) => window.harness.castBits(a, b, c, e), from, to, input, want);
      expect(d.total).toBeGreaterThan(8000);
      expect(d.first).toEqual([]);
      expect(d.mismatches).toBe(0);
    });
  }
  it('F16 -> BF16 (through f32) on ggml input equals the two golden steps', async () => {
    // F32 -> F16 via the kernel is checked above; here the chained path decode(F16) -> encode(BF16).
    const d = await s.page.evaluate(() => window.harness.chunkedEqualsWhole('F16', 'BF16', 100_003, 4096 * 3, 7));
    expect(d.joinedBytes).toBe(d.bytes);
    expect(d.diff).toBe(0);
  });
});

describe('statistics kernel vs CPU twin', () => {
  for (const [n, chunk] of [
    [1, 1],
    [1000, 1000],
    [300_001, 65_536],
    [2_000_000, 2_000_000],
  ] as const) {
    it(`${n} values in chunks of ${chunk}: counts, min, max, mean, std and histogram identical`, async () => {
      const r = await s.page.evaluate((a, b) => window.harness.statsCompare(a, 1234 + a, b), n, chunk);
      expect(r.gpu).toEqual(r.cpu);
      expect(r.gpu.count).toBe(n);
      expect(r.gpu.histogram.reduce((a: number, b: number) => a + b, 0)).toBe(r.gpu.finite);
    });
  }
});

describe('a tensor larger than one binding', () => {
  for (const type of ['F16', 'Q8_0', 'Q4_K']) {
    it(`${type}: converted in chunks sized from a lowered binding limit, the bytes equal one whole pass`, async () => {
      const r = (await s.page.evaluate((t) => window.harnessExt.bindingLimitChunks!(t, 256, 256 * 1024), type)) as {
        elements: number;
        wholeChunk: number;
        smallChunk: number;
        sameLength: boolean;
        diff: number;
      };
      expect(r.smallChunk).toBeLessThan(r.elements / 8); // many chunks under the lowered limit
      expect(r.wholeChunk).toBeGreaterThanOrEqual(r.elements); // one pass under the real one
      expect(r.sameLength).toBe(true);
      expect(r.diff).toBe(0);
    }, 300_000);
  }
});
