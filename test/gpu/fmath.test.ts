import { expect, it } from 'vitest';
import { useHarness } from '../support/gpu-suite';

/** shaders/fmath.wgsl: correctly rounded division and sqrt, ggml's nearest_int, on real WebGPU. */
const s = useHarness();

it('div_rn, sqrt_rn and nearest_int equal IEEE float32 results on 200k random inputs', async () => {
  const r = await s.page.evaluate(() => window.harness.fmathCompare(200_000, 99));
  expect(r.first).toEqual([]);
  expect([r.div, r.sqrt, r.nint]).toEqual([0, 0, 0]);
});
